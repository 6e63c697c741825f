"""Accounts over HTTP: register (two steps), log in and out, the account page, order history,
password change and reset, and the saved shipping address. Routes parse, call the accounts
domain (webshop.accounts), and render.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webshop import accounts, reminders
from webshop.auth import logins
from webshop.auth.blueprint import bp
from webshop.auth.forms import (
    LoginForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm, RegistrationForm,
    RegistrationRequestForm,
)
from webshop.i18n import _N
from webshop.pagination import PageOutOfRange, page_number
from webshop.web import ratelimit
from webshop.web.forms import AddressForm, form_page, safe_next, show_error

RECENT_ORDERS = 5
ORDERS_PER_PAGE = 20
RESET_LINK_SENT = _N("If an account exists for that address, we have sent a link to choose a "
                     "new password. It works for an hour; check your spam folder if it does "
                     "not arrive.")
REGISTRATION_LINK_SENT = _N("Check your email: we have sent a link to finish creating your "
                            "account (or, if the address already has one, how to log in). It "
                            "works for a day; check your spam folder if it does not arrive.")
LOGIN_FAILED = _N("That email and password do not match an account.")


def _throttle(scope):
    """The per-address and per-account limits of a form that takes an email address."""
    config = current_app.config
    key = scope.upper().replace("-", "_")
    return ratelimit.Throttle(scope, config[f"RATELIMIT_{key}"],
                              config[f"RATELIMIT_{key}_ACCOUNT"], request.form.get("email"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Registration, step 1. The answer is the same whether or not the address has an
    account (that owner is emailed instead), so this page cannot tell who shops here."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return _account_email_page(RegistrationRequestForm(), "register", "register",
                               REGISTRATION_LINK_SENT, "auth.register", "auth/register.html")


def _account_email_page(form, scope, purpose, sent_message, endpoint, template):
    """A form that only takes an email and sends it an account email (`purpose`), every
    request counted against the `scope` limits per address and per account: the same
    answer for every address."""
    if request.method == "POST":
        _throttle(scope).hit()
    if form.validate_on_submit():
        accounts.request_account_email(form.email.data, purpose)
        flash(_(sent_message), "success")
        return redirect(url_for(endpoint), 303)
    return form_page(template, form)


@bp.route("/register/<token>", methods=["GET", "POST"])
def register_finish(token):
    """Registration, step 2, from the emailed link: name and password, then logged in."""
    email = accounts.email_for_registration_token(
        token, current_app.config["REGISTRATION_LINK_MAX_AGE"])
    if email is None:
        return render_template("auth/register_finish.html", form=None, email=None), 400
    if accounts.account_exists(email):  # they proved they own the address: they may know
        return render_template("auth/register_finish.html", form=None, email=email)
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(email, form.password.data, form.name.data)
        except accounts.AccountError as error:
            if error.field == "email":  # registered through another link meanwhile
                return render_template("auth/register_finish.html", form=None, email=email)
            show_error(form, error)
        else:
            logins.log_in(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("auth.account"), 303)
    return form_page("auth/register_finish.html", form, email=email)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Failed attempts count per address and per account (the email typed, with or
    without an account); either limit used up answers 429 before any password check."""
    form = LoginForm()
    throttle = None
    if request.method == "POST":
        throttle = _throttle("login")
        throttle.check()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            logins.log_in(user, remember=form.remember.data)
            default = url_for("admin.dashboard") if user.is_staff else url_for("shop.home")
            return redirect(safe_next(request.args.get("next"), default), 303)
        form.password.errors.append(_(LOGIN_FAILED))
    if throttle is not None:
        throttle.count()
    return form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout():
    logins.log_out()
    flash(_("You are logged out."))
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
        reminders_on=not reminders.unsubscribed(current_user.email),
    )


@bp.post("/account/reminders")
@login_required
def account_reminders():
    """Cart reminders on or off for the account's address (the same list the emails'
    unsubscribe link writes to)."""
    if request.form.get("reminders") == "on":
        reminders.resubscribe(current_user.email)
        flash(_("Cart reminders are on."), "success")
    else:
        reminders.unsubscribe(current_user.email)
        flash(_("Cart reminders are off."), "success")
    return redirect(url_for("auth.account"), 303)


@bp.get("/account/orders")
@login_required
def account_orders():
    try:
        page = accounts.orders_for(current_user.id, page_number(request.args), ORDERS_PER_PAGE)
    except PageOutOfRange:
        abort(404, description=_("That page of your order history does not exist."))
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
            logins.log_in_again(current_user._get_current_object())
            flash(_("Your password has been changed. Every other browser is logged out."),
                  "success")
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
            flash(_("Your shipping address has been saved."), "success")
            return redirect(url_for("auth.account"), 303)
    return form_page("auth/address.html", form)



@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    """Ask for a reset link. The answer is the same whether or not the address has an
    account, so this page cannot be used to find out who shops here."""
    return _account_email_page(PasswordForgotForm(), "password-forgot", "password-reset",
                               RESET_LINK_SENT, "auth.password_forgot",
                               "auth/password_forgot.html")


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
            flash(_("Your password has been changed, and every browser logged in to your account "
                    "is logged out. Log in with your new password."), "success")
            return redirect(url_for("auth.login"), 303)
    return form_page("auth/password_reset.html", form, email=user.email)
