"""Accounts over HTTP: register, log in and out, the account page, order history,
password change and reset, and the saved shipping address. Routes parse, call the accounts
domain (webshop.accounts), and render.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webshop import accounts
from webshop.auth.blueprint import bp
from webshop.auth.forms import (
    LoginForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm, RegisterForm,
)
from webshop.pagination import PageOutOfRange, page_number
from webshop.web import cart_session, ratelimit
from webshop.web.forms import AddressForm, form_page, safe_next, show_error

RECENT_ORDERS = 5
ORDERS_PER_PAGE = 20
RESET_LINK_SENT = ("If an account exists for that address, we have sent a link to choose a new "
                   "password. It works for an hour; check your spam folder if it does not arrive.")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if request.method == "POST":
        ratelimit.limit("register", current_app.config["RATELIMIT_REGISTER"])
    if form.validate_on_submit():
        try:
            user = accounts.register(form.email.data, form.password.data, form.name.data)
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            login_user(user)
            cart_session.after_login(user)
            flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("auth.account"), 303)
    return form_page("auth/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "POST":
        ratelimit.limit("login", current_app.config["RATELIMIT_LOGIN"])
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            cart_session.after_login(user)
            default = url_for("admin.dashboard") if user.is_staff else url_for("shop.home")
            return redirect(safe_next(request.args.get("next"), default), 303)
        form.password.errors.append("That email and password do not match an account.")
    return form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    cart_session.after_logout()
    flash("You are logged out.")
    return redirect(url_for("shop.home"), 303)


@bp.get("/account")
@login_required
def account():
    customer, address = accounts.profile(current_user)
    recent = accounts.orders_for(current_user.id, 1, RECENT_ORDERS)
    return render_template(
        "auth/account.html",
        customer=customer,
        address=address,
        orders=recent.items,
        order_total=recent.total,
    )


@bp.get("/account/orders")
@login_required
def account_orders():
    try:
        page = accounts.orders_for(current_user.id, page_number(request.args), ORDERS_PER_PAGE)
    except PageOutOfRange:
        abort(404, description="That page of your order history does not exist.")
    return render_template("auth/account_orders.html", page=page)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            flash("Your password has been changed.", "success")
            return redirect(url_for("auth.account"), 303)
    return form_page("auth/password.html", form)


@bp.route("/account/address", methods=["GET", "POST"])
@login_required
def address():
    saved = accounts.default_address(current_user) if request.method == "GET" else None
    form = AddressForm(obj=saved)
    if saved is None and request.method == "GET":
        customer = accounts.customer_for(current_user)
        form.name.data = customer.name if customer else ""
    if form.validate_on_submit():
        try:
            accounts.save_default_address(current_user, **form.address_values())
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            flash("Your shipping address has been saved.", "success")
            return redirect(url_for("auth.account"), 303)
    return form_page("auth/address.html", form)



@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    """Ask for a reset link. The answer is the same whether or not the address has an
    account, so this page cannot be used to find out who shops here."""
    form = PasswordForgotForm()
    if request.method == "POST":
        ratelimit.limit("password-forgot", current_app.config["RATELIMIT_PASSWORD_FORGOT"])
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(RESET_LINK_SENT, "success")
        return redirect(url_for("auth.password_forgot"), 303)
    return form_page("auth/password_forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token):
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    user = accounts.user_for_reset_token(token, max_age)
    if user is None:
        return render_template("auth/password_reset.html", form=None), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data)
        except accounts.AccountError as error:
            if error.field is None:  # the link was used meanwhile
                return render_template("auth/password_reset.html", form=None), 400
            show_error(form, error)
        else:
            flash("Your password has been changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"), 303)
    return form_page("auth/password_reset.html", form, email=user.email)
