"""Malformed input answers 4xx with a message, never a 500: NUL characters, text that is
not UTF-8, integers beyond what the database holds, unknown choices, SQL metacharacters.

The sweeps walk the URL map (tests/url_map.py): every query and form parameter each view
reads, found by recording its reads, gets each malformed value in turn, as an admin and
as an anonymous visitor, on top of the form its page renders (so the value reaches the
code behind a valid form, not just the first validator). Hypothesis then mixes values
and parameters at random.
"""
import io

import pytest
from hypothesis import given, strategies as st

from tests.factories import make_order, make_product
from tests.fuzzing import bounded
from tests.helpers import HX, add_to_cart, checkout, csrf_token, page
from tests.url_map import (
    Visitor, crawl_forms, make_objects, parameters_read, routes, sweep_order,
)
from webshop.models import Order
from webshop.reports.orders import FilterError, OrderFilter
from webshop.web.input_guard import NUL_MESSAGE, UTF8_MESSAGE

BEYOND_64_BITS = "9" * 25
BEYOND_INT_DIGITS = "9" * 5000  # int() refuses more than 4,300 digits
MALFORMED = [BEYOND_64_BITS, BEYOND_INT_DIGITS, "-1", "١٢", "free", "x" * 3000,
             "' OR '1'='1' --", "%_\\", "9999-12-31", ""]


@pytest.fixture
def objects(db, settings):
    settings(RATELIMIT_ENABLED=False)  # the sweeps log in and post forms by the thousand
    return make_objects(db)


def reachable(app, objects, role):
    """The routes a visitor with this role can reach (the Stripe API stands apart)."""
    return [r for r in routes(app, objects) if not r.stripe_api and (role == "admin" or not r.admin)]


def with_cart(visitor, objects):
    """Checkout shows its form (and runs its code) only for a cart with something in it."""
    visitor.client.post("/cart/items", data={"csrf_token": visitor.token, "quantity": "1",
                                             "variant_id": objects["variant_id"]})


def send(visitor, route, objects, data):
    if route.endpoint == "shop.checkout" and route.method == "POST":
        with_cart(visitor, objects)
    return visitor.send(route, data)


# --- the guard: NUL and bytes that are not UTF-8, anywhere -------------------------------------

def test_a_nul_in_any_path_query_or_form_answers_400_with_a_message(app, objects):
    visitor = Visitor(app, "admin")
    for route in routes(app, objects):
        nul_path = route.__class__(route.endpoint, route.method, route.url.rstrip("/") + "%00")
        for response in (visitor.send(nul_path), visitor.send(route, {"q": "a\x00b"})
                         if route.method == "GET" else visitor.send(route, {"name": "a\x00b"})):
            assert response.status_code == 400, (str(route), response.status_code)
            if response.mimetype == "text/html":
                assert NUL_MESSAGE in page(response), str(route)


@pytest.mark.parametrize("environ", [
    {"PATH_INFO": "/products/caf\xc3"},                       # raw bytes, not UTF-8
    {"PATH_INFO": "/products", "QUERY_STRING": "q=caf\xe9"},
    {"PATH_INFO": "/products", "QUERY_STRING": "q=caf%E9"},   # percent-encoded, not UTF-8
    {"PATH_INFO": "/products", "QUERY_STRING": "q=%00"},
])
def test_paths_and_queries_that_are_not_utf8_answer_400(client, db, environ):
    response = client.get("/", environ_overrides=environ)
    assert response.status_code == 400
    assert (UTF8_MESSAGE if "%00" not in environ.get("QUERY_STRING", "") else NUL_MESSAGE) in page(response)


