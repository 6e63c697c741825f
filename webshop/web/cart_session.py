"""Which cart this request means: the request-level glue around the cart domain.

A guest's cart is found by a random token in the signed session cookie; a customer's
by their user id. The header badge reads `cart_count` from the session, so no page
has to query the cart just to draw the header; every cart change refreshes it.
"""
from flask import flash, session
from flask_login import current_user

from webshop import cart, promotions

TOKEN_KEY = "cart_token"
COUNT_KEY = "cart_count"


def owner():
    """Keyword arguments that identify this shopper's cart to the cart domain."""
    if current_user.is_authenticated:
        return {"user_id": current_user.id}
    token = session.get(TOKEN_KEY)
    if token is None:
        token = session[TOKEN_KEY] = cart.new_token()
    return {"token": token}


def current_cart():
    if current_user.is_authenticated:
        return cart.find_cart(user_id=current_user.id)
    token = session.get(TOKEN_KEY)
    return cart.find_cart(token=token) if token else None


def remember_count(count):
    session[COUNT_KEY] = count


def after_login(user):
    """Fold the guest cart (with its codes) into the customer's cart, refresh the badge
    and tell the shopper what became of the codes."""
    notes = []

    def keep_codes(guest, own):
        notes.extend(promotions.carry_guest_codes(guest, own, cart.lines(own), user.email))

    remember_count(cart.merge_guest_cart(session.pop(TOKEN_KEY, None), user.id, keep_codes))
    for note in notes:
        flash(note)


def after_logout():
    session.pop(TOKEN_KEY, None)
    session.pop(COUNT_KEY, None)
