"""The catalogue admin over HTTP: creating, editing, hiding and deleting products and
their variants, prices typed as decimals, and the audit log and rules every catalogue
POST follows, as staff use them. Images, stock, the product list and categories have
files of their own (test_admin_product_images, _stock, _catalogue)."""
import os

import pytest
from sqlalchemy import select, update

from tests.catalogue_helpers import (
    audit, field_error, forget_session, png_bytes, stock_post, upload,
)
from tests.factories import make_category, make_order, make_product, make_user
from tests.helpers import log_in_new_user
from webshop.admin.product_forms import parse_money
from webshop.merchandising import products as merchandising  # where _check_unique is looked up
from webshop.money import decimal_amount as format_decimal
from webshop.models import Product, ProductImage, ProductVariant

STAFF_EMAIL = "staff@example.com"  # conftest's staff fixture


def product_data(token, name="Stoneware Mug", sku="MUG-1", price="12.50", stock="10", **fields):
    data = {
        "csrf_token": token, "name": name, "slug": "", "description": "A mug.",
        "category_id": "0", "active": "y", "option_names": "",
        "variants-0-id": "", "variants-0-sku": sku, "variants-0-options": "",
        "variants-0-price": price, "variants-0-stock": stock,
    }
    data.update(fields)
    return data


def edit_data(token, product, **fields):
    """The edit form as the page renders it for `product` (one variant), with changes."""
    variant = product.variants[0]
    data = {
        "csrf_token": token, "name": product.name, "slug": product.slug,
        "description": product.description, "category_id": str(product.category_id or 0),
        "active": "y" if product.active else "", "option_names": "",
        "variants-0-id": str(variant.id), "variants-0-sku": variant.sku,
        "variants-0-options": "", "variants-0-price": format_decimal(variant.price),
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v != ""}


# --- money input ----------------------------------------------------------------------

@pytest.mark.parametrize("text, minor", [
    ("12.50", 1250), ("12", 1200), ("12.5", 1250), ("12,50", 1250), (" 0.99 ", 99),
    ("0", 0), ("1.230", 123), (".5", 50),
])
def test_prices_are_typed_as_decimals_and_kept_in_minor_units(text, minor):
    assert parse_money(text) == minor


@pytest.mark.parametrize("text, message", [
    ("abc", "as a number"), ("-1", "cannot be negative"), ("1.234", "two decimal places"),
    ("", "Enter a price"), ("1e3", "as a number"), ("NaN", "as a number"),
    ("12.50.1", "as a number"), ("99999999", "up to"),
])
def test_bad_price_input_gets_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_money(text)


def test_prices_are_shown_back_as_decimals():
    assert [format_decimal(a) for a in (1250, 5, 0, 100000)] == ["12.50", "0.05", "0.00", "1000.00"]
    assert format_decimal(1250, "JPY") == "1250"
    with pytest.raises(ValueError, match="Whole amounts"):
        parse_money("12.5", "JPY")


# --- creating and editing ---------------------------------------------------------------

def test_staff_create_a_product_with_a_decimal_price(client, db, staff_token):
    kitchen = make_category("Kitchen")

    response = client.post("/admin/products/new",
                           data=product_data(staff_token, category_id=str(kitchen.id)))

    assert response.status_code == 303
    product = db.session.scalar(select(Product).where(Product.slug == "stoneware-mug"))
    assert response.headers["Location"] == f"/admin/products/{product.id}/edit"
    assert product.category_id == kitchen.id and product.active
    [variant] = product.variants
    assert (variant.sku, variant.price, variant.stock, variant.currency) == ("MUG-1", 1250, 10, "EUR")
    [entry] = audit(db, "product.create")
    assert entry.actor == STAFF_EMAIL and entry.after["variants"][0]["price"] == 1250

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="12.50"' in page
    assert "Stoneware Mug was created." in page


def test_a_product_with_options_has_one_variant_per_row(client, db, staff_token):
    data = product_data(staff_token, name="Linen Shirt", option_names="Size, Colour",
                        **{"variants-0-options": "M / Blue", "variants-1-sku": "SHIRT-L-BLU",
                           "variants-1-options": "L / Blue", "variants-1-price": "39",
                           "variants-1-stock": ""})

    assert client.post("/admin/products/new", data=data).status_code == 303

    product = db.session.scalar(select(Product).where(Product.slug == "linen-shirt"))
    assert product.option_names == ["Size", "Colour"]
    assert [(v.option_values, v.price, v.stock) for v in product.variants] == [
        ({"Size": "M", "Colour": "Blue"}, 1250, 10), ({"Size": "L", "Colour": "Blue"}, 3900, 0)]


