"""The catalogue admin over HTTP: products and variants, prices, stock, images,
categories and the audit log, as staff use them."""
import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import select, update

from tests.factories import make_category, make_order, make_product, make_user
from tests.helpers import csrf_token
from webshop import catalog
from webshop.admin.product_forms import parse_money
from webshop.media import thumbnail_name
from webshop.merchandising import products as merchandising  # where _check_unique is looked up
from webshop.money import decimal_amount as format_decimal
from webshop.models import AuditLog, Category, Product, ProductImage, ProductVariant

PASSWORD = "correct horse battery"
STAFF_EMAIL = "staff@example.com"


@pytest.fixture
def token(client, db):
    """Log the client in as staff; returns the session's CSRF token."""
    make_user(STAFF_EMAIL, password=PASSWORD, role="staff")
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": STAFF_EMAIL,
                                           "password": PASSWORD})
    assert response.status_code == 303
    return token


def fresh(db):
    """Forget what the test's session holds: the requests committed in their own."""
    db.session.rollback()
    db.session.expire_all()


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


def field_error(html, field_id):
    """The error message shown under the input with that id, or None."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def png_bytes(size=(1200, 900), colour=(200, 80, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, token, product, data, filename="photo.png"):
    return client.post(
        f"/admin/products/{product.id}/images",
        data={"csrf_token": token, "image": (io.BytesIO(data), filename), "alt": "A mug"},
        content_type="multipart/form-data",
    )


def audit(db, action=None):
    fresh(db)
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return db.session.scalars(stmt).all()


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

def test_staff_create_a_product_with_a_decimal_price(client, db, token):
    kitchen = make_category("Kitchen")

    response = client.post("/admin/products/new",
                           data=product_data(token, category_id=str(kitchen.id)))

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


def test_a_product_with_options_has_one_variant_per_row(client, db, token):
    data = product_data(token, name="Linen Shirt", option_names="Size, Colour",
                        **{"variants-0-options": "M / Blue", "variants-1-sku": "SHIRT-L-BLU",
                           "variants-1-options": "L / Blue", "variants-1-price": "39",
                           "variants-1-stock": ""})

    assert client.post("/admin/products/new", data=data).status_code == 303

    product = db.session.scalar(select(Product).where(Product.slug == "linen-shirt"))
    assert product.option_names == ["Size", "Colour"]
    assert [(v.option_values, v.price, v.stock) for v in product.variants] == [
        ({"Size": "M", "Colour": "Blue"}, 1250, 10), ({"Size": "L", "Colour": "Blue"}, 3900, 0)]


def test_the_add_variant_button_adds_a_row_without_saving(client, db, token):
    response = client.post("/admin/products/new", data={**product_data(token), "action": "add_variant"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="variants-1-sku"' in html and 'value="MUG-1"' in html
    assert db.session.scalar(select(Product.id)) is None


def test_validation_errors_are_shown_next_to_their_fields(client, db, token):
    data = product_data(token, name="", sku="", price="",
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


def test_a_bad_slug_is_refused_next_to_the_field(client, db, token):
    response = client.post("/admin/products/new", data=product_data(token, slug="Not A Slug!"))

    assert response.status_code == 422
    assert "lowercase letters" in field_error(response.get_data(as_text=True), "slug")


@pytest.mark.parametrize("price, message", [
    ("abc", "as a number"), ("-1", "cannot be negative"), ("1.234", "two decimal places"),
])
def test_bad_price_input_is_refused_next_to_the_price(client, db, token, price, message):
    response = client.post("/admin/products/new", data=product_data(token, price=price))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(html, "variants-0-price")
    assert f'value="{price}"' in html  # what was typed stays in the box
    assert db.session.scalar(select(Product.id)) is None


def test_a_duplicate_sku_is_a_form_error_not_a_500(client, db, token):
    other = make_product("Teapot")
    sku = other.variants[0].sku

    response = client.post("/admin/products/new", data=product_data(token, sku=sku))

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "variants-0-sku") == (
        f"SKU {sku} is already used by another product.")


def test_a_sku_repeated_within_the_form_is_refused(client, db, token):
    data = product_data(token, option_names="Size", **{
        "variants-0-options": "S", "variants-1-sku": "MUG-1", "variants-1-options": "M",
        "variants-1-price": "13"})

    response = client.post("/admin/products/new", data=data)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "variants-1-sku") == "Two variants have this SKU."


def test_a_duplicate_slug_is_a_form_error_not_a_500(client, db, token):
    other = make_product("Teapot")

    response = client.post("/admin/products/new", data=product_data(token, slug=other.slug))

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


def test_editing_shows_errors_next_to_fields(client, db, token):
    product = make_product("Teapot", price=2500)

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(token, product, name="", **{"variants-0-price": "1.234"}))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "name") == "Enter the product&#39;s name."
    assert "two decimal places" in field_error(html, "variants-0-price")
    fresh(db)
    assert db.session.get(ProductVariant, product.variants[0].id).price == 2500


def test_a_price_change_in_the_admin_shows_in_the_shop_at_once(app, client, db, token):
    product = make_product("Teapot", price=1000)
    shopper = app.test_client()
    assert "€10.00" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)
    # Behind the cache's back: the page stays as cached until the catalogue changes.
    db.session.execute(update(ProductVariant).values(price=999))
    db.session.commit()
    assert "€10.00" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(token, product, **{"variants-0-price": "12.50"}))

    assert response.status_code == 303
    page = shopper.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "€12.50" in page and "€10.00" not in page
    [entry] = audit(db, "variant.update")
    assert (entry.before, entry.after) == ({"price": 999}, {"price": 1250})


def test_editing_adds_and_removes_variants(client, db, token):
    product = make_product("Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 1500, "stock": 2},
        {"options": {"Size": "M"}, "price": 1500, "stock": 3}])
    small, medium = product.variants
    data = {
        "csrf_token": token, "name": "Tee", "slug": product.slug, "option_names": "Size",
        "active": "y", "category_id": "0",
        "variants-0-id": str(small.id), "variants-0-sku": small.sku, "variants-0-options": "S",
        "variants-0-price": "15.00", "variants-0-remove": "y",
        "variants-1-id": str(medium.id), "variants-1-sku": medium.sku,
        "variants-1-options": "M", "variants-1-price": "16.00",
        "variants-2-sku": "TEE-L", "variants-2-options": "L", "variants-2-price": "17",
        "variants-2-stock": "4",
    }

    assert client.post(f"/admin/products/{product.id}/edit", data=data).status_code == 303

    fresh(db)
    variants = db.session.scalars(select(ProductVariant).where(ProductVariant.product_id == product.id)
                                  .order_by(ProductVariant.position)).all()
    assert [(v.sku, v.price, v.stock) for v in variants] == [
        (medium.sku, 1600, 3), ("TEE-L", 1700, 4)]
    assert {e.action for e in audit(db)} >= {"variant.delete", "variant.update", "variant.create"}


def test_the_last_variant_cannot_be_removed(client, db, token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/edit",
                           data=edit_data(token, product, **{"variants-0-remove": "y"}))

    assert response.status_code == 422
    assert "at least one variant" in response.get_data(as_text=True)


# --- images ---------------------------------------------------------------------------

def test_an_uploaded_image_is_stored_as_webp_with_a_thumbnail(app, client, db, token):
    product = make_product("Teapot")

    response = upload(client, token, product, png_bytes())

    assert response.status_code == 303
    [image] = db.session.scalars(select(ProductImage)).all()
    assert re.fullmatch(r"products/teapot-\d+-[0-9a-f]{16}\.webp", image.filename)
    upload_dir = app.config["UPLOAD_DIR"]
    with Image.open(os.path.join(upload_dir, image.filename)) as full:
        assert (full.format, full.size) == ("WEBP", (800, 600))
    with Image.open(os.path.join(upload_dir, thumbnail_name(image.filename))) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (400, 300))
    assert audit(db, "product.image_add")[0].after == {"image": image.filename}

    response = client.post(f"/admin/products/{product.id}/images/{image.id}/delete",
                           data={"csrf_token": token})

    assert response.status_code == 303
    assert db.session.scalar(select(ProductImage.id)) is None
    assert not os.path.exists(os.path.join(upload_dir, image.filename))
    assert not os.path.exists(os.path.join(upload_dir, thumbnail_name(image.filename)))


@pytest.mark.parametrize("data, filename", [
    (b"#!/bin/sh\necho this is not an image\n", "photo.png"),
    (png_bytes()[:200], "truncated.png"),
])
def test_a_file_that_is_not_an_image_is_refused(client, db, token, data, filename):
    product = make_product("Teapot")

    response = upload(client, token, product, data, filename)

    assert response.status_code == 422
    assert "not an image we can use" in field_error(response.get_data(as_text=True), "image")
    assert db.session.scalar(select(ProductImage.id)) is None


def test_an_image_in_another_format_is_refused(client, db, token):
    product = make_product("Teapot")
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")

    response = upload(client, token, product, bmp.getvalue(), "photo.bmp")

    assert response.status_code == 422
    assert "JPEG, PNG, WebP or GIF" in field_error(response.get_data(as_text=True), "image")


def test_an_image_over_the_size_limit_is_refused(app, client, db, token, monkeypatch):
    product = make_product("Teapot")
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 1024)

    response = upload(client, token, product, png_bytes() + b"\0" * 2048)

    assert response.status_code == 422
    assert "larger than 1 KB" in field_error(response.get_data(as_text=True), "image")
    assert db.session.scalar(select(ProductImage.id)) is None


def test_a_request_over_max_content_length_gets_a_clear_413(app, client, db, token, monkeypatch):
    product = make_product("Teapot")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)

    response = upload(client, token, product, b"\0" * 20_000)

    assert response.status_code == 413
    assert "too large" in field_error(response.get_data(as_text=True), "image")


def test_an_upload_without_a_file_asks_for_one(client, db, token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/images", data={"csrf_token": token})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "image") == "Choose an image file to upload."


# --- stock ----------------------------------------------------------------------------

def stock_post(client, token, variant_id, htmx=True, **data):
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    if not htmx:
        data["csrf_token"] = token
    return client.post(f"/admin/variants/{variant_id}/stock", data=data, headers=headers)


def test_inline_stock_adjustment_answers_with_the_row_and_is_audited(client, db, token):
    product = make_product("Teapot", stock=10)
    variant_id = product.variants[0].id

    response = stock_post(client, token, variant_id, delta="5", reason="delivery", view="row",
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


def test_stock_at_or_below_the_threshold_is_highlighted(app, client, db, token):
    product = make_product("Teapot", stock=10)
    assert app.config["LOW_STOCK_THRESHOLD"] == 5

    response = stock_post(client, token, product.variants[0].id, delta="-5", reason="breakage",
                          view="row")

    assert f'<tr id="product-{product.id}" class="low-stock"' in response.get_data(as_text=True)


def test_stock_can_be_set_to_a_counted_figure_on_the_edit_page(client, db, token):
    product = make_product("Teapot", stock=10)
    variant_id = product.variants[0].id

    response = stock_post(client, token, variant_id, set_to="7", reason="stock count",
                          view="variant")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="variant-stock-{variant_id}"')
    assert '<span class="stock-figure">7</span>' in html
    assert audit(db, "stock.adjust")[0].before == {"stock": 10}


def test_stock_cannot_go_below_zero(client, db, token):
    product = make_product("Teapot", stock=3)
    variant_id = product.variants[0].id

    response = stock_post(client, token, variant_id, delta="-4", reason="breakage", view="row")

    assert response.status_code == 409
    assert field_error(response.get_data(as_text=True), f"stock-{variant_id}-delta") == (
        "Only 3 in stock: you can take away at most 3.")
    fresh(db)
    assert db.session.get(ProductVariant, variant_id).stock == 3
    assert audit(db, "stock.adjust") == []


def test_a_stock_change_needs_a_reason_and_a_number(client, db, token):
    product = make_product("Teapot", stock=3)
    variant_id = product.variants[0].id

    response = stock_post(client, token, variant_id, delta="lots", reason="", view="variant")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, f"stock-{variant_id}-reason") == "Say why the stock changes."
    assert field_error(html, f"stock-{variant_id}-delta") is not None


def test_a_stock_change_without_htmx_redirects_back(client, db, token):
    product = make_product("Teapot", stock=3)

    response = stock_post(client, token, product.variants[0].id, htmx=False, delta="2",
                          reason="delivery", next=f"/admin/products/{product.id}/edit#stock")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/products/{product.id}/edit#stock"
    assert "Stock of" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_shop_shows_a_stock_change_at_once(app, client, db, token):
    product = make_product("Teapot", stock=0)
    shopper = app.test_client()
    assert "Sold out" in shopper.get(f"/products/{product.slug}").get_data(as_text=True)

    stock_post(client, token, product.variants[0].id, delta="20", reason="delivery", view="row")

    assert "Sold out" not in shopper.get(f"/products/{product.slug}").get_data(as_text=True)


# --- deleting and hiding ------------------------------------------------------------------

def test_an_ordered_product_cannot_be_deleted_but_can_be_hidden(app, client, db, token):
    product = make_product("Teapot")
    order = make_order(email="guest@example.com")
    order.items[0].product_id = product.id
    db.session.commit()
    shopper = app.test_client()
    assert shopper.get(f"/products/{product.slug}").status_code == 200

    response = client.post(f"/admin/products/{product.id}/delete",
                           data={"csrf_token": token, "confirm": "yes"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot be deleted. Deactivate it instead" in page
    fresh(db)
    assert db.session.get(Product, product.id) is not None

    response = client.post(f"/admin/products/{product.id}/active",
                           data={"csrf_token": token, "active": "0"})

    assert response.status_code == 303
    assert shopper.get(f"/products/{product.slug}").status_code == 404
    assert "Teapot" not in shopper.get("/products").get_data(as_text=True)
    [entry] = audit(db, "product.deactivate")
    assert (entry.before, entry.after) == ({"active": True}, {"active": False})


def test_hiding_from_the_list_with_htmx_redraws_the_row(client, db, token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/active", data={"view": "row"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="product-{product.id}" class="inactive"')
    assert "Hidden" in html


def test_a_product_never_ordered_can_be_deleted_with_its_images(app, client, db, token):
    product_id = make_product("Teapot").id
    upload(client, token, db.session.get(Product, product_id), png_bytes())
    filename = db.session.scalar(select(ProductImage.filename))

    response = client.post(f"/admin/products/{product_id}/delete", data={"csrf_token": token})
    assert response.headers["Location"] == f"/admin/products/{product_id}/edit#delete"
    assert "Tick" in client.get(response.headers["Location"]).get_data(as_text=True)

    response = client.post(f"/admin/products/{product_id}/delete",
                           data={"csrf_token": token, "confirm": "yes"})

    assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    fresh(db)
    assert db.session.get(Product, product_id) is None
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], filename))
    assert audit(db, "product.delete")[0].before["name"] == "Teapot"


# --- the product list ---------------------------------------------------------------------

def test_the_list_searches_filters_and_sorts(client, db, token):
    kitchen = make_category("Kitchen")
    make_product("Teapot", price=3000, stock=50, category=kitchen)
    low = make_product("Tea Cup", price=900, stock=2, category=kitchen)
    make_product("Teaspoon", price=400, stock=0)
    make_product("Garden Hose", price=2000, stock=9)

    html = client.get("/admin/products?q=tea&sort=price").get_data(as_text=True)
    assert "3 products" in html and "Garden Hose" not in html
    assert html.index("Teaspoon") < html.index("Tea Cup") < html.index("Teapot")
    assert f'<tr id="product-{low.id}" class="low-stock"' in html

    html = client.get(f"/admin/products?category={kitchen.id}&stock=low").get_data(as_text=True)
    assert "1 product" in html and "Tea Cup" in html and "Teapot" not in html

    html = client.get("/admin/products?stock=sold_out").get_data(as_text=True)
    assert "Teaspoon" in html and "Tea Cup" not in html

    html = client.get(f"/admin/products?q={low.variants[0].sku}").get_data(as_text=True)
    assert "1 product" in html and "Tea Cup" in html


def test_the_list_search_answers_htmx_with_the_results_only(client, db, token):
    make_product("Teapot")

    response = client.get("/admin/products?q=tea",
                          headers={"HX-Request": "true", "HX-Target": "product-results"})

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="product-results"') and "Teapot" in html
    assert "<nav" not in html.split('<nav class="pagination"')[0]  # no admin layout


def test_the_list_pages_with_stable_urls(client, db, token):
    for i in range(55):
        make_product(f"Mug {i:02d}")

    page2 = client.get("/admin/products?sort=name&page=2").get_data(as_text=True)

    assert "Mug 50" in page2 and "Mug 49" not in page2
    assert 'href="/admin/products?page=1&amp;sort=name"' in page2 or \
        'href="/admin/products?sort=name&amp;page=1"' in page2
    assert client.get("/admin/products?page=abc").status_code == 400
    assert client.get("/admin/products?page=9").status_code == 404


def test_the_list_query_budget_does_not_grow_with_the_rows(client, db, token, count_queries):
    kitchen = make_category("Kitchen")

    def add(n):
        for i in range(n):
            make_product(f"Tee {i}", category=kitchen, image="products/x.webp",
                         option_names=["Size"],
                         variants=[{"options": {"Size": s}, "price": 1000 + i, "stock": i}
                                   for s in ("S", "M", "L")])

    counts = []
    for n in (5, 35):
        add(n)
        with count_queries() as q:
            assert client.get("/admin/products").status_code == 200
        counts.append(q.count)

    assert counts[0] == counts[1] <= 6, counts


# --- categories -----------------------------------------------------------------------

def category_names(db):
    fresh(db)
    return db.session.scalars(select(Category.name).order_by(Category.position, Category.name)).all()


def test_staff_create_rename_and_reorder_categories(client, db, token):
    for name in ("Kitchen", "Garden"):
        response = client.post("/admin/categories", data={"csrf_token": token, "name": name})
        assert response.status_code == 303
    garden = db.session.scalar(select(Category).where(Category.slug == "garden"))
    assert category_names(db) == ["Kitchen", "Garden"]

    response = client.post(f"/admin/categories/{garden.id}",
                           data={"csrf_token": token, f"c{garden.id}-name": "Garden & Patio",
                                 f"c{garden.id}-slug": "garden"})
    assert response.status_code == 303

    response = client.post(f"/admin/categories/{garden.id}/move",
                           data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 303
    assert category_names(db) == ["Garden & Patio", "Kitchen"]
    assert "Garden &amp; Patio" in client.get("/").get_data(as_text=True)  # the shop's menu

    client.post(f"/admin/categories/{garden.id}/move", data={"csrf_token": token, "direction": "up"})
    assert category_names(db) == ["Garden & Patio", "Kitchen"]  # already first
    actions = [e.action for e in audit(db)]
    assert actions == ["category.create", "category.create", "category.rename", "category.move_up"]


def test_category_errors_are_shown_next_to_the_field(client, db, token):
    kitchen = make_category("Kitchen")

    response = client.post("/admin/categories", data={"csrf_token": token, "name": "Kitchen"})
    assert response.status_code == 422
    assert "already uses that slug" in field_error(response.get_data(as_text=True), "slug")

    response = client.post(f"/admin/categories/{kitchen.id}",
                           data={"csrf_token": token, f"c{kitchen.id}-name": ""})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"c{kitchen.id}-name") == (
        "Enter the category&#39;s name.")


def test_only_an_empty_category_can_be_deleted(client, db, token):
    kitchen = make_category("Kitchen")
    garden = make_category("Garden")
    make_product("Teapot", category=kitchen, active=False)

    response = client.post(f"/admin/categories/{kitchen.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Kitchen still has 1 product" in client.get("/admin/categories").get_data(as_text=True)

    client.post(f"/admin/categories/{garden.id}/delete", data={"csrf_token": token})
    assert category_names(db) == ["Kitchen"]


# --- the audit log and the rules for every POST -----------------------------------------------

def test_the_audit_log_lists_changes_newest_first_and_filters(client, db, token):
    make_user("robot@example.com", role="staff")
    product = make_product("Teapot", stock=4)
    client.post("/admin/categories", data={"csrf_token": token, "name": "Kitchen"})
    stock_post(client, token, product.variants[0].id, delta="6", reason="delivery", view="row")

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


def test_admin_posts_need_a_csrf_token(client, db, token):
    product = make_product("Teapot")

    for url in (f"/admin/products/{product.id}/delete", f"/admin/variants/{product.variants[0].id}/stock",
                "/admin/categories", "/admin/products/new"):
        assert client.post(url, data={"name": "x", "delta": "1", "reason": "x"}).status_code == 400
    fresh(db)
    assert db.session.get(Product, product.id) is not None


def test_customers_cannot_use_the_catalogue_admin(client, db):
    make_user("shopper@example.com", password=PASSWORD)
    token = csrf_token(client, "/login")
    client.post("/login", data={"csrf_token": token, "email": "shopper@example.com",
                                "password": PASSWORD})

    assert client.get("/admin/products").status_code == 403
    assert client.post("/admin/categories", data={"csrf_token": token, "name": "X"}).status_code == 403
