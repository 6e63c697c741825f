"""The wishlist heart on product pages and cards: a per-shopper slot in a cached page.

Catalogue pages are cached per kind of visitor (webshop.shop.catalogue.cached_page), so
every logged-in customer shares one copy: whether *this* shopper saved the product
cannot be in it. Templates write `wishlist_heart(product_id, slug)`, a marker like
webshop.web.templating's slots (an HTML comment with a key derived from SECRET_KEY, so
nothing a visitor types can forge one); after the view, each marker becomes the heart:

- for a visitor who is not logged in (and the shared edge-cached page): a link to log
  in, the same bytes for everyone, so it is written into the page when the page is
  rendered (anonymous visitors' pages are cached apart) and costs nothing per request;
- for a logged-in shopper: a form that saves or removes the product (htmx swaps the
  heart, without JavaScript it is a plain POST), filled from one query of the
  shopper's saved products, made only when the page has a heart.

This runs before templating's filler (registered after it; Flask runs after_request
functions in reverse), so the form's CSRF slot is filled by it as on any page.
"""
import hashlib
import hmac
import re

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from webshop import i18n, wishlists
from webshop.web import edge_cache
from webshop.web.template_memo import Memo, link_context

PREFIX = "<!--heart:"


def _key(app):
    secret = app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, b"webshop wishlist hearts", hashlib.sha256).hexdigest()[:24]


def _marker(kind, product_id, slug, variant_id=0):
    key = current_app.extensions["webshop.heart_key"]
    return Markup(f"{PREFIX}{key}:{kind}:{int(product_id)}:{int(variant_id)}:{slug}-->")


def wishlist_heart(product_id, slug):
    """One product's heart: for a visitor who is not logged in the login link itself (the
    same bytes for every such visitor, and their pages are cached apart), otherwise the
    marker filled per request."""
    if not current_user.is_authenticated:
        return _login_link("heart", product_id, slug)
    return _marker("heart", product_id, slug)


def back_in_stock_button(product_id, slug, variant_id):
    """A sold-out variant's "email me when it is back": a login link for a visitor who is
    not logged in (rendered into the page, as the heart is), else the marker of a form."""
    if not current_user.is_authenticated:
        return _login_link("notify", product_id, slug, variant_id)
    return _marker("notify", product_id, slug, variant_id)


# {(kind, product, variant, language, link context): the login link}: the same for every
# visitor who is not logged in, so rendered once per process (a page rendered again, the
# page cache off, asks for them every time).
_login_links = Memo(4096)


def _login_link(kind, product_id, slug, variant_id=0):
    key = (kind, product_id, slug, variant_id, i18n.locale(), link_context())
    link = _login_links.get(key)
    if link is None:
        link = _login_links.keep(key, Markup(
            render_heart(product_id, slug, False, None) if kind == "heart"
            else _render_notify(product_id, slug, variant_id, None)))
    return link


def render_heart(product_id, slug, saved, next_url):
    """The heart itself (also the htmx answer of a save or a removal)."""
    return render_template("shop/_wishlist_heart.html", product_id=product_id, slug=slug,
                           saved=saved, next_url=next_url,
                           logged_in=current_user.is_authenticated)


def _render_notify(product_id, slug, variant_id, next_url):
    return render_template("shop/_back_in_stock.html", product_id=product_id, slug=slug,
                           variant_id=variant_id, next_url=next_url,
                           logged_in=current_user.is_authenticated)


def fill_hearts(response):
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    html = response.get_data(as_text=True)
    if PREFIX not in html:
        return response
    pattern = current_app.extensions["webshop.hearts"]
    public = edge_cache.is_public()
    logged_in = current_user.is_authenticated and not public
    saved = wishlists.saved_product_ids(current_user.id) if logged_in else set()
    # Where a plain (no JavaScript) save returns to: this page; never a fragment's URL.
    next_url = request.full_path.rstrip("?") if not request.headers.get("HX-Request") else None
    filled = {}

    def fill(match):
        kind, product_id, variant_id, slug = (match.group(1), int(match.group(2)),
                                              int(match.group(3)), match.group(4))
        back = next_url or f"/products/{slug}"
        if match.group(0) not in filled:
            filled[match.group(0)] = (
                render_heart(product_id, slug, product_id in saved, back) if kind == "heart"
                else _render_notify(product_id, slug, variant_id, back))
        return filled[match.group(0)]

    response.set_data(pattern.sub(fill, html))
    return response


def init_app(app):
    key = _key(app)
    app.extensions["webshop.heart_key"] = key
    app.extensions["webshop.hearts"] = re.compile(
        re.escape(f"{PREFIX}{key}:") + r"(heart|notify):(\d+):(\d+):([A-Za-z0-9_-]{1,160})-->")
    app.jinja_env.globals["wishlist_heart"] = wishlist_heart
    app.jinja_env.globals["back_in_stock_button"] = back_in_stock_button
    app.after_request(fill_hearts)

