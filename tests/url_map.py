"""The app's routes as the security tests walk them: every rule of the URL map, with its
arguments filled in to name real objects; the forms its pages render (what a browser
would post); and the query and form parameters each view reads, found by recording what
it reads. A new route, form or parameter is covered the day it is added."""
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Request
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict

from tests.factories import PASSWORD, make_category, make_order, make_product, make_user
from tests.helpers import csrf_token, login
from webshop.extensions import db as _db
from webshop.models import (
    Cart, CartItem, Customer, DiscountCode, GiftCard, Page, ProductImage, User,
)
from webshop.models import ReturnLine, ReturnRequest, utcnow
from webshop.models import ShippingMethod, ShippingZone, TaxRate
from webshop.models import DisplayCurrency, Review

# Stripe's API as the sandbox serves it: it stands in for stripe.com (its own bearer-key
# authentication, JSON errors, no cookies), so the shop's rules for pages do not apply.
STRIPE_API = "/_sandbox/stripe/v1/"
STATIC_ENDPOINTS = ("static", "stripe_sandbox.static")
# POSTs that take no CSRF token on purpose, and what protects them instead.
CSRF_EXEMPT = {"payments.stripe_webhook": "Stripe's signature (Stripe-Signature header)",
               "shop.reminder_one_click": "the signed token in its URL (RFC 8058 one-click "
                                          "unsubscribe: it can only stop reminders)"}
NEW_PASSWORD = "a much longer passphrase 42"
# What a person would type into a field the page leaves empty, by name (or name ending).
PLAUSIBLE = {
    "email": "ada@example.com", "name": "Ada Lovelace", "line1": "1 Main Street",
    "city": "Berlin", "postal_code": "10115", "country": "DE", "shipping_method": "standard",
    "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "new_password": NEW_PASSWORD,
    "current_password": PASSWORD, "reason": "Counted again", "carrier": "DHL",
    "tracking_number": "JJD0001", "delta": "1", "quantity": "1", "-sku": "SKU-NEW",
    "-price": "12.50", "-stock": "3", "slug": "", "card_number": "4242 4242 4242 4242",
    "expiry": "12 / 34", "cvc": "123", "description": "Made by hand.", "role": "staff",
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str

    @property
    def admin(self):
        return self.endpoint.startswith("admin.")

    @property
    def stripe_api(self):
        return self.url.startswith(STRIPE_API)

    @property
    def path(self):
        return urlsplit(self.url).path

    def __str__(self):
        return f"{self.method} {self.url} ({self.endpoint})"


def routes(app, objects=None, methods=("GET", "POST")):
    """Every route of the URL map (static files aside) as (endpoint, method, url), the
    rule's arguments filled from `objects` ({argument: value}; "endpoint:argument" keys
    win), else 1 for a number and "x" for anything else."""
    objects = objects or {}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in STATIC_ENDPOINTS:
            continue
        url = rule.rule
        for name in rule.arguments:
            value = objects.get(f"{rule.endpoint}:{name}", objects.get(name))
            if value is None:
                value = 1 if "Integer" in type(rule._converters[name]).__name__ else "x"
            for pattern in (f"<{name}>", f"<int:{name}>", f"<path:{name}>", f"<string:{name}>"):
                url = url.replace(pattern, str(value))
        found += [Route(rule.endpoint, method, url) for method in methods if method in rule.methods]
    return sorted(found, key=lambda r: (r.url, r.method))


def make_objects(db):
    """One of everything the routes name: a staff user, a category, a product (plenty of
    stock) with an image, a guest's pending order with a line, a delivered order with a
    return, a customer, a cart line and a published policy page.
    Returns the values for the routes' arguments."""
    make_user("other@example.com", role="staff")
    category = make_category("Mugs")
    product = make_product("Mug", stock=100_000, category=category, image="products/mug.webp")
    order = make_order(email="guest@example.com")
    returned = make_order(email="returns@example.com", status="delivered")
    returned.dispatched_at = returned.delivered_at = utcnow()
    db.session.add(ReturnRequest(order_id=returned.id, reason="damaged", comment="",
                                 staff_note="", lines=[ReturnLine(
                                     order_item_id=returned.items[0].id, quantity=1)]))
    db.session.add(Customer(email="guest@example.com", name="Guest"))
    cart = Cart(token="objects-cart")
    cart.items.append(CartItem(variant_id=product.variants[0].id, quantity=1))
    db.session.add(cart)
    page = Page(slug="returns", title="Returns", body="Within 30 days.", published=True)
    db.session.add(page)
    code = DiscountCode(code="OBJECTS10", kind="percent", value=10, currency="EUR",
                        category_ids=[], product_ids=[])
    card = GiftCard(code="ABCDEFGHJKMNPQRS", initial_amount=1000, balance=1000, currency="EUR")
    db.session.add_all([code, card, DisplayCurrency(code="GBP", rate_e8=86_000_000)])
    db.session.flush()
    db.session.add(Review(product_id=product.id, user_id=db.session.scalar(select(User.id)),
                          rating=4, author_name="Objects", status="pending"))
    db.session.commit()
    return {
        "category_id": category.id, "product_id": product.id, "image_id": db.session.scalar(
            select(ProductImage.id)), "variant_id": product.variants[0].id,
        "order_id": order.id, "number": order.number, "item_id": cart.items[0].id,
        "customer_id": 1, "user_id": 1, "slug": product.slug,
        "shop.category_page:slug": category.slug, "filename": "products/mug.webp",
        "page_id": page.id, "shop.page:slug": page.slug, "code_id": code.id, "card_id": card.id,
        "return_id": db.session.scalar(select(ReturnRequest.id)),
        "rate_id": db.session.scalar(select(TaxRate.id).limit(1)),
        "zone_id": db.session.scalar(select(ShippingZone.id).limit(1)),
        "method_id": db.session.scalar(select(ShippingMethod.id).limit(1)),
        "review_id": db.session.scalar(select(Review.id)),
        "currency_id": db.session.scalar(select(DisplayCurrency.id)),
    }


# --- who is asking --------------------------------------------------------------------------------

class Visitor:
    """A browser of its own (a fresh test client): anonymous, or logged in with a role."""

    def __init__(self, app, role=None, email=None):
        """role: None (anonymous), customer, staff or admin; the user ({role}@example.com
        unless `email` says) is made on first use."""
        self.client, self.role = app.test_client(), role
        self.email = email or (f"{role}@example.com" if role else None)
        if role is not None:  # as made (a swept form may have changed the password)
            user = _db.session.scalar(select(User).where(User.email == self.email))
            if user is None:
                make_user(self.email, role=role)
            else:
                user.set_password(PASSWORD)
                user.role, user.active = role, True
                _db.session.commit()
        if role is not None:
            response = login(self.client, self.email)
            assert response.status_code == 303, (self.email, response.status_code)
        self.token = csrf_token(self.client, "/account" if role else "/login")  # a login rotates it

    def send(self, route, data=None, headers=None, token=True, **kwargs):
        """The route's request: GET with `data` as the query, POST with it as the form
        (plus this browser's CSRF token unless token=False). The response is closed (a
        streamed one would keep its application context)."""
        if route.method == "GET":
            response = self.client.get(route.url, query_string=data or {}, headers=headers, **kwargs)
        else:
            form = {**({"csrf_token": self.token} if token else {}), **(data or {})}
            response = self.client.post(route.url, data=form, headers=headers, **kwargs)
        response.get_data()
        response.close()
        return response


# Swept last, as they may take away what the other routes need (the order, the
# product's variants, the login).
DESTRUCTIVE = ("delete", "cancel", "logout", "product_edit", "staff_", "password", "refund")


def sweep_order(found):
    """GETs first, then POSTs, the destructive ones last."""
    return sorted(found, key=lambda r: (r.method == "POST", any(d in r.endpoint for d in DESTRUCTIVE)))


# --- the forms the pages render -------------------------------------------------------------------

class _Forms(HTMLParser):
    """{action path: {field: value}} of a page's POST forms, as a browser would send them."""

    def __init__(self, page_path):
        super().__init__()
        self.page_path, self.forms = page_path, {}
        self._fields = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "option" and self._fields is not None and self._select:
            if "selected" in a or not self._fields.get(self._select):
                self._fields[self._select] = a.get("value", "")
            return
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                action = urlsplit(a.get("action") or self.page_path).path or self.page_path
                self._fields = self.forms.setdefault(action, {})
            return
        fields, name = self._fields, a.get("name")
        if fields is None or not name:
            return
        kind = (a.get("type") or "text").lower()
        if tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a or (kind == "radio" and name not in fields):
                fields[name] = a.get("value", "on")
        elif tag == "input" and kind not in ("file", "submit", "button", "image"):
            fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, "")

    def handle_data(self, data):
        if self._fields is not None and self._textarea:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag in ("select", "textarea"):
            self._select = self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def forms_on(html, page_path):
    parser = _Forms(page_path)
    parser.feed(html)
    return parser.forms


