"""A shopper asks to return lines of a dispatched or delivered order: the form on the
order page (customer or guest by signed link), every refusal with its message, the last
returnable unit under concurrency, access and CSRF, and the page's query budget."""
import pytest
from sqlalchemy import func, select

from tests.factories import make_order, register_customer
from tests.helpers import csrf_token, login, page, run_concurrently
from tests.returns_helpers import ask_return, delivered_order
from webshop import orders, returns
from webshop.models import AuditLog, OutboxMessage, ReturnLine, ReturnRequest


@pytest.fixture
def guest(client, db):
    """A guest's delivered order of 3 units, and the client holding its link."""
    order = delivered_order(email="guest@example.com")
    client.token = csrf_token(client, "/login")
    return client, order, orders.access_token(order)


def stored_returns(db):
    db.session.rollback()
    return db.session.scalars(select(ReturnRequest).order_by(ReturnRequest.id)).all()


def test_a_guest_asks_to_return_a_line_and_sees_it_requested(guest, db):
    client, order, token = guest
    [item] = order.items
    form = page(client.get(f"/orders/{order.number}?token={token}"))
    assert 'action="/orders/' in form and '/returns"' in form and f'name="qty-{item.id}"' in form
    assert 'name="reason"' in form and "Arrived damaged" in form and 'name="comment"' in form

    response = ask_return(client, order, token, {item.id: 2}, comment="Both cracked")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.number}?token={token}")
    [request] = stored_returns(db)
    assert (request.status, request.reason, request.comment) == ("requested", "damaged",
                                                                "Both cracked")
    assert [(line.order_item_id, line.quantity) for line in request.lines] == [(item.id, 2)]
    shown = page(client.get(response.headers["Location"]))
    assert "Your return request is sent" in shown and "Requested" in shown
    assert "2 × Test product" in shown and "up to 1" in shown  # one unit is left to ask for
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "return.requested", AuditLog.entity_id == order.id)) == 1
    [job] = db.session.scalars(select(OutboxMessage)).all()
    assert job.job == "webshop.notifications.send_return_email"
    assert job.args == [request.id, "requested"]


def test_a_customer_returns_from_their_own_order_page(client, db):
    user = register_customer()
    order = delivered_order(user=user, quantity=1)
    login(client)
    client.token = csrf_token(client, f"/orders/{order.number}")

    response = ask_return(client, order, "", {order.items[0].id: 1}, reason="does_not_fit")

    assert response.status_code == 303
    [request] = stored_returns(db)
    assert request.reason == "does_not_fit"
    assert "Every item of this order is already in a return" in page(
        client.get(f"/orders/{order.number}"))


@pytest.mark.parametrize("quantity, reason, message", [
    (0, "damaged", "Choose at least one item"),
    (4, "damaged", "You can return at most 3 of"),
    ("two", "damaged", "Quantities to return are whole numbers"),
    (1, "because", "Choose why you are returning"),
])
def test_a_request_that_cannot_be_granted_says_why_and_writes_nothing(guest, db, quantity,
                                                                      reason, message):
    client, order, token = guest

    response = ask_return(client, order, token, {order.items[0].id: quantity}, reason=reason)

    assert response.status_code == 422
    assert message in page(response)
    assert stored_returns(db) == []


def test_more_than_bought_less_already_requested_is_refused(guest, db):
    client, order, token = guest
    item_id = order.items[0].id
    assert ask_return(client, order, token, {item_id: 2}).status_code == 303

    response = ask_return(client, order, token, {item_id: 2})

    assert response.status_code == 422 and "You can return at most 1 of" in page(response)
    assert len(stored_returns(db)) == 1


def test_a_refused_return_gives_its_units_back(guest, db):
    client, order, token = guest
    item_id = order.items[0].id
    assert ask_return(client, order, token, {item_id: 3}).status_code == 303
    returns.refuse(stored_returns(db)[0].id, actor=None, note="Worn")

    assert ask_return(client, order, token, {item_id: 3}).status_code == 303
    assert [r.status for r in stored_returns(db)] == ["refused", "requested"]


