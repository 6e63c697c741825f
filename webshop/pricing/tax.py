"""VAT: which rate applies where, and how much of a VAT-inclusive amount is VAT.

Prices are entered and shown including VAT (the EU convention for consumers). The rate
is the destination country's (the EU's distance-selling rule) unless the shop charges
its home rate everywhere (TAX_DESTINATION_BASED=0, for merchants below the EU's
10,000 EUR threshold). Where a country has no rate for a class (Denmark has no reduced
rate), the country's standard rate applies; the zero class is always 0 %.

Rounding: the VAT inside a gross amount is gross * rate / (10000 + rate) (rates in basis
points), rounded half up to a minor unit once per rate (the invoice's breakdown); each
line's share of its rate's VAT is then apportioned by the largest remainder, so the
lines add up exactly to the breakdown. Shipping carries the destination's standard
rate (a simplification: strictly, mixed-rate orders split shipping by the goods' rates).
"""
from decimal import Decimal

from babel.numbers import format_decimal
from flask import current_app

from webshop import i18n
from webshop.i18n import _N

ZERO = (0, _N("Zero"))  # labels are msgids: a document shows them translated


def tax_country(destination):
    """The country whose VAT applies to goods sent to `destination` (None: not known yet)."""
    home = current_app.config["SHOP_COUNTRY"]
    if destination and current_app.config["TAX_DESTINATION_BASED"]:
        return destination
    return home


def rate_for(tables, country, tax_class):
    """(rate_bp, label) for a tax class in a country."""
    if tax_class == "zero":
        return ZERO
    rates = tables["rates"].get(country) or {}
    return rates.get(tax_class) or rates.get("standard") or ZERO


def included(gross, rate_bp):
    """The VAT inside a VAT-inclusive amount, rounded half up to a minor unit."""
    if gross <= 0 or rate_bp <= 0:
        return 0
    divisor = 10000 + rate_bp
    return (gross * rate_bp * 2 + divisor) // (divisor * 2)


def apportion(total, weights):
    """Split `total` over `weights` in proportion, in whole units that add up exactly
    (largest remainder first; ties go to the earlier)."""
    whole = sum(weights)
    if whole <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def rate_text(rate_bp):
    """19 %, 5.5 %, 25.5 %: a rate for people, in the current language (German writes
    "5,5 %"; the no-break space keeps the sign with its number)."""
    language = i18n.current()
    number = format_decimal(Decimal(rate_bp).scaleb(-2), format="#,##0.##", locale=language)
    return f"{number} %" if language == i18n.DEFAULT else f"{number}\u00a0%"
