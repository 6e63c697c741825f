"""Logging in: checking a password, and the server's half of every signed-in browser.

A login is a LoginSession row. The browser holds a random token (in its session cookie
and, with "keep me logged in", the remember cookie); the row holds only the token's
SHA-256. Flask-Login's user id string is "<user id>:<token>" (login_id), so the user
loader finds the user and their login in one query, and a deleted row is a logged-out
browser, whatever cookies it kept. Logging out deletes the row; a password change or
reset deletes all of the user's rows (the web layer then starts a new one for the
browser that changed it), and so does deactivating the account.

A row that has not been used for LOGIN_SESSION_MAX_IDLE seconds no longer logs anyone
in. last_seen_at is written at most every LOGIN_SESSION_TOUCH_AFTER seconds, by the web
layer after the request (touch), never on every request.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from webshop.extensions import db
from webshop.models import LoginSession, User, utcnow
from webshop.models.base import as_utc
from webshop.models.users import normalize_email

_DUMMY_EMAIL = "nobody@invalid"


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def login_id(user, token):
    """Flask-Login's id string for this user's login with this browser token."""
    return f"{user.id}:{token}"


def start_session(user):
    """Record a new login of the user; returns the browser's token. Commits once.

    The user's logins that have been idle too long are cleared out on the way.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.last_seen_at < now - _max_idle()))
    db.session.add(LoginSession(id=_digest(token), user_id=user.id, created_at=now,
                                last_seen_at=now))
    db.session.commit()
    return token


def end_session(login_session_id):
    """Log out one browser (by its LoginSession id, see load_user). Commits once."""
    if login_session_id:
        db.session.execute(delete(LoginSession).where(LoginSession.id == login_session_id))
        db.session.commit()


def stage_end_all_sessions(user_id):
    """Log the user out everywhere, inside the caller's unit of work (no commit)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def load_user(user_id):
    """Flask-Login's loader: the active user whose login this id string names, or None.

    One query (the user joined with the login row), and only for requests that carry
    a login. The user comes back with `login_session_id` (the row to end at logout) and
    `login_session_stale` (True when last_seen_at is old enough to be written again).
    """
    user_part, _, token = (user_id or "").partition(":")
    if not (user_part.isascii() and user_part.isdigit() and token):
        return None
    digest = _digest(token)
    row = db.session.execute(
        select(User, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.id == digest, User.id == int(user_part))
    ).first()
    if row is None or not row.User.active:
        return None
    now = utcnow()
    last_seen = as_utc(row.last_seen_at)
    if last_seen < now - _max_idle():
        return None
    user = row.User
    user.login_session_id = digest
    user.login_session_stale = last_seen < now - timedelta(
        seconds=current_app.config["LOGIN_SESSION_TOUCH_AFTER"])
    return user


def touch(login_session_id):
    """Note that the login was used just now. Commits once (its own small transaction)."""
    db.session.execute(update(LoginSession).where(LoginSession.id == login_session_id)
                       .values(last_seen_at=utcnow()))
    db.session.commit()


def _max_idle():
    return timedelta(seconds=current_app.config["LOGIN_SESSION_MAX_IDLE"])


# --- checking a password --------------------------------------------------------------------

def authenticate(email, password):
    """The active user with this email and password, or None (never says which was wrong).

    Takes as long whether or not the address has an account: without one, a dummy hash
    made with the same cost parameters is checked instead, so the answer's timing does
    not tell who shops here.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    checked = user if user is not None else _dummy_user()
    matches = checked.check_password(password or "")
    if user is None or not user.active or not matches:
        return None
    return user


def _dummy_user():
    """A user that is never stored, with a hash of a random password (one per process and
    cost setting), for authenticate to check when the email has no account."""
    params = tuple(sorted((current_app.config.get("PASSWORD_HASH_PARAMS") or {}).items()))
    dummies = current_app.extensions.setdefault("webshop.dummy_password_hashes", {})
    if params not in dummies:
        dummies[params] = User(_DUMMY_EMAIL, password=secrets.token_urlsafe(16)).password_hash
    return User(_DUMMY_EMAIL, password_hash=dummies[params])
