"""The orders domain: placing an order with its stock reservation, and every status change.

Every transition goes through `_transition`, checked against TRANSITIONS, stamped with
its time and written to the audit log. Public functions lock the order row, change it
and commit once; a transition that is not allowed raises InvalidTransition and changes
nothing. Stock is reserved when the order is placed, with one conditional UPDATE per
line inside the order's transaction (never check-then-write), and released exactly
once: only the pending -> cancelled transition (or a refund with restock) releases it,
and the row lock makes that transition happen once.
"""
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webshop import accounts
from webshop import cart as carts
from webshop import catalog, notifications
from webshop.extensions import db
from webshop.models import Customer, Order, OrderItem, ProductVariant, utcnow
from webshop.models.audit import record
from webshop.models.base import locked as lock_row

TRANSITIONS = {
    "pending": {"paid", "cancelled"},
    "paid": {"dispatched", "refunded"},
    "dispatched": {"delivered", "refunded"},
    "delivered": set(),
    "cancelled": set(),
    "refunded": set(),
}
TIMESTAMPS = {
    "paid": "paid_at", "dispatched": "dispatched_at", "delivered": "delivered_at",
    "cancelled": "cancelled_at", "refunded": "refunded_at",
}
# The email each status change sends the customer.
EMAILS = {
    "paid": "order_confirmation", "dispatched": "order_dispatched",
    "cancelled": "order_cancelled", "refunded": "order_refunded",
}
log = logging.getLogger(__name__)
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


class OrderError(Exception):
    """Something the shopper or staff should be told; str(error) is the message."""


class InvalidTransition(OrderError):
    def __init__(self, order, to_status):
        self.from_status, self.to_status = order.status, to_status
        super().__init__(f"Order {order.number} is {order.status}; it cannot become {to_status}.")


class PaidMeanwhile(OrderError):
    def __init__(self, order):
        super().__init__(f"Order {order.number} was paid meanwhile; it was not cancelled.")


class EmptyCart(OrderError):
    def __init__(self):
        super().__init__("Your cart is empty.")


class OutOfStock(OrderError):
    def __init__(self, names):
        self.names = names
        super().__init__(
            "Sorry, not enough stock left for: " + ", ".join(names)
            + ". Please change the quantity or remove it from your cart."
        )


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""


# --- placing an order -----------------------------------------------------------------

def place_order(cart, email, address, shipping_method, idempotency_key, user=None,
                save_address=False):
    """Turn the cart into a pending order, reserving its stock. Commits once.

    The same idempotency key (a double click, a retried POST) returns the order it
    already made. Raises EmptyCart or OutOfStock, in which case nothing is reserved.
    With save_address, a logged-in customer's default address becomes this one.
    """
    existing = _by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing
    lines = carts.lines(cart)
    if not lines:
        raise EmptyCart()
    if shipping_method not in carts.shipping_methods():
        raise OrderError("Please choose a shipping method.")
    try:
        short = _reserve_stock(lines)
        if short:
            db.session.rollback()
            raise OutOfStock(short)
        order = _new_order(lines, email, address, shipping_method, idempotency_key, user)
        if save_address and user is not None:
            accounts.stage_default_address(user, **vars(address))
        carts.clear(cart)
        db.session.flush()
        record(db.session, "order.placed", "order", order.id, actor=user,
               after={"status": "pending", "total": order.total})
        db.session.commit()
    except IntegrityError:
        # A concurrent submit of the same form won the race: show the order it made.
        db.session.rollback()
        existing = _by_idempotency_key(idempotency_key)
        if existing is None:
            raise
        return existing
    return order


def _by_idempotency_key(key):
    if not key:
        return None
    return db.session.scalar(select(Order).where(Order.idempotency_key == key))


def _reserve_stock(lines):
    """Take each line's quantity off its variant's stock; names of the lines that could not.

    One conditional UPDATE per variant, in id order so two orders never deadlock.
    The caller rolls back if anything is short, so a failed order reserves nothing.
    """
    wanted, names, short = {}, {}, []
    for line in lines:
        name = line.product_name + (f" ({line.label})" if line.label else "")
        if not line.active:
            short.append(name)
            continue
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
        names[line.variant_id] = name
    for variant_id in sorted(wanted):
        result = db.session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant_id, ProductVariant.stock >= wanted[variant_id])
            .values(stock=ProductVariant.stock - wanted[variant_id])
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            short.append(names[variant_id])
    catalog.mark_changed()
    return short


