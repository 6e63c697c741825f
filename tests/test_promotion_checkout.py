"""Discount codes from the cart to the paid order: the cart's form (with and without
htmx), the discount line on every page, Stripe's amount, a use held at placement,
consumed when paid, given back when the unpaid order is cancelled, and the last use
going to exactly one of two simultaneous checkouts."""
import re
from contextlib import contextmanager

from sqlalchemy import event, select

from tests.factories import make_product
from tests.helpers import (
    GOOD_CARD, HX, add_to_cart, checkout, fresh, page, pay, wait_until,
)
from tests.promotion_helpers import enter_code, make_code, race_two_checkouts
from tests.test_order_races import ADDRESS, any_db, sqlite_db  # noqa: F401  (fixtures)
from webshop import cart as carts
from webshop import orders, promotions
from webshop.extensions import db as _db
from webshop.models import AuditLog, DiscountCode, DiscountCustomerUse, DiscountRedemption, Order
from webshop.payments import gateway


def test_the_cart_form_applies_a_code_without_javascript(shop, db):
    make_code("SAVE10", value=10)
    mug = make_product("Mug", price=2000)
    add_to_cart(shop, shop.token, mug.variants[0].id, 2)
    cart = page(shop.get("/cart"))
    assert re.search(r'<form[^>]*action="/cart/codes"', cart) and 'name="code"' in cart
    response = enter_code(shop, shop.token, " save10 ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    shown = page(shop.get("/cart"))
    assert "Code SAVE10 applied." in shown and "Discount (SAVE10)" in shown and "−€4.00" in shown
    removed = shop.post("/cart/codes/remove", data={"csrf_token": shop.token, "kind": "discount"})
    assert removed.status_code == 303 and "−€4.00" not in page(shop.get("/cart"))


def test_with_htmx_the_cart_contents_come_back_with_the_message(shop, db):
    make_code("TENOFF", "fixed", 1000, min_spend=5000)
    mug = make_product("Mug", price=2000)
    add_to_cart(shop, shop.token, mug.variants[0].id, 2)
    below = enter_code(shop, shop.token, "tenoff", headers=HX)
    assert below.status_code == 422 and 'id="cart-contents"' in page(below)
    assert "needs a minimum spend of €50.00; your cart comes to €40.00" in page(below)
    unknown = enter_code(shop, shop.token, "NOSUCH", headers=HX)
    assert unknown.status_code == 422 and "We do not know the code “NOSUCH”" in page(unknown)
    add_to_cart(shop, shop.token, mug.variants[0].id, 1)
    applied = enter_code(shop, shop.token, "tenoff", headers=HX)
    assert applied.status_code == 200 and "Code TENOFF applied." in page(applied)
    assert "−€10.00" in page(applied) and "<html" not in page(applied)


def test_the_discount_is_a_line_of_the_order_and_stripe_charges_what_is_left(shop, db):
    make_code("SAVE10", value=10)
    mug = make_product("Mug", price=2000)
    add_to_cart(shop, shop.token, mug.variants[0].id, 2)
    enter_code(shop, shop.token, "SAVE10")
    assert "−€4.00" in page(shop.get("/checkout"))
    response, _ = checkout(shop, shop.token)
    assert response.status_code == 303, page(response)[:500]
    order = db.session.scalar(select(Order))
    assert (order.subtotal, order.discount, order.shipping, order.total) == (4000, 400, 495, 4095)
    assert order.discount_code == "SAVE10"
    session = gateway.client().v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert session.amount_total == 4095
    shown = page(shop.get(f"/orders/{order.number}?token={orders.access_token(order)}"))
    assert "SAVE10" in shown and "−€4.00" in shown
    redemption = db.session.scalar(select(DiscountRedemption))
    assert (redemption.status, redemption.amount, redemption.email) == ("held", 400,
                                                                       "ada@example.com")
    assert fresh(db, DiscountCode, redemption.code_id).uses == 1
    assert shop.get("/cart").status_code == 200
    assert fresh(db, type(order), order.id).discount_code == "SAVE10"


def test_paying_consumes_the_use_and_cancelling_gives_it_back(shop, db):
    code = make_code("ONCE", value=10, max_uses=2)
    mug = make_product("Mug", price=2000)
    placed = []
    for _ in range(2):
        add_to_cart(shop, shop.token, mug.variants[0].id, 1)
        enter_code(shop, shop.token, "ONCE")
        response, _ = checkout(shop, shop.token)
        assert response.status_code == 303, page(response)[:500]
        placed.append((db.session.scalars(select(Order).order_by(Order.id.desc())).first(),
                       response.headers["Location"]))
    assert fresh(db, DiscountCode, code.id).uses == 2
    (paid, pay_url), (unpaid, _) = placed
    pay(shop, re.sub(r"^http://[^/]+", "", pay_url), GOOD_CARD)
    assert wait_until(lambda: fresh(db, Order, paid.id).status == "paid")
    orders.cancel(unpaid.id, reason="Changed my mind")
    statuses = {r.order_id: r.status for r in db.session.scalars(select(DiscountRedemption))}
    assert statuses == {paid.id: "consumed", unpaid.id: "released"}
    assert fresh(db, DiscountCode, code.id).uses == 1
    actions = set(db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "discount_code")))
    assert {"discount.held", "discount.consumed", "discount.released"} <= actions


