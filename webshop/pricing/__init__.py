"""The pricing pipeline: the one place where a cart's or an order's amounts are made.

    quote(lines, country=None, shipping_method=None, *, line_discounts=None,
          free_shipping=False, gift_card_balance=0) -> Quote

`lines` are cart.Line objects (anything with variant_id, line_total, currency,
quantity, tax_class and weight_grams). Steps, in order:
1. subtotal: the lines' gross (VAT-inclusive) amounts;
2. discounts: `line_discounts` {variant_id: minor units off that line's gross}, each
   capped at its line (the promotions package decides them);
3. shipping: the method of the destination's zone, priced for the discounted goods and
   their weight; 0 with `free_shipping`. A method the zone does not offer raises
   ShippingNotOffered (a ValidationError on the `shipping_method` field);
4. VAT per rate on what is actually paid (lines after discounts, shipping at the
   standard rate), see pricing.tax;
5. total = subtotal - discount + shipping; a gift card pays min(balance, total), and
   amount_due (what Stripe charges) is the rest. A gift card is a means of payment:
   it does not lower the VAT.
No country: the shop's home country (SHOP_COUNTRY) for VAT and for the methods shown.
Reads the pricing tables from the cache (no SQL when warm); writes nothing.
"""
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from flask_babel import gettext

from webshop.pricing import shipping as _shipping
from webshop.pricing import tables as _tables
from webshop.pricing import tax as _tax
from webshop.pricing.countries import country_name
from webshop.pricing.shipping import ShippingOption
from webshop.validation import ValidationError

__all__ = ["LineTax", "PricingError", "Quote", "ShippingNotOffered", "ShippingOption",
           "TaxLine", "country_name", "quote", "shipping_countries", "ships_to"]


class PricingError(ValidationError):
    """The amounts cannot be made as asked; str(error) is for the shopper."""


class ShippingNotOffered(PricingError):
    pass


@dataclass(frozen=True)
class TaxLine:
    """One VAT rate's share: gross = net + tax."""
    rate_bp: int
    label: str
    net: int
    tax: int
    gross: int

    @property
    def rate_text(self):
        return _tax.rate_text(self.rate_bp)


@dataclass(frozen=True)
class LineTax:
    """A cart line as priced: its discount, tax class, rate and the VAT it includes."""
    variant_id: int
    tax_class: str
    rate_bp: int
    gross: int
    discount: int
    tax: int


@dataclass(frozen=True)
class Quote:
    subtotal: int
    discount: int
    shipping: int
    tax: int
    tax_lines: tuple
    total: int
    gift_card: int
    amount_due: int
    currency: str
    country: Optional[str]
    shipping_method: Optional[str]
    shipping_options: tuple
    shipping_name: str = ""
    tax_country: str = ""
    line_taxes: tuple = ()

    def option(self, code):
        return next((o for o in self.shipping_options if o.code == code), None)


def quote(lines, country=None, shipping_method=None, *, line_discounts=None,
          free_shipping=False, gift_card_balance=0):
    tables = _tables.current()
    currency = lines[0].currency if lines else current_app.config["SHOP_CURRENCY"]
    destination = country or current_app.config["SHOP_COUNTRY"]
    tax_country = _tax.tax_country(country)
    line_discounts = line_discounts or {}
    subtotal = sum(line.line_total for line in lines)
    discounts = [min(max(int(line_discounts.get(line.variant_id, 0)), 0), line.line_total)
                 for line in lines]
    discount = sum(discounts)
    goods = subtotal - discount
    weight = sum((getattr(line, "weight_grams", None) or 0) * line.quantity for line in lines)
    options = _shipping.options(tables, destination, goods, weight)
    shipping, name = 0, ""
    if lines and shipping_method:
        chosen = next((o for o in options if o.code == shipping_method), None)
        if chosen is None:
            raise _not_offered(tables, destination, options)
        shipping = 0 if free_shipping else chosen.price
        name = chosen.label
    tax_lines, line_taxes = _vat(tables, tax_country, lines, discounts, shipping)
    total = goods + shipping
    gift_card = min(max(int(gift_card_balance or 0), 0), total)
    return Quote(
        subtotal=subtotal, discount=discount, shipping=shipping,
        tax=sum(t.tax for t in tax_lines), tax_lines=tax_lines, total=total,
        gift_card=gift_card, amount_due=total - gift_card, currency=currency,
        country=country, shipping_method=shipping_method if name else None,
        shipping_options=options, shipping_name=name, tax_country=tax_country,
        line_taxes=line_taxes,
    )


def _vat(tables, country, lines, discounts, shipping):
    """(tax_lines, line_taxes): VAT rounded once per rate, apportioned to the lines."""
    priced = []  # (rate, label, gross, line or None)
    for line, line_discount in zip(lines, discounts):
        rate, label = _tax.rate_for(tables, country, getattr(line, "tax_class", "standard"))
        priced.append((rate, label, line.line_total - line_discount, line))
    if shipping:
        rate, label = _tax.rate_for(tables, country, "standard")
        priced.append((rate, label, shipping, None))
    groups = {}
    for index, (rate, label, gross, _line) in enumerate(priced):
        groups.setdefault((rate, label), []).append(index)
    taxes = [0] * len(priced)
    tax_lines = []
    for (rate, label), members in sorted(groups.items(), key=lambda g: -g[0][0]):
        gross = sum(priced[i][2] for i in members)
        group_tax = _tax.included(gross, rate)
        for i, share in zip(members, _tax.apportion(group_tax, [priced[i][2] for i in members])):
            taxes[i] = share
        if gross:
            tax_lines.append(TaxLine(rate, label, gross - group_tax, group_tax, gross))
    line_taxes = tuple(
        LineTax(line.variant_id, getattr(line, "tax_class", "standard"), rate,
                line.line_total, line.line_total - gross, taxes[i])
        for i, (rate, _label, gross, line) in enumerate(priced) if line is not None)
    return tuple(tax_lines), line_taxes


def _not_offered(tables, country, options):
    if not options:
        return ShippingNotOffered(gettext("Sorry, we do not ship to %(country)s.",
                                          country=country_name(country)), field="country")
    names = ", ".join(o.label for o in options)
    return ShippingNotOffered(
        gettext("That delivery method is not offered for %(country)s: choose one of "
                "%(names)s.", country=country_name(country), names=names),
        field="shipping_method")


def shipping_countries():
    """[(code, name)] of the countries some shipping zone covers, by name."""
    return _shipping.countries(_tables.current())


def ships_to(country):
    return country in _tables.current()["zones"]


def shipping_label(order_or_code):
    """An order's shipping method as named when it was placed; for a bare code, the
    name some zone gives it now (the code if none does)."""
    if isinstance(order_or_code, str):
        return _shipping.method_name(_tables.current(), order_or_code)
    return order_or_code.shipping_name or order_or_code.shipping_method


def rate_text(rate_bp):
    return _tax.rate_text(rate_bp)


def tables_changed():
    """Call after committing a change to rates or zones."""
    _tables.changed()