@pytest.mark.parametrize("body", [b"variant_id=1&quantity=\xff", b"variant_id=%FF", b"quantity=1%00"])
def test_form_bodies_that_are_not_utf8_answer_400_before_anything_reads_them(client, db, body):
    token = csrf_token(client, "/login")
    response = client.post("/cart/items", data=body + b"&csrf_token=" + token.encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8" in page(response) or "NUL" in page(response)


def test_a_nul_in_a_multipart_field_or_file_name_answers_400(staff, db):
    product = make_product("Mug")
    for data in ({"alt": "a\x00b"}, {"image": (io.BytesIO(b"x"), "a\x00.png")}):
        response = staff.post(f"/admin/products/{product.id}/images",
                              data={"csrf_token": staff.token, **data},
                              content_type="multipart/form-data")
        assert response.status_code == 400 and NUL_MESSAGE in page(response)


def test_well_formed_utf8_and_percent_signs_pass_the_guard(client, db):
    make_product("Café Mug", description="100% stoneware")
    assert client.get("/products?q=caf%C3%A9").status_code == 200
    assert client.get("/products?q=100%25").status_code == 200
    assert client.get("/products/caf%C3%A9-mug").status_code == 404  # no such slug: a page


def test_a_nul_in_the_orders_csv_search_is_refused_before_the_export_starts(staff, db):
    make_order(email="ada@example.com")
    response = staff.get("/admin/orders.csv?q=ada%00")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert NUL_MESSAGE in page(response)
    with pytest.raises(FilterError, match="NUL"):  # and the filter itself refuses it
        OrderFilter.from_args({"q": "ada\x00"})


# --- numbers beyond what the database holds -----------------------------------------------------

@pytest.mark.parametrize("url", [
    f"/admin/orders/{BEYOND_64_BITS}", f"/admin/customers/{BEYOND_64_BITS}",
    f"/admin/products/{2**31}/edit", f"/admin/products/1/images/{BEYOND_INT_DIGITS}/delete",
])
def test_ids_in_the_path_beyond_the_database_name_nothing(staff, db, url):
    method = staff.post if url.endswith("delete") else staff.get
    response = method(url, data={"csrf_token": staff.token})
    assert response.status_code == 404


@pytest.mark.parametrize("url, message", [
    (f"/products?page={BEYOND_64_BITS}", "at most"),
    (f"/products?page={BEYOND_INT_DIGITS}", "at most"),
    ("/products?page=²", "whole number"),
    (f"/admin/products?category={BEYOND_64_BITS}", "id of a category"),
    (f"/admin/orders?page={BEYOND_64_BITS}", "at most"),
    (f"/admin/audit?page={BEYOND_INT_DIGITS}", "at most"),
])
def test_oversized_numbers_in_a_query_answer_400_with_a_message(staff, db, url, message):
    response = staff.get(url)
    assert response.status_code == 400 and message in page(response)


@pytest.mark.parametrize("variant_id, quantity, message", [
    (BEYOND_64_BITS, "1", "no longer available"),
    (BEYOND_INT_DIGITS, "1", "no longer available"),
    ("١", "1", "choose an option"),
    (None, BEYOND_64_BITS, "at most 99"),
    (None, BEYOND_INT_DIGITS, "at most 99"),
])
def test_oversized_numbers_in_the_cart_forms_get_a_message(client, db, variant_id, quantity, message):
    mug = make_product("Mug")
    token = csrf_token(client, "/login")
    response = add_to_cart(client, token, variant_id or mug.variants[0].id, quantity, headers=HX)
    assert response.status_code == 422 and message in page(response).lower().replace("please ", "")


def test_a_price_with_thousands_of_digits_is_a_field_error(staff, db):
    response = staff.post("/admin/products/new", data={
        "csrf_token": staff.token, "name": "Mug", "variants-0-sku": "MUG-1",
        "variants-0-price": BEYOND_INT_DIGITS, "variants-0-stock": "1"})
    assert response.status_code == 422 and "Enter a price up to" in page(response)


def test_a_date_at_the_end_of_the_calendar_filters_without_overflowing(staff, db):
    make_order(email="ada@example.com")
    assert staff.get("/admin/orders?to=9999-12-31").status_code == 200
    assert staff.get("/admin/orders.csv?from=0001-01-01&to=9999-12-31").status_code == 200


# --- unknown choices ------------------------------------------------------------------------------

def test_an_unknown_shipping_method_is_a_form_error_and_places_nothing(client, db):
    mug = make_product("Mug", stock=5)
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug.variants[0].id)
    response, _ = checkout(client, token, shipping_method="free")
    assert response.status_code == 422
    assert "That delivery method is not offered for Germany" in page(response)
    assert db.session.query(Order).count() == 0
    summary = client.get("/checkout?shipping_method=free", headers={**HX, "HX-Target": "order-summary"})
    assert summary.status_code == 200  # the summary shows standard delivery


# --- the URL map, swept ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", None])
def test_every_parameter_of_every_route_survives_every_malformed_value(app, objects, role):
    crawler = Visitor(app, role)
    with_cart(crawler, objects)
    reach = reachable(app, objects, role)
    forms = crawl_forms(crawler, [r for r in reach if r.method == "GET"])
    failures, swept = [], 0
    for route in sweep_order(reach):
        visitor = Visitor(app, role)
        form = forms.get(route.path, {}) if route.method == "POST" else {}
        names = parameters_read(app, lambda: send(visitor, route, objects, form))
        for name in names:
            for value in MALFORMED:
                response = send(visitor, route, objects, {**form, name: value})
                swept += 1
                if response.status_code >= 500:
                    failures.append(f"{route} {name}={value[:20]!r}: {response.status_code}")
    assert "/checkout" in forms and swept > 300  # the crawl found the forms, the recording their fields
    assert failures == []


@pytest.fixture
def sweep_targets(app, objects):
    """(route, parameters it reads, its page's form) for every admin-reachable route."""
    crawler = Visitor(app, "admin")
    with_cart(crawler, objects)
    reach = reachable(app, objects, "admin")
    forms = crawl_forms(crawler, [r for r in reach if r.method == "GET"])
    targets = []
    for route in sweep_order(reach):
        form = forms.get(route.path, {}) if route.method == "POST" else {}
        names = parameters_read(app, lambda: send(Visitor(app, "admin"), route, objects, form))
        targets.append((route, names or ["q"], form))
    return targets


TEXT = st.one_of(
    st.sampled_from(MALFORMED),
    st.text(max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.from_regex(r"\A[0-9]{10,30}\Z"),
    st.text(alphabet="'\";%_\\*()[]{}<>&|!:-/ ", max_size=12),
)


@bounded(120)
@given(data=st.data())
def test_random_malformed_values_never_get_a_500(app, objects, sweep_targets, data):
    route, names, form = data.draw(st.sampled_from(sweep_targets))
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    values = {name: data.draw(TEXT) for name in chosen}
    visitor = Visitor(app, data.draw(st.sampled_from(["admin", None])) if not route.admin else "admin")
    response = send(visitor, route, objects, {**form, **values})
    assert response.status_code < 500, (str(route), values)
    if any("\x00" in value for value in values.values()):
        assert response.status_code == 400
