"""Refunds: staff refund (part of) an order through Stripe; Stripe reports what became of
them, and of refunds made in its Dashboard.

Each refund is a row in `refunds` (models.payments.Refund), the one record of money given
back. The rules:

- Staff's refund (`request_refund`), in three steps. (1) Under the order's row lock the
  request is checked and a "requested" row is committed, with its audit entry: the
  amount may be at most the total minus what is refunded (pending or succeeded) and
  minus what is on its way to Stripe ("requested"), and while one refund is on its way
  no other is asked for, so two clicks make one refund and one audit entry. (2) Stripe
  is called with no transaction open; the row's id goes into the refund's metadata
  (`refund_id`) and into the idempotency key, so a retry of this attempt replays it and
  the next attempt is a new request. (3) The answer (Stripe's id and status) is recorded
  under the lock again; a Stripe error marks the row failed (the error is shown, nothing
  else changes) and the next click is a new attempt. A row left "requested" for
  STALE_REQUEST (the process died while asking) stops blocking and is marked failed by
  the next request; Stripe's events still revive it if Stripe did make the refund.
- Stripe's reports (`refund_reported` for refund.* events with a refund object,
  `charge_refunded` for charge.refunded): a refund is found by its Stripe id, else by
  its metadata `refund_id`, else it is one made in the Dashboard (source "stripe").
  charge.refunded only says how much of the charge is refunded in all (`amount_refunded`):
  what the known rows (counted, on their way, or failed at Stripe) do not explain is
  recorded as a Dashboard refund without a Stripe id, which the refund's own event
  adopts (same amount) or splits when it arrives, so nothing is counted twice.
- A status only moves forward (requested < pending < succeeded < failed/canceled);
  Stripe's failed and canceled are final, while a row the shop marked failed (no Stripe
  id: it never heard back) takes whatever Stripe later says.
- When a refund first counts (pending or succeeded) its chosen lines go back in stock if
  staff asked, and `events.refund_counted` is sent (the customer's email, once per refund).
- Gift cards the order bought lose what a counted refund gives back for them, and get
  it back if that refund fails (promotions.bought_cards; spent cards flag the order).
- A gift card paid part of the order (Order.gift_card_amount): Stripe refunds at most
  what Stripe took (amount_due); the rest of a refund is credited to the card at once
  (a succeeded row with source "gift_card"; promotions.card_share decides the split).
- Order.amount_refunded is the sum of pending and succeeded rows, recomputed under the
  order's row lock after every change. Reaching the total makes the order "refunded"
  (through `transition`); partial refunds leave the status as it is. A refund that
  fails flags the order, and an order it had made "refunded" goes back to the status it
  had (paid, dispatched or delivered).
"""
import logging
from datetime import timedelta

from sqlalchemy import func, select, update

from webshop import catalog, events, promotions
from webshop.extensions import db
from webshop.models import ProductVariant, utcnow
from webshop.models.audit import record
from webshop.models.base import as_utc
from webshop.models.payments import Refund
from webshop.money import format_money
from webshop.orders.errors import ActionRefused, OrderError, PaymentError
from webshop.orders.lifecycle import (
    TIMESTAMPS, _change, can_transition, flag, locked, payments, transition,
)

log = logging.getLogger(__name__)

COUNTED = ("pending", "succeeded")
FINAL = ("failed", "canceled")
RANK = {"requested": 0, "pending": 1, "succeeded": 2, "failed": 3, "canceled": 3}
STALE_REQUEST = timedelta(minutes=10)
REFUNDABLE = ("paid", "dispatched", "delivered")
REFUND_NOTES = {"stripe": " in the Stripe Dashboard.", "gift_card": " to the gift card."}


class RefundInputError(OrderError):
    """An amount or a choice of lines that cannot be refunded; str(error) says why."""


def mark_refunded(order_id, restock=False, actor=None, note=""):
    """Record a completed refund made outside Stripe; put the items back if asked. Commits."""
    return _change(order_id, "refunded", actor=actor, note=note, restock=restock)


# --- what staff may refund -----------------------------------------------------------------

def refund_refusal(order):
    """Why no refund can be asked for now (a message), or None."""
    if order.status not in REFUNDABLE:
        return f"Order {order.number} is {order.status}; it cannot be refunded."
    if not order.stripe_payment_intent_id and not order.gift_card_amount:
        return (f"Order {order.number} has no payment recorded by Stripe, so it cannot be "
                "refunded from here.")
    if in_flight(order):
        return (f"A refund of order {order.number} is on its way to Stripe; wait for its "
                "answer before asking for another.")
    if remaining(order) <= 0:
        return f"Order {order.number} has nothing left to refund."
    return None


