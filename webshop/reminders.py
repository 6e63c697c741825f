"""Abandoned-cart reminders: who gets one and when, what it lists, and what its links do.

Who: a logged-in shopper (an active account) whose cart holds something, or a guest who
typed an email at checkout and ticked "Email me a reminder if I don't finish" (the
address is kept on the cart only with that consent, and when it was given). When:
CART_REMINDER_DELAY_HOURS after the cart last changed (0: never), one reminder per cart
content and at most CART_REMINDER_MAX per cart: a cart that changes after a reminder
may get another only after a further full delay. Never to an address on the
unsubscribe list, never when that shopper (the account, or that address) placed an
order since the cart last changed, never for a cart of which nothing can be bought.

Left at the payment page: placing an order empties the cart (orders.placement), and the
order holds the lines. When every order the shopper placed since the cart last changed
ended unpaid (cancelled: the payment page expired or its reservation ran out; never
paid, no payment flagged for staff) and the last of them was placed a full delay ago,
the reminder lists that last order's lines (`abandoned_items`), and its restore link
puts them back. An order paid, still awaiting payment or placed less than a delay ago
holds the reminder back as before.

How: the worker's periodic `sweep` picks due carts (a batch at a time) and claims each
with a compare-and-set on the cart's reminder count, so two sweeps at once remind a
cart once; the claim, its audit entry and the email's outbox message
(events.cart_abandoned, webshop.notifications) commit together. The email is rendered
when its job runs, from the cart as it is then (`reminder_email`, which checks again).

Its links carry signed tokens (SECRET_KEY, a salt per purpose): the restore link names
the lines the email listed and expires after CART_REMINDER_LINK_DAYS; the unsubscribe
link names the address and does not expire (it can only reduce mail).
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webshop import cart as carts
from webshop import events
from webshop.extensions import db
from webshop.models import (
    Cart, CartItem, Order, OrderItem, Product, ProductVariant, ReminderUnsubscribe, User,
    utcnow,
)
from webshop.models.audit import record
from webshop.models.users import normalize_email

RESTORE_SALT = "cart-reminder-restore"
UNSUBSCRIBE_SALT = "cart-reminder-unsubscribe"
BATCH = 100  # carts one sweep looks at; the next run takes the rest


class LinkError(Exception):
    """A reminder link that cannot be used: `status` 400 (not ours, or damaged) or 410
    (run out); str(error) is what the visitor reads."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


# --- consent and unsubscribing -------------------------------------------------------------

def remember_guest_email(cart, email, consent):
    """A guest's choice at checkout: with consent, the address is kept on the cart (with
    the time of consent); without, any address kept before is dropped. Commits, only if
    something changed: the consent stands whether or not an order follows."""
    email = normalize_email(email) if consent else None
    if cart is None or cart.user_id is not None or cart.remind_email == email:
        return False
    cart.remind_email = email
    cart.remind_consent_at = utcnow() if email else None
    db.session.commit()
    return True


def unsubscribed(email):
    return db.session.scalar(select(exists().where(
        ReminderUnsubscribe.email == normalize_email(email)))) or False


def unsubscribe(email):
    """Put the address on the list: it gets no more reminders. Commits; idempotent (a
    second click, or two at once, leave one row)."""
    email = normalize_email(email)
    if not unsubscribed(email):
        db.session.add(ReminderUnsubscribe(email=email))
        try:
            db.session.commit()
        except IntegrityError:  # the same address, a moment earlier
            db.session.rollback()


def resubscribe(email):
    """Take the address off the list (an account's own choice). Commits."""
    db.session.execute(delete(ReminderUnsubscribe).where(
        ReminderUnsubscribe.email == normalize_email(email)))
    db.session.commit()


# --- who is due ------------------------------------------------------------------------------

def delay():
    """How long after its last change a cart is reminded of; None when reminders are off."""
    hours = current_app.config["CART_REMINDER_DELAY_HOURS"]
    return timedelta(hours=hours) if hours and hours > 0 else None


def _recipient():
    """The address a cart's reminder goes to: its account's, else the guest's consented one."""
    return func.coalesce(User.email, Cart.remind_email)


def _orders_since_change():
    """The conditions of an order placed by the cart's shopper (its account, or the
    address a reminder would go to) since the cart last changed."""
    return [Order.created_at >= Cart.updated_at,
            or_(func.lower(Order.email) == _recipient(),
                Cart.user_id.is_not(None) & (Order.user_id == Cart.user_id))]


