"""The security matrix, generated from the URL map (tests/url_map.py): a route added
tomorrow is covered by every row below without touching this file.

- every POST needs the session's CSRF token (none, another session's, garbage: 400,
  with and without HX-Request), except those listed in url_map.CSRF_EXEMPT;
- every /admin route: anonymous -> the login page, customer -> 403, staff -> in (403
  where @admin_only), admin -> in;
- every parameter that names a redirect target (found by recording which views read
  `next`) refuses targets off the site;
- SQL metacharacters in every query parameter are text, not SQL (no 500; "%" and "_"
  do not match everything);
- every POST with a body over MAX_CONTENT_LENGTH answers 413 and writes nothing.
"""
import io
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_customer, make_order, make_product
from tests.helpers import HX, page
from tests.url_map import (
    CSRF_EXEMPT, Visitor, crawl_forms, make_objects, parameters_read, routes, sweep_order,
)
from webshop.models import AuditLog, Category, Order, Product, User

OPEN_REDIRECTS = [
    "//evil.example/", "https://evil.example/", "http:evil.example", "/\\evil.example",
    "\\\\evil.example", "/\t/evil.example", "/\x0b/evil.example", "javascript:alert(1)",
    " //evil.example", "/\r\nSet-Cookie: x=1", "https:/evil.example", "/\u3000/evil.example",
]


@pytest.fixture
def objects(db, settings):
    settings(RATELIMIT_ENABLED=False)
    return make_objects(db)


def writes(db):
    """What a refused request must not have changed: counts of the rows POSTs write."""
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (AuditLog, Order, Product, Category, User))


def posts(app, objects):
    return [r for r in routes(app, objects, methods=("POST",)) if not r.stripe_api]


# --- CSRF ---------------------------------------------------------------------------------------

def test_every_post_is_csrf_protected_or_listed_as_exempt(app, objects):
    for route in posts(app, objects):
        view, csrf = app.view_functions[route.endpoint], app.extensions["csrf"]
        exempt = (f"{view.__module__}.{view.__name__}" in csrf._exempt_views
                  or route.endpoint.partition(".")[0] in csrf._exempt_blueprints)
        assert exempt == (route.endpoint in CSRF_EXEMPT), str(route)


@pytest.mark.parametrize("role", [None, "admin"])
def test_every_post_without_the_sessions_csrf_token_is_400_and_changes_nothing(app, db, objects, role):
    visitor, other = Visitor(app, role), Visitor(app, None)
    before = writes(db)
    for route in posts(app, objects):
        if route.endpoint in CSRF_EXEMPT:
            continue
        for headers in ({}, HX):
            for token in (None, other.token, "garbage", visitor.token[:-2] + "xx"):
                data = {"csrf_token": token} if token else {}
                sent = {**headers, **({"X-CSRFToken": token} if token and headers else {})}
                response = visitor.send(route, data, headers=sent, token=False)
                assert response.status_code == 400, (str(route), headers, token, response.status_code)
    assert writes(db) == before


def test_the_stripe_sandbox_api_takes_no_cookie_authority(app, objects):
    """Its POSTs are CSRF-exempt like Stripe's: they need a bearer key instead."""
    visitor = Visitor(app, "admin")
    for route in routes(app, objects, methods=("POST", "GET")):
        if route.stripe_api:
            assert visitor.send(route, {}).status_code == 401, str(route)


# --- the admin, per role --------------------------------------------------------------------------

def admin_routes(app, objects):
    return [r for r in sweep_order(routes(app, objects)) if r.admin]


def test_the_admin_has_routes_to_check(app, objects):
    endpoints = {route.endpoint for route in admin_routes(app, objects)}
    assert {"admin.dashboard", "admin.orders", "admin.products", "admin.customers",
            "admin.staff", "admin.orders_csv", "admin.order_refund"} <= endpoints


@pytest.mark.parametrize("headers", [{}, HX])
def test_anonymous_visitors_are_sent_to_the_login_page(app, objects, headers):
    visitor = Visitor(app, None)
    for route in admin_routes(app, objects):
        response = visitor.send(route, {}, headers=headers)
        assert response.status_code == 302, (str(route), response.status_code)
        assert response.headers["Location"].startswith("/login?next="), str(route)


def test_customers_get_403_everywhere(app, objects):
    visitor = Visitor(app, "customer")
    for route in admin_routes(app, objects):
        assert visitor.send(route, {}).status_code == 403, str(route)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_get_in_where_their_role_may(app, objects, role):
    visitor = Visitor(app, role)
    for route in admin_routes(app, objects):
        status = visitor.send(route, {}).status_code
        if role == "staff" and getattr(app.view_functions[route.endpoint], "admin_only", False):
            assert status == 403, (str(route), status)
            continue
        assert status not in (401, 403) and status < 500, (str(route), status)
        if route.method == "GET":
            assert status == 200, (str(route), status)


def test_a_deactivated_or_demoted_staff_member_is_out_at_once(app, db, objects):
    visitor = Visitor(app, "staff")
    assert visitor.client.get("/admin/orders").status_code == 200
    user = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    user.role = "customer"
    db.session.commit()
    assert visitor.client.get("/admin/orders").status_code == 403
    user.role, user.active = "staff", False
    db.session.commit()
    assert visitor.client.get("/admin/orders").status_code == 302


