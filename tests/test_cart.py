"""The cart domain: arithmetic, validation, merging."""
import pytest
from sqlalchemy import delete

from tests.factories import make_product, make_user
from webshop import cart as carts
from webshop import pricing
from webshop.models import Cart, CartItem


def test_lines_and_totals_use_current_prices(db):
    mug = make_product("Mug", price=1250, stock=10)
    tee = make_product("Tee", price=2000, stock=10)
    cart = carts.add_item(mug.variants[0].id, 2, token="t1")
    carts.add_item(tee.variants[0].id, 1, token="t1")
    mug.variants[0].price = 1500
    db.session.commit()

    lines = carts.lines(cart)
    totals = pricing.quote(lines, "FR", "express")

    assert [(l.product_name, l.quantity, l.line_total) for l in lines] == [
        ("Mug", 2, 3000), ("Tee", 1, 2000)]
    assert (totals.subtotal, totals.shipping, totals.total) == (5000, 1295, 6295)
    assert totals.tax == 1049  # France's 20 % VAT inside 62.95 (62.95 / 1.2 = 52.46 net)
    assert carts.item_count(cart) == 3


def test_standard_shipping_is_free_over_the_threshold(app, db):
    mug = make_product("Mug", price=app.config["FREE_SHIPPING_OVER"], stock=5)
    cart = carts.add_item(mug.variants[0].id, 1, token="t")
    lines = carts.lines(cart)
    assert pricing.quote(lines, "DE", "standard").shipping == 0
    assert pricing.quote(lines, "DE", "express").shipping == 1295


def test_adding_the_same_variant_twice_adds_up(db):
    mug = make_product("Mug", stock=10)
    carts.add_item(mug.variants[0].id, 2, token="t")
    cart = carts.add_item(mug.variants[0].id, 3, token="t")
    assert [l.quantity for l in carts.lines(cart)] == [5]


@pytest.mark.parametrize("raw, message", [
    ("", "whole number"), ("abc", "whole number"), ("1.5", "whole number"), ("-2", "whole number"),
    ("0", "at least 1"), ("100", "at most 99"),
])
def test_quantities_are_validated_with_a_clear_message(raw, message):
    with pytest.raises(carts.CartError, match=message):
        carts.parse_quantity(raw)


def test_zero_is_allowed_where_it_means_remove():
    assert carts.parse_quantity("0", allow_zero=True) == 0


def test_quantity_is_capped_by_stock(db):
    mug = make_product("Mug", stock=3)
    cart = carts.add_item(mug.variants[0].id, 2, token="t")
    with pytest.raises(carts.CartError, match="Only 3 of Mug left"):
        carts.add_item(mug.variants[0].id, 2, token="t")
    with pytest.raises(carts.CartError, match="Only 3"):
        carts.set_quantity(cart, carts.lines(cart)[0].item_id, 4)
    assert carts.lines(cart)[0].quantity == 2


def test_sold_out_and_inactive_products_cannot_be_added(db):
    gone = make_product("Gone", stock=0)
    hidden = make_product("Hidden", active=False)
    with pytest.raises(carts.CartError, match="sold out"):
        carts.add_item(gone.variants[0].id, 1, token="t")
    with pytest.raises(carts.CartError, match="no longer available"):
        carts.add_item(hidden.variants[0].id, 1, token="t")
    with pytest.raises(carts.CartError, match="no longer available"):
        carts.add_item(999999, 1, token="t")
    assert db.session.query(Cart).count() == 0  # nothing half-written


def test_setting_zero_removes_and_items_of_other_carts_are_off_limits(db):
    mug = make_product("Mug", stock=9)
    mine = carts.add_item(mug.variants[0].id, 1, token="mine")
    theirs = carts.add_item(mug.variants[0].id, 1, token="theirs")
    their_item = carts.lines(theirs)[0].item_id

    with pytest.raises(carts.CartError, match="no longer in your cart"):
        carts.set_quantity(mine, their_item, 5)
    with pytest.raises(carts.CartError):
        carts.remove_item(mine, their_item)
    carts.set_quantity(mine, carts.lines(mine)[0].item_id, 0)

    assert carts.lines(mine) == []
    assert carts.lines(theirs)[0].quantity == 1


@pytest.mark.parametrize("change", ["set_quantity", "remove_item"])
def test_a_line_gone_since_it_was_read_is_refused_with_a_message(db, change):
    mug = make_product("Mug", stock=9)
    cart = carts.add_item(mug.variants[0].id, 2, token="t")
    item = db.session.get(CartItem, carts.lines(cart)[0].item_id)  # the request read it...
    with db.engine.begin() as other:  # ...and the shopper's other browser placed an order
        other.execute(delete(CartItem).where(CartItem.id == item.id))

    with pytest.raises(carts.CartError, match="no longer in your cart"):
        getattr(carts, change)(cart, item.id, *([3] if change == "set_quantity" else []))
    assert carts.lines(carts.find_cart(token="t")) == []
    assert carts.add_item(mug.variants[0].id, 1, token="t")  # the cart still works


def test_guest_cart_merges_into_the_customer_cart_capped_by_stock(db):
    user = make_user()
    mug = make_product("Mug", stock=4)
    tee = make_product("Tee", stock=10)
    carts.add_item(mug.variants[0].id, 3, user_id=user.id)
    carts.add_item(mug.variants[0].id, 3, token="guest")
    carts.add_item(tee.variants[0].id, 2, token="guest")

    count = carts.merge_guest_cart("guest", user.id)

    lines = carts.lines(carts.find_cart(user_id=user.id))
    assert {l.product_name: l.quantity for l in lines} == {"Mug": 4, "Tee": 2}
    assert count == 6
    assert carts.find_cart(token="guest") is None


def test_merging_without_a_guest_cart_keeps_the_customer_cart(db):
    user = make_user()
    mug = make_product("Mug", stock=4)
    carts.add_item(mug.variants[0].id, 1, user_id=user.id)
    assert carts.merge_guest_cart(None, user.id) == 1