def _new_order(lines, email, address, shipping_method, idempotency_key, user):
    totals = carts.totals(lines, shipping_method)
    order = Order(
        number=_new_number(), customer=_customer_for(email, address, user),
        user_id=user.id if user else None, email=email.strip().lower(), status="pending",
        ship_name=address.name, ship_line1=address.line1, ship_line2=address.line2,
        ship_city=address.city, ship_postal_code=address.postal_code,
        ship_region=address.region, ship_country=address.country, ship_phone=address.phone,
        shipping_method=shipping_method, subtotal=totals.subtotal, shipping=totals.shipping,
        tax=totals.tax, total=totals.total, currency=totals.currency,
        idempotency_key=idempotency_key,
        reserved_until=utcnow() + timedelta(minutes=current_app.config["RESERVATION_MINUTES"]),
    )
    for line in lines:
        order.items.append(OrderItem(
            variant_id=line.variant_id, product_id=line.product_id,
            product_name=line.product_name, option_values=line.option_values, sku=line.sku,
            unit_price=line.unit_price, quantity=line.quantity, line_total=line.line_total,
        ))
    db.session.add(order)
    return order


def _new_number():
    return "W" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def _customer_for(email, address, user):
    """The customer profile the order belongs to: the user's, or the guest's by email."""
    email = email.strip().lower()
    if user is not None:
        customer = db.session.scalar(select(Customer).where(Customer.user_id == user.id))
    else:
        customer = db.session.scalar(
            select(Customer).where(Customer.email == email, Customer.user_id.is_(None)).limit(1)
        )
    if customer is None:
        customer = Customer(email=user.email if user else email, user_id=user.id if user else None)
        db.session.add(customer)
    customer.name = address.name
    if address.phone:
        customer.phone = address.phone
    return customer


# --- status changes ---------------------------------------------------------------------

def locked(order_id):
    """The order, re-read under a row lock so concurrent transitions queue up."""
    return lock_row(Order, order_id)


def can_transition(order, to_status):
    return to_status in TRANSITIONS[order.status]


def transition(order, to_status, actor=None, note="", restock=False, notify=True, **changes):
    """The one place an order's status changes, inside the caller's unit of work.

    Checks the table, stamps the time, writes the audit log, releases stock when a
    pending order is cancelled (or a refund asks for a restock), and queues the
    customer's email in the same transaction. The caller holds the row lock (`locked`)
    and commits.
    """
    if not can_transition(order, to_status):
        raise InvalidTransition(order, to_status)
    before = {"status": order.status, **{k: getattr(order, k) for k in changes}}
    order.status = to_status
    setattr(order, TIMESTAMPS[to_status], utcnow())
    for name, value in changes.items():
        setattr(order, name, value)
    if to_status == "cancelled" or (to_status == "refunded" and restock):
        _release_stock(order)
    record(db.session, f"order.{to_status}", "order", order.id, actor=actor,
           before=before, after={"status": to_status, **changes}, note=note)
    if notify and to_status in EMAILS:
        notifications.notify_order(EMAILS[to_status], order.id)


def _change(order_id, to_status, actor=None, note="", **changes):
    """Lock, transition and commit once; a refused transition changes nothing."""
    order = locked(order_id)
    try:
        transition(order, to_status, actor=actor, note=note, **changes)
    except InvalidTransition:
        db.session.rollback()
        raise
    db.session.commit()
    return order


def _release_stock(order):
    """Put the order's quantities back on the shelf (once: only inside a transition)."""
    for item in sorted(order.items, key=lambda i: i.variant_id or 0):
        if item.variant_id is None:
            continue  # the variant was deleted since; nothing to put back
        db.session.execute(
            update(ProductVariant).where(ProductVariant.id == item.variant_id)
            .values(stock=ProductVariant.stock + item.quantity)
            .execution_options(synchronize_session=False)
        )
    catalog.mark_changed()


def mark_paid(order_id, payment_intent_id=None, actor=None):
    changes = {"stripe_payment_intent_id": payment_intent_id} if payment_intent_id else {}
    return _change(order_id, "paid", actor=actor, **changes)


def cancel(order_id, actor=None, reason=""):
    """Cancel a pending order and release its stock.

    If the shopper may still be paying (an open Checkout Session), the session is
    expired first; if it turns out to be paid already, the order is left for the
    payment webhook and PaidMeanwhile is raised.
    """
    _close_checkout(order_id)
    return _change(order_id, "cancelled", actor=actor, note=reason)


