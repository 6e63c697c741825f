"""A browser's login over HTTP: Flask-Login, the LoginSession row behind it, and the CSRF
token, which changes whenever someone logs in or out.

Flask-Login keeps "<user id>:<token>" as its user id (in the session cookie, and in the
remember cookie when asked), so accounts.load_user finds the login row with the user,
in one query, and a browser whose row is gone is logged out, remember cookie included.
Flask's session is a signed cookie, so the login token is what changes on login: a
session cookie copied before (or after) the login does not carry it.
"""
import logging

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user

from webshop import accounts
from webshop.auth.blueprint import bp
from webshop.extensions import db
from webshop.web import cart_session

log = logging.getLogger(__name__)
CSRF_SESSION_KEY = "csrf_token"  # Flask-WTF's WTF_CSRF_FIELD_NAME


def log_in(user, remember=False):
    """Start a login of `user` in this browser (a new LoginSession row; commits). A
    login this browser had before ends."""
    previous = getattr(current_user, "login_session_id", None)
    if previous:
        accounts.end_session(previous)
    token = accounts.start_session(user)
    login_user(user, remember=remember)
    session["_user_id"] = accounts.login_id(user, token)  # what get_id() would not know
    _new_csrf_token()
    cart_session.after_login(user)


def log_out():
    """End this browser's login: its row (so copies of its cookies die too) and cookies."""
    accounts.end_session(getattr(current_user, "login_session_id", None))
    logout_user()
    _new_csrf_token()
    cart_session.after_logout()


def log_in_again(user):
    """After a password change ended every login: a new one for this browser, remembered
    if it was before."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    log_in(user, remember=cookie in request.cookies)


def _new_csrf_token():
    session.pop(CSRF_SESSION_KEY, None)
    g.pop(CSRF_SESSION_KEY, None)


@bp.teardown_app_request
def note_login_use(exc):
    """Write a login's last use after the request, at most every few minutes (the loader
    marks it stale). Never raises: a failed note only ends an idle login a little early."""
    user = g.get("_login_user")
    if not getattr(user, "login_session_stale", False):
        return
    try:
        db.session.rollback()  # whatever the request left uncommitted was not kept anyway
        accounts.touch(user.login_session_id)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        log.warning("could not note the use of a login: %s", error)
