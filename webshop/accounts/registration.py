"""Registering a customer, in two steps that never tell who already has an account.

1. request_account_email(email, "register"): whoever types an address gets the same answer ("check
   your email") in the same time. The request only writes an outbox message; its job
   looks the address up when it runs and mails either a link to finish registering
   (registration_token) or, to an existing account's owner, a note that they already
   have one (with links to log in and to reset the password).
2. The link's owner has proven the mailbox is theirs: register(email, password, name)
   creates the login and the customer profile.
"""
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import events
from webshop.accounts.errors import AccountError
from webshop.accounts.passwords import check_new_password
from webshop.extensions import db
from webshop.models import Customer, User
from webshop.models.users import normalize_email


def request_account_email(email, purpose):
    """Ask for an account email to go to this address. Commits once (the outbox message).

    `purpose` "register": a link to finish registering, or for an existing account a
    note to its owner; "password-reset": a reset link, only to an active account. The
    request never looks the address up (the job decides when it runs), so the answer,
    and the time it takes, are the same whether or not the address has an account.
    """
    email = normalize_email(email)
    if email:
        events.account_email_requested.send(email, purpose=purpose)
    db.session.commit()


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="register")


def registration_token(email):
    """The token of a link to finish registering this address. No commit."""
    return _serializer().dumps({"email": normalize_email(email)})


def email_for_registration_token(token, max_age):
    """The address a registration link was sent to, or None when the token is tampered
    with or older than `max_age` seconds."""
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one
        return None
    email = data.get("email") if isinstance(data, dict) else None
    return email if isinstance(email, str) and email else None


def account_exists(email):
    """Whether a login has this email. Only for someone who proved they own the address
    (the registration link): never answer an anonymous request with it."""
    return db.session.scalar(select(User.id).where(User.email == normalize_email(email))) is not None


def _email_taken_error():
    return AccountError(
        _("There is already an account with this email address. Log in instead?"), "email"
    )


def register(email, password, name):
    """Create a customer login (User, role customer) and its Customer profile. Commits once.

    For an address whose owner followed a registration link (or for tests and tools).
    The email is compared lower-cased. A taken email raises AccountError, also when
    another request registers the same email at the same moment (the unique
    constraint decides; we catch its error).

    A guest Customer row with the same email (from an earlier guest order) is left
    alone: its orders are not handed over.
    """
    email = normalize_email(email)
    name = (name or "").strip()
    if not email:
        raise AccountError(_("Enter your email address."), "email")
    check_new_password(password, email=email, name=name)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _email_taken_error()
    user = User(email, password=password, role="customer")
    user.customer = Customer(email=email, name=name)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _email_taken_error() from None
    return user
