"""The cart domain: lines, quantities and merging (their amounts: webshop.pricing). No
Flask request in here.

Functions that change a cart commit once (they are whole user actions); reads never
commit. Quantities are validated here, so every caller (views, tests) gets the same
clear messages.
"""
import secrets
from dataclasses import dataclass
from typing import Optional

from flask import current_app, has_app_context
from flask_babel import gettext
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import joinedload

from webshop.extensions import db
from webshop.validation import ValidationError, whole_number
from webshop import catalog
from webshop.models import Cart, CartItem, Product, ProductVariant
from webshop.models.catalog import variant_label


DEFAULT_MAX_QUANTITY = 99


def max_quantity():
    """The most of one item a line may hold, whatever the stock (MAX_QUANTITY_PER_LINE):
    one shopper cannot hold a whole stock in an unpaid reservation."""
    if not has_app_context():
        return DEFAULT_MAX_QUANTITY
    return current_app.config.get("MAX_QUANTITY_PER_LINE", DEFAULT_MAX_QUANTITY)


class CartError(ValidationError):
    """A cart change that cannot be made; str(error) is what the shopper reads."""


@dataclass(frozen=True)
class Line:
    item_id: int
    variant_id: int
    product_id: int
    product_name: str
    product_slug: str
    label: str
    option_values: dict
    sku: str
    image: Optional[str]
    unit_price: int
    currency: str
    quantity: int
    stock: int
    active: bool
    tax_class: str = "standard"
    weight_grams: Optional[int] = None

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def available(self):
        return self.active and self.stock >= self.quantity

    @property
    def problem(self):
        """What stands between this line and checkout, for the shopper; None if nothing."""
        if not self.active:
            return LineProblem("sold_out", "No longer available: please remove it.")
        if self.stock < self.quantity:
            left = "Sold out" if self.stock <= 0 else f"Only {self.stock} left"
            return LineProblem("low", f"{left}: please lower the quantity.")
        return None


@dataclass(frozen=True)
class LineProblem:
    state: str  # a stock state, for the style
    message: str


