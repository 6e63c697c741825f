"""The shopper's choice of variant, one option at a time (Size, then Colour, ...).

A product page shows one control per option; a choice is the option values picked
({"Size": "M", "Colour": "Blue"}) and resolves to at most one variant. This module owns
that resolution and what each control offers (which values exist together with the
other picks, which are sold out), so templates only print what it says. Plain values in,
plain values out: it reads a catalog.ProductView (or, for a posted form, loads one) and
never the request.
"""
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import select

from webshop import catalog
from webshop.i18n import _N
from webshop.extensions import db
from webshop.models import Product, ProductVariant

FIELD_PREFIX = "option-"  # the form field of option "Size" is "option-Size"
NOT_OFFERED = _N("That combination is not available. Please choose another.")


@dataclass(frozen=True)
class OptionValue:
    value: str
    selected: bool
    offered: bool  # some variant has this value together with the other picks
    in_stock: bool  # ... and it can be bought now
    image: str = None  # for colour swatches: the picture of that variant, if any


@dataclass(frozen=True)
class OptionGroup:
    name: str
    field: str
    values: tuple

    @property
    def kind(self):
        """How the page draws it: colour swatches, or buttons with the value's name."""
        return "swatches" if self.name.lower() in ("colour", "color") else "buttons"


def field_name(option_name):
    return f"{FIELD_PREFIX}{option_name}"


def picks_from(args, option_names):
    """The option values a form or query string names, e.g. {"Size": "M"}; others ignored."""
    picks = {}
    for name in option_names:
        value = (args.get(field_name(name)) or "").strip()[:100]
        if value:
            picks[name] = value
    return picks


def variant_for(product, picks):
    """The variant whose option values are exactly the picks (every option named), or None."""
    if set(picks) != set(product.option_names):
        return None
    return next((v for v in product.variants if v.option_values == picks), None)


def choose(product, picks, fallback):
    """(variant to show, message): the picked combination, or the fallback variant with a
    message when the picks name a combination no variant has. Partial picks (one option
    changed on a page without the others) keep the fallback's other values."""
    if not picks:
        return fallback, None
    merged = {**(fallback.option_values or {}), **picks}
    variant = variant_for(product, merged)
    if variant is None:
        return fallback, gettext(NOT_OFFERED)
    return variant, None


def option_groups(product, variant):
    """One OptionGroup per option of a product with several variants ([] otherwise).

    A value is offered when a variant has it together with the current variant's values
    for the other options, and in stock when that variant has stock."""
    if len(product.variants) < 2:
        return []
    current = variant.option_values or {}
    groups = []
    for name in product.option_names:
        values = []
        for value in _values_in_order(product, name):
            target = variant_for(product, {**current, name: value})
            values.append(OptionValue(
                value=value, selected=current.get(name) == value,
                offered=target is not None, in_stock=bool(target and target.stock > 0),
                image=target.image if target else None,
            ))
        groups.append(OptionGroup(name, field_name(name), tuple(values)))
    return groups


def _values_in_order(product, name):
    seen = []
    for v in product.variants:
        value = (v.option_values or {}).get(name)
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def gallery(product, variant):
    """The product's images with the variant's own picture first (the main image)."""
    images = list(product.images)
    if variant.image:
        images.sort(key=lambda image: image.filename != variant.image)
    return images


def posted_choice(variant_id, form):
    """(variant id, message) for an add-to-cart: a form without script may post option
    picks that differ from its variant_id (the shopper chose, then pressed Add), and the
    picks are what the shopper saw checked. message is set when they name no variant.
    Forms without picks (outside clients, one-variant products) keep their variant_id."""
    if variant_id is None or not any(key.startswith(FIELD_PREFIX) for key in form):
        return variant_id, None
    slug = db.session.scalar(select(Product.slug).join(ProductVariant)
                             .where(ProductVariant.id == variant_id))
    product = catalog.get_product(slug) if slug else None
    if product is None:
        return variant_id, None  # the cart says the product is gone
    fallback = next(v for v in product.variants if v.id == variant_id)
    variant, message = choose(product, picks_from(form, product.option_names), fallback)
    return (None, message) if message else (variant.id, None)