def test_the_add_variant_button_adds_a_row_without_saving(client, db, staff_token):
    response = client.post("/admin/products/new",
                           data={**product_data(staff_token), "action": "add_variant"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="variants-1-sku"' in html and 'value="MUG-1"' in html
    assert db.session.scalar(select(Product.id)) is None


def test_validation_errors_are_shown_next_to_their_fields(client, db, staff_token):
    data = product_data(staff_token, name="", sku="", price="",
                        **{"variants-0-stock": "-3", "variants-0-options": "XL"})

    response = client.post("/admin/products/new", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "name") == "Enter the product&#39;s name."
    assert field_error(html, "variants-0-sku") == "Enter a SKU."
    assert "Enter a price" in field_error(html, "variants-0-price")
    assert field_error(html, "variants-0-stock") == "Stock is a whole number from 0 to 1,000,000."
    assert "Name the options first" in field_error(html, "variants-0-options")
    assert db.session.scalar(select(Product.id)) is None


def test_a_bad_slug_is_refused_next_to_the_field(client, db, staff_token):
    response = client.post("/admin/products/new",
                           data=product_data(staff_token, slug="Not A Slug!"))

    assert response.status_code == 422
    assert "lowercase letters" in field_error(response.get_data(as_text=True), "slug")


@pytest.mark.parametrize("price, message", [
    ("abc", "as a number"), ("-1", "cannot be negative"), ("1.234", "two decimal places"),
])
def test_bad_price_input_is_refused_next_to_the_price(client, db, staff_token, price, message):
    response = client.post("/admin/products/new", data=product_data(staff_token, price=price))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(html, "variants-0-price")
    assert f'value="{price}"' in html  # what was typed stays in the box
    assert db.session.scalar(select(Product.id)) is None


def test_a_duplicate_sku_is_a_form_error_not_a_500(client, db, staff_token):
    other = make_product("Teapot")
    sku = other.variants[0].sku

    response = client.post("/admin/products/new", data=product_data(staff_token, sku=sku))

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "variants-0-sku") == (
        f"SKU {sku} is already used by another product.")


def test_a_sku_repeated_within_the_form_is_refused(client, db, staff_token):
    data = product_data(staff_token, option_names="Size", **{
        "variants-0-options": "S", "variants-1-sku": "MUG-1", "variants-1-options": "M",
        "variants-1-price": "13"})

    response = client.post("/admin/products/new", data=data)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "variants-1-sku") == "Two variants have this SKU."


def test_a_duplicate_slug_is_a_form_error_not_a_500(client, db, staff_token):
    other = make_product("Teapot")

    response = client.post("/admin/products/new", data=product_data(staff_token, slug=other.slug))

    assert response.status_code == 422
    assert "already uses that slug" in field_error(response.get_data(as_text=True), "slug")


def test_a_unique_violation_lost_in_a_race_is_still_a_form_error(db, monkeypatch):
    taken = make_product("Teapot")
    monkeypatch.setattr(merchandising, "_check_unique", lambda *args, **kwargs: None)  # the race

    with pytest.raises(merchandising.CatalogError) as caught:
        merchandising.create_product(None, name="Mug", slug=taken.slug,
                               variants=[{"sku": "NEW-1", "option_values": {}, "price": 100}])

    assert caught.value.field == "slug"
    assert db.session.scalar(select(Product.id).where(Product.name == "Mug")) is None


def test_editing_shows_errors_next_to_fields(client, db, staff_token):
    product = make_product("Teapot", price=2500)

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(staff_token, product, name="",
                                          **{"variants-0-price": "1.234"}))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "name") == "Enter the product&#39;s name."
    assert "two decimal places" in field_error(html, "variants-0-price")
    forget_session(db)
    assert db.session.get(ProductVariant, product.variants[0].id).price == 2500


def test_a_price_change_in_the_admin_shows_in_the_shop_at_once(app, client, db, staff_token):
    product = make_product("Teapot", price=1000)
    shopper = app.test_client()
    assert "€10.00" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)
    # Behind the cache's back: the page stays as cached until the catalogue changes.
    db.session.execute(update(ProductVariant).values(price=999))
    db.session.commit()
    assert "€10.00" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(staff_token, product, **{"variants-0-price": "12.50"}))

    assert response.status_code == 303
    page = shopper.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "€12.50" in page and "€10.00" not in page
    [entry] = audit(db, "variant.update")
    assert (entry.before, entry.after) == ({"price": 999}, {"price": 1250})


def test_editing_adds_and_removes_variants(client, db, staff_token):
    product = make_product("Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 1500, "stock": 2},
        {"options": {"Size": "M"}, "price": 1500, "stock": 3}])
    small, medium = product.variants
    data = {
        "csrf_token": staff_token, "name": "Tee", "slug": product.slug, "option_names": "Size",
        "active": "y", "category_id": "0",
        "variants-0-id": str(small.id), "variants-0-sku": small.sku, "variants-0-options": "S",
        "variants-0-price": "15.00", "variants-0-remove": "y",
        "variants-1-id": str(medium.id), "variants-1-sku": medium.sku,
        "variants-1-options": "M", "variants-1-price": "16.00",
        "variants-2-sku": "TEE-L", "variants-2-options": "L", "variants-2-price": "17",
        "variants-2-stock": "4",
    }

    assert client.post(f"/admin/products/{product.id}/edit", data=data).status_code == 303

    forget_session(db)
    variants = db.session.scalars(select(ProductVariant).where(ProductVariant.product_id == product.id)
                                  .order_by(ProductVariant.position)).all()
    assert [(v.sku, v.price, v.stock) for v in variants] == [
        (medium.sku, 1600, 3), ("TEE-L", 1700, 4)]
    assert {e.action for e in audit(db)} >= {"variant.delete", "variant.update", "variant.create"}


