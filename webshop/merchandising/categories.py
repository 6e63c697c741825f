"""Categories as staff write them: create, rename, reorder, delete (only when empty).

Each function takes plain values and the acting user, writes an audit entry and commits
once; or raises CatalogError having changed nothing.
"""
from sqlalchemy import func, select

from webshop.extensions import db
from webshop.merchandising.rules import (
    SLUG_PATTERN, CatalogError, changes, commit, slugify, unique_errors,
)
from webshop.models import Category, Product
from webshop.models.audit import record


def _category_values(name, slug, category_id=None, fallback_slug=None):
    name = (name or "").strip()
    if not name:
        raise CatalogError("Enter the category's name.", "name")
    if len(name) > 120:
        raise CatalogError("A category name has at most 120 characters.", "name")
    slug = (slug or "").strip().lower() or fallback_slug or slugify(name, 120)
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 120:
        raise CatalogError("Use lowercase letters, digits and single hyphens, e.g. kitchen.", "slug")
    taken = select(Category.id).where(Category.slug == slug)
    if category_id is not None:
        taken = taken.where(Category.id != category_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise CatalogError("Another category already uses that slug. Choose another.", "slug")
    return name, slug


def create_category(actor, name, slug="", description=""):
    """A new category, placed last; commits and returns it."""
    name, slug = _category_values(name, slug)
    position = db.session.scalar(select(func.coalesce(func.max(Category.position) + 1, 1)))
    category = Category(name=name, slug=slug, description=(description or "").strip(),
                        position=position)
    with unique_errors():
        db.session.add(category)
        db.session.flush()
        record(db.session, "category.create", "category", category.id, actor,
               after={"name": name, "slug": slug, "position": position})
        db.session.commit()
    return category


def rename_category(category_id, actor, name, slug=""):
    """Change a category's name (and slug; blank keeps it); commits and returns it."""
    category = db.session.get(Category, category_id, with_for_update=True, populate_existing=True)
    if category is None:
        raise LookupError(f"No category {category_id}")
    try:
        name, slug = _category_values(name, slug, category.id, fallback_slug=category.slug)
    except CatalogError:
        db.session.rollback()
        raise
    old, new = changes({"name": category.name, "slug": category.slug}, {"name": name, "slug": slug})
    if old or new:
        category.name, category.slug = name, slug
        record(db.session, "category.rename", "category", category.id, actor, before=old, after=new)
    commit()
    return category


def move_category(category_id, direction, actor):
    """Swap a category with its neighbour above ("up") or below ("down"); commits.

    Positions are renumbered 1..n in the current display order first, so categories
    that share a position (as seeded ones may) still move one step at a time.
    """
    if direction not in ("up", "down"):
        raise ValueError("direction is 'up' or 'down'")
    ordered = list(db.session.scalars(
        select(Category).order_by(Category.position, Category.name, Category.id)
        .with_for_update().execution_options(populate_existing=True)))
    index = next((i for i, c in enumerate(ordered) if c.id == category_id), None)
    if index is None:
        db.session.rollback()
        raise LookupError(f"No category {category_id}")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        db.session.rollback()
        return ordered[index]
    before = ordered[index].position
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, category in enumerate(ordered, start=1):
        if category.position != position:
            category.position = position
    moved = ordered[other]
    record(db.session, f"category.move_{direction}", "category", moved.id, actor,
           before={"position": before}, after={"position": moved.position})
    db.session.commit()
    return moved


def delete_category(category_id, actor):
    """Delete a category that has no products (active or not); commits.

    The row is locked first, so a product being saved into it at the same moment is
    either counted or finds the category gone.
    """
    category = db.session.get(Category, category_id, with_for_update=True, populate_existing=True)
    if category is None:
        raise LookupError(f"No category {category_id}")
    count = db.session.scalar(
        select(func.count()).select_from(Product).where(Product.category_id == category_id))
    if count:
        db.session.rollback()
        raise CatalogError(
            f"{category.name} still has {count} product{'s' if count != 1 else ''}. "
            "Move them to another category (or delete them) first.")
    record(db.session, "category.delete", "category", category.id, actor,
           before={"name": category.name, "slug": category.slug, "position": category.position})
    db.session.delete(category)
    db.session.commit()