def parse_quantity(raw, allow_zero=False):
    """A quantity from a form value, or CartError with a message for the shopper."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        raise CartError(gettext("Enter a whole number for the quantity."))
    limit = max_quantity()
    quantity = whole_number(text, maximum=limit)  # None: more digits than any stock
    if quantity is None:
        raise CartError(gettext("You can order at most %(num)d of one item.", num=limit))
    if quantity == 0 and allow_zero:
        return 0
    if quantity < 1:
        raise CartError(gettext("The quantity must be at least 1."))
    return quantity


def find_cart(token=None, user_id=None, with_items=False):
    """The customer's cart when logged in, else the guest cart for the token; or None.
    `with_items`: its items come in the same query."""
    if user_id is not None:
        query = select(Cart).where(Cart.user_id == user_id)
    elif token:
        query = select(Cart).where(Cart.token == token, Cart.user_id.is_(None))
    else:
        return None
    if with_items:
        return db.session.scalars(query.options(joinedload(Cart.items))).unique().first()
    return db.session.scalar(query)


def _get_or_create_cart(token=None, user_id=None):
    cart = find_cart(token, user_id)
    if cart is None:
        cart = Cart(user_id=user_id, token=None if user_id else (token or new_token()))
        db.session.add(cart)
        db.session.flush()
    return cart


def new_token():
    return secrets.token_urlsafe(32)


def _sellable_variant(variant_id):
    variant = db.session.scalar(
        select(ProductVariant).join(Product).where(
            ProductVariant.id == variant_id, Product.active.is_(True)
        )
    )
    if variant is None:
        raise CartError(gettext("That product is no longer available."))
    return variant


def _check_stock(variant, quantity):
    if variant.stock <= 0:
        raise CartError(gettext("Sorry, %(name)s is sold out.", name=variant.product.name))
    if quantity > variant.stock:
        raise CartError(gettext(
            "Only %(num)d of %(name)s left: you can have at most %(num)d in your cart.",
            num=variant.stock, name=variant.product.name))


def add_item(variant_id, quantity, token=None, user_id=None):
    """Add to the cart (creating it if needed); returns the cart. Commits, or raises
    CartError having written nothing."""
    return add_and_count(variant_id, quantity, token, user_id)[0]


def add_and_count(variant_id, quantity, token=None, user_id=None):
    """add_item, returning (the cart, how many items it holds now) for the header badge:
    counted from the lines this change reads anyway, so the count costs no query and
    no second transaction after the commit. Commits, or raises CartError having
    written nothing."""
    variant = _sellable_variant(variant_id)
    cart = find_cart(token, user_id, with_items=True)
    items = list(cart.items) if cart else []
    item = next((i for i in items if i.variant_id == variant.id), None)
    count = quantity + sum(i.quantity for i in items)
    new_quantity = quantity + (item.quantity if item else 0)
    if new_quantity > max_quantity():
        raise CartError(gettext("You can order at most %(num)d of one item.",
                                num=max_quantity()))
    _check_stock(variant, new_quantity)
    if cart is None:
        cart = _get_or_create_cart(token, user_id)
    # The line may have gone since it was read (the same shopper's other browser placed
    # an order, emptying the cart): then the item goes in as a new line.
    if item is None or not _changed(cart, item.id, quantity=new_quantity):
        db.session.add(CartItem(cart_id=cart.id, variant_id=variant.id, quantity=quantity))
    _touch(cart)
    db.session.commit()
    return cart, count


def _own_item(cart, item_id):
    item = db.session.get(CartItem, item_id) if cart else None
    if item is None or item.cart_id != cart.id:
        raise CartError(gettext("That item is no longer in your cart."))
    return item


def set_quantity(cart, item_id, quantity):
    """Change a line's quantity; 0 removes it. Commits, or raises CartError having
    written nothing."""
    item = _own_item(cart, item_id)
    if quantity == 0:
        return remove_item(cart, item_id)
    _check_stock(_sellable_variant(item.variant_id), quantity)
    _change_or_refuse(cart, item_id, quantity=quantity)


def remove_item(cart, item_id):
    """Remove a line. Commits, or raises CartError having written nothing."""
    _own_item(cart, item_id)
    _change_or_refuse(cart, item_id)


def _changed(cart, item_id, **values):
    """Set `values` on the cart's line (or delete it, with none) if it is still there: a
    compare-and-set, since the line may have gone since it was read. Whether it was."""
    query = (update(CartItem).values(**values) if values else delete(CartItem)).where(
        CartItem.id == item_id, CartItem.cart_id == cart.id)
    return db.session.execute(query.execution_options(synchronize_session=False)).rowcount == 1


def _change_or_refuse(cart, item_id, **values):
    if not _changed(cart, item_id, **values):
        db.session.rollback()
        raise CartError(gettext("That item is no longer in your cart."))
    _touch(cart)
    db.session.commit()


def _touch(cart):
    """The cart changed (a line added, changed or removed): abandoned-cart reminders
    count their delay from here (webshop.reminders)."""
    cart.updated_at = func.now()


def clear(cart):
    """Empty the cart inside the caller's unit of work (used when an order is placed)."""
    db.session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))


def empty(cart):
    """The shopper's "empty cart": remove every line. Commits."""
    if cart is not None:
        clear(cart)
        db.session.commit()


def refill(quantities, token=None, user_id=None):
    """Put (variant_id, quantity) pairs into the cart, adding to what is there, within
    the caller's unit of work (used when a shopper comes back from the payment page)."""
    cart = _get_or_create_cart(token, user_id)
    existing = {item.variant_id: item for item in cart.items}
    limit = max_quantity()
    for variant_id, quantity in quantities:
        if variant_id in existing:
            existing[variant_id].quantity = min(existing[variant_id].quantity + quantity, limit)
        else:
            cart.items.append(CartItem(variant_id=variant_id, quantity=min(quantity, limit)))
    _touch(cart)
    return cart