def in_flight(order):
    """The refunds asked of Stripe and not answered yet (not older than STALE_REQUEST)."""
    since = utcnow() - STALE_REQUEST
    return [r for r in order.refunds
            if r.status == "requested" and as_utc(r.created_at) > since]


def remaining(order):
    """What may still be refunded: the total, less what is refunded or on its way."""
    counted = sum(r.amount for r in order.refunds if r.status in COUNTED)
    return order.total - counted - sum(r.amount for r in in_flight(order))


def refundable_quantities(order):
    """{order item id: units not yet refunded} (counted and in-flight refunds' lines)."""
    taken = {}
    for refund in order.refunds:
        if refund.status in COUNTED or refund in in_flight(order):
            for item_id, quantity in (refund.lines or {}).items():
                taken[int(item_id)] = taken.get(int(item_id), 0) + int(quantity)
    return {item.id: item.quantity - taken.get(item.id, 0) for item in order.items}


def _checked(order, amount, lines, restock):
    """The refund's (amount, lines) as they will be asked for; RefundInputError if not."""
    left = remaining(order)
    available = refundable_quantities(order)
    chosen = {}
    for item_id, quantity in (lines or {}).items():
        item_id, quantity = int(item_id), int(quantity)
        if quantity < 0 or item_id not in available:
            raise RefundInputError("Choose lines of this order and quantities of 0 or more.")
        if quantity > available[item_id]:
            item = next(i for i in order.items if i.id == item_id)
            raise RefundInputError(f"At most {available[item_id]} of “{item.product_name}” "
                                   "can still be refunded.")
        if quantity:
            chosen[str(item_id)] = quantity
    if chosen:
        prices = {item.id: item.unit_price for item in order.items}
        amount = sum(prices[int(i)] * q for i, q in chosen.items())
    elif restock and (amount is None or amount >= left):
        chosen = {str(i): q for i, q in available.items() if q > 0}  # everything left goes back
    elif restock:
        raise RefundInputError("Choose the lines and quantities to put back in stock.")
    if amount is None:
        amount = left
    if amount <= 0:
        raise RefundInputError("Enter an amount to refund greater than zero.")
    if amount > left:
        raise RefundInputError(
            f"At most {format_money(left, order.currency)} of order {order.number} can still be "
            f"refunded; {format_money(amount, order.currency)} is too much.")
    return amount, chosen


# --- staff ask Stripe ----------------------------------------------------------------------

def request_refund(order_id, amount=None, lines=None, restock=False, reason="", actor=None):
    """Refund `amount` (minor units; default: all that is left) or the chosen `lines`
    ({order item id: quantity}, priced at their unit prices) through Stripe. Commits
    (twice: before and after Stripe is asked; see the module's docstring).

    Returns the Refund. Raises LookupError, ActionRefused (the order's state),
    RefundInputError (amount or lines) or PaymentError (Stripe said no: the attempt is
    recorded as failed and may be tried again).
    """
    order = locked(order_id)
    try:
        _abandon_stale(order)
        refusal = refund_refusal(order)
        if refusal:
            raise ActionRefused(refusal)
        amount, lines = _checked(order, amount, lines, restock)
    except OrderError:
        db.session.rollback()
        raise
    card_part = promotions.card_share(order, amount)  # beyond what Stripe took
    card_refund = card_part and promotions.refund_to_cards(order, card_part, actor, reason or "")
    if card_refund:
        if card_refund.amount == amount:
            card_refund.lines, card_refund.restock = lines, bool(restock)
        _update(order, card_refund, "succeeded", "", None, actor=actor)
        if card_refund.amount == amount:
            db.session.commit()
            return card_refund
        amount -= card_refund.amount
    refund = Refund(order_id=order.id, amount=amount, currency=order.currency,
                    status="requested", source="shop", lines=lines, restock=bool(restock),
                    reason=(reason or "").strip()[:500], actor_id=getattr(actor, "id", None))
    db.session.add(refund)
    db.session.flush()
    record(db.session, "order.refund_requested", "order", order.id, actor=actor,
           after={"refund": refund.id, "amount": amount, "lines": lines,
                  "restock": bool(restock)}, note=refund.reason)
    # Read now: after the commit a read of the (expired) objects would open a transaction.
    number, intent, refund_id = order.number, order.stripe_payment_intent_id, refund.id
    reason = refund.reason
    db.session.commit()

    try:  # no transaction is open here
        answer = payments().refund(number, intent, amount, refund_id, reason=reason)
    except PaymentError as error:
        _not_accepted(order_id, refund_id, str(error), actor)
        raise
    order = locked(order_id)
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    _update(order, refund, answer["status"], answer["failure_reason"], answer["id"],
            actor=actor)
    db.session.commit()
    return refund


