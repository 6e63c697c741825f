"""Abandoned carts for the reminder tests: a cart left some hours ago, the reminder jobs
waiting in the outbox, and the links of a reminder email as paths a test client opens."""
import re
from datetime import timedelta

from sqlalchemy import select, update

from webshop import cart as carts
from webshop.extensions import db
from webshop.models import Cart, CartItem, OutboxMessage, utcnow

REMINDER_JOB = "webshop.notifications.send_cart_reminder"


def abandon(*lines, user=None, email=None, hours_ago=25):
    """A cart holding (product, quantity) lines, last changed `hours_ago` hours ago: the
    user's, or a guest's (with `email`: one who ticked the reminder box)."""
    cart = Cart(user_id=user.id if user else None, token=None if user else carts.new_token())
    if email:
        cart.remind_email, cart.remind_consent_at = email, utcnow()
    for product, quantity in lines:
        cart.items.append(CartItem(variant_id=product.variants[0].id, quantity=quantity))
    db.session.add(cart)
    db.session.commit()
    age(cart.id, hours_ago)
    return cart


def age(cart_id, hours_ago, reminded_hours_ago=None):
    """Say the cart last changed `hours_ago` hours ago (and was last reminded
    `reminded_hours_ago` hours ago)."""
    values = {"updated_at": utcnow() - timedelta(hours=hours_ago)}
    if reminded_hours_ago is not None:
        values["reminded_at"] = utcnow() - timedelta(hours=reminded_hours_ago)
    db.session.execute(update(Cart).where(Cart.id == cart_id).values(values))
    db.session.commit()


def reminder_jobs():
    """The reminder emails waiting in the outbox, as [(cart id, number)]."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.job == REMINDER_JOB)
                              .order_by(OutboxMessage.id))
    return [tuple(row.args) for row in rows]


def reminders_sent(cart_id):
    db.session.expire_all()
    return db.session.scalar(select(Cart.reminders_sent).where(Cart.id == cart_id))


def link(text, kind):
    """A reminder's link (kind: "restore", "unsubscribe", "one-click") as a path for the
    test client."""
    pattern = {"restore": r"/cart/restore/[\w.-]+", "unsubscribe": r"/reminders/unsubscribe/[\w.-]+",
               "one-click": r"/reminders/unsubscribe/[\w.-]+/one-click"}
    return re.search(r"http://[^/\s]+(" + pattern[kind] + ")", text).group(1)
