"""Gift cards: bought as a product and emailed with their code, spent at checkout partly
(Stripe charges the rest) or wholly (no Stripe at all), given back when the unpaid order
is cancelled or refunded, and the last of a balance spent by one order only."""
import re

from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import GOOD_CARD, HX, add_to_cart, handed_over, page, pay, wait_until
from tests.promotion_helpers import buy, enter_code, make_card, race_two_checkouts
from webshop import orders, promotions
from webshop.demo.gift_cards import seed_gift_card
from webshop.extensions import db as _db
from webshop.models import (
    AuditLog, GiftCard, GiftCardTransaction, Order, ProductVariant, Refund,
)
from webshop.payments import gateway


def _balance(db, card_id):
    db.session.expire_all()
    return db.session.get(GiftCard, card_id).balance


def _path(url):
    return re.sub(r"^http://[^/]+", "", url)


def test_a_card_bought_is_emailed_and_pays_first_wholly_then_partly(shop, db, smtp_sink,
                                                                   run_worker):
    seed_gift_card(db.session, "EUR", "GIFTCARD-")
    db.session.commit()
    variant = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "GIFTCARD-50"))
    response, bought = buy(shop, variant.id)
    assert bought.shipping == 0 and bought.tax == 0 and bought.total == 5000  # emailed, no VAT
    pay(shop, _path(response.headers["Location"]), GOOD_CARD)
    assert wait_until(lambda: _db.session.get(Order, bought.id, populate_existing=True)
                      .status == "paid")
    card = db.session.scalar(select(GiftCard))
    assert (card.balance, card.email, card.order_id) == (5000, "ada@example.com", bought.id)
    assert wait_until(handed_over)
    run_worker()
    mail = next(m for m in smtp_sink.wait_for(2) if "gift card" in m["Subject"])
    assert mail["To"] == "ada@example.com"
    body = mail.get_body(("plain",)).get_content()
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", body).group(1)
    assert code.replace("-", "") == card.code and "€50.00" in body

    mug = make_product("Mug", price=2000)
    response, whole = buy(shop, mug.variants[0].id, codes=[code.lower()])
    assert (whole.total, whole.gift_card_amount, whole.amount_due) == (2495, 2495, 0)
    assert whole.status == "paid" and whole.stripe_checkout_session_id is None
    assert "/_sandbox/" not in response.headers["Location"]
    confirmation = page(shop.get(_path(response.headers["Location"])))
    assert "Gift card" in confirmation and "−€24.95" in confirmation
    assert _balance(db, card.id) == 2505
    assert wait_until(handed_over)
    run_worker()
    assert any(whole.number in m["Subject"] for m in smtp_sink.wait_for(3))  # confirmed

    teapot = make_product("Teapot", price=3000)
    response, part = buy(shop, teapot.variants[0].id, codes=[code])
    assert (part.total, part.gift_card_amount, part.amount_due) == (3495, 2505, 990)
    session = gateway.client().v1.checkout.sessions.retrieve(part.stripe_checkout_session_id)
    assert session.amount_total == 990
    pay(shop, _path(response.headers["Location"]), GOOD_CARD)
    assert wait_until(lambda: _db.session.get(Order, part.id, populate_existing=True)
                      .status == "paid")
    assert _balance(db, card.id) == 0
    ledger = db.session.scalars(select(GiftCardTransaction.amount).where(
        GiftCardTransaction.gift_card_id == card.id).order_by(GiftCardTransaction.id)).all()
    assert ledger == [5000, -2495, -2505]


def test_an_empty_or_deactivated_card_says_so(shop, db):
    mug = make_product("Mug", price=2000)
    add_to_cart(shop, shop.token, mug.variants[0].id)
    card = make_card(1000)
    card.active = False
    db.session.commit()
    refused = enter_code(shop, shop.token, promotions.grouped(card.code), headers=HX)
    assert refused.status_code == 422
    assert f"The gift card ending {card.code[-4:]} has been deactivated." in page(refused)


def test_cancelling_the_unpaid_order_gives_the_balance_back(shop, db):
    card = make_card(1000)
    mug = make_product("Mug", price=3000)
    _response, order = buy(shop, mug.variants[0].id, codes=[card.code])
    assert order.status == "pending" and _balance(db, card.id) == 0
    orders.cancel(order.id, reason="Changed my mind")
    assert _balance(db, card.id) == 1000
    kinds = db.session.scalars(select(GiftCardTransaction.kind).order_by(
        GiftCardTransaction.id)).all()
    assert kinds == ["issue", "redeem", "release"]


def test_a_refund_gives_stripe_what_stripe_took_and_the_rest_to_the_card(shop, db, admin):
    card = make_card(1000)
    mug = make_product("Mug", price=3000)
    response, order = buy(shop, mug.variants[0].id, codes=[card.code])
    pay(shop, _path(response.headers["Location"]), GOOD_CARD)
    assert wait_until(lambda: _db.session.get(Order, order.id, populate_existing=True)
                      .status == "paid")
    orders.request_refund(order.id, amount=3000, actor=admin.me)  # 2495 Stripe, 505 card
    assert _balance(db, card.id) == 505
    orders.request_refund(order.id, actor=admin.me)  # what is left: 495, all the card's
    db.session.expire_all()
    refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
    assert [(r.source, r.amount, r.status) for r in refunds] == [
        ("gift_card", 505, "succeeded"), ("shop", 2495, "succeeded"),
        ("gift_card", 495, "succeeded")]
    assert _balance(db, card.id) == 1000
    order = db.session.get(Order, order.id)
    assert order.status == "refunded" and order.amount_refunded == 3495
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "gift_card.refund"))


def test_a_card_paid_order_is_refunded_to_the_card_without_stripe(shop, db, admin):
    card = make_card(5000)
    mug = make_product("Mug", price=2000)
    _response, order = buy(shop, mug.variants[0].id, codes=[card.code])
    assert order.status == "paid" and _balance(db, card.id) == 2505
    refund = orders.request_refund(order.id, amount=1000, actor=admin.me)
    assert (refund.source, refund.status, refund.amount) == ("gift_card", "succeeded", 1000)
    assert _balance(db, card.id) == 3505


def test_the_last_of_a_balance_goes_to_exactly_one_of_two_simultaneous_orders(app, db):
    card = make_card(3000)
    mug = make_product("Mug", price=3000, stock=10)
    placed, refused = race_two_checkouts(app, mug.variants[0].id, gift_card_code=card.code)
    assert len(placed) == 1 and len(refused) == 1
    assert "balance changed" in str(refused[0])
    assert _balance(db, card.id) == 0
    assert db.session.query(Order).count() == 1
    assert db.session.scalars(select(GiftCardTransaction.amount)).all() == [3000, -3000]
