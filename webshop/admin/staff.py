"""Admin: who works in the admin. Admins only: invite or create staff, change roles,
deactivate. Every change is audited (before/after) by the accounts domain."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import Email, InputRequired, Length, Optional

from webshop import accounts
from webshop.admin.blueprint import admin_only, bp
from webshop.web.forms import safe_next, show_error
from webshop.models import ROLES


class StaffForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=["staff", "admin"],
                       validators=[InputRequired()])
    password = PasswordField("Password (leave empty to send an invitation)", validators=[
        Optional(), Length(min=accounts.MIN_PASSWORD_LENGTH, max=accounts.MAX_PASSWORD_LENGTH,
                           message=f"Choose a password of at least "
                                   f"{accounts.MIN_PASSWORD_LENGTH} characters, or leave it empty."),
    ])


def _staff_page(form=None, error=None, status=200):
    users = accounts.staff_users()
    actor = current_user._get_current_object()
    role_changeable = {user.id for user in users
                       if accounts.role_change_refusal(actor, user) is None}
    return render_template("admin/staff/index.html", users=users,
                           role_changeable=role_changeable,
                           form=form or StaffForm(formdata=None), error=error), status


def _back(default):
    return redirect(safe_next(request.form.get("next"), default), 303)


@bp.get("/staff")
@admin_only
def staff():
    return _staff_page()


@bp.post("/staff")
@admin_only
def staff_create():
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_staff(form.email.data, form.role.data,
                                         password=form.password.data or None,
                                         actor=current_user._get_current_object())
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            if form.password.data:
                flash(f"{user.email} can now log in as {user.role}.", "success")
            else:
                flash(f"Invitation sent: {user.email} gets a link to choose a password.", "success")
            return redirect(url_for("admin.staff"), 303)
    return _staff_page(form, status=422)


@bp.post("/staff/<int:user_id>/role")
@admin_only
def staff_role(user_id):
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400, description="Choose the role customer, staff or admin.")
    try:
        user = accounts.change_role(user_id, role, current_user._get_current_object())
    except LookupError:
        abort(404, description="There is no such user.")
    except accounts.AccountError as error:
        return _staff_page(error=str(error), status=409)
    flash(f"{user.email} is now {user.role}.", "success")
    return _back(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/active")
@admin_only
def staff_active(user_id):
    active = request.form.get("active", "") in ("1", "true", "on", "yes")
    try:
        user = accounts.set_active(user_id, active, current_user._get_current_object())
    except LookupError:
        abort(404, description="There is no such user.")
    except accounts.AccountError as error:
        return _staff_page(error=str(error), status=409)
    flash(f"{user.email} can log in again." if user.active
          else f"{user.email} is deactivated and can no longer log in.", "success")
    return _back(url_for("admin.staff"))
