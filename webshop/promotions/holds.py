"""An order's promotions through its life: held at placement, consumed when paid, given
back when the unpaid order is cancelled, and a refund's gift-card part.

- Placement (`hold`, in the order's transaction): the code's use is reserved with one
  conditional UPDATE (`uses < max_uses`), the customer's with another on their counter
  row (`uses < max_uses_per_customer`), and a "held" redemption row; the gift card is
  debited with one conditional UPDATE (`balance >= amount`) and a ledger row. Either
  failing raises PromotionError and the caller rolls the whole order back, so the last
  use and the last of a balance go to exactly one order, also on SQLite.
- Paid (`events.order_changed`, in the transition's unit of work): the held use is
  consumed, and every unit of a gift-card line issues a card worth its price, emailed
  to the buyer through the outbox.
- Cancelled while unpaid: the held use is released (both counters go down) and the
  card's debit is credited back ("release").
- Refunded by staff: Stripe gives back at most what Stripe took (the order's
  amount_due); the part of a refund beyond that goes back to the cards the order was
  paid with ("refund" ledger rows), see `card_share`.
"""
from flask_babel import gettext
from sqlalchemy import func, select, update

from webshop import events
from webshop.extensions import db
from webshop.models import DiscountCode, DiscountCustomerUse, DiscountRedemption, GiftCard, utcnow
from webshop.models.audit import record
from webshop.models.base import insert_if_absent
from webshop.models.payments import Refund
from webshop.promotions import giftcards
from webshop.promotions.codes import PromotionError, customer_key, is_gift_card_line


def hold(order, cart, applied, actor=None):
    """Reserve the order's code use and debit its gift card, in the order's unit of work
    (after the order row is flushed). PromotionError if the last use or the card's
    balance was taken meanwhile; the caller rolls back."""
    if applied.code is not None and applied.discount is not None:
        code = applied.code
        _take_customer_use(code, order.email)  # its row before the code's, as in _release
        taken = db.session.execute(
            update(DiscountCode).where(
                DiscountCode.id == code.id, DiscountCode.active.is_(True),
                (DiscountCode.max_uses.is_(None)) | (DiscountCode.uses < DiscountCode.max_uses))
            .values(uses=DiscountCode.uses + 1).execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            raise PromotionError(f"Sorry, the code {code.code} was just used up. Remove it to "
                                 "continue.", "code")
        db.session.add(DiscountRedemption(code_id=code.id, order_id=order.id, email=order.email,
                                          status="held", amount=order.discount))
        order.discount_code = code.code
        record(db.session, "discount.held", "discount_code", code.id, actor=actor,
               after={"order": order.number, "amount": order.discount})
    if applied.card is not None and order.gift_card_amount:
        giftcards.debit(applied.card.id, order.gift_card_amount, order.id, actor)
    if cart is not None:
        cart.discount_code = cart.gift_card_code = None


def _take_customer_use(code, email):
    """One more use of the code by this email, within max_uses_per_customer: its counter
    row is created if absent, then raised with one conditional UPDATE, which waits for a
    concurrent order of the same customer (the row's lock) and counts after it.
    PromotionError if the customer has no use left."""
    key = customer_key(email)
    insert_if_absent(db.session, DiscountCustomerUse.__table__, ["code_id", "email"],
                     code_id=code.id, email=key, uses=0)
    raise_it = update(DiscountCustomerUse).where(DiscountCustomerUse.code_id == code.id,
                                                 DiscountCustomerUse.email == key)
    if code.max_uses_per_customer is not None:
        raise_it = raise_it.where(DiscountCustomerUse.uses < code.max_uses_per_customer)
    taken = db.session.execute(raise_it.values(uses=DiscountCustomerUse.uses + 1)
                               .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise PromotionError(gettext("You have already used the code %(code)s.", code=code.code),
                             "code")


def _give_back_customer_use(code_id, email):
    db.session.execute(
        update(DiscountCustomerUse).where(DiscountCustomerUse.code_id == code_id,
                                          DiscountCustomerUse.email == customer_key(email),
                                          DiscountCustomerUse.uses > 0)
        .values(uses=DiscountCustomerUse.uses - 1).execution_options(synchronize_session=False))


def on_order_changed(order, status, **_kwargs):
    """events.order_changed: consume or give back the order's promotions (no commit)."""
    if status == "paid":
        _consume(order)
        _issue_cards(order)
    elif status == "cancelled":
        _release(order)


def _consume(order):
    for code_id in _move_redemptions(order, "consumed"):
        record(db.session, "discount.consumed", "discount_code", code_id,
               after={"order": order.number})


def _release(order):
    for code_id in _move_redemptions(order, "released"):
        # The customer's counter row first, then the code's: the order `hold` locks them
        # in, so a cancellation and a placement with the same code cannot deadlock.
        _give_back_customer_use(code_id, order.email)
        db.session.execute(
            update(DiscountCode).where(DiscountCode.id == code_id, DiscountCode.uses > 0)
            .values(uses=DiscountCode.uses - 1).execution_options(synchronize_session=False))
        record(db.session, "discount.released", "discount_code", code_id,
               after={"order": order.number}, note="The unpaid order was cancelled.")
    if order.gift_card_amount:
        giftcards.give_back(order.id, order.gift_card_amount, "release",
                            note=f"Order {order.number} was cancelled before payment.")


def _move_redemptions(order, status):
    """The order's held redemption becomes `status` (compare-and-set); its code ids."""
    return db.session.execute(
        update(DiscountRedemption)
        .where(DiscountRedemption.order_id == order.id, DiscountRedemption.status == "held")
        .values(status=status, updated_at=utcnow())
        .returning(DiscountRedemption.code_id)).scalars().all()


def _issue_cards(order):
    """One card per unit of each gift-card line, worth what the buyer paid for it; once
    (an order a failed refund returns to paid has its cards already)."""
    lines = [item for item in order.items if is_gift_card_line(item)]
    if not lines or db.session.scalar(
            select(GiftCard.id).where(GiftCard.order_id == order.id).limit(1)) is not None:
        return
    for item in lines:
        for unit in range(item.quantity):
            giftcards.issue(item.unit_price, order.currency, email=order.email,
                            order_id=order.id, order_item_id=item.id,
                            note=f"Bought with order {order.number}.")


def card_share(order, amount):
    """How much of a refund of `amount` goes back to gift cards: what exceeds the part
    of Stripe's payment (amount_due) not yet refunded through Stripe."""
    if not order.gift_card_amount:
        return 0
    through_stripe = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, Refund.source != "gift_card",
            Refund.status.in_(("requested", "pending", "succeeded"))))
    stripe_left = max(order.total - order.gift_card_amount - through_stripe, 0)
    return max(amount - stripe_left, 0)


def refund_to_cards(order, amount, actor=None, reason=""):
    """Credit `amount` of a refund to the cards that paid the order, in the caller's
    unit of work; returns the Refund row recording it (source "gift_card", succeeded)."""
    back = giftcards.give_back(order.id, amount, "refund", actor=actor,
                               note=reason or f"Refund of order {order.number}.")
    if back <= 0:
        return None
    refund = Refund(order_id=order.id, amount=back, currency=order.currency, status="requested",
                    source="gift_card", lines={}, reason=(reason or "")[:500],
                    actor_id=getattr(actor, "id", None))
    db.session.add(refund)
    return refund


def init_app(app):
    """Subscribe to the orders' events (once per process)."""
    events.order_changed.connect(on_order_changed)
