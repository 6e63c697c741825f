"""Admin: VAT rates (/admin/tax-rates) and shipping zones with their methods and rate
bands (/admin/shipping-zones). Staff may look; only admins change them (@admin_only).
Routes parse the form, call one webshop.pricing.staff function with the acting user,
and render: 422 when a form has errors, 303 after a successful POST."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webshop.admin.blueprint import admin_only, bp
from webshop.admin.product_forms import shop_currency
from webshop.money import decimal_amount
from webshop.models import TAX_CLASSES, ShippingMethod, ShippingZone, TaxRate
from webshop.pricing import PricingError
from webshop.pricing import staff as pricing_staff
from webshop.pricing.countries import COUNTRY_NAMES, country_name
from webshop.web.forms import show_error

COUNTRIES = sorted(COUNTRY_NAMES.items(), key=lambda item: item[1])


class TaxRateForm(FlaskForm):
    country = SelectField("Country", choices=[("", "Choose a country")] + COUNTRIES,
                          validators=[InputRequired()])
    tax_class = SelectField("Tax class", choices=[(c, c.capitalize()) for c in TAX_CLASSES],
                            validators=[InputRequired()])
    rate = StringField("Rate (%)", validators=[InputRequired(), Length(max=10)])
    label = StringField("Label", validators=[Optional(), Length(max=40)])


class ZoneForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=80)])
    countries = SelectMultipleField("Countries", choices=COUNTRIES)


class MethodForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=20)])
    name = StringField("Name shoppers read", validators=[InputRequired(), Length(max=120)])
    kind = SelectField("Priced", choices=list(pricing_staff.KIND_LABELS.items()))
    free_over = StringField("Free from an order value of (optional)",
                            validators=[Optional(), Length(max=20)])
    bands = TextAreaField("Price, or bands (from: price; ...; weights in grams)",
                          validators=[InputRequired(), Length(max=2000)])


def _actor():
    return current_user._get_current_object()


def _or_404(model, id_):
    try:
        return pricing_staff.get(model, id_)
    except LookupError:
        abort(404, description="There is no such entry.")


# --- VAT rates -----------------------------------------------------------------------------

@bp.get("/tax-rates")
def tax_rates():
    return _rates_page(TaxRateForm(formdata=None))


def _rates_page(form, status=200):
    return render_template("admin/pricing/tax_rates.html", rates=pricing_staff.tax_rates(),
                           form=form, country_name=country_name), status


@bp.post("/tax-rates")
@admin_only
def tax_rate_new():
    form = TaxRateForm()
    if _save_rate(form, None):
        return redirect(url_for("admin.tax_rates"), 303)
    return _rates_page(form, 422)


@bp.route("/tax-rates/<int:rate_id>/edit", methods=["GET", "POST"])
@admin_only
def tax_rate_edit(rate_id):
    rate = _or_404(TaxRate, rate_id)
    form = TaxRateForm(data={"country": rate.country, "tax_class": rate.tax_class,
                             "rate": pricing_staff.rate_text(rate.rate_bp).rstrip(" %"),
                             "label": rate.label})
    if form.is_submitted() and _save_rate(form, rate_id):
        return redirect(url_for("admin.tax_rates"), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/pricing/tax_rate_form.html", form=form, rate=rate), status


def _save_rate(form, rate_id):
    if not form.validate_on_submit():
        return False
    try:
        rate = pricing_staff.save_tax_rate(rate_id, form.country.data, form.tax_class.data,
                                           form.rate.data, form.label.data, _actor())
    except PricingError as error:
        show_error(form, error)
        return False
    flash(f"{country_name(rate.country)}: {rate.tax_class} rate "
          f"{pricing_staff.rate_text(rate.rate_bp)} saved.", "success")
    return True


@bp.post("/tax-rates/<int:rate_id>/delete")
@admin_only
def tax_rate_delete(rate_id):
    _or_404(TaxRate, rate_id)
    rate = pricing_staff.delete_tax_rate(rate_id, _actor())
    flash(f"{country_name(rate.country)}: the {rate.tax_class} rate was deleted.", "success")
    return redirect(url_for("admin.tax_rates"), 303)


# --- shipping zones ------------------------------------------------------------------------

@bp.get("/shipping-zones")
def shipping_zones():
    return _zones_page(ZoneForm(formdata=None))


def _zones_page(form, status=200):
    return render_template("admin/pricing/shipping_zones.html", zones=pricing_staff.zones(),
                           form=form, country_name=country_name,
                           kinds=pricing_staff.KIND_LABELS,
                           bands_text=pricing_staff.bands_text, currency=shop_currency()), status


@bp.post("/shipping-zones")
@admin_only
def shipping_zone_new():
    form = ZoneForm()
    zone = _save_zone(form, None)
    if zone is not None:
        return redirect(url_for("admin.shipping_zone", zone_id=zone.id), 303)
    return _zones_page(form, 422)


@bp.get("/shipping-zones/<int:zone_id>")
def shipping_zone(zone_id):
    zone = _zone_or_404(zone_id)
    return _zone_page(zone, _zone_form(zone), MethodForm(formdata=None))


def _zone_or_404(zone_id):
    try:
        return pricing_staff.zone(zone_id)
    except LookupError:
        abort(404, description="There is no such zone.")


@bp.post("/shipping-zones/<int:zone_id>")
@admin_only
def shipping_zone_save(zone_id):
    zone = _zone_or_404(zone_id)
    form = ZoneForm()
    if _save_zone(form, zone_id) is not None:
        return redirect(url_for("admin.shipping_zone", zone_id=zone_id), 303)
    return _zone_page(zone, form, MethodForm(formdata=None))


def _zone_form(zone):
    return ZoneForm(formdata=None, data={"name": zone["name"], "countries": zone["countries"]})


def _zone_page(zone, form, method_form):
    status = 422 if (form.errors or form.form_errors or method_form.errors
                     or method_form.form_errors) else 200
    return render_template("admin/pricing/shipping_zone.html", zone=zone, form=form,
                           method_form=method_form, country_name=country_name,
                           kinds=pricing_staff.KIND_LABELS, bands_text=pricing_staff.bands_text,
                           currency=shop_currency()), status


def _save_zone(form, zone_id):
    if not form.validate_on_submit():
        return None
    try:
        zone = pricing_staff.save_zone(zone_id, form.name.data, form.countries.data, _actor())
    except PricingError as error:
        show_error(form, error)
        return None
    flash(f"Zone {zone.name} saved.", "success")
    return zone


@bp.post("/shipping-zones/<int:zone_id>/delete")
@admin_only
def shipping_zone_delete(zone_id):
    _or_404(ShippingZone, zone_id)
    zone = pricing_staff.delete_zone(zone_id, _actor())
    flash(f"Zone {zone.name} was deleted with its methods.", "success")
    return redirect(url_for("admin.shipping_zones"), 303)


@bp.post("/shipping-zones/<int:zone_id>/methods")
@admin_only
def shipping_method_new(zone_id):
    zone = _zone_or_404(zone_id)
    form = MethodForm()
    if _save_method(form, zone_id, None):
        return redirect(url_for("admin.shipping_zone", zone_id=zone_id), 303)
    return _zone_page(zone, _zone_form(zone), form)


@bp.route("/shipping-methods/<int:method_id>/edit", methods=["GET", "POST"])
@admin_only
def shipping_method_edit(method_id):
    method = _or_404(ShippingMethod, method_id)
    currency = shop_currency()
    form = MethodForm(data={**pricing_staff.method_dict(method, currency),
                            "free_over": decimal_amount(method.free_over, currency)
                            if method.free_over else ""})
    if form.is_submitted() and _save_method(form, method.zone_id, method_id):
        return redirect(url_for("admin.shipping_zone", zone_id=method.zone_id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/pricing/shipping_method_form.html", form=form,
                           method=method), status


def _save_method(form, zone_id, method_id):
    if not form.validate_on_submit():
        return False
    data = pricing_staff.MethodInput(form.code.data, form.name.data, form.kind.data,
                                     form.free_over.data or "", form.bands.data)
    try:
        method = pricing_staff.save_method(zone_id, method_id, data, shop_currency(), _actor())
    except PricingError as error:
        show_error(form, error)
        return False
    flash(f"Method {method.name} saved.", "success")
    return True


@bp.post("/shipping-methods/<int:method_id>/delete")
@admin_only
def shipping_method_delete(method_id):
    method = _or_404(ShippingMethod, method_id)
    zone_id = method.zone_id
    pricing_staff.delete_method(method_id, _actor(), shop_currency())
    flash("The method was deleted.", "success")
    return redirect(url_for("admin.shipping_zone", zone_id=zone_id), 303)
