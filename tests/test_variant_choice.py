"""Choosing a variant one option at a time, the gallery, and "from" prices (issue 12)."""
import re

from tests.catalogue_helpers import audit, pictures_by_colour
from tests.helpers import csrf_token
from tests.factories import make_product

HX = {"HX-Request": "true", "HX-Target": "product-purchase"}


def _tee(db):
    """Sizes S and M in Blue and Black, but no M in Black; S in Black is sold out."""
    product = make_product("Field Tee", option_names=["Size", "Colour"], variants=[
        {"options": {"Size": "S", "Colour": "Blue"}, "price": 2000, "stock": 5},
        {"options": {"Size": "S", "Colour": "Black"}, "price": 2000, "stock": 0},
        {"options": {"Size": "M", "Colour": "Blue"}, "price": 2600, "stock": 2},
    ])
    return pictures_by_colour(product)


def _radio(html, field, value):
    match = re.search(rf'<input type="radio" name="{field}" value="{value}"[^>]*>', html)
    assert match, f"no radio {field}={value}"
    return match.group(0)


def _main_image(html):
    return re.search(r'class="gallery-slide" src="([^"]+)"', html).group(1)


def test_each_option_has_its_own_control_and_no_combination_dropdown(client, db):
    product = _tee(db)

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)

    form = html.split('class="add-to-cart"')[1].split("</form>")[0]
    assert "<select" not in form
    for field, value in [("option-Size", "S"), ("option-Size", "M"),
                         ("option-Colour", "Blue"), ("option-Colour", "Black")]:
        assert _radio(form, field, value)
    assert "checked" in _radio(form, "option-Size", "S")
    assert "checked" in _radio(form, "option-Colour", "Blue")
    # The add-to-cart POST still names the variant, as outside clients send it.
    assert f'name="variant_id" value="{product.variants[0].id}"' in form


def test_a_combination_no_variant_has_is_disabled_and_refused_if_forced(client, db):
    product = _tee(db)

    page = client.get(f"/products/{product.slug}?option-Size=M&option-Colour=Blue")
    html = page.get_data(as_text=True)
    assert "disabled" in _radio(html, "option-Colour", "Black")  # there is no M in Black
    assert "disabled" not in _radio(html, "option-Size", "S")

    forced = client.get(f"/products/{product.slug}?option-Size=M&option-Colour=Black")
    html = forced.get_data(as_text=True)
    assert forced.status_code == 200
    assert "That combination is not available" in html
    assert f'name="variant_id" value="{product.variants[0].id}"' in html  # not an M in Black

    garbage = client.get(f"/products/{product.slug}?option-Size=XXL&option-Colour=" + "x" * 5000)
    assert garbage.status_code == 200
    assert "That combination is not available" in garbage.get_data(as_text=True)


def test_a_sold_out_combination_is_marked_and_cannot_be_added(client, db):
    product = _tee(db)

    html = client.get(f"/products/{product.slug}?option-Size=S&option-Colour=Black") \
        .get_data(as_text=True)

    black = html.split('value="Black"')[0].rsplit("<label", 1)[1]
    assert "option-sold-out" in black
    assert re.search(r"<button[^>]*disabled[^>]*>\s*Sold out", html)


def test_price_stock_and_image_follow_the_choice_with_htmx_and_without(client, db):
    product = _tee(db)
    url = f"/products/{product.slug}?option-Size=S&option-Colour=Black"

    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="product-purchase"')
    assert "<html" not in fragment
    assert f'name="variant_id" value="{product.variants[1].id}"' in fragment
    assert "Sold out" in fragment
    # The gallery comes along out of band, the chosen colour's picture first.
    assert 'id="product-gallery" class="gallery" hx-swap-oob="true"' in fragment
    assert "tee-black.webp" in _main_image(fragment)

    fragment = client.get(f"/products/{product.slug}?option-Size=M&option-Colour=Blue",
                          headers=HX).get_data(as_text=True)
    assert "€26.00" in fragment and "Only 2 left" in fragment
    assert "tee-blue.webp" in _main_image(fragment)

    page = client.get(url).get_data(as_text=True)  # the plain form's GET, no script
    assert "<html" in page and "hx-swap-oob" not in page
    assert f'name="variant_id" value="{product.variants[1].id}"' in page
    assert "tee-black.webp" in _main_image(page)
    assert 'formmethod="get"' in page  # the no-script "show this choice" button


def test_gallery_thumbnails_switch_pictures_without_script(client, db):
    product = _tee(db)

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)

    gallery = html.split('id="product-gallery"')[1].split('<div class="product-info">')[0]
    assert gallery.count('class="gallery-slide"') == 2
    assert 'for="gallery-1"' in gallery and 'for="gallery-2"' in gallery
    assert re.search(r'id="gallery-1"[^>]*checked', gallery)
    assert "<script" not in gallery


def test_cards_show_from_prices_only_when_variant_prices_differ(client, db):
    _tee(db)
    make_product("Plain Mug", price=1500)

    html = client.get("/products").get_data(as_text=True)

    assert "from €20.00" in html
    assert "€15.00" in html and "from €15.00" not in html


def test_staff_assign_a_picture_to_a_variant_and_the_shop_shows_it(client, db, staff_token):
    product = _tee(db)
    black_image = product.images[1]
    m_blue = product.variants[2]

    page = client.get(f"/admin/products/{product.id}/edit").get_data(as_text=True)
    assert f'name="image-{m_blue.id}"' in page

    response = client.post(f"/admin/products/{product.id}/variant-images", data={
        "csrf_token": staff_token, f"image-{m_blue.id}": str(black_image.id),
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(m_blue), m_blue.id).image_id == black_image.id
    assert audit(db, "product.variant_images")[0].after == {
        "images": {m_blue.sku: [product.images[0].id, black_image.id]}}
    html = client.get(f"/products/{product.slug}?option-Size=M&option-Colour=Blue") \
        .get_data(as_text=True)
    assert "tee-black.webp" in _main_image(html)

    other = make_product("Other", image="other.webp")
    refused = client.post(f"/admin/products/{product.id}/variant-images", data={
        "csrf_token": staff_token, f"image-{m_blue.id}": str(other.images[0].id),
    })
    assert refused.status_code == 404
    assert client.post(f"/admin/products/{product.id}/variant-images", data={
        "csrf_token": staff_token, f"image-{m_blue.id}": "abc"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(type(m_blue), m_blue.id).image_id == black_image.id


def test_without_script_the_checked_options_are_what_goes_into_the_cart(client, db):
    product = _tee(db)
    s_blue = product.variants[0]
    token = csrf_token(client, "/login")
    form = {"csrf_token": token, "quantity": "1", "variant_id": str(s_blue.id)}

    # The page was shown for S in Blue; the shopper checked M, then pressed Add to cart.
    added = client.post("/cart/items", data={**form, "option-Size": "M", "option-Colour": "Blue"})
    assert added.status_code == 303
    cart = client.get("/cart").get_data(as_text=True)
    assert "M / Blue" in cart and "S / Blue" not in cart

    refused = client.post("/cart/items", data={**form, "option-Size": "M", "option-Colour": "Black"},
                          follow_redirects=True)
    assert "That combination is not available" in refused.get_data(as_text=True)
    assert client.get("/cart").get_data(as_text=True).count("M / Blue") == 1
    assert "M / Black" not in client.get("/cart").get_data(as_text=True)

    plain = client.post("/cart/items", data=form)  # an outside client: variant_id alone
    assert plain.status_code == 303 and "S / Blue" in client.get("/cart").get_data(as_text=True)