def test_the_last_variant_cannot_be_removed(client, db, staff_token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(staff_token, product, **{"variants-0-remove": "y"}))

    assert response.status_code == 422
    assert "at least one variant" in response.get_data(as_text=True)


# --- deleting and hiding ------------------------------------------------------------------

def test_an_ordered_product_cannot_be_deleted_but_can_be_hidden(app, client, db, staff_token):
    product = make_product("Teapot")
    order = make_order(email="guest@example.com")
    order.items[0].product_id = product.id
    db.session.commit()
    shopper = app.test_client()
    assert shopper.get(f"/products/{product.slug}").status_code == 200

    response = client.post(f"/admin/products/{product.id}/delete",
                           data={"csrf_token": staff_token, "confirm": "yes"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot be deleted. Deactivate it instead" in page
    forget_session(db)
    assert db.session.get(Product, product.id) is not None

    response = client.post(f"/admin/products/{product.id}/active",
                           data={"csrf_token": staff_token, "active": "0"})

    assert response.status_code == 303
    assert shopper.get(f"/products/{product.slug}").status_code == 404
    assert "Teapot" not in shopper.get("/products").get_data(as_text=True)
    [entry] = audit(db, "product.deactivate")
    assert (entry.before, entry.after) == ({"active": True}, {"active": False})


def test_hiding_from_the_list_with_htmx_redraws_the_row(client, db, staff_token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/active", data={"view": "row"},
                           headers={"HX-Request": "true", "X-CSRFToken": staff_token})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="product-{product.id}" class="inactive"')
    assert "Hidden" in html


def test_a_product_never_ordered_can_be_deleted_with_its_images(app, client, db, staff_token):
    product_id = make_product("Teapot").id
    upload(client, staff_token, db.session.get(Product, product_id), png_bytes())
    filename = db.session.scalar(select(ProductImage.filename))

    response = client.post(f"/admin/products/{product_id}/delete", data={"csrf_token": staff_token})
    assert response.headers["Location"] == f"/admin/products/{product_id}/edit#delete"
    assert "Tick" in client.get(response.headers["Location"]).get_data(as_text=True)

    response = client.post(f"/admin/products/{product_id}/delete",
                           data={"csrf_token": staff_token, "confirm": "yes"})

    assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    forget_session(db)
    assert db.session.get(Product, product_id) is None
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], filename))
    assert audit(db, "product.delete")[0].before["name"] == "Teapot"


# --- the audit log and the rules for every POST -----------------------------------------------

def test_the_audit_log_lists_changes_newest_first_and_filters(client, db, staff_token):
    make_user("robot@example.com", role="staff")
    product = make_product("Teapot", stock=4)
    client.post("/admin/categories", data={"csrf_token": staff_token, "name": "Kitchen"})
    stock_post(client, staff_token, product.variants[0].id, delta="6", reason="delivery",
               view="row")

    html = client.get("/admin/audit").get_data(as_text=True)
    assert "2 entries" in html
    assert html.index("stock.adjust") < html.index("category.create")
    assert STAFF_EMAIL in html and "delivery" in html
    assert "<del>4</del> → <ins>10</ins>" in html
    assert f"variant {product.variants[0].sku}" in html

    html = client.get("/admin/audit?entity=category").get_data(as_text=True)
    assert "1 entry" in html and "stock.adjust" not in html
    assert "0 entries" in client.get("/admin/audit?actor=robot").get_data(as_text=True)
    assert client.get("/admin/audit?page=x").status_code == 400


def test_admin_posts_need_a_csrf_token(client, db, staff_token):
    product = make_product("Teapot")

    for url in (f"/admin/products/{product.id}/delete", f"/admin/variants/{product.variants[0].id}/stock",
                "/admin/categories", "/admin/products/new"):
        assert client.post(url, data={"name": "x", "delta": "1", "reason": "x"}).status_code == 400
    forget_session(db)
    assert db.session.get(Product, product.id) is not None


def test_customers_cannot_use_the_catalogue_admin(client, db):
    token = log_in_new_user(client, "shopper@example.com", role="customer")

    assert client.get("/admin/products").status_code == 403
    assert client.post("/admin/categories", data={"csrf_token": token, "name": "X"}).status_code == 403
