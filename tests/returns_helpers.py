"""Orders ready to be returned, and the shopper's return form, for the returns and
invoice tests."""
from datetime import timedelta

from tests.factories import make_order
from tests.helpers import GOOD_CARD, check_out, fresh, pay, wait_until
from webshop import orders
from webshop.extensions import db as _db
from webshop.models import Order, utcnow


def delivered_order(user=None, email=None, quantity=3, days_ago=1, status="delivered"):
    """An order (written directly, one line of `quantity`) delivered `days_ago` days ago."""
    order = make_order(user=user, email=email, status=status, quantity=quantity, total=3495)
    when = utcnow() - timedelta(days=days_ago)
    order.paid_at = order.dispatched_at = when - timedelta(days=1)
    order.delivered_at = when if status == "delivered" else None
    _db.session.commit()
    return order


def paid_and_delivered(shop, product, quantity=2):
    """An order for `quantity` of `product` paid through the sandbox, then dispatched and
    delivered by staff (the lifecycle), as the database holds it now."""
    order, pay_path = check_out(shop, product, quantity)
    pay(shop, pay_path, GOOD_CARD)
    assert wait_until(lambda: fresh(_db, Order, order.id).status == "paid")
    orders.dispatch(order.id, "DHL", "JJD0001")
    orders.mark_delivered(order.id)
    return fresh(_db, Order, order.id)


def ask_return(client, order, token, quantities, reason="damaged", comment="", csrf=None):
    """Send the return form: quantities {order item id: units}; `token` the guest's link
    token (or "" for a customer's own order)."""
    data = {"csrf_token": csrf if csrf is not None else client.token, "token": token,
            "reason": reason, "comment": comment,
            **{f"qty-{item_id}": str(units) for item_id, units in quantities.items()}}
    return client.post(f"/orders/{order.number}/returns", data=data)
