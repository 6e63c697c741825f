"""The codes a cart holds, and what they do to its amounts.

A cart holds at most one discount code and one gift card (`carts.discount_code`,
`carts.gift_card_code`). The one form in the cart (and at checkout) takes either: a
code is looked up as a gift card when it has a card's shape, else as a discount code.
A code is checked when it is entered, and again every time the cart is priced (the
cart may have changed, the code may have run out); at placement it is checked once
more with the buyer's email, inside the order's transaction (webshop.promotions.holds).
"""
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import gettext
from sqlalchemy import func

from webshop.extensions import db
from webshop.models import GiftCard
from webshop.i18n import money
from webshop.promotions import codes, giftcards, holds
from webshop.promotions.codes import PromotionError


@dataclass
class Applied:
    """What the cart's codes do now: the discount (or None), the card and its usable
    balance, and why a code the cart holds does not count (messages for the shopper)."""
    discount: Optional[codes.Discount] = None
    code: object = None
    card: Optional[GiftCard] = None
    card_balance: int = 0
    problems: list = field(default_factory=list)
    # Nothing but gift cards (emailed): no parcel to ship.
    cards_only: bool = False
    # What the cart holds, applying or not (the shopper may remove it).
    held_code: str = ""
    held_card: str = ""

    def quote_args(self):
        """The keyword arguments pricing.quote takes from the promotions."""
        discount = self.discount
        return {"line_discounts": dict(discount.line_discounts) if discount else {},
                "free_shipping": bool(discount and discount.free_shipping) or self.cards_only,
                "gift_card_balance": self.card_balance}


def apply_code(cart, text, lines, email=None):
    """Put the code the shopper typed on the cart, if it applies now. Commits once.
    Returns the message to show; raises PromotionError (nothing written) if it cannot."""
    typed = (text or "").strip()
    if not typed:
        raise PromotionError(gettext("Enter a discount code or a gift card code."), "code")
    if len(typed) > 60:
        raise PromotionError(gettext("That is not a code we issue."), "code")
    if cart is None or not lines:
        raise PromotionError(gettext("Add something to your cart before entering a code."),
                             "code")
    card = giftcards.find(typed)
    if card is not None:
        giftcards.usable(card, lines[0].currency)
        cart.gift_card_code = card.code
        message = gettext("Gift card ending %(last4)s added: %(balance)s available.",
                          last4=card.code[-4:], balance=money(card.balance, card.currency))
    else:
        code = codes.find(typed)
        if code is None:
            raise PromotionError(
                gettext("We do not know the code “%(code)s”. Check it and try again.",
                        code=typed), "code")
        codes.check(code, lines, email=email)
        cart.discount_code = code.code
        message = gettext("Code %(code)s applied.", code=code.code)
    cart.updated_at = func.now()
    db.session.commit()
    return message


def remove_code(cart, kind):
    """Take the discount code (kind "discount") or the gift card ("gift_card") off the
    cart. Commits once."""
    if kind not in ("discount", "gift_card"):
        raise PromotionError(gettext("Choose the code to remove."))
    if cart is not None:
        if kind == "discount":
            cart.discount_code = None
        else:
            cart.gift_card_code = None
        db.session.commit()
    return gettext("Gift card removed.") if kind == "gift_card" else gettext("Code removed.")


def applied(cart, lines, email=None):
    """What the cart's codes do to these lines now (Applied). A code that no longer
    applies stays on the cart (the shopper may add what it needs) and says why."""
    result = Applied()
    if cart is None or not lines:
        return result
    result.cards_only = all(codes.is_gift_card_line(line) for line in lines)
    result.held_code = cart.discount_code or ""
    result.held_card = giftcards.masked(cart.gift_card_code) if cart.gift_card_code else ""
    if cart.discount_code:
        code = codes.find(cart.discount_code)
        try:
            if code is None:
                raise PromotionError(gettext("The code %(code)s is no longer valid.",
                                             code=cart.discount_code))
            result.discount = codes.check(code, lines, email=email)
            result.code = code
        except PromotionError as error:
            result.problems.append(str(error))
    if cart.gift_card_code:
        card = giftcards.find(cart.gift_card_code)
        try:
            if card is None:
                raise PromotionError(gettext("That gift card is no longer valid."))
            result.card_balance = giftcards.usable(card, lines[0].currency)
            result.card = card
        except PromotionError as error:
            result.problems.append(str(error))
    return result


