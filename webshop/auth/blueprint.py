"""The accounts blueprint: register, log in and out, the account pages, passwords."""
from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.after_request
def never_store(response):
    """Account pages show personal data and carry CSRF tokens: no shared or back-button caches."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response
