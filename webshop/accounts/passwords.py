"""Passwords: what a new one must be, changing one, and resetting a forgotten one.

One rule everywhere (registration, the account page, reset links, staff accounts and
`flask create-admin`): at least MIN_PASSWORD_LENGTH characters, and not easy to guess.
"Easy to guess" is zxcvbn's estimate (the Dropbox estimator, maintained on PyPI as
`zxcvbn`): it knows the 30,000 most common passwords, names and English words,
keyboard patterns, repeats like "aaaaaaaaaa" and sequences like "1234567890", and we
add the context (the email address, the person's name, the shop's name), so
"password12", "webshop2024!" or one's own email address are refused. A score of
MIN_STRENGTH or more of its 0-4 scale passes.
"""
import hashlib
import hmac
import re
import threading

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from zxcvbn import zxcvbn

from webshop import i18n
from webshop.accounts.errors import AccountError
from webshop.accounts.logins import stage_end_all_sessions
from webshop.extensions import db
from webshop.models import User
from webshop.models.users import normalize_email

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
MIN_STRENGTH = 3  # zxcvbn: 3 "safely unguessable", 4 "very unguessable"
_ESTIMATED_LENGTH = 72  # zxcvbn's limit; a longer password is judged by its start
# zxcvbn keeps the context words in a module-level dictionary while it estimates.
_zxcvbn_lock = threading.Lock()


def context_words(email="", name=""):
    """What a password must not be built from: the email, its parts, the name, the shop."""
    email = normalize_email(email)
    local, _at, domain = email.partition("@")
    shop = current_app.config.get("SHOP_NAME") or ""
    words = [email, local, domain.split(".")[0], name or "", shop]
    words += [re.sub(r"[\W_]+", "", text) for text in (local, name or "", shop)]
    words += re.split(r"[\W_]+", f"{local} {name or ''} {shop}")
    return sorted({word.lower() for word in words if len(word) >= 3})


def _strength(password, context=()):
    with _zxcvbn_lock:
        return zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=list(context))


def password_problem(password, email="", name=""):
    """Why this password may not be chosen (a sentence for the form), or None."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Choose a password of at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("A password can have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
    context = context_words(email, name)
    # What is left once the context is taken out must be hard to guess on its own:
    # "mywebshop123" is "my...123" to whoever knows the shop.
    rest = password
    for word in sorted((w for w in context if len(w) >= 4), key=len, reverse=True):
        rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
    from_context = rest != password and (not rest or _strength(rest)["score"] < MIN_STRENGTH)
    estimate = _strength(password, context)
    if estimate["score"] >= MIN_STRENGTH and not from_context:
        return None
    dictionaries = {match.get("dictionary_name") for match in estimate["sequence"]}
    if from_context or "user_inputs" in dictionaries:
        reason = _("It is built from your email address, your name or the shop's name.")
    elif "passwords" in dictionaries:
        reason = _("It is one of the most common passwords.")
    else:
        # zxcvbn's own warnings are English: other languages get the general reason.
        warning = estimate["feedback"]["warning"] if i18n.current() == i18n.DEFAULT else ""
        reason = warning or _("It would be easy to guess.")
    return _("Choose a password that is harder to guess. %(reason)s A few random words work "
             "well.", reason=reason)


def check_new_password(password, field="password", email="", name=""):
    """Raise AccountError (for `field`) unless the password may be chosen."""
    problem = password_problem(password, email, name)
    if problem:
        raise AccountError(problem, field)


def change_password(user, current_password, new_password):
    """Replace the user's password after checking the current one. Commits once.

    Every login of the user ends with it (other browsers, remember cookies, this one
    too): the web layer starts a new login for the browser that made the change.
    """
    if not user.check_password(current_password or ""):
        raise AccountError(_("That is not your current password."), "current_password")
    check_new_password(new_password, "new_password", email=user.email)
    if new_password == current_password:
        raise AccountError(_("Choose a password different from your current one."),
                           "new_password")
    user.set_password(new_password)
    stage_end_all_sessions(user.id)
    db.session.commit()


# --- password reset -----------------------------------------------------------------------
# A reset link carries a signed, timed token naming the user and a fingerprint of their
# current password hash. Setting a password changes the hash, so a link works once (and
# every older link dies with it); the signature's timestamp makes it expire.

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
    the later one raises AccountError. Every login of the user ends.
    """
    check_new_password(new_password, "password", email=user.email)
    current = db.session.scalar(
        select(User.password_hash).where(User.id == user.id).with_for_update()
    )
    if current != user.password_hash:
        db.session.rollback()
        raise AccountError(_("This link has already been used. Please ask for a new one."))
    user.set_password(new_password)
    stage_end_all_sessions(user.id)
    db.session.commit()


def set_password_everywhere(user, new_password):
    """An operator's password change (`flask create-admin`): the rule, the new hash, and
    every login of the user ended, in the caller's unit of work (no commit)."""
    check_new_password(new_password, email=user.email)
    user.set_password(new_password)
    stage_end_all_sessions(user.id)
