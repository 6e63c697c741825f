"""Promotions: discount codes and gift cards.

- codes: whether a discount code applies to a cart and what it takes off each line;
- giftcards: card codes, balances and their ledger (conditional debits);
- cart_codes: the codes a cart holds (a guest's carried over at login), and the cart's
  amounts with them (`quote_for`);
- holds: an order's promotions through its life (held at placement, consumed when
  paid, given back when cancelled unpaid, the gift-card part of a refund);
- bought_cards: cards bought with an order that is refunded (taken off, voided, given
  back if the refund fails);
- staff: what the admin creates, edits, lists and deactivates.

Orders call this package (placement, refunds); it never imports orders: it learns of
payments and cancellations through events.order_changed (`init_app`).
"""
from webshop.promotions.cart_codes import (
    Applied, OrderPromotions, applied, apply_code, carry_guest_codes, quote_for, remove_code,
)
from webshop.promotions.bought_cards import give_back as give_back_cards
from webshop.promotions.bought_cards import take_back as take_back_cards
from webshop.promotions.codes import Discount, PromotionError, describe, is_gift_card_line
from webshop.promotions.giftcards import grouped, masked
from webshop.promotions.holds import card_share, hold, init_app, refund_to_cards

__all__ = [
    "Applied", "Discount", "OrderPromotions", "PromotionError", "applied", "apply_code",
    "card_share", "carry_guest_codes", "describe", "give_back_cards", "take_back_cards",
    "grouped", "hold", "init_app", "is_gift_card_line", "masked", "quote_for",
    "refund_to_cards", "remove_code",
]
