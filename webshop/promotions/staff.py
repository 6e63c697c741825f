"""What staff do with promotions: create, edit and deactivate discount codes; issue and
deactivate gift cards; the lists and a card's ledger. Each change commits once with its
audit entry (before/after); input problems raise PromotionError naming the field.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop.extensions import db
from webshop.models import Category, DiscountCode, GiftCard, Product
from webshop.models.audit import record
from webshop.models.base import locked
from webshop.promotions import codes, giftcards
from webshop.promotions.codes import PromotionError

FIELDS = ("code", "description", "kind", "value", "category_ids", "product_ids", "min_spend",
          "starts_at", "ends_at", "max_uses", "max_uses_per_customer", "active")
MAX_GIFT_CARD = 100_000_00


@dataclass
class CodeInput:
    """A discount code as staff entered it (amounts in minor units; value is the
    percentage for "percent")."""
    code: str
    kind: str
    value: int = 0
    description: str = ""
    category_ids: tuple = ()
    product_slugs: tuple = ()
    min_spend: int = 0
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    max_uses: Optional[int] = None
    max_uses_per_customer: Optional[int] = None
    active: bool = True


def discount_codes():
    """Every code, newest first, with its uses so far (one query)."""
    return db.session.scalars(select(DiscountCode).order_by(DiscountCode.id.desc())).all()


def discount_code(code_id):
    code = db.session.get(DiscountCode, code_id)
    if code is None:
        raise LookupError(code_id)
    return code


def product_slugs(code):
    if not code.product_ids:
        return []
    return list(db.session.scalars(
        select(Product.slug).where(Product.id.in_(code.product_ids)).order_by(Product.slug)))


def _values(data):
    code = codes.normalize(data.code)
    if not codes.valid_shape(code):
        raise PromotionError("Use 1 to 40 letters, digits, dashes or underscores.", "code")
    if giftcards.looks_like_card(code):  # the cart's form would read it as a gift card
        raise PromotionError("That looks like a gift card code: choose another.", "code")
    if data.kind not in ("percent", "fixed", "free_shipping"):
        raise PromotionError("Choose percent, fixed amount or free shipping.", "kind")
    value = 0 if data.kind == "free_shipping" else data.value
    if data.kind == "percent" and not 1 <= value <= 100:
        raise PromotionError("A percentage is a whole number from 1 to 100.", "value")
    if data.kind == "fixed" and value <= 0:
        raise PromotionError("Enter the amount the code takes off.", "value")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise PromotionError("The end must come after the start.", "ends_at")
    categories = sorted(set(data.category_ids))
    if categories and len(db.session.scalars(
            select(Category.id).where(Category.id.in_(categories))).all()) != len(categories):
        raise PromotionError("Choose categories from the list.", "category_ids")
    slugs = sorted({s.strip() for s in data.product_slugs if s.strip()})
    products = dict(db.session.execute(
        select(Product.slug, Product.id).where(Product.slug.in_(slugs))).all()) if slugs else {}
    unknown = [s for s in slugs if s not in products]
    if unknown:
        raise PromotionError(f"No product has the slug {', '.join(unknown)}.", "product_ids")
    return {"code": code, "description": data.description.strip()[:200], "kind": data.kind,
            "value": value, "category_ids": categories,
            "product_ids": sorted(products.values()), "min_spend": data.min_spend,
            "starts_at": data.starts_at, "ends_at": data.ends_at, "max_uses": data.max_uses,
            "max_uses_per_customer": data.max_uses_per_customer, "active": bool(data.active)}


def _audit_values(code):
    return {name: (getattr(code, name).isoformat() if isinstance(getattr(code, name), datetime)
                   else getattr(code, name)) for name in FIELDS}


def create_code(data, actor=None):
    """A new discount code from a CodeInput. Commits once."""
    values = _values(data)
    code = DiscountCode(currency=current_app.config["SHOP_CURRENCY"], uses=0, **values)
    db.session.add(code)
    _flush_unique()
    record(db.session, "discount.created", "discount_code", code.id, actor=actor,
           after=_audit_values(code))
    db.session.commit()
    return code


def update_code(code_id, data, actor=None):
    """Change a code (its uses so far stay). Commits once."""
    code = locked(DiscountCode, code_id)
    before = _audit_values(code)
    try:
        values = _values(data)
    except PromotionError:
        db.session.rollback()
        raise
    if values["max_uses"] is not None and values["max_uses"] < code.uses:
        db.session.rollback()
        raise PromotionError(f"It has been used {code.uses} times already: the limit cannot be "
                             "lower.", "max_uses")
    for name, value in values.items():
        setattr(code, name, value)
    _flush_unique()
    record(db.session, "discount.updated", "discount_code", code.id, actor=actor,
           before=before, after=_audit_values(code))
    db.session.commit()
    return code


def set_code_active(code_id, active, actor=None):
    """Activate or deactivate a code. Commits once."""
    return _set_active(DiscountCode, code_id, active, actor, "discount", "discount_code")


def _set_active(model, row_id, active, actor, prefix, entity):
    row = locked(model, row_id)
    if row.active != active:
        row.active = active
        record(db.session, f"{prefix}.{'activated' if active else 'deactivated'}", entity, row.id,
               actor=actor, before={"active": not active}, after={"active": active})
    db.session.commit()
    return row


def _flush_unique():
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PromotionError("There is already a code with that name.", "code") from None


# --- gift cards --------------------------------------------------------------------------------

def gift_cards(limit=200):
    """The newest cards (one query)."""
    return db.session.scalars(select(GiftCard).order_by(GiftCard.id.desc()).limit(limit)).all()


def gift_card(card_id):
    """The card with its ledger loaded (two queries)."""
    from sqlalchemy.orm import selectinload
    card = db.session.scalar(select(GiftCard).options(selectinload(GiftCard.entries))
                             .where(GiftCard.id == card_id))
    if card is None:
        raise LookupError(card_id)
    return card


def issue_card(amount, email="", actor=None, note=""):
    """Staff issue a card by hand (its email goes out if an address is given). Commits."""
    if not 0 < amount <= MAX_GIFT_CARD:
        raise PromotionError("Enter an amount greater than zero.", "amount")
    card = giftcards.issue(amount, current_app.config["SHOP_CURRENCY"], email=email, actor=actor,
                           note=note or "Issued by staff.")
    db.session.commit()
    return card


def set_card_active(card_id, active, actor=None):
    """Activate or deactivate a card (a deactivated card pays for nothing). Commits once."""
    return _set_active(GiftCard, card_id, active, actor, "gift_card", "gift_card")
