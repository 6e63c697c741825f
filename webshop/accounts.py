"""The accounts domain: registering customers, changing and resetting passwords, the
saved address, and a customer's order history. No Flask request in here.

Functions that change data commit once (each is a whole user action); reads never
commit. Every refusal is an AccountError whose text is what the shopper reads, so the
views, the CLI and the tests get the same messages.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from webshop import events
from webshop.extensions import db
from webshop.validation import ValidationError
from webshop.pagination import Page, check_page
from webshop.models import ROLES, STAFF_ROLES, Address, Customer, Order, OrderItem, User
from webshop.models.audit import record
from webshop.models.base import locked
from webshop.models.users import normalize_email

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone")
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


class AccountError(ValidationError):
    """An account change that cannot be made; str(error) is what the shopper reads."""


def _check_new_password(password, field="password"):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"A password can have at most {MAX_PASSWORD_LENGTH} characters.", field)


def _email_taken_error():
    return AccountError(
        "There is already an account with this email address. Log in instead?", "email"
    )


def register(email, password, name):
    """Create a customer login (User, role customer) and its Customer profile. Commits once.

    The email is compared lower-cased. A taken email raises AccountError, also when
    another request registers the same email at the same moment (the unique
    constraint decides; we catch its error).

    A guest Customer row with the same email (from an earlier guest order) is left
    alone: nobody has proven they own that mailbox, so its orders are not handed over.
    """
    email = normalize_email(email)
    name = (name or "").strip()
    if not email:
        raise AccountError("Enter your email address.", "email")
    _check_new_password(password)
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


def change_password(user, current_password, new_password):
    """Replace the user's password after checking the current one. Commits once."""
    if not user.check_password(current_password or ""):
        raise AccountError("That is not your current password.", "current_password")
    _check_new_password(new_password, "new_password")
    if new_password == current_password:
        raise AccountError("Choose a password different from your current one.", "new_password")
    user.set_password(new_password)
    db.session.commit()


# --- password reset -----------------------------------------------------------------------
# A reset link carries a signed, timed token naming the user and a fingerprint of their
# current password hash. Setting a password changes the hash, so a link works once (and
# every older link dies with it); the signature's timestamp makes it expire.

def request_password_reset(email):
    """Queue a reset link for the active account with this email, if there is one.

    Commits once (the outbox message). Returns nothing either way: whoever asks must
    not learn whether an address has an account.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        db.session.rollback()
        return
    events.password_reset_requested.send(user)
    db.session.commit()


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(password_hash):
    return hashlib.sha256(password_hash.encode()).hexdigest()[-16:]


def password_reset_token(user):
    """The token for the user's reset link (valid until used or too old). No commit."""
    return _reset_serializer().dumps(
        {"user": user.id, "pw": _password_fingerprint(user.password_hash)}
    )


def user_for_reset_token(token, max_age):
    """The active user the token was made for, or None when it is tampered with, older
    than `max_age` seconds, or already used (the password changed since). Never commits."""
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(_password_fingerprint(user.password_hash), str(data.get("pw"))):
        return None
    return user


def reset_password(user, new_password):
    """Give the user (from user_for_reset_token) a new password. Commits once.

    The row is locked and its hash compared with the one the link was checked against,
    so two submissions of one link (even at the same moment) change the password once;
    the later one raises AccountError.
    """
    _check_new_password(new_password, "password")
    current = db.session.scalar(
        select(User.password_hash).where(User.id == user.id).with_for_update()
    )
    if current != user.password_hash:
        db.session.rollback()
        raise AccountError("This link has already been used. Please ask for a new one.")
    user.set_password(new_password)
    db.session.commit()


def customer_for(user):
    """The user's Customer profile, or None (staff created by the CLI have none). No commit."""
    return db.session.scalar(select(Customer).where(Customer.user_id == user.id))


def default_address(user):
    """The address checkout pre-fills: the one marked default, else the newest; or None.

    One query; never commits.
    """
    return db.session.scalar(
        select(Address)
        .join(Customer, Customer.id == Address.customer_id)
        .where(Customer.user_id == user.id)
        .order_by(Address.is_default.desc(), Address.id.desc())
        .limit(1)
    )


def profile(user):
    """(customer, default address) for the account page, each possibly None. One query."""
    row = db.session.execute(
        select(Customer, Address)
        .outerjoin(Address, Address.customer_id == Customer.id)
        .where(Customer.user_id == user.id)
        .order_by(Address.is_default.desc().nulls_last(), Address.id.desc())
        .limit(1)
    ).first()
    return (row.Customer, row.Address) if row else (None, None)


def save_default_address(user, **fields):
    """Create or update the user's default shipping address. Commits once.

    Fields: name, line1, line2, city, postal_code, region, country (ISO 3166 alpha-2),
    phone. The saved address becomes the only one marked default. A user without a
    Customer profile (e.g. staff) gets one here.
    """
    address = stage_default_address(user, **fields)
    db.session.commit()
    return address


