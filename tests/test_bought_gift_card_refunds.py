"""Gift cards bought with an order that is refunded: a refund of the gift-card line
voids the unspent card (one card per unit refunded), a refund of the whole order voids
them all, a card already spent is emptied and the order flagged for staff, and a refund
that fails at Stripe after it counted puts the cards back. Real PostgreSQL, the sandbox
and its webhooks."""
import re

from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import (  # noqa: F401  deliveries_done: an autouse fixture
    FAILING_REFUND_CARD, GOOD_CARD, deliveries_done, pay, wait_until,
)
from tests.promotion_helpers import buy
from webshop import orders
from webshop.demo.gift_cards import seed_gift_card
from webshop.extensions import db as _db
from webshop.models import AuditLog, GiftCard, GiftCardTransaction, Order, ProductVariant
from webshop.orders.refunds import refund_reported
from webshop.payments.sandbox import wait_for_deliveries
from webshop.promotions import staff


def _order(db, order_id):
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _cards(db):
    db.session.expire_all()
    return db.session.scalars(select(GiftCard).order_by(GiftCard.id)).all()


def _bought(shop, db, quantity=1, card=GOOD_CARD):
    """An order for `quantity` 50 EUR gift cards, paid: (the order, its cards)."""
    seed_gift_card(db.session, "EUR", "GIFTCARD-")
    db.session.commit()
    variant = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "GIFTCARD-50"))
    response, order = buy(shop, variant.id, quantity)
    pay(shop, re.sub(r"^http://[^/]+", "", response.headers["Location"]), card)
    assert wait_until(lambda: _order(db, order.id).status == "paid")
    cards = _cards(db)
    assert [c.balance for c in cards] == [5000] * quantity
    return _order(db, order.id), cards


def test_refunding_the_whole_order_voids_the_unspent_card(shop, db):
    order, [card] = _bought(shop, db)
    orders.request_refund(order.id)
    [card] = _cards(db)
    assert (card.balance, card.active) == (0, False)
    ledger = db.session.scalars(select(GiftCardTransaction.amount).where(
        GiftCardTransaction.gift_card_id == card.id).order_by(GiftCardTransaction.id)).all()
    assert ledger == [5000, -5000]
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "gift_card.voided"))
    assert not _order(db, order.id).needs_attention


def test_refunding_one_unit_of_the_line_voids_one_card_and_leaves_the_other(shop, db):
    order, cards = _bought(shop, db, quantity=2)
    [item] = order.items
    orders.request_refund(order.id, lines={item.id: 1})
    assert sorted((c.balance, c.active) for c in _cards(db)) == [(0, False), (5000, True)]


def test_a_partial_refund_of_the_line_reduces_the_card(shop, db):
    order, [card] = _bought(shop, db)
    orders.request_refund(order.id, amount=2000)  # nothing else to refund: the card's
    [card] = _cards(db)
    assert (card.balance, card.active) == (3000, True)
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "gift_card.reduced"))


def test_a_card_already_spent_is_emptied_and_the_order_flagged(shop, db):
    order, [card] = _bought(shop, db)
    mug = make_product("Mug", price=2000)
    _response, spent = buy(shop, mug.variants[0].id, codes=[card.code])
    assert spent.status == "paid" and _cards(db)[0].balance == 2505
    orders.request_refund(order.id)
    [card] = _cards(db)
    assert (card.balance, card.active) == (0, False)
    stored = _order(db, order.id)
    assert stored.needs_attention and "€24.95 of the €50.00" in stored.attention_reason


def test_a_refund_that_fails_at_stripe_puts_the_card_back(shop, db):
    order, [card] = _bought(shop, db, card=FAILING_REFUND_CARD)
    orders.request_refund(order.id)
    assert wait_until(lambda: _order(db, order.id).needs_attention)
    wait_for_deliveries(timeout=10)
    [card] = _cards(db)
    assert (card.balance, card.active) == (5000, True)
    assert _order(db, order.id).status == "paid"
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "gift_card.restored"))


def test_a_partial_refund_leaves_a_card_staff_deactivated_inactive(shop, db):
    order, [card] = _bought(shop, db)
    staff.set_card_active(card.id, False)
    orders.request_refund(order.id, amount=2000)
    [card] = _cards(db)
    assert (card.balance, card.active) == (3000, False)


def test_a_failed_refund_does_not_bring_back_a_card_staff_deactivated(shop, db):
    order, [card] = _bought(shop, db, card=FAILING_REFUND_CARD)
    staff.set_card_active(card.id, False)
    orders.request_refund(order.id)
    assert wait_until(lambda: _order(db, order.id).needs_attention)
    wait_for_deliveries(timeout=10)
    [card] = _cards(db)
    assert (card.balance, card.active) == (5000, False)


def test_a_failed_refund_gives_back_only_what_it_took_not_what_an_earlier_one_voided(shop, db):
    order, (first, second) = _bought(shop, db, quantity=2)
    mug = make_product("Mug", price=2000)
    buy(shop, mug.variants[0].id, codes=[first.code])  # the first card pays 24.95
    orders.request_refund(order.id, amount=5000)  # voids the fuller card: the second
    assert [(c.balance, c.active) for c in _cards(db)] == [(2505, True), (0, False)]
    failing = orders.request_refund(order.id, amount=3000)  # takes what is left of the first
    assert [c.balance for c in _cards(db)] == [0, 0]
    refund_reported(orders.locked(order.id), {
        "id": failing.stripe_refund_id, "amount": 3000, "status": "failed",
        "failure_reason": "expired_or_canceled_card", "metadata": {"refund_id": failing.id}})
    _db.session.commit()
    assert [(c.balance, c.active) for c in _cards(db)] == [(2505, True), (0, False)]
