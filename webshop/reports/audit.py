"""The audit log as staff read it: who changed what, filtered, newest first."""
from sqlalchemy import and_, func, select

from webshop.extensions import db
from webshop.models import AuditLog, ProductVariant
from webshop.pagination import Page, check_page


def audit_entries(entity_type=None, actor=None, page=1, per_page=50):
    """A page of audit entries, newest first, filtered by entity type and actor: two queries.

    Items are rows of (AuditLog, sku, product_id); the last two only for variants.
    Raises PageOutOfRange past the last page."""
    filters = []
    if entity_type:
        filters.append(AuditLog.entity_type == entity_type)
    if actor:
        filters.append(AuditLog.actor.icontains(actor, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(AuditLog).where(*filters))
    check_page(page, per_page, total)
    # A variant's SKU and product make its entries readable (and linkable).
    variant = and_(AuditLog.entity_type == "variant", ProductVariant.id == AuditLog.entity_id)
    rows = db.session.execute(
        select(AuditLog, ProductVariant.sku, ProductVariant.product_id)
        .outerjoin(ProductVariant, variant).where(*filters)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, page, per_page, total)


def entity_types():
    """The kinds of thing the log has entries for (for the filter), one query."""
    return db.session.scalars(
        select(AuditLog.entity_type).distinct().order_by(AuditLog.entity_type)).all()
