"""Abandoned-cart reminders for shoppers who placed the order and then left the Stripe
page: placing empties the cart, so once the unpaid order has expired (or was cancelled
unpaid) and a full delay has passed, the reminder lists the order's lines and its
restore link puts them back; never when an order was paid, is still awaiting payment
or a late payment was flagged."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.factories import make_order, make_product, register_customer
from tests.helpers import CHECKOUT, add_to_cart, checkout, csrf_token, login, page, stock_of
from tests.reminder_helpers import abandon, age, link, reminder_jobs, reminders_sent
from webshop import cart as carts
from webshop import orders, reminders
from webshop.extensions import db as _db
from webshop.models import Cart, Order, OrderItem, utcnow

SUBJECT = "You left something in your cart at Webshop"


@pytest.fixture
def mug(db):
    return make_product("Blue Mug", price=1250, stock=5)


def leave_payment_page(shop, lines, **form):
    """Put (product, quantity) lines in the shop client's cart, place the order and
    never pay: returns the pending order."""
    for product, quantity in lines:
        add_to_cart(shop, shop.token, product.variants[0].id, quantity)
    response, _ = checkout(shop, shop.token, **form)
    assert response.status_code == 303 and "/_sandbox/stripe/pay/" in response.headers["Location"]
    return _db.session.query(Order).order_by(Order.id.desc()).first()


def expire(order):
    """The reservation runs out and the reconciliation cancels the order (stock back)."""
    _db.session.execute(update(Order).where(Order.id == order.id)
                        .values(reserved_until=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
    assert orders.expire_reservations() == 1


def hours_back(order, cart_id, hours):
    """Say the cart last changed, and the order was placed, `hours` hours ago."""
    placed = utcnow() - timedelta(hours=hours)
    _db.session.execute(update(Order).where(Order.id == order.id).values(created_at=placed))
    _db.session.commit()
    age(cart_id, hours + 0.1)


def test_a_shopper_who_left_the_payment_page_is_reminded_of_the_order_once_it_expired(
        app, shop, db, mug, smtp_sink, run_worker):
    user = register_customer("ada@example.com")
    assert login(shop, "ada@example.com").status_code == 303
    shop.token = csrf_token(shop, "/cart")
    teapot = make_product("Teapot", price=3000, stock=2)
    order = leave_payment_page(shop, [(mug, 2), (teapot, 1)])
    cart = carts.find_cart(user_id=user.id)
    assert carts.lines(cart) == []  # placing the order emptied the cart
    assert reminders.sweep() == 0  # awaiting payment: the order may still be paid

    expire(order)
    assert stock_of(mug.variants[0].id) == 5  # the reservation was released
    assert reminders.sweep() == 0  # left only just now: a full delay first
    hours_back(order, cart.id, 25)
    assert reminders.sweep() == 1
    assert reminders.sweep() == 0  # once
    run_worker()

    [message] = [m for m in smtp_sink.wait_for(2) if m["Subject"] == SUBJECT]
    assert message["To"] == "ada@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "2 x Blue Mug" in text and "1 x Teapot" in text and "€55.00" in text
    assert "You did not finish paying for your order at Webshop" in text
    assert "still holds" not in text  # the cart is empty: the order held them
    assert reminders.reminder_email(cart.id, 1).left_at_payment

    visitor = app.test_client()  # the link, in a browser that has never been here
    restore = link(text, "restore")
    assert "Blue Mug" in page(visitor.get(restore))
    back = visitor.post(restore, data={"csrf_token": csrf_token(visitor, restore)})
    assert back.status_code == 303
    shown = page(visitor.get("/cart"))
    assert "Blue Mug" in shown and "Teapot" in shown


def test_a_guest_who_consented_at_checkout_is_reminded_too(shop, db, mug):
    order = leave_payment_page(shop, [(mug, 1)], email="Guest@Example.com", remind_me="y")
    expire(order)
    cart_id = _db.session.query(Cart.id).filter(Cart.remind_email == "guest@example.com").scalar()
    hours_back(order, cart_id, 25)

    assert reminders.sweep() == 1 and reminder_jobs() == [(cart_id, 1)]
    email = reminders.reminder_email(cart_id, 1)
    assert [(line.product_name, line.quantity) for line in email.lines] == [("Blue Mug", 1)]


def left_unpaid(mug, user=None, email=None, hours_ago=25, **state):
    """An emptied cart (last changed a little before) and the order placed from it,
    cancelled unpaid `hours_ago` hours ago (or in `state`: status, paid_at, ...)."""
    cart = abandon(user=user, email=email, hours_ago=hours_ago + 0.1)
    order = make_order(user, email=email, status=state.pop("status", "cancelled"),
                       created_at=utcnow() - timedelta(hours=hours_ago), **state)
    item = _db.session.get(OrderItem, order.items[0].id)
    item.variant_id, item.product_id, item.quantity = mug.variants[0].id, mug.id, 3
    _db.session.commit()
    return cart, order


def test_the_last_order_left_unpaid_is_what_the_reminder_lists(db, mug):
    user = register_customer()
    cart, _ = left_unpaid(mug, user)
    teapot = make_product("Teapot", stock=4)
    later = make_order(user, status="cancelled", created_at=utcnow() - timedelta(hours=24.5))
    item = _db.session.get(OrderItem, later.items[0].id)
    item.variant_id, item.product_id = teapot.variants[0].id, teapot.id
    _db.session.commit()

    assert reminders.sweep() == 1
    assert reminders.abandoned_items(cart.id) == [(teapot.variants[0].id, 1)]
    assert [line.product_name for line in reminders.reminder_email(cart.id, 1).lines] == \
        ["Teapot"]


@pytest.mark.parametrize("state", [
    {"status": "paid", "paid_at": utcnow()},  # the order itself was paid
    {"status": "pending"},  # still awaiting payment
])
def test_no_reminder_for_an_order_paid_or_still_awaiting_payment(db, mug, state):
    left_unpaid(mug, register_customer(), **state)
    assert reminders.sweep() == 0


def test_no_reminder_when_another_order_was_paid_or_a_late_payment_flagged(db, mug):
    user = register_customer()
    left_unpaid(mug, user)
    paid = make_order(user, status="paid", created_at=utcnow() - timedelta(hours=24))
    assert reminders.sweep() == 0
    _db.session.delete(_db.session.get(Order, paid.id))
    _db.session.commit()

    guest_cart, flagged = left_unpaid(mug, email="late@example.com")
    _db.session.get(Order, flagged.id).needs_attention = True  # paid after cancelling
    _db.session.commit()
    assert reminders.sweep() == 1 and reminder_jobs()[0][0] != guest_cart.id


def test_consent_unsubscribing_and_stock_still_rule(db, mug):
    left_unpaid(mug, email="no-consent@example.com")
    guest_cart = _db.session.query(Cart).order_by(Cart.id.desc()).first()
    guest_cart.remind_email = None  # a guest who never ticked the box
    _db.session.commit()
    left_unpaid(mug, register_customer("ada@example.com"))
    reminders.unsubscribe("ada@example.com")
    gone = make_product("Retired Vase", active=False)
    left_unpaid(gone, register_customer("bo@example.com"))

    assert reminders.sweep() == 0
    assert reminders_sent(guest_cart.id) == 0