def _abandon_stale(order):
    """Rows left "requested" past STALE_REQUEST: the asking process died. Failed, for
    now (Stripe's events revive one that Stripe did make)."""
    for refund in order.refunds:
        if refund.status == "requested" and refund not in in_flight(order):
            refund.status, refund.failure_reason = "failed", "no_answer"


def _not_accepted(order_id, refund_id, message, actor):
    """Stripe refused the request: the attempt fails, unless its events got here first."""
    order = locked(order_id)
    claimed = db.session.execute(
        update(Refund).where(Refund.id == refund_id, Refund.status == "requested")
        .values(status="failed", failure_reason="not_accepted")
    ).rowcount
    if claimed:
        record(db.session, "order.refund_failed", "order", order.id, actor=actor,
               after={"refund": refund_id}, note=message)
    db.session.commit()


# --- what Stripe reports (its webhooks), inside the caller's unit of work ------------------

def refund_reported(order, stripe_refund):
    """A refund object from Stripe's events (refund.created, refund.updated,
    charge.refund.updated, refund.failed) about the (locked) order. No commit."""
    stripe_id, amount = stripe_refund.get("id"), stripe_refund.get("amount") or 0
    status = stripe_refund.get("status") or "pending"
    if status not in RANK or status == "requested" or amount <= 0:
        return "ignored"
    if not order.refunds and stripe_id and stripe_id == order.stripe_refund_id:
        return "already refunded"  # refunded before refunds were recorded one by one
    refund = _known(order, stripe_id, (stripe_refund.get("metadata") or {}).get("refund_id"))
    announce = True
    if refund is None:
        refund, announce = _from_placeholder(order, stripe_id, amount)
    if refund is None:
        refund = Refund(order_id=order.id, amount=amount, status="requested", source="stripe",
                        currency=(stripe_refund.get("currency") or order.currency).upper(),
                        stripe_refund_id=stripe_id, lines={},
                        reason="Refunded in the Stripe Dashboard.")
        db.session.add(refund)
        order.refunds.append(refund)
    return _update(order, refund, status, stripe_refund.get("failure_reason") or "", stripe_id,
                   announce=announce)


def charge_refunded(order, amount_refunded, refunds=()):
    """charge.refunded: Stripe has refunded `amount_refunded` of the order's charge in all
    (and may list the refunds). No commit."""
    for stripe_refund in refunds:
        refund_reported(order, stripe_refund)
    if order.status == "refunded" and not order.refunds:
        return "already refunded"  # refunded before refunds were recorded one by one
    known = sum(r.amount for r in order.refunds if r.source != "gift_card" and (
                r.status in COUNTED or r.status == "requested"
                or (r.status in FINAL and r.stripe_refund_id)))
    unexplained = (amount_refunded or 0) - known
    if unexplained <= 0:
        return "recorded"
    placeholder = Refund(order_id=order.id, amount=unexplained, currency=order.currency,
                         status="requested", source="stripe", lines={},
                         reason="Refunded in the Stripe Dashboard.")
    db.session.add(placeholder)
    order.refunds.append(placeholder)
    return _update(order, placeholder, "succeeded", "", None)


refund_confirmed = charge_refunded  # the name webshop.orders exports


def _known(order, stripe_id, refund_id):
    for refund in order.refunds:
        if stripe_id and refund.stripe_refund_id == stripe_id:
            return refund
    if refund_id and str(refund_id).isdigit():
        for refund in order.refunds:
            if refund.id == int(refund_id) and refund.stripe_refund_id in (None, stripe_id):
                return refund
    return None


