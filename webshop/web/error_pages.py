"""Error pages: every failure a shopper can meet gets a page, never a stack trace."""
from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webshop.extensions import db


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        return _render(error), error.code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        error.description = "Your session expired or the form was stale. Please try again."
        return _render(error), 400

    @app.errorhandler(Exception)
    def unhandled(error):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError()), 500


def _render(error):
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, error=error)
