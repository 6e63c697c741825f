"""Which order a Stripe object belongs to: by the ids the shop stored, never by metadata alone.

A Checkout Session is this shop's only if an order stored its id before sending the
shopper to pay. The metadata marker (`shop` = STRIPE_SHOP_MARKER, `order_number`) only
decides what to answer when no order has stored the id: an event this shop caused
answers 503 so Stripe delivers it again once the session id is committed; anything else
(a Payment Link, another app on the same Stripe account) is "ignored" with a 2xx.
"""
from flask import current_app
from sqlalchemy import select

from webshop import orders
from webshop.extensions import db
from webshop.models import Order


class RetryLater(Exception):
    """The event cannot be applied yet (its session is not stored yet, or it overtook an
    earlier event); answered with 503 so Stripe delivers it again."""


def marker():
    """The metadata the shop puts on every Checkout Session and PaymentIntent it creates."""
    return {"shop": current_app.config["STRIPE_SHOP_MARKER"]}


def carries_marker(obj):
    metadata = obj.get("metadata") or {}
    return metadata.get("shop") == current_app.config["STRIPE_SHOP_MARKER"] and bool(
        metadata.get("order_number"))


def order_for_session(session):
    """The (locked) order that stored this Checkout Session's id, or None if no order
    did and none will. Raises RetryLater for a session of ours whose order has not
    stored its id yet."""
    order_id = db.session.scalar(
        select(Order.id).where(Order.stripe_checkout_session_id == session.get("id"))
    )
    if order_id is not None:
        return orders.locked(order_id)
    if not carries_marker(session):
        return None
    number = session["metadata"]["order_number"]
    stored = db.session.scalar(
        select(Order.stripe_checkout_session_id).where(Order.number == number)
    )
    if stored is None and db.session.scalar(select(Order.id).where(Order.number == number)):
        raise RetryLater(f"order {number} has not stored session {session.get('id')} yet")
    return None


def stray_session_order(session):
    """For a session of ours that its order never stored (it stored another one): the
    order, locked, so a payment taken through it can be flagged for a refund."""
    if not carries_marker(session):
        return None
    order_id = db.session.scalar(
        select(Order.id).where(Order.number == session["metadata"]["order_number"])
    )
    return orders.locked(order_id) if order_id is not None else None


def order_for_payment(payment_intent_id):
    """The (locked) order whose recorded payment is this PaymentIntent, or None."""
    if not payment_intent_id:
        return None
    order_id = db.session.scalar(
        select(Order.id).where(Order.stripe_payment_intent_id == payment_intent_id)
    )
    return orders.locked(order_id) if order_id is not None else None