def quote_for(cart, lines, country=None, shipping_method=None, email=None):
    """(pricing.quote with the cart's codes, Applied): the amounts every page shows."""
    from webshop import pricing  # the pipeline (webshop.pricing) prices; promotions adjust
    result = applied(cart, lines, email)
    return pricing.quote(lines, country, shipping_method, **result.quote_args()), result


def carry_guest_codes(guest, own, lines, email):
    """At login, in the caller's unit of work (the carts' merge, which commits): the
    guest cart's discount code and gift card go onto the customer's cart `own`, whose
    `lines` are the merged ones, if they still apply with the customer's email. A cart
    holds one of each: where `own` already holds one, the one that takes more off (a
    card: the larger usable balance) stays, the customer's on a tie. Returns what to
    tell the shopper, one message per code the guest brought."""
    notes = []
    if guest.discount_code and guest.discount_code != own.discount_code:
        notes.append(_keep_better(own, "discount_code", guest.discount_code, lines, email))
    if guest.gift_card_code and guest.gift_card_code != own.gift_card_code:
        notes.append(_keep_better(own, "gift_card_code", guest.gift_card_code, lines, email))
    return notes


def _keep_better(own, slot, brought, lines, email):
    shown = brought if slot == "discount_code" else giftcards.masked(brought)
    try:
        worth = _worth(slot, brought, lines, email)
    except PromotionError as error:
        return gettext("Your code %(code)s was not kept: %(reason)s", code=shown,
                       reason=str(error))
    held = getattr(own, slot)
    try:
        held_worth = _worth(slot, held, lines, email) if held else -1
    except PromotionError:
        held_worth = -1  # what the account's cart held no longer applies
    if worth <= held_worth:
        kept = held if slot == "discount_code" else giftcards.masked(held)
        return gettext("Your cart keeps %(kept)s, which takes more off than %(code)s.",
                       kept=kept, code=shown)
    setattr(own, slot, brought)
    if held_worth >= 0:
        replaced = held if slot == "discount_code" else giftcards.masked(held)
        return gettext("Your cart now holds %(code)s instead of %(replaced)s: it takes more "
                       "off.", code=shown, replaced=replaced)
    return gettext("Your code %(code)s is still on your cart.", code=shown)


def _worth(slot, text, lines, email):
    """What the code would take off these lines (free shipping: the cheapest delivery to
    the shop's country); PromotionError if it does not apply (also to no lines: the
    guest's may all have sold out, leaving the account's cart empty)."""
    if not lines:
        raise PromotionError(gettext("Your cart is empty."))
    if slot == "gift_card_code":
        card = giftcards.find(text)
        if card is None:
            raise PromotionError(gettext("That gift card is no longer valid."))
        return giftcards.usable(card, lines[0].currency)
    code = codes.find(text)
    if code is None:
        raise PromotionError(gettext("The code %(code)s is no longer valid.", code=text))
    discount = codes.check(code, lines, email=email)
    if not discount.free_shipping:
        return discount.amount
    from webshop import pricing
    options = pricing.quote(lines).shipping_options
    return min((option.price for option in options), default=0)


class OrderPromotions:
    """What orders.place_order asks of the promotions, for one cart and buyer:
    `adjust(lines)` (the strict version of `applied`, with the buyer's email: a code
    that does not apply refuses the order) and `hold(order)` (in the order's unit of
    work: the code's use and the card's debit, see promotions.holds)."""

    def __init__(self, cart, email, actor=None):
        self.cart, self.email, self.actor = cart, email, actor
        self.result = Applied()

    def adjust(self, lines):
        self.result = applied(self.cart, lines, self.email)
        if self.result.problems:
            raise PromotionError(self.result.problems[0] + " Remove it to continue.", "code")
        return self.result.quote_args()

    def hold(self, order):
        holds.hold(order, self.cart, self.result, self.actor)
