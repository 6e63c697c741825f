"""Log in and out. Registration and password resets build on the same pieces."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webshop.auth import authenticate
from webshop.auth.forms import LoginForm
from webshop import ratelimit

bp = Blueprint("auth", __name__)


def safe_next(target, default):
    """Only same-site paths as redirect targets: no open redirect through ?next=."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "POST":
        ratelimit.limit("login", "10/minute;50/hour")
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            default = url_for("admin.dashboard") if user.is_staff else url_for("shop.home")
            return redirect(safe_next(request.args.get("next"), default), 303)
        form.password.errors.append("That email and password do not match an account.")
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("shop.home"), 303)
