"""A credit note whose refund fails at Stripe after it counted is cancelled by a reversal:
a document of its own series (CNR-000001, gapless like the others), the same amounts,
referencing the credit note, which itself stays as issued; the order and admin pages
show it beside that credit note, marked "Reversed by", and it has a printable page for
the same viewers. Real PostgreSQL, the sandbox and its webhooks."""
import re

from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import (  # noqa: F401  deliveries_done: an autouse fixture
    FAILING_REFUND_CARD, GOOD_CARD, check_out, deliveries_done, fresh, log_in_new_user, page,
    pay, wait_until,
)
from webshop import orders
from webshop.invoices.issue import issue_reversal
from webshop.models import AuditLog, Invoice, Order, Refund
from webshop.payments.sandbox import wait_for_deliveries


def _paid(shop, db, card):
    mug = make_product(f"Mug {card[-4:]}", price=2000, stock=5)
    order, pay_path = check_out(shop, mug)
    pay(shop, pay_path, card)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    return order.id


def _documents(db, kind):
    db.session.expire_all()
    return db.session.scalars(select(Invoice).where(Invoice.kind == kind)
                              .order_by(Invoice.sequence)).all()


def test_a_refund_failing_after_it_counted_reverses_its_credit_note(shop, db):
    kept = _paid(shop, db, GOOD_CARD)
    orders.request_refund(kept, amount=500)  # a refund that stays: its credit note too
    failing = _paid(shop, db, FAILING_REFUND_CARD)
    orders.request_refund(failing, amount=1000, reason="Broken handle")
    assert wait_until(lambda: fresh(db, Order, failing).needs_attention)
    wait_for_deliveries(timeout=10)

    first, second = _documents(db, "credit_note")
    assert (first.number, second.number) == ("CN-000001", "CN-000002")  # both stay issued
    [reversal] = _documents(db, "reversal")
    assert (reversal.number, reversal.sequence) == ("CNR-000001", 1)
    assert (reversal.order_id, reversal.invoice_id) == (failing, second.id)
    assert (reversal.total, reversal.net, reversal.tax) == (second.total, second.net, second.tax)
    assert reversal.details["credit_note_number"] == "CN-000002"
    assert "failed at Stripe" in reversal.details["reason"]
    assert db.session.scalar(select(AuditLog.id).where(
        AuditLog.action == "order.credit_note_reversed", AuditLog.entity_id == failing))

    # The event again (Stripe redelivers): still one reversal; the next one is CNR-000002.
    refund = db.session.scalar(select(Refund).where(Refund.order_id == failing))
    assert issue_reversal(refund).id == reversal.id
    other = _paid(shop, db, FAILING_REFUND_CARD)
    orders.request_refund(other)
    assert wait_until(lambda: fresh(db, Order, other).needs_attention)
    wait_for_deliveries(timeout=10)
    assert [r.number for r in _documents(db, "reversal")] == ["CNR-000001", "CNR-000002"]
    assert fresh(db, Order, other).status == "paid"


def test_the_order_pages_show_the_reversal_beside_its_credit_note(shop, db):
    failing = _paid(shop, db, FAILING_REFUND_CARD)
    orders.request_refund(failing, amount=1000, reason="Broken handle")
    assert wait_until(lambda: fresh(db, Order, failing).needs_attention)
    wait_for_deliveries(timeout=10)
    [note], [reversal] = _documents(db, "credit_note"), _documents(db, "reversal")
    order = fresh(db, Order, failing)
    assert order.amount_refunded == 0  # nothing refunded, yet both documents are shown
    token = orders.access_token(order)
    note_url = f"/orders/{order.number}/credit-notes/{note.refund_id}"

    order_page = page(shop.get(f"/orders/{order.number}?token={token}"))
    assert "Credit note CN-000001" in order_page and "Reversed by CNR-000001" in order_page
    assert f"{note_url}/reversal?token={token}" in order_page
    german = page(shop.get(f"/orders/{order.number}?token={token}",
                           headers={"Accept-Language": "de"}))
    assert "Gutschrift CN-000001" in german and "Storniert durch CNR-000001" in german

    body = page(shop.get(f"{note_url}/reversal?token={token}"))
    assert "Credit note reversal" in body and "CNR-000001" in body
    assert f'{note_url}?token={token}">CN-000001</a>' in body  # the credit note it reverses
    assert note.details["invoice_number"] in body and "failed at Stripe" in body
    assert re.search(r'class="credit-total">€10\.00<', body)
    net, tax = (f"€{amount // 100}.{amount % 100:02d}" for amount in (note.net, note.tax))
    assert re.search(rf'<tfoot><tr><th scope="row">Total</th><td class="num">{re.escape(net)}'
                     rf'</td><td class="num">{re.escape(tax)}</td><td class="num">€10\.00<', body)
    credit_page = page(shop.get(f"{note_url}?token={token}"))
    assert "Reversed by CNR-000001" in credit_page
    assert "Refunded to the original payment method." not in credit_page

    staff = shop.application.test_client()
    log_in_new_user(staff, "clerk@example.com")
    admin_page = page(staff.get(f"/admin/orders/{order.id}"))
    assert "Credit note CN-000001" in admin_page and "Reversed by CNR-000001" in admin_page
    assert f"{note_url}/reversal" in admin_page
    assert "CNR-000001" in page(staff.get(f"{note_url}/reversal"))

    # Anyone else: no link, a forged one, another customer's login.
    stranger = shop.application.test_client()
    assert stranger.get(f"{note_url}/reversal").status_code == 404
    assert stranger.get(f"{note_url}/reversal?token=forged").status_code == 404
    log_in_new_user(stranger, "other@example.com", role="customer")
    assert stranger.get(f"{note_url}/reversal").status_code == 404