def _close_checkout(order_id):
    """Before cancelling: stop the shopper's open payment page from taking money."""
    order = db.session.get(Order, order_id)
    if order is not None and order.status == "pending" and order.stripe_checkout_session_id:
        from webshop.payments import gateway  # gateway imports this module
        if gateway.close_checkout(order):
            raise PaidMeanwhile(order)


def return_to_cart(order_id, token=None, user_id=None):
    """The shopper left the payment page: cancel the pending order and put its lines
    back into their cart, as they were. Commits once. No email: they know."""
    _close_checkout(order_id)
    order = locked(order_id)
    try:
        transition(order, "cancelled", note="The shopper cancelled the payment.", notify=False)
    except InvalidTransition:
        db.session.rollback()
        raise
    carts.refill([(item.variant_id, item.quantity) for item in order.items if item.variant_id],
                 token=token, user_id=user_id)
    db.session.commit()
    return order


def dispatch(order_id, carrier, tracking_number, actor=None):
    return _change(order_id, "dispatched", actor=actor,
                   carrier=carrier.strip(), tracking_number=tracking_number.strip())


def mark_delivered(order_id, actor=None):
    return _change(order_id, "delivered", actor=actor)


def mark_refunded(order_id, restock=False, actor=None, note=""):
    """Record a completed refund; put the items back on the shelf if asked."""
    return _change(order_id, "refunded", actor=actor, note=note, restock=restock)


def expire_reservations(now=None):
    """Cancel pending orders whose reservation ran out; returns how many this call cancelled.

    Safe to run from several processes at once: each cancellation locks its order and
    re-checks the status, so every order's stock is released exactly once.
    """
    now = now or utcnow()
    expired = db.session.scalars(
        select(Order.id).where(Order.status == "pending", Order.reserved_until < now)
        .order_by(Order.id)
    ).all()
    db.session.rollback()
    cancelled = 0
    for order_id in expired:
        try:
            cancel(order_id, reason="Payment not received in time; reservation expired.")
            cancelled += 1
        except OrderError:
            continue  # paid or cancelled meanwhile, by someone else
        except Exception:  # the payment provider did not answer: try again next run
            db.session.rollback()
            log.exception("could not expire order %s", order_id)
    return cancelled


# --- who may see an order -------------------------------------------------------------------

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


# --- what staff may do next (the admin's actions panel) --------------------------------------

# Staff actions, in the order the admin offers them, and the status each leads to.
STAFF_ACTIONS = {
    "dispatch": "dispatched", "deliver": "delivered", "cancel": "cancelled", "refund": "refunded",
}


def refund_pending(order):
    """A refund was asked of Stripe and its confirmation (the webhook) has not come yet."""
    return bool(order.stripe_refund_id) and order.status != "refunded"


def staff_action_refusal(order, action):
    """Why staff may not take `action` on the order now (a message), or None if they may.

    The transition table decides, plus: while a refund waits for Stripe nothing else is
    done to the order, and only a payment Stripe recorded can be refunded through it.
    The domain function re-checks under the row lock; this is what the admin offers.
    """
    to_status = STAFF_ACTIONS.get(action)
    if to_status is None:
        return f"Unknown action “{action}”."
    if refund_pending(order):
        return (f"A refund of order {order.number} was requested and is waiting for Stripe's "
                "confirmation; nothing else can be done to it meanwhile.")
    if not can_transition(order, to_status):
        return str(InvalidTransition(order, to_status))
    if action == "refund" and not order.stripe_payment_intent_id:
        return (f"Order {order.number} has no payment recorded by Stripe, so it cannot be "
                "refunded from here.")
    return None


def staff_actions(order):
    """The actions staff may take on the order now (names from STAFF_ACTIONS)."""
    return [action for action in STAFF_ACTIONS if staff_action_refusal(order, action) is None]


def resolve_attention(order_id, actor=None, note=""):
    """Staff have dealt with whatever flagged the order: clear the flag. Commits once.

    The reason stays readable in the audit entry's "before"; an order that is not
    flagged (anymore) is left as it is.
    """
    order = locked(order_id)
    if not order.needs_attention:
        db.session.rollback()
        return order
    before = {"needs_attention": True, "attention_reason": order.attention_reason}
    order.needs_attention, order.attention_reason = False, ""
    record(db.session, "order.attention_resolved", "order", order.id, actor=actor,
           before=before, after={"needs_attention": False}, note=note)
    db.session.commit()
    return order
