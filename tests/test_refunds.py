"""Refunds, end to end: staff refund part of an order (an amount, or chosen lines and
quantities) from the admin through the Stripe sandbox on the live server; refunds made in
the Stripe Dashboard are recorded from its signed webhooks; a refund that fails flags
the order and does not leave it refunded; the customer's email states the amount."""
import threading

import pytest
from sqlalchemy import func, select

from tests.factories import make_product
from tests.helpers import (
    GOOD_CARD, HX, check_out, fresh, log_in_new_user, page, pay, stock_of, wait_until,
)
from webshop import orders
from webshop.extensions import db as _db
from webshop.models import AuditLog, Order, Refund, SentEmail
from webshop.orders import refunds
from webshop.payments import gateway
from webshop.payments.sandbox import wait_for_deliveries

FAILING_REFUND_CARD = "4000 0000 0000 5126"  # the sandbox fails its refunds a moment later


@pytest.fixture
def admin_client(app, shop):
    """Staff in the admin, beside the shopper (`shop`) who pays; `.token` is its CSRF token."""
    client = app.test_client()
    client.token = log_in_new_user(client)
    return client


@pytest.fixture(autouse=True)
def deliveries_done():
    yield
    wait_for_deliveries(timeout=10)  # no webhook of this test lands in the next one


def paid_order(shop, db, card=GOOD_CARD, quantity=2, price=1250):
    """An order for `quantity` mugs (stock 5), paid through the sandbox's payment page."""
    mug = make_product("Mug", price=price, stock=5)
    order, pay_path = check_out(shop, mug, quantity)
    pay(shop, pay_path, card)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    return fresh(db, Order, order.id), mug


def refund(client, order, **data):
    return client.post(f"/admin/orders/{order.id}/refund", headers=HX,
                       data={"csrf_token": client.token, **data})


def rows(db, order):
    db.session.rollback()
    return db.session.scalars(select(Refund).where(Refund.order_id == order.id)
                              .order_by(Refund.id)).all()


def audit_count(db, order, action):
    db.session.rollback()
    return db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.entity_id == order.id, AuditLog.action == action))


def test_staff_refund_an_amount_and_the_order_shows_what_remains(shop, db, admin_client):
    order, _ = paid_order(shop, db)  # 2 x 12.50 + 4.95 shipping = 29.95

    response = refund(admin_client, order, amount="10.00", reason="Scratched mug")

    assert response.status_code == 200, page(response)[:500]
    assert "€10.00 of order" in page(response)
    [row] = rows(db, order)
    assert (row.amount, row.status, row.source, row.reason) == (1000, "succeeded", "shop",
                                                                "Scratched mug")
    assert row.stripe_refund_id.startswith("re_")
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.amount_refunded) == ("paid", 1000)
    body = page(admin_client.get(f"/admin/orders/{order.id}"))
    assert "Refunded so far" in body and "€10.00" in body and "€19.95" in body
    assert "staff@example.com" in body and 'name="amount"' in body and 'value="19.95"' in body
    # The shopper sees it on their order page, and the late webhooks change nothing.
    mine = page(shop.get(f"/orders/{order.number}?token={orders.access_token(stored)}"))
    assert "Partly refunded" in mine and "−€10.00" in mine
    wait_for_deliveries(timeout=10)
    assert fresh(db, Order, order.id).amount_refunded == 1000 and len(rows(db, order)) == 1


def test_chosen_lines_are_refunded_at_their_prices_and_go_back_in_stock(shop, db, admin_client):
    order, mug = paid_order(shop, db, quantity=3)
    assert stock_of(mug.variants[0].id) == 2
    [item] = order.items

    response = refund(admin_client, order, **{f"line-{item.id}": "2", "restock": "y",
                                               "amount": "1.00"})  # the lines decide

    assert response.status_code == 200, page(response)[:500]
    [row] = rows(db, order)
    assert (row.amount, row.lines, row.restock) == (2500, {str(item.id): 2}, True)
    assert stock_of(mug.variants[0].id) == 4
    assert fresh(db, Order, order.id).status == "paid"
    # Only one unit of that line is left to refund.
    too_many = refund(admin_client, order, **{f"line-{item.id}": "2"})
    assert too_many.status_code == 422 and "At most 1 of" in page(too_many)