def plausible(fields):
    """The form with every empty field filled as a person would."""
    filled = {name: value for name, value in fields.items() if not name.endswith("csrf_token")}
    for name, value in filled.items():
        if not value:
            key = next((k for k in PLAUSIBLE if name == k or (k.startswith("-") and name.endswith(k))), None)
            if key is not None:
                filled[name] = PLAUSIBLE[key]
    return filled


def crawl_forms(visitor, page_routes):
    """{action path: form data} for every POST form on the GET pages (first one wins)."""
    forms = {}
    for route in page_routes:
        response = visitor.client.get(route.url)
        if response.mimetype == "text/html":
            for action, fields in forms_on(response.get_data(as_text=True), route.path).items():
                forms.setdefault(action, plausible(fields))
    return forms


# --- what a view reads ----------------------------------------------------------------------------

class _Reads:
    names = None  # a set while recording


class RecordingDict(ImmutableMultiDict):
    """request.args / request.form that notes every key a view asks for."""

    def _note(self, key):
        if _Reads.names is not None and isinstance(key, str):
            _Reads.names.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingDict


def parameters_read(app, send):
    """The query and form parameter names read while `send()` runs (its requests)."""
    original = app.request_class
    app.request_class = RecordingRequest
    _Reads.names = set()
    try:
        send()
        return sorted(name for name in _Reads.names if name != "csrf_token")
    finally:
        _Reads.names = None
        app.request_class = original