def stage_default_address(user, **fields):
    """save_default_address inside the caller's unit of work: flushes, never commits.

    For order placement, which saves the address in the order's own transaction.
    Raises AccountError (before writing anything) for a missing field or a bad country.
    """
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {', '.join(sorted(unknown))}")
    values = {key: (fields.get(key) or "").strip() for key in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    for key in REQUIRED_ADDRESS_FIELDS:
        if not values[key]:
            raise AccountError("This field is required.", key)
    if len(values["country"]) != 2 or not values["country"].isalpha():
        raise AccountError("Choose a country.", "country")

    # Both lookups autoflush, so a profile the caller has just added is found, not doubled.
    customer = customer_for(user)
    if customer is None:
        customer = Customer(user_id=user.id, email=user.email, name=values["name"])
        db.session.add(customer)
        db.session.flush()
    address = default_address(user)
    if address is None:
        address = Address(customer_id=customer.id)
        db.session.add(address)
    for key, value in values.items():
        setattr(address, key, value)
    address.is_default = True
    db.session.flush()
    db.session.execute(
        update(Address)
        .where(Address.customer_id == customer.id, Address.id != address.id,
               Address.is_default.is_(True))
        .values(is_default=False)
    )
    return address


@dataclass(frozen=True)
class OrderSummary:
    """One row of a customer's order history: plain values, nothing left to lazy-load."""

    id: int
    number: str
    created_at: datetime
    status: str
    total: int
    currency: str
    item_count: int


def orders_for(user_id, page=1, per_page=20):
    """One page of the user's orders, newest first, and how many there are in all.

    Two queries whatever the page size: the count, and the page with each order's
    item count (the sum of its quantities) from a correlated subquery. Never commits.
    Returns a Page; raises PageOutOfRange past the last page.
    """
    total = db.session.scalar(select(func.count(Order.id)).where(Order.user_id == user_id))
    check_page(page, per_page, total)
    item_count = (
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Order.id, Order.number, Order.created_at, Order.status, Order.total,
               Order.currency, item_count.label("item_count"))
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([OrderSummary(**row._mapping) for row in rows], page, per_page, total)


# --- staff accounts (the admin's staff page) -----------------------------------------------------
# Each change is one commit with its audit entry (before/after). An admin never demotes or
# deactivates themselves, so the shop always keeps at least one active admin: whoever acts.

def staff_users():
    """Everyone with a staff or admin role (active or not), admins first. One query."""
    return db.session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.role, User.email)
    ).all()


def create_staff(email, role, password=None, actor=None):
    """Create a staff or admin login. Commits once (with the audit entry and the email).

    Without a password this is an invitation: the account gets a random password
    nobody knows, and a password reset link goes to the address so that the person
    chooses their own. Raises AccountError for a taken email, a bad role or password.
    """
    email = normalize_email(email)
    if not email:
        raise AccountError("Enter an email address.", "email")
    if role not in STAFF_ROLES:
        raise AccountError("Choose the role staff or admin.", "role")
    invited = not password
    if not invited:
        _check_new_password(password)
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        raise AccountError(
            f"There is already an account with this email address (role {existing.role}). "
            "Change its role instead.", "email")
    user = User(email, password=secrets.token_urlsafe(32) if invited else password, role=role)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("There is already an account with this email address.", "email") from None
    record(db.session, "user.created", "user", user.id, actor=actor,
           after={"email": email, "role": role, "active": True, "invited": invited})
    if invited:
        events.password_reset_requested.send(user)
    db.session.commit()
    return user


def role_change_refusal(actor, user):
    """Why `actor` may not change `user`'s role (None: they may). Only admins change
    roles, and never their own; the role form is offered when this is None."""
    if not getattr(actor, "is_admin", False):
        return "Only administrators can change roles."
    if user.id == getattr(actor, "id", None):
        return "You cannot change your own role; ask another admin."
    return None


def change_role(user_id, role, actor):
    """Give the user another role (customer, staff or admin; their current one: no-op).
    Commits once. Raises AccountError when role_change_refusal refuses, or for an unknown
    role; LookupError for an unknown user."""
    if role not in ROLES:
        raise AccountError("Choose the role customer, staff or admin.", "role")
    user = locked(User, user_id)
    if role == user.role:
        db.session.rollback()
        return user
    refusal = role_change_refusal(actor, user)
    if refusal:
        db.session.rollback()
        raise AccountError(refusal, "role")
    before = {"role": user.role}
    user.role = role
    record(db.session, "user.role_changed", "user", user.id, actor=actor,
           before=before, after={"role": role})
    db.session.commit()
    return user


def set_active(user_id, active, actor):
    """Deactivate (no more logins; open sessions end at their next request) or
    reactivate a user. Commits once. Raises AccountError when an admin would
    deactivate themselves; LookupError for an unknown user."""
    user = locked(User, user_id)
    if user.id == getattr(actor, "id", None) and not active:
        db.session.rollback()
        raise AccountError("You cannot deactivate your own account; ask another admin.")
    if user.active == active:
        db.session.rollback()
        return user
    user.active = active
    record(db.session, "user.activated" if active else "user.deactivated", "user", user.id,
           actor=actor, before={"active": not active}, after={"active": active})
    db.session.commit()
    return user


# --- logging in -------------------------------------------------------------------------

def load_user(user_id):
    """Flask-Login's loader: one primary-key lookup, only for requests with a login."""
    user = db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
    return user if user is not None and user.active else None


def authenticate(email, password):
    """The active user with this email and password, or None (never says which was wrong)."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