def _from_placeholder(order, stripe_id, amount):
    """A Dashboard refund first learnt from charge.refunded (no id): adopt it, or split
    this refund off it. Returns (the row, whether the customer still needs telling)."""
    placeholders = [r for r in order.refunds if r.source == "stripe"
                    and r.stripe_refund_id is None and r.status in COUNTED]
    for refund in placeholders:
        if refund.amount == amount:
            refund.stripe_refund_id = stripe_id
            return refund, False
    for refund in placeholders:
        if refund.amount > amount:
            refund.amount -= amount
            split = Refund(order_id=order.id, amount=amount, currency=refund.currency,
                           status=refund.status, source="stripe", lines={}, reason=refund.reason,
                           stripe_refund_id=stripe_id)
            db.session.add(split)
            order.refunds.append(split)
            return split, False
    return None, True


# --- the ledger's rules ------------------------------------------------------------------------

def _update(order, refund, status, failure_reason, stripe_id, actor=None, announce=True):
    """Move the refund to Stripe's `status` if that is forward, then settle the order."""
    db.session.flush()  # a new row gets its id
    had_stripe_id = refund.stripe_refund_id is not None
    if stripe_id and refund.stripe_refund_id is None:
        refund.stripe_refund_id = stripe_id
    before = refund.status
    revivable = before in FINAL and not had_stripe_id  # the shop gave up; Stripe knows better
    if status == before or (RANK[status] <= RANK[before] and not revivable):
        db.session.flush()
        return "unchanged"
    refund.status = status
    refund.failure_reason = failure_reason[:100] if status in FINAL else ""
    money = format_money(refund.amount, refund.currency)
    others = [r for r in order.refunds if r.status in COUNTED and r is not refund]
    if status in COUNTED and before not in COUNTED:
        if refund.restock and refund.lines:
            _restock(order, refund.lines)
        spent = promotions.take_back_cards(order, refund, others, actor)
        if spent:
            flag(order, spent)
        record(db.session, f"order.refund_{status}", "order", order.id, actor=actor,
               after={"refund": refund.id, "stripe_refund": refund.stripe_refund_id,
                      "amount": refund.amount, "source": refund.source},
               note=f"{money} refunded" + REFUND_NOTES.get(refund.source, " through Stripe."))
        if announce:
            events.refund_counted.send(refund)
    elif status in FINAL:
        record(db.session, f"order.refund_{status}", "order", order.id, actor=actor,
               after={"refund": refund.id, "stripe_refund": refund.stripe_refund_id},
               note=failure_reason)
        if before in COUNTED:
            promotions.give_back_cards(order, refund, actor)
            events.refund_reversed.send(refund)  # its credit note is reversed
        if before in COUNTED or before == "requested":
            flag(order, f"The refund of {money} ({refund.stripe_refund_id or 'no Stripe id'}) "
                        f"{status} at Stripe ({failure_reason or 'no reason given'}); "
                        "the money was not given back.")
    db.session.flush()
    return _settle(order, actor)


def _restock(order, lines):
    """Put the refunded lines' units back on the shelf (once: when the refund first counts)."""
    variants = {item.id: item.variant_id for item in order.items}
    restocked = {}
    for item_id, quantity in sorted(lines.items()):
        variant_id = variants.get(int(item_id))
        if variant_id is None:
            continue  # the variant was deleted since; nothing to put back
        db.session.execute(
            update(ProductVariant).where(ProductVariant.id == variant_id)
            .values(stock=ProductVariant.stock + int(quantity))
            .execution_options(synchronize_session=False))
        restocked[variant_id] = restocked.get(variant_id, 0) + int(quantity)
    catalog.stock_changed(restocked)


def _settle(order, actor=None):
    """amount_refunded from the rows; the order refunded in full, or not anymore."""
    counted = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.order_id == order.id, Refund.status.in_(COUNTED)))
    order.amount_refunded = counted
    money = format_money(counted, order.currency)
    if counted >= order.total and order.status != "refunded":
        if can_transition(order, "refunded"):
            transition(order, "refunded", actor=actor, notify=False,
                       note=f"Refunded in full ({money}).")
            return "refunded"
        flag(order, f"Stripe refunded {money} while the order was {order.status}.")
        return "flagged"
    if counted < order.total and order.status == "refunded":
        back = ("delivered" if order.delivered_at else
                "dispatched" if order.dispatched_at else "paid")
        stamp = getattr(order, TIMESTAMPS[back])
        transition(order, back, actor=actor, notify=False, reversal=True,
                   note=f"A refund failed: {money} of the order is refunded, not all of it.")
        setattr(order, TIMESTAMPS[back], stamp)  # when it really became that
        order.refunded_at = None
        return f"back to {back}"
    return "partly refunded" if counted else "recorded"

