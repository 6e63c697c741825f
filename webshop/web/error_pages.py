"""Error pages: every failure a shopper can meet gets a page, never a stack trace."""
from flask import current_app, g, has_request_context, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import (
    DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from webshop.extensions import db
from webshop.i18n import _N

# The database is down, restarting or unreachable, dropped the connection mid-request,
# or (SQLite) stayed locked; PoolTimeout: every pooled connection is busy. Each request
# after it connects afresh, so the shop recovers by itself: the answer is 503 with
# Retry-After (browsers show the page, Stripe delivers its webhook again later).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_SECONDS = 10
UNAVAILABLE_MESSAGE = _N("The shop cannot reach its database just now. "
                         "Please try again in a moment.")
# Titles of the error pages shoppers meet (errors/error.html translates error.name).
TITLES = (_N("Bad Request"), _N("Forbidden"), _N("Not Found"), _N("Method Not Allowed"),
          _N("Gone"), _N("Request Entity Too Large"), _N("Unprocessable Entity"),
          _N("Too Many Requests"), _N("Service Unavailable"))


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        return _render(error), error.code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        error.description = gettext("Your session expired or the form was stale. Please try again.")
        return _render(error), 400

    for exception in DATABASE_UNAVAILABLE:
        app.register_error_handler(exception, database_unavailable)

    # Registered after Flask-SQLAlchemy's teardown, so it runs before it.
    @app.teardown_appcontext
    def close_database_session(_exc):
        """A connection that died after the view's last query (the database restarted,
        pg_terminate_backend) fails the session's closing rollback. There is nothing
        left to undo: the connection is discarded, and the page already made is sent,
        instead of a 500."""
        if not db.session.registry.has():
            return  # no session was made (a page from the cache): do not make one to close
        try:
            db.session.close()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            db.session().invalidate()  # (scoped_session does not offer it)
            where = request.path if has_request_context() else "a task"
            app.logger.warning("database connection lost at the end of %s: %s",
                               where, _first_line(error))

    @app.errorhandler(Exception)
    def unhandled(error):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError()), 500


def _render(error):
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, error=error)


def database_unavailable(error):
    """503 with Retry-After, rendered without the database: one log line (an outage
    would otherwise log a traceback per request), no traceback for the visitor."""
    _discard_transaction()
    current_app.logger.warning("database unavailable on %s %s: %s: %s", request.method,
                               request.path, type(error).__name__, _first_line(error))
    page = ServiceUnavailable(UNAVAILABLE_MESSAGE)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _render_without_database(page), 503, headers


def _first_line(error):
    return "".join(str(getattr(error, "orig", None) or error).strip().splitlines()[:1])


def _discard_transaction():
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # the connection is gone; closing returns (or discards) it all the same
    db.session.close()


def _render_without_database(error):
    """The outage page touches nothing that needs the database: the visitor is shown
    as logged out (loading the user would query it) and the category and footer links and
    the currency switcher, read from the catalogue on a cache miss, are left out. Should
    the page fail all the same,
    a short plain answer still says what happened."""
    g._login_user = current_app.login_manager.anonymous_user()  # what flask-login reads
    try:
        if request.headers.get("HX-Request"):
            return render_template("errors/_message.html", error=error)
        return render_template("errors/503.html", error=error, category_nav=lambda: "",
                               footer_pages=lambda: [], currency_switcher=lambda: [])
    except Exception:  # noqa: BLE001  (a second failure must not turn the 503 into a 500)
        current_app.logger.exception("the outage page could not be rendered")
        return f"<!doctype html><title>{error.name}</title><p>{UNAVAILABLE_MESSAGE}</p>"

