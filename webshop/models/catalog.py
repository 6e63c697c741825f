"""What the shop sells: categories, products, their images and variants."""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column, updated_at_column


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    products: Mapped[list["Product"]] = relationship(back_populates="category")


def product_search_document(name, description):
    """The weighted text PostgreSQL searches: name words (A) rank above description words (B).

    The GIN index below is built on exactly this expression, so queries that use it
    are answered from the index.
    """
    # Literals, not bound parameters: the planner only uses the index for the same SQL.
    english = literal_column("'english'")
    return func.setweight(func.to_tsvector(english, name), literal_column("'A'")).op("||")(
        func.setweight(
            func.to_tsvector(english, func.coalesce(description, literal_column("''"))),
            literal_column("'B'"),
        )
    )


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("tax_class IN ('standard', 'reduced', 'zero')", name="tax_class_known"),
        Index("ix_product_active_category", "active", "category_id"),
        Index("ix_product_active_created", "active", "created_at"),
        Index("ix_product_active_rating", "active", "rating_average"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # The names of the choices a shopper makes, in order, e.g. ["Size", "Colour"].
    option_names: Mapped[list] = mapped_column(JSON, default=list)
    # Which VAT rate applies (standard, reduced, zero); the rates are per country.
    tax_class: Mapped[str] = mapped_column(String(16), default="standard",
                                           server_default="standard")
    # The approved reviews, kept in step by webshop.reviews when staff moderate: pages
    # and lists read them without counting. The average in hundredths (4.5 stars: 450).
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_average: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    category: Mapped[Optional[Category]] = relationship(back_populates="products")
    variants: Mapped[list["ProductVariant"]] = relationship(
        back_populates="product",
        order_by="(ProductVariant.position, ProductVariant.id)",
        cascade="all, delete-orphan",
    )
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product",
        order_by="(ProductImage.position, ProductImage.id)",
        cascade="all, delete-orphan",
    )


Product.__table__.append_constraint(
    Index(
        "ix_product_search",
        product_search_document(Product.__table__.c.name, Product.__table__.c.description),
        postgresql_using="gin",
    ).ddl_if(dialect="postgresql")
)
# Trigram similarity on names (pg_trgm, migration 0011): typos and partial words in search.
Product.__table__.append_constraint(
    Index("ix_product_name_trgm", Product.__table__.c.name, postgresql_using="gin",
          postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
)


class ProductImage(db.Model):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    # A path below the static folder or the uploads folder, e.g. "products/mug-1.webp".
    filename: Mapped[str] = mapped_column(String(255))
    alt: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class ProductVariant(db.Model):
    """What is actually sold and stocked. Money is integer minor units (cents)."""

    __tablename__ = "product_variant"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        Index("ix_product_variant_product_price", "product_id", "price"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    # The shopper's choice this variant answers, e.g. {"Size": "M", "Colour": "Blue"}.
    option_values: Mapped[dict] = mapped_column(JSON, default=dict)
    price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # For shipping methods priced by weight; None counts as nothing.
    weight_grams: Mapped[Optional[int]] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The product image showing this variant (e.g. the mug in blue); None shows the
    # product's first image. Deleting the image only unlinks it.
    image_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("product_images.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    product: Mapped[Product] = relationship(back_populates="variants")
    image: Mapped[Optional["ProductImage"]] = relationship()

    @property
    def label(self):
        """'M / Blue' for a variant with options, '' for a product's only variant."""
        return variant_label(self.option_values)


def variant_label(option_values):
    """A variant's label from its option values (ProductVariant.label)."""
    return " / ".join(str(v) for v in (option_values or {}).values())
