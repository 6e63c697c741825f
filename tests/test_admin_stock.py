"""Stock in the catalogue admin: inline adjustments and counts (htmx or not), each with
a reason in the audit log, never below zero, and shown in the shop at once."""
from tests.catalogue_helpers import audit, field_error, forget_session, stock_post
from tests.factories import make_product
from webshop.models import ProductVariant

STAFF_EMAIL = "staff@example.com"  # conftest's staff fixture


def test_inline_stock_adjustment_answers_with_the_row_and_is_audited(client, db, staff_token):
    product = make_product("Teapot", stock=10)
    variant_id = product.variants[0].id

    response = stock_post(client, staff_token, variant_id, delta="5", reason="delivery", view="row",
                          next="/admin/products?q=tea")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="product-{product.id}"') and "<html" not in html
    assert '<span class="stock-figure">15</span>' in html
    assert 'value="/admin/products?q=tea"' in html
    [entry] = audit(db, "stock.adjust")
    assert (entry.entity_type, entry.entity_id) == ("variant", variant_id)
    assert (entry.before, entry.after, entry.note, entry.actor) == (
        {"stock": 10}, {"stock": 15}, "delivery", STAFF_EMAIL)


def test_stock_at_or_below_the_threshold_is_highlighted(app, client, db, staff_token):
    product = make_product("Teapot", stock=10)
    assert app.config["LOW_STOCK_THRESHOLD"] == 5

    response = stock_post(client, staff_token, product.variants[0].id, delta="-5",
                          reason="breakage", view="row")

    assert f'<tr id="product-{product.id}" class="low-stock"' in response.get_data(as_text=True)


def test_stock_can_be_set_to_a_counted_figure_on_the_edit_page(client, db, staff_token):
    product = make_product("Teapot", stock=10)
    variant_id = product.variants[0].id

    response = stock_post(client, staff_token, variant_id, set_to="7", reason="stock count",
                          view="variant")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="variant-stock-{variant_id}"')
    assert '<span class="stock-figure">7</span>' in html
    assert audit(db, "stock.adjust")[0].before == {"stock": 10}


def test_stock_cannot_go_below_zero(client, db, staff_token):
    product = make_product("Teapot", stock=3)
    variant_id = product.variants[0].id

    response = stock_post(client, staff_token, variant_id, delta="-4", reason="breakage",
                          view="row")

    assert response.status_code == 409
    assert field_error(response.get_data(as_text=True), f"stock-{variant_id}-delta") == (
        "Only 3 in stock: you can take away at most 3.")
    forget_session(db)
    assert db.session.get(ProductVariant, variant_id).stock == 3
    assert audit(db, "stock.adjust") == []


def test_a_stock_change_needs_a_reason_and_a_number(client, db, staff_token):
    product = make_product("Teapot", stock=3)
    variant_id = product.variants[0].id

    response = stock_post(client, staff_token, variant_id, delta="lots", reason="", view="variant")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, f"stock-{variant_id}-reason") == "Say why the stock changes."
    assert field_error(html, f"stock-{variant_id}-delta") is not None


def test_a_stock_change_without_htmx_redirects_back(client, db, staff_token):
    product = make_product("Teapot", stock=3)

    response = stock_post(client, staff_token, product.variants[0].id, htmx=False, delta="2",
                          reason="delivery", next=f"/admin/products/{product.id}/edit#stock")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/products/{product.id}/edit#stock"
    assert "Stock of" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_shop_shows_a_stock_change_at_once(app, client, db, staff_token):
    product = make_product("Teapot", stock=0)
    shopper = app.test_client()
    assert "Sold out" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)

    stock_post(client, staff_token, product.variants[0].id, delta="20", reason="delivery",
               view="row")

    assert "Sold out" not in shopper.get(f"/products/{product.slug}").get_data(as_text=True)