def _unpaid_and_over():
    """An order that ended without a payment: cancelled (its payment page expired, its
    reservation ran out, or staff cancelled it), never paid, no late payment flagged."""
    return (Order.status == "cancelled") & Order.paid_at.is_(None) & \
        Order.needs_attention.is_(False)


def _sellable(variant_id):
    """A variant id column's variant still for sale (active product, in stock)."""
    return select(ProductVariant.id).join(
        Product, Product.id == ProductVariant.product_id).where(
        ProductVariant.id == variant_id, Product.active.is_(True), ProductVariant.stock > 0
    ).exists()


def _eligible(now=None):
    """Who may be reminded, whenever: an active account or a guest who consented, not
    unsubscribed, no order since the cart last changed (but orders left unpaid at the
    payment page, a full delay ago), something in the cart (or, when it holds nothing,
    in the last order left unpaid) still for sale."""
    now = now or utcnow()
    recipient = _recipient()
    ordered = exists().where(
        *_orders_since_change(),
        or_(~_unpaid_and_over(), Order.created_at > now - (delay() or timedelta(0))))
    in_cart = select(CartItem.id).where(
        CartItem.cart_id == Cart.id, _sellable(CartItem.variant_id)).exists()
    left_at_payment = select(OrderItem.id).join(Order, Order.id == OrderItem.order_id).where(
        *_orders_since_change(), _unpaid_and_over(), _sellable(OrderItem.variant_id)
    ).exists()
    return [
        or_(User.active.is_(True), Cart.user_id.is_(None) & Cart.remind_email.is_not(None)),
        ~exists().where(ReminderUnsubscribe.email == recipient),
        ~ordered,
        or_(in_cart, left_at_payment),
    ]


def _due(now):
    """The cart columns' part of being due: unchanged for a full delay, not reminded of
    this content yet, reminders left. Also the compare-and-set's condition."""
    return [
        Cart.updated_at <= now - delay(),
        or_(Cart.reminded_at.is_(None), Cart.reminded_at < Cart.updated_at),
        Cart.reminders_sent < current_app.config["CART_REMINDER_MAX"],
    ]


def _carts_with_recipient():
    return select(Cart.id, Cart.reminders_sent, _recipient().label("email")).select_from(
        Cart).outerjoin(User, User.id == Cart.user_id)


def due_carts(now=None, limit=BATCH):
    """[(cart id, reminders sent so far)] of the carts due for a reminder, oldest first."""
    if delay() is None:
        return []
    now = now or utcnow()
    rows = db.session.execute(
        _carts_with_recipient().where(*_due(now), *_eligible(now))
        .order_by(Cart.updated_at, Cart.id).limit(limit)).all()
    return [(row.id, row.reminders_sent) for row in rows]


