"""Shipping: which methods a country's zone offers, and what each costs for a cart.

A method's price comes from its rate bands: the band with the highest minimum the cart
reaches applies (the goods' value after discounts for `value` methods, the total weight
in grams for `weight` methods; `flat` and `free_over` use their one band). A method is
free from its `free_over` value (0: never). A method whose bands the cart does not
reach (a weight band starting above the cart's weight) is not offered.
"""
import unicodedata
from dataclasses import dataclass

from webshop.pricing.countries import country_name


@dataclass(frozen=True)
class ShippingOption:
    code: str
    label: str
    price: int
    kind: str = "flat"
    free_over: int = 0


def methods_for(tables, country):
    """The method dicts of the country's zone (none if no zone ships there)."""
    zone_id = tables["zones"].get(country)
    return tables["methods"].get(zone_id, []) if zone_id is not None else []


def price_of(method, goods_value, weight_grams):
    """What the method costs for these goods, or None if it does not apply to them."""
    if method["free_over"] and goods_value >= method["free_over"]:
        return 0
    measure = weight_grams if method["kind"] == "weight" else goods_value
    if method["kind"] in ("flat", "free_over"):
        measure = 0
    price = None
    for minimum, band_price in method["bands"]:
        if minimum <= measure:
            price = band_price
    return price


def options(tables, country, goods_value, weight_grams):
    """Every method offered to the country with its price for these goods, in order."""
    offered = []
    for method in methods_for(tables, country):
        price = price_of(method, goods_value, weight_grams)
        if price is not None:
            offered.append(ShippingOption(method["code"], method["name"], price,
                                          method["kind"], method["free_over"]))
    return tuple(offered)


def countries(tables):
    """[(code, name)] of every country some zone ships to, by name in the current
    language ("Österreich" among the O's: accents do not count)."""
    return sorted(((code, country_name(code)) for code in tables["zones"]),
                  key=lambda item: _sort_key(item[1]))


def _sort_key(name):
    return "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).casefold()


def method_name(tables, code):
    """A method's name for people, by its code (any zone's); the code if none has it."""
    for methods in tables["methods"].values():
        for method in methods:
            if method["code"] == code:
                return method["name"]
    return code