def restore_lines(quantities, token=None, user_id=None):
    """Put (variant_id, quantity) pairs back into the cart (an abandoned-cart reminder's
    restore link): each variant that can still be bought ends with at least the
    quantity named, within its stock and max_quantity(), so following the link twice
    adds nothing more. Commits. Returns (the cart, how many lines could not be put
    back in full)."""
    wanted = dict(quantities)
    stock = dict(db.session.execute(
        select(ProductVariant.id, ProductVariant.stock).join(Product)
        .where(ProductVariant.id.in_(wanted), Product.active.is_(True))).all())
    cart = _get_or_create_cart(token, user_id)
    existing = {item.variant_id: item for item in cart.items}
    short = 0
    for variant_id, quantity in wanted.items():
        fits = min(quantity, max_quantity(), stock.get(variant_id, 0))
        short += fits < quantity
        if variant_id in existing:
            existing[variant_id].quantity = max(existing[variant_id].quantity, fits)
        elif fits > 0:
            cart.items.append(CartItem(variant_id=variant_id, quantity=fits))
    _touch(cart)
    db.session.commit()
    return cart, short


def lines(cart):
    """The cart's lines at current prices, in one query (plain rows: no ORM objects are
    loaded, and the statement runs on the session's connection, after a flush of what
    the session holds unwritten)."""
    if cart is None:
        return []
    db.session.flush()
    rows = db.session.connection().execute(_LINES, {"cart_id": cart.id})
    return [
        Line(
            item_id=row.id, variant_id=row.variant_id, product_id=row.product_id,
            product_name=row.name, product_slug=row.slug,
            label=variant_label(row.option_values), option_values=row.option_values,
            sku=row.sku, image=row.image, unit_price=row.price, currency=row.currency,
            quantity=row.quantity, stock=row.stock, active=row.active,
            tax_class=row.tax_class, weight_grams=row.weight_grams,
        )
        for row in rows
    ]


_LINES = (
    select(CartItem.id, CartItem.quantity, ProductVariant.id.label("variant_id"),
           ProductVariant.product_id, ProductVariant.option_values, ProductVariant.sku,
           ProductVariant.price, ProductVariant.currency, ProductVariant.stock,
           ProductVariant.weight_grams, Product.name, Product.slug, Product.active,
           Product.tax_class, catalog.first_image().label("image"))
    .join(ProductVariant, ProductVariant.id == CartItem.variant_id)
    .join(Product, Product.id == ProductVariant.product_id)
    .where(CartItem.cart_id == bindparam("cart_id"))
    .order_by(CartItem.id)
)


def item_count(cart):
    if cart is None:
        return 0
    return db.session.scalar(
        select(func.coalesce(func.sum(CartItem.quantity), 0)).where(CartItem.cart_id == cart.id)
    )


def merge_guest_cart(token, user_id, keep_codes=None):
    """On login: move the guest cart's lines into the customer's cart. Commits.

    Quantities add up, capped by stock and max_quantity(). `keep_codes(guest, own)`, if
    given, is called with both carts before the guest's goes, in the same unit of work:
    the promotions decide which of the guest's codes the customer's cart keeps. Returns
    the new item count.
    """
    guest = find_cart(token=token) if token else None
    if guest is not None and guest.items:
        own = _get_or_create_cart(user_id=user_id)
        existing = {item.variant_id: item for item in own.items}
        stock = dict(db.session.execute(
            select(ProductVariant.id, ProductVariant.stock)
            .where(ProductVariant.id.in_([i.variant_id for i in guest.items]))
        ).all())
        for item in guest.items:
            target = existing.get(item.variant_id)
            wanted = item.quantity + (target.quantity if target else 0)
            capped = min(wanted, max_quantity(), stock.get(item.variant_id, 0))
            if target is not None:
                target.quantity = max(capped, target.quantity)
            elif capped > 0:
                own.items.append(CartItem(variant_id=item.variant_id, quantity=capped))
        _touch(own)
        if keep_codes is not None and (guest.discount_code or guest.gift_card_code):
            keep_codes(guest, own)
    if guest is not None:
        db.session.delete(guest)
    db.session.commit()
    return item_count(find_cart(user_id=user_id))