def test_outside_the_return_window_is_refused(client, db, settings):
    settings(RETURN_WINDOW_DAYS=14)
    order = delivered_order(email="late@example.com", days_ago=15)
    token = orders.access_token(order)
    client.token = csrf_token(client, "/login")
    assert 'name="reason"' not in page(client.get(f"/orders/{order.number}?token={token}"))

    response = ask_return(client, order, token, {order.items[0].id: 1})

    assert response.status_code == 422
    assert "The 14-day return window for order" in page(response)
    assert stored_returns(db) == []


def test_the_window_counts_from_dispatch_when_delivery_was_never_recorded(client, db, settings):
    settings(RETURN_WINDOW_DAYS=30)
    recent = delivered_order(email="a@example.com", status="dispatched", days_ago=10)
    old = delivered_order(email="b@example.com", status="dispatched", days_ago=40)
    client.token = csrf_token(client, "/login")

    assert ask_return(client, recent, orders.access_token(recent),
                      {recent.items[0].id: 1}).status_code == 303
    late = ask_return(client, old, orders.access_token(old), {old.items[0].id: 1})
    assert late.status_code == 422 and "return window" in page(late)


def test_an_order_not_dispatched_has_no_return_form_and_refuses_one(client, db):
    order = make_order(email="paid@example.com", status="paid", quantity=2)
    token = orders.access_token(order)
    client.token = csrf_token(client, "/login")
    assert "/returns" not in page(client.get(f"/orders/{order.number}?token={token}"))

    response = ask_return(client, order, token, {order.items[0].id: 1})

    assert response.status_code == 422
    assert "has not been dispatched yet" in page(response)
    assert stored_returns(db) == []


def test_two_requests_for_the_last_returnable_unit_make_one_return(app, db):
    order = delivered_order(email="race@example.com", quantity=1)
    order_id, item_id = order.id, order.items[0].id

    results = run_concurrently(app, 2, lambda i: returns.request_return(
        order_id, {item_id: 1}, "damaged").id)

    refused = [r for r in results if isinstance(r, returns.ReturnError)]
    assert len(refused) == 1 and "at most 0" in str(refused[0]), results
    assert db.session.scalar(select(func.sum(ReturnLine.quantity))) == 1
    assert len(stored_returns(db)) == 1


# --- access --------------------------------------------------------------------------------------

def test_another_customers_order_and_a_guest_without_its_link_get_404(client, db):
    owner = register_customer("owner@example.com")
    theirs = delivered_order(user=owner)
    guest_order = delivered_order(email="guest@example.com")
    register_customer("other@example.com")
    login(client, "other@example.com")
    client.token = csrf_token(client, "/account")

    assert ask_return(client, theirs, "", {theirs.items[0].id: 1}).status_code == 404
    assert ask_return(client, guest_order, "", {guest_order.items[0].id: 1}).status_code == 404
    assert ask_return(client, guest_order, "forged.token",
                      {guest_order.items[0].id: 1}).status_code == 404
    assert stored_returns(db) == []


def test_the_return_form_needs_the_sessions_csrf_token(guest, db):
    client, order, token = guest

    response = ask_return(client, order, token, {order.items[0].id: 1}, csrf="")

    assert response.status_code == 400
    assert stored_returns(db) == []


def test_the_order_page_with_returns_stays_within_its_query_budget(guest, db, count_queries):
    client, order, token = guest
    for _ in range(3):
        returns.request_return(order.id, {order.items[0].id: 1}, "other")
    client.get(f"/orders/{order.number}?token={token}")  # warm

    with count_queries() as q:
        response = client.get(f"/orders/{order.number}?token={token}")

    assert response.status_code == 200 and page(response).count("Requested") == 3
    assert q.count <= 5, q.statements