def sweep(now=None, limit=BATCH):
    """Remind the due carts (at most `limit`); returns how many were claimed. Each cart
    is a unit of work of its own: the claim (a compare-and-set on reminders_sent, so a
    concurrent sweep that saw the same count claims nothing), the audit entry and the
    email's outbox message commit together. Safe from any number of workers."""
    now = now or utcnow()
    due = due_carts(now, limit)
    db.session.rollback()  # end the read: no transaction stays open between carts
    claimed = 0
    for cart_id, sent in due:
        won = db.session.execute(
            update(Cart).where(Cart.id == cart_id, Cart.reminders_sent == sent, *_due(now))
            .values(reminded_at=now, reminders_sent=sent + 1,
                    updated_at=Cart.updated_at)  # a reminder is not a change of the cart
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not won:
            db.session.rollback()
            continue
        record(db.session, "cart.reminded", "cart", cart_id, after={"reminder": sent + 1})
        events.cart_abandoned.send(cart_id, number=sent + 1)
        db.session.commit()
        claimed += 1
    return claimed


# --- the email -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderEmail:
    email: str
    lines: list  # cart.Line, the ones that can be bought
    restore_token: str
    unsubscribe_token: str
    restore_days: int
    # The lines are those of an order left unpaid at the payment page, not the cart's.
    left_at_payment: bool = False

    @property
    def currency(self):
        return self.lines[0].currency

    @property
    def subtotal(self):
        return sum(line.line_total for line in self.lines)


def reminder_email(cart_id, number):
    """What reminder `number` of the cart says, from the cart as it is now (or, for an
    empty cart, from the last order its shopper left unpaid at the payment page); None
    when it should no longer go out (the cart changed or was reminded again since the
    claim, the address unsubscribed, the shopper ordered, nothing left to buy)."""
    row = db.session.execute(
        _carts_with_recipient().where(Cart.id == cart_id, Cart.reminders_sent == number,
                                      *_eligible())).first()
    if row is None:
        return None
    lines = [line for line in carts.lines(db.session.get(Cart, cart_id))
             if line.active and line.stock > 0]
    left_at_payment = not lines
    if left_at_payment:
        lines = [line for line in preview(abandoned_items(cart_id)) if line.available]
    if not lines:
        return None
    return ReminderEmail(
        email=row.email, lines=lines,
        restore_token=restore_token([(line.variant_id, line.quantity) for line in lines]),
        unsubscribe_token=unsubscribe_token(row.email),
        restore_days=current_app.config["CART_REMINDER_LINK_DAYS"],
        left_at_payment=left_at_payment)


def abandoned_items(cart_id):
    """The (variant id, quantity) pairs of the last order the cart's shopper placed since
    the cart last changed and left unpaid; [] if there is none. One query."""
    last = (select(Order.id).select_from(Cart).outerjoin(User, User.id == Cart.user_id)
            .where(Cart.id == cart_id, *_orders_since_change(), _unpaid_and_over())
            .order_by(Order.created_at.desc(), Order.id.desc()).limit(1).scalar_subquery())
    return [tuple(row) for row in db.session.execute(
        select(OrderItem.variant_id, OrderItem.quantity)
        .where(OrderItem.order_id == last, OrderItem.variant_id.is_not(None))
        .order_by(OrderItem.id))]


# --- the links -----------------------------------------------------------------------------

def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def restore_token(items):
    """A signed token naming (variant id, quantity) pairs, for the restore link."""
    return _serializer(RESTORE_SALT).dumps([[int(v), int(q)] for v, q in items])


def restore_items(token):
    """The (variant id, quantity) pairs a restore link names; LinkError if it is not
    one of ours (400) or has run out (410)."""
    max_age = current_app.config["CART_REMINDER_LINK_DAYS"] * 24 * 3600
    try:
        items = _serializer(RESTORE_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(gettext("This link has expired. Your cart may still hold your items; "
                                "otherwise the shop is a click away."), 410) from None
    except BadSignature:
        raise LinkError(gettext("This link is not valid. Please use the link from your email "
                                "exactly as it was sent."), 400) from None
    if not (isinstance(items, list) and all(
            isinstance(pair, list) and len(pair) == 2
            and all(type(n) is int and n > 0 for n in pair) for pair in items)):
        raise LinkError(gettext("This link is not valid."), 400)
    return [(variant_id, quantity) for variant_id, quantity in items]


def unsubscribe_token(email):
    return _serializer(UNSUBSCRIBE_SALT).dumps(normalize_email(email))


def unsubscribe_address(token):
    """The address an unsubscribe link names; LinkError (400) if it is not one of ours.
    It never expires: whoever holds it can only stop mail to that address."""
    try:
        email = _serializer(UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise LinkError(gettext("This unsubscribe link is not valid. Please use the link "
                                "from your email exactly as it was sent."), 400) from None
    if not isinstance(email, str) or "@" not in email:
        raise LinkError(gettext("This unsubscribe link is not valid."), 400)
    return email


def masked(email):
    """The address as the unsubscribe page shows it to whoever holds the link."""
    name, _, domain = email.partition("@")
    return f"{name[:1]}{'*' * max(len(name) - 1, 2)}@{domain}"


def preview(items):
    """What a restore link would put back, in one query: [(the variant, its product,
    the quantity, whether it can be bought now)], in the link's order."""
    wanted = dict(items)
    rows = db.session.execute(
        select(ProductVariant, Product).join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.id.in_(wanted))).all()
    found = {variant.id: (variant, product) for variant, product in rows}
    return [RestoreLine(*found[v], quantity=q,
                        available=found[v][1].active and found[v][0].stock > 0)
            for v, q in items if v in found]


@dataclass(frozen=True)
class RestoreLine:
    """A line a restore link names, at today's price; it reads like a cart line too
    (the reminder email lists these for an order left at the payment page)."""

    variant: object
    product: object
    quantity: int
    available: bool

    @property
    def variant_id(self):
        return self.variant.id

    @property
    def product_name(self):
        return self.product.name

    @property
    def label(self):
        return self.variant.label

    @property
    def currency(self):
        return self.variant.currency

    @property
    def line_total(self):
        return self.variant.price * self.quantity

