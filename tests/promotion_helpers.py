"""Builders for promotions tests: codes, cards and cart lines, and a shopper's cart with
a code in it."""
from datetime import timedelta

from webshop.cart import Line
from webshop.extensions import db
from webshop.models import DiscountCode, utcnow
from webshop.promotions import giftcards


def make_code(code="SAVE10", kind="percent", value=10, **fields):
    """A discount code (committed); fields as on DiscountCode."""
    row = DiscountCode(code=code.upper(), kind=kind, value=value, currency="EUR",
                       category_ids=fields.pop("category_ids", []),
                       product_ids=fields.pop("product_ids", []), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_card(amount=5000, email=""):
    """A gift card with `amount` on it (committed, with its ledger row)."""
    card = giftcards.issue(amount, "EUR", email=email)
    db.session.commit()
    return card


def line(variant_id, price, quantity=1, product_id=None, sku=None):
    """A cart line as cart.lines() makes them."""
    return Line(item_id=variant_id, variant_id=variant_id, product_id=product_id or variant_id,
                product_name=f"Product {variant_id}", product_slug=f"p{variant_id}", label="",
                option_values={}, sku=sku or f"SKU-{variant_id}", image=None, unit_price=price,
                currency="EUR", quantity=quantity, stock=100, active=True)


def days(n):
    return utcnow() + timedelta(days=n)


def enter_code(client, token, code, headers=None, back=None):
    """Send the cart's code form (a discount code or a gift card code)."""
    data = {"csrf_token": token, "code": code}
    if back:
        data["next"] = back
    return client.post("/cart/codes", data=data, headers=headers or {})


def buy(client, variant_id, quantity=1, codes=()):
    """Put the variant in the cart on `client`, enter the codes and send the checkout form;
    returns (the response, the newest order)."""
    from sqlalchemy import select

    from tests.helpers import add_to_cart, checkout
    from webshop.models import Order

    add_to_cart(client, client.token, variant_id, quantity)
    for code in codes:
        response = enter_code(client, client.token, code)
        assert response.status_code == 303
    response, _ = checkout(client, client.token)
    db.session.expire_all()
    return response, db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def race_two_checkouts(app, variant_id, email=None, **codes):
    """Two shoppers, each with the variant and `codes` (discount_code=..., gift_card_code=...)
    in a cart of their own, place their orders at the same moment (orders.place_order,
    as checkout calls it); with `email`, one customer in two browsers. Returns (the
    orders placed, the PromotionErrors raised)."""
    from tests.helpers import run_concurrently
    from webshop import cart as carts
    from webshop import orders, promotions
    from webshop.models import Cart, Order

    cart_ids = []
    for n in range(2):
        cart = carts.add_item(variant_id, 1, token=f"racer-{n}-" + "x" * 20)
        for name, value in codes.items():
            setattr(cart, name, value)
        db.session.commit()
        cart_ids.append(cart.id)

    def place(i):
        cart = db.session.get(Cart, cart_ids[i])
        buyer = email or f"racer{i}@example.com"
        address = orders.ShippingAddress(name="Ada", line1=f"{i} Main St", city="Berlin",
                                         postal_code="10115", country="DE")
        promos = promotions.OrderPromotions(cart, buyer)
        return orders.place_order(cart, buyer, address, "standard", f"key-{i}",
                                  adjust=promos.adjust, hold=promos.hold)

    results = run_concurrently(app, 2, place)
    return ([r for r in results if isinstance(r, Order)],
            [r for r in results if isinstance(r, promotions.PromotionError)])
