"""The admin area: staff and admins only, checked once for every route of the blueprint."""
from flask import Blueprint, abort, render_template
from flask_login import current_user

from webshop.extensions import login_manager

bp = Blueprint("admin", __name__)


@bp.before_request
def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html")