# --- open redirects -------------------------------------------------------------------------------

def stays_on_site(location):
    parts = urlsplit(location)
    return (parts.scheme in ("", "http") and parts.netloc in ("", "localhost")
            and not location.startswith(("//", "/\\")) and location.isprintable()
            and "\\" not in location and not any(c.isspace() for c in location))


def with_query(route, **args):
    return route.__class__(route.endpoint, route.method, f"{route.url}?{urlencode(args)}")


@pytest.mark.parametrize("role", [None, "admin"])
def test_no_redirect_target_leaves_the_site(app, objects, role):
    crawler = Visitor(app, role)
    reach = [r for r in routes(app, objects) if not r.stripe_api and (role or not r.admin)]
    forms = crawl_forms(crawler, [r for r in reach if r.method == "GET"])
    checked = set()
    for route in sweep_order(reach):
        visitor = Visitor(app, role)
        form = forms.get(route.path, {}) if route.method == "POST" else {}
        if "next" not in parameters_read(app, lambda: visitor.send(route, form)):
            continue
        checked.add(route.endpoint)
        for target in OPEN_REDIRECTS:
            answers = [visitor.send(route, {**form, "next": target})]  # GET: query; POST: form
            if route.method == "POST":  # and as ?next= of the page the form was posted to
                answers.append(visitor.send(with_query(route, next=target), form))
            for response in answers:
                location = response.headers.get("Location", "")
                assert response.status_code < 500 and stays_on_site(location), (
                    str(route), target, response.status_code, location)
    expected = {"shop.cart_add"}  # login reads it once the password is right: see below
    if role == "admin":
        expected |= {"admin.product_active", "admin.staff_role", "admin.variant_stock"}
    assert expected <= checked


def test_logging_in_never_sends_the_browser_off_the_site(app, objects):
    Visitor(app, "customer")  # the account
    for target in OPEN_REDIRECTS:
        visitor = Visitor(app, None)
        response = visitor.client.post("/login", query_string={"next": target}, data={
            "csrf_token": visitor.token, "email": "customer@example.com",
            "password": PASSWORD})
        assert response.status_code == 303, (target, response.status_code)
        assert response.headers["Location"] == "/", (target, response.headers["Location"])
    visitor = Visitor(app, None)
    response = visitor.client.post("/login?next=/cart", data={
        "csrf_token": visitor.token, "email": "customer@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/cart"  # a path of the shop is fine


# --- SQL metacharacters ---------------------------------------------------------------------------

SQL = ["'", "' OR '1'='1", "\"; DROP TABLE users; --", "%", "_", "\\", "%' --", "1; SELECT pg_sleep(5)",
       "' UNION SELECT email, password_hash FROM users --", "*", ":*", "&|!()"]


@pytest.mark.parametrize("role", [None, "admin"])
def test_sql_metacharacters_in_every_query_parameter_are_only_text(app, db, objects, role):
    visitor = Visitor(app, role)
    before = writes(db)
    for route in routes(app, objects, methods=("GET",)):
        if route.stripe_api or (route.admin and not role):
            continue
        for name in parameters_read(app, lambda: visitor.send(route, {})) or ["q"]:
            for value in SQL:
                response = visitor.send(route, {name: value})
                assert response.status_code < 500, (str(route), name, value)
                assert "$argon2" not in page(response), (str(route), name, value)
    assert writes(db)[-1] == before[-1]  # no user row went anywhere


def test_like_wildcards_match_themselves_not_everything(staff, db):
    make_product("Teapot")
    make_order(email="ada@example.com")
    make_customer("Ada", "ada@example.com")
    # The shop's search reads words only ("%" is none: the whole catalogue, as for no search).
    assert "Teapot" not in page(staff.get("/products?q=tea%25pot"))
    assert "Teapot" not in page(staff.get("/admin/products?q=%25"))
    assert "Teapot" not in page(staff.get("/admin/products?q=t_apot"))
    assert "ada@example.com" not in page(staff.get("/admin/orders?q=%25"))
    assert "ada@example.com" not in page(staff.get("/admin/orders?q=_"))
    assert "ada@example.com" not in page(staff.get("/admin/customers?q=%25"))
    assert "ada@example.com" in page(staff.get("/admin/customers?q=ada"))


# --- oversized bodies ------------------------------------------------------------------------------

def test_every_post_with_an_oversized_body_is_413_and_writes_nothing(app, db, objects, settings):
    visitor = Visitor(app, "admin")
    settings(MAX_CONTENT_LENGTH=16 * 1024)
    before = writes(db)
    body = "x" * (32 * 1024)
    for route in routes(app, objects, methods=("POST",)):
        form = visitor.send(route, {"name": body, "q": body})
        assert form.status_code == 413, (str(route), "form", form.status_code)
        raw = visitor.client.post(route.url, data=body.encode(), content_type="application/json")
        assert raw.status_code == 413, (str(route), "json", raw.status_code)
        upload = visitor.client.post(route.url, content_type="multipart/form-data", data={
            "csrf_token": visitor.token, "image": (io.BytesIO(body.encode()), "a.png")})
        assert upload.status_code == 413, (str(route), "multipart", upload.status_code)
    assert writes(db) == before
