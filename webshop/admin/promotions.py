"""Admin: discount codes (/admin/discounts) and gift cards (/admin/gift-cards).

Staff may look; only admins create, edit, issue and deactivate (@admin_only). Routes
parse the form, call one webshop.promotions.staff function with the acting user, and
render: 422 when a form has errors, 303 after a successful POST.
"""
from datetime import datetime, time, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, EmailField, IntegerField, SelectField, SelectMultipleField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from webshop.admin.blueprint import admin_only, bp
from webshop.admin.product_forms import MoneyField, parse_money, shop_currency
from webshop.extensions import db
from webshop.models import Category
from webshop.money import decimal_amount
from webshop.promotions import PromotionError, describe, masked, staff as promo
from webshop.validation import MAX_INT
from webshop.web.forms import show_error

KINDS = [("percent", "Percent off"), ("fixed", "Fixed amount off"),
         ("free_shipping", "Free shipping")]
COUNT = [Optional(), NumberRange(min=1, max=MAX_INT, message="Enter a whole number from 1.")]


class DiscountForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=40)])
    description = StringField("Description (staff only)", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=KINDS, validators=[InputRequired()])
    value = StringField("Value (percent, or amount off)", validators=[Optional(), Length(max=20)])
    category_ids = SelectMultipleField("Only these categories", coerce=int, validate_choice=True)
    product_slugs = StringField("Only these products (slugs, comma-separated)",
                                validators=[Optional(), Length(max=2000)])
    min_spend = MoneyField("Minimum spend")
    starts_on = DateField("Valid from", validators=[Optional()])
    ends_on = DateField("Valid until (inclusive)", validators=[Optional()])
    max_uses = IntegerField("Total uses", validators=COUNT)
    max_uses_per_customer = IntegerField("Uses per customer", validators=COUNT)
    active = BooleanField("Active", default=True)

    def code_input(self):
        """The form as promotions.staff.CodeInput; PromotionError for a bad value."""
        kind, raw = self.kind.data, (self.value.data or "").strip()
        value = 0
        if kind == "percent":
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
                raise PromotionError("Enter the percentage as a whole number, e.g. 10.", "value")
            value = int(raw)
        elif kind == "fixed":
            try:
                value = parse_money(raw, shop_currency())
            except ValueError as error:
                raise PromotionError(str(error).replace("price", "amount"), "value") from None
        return promo.CodeInput(
            code=self.code.data, kind=kind, value=value, description=self.description.data or "",
            category_ids=tuple(self.category_ids.data or ()),
            product_slugs=tuple((self.product_slugs.data or "").split(",")),
            min_spend=self.min_spend.data or 0,
            starts_at=_day(self.starts_on.data, time.min), ends_at=_day(self.ends_on.data, time.max),
            max_uses=self.max_uses.data, max_uses_per_customer=self.max_uses_per_customer.data,
            active=self.active.data)


def _day(day, at):
    return datetime.combine(day, at, tzinfo=timezone.utc) if day else None


def _discount_form(code=None):
    if code is None:
        form = DiscountForm()
    elif request.method != "POST":
        form = DiscountForm(formdata=None, data={
            "code": code.code, "description": code.description, "kind": code.kind,
            "value": (str(code.value) if code.kind == "percent" else
                      decimal_amount(code.value, code.currency) if code.kind == "fixed" else ""),
            "category_ids": code.category_ids, "product_slugs": ", ".join(promo.product_slugs(code)),
            "min_spend": code.min_spend, "starts_on": code.starts_at and code.starts_at.date(),
            "ends_on": code.ends_at and code.ends_at.date(), "max_uses": code.max_uses,
            "max_uses_per_customer": code.max_uses_per_customer, "active": code.active})
    else:
        form = DiscountForm()
    form.category_ids.choices = [(c.id, c.name) for c in db.session.scalars(
        db.select(Category).order_by(Category.position, Category.name))]
    return form


@bp.get("/discounts")
def discounts():
    return render_template("admin/promotions/discounts.html", codes=promo.discount_codes(),
                           describe=describe)


@bp.route("/discounts/new", methods=["GET", "POST"])
@admin_only
def discount_new():
    form = _discount_form()
    if form.validate_on_submit():
        try:
            code = promo.create_code(form.code_input(), actor=current_user._get_current_object())
        except PromotionError as error:
            show_error(form, error)
        else:
            flash(f"Code {code.code} was created.", "success")
            return redirect(url_for("admin.discounts"), 303)
    return _form_page(form, None)


@bp.route("/discounts/<int:code_id>/edit", methods=["GET", "POST"])
@admin_only
def discount_edit(code_id):
    code = _code_or_404(code_id)
    form = _discount_form(code)
    if form.validate_on_submit():
        try:
            code = promo.update_code(code_id, form.code_input(),
                                     actor=current_user._get_current_object())
        except PromotionError as error:
            show_error(form, error)
        else:
            flash(f"Code {code.code} was saved.", "success")
            return redirect(url_for("admin.discounts"), 303)
    return _form_page(form, code)


def _form_page(form, code):
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/promotions/discount_form.html", form=form, code=code), status


@bp.post("/discounts/<int:code_id>/active")
@admin_only
def discount_active(code_id):
    try:
        code = promo.set_code_active(code_id, _active(),
                                     actor=current_user._get_current_object())
    except LookupError:
        abort(404, description="There is no such code.")
    flash(f"Code {code.code} is {'active' if code.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.discounts"), 303)


def _code_or_404(code_id):
    try:
        return promo.discount_code(code_id)
    except LookupError:
        abort(404, description="There is no such code.")


def _active():
    """The activate/deactivate buttons' value."""
    return request.form.get("active", "") in ("1", "true", "on", "yes")


class GiftCardForm(FlaskForm):
    amount = MoneyField("Amount", validators=[InputRequired()])
    email = EmailField("Send it to (optional)", validators=[Optional(), Email(), Length(max=254)])
    note = StringField("Note (staff only)", validators=[Optional(), Length(max=200)])


@bp.get("/gift-cards")
def gift_cards():
    return _cards_page(GiftCardForm(formdata=None))


def _cards_page(form, status=200):
    return render_template("admin/promotions/gift_cards.html", cards=promo.gift_cards(),
                           form=form, masked=masked), status


@bp.post("/gift-cards")
@admin_only
def gift_card_issue():
    form = GiftCardForm()
    if form.validate_on_submit():
        try:
            card = promo.issue_card(form.amount.data, form.email.data or "",
                                    actor=current_user._get_current_object(),
                                    note=form.note.data or "")
        except PromotionError as error:
            show_error(form, error)
        else:
            flash(f"Gift card ending {card.code[-4:]} was issued.", "success")
            return redirect(url_for("admin.gift_card_detail", card_id=card.id), 303)
    return _cards_page(form, status=422)


@bp.get("/gift-cards/<int:card_id>")
def gift_card_detail(card_id):
    try:
        card = promo.gift_card(card_id)
    except LookupError:
        abort(404, description="There is no such gift card.")
    return render_template("admin/promotions/gift_card.html", card=card, masked=masked)


@bp.post("/gift-cards/<int:card_id>/active")
@admin_only
def gift_card_active(card_id):
    try:
        card = promo.set_card_active(card_id, _active(),
                                     actor=current_user._get_current_object())
    except LookupError:
        abort(404, description="There is no such gift card.")
    flash(f"Gift card ending {card.code[-4:]} is {'active' if card.active else 'deactivated'}.",
          "success")
    return redirect(url_for("admin.gift_card_detail", card_id=card.id), 303)