def test_two_partial_refunds_reaching_the_total_refund_the_order(shop, db, admin_client):
    order, mug = paid_order(shop, db)

    assert refund(admin_client, order, amount="20").status_code == 200
    assert fresh(db, Order, order.id).status == "paid"
    second = refund(admin_client, order, amount="9.95")

    assert second.status_code == 200, page(second)[:500]
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.amount_refunded) == ("refunded", 2995)
    assert stored.refunded_at is not None
    assert "/refund" not in page(admin_client.get(f"/admin/orders/{order.id}"))
    assert stock_of(mug.variants[0].id) == 3  # no restock was asked for
    assert audit_count(db, order, "order.refunded") == 1


def test_more_than_what_remains_is_refused_with_a_message(shop, db, admin_client):
    order, _ = paid_order(shop, db)
    assert refund(admin_client, order, amount="25").status_code == 200

    too_much = refund(admin_client, order, amount="5.00")
    nonsense = refund(admin_client, order, amount="ten euros")
    negative = refund(admin_client, order, amount="-3")

    assert too_much.status_code == 422
    assert "At most €4.95 of order" in page(too_much) and "€5.00 is too much" in page(too_much)
    assert nonsense.status_code == 422 and "Enter the amount as a number" in page(nonsense)
    assert negative.status_code == 422 and "cannot be negative" in page(negative)
    assert [r.amount for r in rows(db, order)] == [2500]
    assert audit_count(db, order, "order.refund_requested") == 1


def test_concurrent_refund_clicks_make_one_refund_and_one_audit_entry(app, shop, db):
    order, _ = paid_order(shop, db)
    start, outcomes = threading.Barrier(3), []

    def click():
        with app.app_context():
            start.wait()
            try:
                outcomes.append(refunds.request_refund(order.id).amount)
            except orders.OrderError as error:
                outcomes.append(str(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    refused = [o for o in outcomes if o != 2995]
    assert outcomes.count(2995) == 1 and len(refused) == 2
    assert all("on its way to Stripe" in o or "nothing left to refund" in o for o in refused)
    assert [(r.amount, r.status) for r in rows(db, order)] == [(2995, "succeeded")]
    assert audit_count(db, order, "order.refund_requested") == 1
    assert fresh(db, Order, order.id).status == "refunded"


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(shop, db, admin_client):
    order, _ = paid_order(shop, db)

    made = gateway.client().v1.refunds.create(params={  # not through the shop
        "payment_intent": order.stripe_payment_intent_id, "amount": 700})

    assert wait_until(lambda: fresh(db, Order, order.id).amount_refunded == 700)
    wait_for_deliveries(timeout=10)
    [row] = rows(db, order)
    assert (row.source, row.amount, row.status) == ("stripe", 700, "succeeded")
    assert row.stripe_refund_id == made.id  # refund.created names the charge.refunded part
    assert fresh(db, Order, order.id).status == "paid"
    body = page(admin_client.get(f"/admin/orders/{order.id}"))
    assert "Stripe Dashboard" in body and "€22.95" in body  # what remains
    # The rest, also from the Dashboard: the order is refunded.
    gateway.client().v1.refunds.create(params={"payment_intent": order.stripe_payment_intent_id})
    assert wait_until(lambda: fresh(db, Order, order.id).status == "refunded")
    wait_for_deliveries(timeout=10)
    assert sum(r.amount for r in rows(db, order)) == 2995 and len(rows(db, order)) == 2


def test_a_delivered_order_can_be_refunded(shop, db, admin_client):
    order, _ = paid_order(shop, db)
    orders.dispatch(order.id, "DHL", "JJD1")
    orders.mark_delivered(order.id)

    response = refund(admin_client, order)  # no amount: everything that is left

    assert response.status_code == 200, page(response)[:500]
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.amount_refunded) == ("refunded", 2995)


def test_the_email_states_the_amount_refunded(shop, db, admin_client, settings, tmp_path):
    import email
    import email.policy
    settings(REDIS_URL=None, MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(tmp_path))  # mail to files
    order, _ = paid_order(shop, db)

    refund(admin_client, order, amount="10")
    refund(admin_client, order)

    def refund_mails():
        found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in sorted(tmp_path.glob("*order_refund-*.eml"))]
        return found if len(found) == 2 else None
    assert wait_until(refund_mails)
    partial, full = sorted(refund_mails(), key=lambda m: "partial" not in m["Subject"])
    assert partial["Subject"] == f"A partial refund for your order {order.number}"
    text = partial.get_body(("plain",)).get_content()
    assert "we have refunded €10.00" in text and "€10.00 of the order's €29.95" in text
    assert full["Subject"] == f"Your order {order.number} has been refunded"
    text = full.get_body(("plain",)).get_content()
    assert "we have refunded €19.95" in text and "the whole order (€29.95)" in text
    wait_for_deliveries(timeout=10)
    db.session.rollback()
    assert db.session.scalar(select(func.count(SentEmail.id)).where(
        SentEmail.kind == "order_refund")) == 2


