"""Who may see an order: its customer when logged in, anyone holding its signed link."""
import hmac

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from webshop.extensions import db
from webshop.models import Order


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-access")


def access_token(order):
    """An unguessable token for a guest's link to their order (signed order number)."""
    return _serializer().dumps(order.number)


def order_for_viewer(number, token=None, user=None):
    """The order if this viewer may see it, else None (the view answers 404 either way)."""
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        return None
    if user is not None and user.is_authenticated and order.user_id == user.id:
        return order
    if token:
        expected = access_token(order)
        if hmac.compare_digest(expected.encode(), str(token).encode()):
            return order
    return None
