"""A customer's profile: the saved shipping address, and their order history.

Functions that change data commit once (each is a whole user action), except the
stage_* ones that work inside the caller's unit of work; reads never commit.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from webshop.accounts.errors import AccountError
from webshop.extensions import db
from webshop.models import Address, Customer, Order, OrderItem
from webshop.pagination import Page, check_page

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone")
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


def customer_for(user):
    """The user's Customer profile, or None (staff created by the CLI have none). No commit."""
    return db.session.scalar(select(Customer).where(Customer.user_id == user.id))


def default_address(user):
    """The address checkout pre-fills: the one marked default, else the newest; or None.

    One query; never commits.
    """
    return db.session.scalar(
        select(Address)
        .join(Customer, Customer.id == Address.customer_id)
        .where(Customer.user_id == user.id)
        .order_by(Address.is_default.desc(), Address.id.desc())
        .limit(1)
    )


def profile(user):
    """(customer, default address) for the account page, each possibly None. One query."""
    row = db.session.execute(
        select(Customer, Address)
        .outerjoin(Address, Address.customer_id == Customer.id)
        .where(Customer.user_id == user.id)
        .order_by(Address.is_default.desc().nulls_last(), Address.id.desc())
        .limit(1)
    ).first()
    return (row.Customer, row.Address) if row else (None, None)


def save_default_address(user, **fields):
    """Create or update the user's default shipping address. Commits once.

    Fields: name, line1, line2, city, postal_code, region, country (ISO 3166 alpha-2),
    phone. The saved address becomes the only one marked default. A user without a
    Customer profile (e.g. staff) gets one here.
    """
    address = stage_default_address(user, **fields)
    db.session.commit()
    return address


def stage_default_address(user, **fields):
    """save_default_address inside the caller's unit of work: flushes, never commits.

    For order placement, which saves the address in the order's own transaction.
    Raises AccountError (before writing anything) for a missing field or a bad country.
    """
    unknown = set(fields) - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown address fields: {', '.join(sorted(unknown))}")
    values = {key: (fields.get(key) or "").strip() for key in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    for key in REQUIRED_ADDRESS_FIELDS:
        if not values[key]:
            raise AccountError(_("This field is required."), key)
    if len(values["country"]) != 2 or not values["country"].isalpha():
        raise AccountError(_("Choose a country."), "country")

    # Both lookups autoflush, so a profile the caller has just added is found, not doubled.
    customer = customer_for(user)
    if customer is None:
        customer = Customer(user_id=user.id, email=user.email, name=values["name"])
        db.session.add(customer)
        db.session.flush()
    address = default_address(user)
    if address is None:
        address = Address(customer_id=customer.id)
        db.session.add(address)
    for key, value in values.items():
        setattr(address, key, value)
    address.is_default = True
    db.session.flush()
    db.session.execute(
        update(Address)
        .where(Address.customer_id == customer.id, Address.id != address.id,
               Address.is_default.is_(True))
        .values(is_default=False)
    )
    return address


@dataclass(frozen=True)
class OrderSummary:
    """One row of a customer's order history: plain values, nothing left to lazy-load."""

    id: int
    number: str
    created_at: datetime
    status: str
    total: int
    currency: str
    item_count: int


def orders_for(user_id, page=1, per_page=20):
    """One page of the user's orders, newest first, and how many there are in all.

    Two queries whatever the page size: the count, and the page with each order's
    item count (the sum of its quantities) from a correlated subquery. Never commits.
    Returns a Page; raises PageOutOfRange past the last page.
    """
    total = db.session.scalar(select(func.count(Order.id)).where(Order.user_id == user_id))
    check_page(page, per_page, total)
    item_count = (
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Order.id, Order.number, Order.created_at, Order.status, Order.total,
               Order.currency, item_count.label("item_count"))
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([OrderSummary(**row._mapping) for row in rows], page, per_page, total)


def language_of(email):
    """The language the address last ordered in (an order keeps its shopper's), or None:
    what an email that is not about an order is written in when no request says so
    (a restock notice, a cart reminder, a reset link staff sent). Never commits."""
    return db.session.scalar(select(Order.locale).where(Order.email == email)
                             .order_by(Order.id.desc()).limit(1))
