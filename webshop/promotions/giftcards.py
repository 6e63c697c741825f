"""Gift cards: their codes, balances and ledger.

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L), 80 bits
of randomness, shown in groups of four (ABCD-EFGH-JKMN-PQRS) and typed in any case,
with or without the dashes and spaces. Every change of a balance is one conditional
UPDATE plus one ledger row in the caller's unit of work: a debit only succeeds while
the balance covers it (`balance >= amount`), so two orders cannot both spend the last
of a card, whatever the database.
"""
import secrets

from flask_babel import gettext
from sqlalchemy import func, select, update

from webshop import events
from webshop.extensions import db
from webshop.models import GiftCard, GiftCardTransaction
from webshop.models.audit import record
from webshop.promotions.codes import PromotionError

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 16


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(text):
    """What the shopper typed -> the stored code (upper-case, no dashes or spaces)."""
    return "".join((text or "").split()).replace("-", "").upper()


def looks_like_card(text):
    code = normalize(text)
    return len(code) == LENGTH and set(code) <= set(ALPHABET)


def grouped(code):
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def masked(code):
    """For staff lists: only the last four characters."""
    return "••••-••••-••••-" + code[-4:]


def find(text):
    """The card for a code as typed, or None (one query; nothing unless it has the shape)."""
    if not looks_like_card(text):
        return None
    return db.session.scalar(select(GiftCard).where(GiftCard.code == normalize(text)))


def usable(card, currency):
    """The card's balance for an order in `currency`; PromotionError if it cannot pay."""
    shown = grouped(card.code)[-4:]
    if not card.active:
        raise PromotionError(gettext("The gift card ending %(last4)s has been deactivated.",
                                     last4=shown), "code")
    if card.currency != currency:
        raise PromotionError(gettext("The gift card ending %(last4)s is in %(currency)s.",
                                     last4=shown, currency=card.currency), "code")
    if card.balance <= 0:
        raise PromotionError(gettext("The gift card ending %(last4)s has no balance left.",
                                     last4=shown), "code")
    return card.balance


def issue(amount, currency, email="", order_id=None, order_item_id=None, actor=None, note=""):
    """A new card with `amount` on it and its "issue" ledger row, in the caller's unit of
    work; `events.gift_card_issued` asks for its email (to `email`, if any)."""
    card = GiftCard(code=new_code(), initial_amount=amount, balance=amount, currency=currency,
                    email=(email or "").strip().lower(), order_id=order_id,
                    order_item_id=order_item_id)
    db.session.add(card)
    db.session.flush()
    db.session.add(GiftCardTransaction(gift_card_id=card.id, order_id=order_id, amount=amount,
                                       kind="issue", actor_id=getattr(actor, "id", None),
                                       note=note[:200]))
    record(db.session, "gift_card.issued", "gift_card", card.id, actor=actor,
           after={"amount": amount, "currency": currency, "order": order_id,
                  "email": card.email}, note=note)
    if card.email:
        events.gift_card_issued.send(card)
    return card


def debit(card_id, amount, order_id, actor=None):
    """Take `amount` off the card for the order, in the caller's unit of work; PromotionError
    if its balance no longer covers it (another order spent it first)."""
    taken = db.session.execute(
        update(GiftCard).where(GiftCard.id == card_id, GiftCard.active.is_(True),
                               GiftCard.balance >= amount)
        .values(balance=GiftCard.balance - amount).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise PromotionError(gettext(
            "Your gift card's balance changed since you added it: it no longer covers this "
            "order. Look at your cart again before paying."), "code")
    _entry(card_id, -amount, "redeem", order_id, actor)


def credit(card_id, amount, kind, order_id=None, actor=None, note=""):
    """Put `amount` back on the card (kind release, refund or adjust), in the caller's unit of work."""
    db.session.execute(
        update(GiftCard).where(GiftCard.id == card_id)
        .values(balance=GiftCard.balance + amount).execution_options(synchronize_session=False))
    _entry(card_id, amount, kind, order_id, actor, note)


def _entry(card_id, amount, kind, order_id, actor=None, note=""):
    db.session.add(GiftCardTransaction(gift_card_id=card_id, order_id=order_id, amount=amount,
                                       kind=kind, actor_id=getattr(actor, "id", None),
                                       note=note[:200]))
    record(db.session, f"gift_card.{kind}", "gift_card", card_id, actor=actor,
           after={"amount": amount, "order": order_id}, note=note)


def spent_on(order_id):
    """{card id: what the order still holds of it}: its debits less what went back."""
    rows = db.session.execute(
        select(GiftCardTransaction.gift_card_id, func.sum(GiftCardTransaction.amount))
        .where(GiftCardTransaction.order_id == order_id,
               GiftCardTransaction.kind.in_(("redeem", "release", "refund")))
        .group_by(GiftCardTransaction.gift_card_id))
    return {card_id: -total for card_id, total in rows if total < 0}


def give_back(order_id, amount, kind, actor=None, note=""):
    """Credit up to `amount` of what the order took from its cards back to them (kind
    "release" when an unpaid order is cancelled, "refund" when staff refund it).
    Returns how much went back."""
    back = 0
    for card_id, held in sorted(spent_on(order_id).items()):
        share = min(held, amount - back)
        if share <= 0:
            break
        credit(card_id, share, kind, order_id, actor, note)
        back += share
    return back