def test_the_last_use_goes_to_exactly_one_of_two_simultaneous_checkouts(app, db):
    code = make_code("LAST", "fixed", 500, max_uses=1)
    mug = make_product("Mug", price=2000, stock=10)
    placed, refused = race_two_checkouts(app, mug.variants[0].id, discount_code="LAST")
    assert len(placed) == 1 and len(refused) == 1
    assert "the code LAST was just used up" in str(refused[0]) or "has been used up" in str(
        refused[0])
    assert fresh(db, DiscountCode, code.id).uses == 1
    assert db.session.query(Order).count() == 1
    assert db.session.query(DiscountRedemption).count() == 1


def test_a_customer_s_last_use_goes_to_exactly_one_of_two_simultaneous_checkouts(any_db):
    # One customer in two browsers, without the shoppers' lock (MAX_PENDING_ORDERS=0, as
    # in the testing settings): the counter row per (code, email) is what counts, on
    # PostgreSQL (its row lock) and on SQLite (its write lock).
    assert any_db.config["MAX_PENDING_ORDERS"] == 0
    code_id = make_code("ONCEEACH", "fixed", 500, max_uses_per_customer=1).id
    mug = make_product("Mug", price=2000, stock=10)
    placed, refused = race_two_checkouts(any_db, mug.variants[0].id, email="ada@example.com",
                                         discount_code="ONCEEACH")
    assert len(placed) == 1 and len(refused) == 1
    assert "You have already used the code ONCEEACH." in str(refused[0])
    assert fresh(_db, DiscountCode, code_id).uses == 1
    assert _db.session.scalar(select(DiscountCustomerUse.uses)) == 1
    # Cancelling the unpaid order gives the customer's use back.
    orders.cancel(_db.session.scalar(select(Order.id)), reason="Changed my mind")
    _db.session.expire_all()
    assert _db.session.scalar(select(DiscountCustomerUse.uses)) == 0


def test_placing_and_cancelling_lock_the_customer_s_counter_before_the_code(db):
    # Both change the customer's counter row and the code's row; in opposite orders, a
    # placement and a cancellation with the same code and email deadlocked on PostgreSQL.
    make_code("ONCEEACH", "fixed", 500, max_uses_per_customer=1)
    mug = make_product("Mug", price=2000, stock=10)
    cart = carts.add_item(mug.variants[0].id, 1, token="lock-order-" + "x" * 20)
    cart.discount_code = "ONCEEACH"
    db.session.commit()
    tables = ("discount_customer_uses", "discount_codes")
    with _updated_tables(db, tables) as placing:
        promos = promotions.OrderPromotions(cart, "ada@example.com")
        order = orders.place_order(cart, "ada@example.com", ADDRESS, "standard", "lock-order",
                                   adjust=promos.adjust, hold=promos.hold)
    with _updated_tables(db, tables) as cancelling:
        orders.cancel(order.id, reason="Changed my mind")
    assert placing == cancelling == list(tables)


@contextmanager
def _updated_tables(db, tables):
    """The `tables` the statements run inside the block update, in the order they do."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        words = statement.split()
        if len(words) > 1 and words[0].upper() == "UPDATE" and words[1] in tables:
            seen.append(words[1])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_two_customers_each_get_their_use_at_the_same_moment(app, db):
    code = make_code("ONCEEACH", "fixed", 500, max_uses_per_customer=1)
    mug = make_product("Mug", price=2000, stock=10)
    placed, refused = race_two_checkouts(app, mug.variants[0].id, discount_code="ONCEEACH")
    assert len(placed) == 2 and not refused
    assert fresh(db, DiscountCode, code.id).uses == 2


def test_codes_cannot_be_guessed_at_speed(shop, db, settings):
    settings(RATELIMIT_CART_CODES="3/10 minutes")
    mug = make_product("Mug", price=2000)
    add_to_cart(shop, shop.token, mug.variants[0].id)
    for guess in ("AAAA", "BBBB", "CCCC"):
        assert enter_code(shop, shop.token, guess, headers=HX).status_code == 422
    assert enter_code(shop, shop.token, "DDDD", headers=HX).status_code == 429
    cards = {promotions.giftcards.new_code() for _ in range(200)}
    assert len(cards) == 200 and all(len(c) == 16 and not set(c) & set("01ILO") for c in cards)
