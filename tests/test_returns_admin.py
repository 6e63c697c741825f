"""Staff process returns at /admin/returns: approve, receive with a restock choice per
line, and refund part of the order through the Stripe sandbox (the order's refunds);
refuse with a note; each step emails the shopper (received by the SMTP server in the
test process). Roles and CSRF, and the pages' query budgets."""
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import handed_over, log_in_new_user, page, stock_of, wait_until
from tests.returns_helpers import delivered_order, paid_and_delivered
# Staff beside the paying shopper, and no webhook of a test landing in the next one.
from tests.test_refunds import admin_client, deliveries_done  # noqa: F401  (fixtures)
from webshop import orders, returns
from webshop.extensions import db as _db
from webshop.models import AuditLog, Order, Refund, ReturnRequest
from webshop.payments.sandbox import store as sandbox_store


def step(client, request_id, action, **data):
    return client.post(f"/admin/returns/{request_id}/{action}",
                       data={"csrf_token": client.token, **data})


def fresh_return(request_id):
    _db.session.rollback()
    return _db.session.get(ReturnRequest, request_id)


def test_staff_approve_receive_with_restock_and_refund_part_of_the_order(
        shop, db, admin_client, smtp_sink, run_worker):
    mug = make_product("Mug", price=1250, stock=5)
    order = paid_and_delivered(shop, mug, quantity=2)  # 2 x 12.50 + 4.95 shipping
    [item] = order.items
    request = returns.request_return(order.id, {item.id: 1}, "damaged", "Chipped")
    assert stock_of(mug.variants[0].id) == 3

    listed = page(admin_client.get("/admin/returns?status=requested"))
    assert f"#{request.id}" in listed and order.number in listed and "Requested (1)" in listed
    detail = page(admin_client.get(f"/admin/returns/{request.id}"))
    assert "Chipped" in detail and "Approve" in detail and "Refuse" in detail

    approved = step(admin_client, request.id, "approve", note="Send it to our warehouse")
    assert approved.status_code == 303
    assert fresh_return(request.id).status == "approved"
    received = step(admin_client, request.id, "receive", **{f"restock-{item.id}": "1"})
    assert received.status_code == 303 and fresh_return(request.id).status == "received"
    assert stock_of(mug.variants[0].id) == 4
    form = page(admin_client.get(f"/admin/returns/{request.id}"))
    assert 'name="amount"' in form and 'value="12.50"' in form  # the line, not the shipping

    refunded = step(admin_client, request.id, "refund", amount="12.50")

    assert refunded.status_code == 303, page(refunded)[:500]
    stored = fresh_return(request.id)
    refund = db.session.get(Refund, stored.refund_id)
    assert (stored.status, refund.amount, refund.status) == ("refunded", 1250, "succeeded")
    assert refund.stripe_refund_id.startswith("re_") and refund.lines == {str(item.id): 1}
    after = db.session.get(Order, order.id)
    assert (after.status, after.amount_refunded) == ("delivered", 1250)
    assert stock_of(mug.variants[0].id) == 4  # restocked once, at receipt
    assert "Return #" in page(admin_client.get(f"/admin/returns/{request.id}"))
    mine = page(shop.get(f"/orders/{order.number}?token={orders.access_token(after)}"))
    assert "Refunded" in mine and "€12.50" in mine
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_id == order.id, AuditLog.action.like("return.%"))).all()
    assert actions == ["return.requested", "return.approved", "return.received",
                       "return.restocked", "return.refunded"]
    assert wait_until(handed_over)  # the refund's webhook queues its email on its own thread
    run_worker()  # a real RQ worker sends what the outbox queued
    subjects = [m["Subject"] for m in smtp_sink.wait_for(7)]
    for status in ("We have your return request", "is approved", "We have received your return",
                   f"Your return for order {order.number} is refunded"):
        assert any(status in s for s in subjects), subjects
    approval = next(m for m in smtp_sink.messages if "is approved" in m["Subject"])
    assert "Send it to our warehouse" in approval.get_body(("plain",)).get_content()


