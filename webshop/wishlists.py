"""Wishlists: the products a logged-in shopper saved, and back-in-stock notices.

A shopper saves a product (once: a unique constraint) and may ask to be told when a
sold-out variant of it is back ("notify me": the item's notify_variant_id). When stock
of a variant goes from 0 to more (webshop.catalog.stock_changed sends
events.variants_restocked in the restocking transaction, whoever restocked: staff, a
refund, a cancelled order), `claim_restock_notices` clears those requests with one
conditional UPDATE and hands back who asked: each request is answered by exactly one
email (webshop.notifications queues it in the same transaction), once per restock; the
shopper asks again for the next one.
"""
from dataclasses import dataclass
from typing import Optional

from flask_babel import gettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from webshop import catalog
from webshop.extensions import db
from webshop.models import Product, ProductVariant, WishlistItem
from webshop.validation import ValidationError

MAX_ITEMS = 200  # a wishlist, not a catalogue copy


class WishlistError(ValidationError):
    """A save that cannot be made; str(error) is what the shopper reads."""


def saved_product_ids(user_id):
    """The ids of the products the user saved: one indexed query."""
    return set(db.session.scalars(select(WishlistItem.product_id)
                                  .where(WishlistItem.user_id == user_id)))


def save(user_id, product_id, notify_variant_id=None):
    """Save the product to the user's wishlist (again is fine); with notify_variant_id,
    also ask for an email when that sold-out variant is back. Commits once.

    Raises WishlistError (nothing written) for an unknown or inactive product, a variant
    of another product, a variant in stock (nothing to wait for) or a full wishlist.
    """
    if not db.session.scalar(select(Product.id).where(Product.id == product_id,
                                                      Product.active.is_(True))):
        raise WishlistError(gettext("We could not find that product. It may have been removed."))
    if notify_variant_id is not None:
        stock = db.session.scalar(select(ProductVariant.stock).where(
            ProductVariant.id == notify_variant_id, ProductVariant.product_id == product_id))
        if stock is None:
            raise WishlistError(gettext("That choice is not sold here."))
        if stock > 0:
            raise WishlistError(gettext("That choice is in stock: you can order it now."))
    item = db.session.scalar(select(WishlistItem).where(WishlistItem.user_id == user_id,
                                                        WishlistItem.product_id == product_id))
    if item is None:
        count = db.session.scalar(select(func.count()).select_from(WishlistItem)
                                  .where(WishlistItem.user_id == user_id))
        if count >= MAX_ITEMS:
            raise WishlistError(f"A wishlist holds at most {MAX_ITEMS} products.")
        item = WishlistItem(user_id=user_id, product_id=product_id)
        db.session.add(item)
    if notify_variant_id is not None:
        item.notify_variant_id = notify_variant_id
    try:
        db.session.commit()
    except IntegrityError:  # saved at the same moment in another tab: it is saved
        db.session.rollback()
        if notify_variant_id is not None:
            return save(user_id, product_id, notify_variant_id)
    return True


def remove(user_id, product_id):
    """Take the product off the user's wishlist (and any back-in-stock request); commits.
    Removing what is not there is not an error."""
    db.session.execute(delete(WishlistItem).where(WishlistItem.user_id == user_id,
                                                  WishlistItem.product_id == product_id))
    db.session.commit()


@dataclass(frozen=True)
class WishlistRow:
    card: catalog.ProductCard
    notify_label: Optional[str]  # the variant the shopper waits for ("" if the only one)


def wishlist(user_id):
    """The user's saved products, newest first, as cards: one query."""
    variants = catalog.variant_totals()
    waited = aliased(ProductVariant)
    rows = db.session.execute(
        select(Product.id, Product.slug, Product.name, variants.c.price_min,
               variants.c.price_max, variants.c.currency, variants.c.stock,
               catalog.first_image().label("image"), waited.option_values)
        .join(WishlistItem, WishlistItem.product_id == Product.id)
        .join(variants, variants.c.product_id == Product.id)
        .outerjoin(waited, waited.id == WishlistItem.notify_variant_id)
        .where(WishlistItem.user_id == user_id, Product.active.is_(True))
        .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc())
        .limit(MAX_ITEMS))
    found = []
    for row in rows:
        label = (None if row.option_values is None
                 else " / ".join(str(v) for v in row.option_values.values()))
        card = catalog.ProductCard(row.id, row.slug, row.name, row.price_min, row.price_max,
                                   row.currency, row.stock, row.image)
        found.append(WishlistRow(card, label))
    return found


def claim_restock_notices(variant_ids, session=None):
    """The (user id, variant id) pairs waiting for these just-restocked variants; their
    requests are cleared in the caller's transaction (no commit), so each is answered
    once: a second restock, or the same one seen twice, finds none."""
    session = session or db.session
    claimed = []
    for variant_id in sorted(variant_ids):
        users = session.scalars(
            update(WishlistItem).where(WishlistItem.notify_variant_id == variant_id)
            .values(notify_variant_id=None).returning(WishlistItem.user_id)
            .execution_options(synchronize_session=False))
        claimed.extend((user_id, variant_id) for user_id in users)
    return claimed
