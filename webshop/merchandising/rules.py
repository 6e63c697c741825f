"""What every staff change to the catalogue shares: its error, the slug rule, what a
unique constraint's violation means, and the audit log's view of a change."""
import re
import unicodedata
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from webshop.extensions import db
from webshop.validation import ValidationError

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# What a unique constraint's violation means, for callers that lost a race.
_UNIQUE = {
    "uq_product_slug": ("slug", "Another product already uses that slug."),
    "product.slug": ("slug", "Another product already uses that slug."),
    "uq_product_variant_sku": ("sku", "That SKU is already in use."),
    "product_variant.sku": ("sku", "That SKU is already in use."),
    "uq_category_slug": ("slug", "Another category already uses that slug."),
    "category.slug": ("slug", "Another category already uses that slug."),
}


class CatalogError(ValidationError):
    """A catalogue change that cannot be made; str(error) is what staff read.

    `field` names the form field the message belongs next to ("slug", "sku", "image"),
    `index` the variant (its place in the list passed in) for a variant's field.
    """

    def __init__(self, message, field=None, index=None):
        super().__init__(message, field)
        self.index = index


def slugify(text, max_length=160):
    """'Café Crème, 250 g' -> 'cafe-creme-250-g'."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def _unique_violation(error):
    """The CatalogError an IntegrityError from a unique constraint stands for, else None."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(error.orig)
    for constraint, (field, message) in _UNIQUE.items():
        if constraint in name:
            return CatalogError(message + " Choose another.", field)
    return None


@contextmanager
def unique_errors():
    """Turn a unique violation (a race the checks before it lost) into a CatalogError,
    rolling back: the caller's flushes and commit go inside."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        unique = _unique_violation(error)
        if unique is None:
            raise
        raise unique from None


def commit():
    with unique_errors():
        db.session.commit()


def changes(before, after):
    """Only what changed, as (before, after) dicts for the audit log."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