def test_the_sandboxs_refund_is_the_one_the_order_records(shop, db, admin_client):
    mug = make_product("Mug", price=1000, stock=5)
    order = paid_and_delivered(shop, mug, quantity=2)
    request = returns.request_return(order.id, {order.items[0].id: 2}, "changed_mind")
    returns.approve(request.id, None)
    returns.receive(request.id, None, restock_item_ids=())  # not back in stock

    assert step(admin_client, request.id, "refund", amount="15.00").status_code == 303

    refund = db.session.get(Refund, fresh_return(request.id).refund_id)
    at_stripe = sandbox_store.get(refund.stripe_refund_id)
    assert (at_stripe["amount"], at_stripe["payment_intent"]) == (
        1500, order.stripe_payment_intent_id)
    assert refund.lines == {}  # another amount than the lines': no lines recorded
    assert stock_of(mug.variants[0].id) == 3


def test_a_refused_return_tells_the_shopper_why(client, db, staff, settings, smtp_sink):
    settings(REDIS_URL=None)
    order = delivered_order(email="guest@example.com")
    request = returns.request_return(order.id, {order.items[0].id: 1}, "changed_mind")

    missing = step(staff, request.id, "refuse", note="")
    assert missing.status_code == 422 and "Tell the shopper why" in page(missing)
    refused = step(staff, request.id, "refuse", note="Opened hygiene product")

    assert refused.status_code == 303 and fresh_return(request.id).status == "refused"
    again = step(staff, request.id, "approve")
    assert again.status_code == 409 and "it cannot become approved" in page(again)
    refusal = next(m for m in smtp_sink.wait_for(2) if "refused" in m["Subject"])
    assert "Opened hygiene product" in refusal.get_body(("html",)).get_content()


def test_a_refund_before_the_items_are_received_is_refused(client, db, staff):
    order = delivered_order(email="guest@example.com")
    request = returns.request_return(order.id, {order.items[0].id: 1}, "damaged")
    returns.approve(request.id, None)

    response = step(staff, request.id, "refund", amount="1.00")

    assert response.status_code == 409 and "only a received return" in page(response)
    assert db.session.scalars(select(Refund)).all() == []


# --- access and budgets ----------------------------------------------------------------------

def test_customers_get_403_and_anonymous_visitors_the_login_page(app, client, db):
    order = delivered_order(email="guest@example.com")
    request = returns.request_return(order.id, {order.items[0].id: 1}, "damaged")
    assert client.get("/admin/returns").status_code == 302
    customer = app.test_client()
    customer.token = log_in_new_user(customer, "shopper@example.com", role="customer")

    assert customer.get("/admin/returns").status_code == 403
    assert customer.get(f"/admin/returns/{request.id}").status_code == 403
    assert step(customer, request.id, "approve").status_code == 403
    assert fresh_return(request.id).status == "requested"


def test_admins_process_returns_too_and_every_step_needs_the_csrf_token(admin, db):
    order = delivered_order(email="guest@example.com")
    request = returns.request_return(order.id, {order.items[0].id: 1}, "damaged")

    forged = admin.post(f"/admin/returns/{request.id}/approve", data={"note": "ok"})
    assert forged.status_code == 400 and fresh_return(request.id).status == "requested"
    assert step(admin, request.id, "approve").status_code == 303
    assert fresh_return(request.id).status == "approved"


def test_an_unknown_status_filter_and_return_are_4xx(staff, db):
    assert staff.get("/admin/returns?status=lost").status_code == 400
    assert staff.get("/admin/returns/999").status_code == 404
    assert step(staff, 999, "approve").status_code == 404


def test_the_return_pages_stay_within_their_query_budget(staff, db, count_queries):
    for n in range(6):
        order = delivered_order(email=f"guest{n}@example.com", quantity=2)
        request = returns.request_return(order.id, {order.items[0].id: 1}, "damaged")
    staff.get("/admin/returns")  # warm
    staff.get(f"/admin/returns/{request.id}")

    with count_queries() as listing:
        assert staff.get("/admin/returns").status_code == 200
    with count_queries() as detail:
        assert staff.get(f"/admin/returns/{request.id}").status_code == 200
    with count_queries() as order_page:
        assert staff.get(f"/admin/orders/{request.order_id}").status_code == 200

    assert listing.count <= 5, listing.statements
    assert detail.count <= 5, detail.statements
    assert order_page.count <= 6, order_page.statements  # the order page's own budget
    number = db.session.get(Order, request.order_id).number
    assert f"/admin/returns?order={number}" in page(staff.get(f"/admin/orders/{request.order_id}"))
    of_the_order = page(staff.get(f"/admin/returns?order={number}"))
    assert f"#{request.id}" in of_the_order and of_the_order.count('class="return-row') == 1
