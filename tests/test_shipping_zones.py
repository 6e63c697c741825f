"""Shipping zones at checkout: only the countries some zone covers, only their zone's
methods, priced flat, by value bands, free over a threshold or by weight; the totals
follow the country and method with htmx and without JavaScript."""
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import HX, add_to_cart, checkout, page
from webshop import cart as carts
from webshop import pricing
from webshop.models import Order


def _in_cart(db, price, weight=None, quantity=1, token="zones"):
    product = make_product("Teapot", price=price, stock=20)
    product.variants[0].weight_grams = weight
    db.session.commit()
    return carts.lines(carts.add_item(product.variants[0].id, quantity, token=token))


def test_each_zone_offers_its_own_methods_at_its_own_prices(db):
    lines = _in_cart(db, 3000, weight=800)
    home = {o.code: o.price for o in pricing.quote(lines, "DE").shipping_options}
    rest = {o.code: o.price for o in pricing.quote(lines, "CZ").shipping_options}
    assert home == {"standard": 495, "express": 1295}
    assert rest == {"standard": 995, "express": 2495, "parcel": 695}
    assert pricing.quote(lines, "CH").shipping_options == ()  # no zone ships there


def test_value_bands_free_over_a_threshold_and_weight_bands(db):
    cheap, dear = _in_cart(db, 3000, token="a"), _in_cart(db, 10000, token="b")
    assert pricing.quote(cheap, "CZ", "standard").shipping == 995  # below 100.00
    assert pricing.quote(dear, "CZ", "standard").shipping == 495  # from 100.00
    assert pricing.quote(cheap, "DE", "standard").shipping == 495
    assert pricing.quote(dear, "DE", "standard").shipping == 0  # free from 60.00
    for grams, price in [(1999, 695), (2000, 1195), (5000, 1995)]:
        heavy = _in_cart(db, 1000, weight=grams, token=f"w{grams}")
        assert pricing.quote(heavy, "CZ", "parcel").shipping == price, grams
    two = _in_cart(db, 1000, weight=1200, quantity=2, token="two")  # 2.4 kg in all
    assert pricing.quote(two, "CZ", "parcel").shipping == 1195


def test_a_method_of_another_zone_is_refused_with_a_message(shop, db):
    product = make_product("Teapot", price=3000)
    add_to_cart(shop, shop.token, product.variants[0].id)
    refused, _ = checkout(shop, shop.token, country="DE", shipping_method="parcel")
    assert refused.status_code == 422
    assert ("That delivery method is not offered for Germany: choose one of Standard "
            "delivery (3-5 working days), Express delivery (1-2 working days).") in page(refused)
    nowhere, _ = checkout(shop, shop.token, country="CH")
    assert nowhere.status_code == 422 and "Not a valid choice" in page(nowhere)
    assert db.session.scalar(select(Order)) is None


def test_two_countries_differ_in_shipping_and_vat(shop, db):
    product = make_product("Teapot", price=3000)
    for country in ("DE", "CZ"):
        add_to_cart(shop, shop.token, product.variants[0].id)
        response, _ = checkout(shop, shop.token, country=country, email=f"{country}@example.com")
        assert response.status_code == 303, page(response)[:500]
    germany, czechia = (db.session.scalar(select(Order).where(Order.ship_country == c))
                        for c in ("DE", "CZ"))
    assert (germany.shipping, germany.total, germany.tax) == (495, 3495, 558)
    assert (czechia.shipping, czechia.total, czechia.tax) == (995, 3995, 693)
    assert czechia.shipping_name == "Standard delivery (5-8 working days)"


def test_the_checkout_lists_only_countries_a_zone_covers(shop, db):
    add_to_cart(shop, shop.token, make_product("Teapot", price=3000).variants[0].id)
    form = page(shop.get("/checkout"))
    assert '<option value="CZ">Czechia</option>' in form
    assert 'value="CH"' not in form


def test_changing_the_country_updates_methods_and_totals(shop, db):
    client, token = shop, shop.token
    add_to_cart(shop, token, make_product("Teapot", price=3000).variants[0].id)
    fragment = page(client.get("/checkout?country=CZ&shipping_method=parcel",
                               headers={**HX, "HX-Target": "order-summary"}))
    assert "<html" not in fragment and 'id="order-summary"' in fragment
    assert 'id="delivery-methods"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "Parcel by weight" in fragment and "Delivery to Czechia" in fragment
    assert "Including VAT 21 % (CZ)" in fragment and "€36.95" in fragment
    # Without JavaScript: "Update totals" posts the form and shows the same, placing nothing.
    updated = client.post("/checkout", data={"csrf_token": token, "country": "CZ",
                                             "shipping_method": "express", "update_totals": "1"})
    assert updated.status_code == 200
    assert "€54.95" in page(updated) and "Parcel by weight" in page(updated)
    assert db.session.scalar(select(Order)) is None
