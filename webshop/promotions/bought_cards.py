"""Gift cards bought with an order that is refunded: what was refunded of them is taken
off again, and given back if that refund fails.

The refunded part of the order's gift-card lines is the larger of (a) the units of those
lines that counted refunds chose, at their prices, and (b) what the counted refunds give
back beyond the rest of the order (its other lines and shipping), never more than the
lines cost. A refund's share is that part with the refund less that part without it.

It is taken off the cards the order issued: first those of the lines the refund chose,
then the fullest. Each card loses at most what it was bought for, through a
compare-and-set on its balance (`balance = what was read`, tried again if a purchase
spent some meanwhile), with an "adjust" ledger row (what was taken) carrying the
refunded order and, in its note, the refund, and an audit entry; a card whose whole
value was refunded is voided (inactive). What was already spent cannot be taken back:
the caller flags the order for staff with the message returned. A refund that counted
and then failed gives back exactly what its own ledger rows took, card by card (the
cards it voided are live again, unless staff switched them since). Only voiding and
that give-back change whether a card is live: a card staff deactivated stays inactive
through partial takes and give-backs. Everything runs in the caller's unit of work.
"""
from sqlalchemy import func, select, update

from webshop.extensions import db
from webshop.models import GiftCard, GiftCardTransaction
from webshop.models.audit import AuditLog, record
from webshop.money import format_money
from webshop.promotions.codes import is_gift_card_line


def refunded_part(order, refunds):
    """How much of the order's gift-card lines these (counted) refunds give back."""
    items = {item.id: item for item in order.items if is_gift_card_line(item)}
    if not items:
        return 0
    value = sum(item.unit_price * item.quantity for item in items.values())
    chosen = sum(items[int(item_id)].unit_price * int(quantity) for refund in refunds
                 for item_id, quantity in (refund.lines or {}).items() if int(item_id) in items)
    beyond_the_rest = sum(refund.amount for refund in refunds) - (order.total - value)
    return min(value, max(chosen, beyond_the_rest, 0))


def take_back(order, refund, others, actor=None):
    """The refund first counts (`others`: the order's other counted refunds): take its
    share off the cards the order bought. Returns a message for staff if some of it was
    already spent, else None."""
    share = refunded_part(order, [*others, refund]) - refunded_part(order, others)
    if share <= 0:
        return None
    chosen = {int(item_id) for item_id in (refund.lines or {})}
    cards = _cards(order)
    cards.sort(key=lambda card: (card.order_item_id not in chosen, -card.balance, card.id))
    left, spent = share, 0
    for card in cards:
        open_value = card.initial_amount - _taken(card, order)
        want = min(left, open_value)
        if want <= 0:
            continue
        taken = _change_balance(card, -want, order, actor, refund,
                                active=False if want == open_value else None)
        spent += want - taken
        left -= want
        if left <= 0:
            break
    if not spent:
        return None
    return (f"Gift cards bought with this order had been spent: {format_money(spent, order.currency)}"
            f" of the {format_money(share, order.currency)} refunded for them could not be "
            "taken off the cards.")


def give_back(order, refund, actor=None):
    """A refund that had counted failed: what it took off each card goes back on it,
    exactly (its own ledger rows say how much; never what other refunds took)."""
    for card in _cards(order):
        back = _taken(card, order, refund)
        if back > 0:
            _change_balance(card, back, order, actor, refund,
                            active=True if _voided_by(card, refund) else None)


def _cards(order):
    return list(db.session.scalars(
        select(GiftCard).where(GiftCard.order_id == order.id).order_by(GiftCard.id)
        .execution_options(populate_existing=True)))


def _taken(card, order, refund=None):
    """What refunds of the order that bought the card (or this `refund` alone: the rows
    carrying its note) have taken off it so far, less what they gave back."""
    rows = select(func.coalesce(func.sum(GiftCardTransaction.amount), 0)).where(
        GiftCardTransaction.gift_card_id == card.id,
        GiftCardTransaction.order_id == order.id, GiftCardTransaction.kind == "adjust")
    if refund is not None:
        rows = rows.where(GiftCardTransaction.note == _note(order, refund))
    return -db.session.scalar(rows)


def _note(order, refund):
    """The note on the ledger rows a refund writes: how its rows are found again."""
    return f"Refund {refund.id} of order {order.number}"[:200]


# The audit entries that may switch a card on or off.
SWITCHES = ("gift_card.voided", "gift_card.restored", "gift_card.activated",
            "gift_card.deactivated")


def _voided_by(card, refund):
    """Whether `refund` switched the card off and nothing has switched it since (staff's
    deactivation or activation is the newer word)."""
    for entry in db.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "gift_card",
                                   AuditLog.entity_id == card.id, AuditLog.action.in_(SWITCHES))
            .order_by(AuditLog.id.desc())):
        before, after = entry.before or {}, entry.after or {}
        if entry.action == "gift_card.voided":
            # An entry without `before` is older than this rule; the card was live then.
            if before.get("active", True) is not True:
                continue  # taken off a card that was already inactive: not a switch
            return after.get("refund") == refund.id
        if entry.action == "gift_card.restored" and before.get("active") == after.get("active"):
            continue
        return False
    return False


def _change_balance(card, amount, order, actor, refund, active=None):
    """Add `amount` to the card's balance (negative: take, down to 0) with a compare-and-set
    on its balance and state. `active`: False voids it (its whole value is refunded now),
    True makes it live again (the refund that voided it failed), None leaves it as it is
    (staff may have deactivated it). Returns how much changed hands (the ledger row's
    amount)."""
    while True:
        seen, was_active = db.session.execute(
            select(GiftCard.balance, GiftCard.active).where(GiftCard.id == card.id)).one()
        change = max(amount, -seen)
        state = {} if active is None else {"active": active}
        moved = db.session.execute(
            update(GiftCard).where(GiftCard.id == card.id, GiftCard.balance == seen,
                                   GiftCard.active.is_(was_active))
            .values(balance=seen + change, **state)
            .execution_options(synchronize_session=False)).rowcount
        if moved == 1:
            break
    if change:
        db.session.add(GiftCardTransaction(
            gift_card_id=card.id, order_id=order.id, amount=change, kind="adjust",
            actor_id=getattr(actor, "id", None),
            note=_note(order, refund)))
    action = ("gift_card.restored" if amount > 0 else
              "gift_card.voided" if active is False else "gift_card.reduced")
    record(db.session, action, "gift_card", card.id, actor=actor, before={"active": was_active},
           after={"balance": seen + change, "taken": -change if amount < 0 else 0,
                  "order": order.number, "refund": refund.id,
                  "active": state.get("active", was_active)})
    db.session.expire(card)
    return abs(change)
