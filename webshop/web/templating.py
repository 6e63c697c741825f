"""Jinja filters and globals, and the per-request slots of cacheable pages.

Pages are rendered the same for every shopper so that they can be cached whole; the
few per-shopper values (CSRF token, cart count, flashed messages) are written as slots
and filled in after the view, in one pass over the HTML.

A slot cannot be forged by what people type (a search, a product name, an address):
its marker is an HTML comment, `<!--slot:csrf:KEY-->`, written into the page raw, and
autoescaped text never contains a "<"; KEY is derived from SECRET_KEY, so not even
HTML that is not escaped could guess it. Only the exact markers are filled.
"""
import hashlib
import hmac
import re
from datetime import timezone

from flask import current_app, get_flashed_messages, render_template, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from webshop import cart, catalog, media, media_store, pricing
from webshop.models.base import as_utc
from webshop.orders.disputes import DISPUTE_OPEN
from webshop.money import format_money
from webshop.web import edge_cache
from webshop.web.template_memo import remembered_url_for

def media_url(filename, thumb=False):
    """URL of an uploaded or generated image; `thumb` picks its small rendition. Served as
    immutable (shop.media): a file's URL carries its content hash; a name stored in the
    database never changes its bytes, so its URL is the name alone (nothing to look up)."""
    if thumb:
        filename = media.thumbnail_name(filename)
    if media_store.in_database():
        return remembered_url_for("shop.media", filename=filename)
    return remembered_url_for("shop.media", filename=filename,
                              v=media.content_version(filename) or None)


def render_cached(key_parts, template, load_context):
    """A rendered fragment through the catalogue's cache; load_context() runs only on a miss."""
    return Markup(catalog.cached(key_parts, lambda: render_template(template, **load_context())))


def category_nav():
    """The header's category links, rendered once per catalogue version."""
    return render_cached(("nav",), "shop/_category_nav.html",
                         lambda: {"categories": catalog.categories()})


SLOT_PREFIX = "<!--slot:"
SLOT_NAMES = ("csrf", "cart_count", "flashes")


def slot_key(secret_key):
    """The part of every marker no visitor can guess (the same in every process that
    shares the page cache, as they share SECRET_KEY)."""
    key = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    return hmac.new(key, b"webshop page slots", hashlib.sha256).hexdigest()[:24]


def slot_markers(key):
    """{name: marker}, each marker Markup so that templates write it raw."""
    return {name: Markup(f"{SLOT_PREFIX}{name}:{key}-->") for name in SLOT_NAMES}


def _slot_values():
    """What each slot is filled with, computed only for the slots a page has (a CSRF
    token is made only for a page with a form: it writes the session)."""
    return {
        "csrf": generate_csrf,
        "cart_count": lambda: str(session.get("cart_count", 0)),
        "flashes": _flashes_html,
    }


# The page shared by every visitor without a session (webshop.web.edge_cache): no token
# (such a visitor's first add-to-cart is checked by its origin: webshop.web.first_post),
# an empty cart, no messages.
SHARED_SLOT_VALUES = {"csrf": "", "cart_count": "0", "flashes": ""}


def _fill_shared(html):
    pattern = current_app.extensions["webshop.slots"]
    return pattern.sub(lambda match: SHARED_SLOT_VALUES[match.group(1)], html)


def _flashes_html():
    messages = get_flashed_messages(with_categories=True) if "_flashes" in session else []
    return render_template("_flashes.html", messages=messages) if messages else ""


def fill_slots(response):
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    if edge_cache.is_public():
        return edge_cache.fill_shared(response, _fill_shared)
    html = response.get_data(as_text=True)
    if SLOT_PREFIX not in html:
        return response
    pattern = current_app.extensions["webshop.slots"]
    values, filled = _slot_values(), {}

    def fill(match):
        name = match.group(1)
        if name not in filled:
            filled[name] = values[name]()
        return filled[name]

    response.set_data(pattern.sub(fill, html))
    return response


def in_utc(value):
    """A stored timestamp in UTC, whatever zone the database session hands it back in."""
    return as_utc(value).astimezone(timezone.utc) if value is not None else None


def init_app(app):
    from webshop.extensions import htmx

    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["utc"] = in_utc
    app.jinja_env.globals["stock_state"] = catalog.stock_state
    app.jinja_env.globals["htmx"] = htmx
    app.jinja_env.globals["category_nav"] = category_nav
    app.jinja_env.globals["media_url"] = media_url
    app.jinja_env.globals["shipping_label"] = pricing.shipping_label
    app.jinja_env.globals["max_quantity"] = cart.max_quantity
    app.jinja_env.globals["country_name"] = pricing.country_name
    app.jinja_env.filters["vat_rate"] = pricing.rate_text
    app.jinja_env.globals["shop_name"] = app.config["SHOP_NAME"]
    # Payments go to the built-in Stripe sandbox: every page says no real money is taken.
    app.jinja_env.globals["demo_payments"] = app.config["STRIPE_SANDBOX"]
    app.jinja_env.globals["dispute_open_statuses"] = DISPUTE_OPEN
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    key = slot_key(app.config["SECRET_KEY"])
    markers = slot_markers(key)
    app.extensions["webshop.slot_key"] = key
    app.extensions["webshop.slots"] = re.compile(
        re.escape(SLOT_PREFIX) + "(" + "|".join(SLOT_NAMES) + ")" + re.escape(f":{key}-->"))
    app.jinja_env.globals.update(
        csrf_slot=markers["csrf"], cart_count_slot=markers["cart_count"],
        flashes_slot=markers["flashes"],
    )
    app.after_request(fill_slots)
