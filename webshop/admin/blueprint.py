"""The admin blueprint: staff and admins only, checked once for every route.

Each area of the admin is its own module (dashboard, products, categories, orders,
customers, staff) registering its views on this blueprint; routes parse, call a domain
function with the acting user, and render. Admin-only views add @admin_only.
"""
import functools

from flask import Blueprint, abort
from flask_login import current_user

from webshop.extensions import login_manager

bp = Blueprint("admin", __name__)


@bp.before_request
def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


@bp.after_request
def never_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def admin_only(view):
    """For views that staff may not use (staff management): 403 for them."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, description="Only administrators can do that.")
        return view(*args, **kwargs)
    wrapped.admin_only = True  # the access-matrix test reads this
    return wrapped