def test_a_failed_refund_flags_the_order_and_does_not_leave_it_refunded(shop, db, admin_client):
    order, _ = paid_order(shop, db, card=FAILING_REFUND_CARD)

    response = refund(admin_client, order)

    assert response.status_code == 200, page(response)[:500]
    assert wait_until(lambda: fresh(db, Order, order.id).needs_attention)
    wait_for_deliveries(timeout=10)
    stored = fresh(db, Order, order.id)
    assert (stored.status, stored.amount_refunded) == ("paid", 0)
    assert "failed at Stripe" in stored.attention_reason
    [row] = rows(db, order)
    assert (row.status, row.failure_reason) == ("failed", "expired_or_canceled_card")
    body = page(admin_client.get(f"/admin/orders/{order.id}"))
    assert "expired or canceled card" in body and "/refund" in body  # may be tried again


def test_a_refund_retried_after_stripe_failed_is_a_new_attempt(shop, db, admin_client, settings):
    """Idempotency keys are per attempt: the retry is not answered with the first error."""
    order, _ = paid_order(shop, db)
    with settings(STRIPE_API_BASE="http://127.0.0.1:9/_sandbox/stripe"):  # Stripe unreachable
        failed = refund(admin_client, order, amount="10.00")
    assert failed.status_code >= 400 and "Stripe" in page(failed)
    assert [r.status for r in rows(db, order)] == ["failed"]

    retried = refund(admin_client, order, amount="10.00")

    assert retried.status_code == 200, page(retried)[:300]
    assert [r.status for r in rows(db, order)] == ["failed", "succeeded"]
    assert fresh(db, Order, order.id).amount_refunded == 1000


def test_no_transaction_is_open_while_stripe_is_called(shop, db, admin_client, monkeypatch):
    """Checkout, payment, refund, cancel and reconciliation: every call to Stripe is made
    with the caller's database session outside any transaction (so no row lock either)."""
    from webshop.payments.sandbox import transport

    seen, real = [], transport.call_app

    def spy(app, method, url, *args, **kwargs):
        if "/v1/" in url:
            seen.append((method, url.split("/v1/")[1], _db.session().in_transaction()))
        return real(app, method, url, *args, **kwargs)

    monkeypatch.setattr(transport, "call_app", spy)
    order, _ = paid_order(shop, db)
    refund(admin_client, order, amount="5.00")
    other, _ = check_out(shop, make_product("Cup", stock=3))
    orders.cancel(other.id)

    calls = {(method, path.split("/")[0]) for method, path, _ in seen}
    assert {("post", "checkout"), ("post", "refunds")} <= calls, seen
    assert not [call for call in seen if call[2]], seen
