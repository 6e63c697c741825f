"""The live-mode cases, end to end through the sandbox (the real stripe library, the
hosted page, signed webhooks): a dispute after payment, a delayed bank debit that
succeeds or fails, and a session another app created on the same Stripe account."""
import pytest
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import GOOD_CARD, check_out, fresh, log_in_new_user, page, pay, stock_of, wait_until
from webshop import orders
from webshop.models import Order, StripeEvent
from webshop.payments import gateway

DISPUTED_CARD = "4000 0000 0000 0259"  # paid, then the bank opens a fraud dispute
DEBIT_OK = "DE89370400440532013000"  # SEPA Direct Debit test IBANs
DEBIT_FAILS = "DE62370400440532013001"


def test_a_dispute_flags_the_order_shows_on_the_admin_and_holds_dispatch(shop, db, client):
    order, pay_path = check_out(shop, make_product("Mug", stock=5))
    pay(shop, pay_path, DISPUTED_CARD)
    assert wait_until(lambda: fresh(db, Order, order.id).dispute_status == "needs_response")
    disputed = fresh(db, Order, order.id)
    assert disputed.status == "paid" and disputed.needs_attention

    token = log_in_new_user(client)
    detail = page(client.get(f"/admin/orders/{order.id}"))
    assert "Dispute" in detail and "Needs response" in detail and disputed.dispute_id in detail
    assert "Open disputes" in page(client.get("/admin/"))
    refused = client.post(f"/admin/orders/{order.id}/dispatch", data={
        "csrf_token": token, "carrier": "DHL", "tracking_number": "JJD1"}, follow_redirects=True)
    assert "resolve the flag before dispatching" in page(refused)
    assert fresh(db, Order, order.id).status == "paid"

    gateway.client().v1.disputes.update(disputed.dispute_id, params={
        "evidence": {"uncategorized_text": "winning_evidence"}})

    assert wait_until(lambda: fresh(db, Order, order.id).dispute_status == "won")


def test_a_bank_debit_keeps_the_order_and_its_stock_until_the_money_arrives(shop, db, settings):
    settings(STRIPE_PAYMENT_METHOD_TYPES=("card", "sepa_debit"))
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)

    pay(shop, pay_path, DEBIT_OK)

    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    assert fresh(db, Order, order.id).payment_processing_since is not None
    assert stock_of(mug.variants[0].id) == 3


def test_a_failed_bank_debit_cancels_the_order_and_releases_its_stock(shop, db, settings):
    settings(STRIPE_PAYMENT_METHOD_TYPES=("card", "sepa_debit"))
    mug = make_product("Mug", stock=5)
    order, pay_path = check_out(shop, mug, 2)

    pay(shop, pay_path, DEBIT_FAILS)

    assert wait_until(lambda: fresh(db, Order, order.id).payment_processing_since is not None)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "cancelled")
    assert stock_of(mug.variants[0].id) == 5


def test_a_processing_payment_says_so_on_the_order_page(shop, db, settings):
    settings(STRIPE_PAYMENT_METHOD_TYPES=("card", "sepa_debit"), STRIPE_SANDBOX_ASYNC_DELAY=60)
    order, pay_path = check_out(shop, make_product("Mug", stock=5))
    pay(shop, pay_path, DEBIT_OK)
    assert wait_until(lambda: fresh(db, Order, order.id).payment_processing_since is not None)

    html = page(shop.get(f"/orders/{order.number}?token={orders.access_token(order)}"))

    assert "bank payment is being processed" in html and "Return to payment" not in html


def test_a_session_another_app_created_is_acknowledged_and_changes_no_order(shop, db):
    order, _ = check_out(shop, make_product("Mug", stock=5))
    foreign = gateway.client().v1.checkout.sessions.create(params={
        "mode": "payment", "success_url": "https://elsewhere.example/ok",
        "metadata": {"order_number": order.number},  # even naming one of our orders
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "eur", "unit_amount": order.total,
            "product_data": {"name": "Something else"}}}],
    })

    pay(shop, "/_sandbox/stripe/pay/" + foreign.id, GOOD_CARD)

    assert wait_until(lambda: db.session.scalar(select(StripeEvent.id).where(
        StripeEvent.type == "checkout.session.completed")) is not None)  # answered 2xx
    assert fresh(db, Order, order.id).status == "pending"


@pytest.mark.parametrize("card", [DEBIT_OK])
def test_a_card_only_shop_refuses_a_bank_debit(shop, db, card):
    order, pay_path = check_out(shop, make_product("Mug", stock=5))
    refused = pay(shop, pay_path, card)
    assert refused.status_code == 422 and "cards only" in page(refused)
    assert fresh(db, Order, order.id).status == "pending"
