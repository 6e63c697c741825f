"""Gift cards bought with an order that is refunded: what was refunded of them is taken
off again, and given back if that refund fails.

The refunded part of the order's gift-card lines is the larger of (a) the units of those
lines that counted refunds chose, at their prices, and (b) what the counted refunds give
back beyond the rest of the order (its other lines and shipping), never more than the
lines cost. A refund's share is that part with the refund less that part without it.

It is taken off the cards the order issued: first those of the lines the refund chose,
then the fullest. Each card loses at most what it was bought for, through a
compare-and-set on its balance (`balance = what was read`, tried again if a purchase
spent some meanwhile), with an "adjust" ledger row (what was taken) carrying the refunded order and
an audit entry; a card whose whole value was refunded is voided (inactive). What was
already spent cannot be taken back: the caller flags the order for staff with the
message returned. A refund that counted and then failed gives back what it took (the
cards it voided are live again). Everything runs in the caller's unit of work.
"""
from sqlalchemy import func, select, update

from webshop.extensions import db
from webshop.models import GiftCard, GiftCardTransaction
from webshop.models.audit import record
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
        taken = _change_balance(card, -want, want == open_value, order, actor, refund)
        spent += want - taken
        left -= want
        if left <= 0:
            break
    if not spent:
        return None
    return (f"Gift cards bought with this order had been spent: {format_money(spent, order.currency)}"
            f" of the {format_money(share, order.currency)} refunded for them could not be "
            "taken off the cards.")


def give_back(order, refund, others, actor=None):
    """A refund that had counted failed (`others`: the counted refunds left): what it took
    off the cards goes back on them, the last taken first."""
    share = refunded_part(order, [*others, refund]) - refunded_part(order, others)
    cards = sorted(_cards(order), key=lambda card: -card.id)
    for card in cards:
        back = min(share, _taken(card, order))
        if back > 0:
            _change_balance(card, back, False, order, actor, refund)
            share -= back


def _cards(order):
    return list(db.session.scalars(
        select(GiftCard).where(GiftCard.order_id == order.id).order_by(GiftCard.id)
        .execution_options(populate_existing=True)))


def _taken(card, order):
    """What refunds of the order that bought the card have taken off it so far."""
    return -db.session.scalar(
        select(func.coalesce(func.sum(GiftCardTransaction.amount), 0)).where(
            GiftCardTransaction.gift_card_id == card.id,
            GiftCardTransaction.order_id == order.id, GiftCardTransaction.kind == "adjust"))


def _change_balance(card, amount, void, order, actor, refund):
    """Add `amount` to the card's balance (negative: take, down to 0) with a compare-and-set;
    `void`: its whole value is refunded now, so it can pay no more (else it is live).
    Returns how much changed hands (the ledger row's amount)."""
    while True:
        seen = db.session.scalar(select(GiftCard.balance).where(GiftCard.id == card.id))
        change = max(amount, -seen)
        moved = db.session.execute(
            update(GiftCard).where(GiftCard.id == card.id, GiftCard.balance == seen)
            .values(balance=seen + change, active=not void)
            .execution_options(synchronize_session=False)).rowcount
        if moved == 1:
            break
    if change:
        db.session.add(GiftCardTransaction(
            gift_card_id=card.id, order_id=order.id, amount=change, kind="adjust",
            actor_id=getattr(actor, "id", None),
            note=f"Refund {refund.id} of order {order.number}"[:200]))
    action = ("gift_card.restored" if amount > 0 else
              "gift_card.voided" if void else "gift_card.reduced")
    record(db.session, action, "gift_card", card.id, actor=actor,
           after={"balance": seen + change, "taken": -change if amount < 0 else 0,
                  "order": order.number, "refund": refund.id, "active": not void})
    db.session.expire(card)
    return abs(change)
