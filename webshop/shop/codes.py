"""The cart's code form: a discount code or a gift card, entered and removed.

With the HX-Request header the answer is the cart's contents (with the message);
without it, a redirect (303) back to the cart or the checkout with a flash, so the form
works with JavaScript off.
"""
from flask import current_app, request, url_for
from flask_login import current_user

from webshop import cart as carts
from webshop import promotions
from webshop.extensions import htmx
from webshop.shop.blueprint import bp
from webshop.shop.checkout import _cart_view, _done
from webshop.web import cart_session, ratelimit


def _email():
    return current_user.email if current_user.is_authenticated else None


@bp.post("/cart/codes")
def cart_code_add():
    ratelimit.limit("cart-codes", current_app.config["RATELIMIT_CART_CODES"])  # 429 when over
    cart = cart_session.current_cart()
    try:
        message = promotions.apply_code(cart, request.form.get("code", ""), carts.lines(cart),
                                        email=_email())
    except promotions.PromotionError as error:
        if htmx:
            return _cart_view(422, error=str(error))
        return _done(error=str(error), back=request.form.get("next"))
    if htmx:
        return _cart_view(message=message)
    return _done(message=message, back=request.form.get("next"))


@bp.post("/cart/codes/remove")
def cart_code_remove():
    try:
        message = promotions.remove_code(cart_session.current_cart(), request.form.get("kind"))
    except promotions.PromotionError as error:
        if htmx:
            return _cart_view(400, error=str(error))
        return _done(error=str(error), back=request.form.get("next"))
    if htmx:
        return _cart_view(message=message)
    return _done(message=message, back=request.form.get("next") or url_for("shop.cart"))
