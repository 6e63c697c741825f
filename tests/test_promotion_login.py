"""A guest's codes survive logging in: the guest cart's discount code and gift card go
onto the account's cart with its lines, checked again with the account's email; where
the account's cart already holds one of the same kind, the one that takes more off
stays, and the shopper is told what became of each."""
from tests.factories import make_product, register_customer
from tests.helpers import add_to_cart, csrf_token, login, page
from tests.promotion_helpers import enter_code, make_card, make_code
from webshop import cart as carts
from webshop.extensions import db as _db
from webshop.models import DiscountCustomerUse
from webshop.promotions import giftcards

EMAIL = "ada@example.com"


def _guest_with(client, db, variant_id, *codes):
    client.token = csrf_token(client, "/login")
    add_to_cart(client, client.token, variant_id)
    for code in codes:
        assert enter_code(client, client.token, code).status_code == 303


def _account_cart(user, variant_id, **codes):
    cart = carts.add_item(variant_id, 1, user_id=user.id)
    for name, value in codes.items():
        setattr(cart, name, value)
    _db.session.commit()
    return cart


def _log_in(client):
    """Log in as EMAIL and read the page the login leads to (with its messages)."""
    response = login(client, EMAIL)
    assert response.status_code == 303
    return page(client.get(response.headers["Location"]))


def _held(db, user):
    db.session.expire_all()
    cart = carts.find_cart(user_id=user.id)
    return cart.discount_code, cart.gift_card_code


def test_a_guest_s_code_is_still_on_the_cart_after_logging_in(client, db):
    user = _user()
    make_code("SAVE10", value=10)
    mug = make_product("Mug", price=2000)
    _guest_with(client, db, mug.variants[0].id, "save10")
    shown = _log_in(client)
    assert "Your code SAVE10 is still on your cart." in shown
    assert _held(db, user) == ("SAVE10", None)
    cart_page = page(client.get("/cart"))
    assert "SAVE10" in cart_page and "−€2.00" in cart_page


def test_the_code_that_takes_more_off_stays_when_both_carts_hold_one(client, db):
    user = _user()
    make_code("SAVE10", value=10)  # 10% of 40.00: 4.00
    make_code("FIVE", "fixed", 500)
    make_code("ONE", "fixed", 100)
    mug = make_product("Mug", price=2000)
    _account_cart(user, mug.variants[0].id, discount_code="FIVE")
    _guest_with(client, db, mug.variants[0].id, "SAVE10")
    assert "Your cart keeps FIVE, which takes more off than SAVE10." in _log_in(client)
    assert _held(db, user) == ("FIVE", None)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    tee = make_product("Tee", price=10000)
    _guest_with(client, db, tee.variants[0].id, "SAVE10")  # now 10% of 140.00: 14.00
    shown = _log_in(client)
    assert "Your cart now holds SAVE10 instead of FIVE: it takes more off." in shown
    assert _held(db, user) == ("SAVE10", None)


def test_a_guest_s_card_joins_the_account_s_code(client, db):
    user = _user()
    make_code("FIVE", "fixed", 500)
    card = make_card(3000)
    mug = make_product("Mug", price=2000)
    _account_cart(user, mug.variants[0].id, discount_code="FIVE")
    _guest_with(client, db, mug.variants[0].id, giftcards.grouped(card.code))
    shown = _log_in(client)
    assert f"Your code {giftcards.masked(card.code)} is still on your cart." in shown
    assert _held(db, user) == ("FIVE", card.code)


def test_a_guest_s_code_the_account_has_used_up_is_not_kept_and_says_why(client, db):
    user = _user()
    code = make_code("ONCEEACH", "fixed", 500, max_uses_per_customer=1)
    db.session.add(DiscountCustomerUse(code_id=code.id, email=EMAIL, uses=1))
    db.session.commit()
    mug = make_product("Mug", price=2000)
    _guest_with(client, db, mug.variants[0].id, "ONCEEACH")  # a guest: no email yet
    shown = _log_in(client)
    assert ("Your code ONCEEACH was not kept: You have already used the code ONCEEACH."
            in shown)
    assert _held(db, user) == (None, None)


def test_a_guest_s_card_whose_items_cannot_move_over_is_not_kept_and_login_succeeds(client, db):
    user = _user()
    card = make_card(3000)
    mug = make_product("Mug", price=2000)
    _guest_with(client, db, mug.variants[0].id, giftcards.grouped(card.code))
    mug.variants[0].stock = 0  # sold out meanwhile: nothing moves to the empty account cart
    db.session.commit()
    shown = _log_in(client)
    assert (f"Your code {giftcards.masked(card.code)} was not kept: Your cart is empty."
            in shown)
    assert _held(db, user) == (None, None)


def _user():
    return register_customer(EMAIL)
