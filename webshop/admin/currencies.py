"""Admin: display currencies (/admin/currencies), the second currencies shoppers may
see prices in, at rates staff set. Staff may look; only admins change them
(@admin_only). Routes parse the form, call one webshop.pricing.currencies function with
the acting user, and render: 422 when a form has errors, 303 after a successful POST."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from webshop.admin.blueprint import admin_only, bp
from webshop.admin.product_forms import shop_currency
from webshop.pricing import PricingError
from webshop.pricing import currencies
from webshop.web.forms import show_error


class RateForm(FlaskForm):
    rate = StringField("Rate", validators=[InputRequired(), Length(max=20)])


class CurrencyForm(RateForm):
    code = StringField("Currency code (ISO 4217)", validators=[InputRequired(), Length(max=10)])


def _actor():
    return current_user._get_current_object()


def _or_404(currency_id):
    try:
        return currencies.get(currency_id)
    except LookupError:
        abort(404, description="There is no such currency.")


def _page(form, status=200):
    return render_template("admin/pricing/currencies.html", rows=currencies.listing(),
                           form=form, shop=shop_currency().upper(),
                           rate_text=currencies.rate_text,
                           currency_name=currencies.currency_name), status


@bp.get("/currencies")
def display_currencies():
    return _page(CurrencyForm(formdata=None))


@bp.post("/currencies")
@admin_only
def display_currency_new():
    form = CurrencyForm()
    if form.validate_on_submit():
        try:
            row = currencies.add(form.code.data, form.rate.data, shop_currency(), _actor())
        except PricingError as error:
            show_error(form, error)
        else:
            flash(f"{row.code} added: 1 {shop_currency().upper()} = "
                  f"{currencies.rate_text(row.rate_e8)} {row.code}.", "success")
            return redirect(url_for("admin.display_currencies"), 303)
    return _page(form, 422)


@bp.route("/currencies/<int:currency_id>/edit", methods=["GET", "POST"])
@admin_only
def display_currency_edit(currency_id):
    row = _or_404(currency_id)
    form = RateForm(data={"rate": currencies.rate_text(row.rate_e8)})
    if form.validate_on_submit():
        try:
            currencies.set_rate(currency_id, form.rate.data, _actor())
        except PricingError as error:
            show_error(form, error)
        else:
            flash(f"{row.code}: the rate is now {currencies.rate_text(row.rate_e8)}.", "success")
            return redirect(url_for("admin.display_currencies"), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/pricing/currency_form.html", form=form, row=row,
                           shop=shop_currency().upper()), status


@bp.post("/currencies/<int:currency_id>/active")
@admin_only
def display_currency_active(currency_id):
    """The Deactivate / Activate button (active=0 or 1)."""
    _or_404(currency_id)
    active = request.form.get("active", "") in ("1", "true", "on", "yes")
    row = currencies.set_active(currency_id, active, _actor())
    flash(f"{row.code} is {'offered to shoppers again' if active else 'no longer offered'}.",
          "success")
    return redirect(url_for("admin.display_currencies"), 303)
