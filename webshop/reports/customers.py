"""Customers for staff (registered and guests): the searchable list, one customer's
figures, and their orders. Lifetime value adds up the orders in REVENUE_STATUSES."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webshop.extensions import db
from webshop.models import Customer, Order
from webshop.models.orders import REVENUE_STATUSES
from webshop.pagination import Page, check_page
from webshop.reports.orders import ORDER_ROW_COLUMNS, OrderRow, escape_like


@dataclass(frozen=True)
class CustomerRow:
    id: int
    email: str
    name: str
    user_id: int | None
    created_at: datetime
    order_count: int
    lifetime_value: int


def _lifetime_value():
    return func.coalesce(func.sum(case(
        (Order.status.in_(REVENUE_STATUSES), Order.total), else_=0
    )), 0)


def _customer_search(q):
    q = (q or "").strip().lower()
    if not q:
        return []
    needle = f"%{escape_like(q)}%"
    return [or_(func.lower(Customer.email).like(needle, escape="\\"),
                func.lower(Customer.name).like(needle, escape="\\"))]


def list_customers(q="", page=1, per_page=50):
    """One page of customers (registered and guests), newest first, each with their
    order count and lifetime value (the totals of paid, dispatched and delivered orders).

    Two queries: the count, and the page joined to its orders and grouped.
    Raises PageOutOfRange past the last page.
    """
    where = _customer_search(q)
    total = db.session.scalar(select(func.count(Customer.id)).where(*where))
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(Customer.id, Customer.email, Customer.name, Customer.user_id,
               Customer.created_at, func.count(Order.id).label("order_count"),
               _lifetime_value().label("lifetime_value"))
        .outerjoin(Order, Order.customer_id == Customer.id)
        .where(*where)
        .group_by(Customer.id)
        .order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return Page([CustomerRow(**row._mapping) for row in rows], page, per_page, total)


@dataclass(frozen=True)
class CustomerSummary:
    customer: Customer
    order_count: int
    lifetime_value: int


def customer_summary(customer_id):
    """The customer (with login and addresses) and their order figures, or None. Three queries."""
    customer = db.session.scalar(
        select(Customer).where(Customer.id == customer_id)
        .options(joinedload(Customer.user), selectinload(Customer.addresses))
    )
    if customer is None:
        return None
    count, value = db.session.execute(
        select(func.count(Order.id), _lifetime_value()).where(Order.customer_id == customer_id)
    ).one()
    return CustomerSummary(customer, count, value)


def customer_orders(customer_id, total, page=1, per_page=20):
    """One page of the customer's orders, newest first: one query, as `total` (their
    order count) comes from customer_summary. Raises PageOutOfRange past the last page."""
    check_page(page, per_page, total)
    rows = db.session.execute(
        select(*ORDER_ROW_COLUMNS)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )
    return Page([OrderRow(**row._mapping) for row in rows], page, per_page, total)
