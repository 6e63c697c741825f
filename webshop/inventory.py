"""Stock changes made by staff: a delivery arrived, a count found two fewer, a mug broke.

Each change is one conditional UPDATE (never read-then-write), so a sale made at the
same moment is never lost and stock never goes below zero; it is written to the audit
log with the figures before and after and the reason staff gave. Checkout's
reservations and releases are webshop.orders' business, not this module's.
"""
from sqlalchemy import select, update

from webshop import catalog, merchandising
from webshop.extensions import db
from webshop.models import ProductVariant
from webshop.models.audit import record
from webshop.validation import ValidationError

MAX_STOCK = merchandising.MAX_STOCK  # a typo guard (and far below the column's limit)
MAX_REASON = 200


class StockError(ValidationError):
    """A stock change that cannot be made; str(error) is what staff read.

    `field` is the form field it belongs next to: delta, set_to or reason.
    """


def adjust_stock(variant_id, reason, actor, delta=None, new_value=None):
    """Change a variant's stock by `delta`, or set it to `new_value`; commits once.

    Returns (before, after). Raises LookupError for an unknown variant and StockError
    (nothing changed) for a missing reason, a missing or zero change, or a change that
    would take the stock below zero or above MAX_STOCK.
    """
    reason = (reason or "").strip()
    if not reason:
        raise StockError("Say why the stock changes (e.g. delivery, stock count, damaged).",
                         "reason")
    if len(reason) > MAX_REASON:
        raise StockError(f"Keep the reason under {MAX_REASON} characters.", "reason")
    if (delta is None) == (new_value is None):
        raise StockError("Enter a change (e.g. 5 or -2) or a new stock figure, not both.", "delta")

    if new_value is not None:
        if not 0 <= new_value <= MAX_STOCK:
            raise StockError(f"Stock is a whole number from 0 to {MAX_STOCK:,}.", "set_to")
        # The row lock makes "set to 12" exact even while checkout is reserving units.
        current = db.session.scalar(
            select(ProductVariant.stock).where(ProductVariant.id == variant_id).with_for_update())
        if current is None:
            db.session.rollback()
            raise LookupError(f"No variant {variant_id}")
        delta = new_value - current
        if delta == 0:
            db.session.rollback()
            return current, current
    elif delta == 0:
        raise StockError("A change of 0 changes nothing: enter e.g. 5 or -2.", "delta")
    elif abs(delta) > MAX_STOCK:
        raise StockError(f"Change the stock by at most {MAX_STOCK:,} at a time.", "delta")

    after = db.session.scalar(
        update(ProductVariant)
        .where(ProductVariant.id == variant_id,
               ProductVariant.stock + delta >= 0,
               ProductVariant.stock + delta <= MAX_STOCK)
        .values(stock=ProductVariant.stock + delta)
        .returning(ProductVariant.stock)
        .execution_options(synchronize_session=False)
    )
    if after is None:
        db.session.rollback()
        current = db.session.scalar(select(ProductVariant.stock).where(ProductVariant.id == variant_id))
        db.session.rollback()
        if current is None:
            raise LookupError(f"No variant {variant_id}")
        if delta < 0:
            raise StockError(f"Only {current} in stock: you can take away at most {current}.",
                             "delta")
        raise StockError(f"Stock cannot exceed {MAX_STOCK:,} (it is {current}).", "delta")
    before = after - delta
    record(db.session, "stock.adjust", "variant", variant_id, actor,
           before={"stock": before}, after={"stock": after}, note=reason)
    catalog.stock_changed({variant_id: delta})  # a bulk UPDATE: the session hook cannot see it
    db.session.commit()
    return before, after
