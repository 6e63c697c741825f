"""Jinja filters and globals, and the per-request slots of cacheable pages.

Pages are rendered the same for every shopper so that they can be cached whole; the
few per-shopper values (CSRF token, cart count, flashed messages) are written as slots
and filled in after the view, in one pass over the HTML.
"""
from datetime import timezone

from flask import get_flashed_messages, render_template, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from webshop import cart, catalog, media
from webshop.models.base import as_utc
from webshop.orders.disputes import DISPUTE_OPEN
from webshop.money import format_money

def media_url(filename, thumb=False):
    """URL of an uploaded or generated image; `thumb` picks its small rendition."""
    if thumb:
        filename = media.thumbnail_name(filename)
    return url_for("shop.media", filename=filename)


def render_cached(key_parts, template, load_context):
    """A rendered fragment through the catalogue's cache; load_context() runs only on a miss."""
    return Markup(catalog.cached(key_parts, lambda: render_template(template, **load_context())))


def category_nav():
    """The header's category links, rendered once per catalogue version."""
    return render_cached(("nav",), "shop/_category_nav.html",
                         lambda: {"categories": catalog.categories()})


CSRF_SLOT = "__CSRF_TOKEN__"
CART_COUNT_SLOT = "__CART_COUNT__"
FLASHES_SLOT = "<!--flashes-->"


def fill_slots(response):
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    html = response.get_data(as_text=True)
    if "__" not in html and FLASHES_SLOT not in html:
        return response
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, generate_csrf())
    if CART_COUNT_SLOT in html:
        html = html.replace(CART_COUNT_SLOT, str(session.get("cart_count", 0)))
    if FLASHES_SLOT in html:
        messages = get_flashed_messages(with_categories=True) if "_flashes" in session else []
        html = html.replace(
            FLASHES_SLOT, render_template("_flashes.html", messages=messages) if messages else ""
        )
    response.set_data(html)
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
    app.jinja_env.globals["shipping_label"] = cart.shipping_label
    app.jinja_env.globals["country_name"] = cart.country_name
    app.jinja_env.globals["shop_name"] = app.config["SHOP_NAME"]
    # Payments go to the built-in Stripe sandbox: every page says no real money is taken.
    app.jinja_env.globals["demo_payments"] = app.config["STRIPE_SANDBOX"]
    app.jinja_env.globals["dispute_open_statuses"] = DISPUTE_OPEN
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        csrf_slot=CSRF_SLOT, cart_count_slot=CART_COUNT_SLOT, flashes_slot=FLASHES_SLOT
    )
    app.after_request(fill_slots)
