"""Placing an order: the cart becomes a pending order and its stock is reserved.

Stock is reserved with one conditional UPDATE per variant inside the order's transaction
(never check-then-write), so no two orders can take the last unit.

One client must not hold the stock in unpaid reservations (OWASP OAT-021, denial of
inventory): a line holds at most MAX_QUANTITY_PER_LINE of an item, and one shopper (the
same account, email or shipping address) at most MAX_PENDING_ORDERS orders awaiting
payment. On PostgreSQL the count is exact however many forms arrive at once: each
placement first takes a transaction lock per identity (pg_advisory_xact_lock), so the
orders of one shopper are counted and written one after the other. (SQLite, the
embedded development database, counts without the lock.)
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from webshop import accounts
from webshop import cart as carts
from webshop import catalog, pricing
from webshop.extensions import db
from webshop.models import Customer, Order, OrderItem, OrderTaxLine, ProductVariant, utcnow
from webshop.models.audit import record
from webshop.models.base import commit_keeping
from webshop.orders.errors import EmptyCart, OrderError, OutOfStock
from webshop.orders.lifecycle import transition
from webshop.validation import ValidationError

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


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


def place_order(cart, email, address, shipping_method, idempotency_key, user=None,
                save_address=False, adjust=None, hold=None, locale="en", lines=None,
                reserve_at_least=None):
    """Turn the cart into a pending order, reserving its stock. Commits once.

    The same idempotency key (a double click, a retried POST) returns the order it
    already made. Raises EmptyCart or OutOfStock, or pricing.PricingError (a method
    not offered to the address's country), in which case nothing is reserved.
    With save_address, a logged-in customer's default address becomes this one.
    The amounts are pricing.quote's for the address's country; `adjust(lines)` may
    return its extra arguments (line_discounts, free_shipping, gift_card_balance), and
    `hold(order)` takes what they promised inside the order's transaction (a code's use,
    a gift card's balance: webshop.promotions) or raises a ValidationError, which places
    nothing. An order with nothing left to pay (a gift card covers it) is paid at once.
    `locale` is the shopper's language: the order's emails are written in it.
    `lines`: the cart's lines (carts.lines) if the caller has just read them in this
    request; they are read here otherwise. `reserve_at_least` (a timedelta): the stock
    stays reserved at least that long, even when RESERVATION_MINUTES is shorter (a
    payment page that must stay open longer: Stripe's lasts at least 30 minutes).
    A new order comes back as committed, with its values and lines still loaded (no
    query to read them again); an existing one (the same key) as read.
    """
    idempotency_key = _bound_key(idempotency_key, cart, user)
    existing = _by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing
    lines = carts.lines(cart) if lines is None else lines
    if not lines:
        raise EmptyCart()
    if not shipping_method:
        raise OrderError(gettext("Please choose a shipping method."))
    priced = pricing.quote(lines, address.country, shipping_method,
                           **(adjust(lines) if adjust else {}))
    twin = _check_holding_limits(lines, email, address, user, idempotency_key)
    if twin is not None:
        return twin
    try:
        short = _reserve_stock(lines)
        if short:
            db.session.rollback()
            raise OutOfStock(short)
        order = _new_order(lines, priced, email, address, idempotency_key, user, locale,
                           reserve_at_least)
        if save_address and user is not None:
            accounts.stage_default_address(user, **vars(address))
        carts.clear(cart)
        db.session.flush()
        record(db.session, "order.placed", "order", order.id, actor=user,
               after={"status": "pending", "total": order.total})
        if hold is not None:
            _hold(hold, order)
        if order.amount_due == 0:  # no payment page: paid through the one transition
            transition(order, "paid", note="Nothing left to pay: paid in full by gift card."
                       if order.gift_card_amount else "Nothing to pay.")
        commit_keeping(order, *order.items, *order.tax_lines, user)
    except IntegrityError:
        # A concurrent submit of the same form won the race: show the order it made.
        db.session.rollback()
        existing = _by_idempotency_key(idempotency_key)
        if existing is None:
            raise
        return existing
    return order


def _hold(hold, order):
    try:
        hold(order)
    except ValidationError:
        db.session.rollback()  # the stock reserved and the order go too
        raise


class TooMuchHeld(OrderError):
    """The shopper already holds as much unpaid stock as one shopper may."""


def _check_holding_limits(lines, email, address, user, idempotency_key):
    """Raise TooMuchHeld if this order would let the shopper hold too much unpaid stock.
    Returns the order this very form made meanwhile (a double click that waited for the
    lock), if any."""
    limit = carts.max_quantity()
    over = [line.product_name for line in lines if line.quantity > limit]
    if over:
        raise TooMuchHeld(gettext("You can order at most %(num)d of one item: lower the "
                                  "quantity of %(names)s.", num=limit, names=", ".join(over)))
    most = current_app.config.get("MAX_PENDING_ORDERS") or 0
    if not most:
        return None
    _lock_shopper(email, address, user)
    twin = _by_idempotency_key(idempotency_key)
    if twin is not None:
        return twin
    if pending_orders_of(email, address, user) >= most:
        db.session.rollback()  # nothing written yet; ends the locks
        minutes = current_app.config["RESERVATION_MINUTES"]
        raise TooMuchHeld(gettext(
            "You already have %(num)d orders waiting for payment. Pay for one of them, or "
            "wait until they expire (after %(minutes)d minutes), before placing another.",
            num=most, minutes=minutes))
    return None


def _lock_shopper(email, address, user):
    """Until this transaction ends, no other placement for the same account, email or
    address may count its shopper's orders (PostgreSQL; in a fixed order: no deadlock)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = {f"email:{email.strip().lower()}",
            "address:" + "|".join((address.line1.strip().lower(),
                                   address.postal_code.strip().upper(), address.country))}
    if user is not None:
        keys.add(f"user:{user.id}")
    ids = [int.from_bytes(hashlib.sha256(f"pending-orders:{key}".encode()).digest()[:8],
                          "big", signed=True) for key in sorted(keys)]
    # One round trip, the locks taken in the list's order: the aggregate calls the lock
    # once per row as unnest hands them over, in the array's order (ORDER BY n says so;
    # PostgreSQL plans it as a plain function scan, which keeps that order).
    db.session.execute(_LOCK_IN_ORDER, {"ids": ids})


_LOCK_IN_ORDER = text(
    "SELECT count(pg_advisory_xact_lock(id)) FROM (SELECT id FROM unnest(CAST(:ids AS bigint[]))"
    " WITH ORDINALITY AS t(id, n) ORDER BY n) AS ordered")


def pending_orders_of(email, address, user=None):
    """How many orders awaiting payment (and still holding their stock) the shopper has:
    those of the account, of the email, or to the same shipping address. A payment on
    its way (a bank debit) does not count: its money is coming."""
    same = [Order.email == email.strip().lower(),
            and_(func.lower(Order.ship_line1) == address.line1.strip().lower(),
                 func.upper(Order.ship_postal_code) == address.postal_code.strip().upper(),
                 Order.ship_country == address.country)]
    if user is not None:
        same.append(Order.user_id == user.id)
    return db.session.scalar(
        select(func.count()).select_from(Order).where(
            Order.status == "pending", Order.payment_processing_since.is_(None),
            Order.reserved_until > utcnow(), or_(*same)))


def _bound_key(key, cart, user):
    """The form's key as stored: bound to the shopper who submitted it, so a key copied
    into another session makes that shopper's own order, never returns this one."""
    if not key:
        return None
    owner = f"user:{user.id}" if user is not None else f"cart:{cart.token if cart else ''}"
    return hashlib.sha256(f"{owner}\n{key}".encode("utf-8")).hexdigest()


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
    if not short:  # otherwise the caller rolls back: nothing changed
        catalog.stock_changed({variant_id: -quantity for variant_id, quantity in wanted.items()})
    return short


def _new_order(lines, priced, email, address, idempotency_key, user, locale="en",
               reserve_at_least=None):
    reserved = timedelta(minutes=current_app.config["RESERVATION_MINUTES"])
    order = Order(
        number=_new_number(), customer=_customer_for(email, address, user),
        user_id=user.id if user else None, email=email.strip().lower(), status="pending",
        ship_name=address.name, ship_line1=address.line1, ship_line2=address.line2,
        ship_city=address.city, ship_postal_code=address.postal_code,
        ship_region=address.region, ship_country=address.country, ship_phone=address.phone,
        shipping_method=priced.shipping_method, shipping_name=priced.shipping_name,
        subtotal=priced.subtotal, discount=priced.discount, shipping=priced.shipping,
        tax=priced.tax, total=priced.total, gift_card_amount=priced.gift_card,
        currency=priced.currency, tax_country=priced.tax_country,
        idempotency_key=idempotency_key, locale=locale,
        reserved_until=utcnow() + max(reserved, reserve_at_least or reserved),
    )
    for line, taxed in zip(lines, priced.line_taxes):
        order.items.append(OrderItem(
            variant_id=line.variant_id, product_id=line.product_id,
            product_name=line.product_name, option_values=line.option_values, sku=line.sku,
            unit_price=line.unit_price, quantity=line.quantity, line_total=line.line_total,
            discount=taxed.discount, tax_class=taxed.tax_class, tax_rate_bp=taxed.rate_bp,
            tax=taxed.tax,
        ))
    for tax_line in priced.tax_lines:
        order.tax_lines.append(OrderTaxLine(
            rate_bp=tax_line.rate_bp, label=tax_line.label, net=tax_line.net,
            tax=tax_line.tax, gross=tax_line.gross))
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
