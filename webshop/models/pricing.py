"""What prices depend on besides the product: VAT rates by country and tax class, and
shipping zones with their methods and rates. Money and weights are integers (minor
units, grams, basis points: 1900 = 19 %)."""
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db

TAX_CLASSES = ("standard", "reduced", "zero")
SHIPPING_KINDS = ("flat", "value", "free_over", "weight")


class TaxRate(db.Model):
    """The VAT a country charges on one tax class."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("country", "tax_class", name="uq_tax_rates_country_class"),
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_in_range"),
        CheckConstraint("tax_class IN ('standard', 'reduced', 'zero')", name="class_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    tax_class: Mapped[str] = mapped_column(String(16))
    rate_bp: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40), default="")


class ShippingZone(db.Model):
    """Countries that share shipping methods and prices; a country is in one zone at most."""

    __tablename__ = "shipping_zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    countries: Mapped[list["ShippingZoneCountry"]] = relationship(
        back_populates="zone", cascade="all, delete-orphan",
        order_by="ShippingZoneCountry.country")
    methods: Mapped[list["ShippingMethod"]] = relationship(
        back_populates="zone", cascade="all, delete-orphan",
        order_by="(ShippingMethod.position, ShippingMethod.id)")


class ShippingZoneCountry(db.Model):
    __tablename__ = "shipping_zone_countries"

    # The primary key is the country: the database keeps a country in one zone.
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_zones.id", ondelete="CASCADE"), index=True)

    zone: Mapped[ShippingZone] = relationship(back_populates="countries")


class ShippingMethod(db.Model):
    """A way to ship within a zone. kind: flat (one price), value (bands by the goods'
    value), free_over (one price, free from `free_over`), weight (bands by grams)."""

    __tablename__ = "shipping_methods"
    __table_args__ = (
        UniqueConstraint("zone_id", "code", name="uq_shipping_methods_zone_code"),
        CheckConstraint("kind IN ('flat', 'value', 'free_over', 'weight')", name="kind_known"),
        CheckConstraint("free_over >= 0", name="free_over_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_zones.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="flat")
    # free_over: the goods' value (minor units) from which this method costs nothing.
    free_over: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    zone: Mapped[ShippingZone] = relationship(back_populates="methods")
    rates: Mapped[list["ShippingRate"]] = relationship(
        back_populates="method", cascade="all, delete-orphan",
        order_by="ShippingRate.min_value")


class ShippingRate(db.Model):
    """From `min_value` (minor units of goods value, or grams for a weight method) on,
    the method costs `price`; the highest band reached applies."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("method_id", "min_value", name="uq_shipping_rates_method_min"),
        CheckConstraint("min_value >= 0 AND price >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    method_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_methods.id", ondelete="CASCADE"), index=True)
    min_value: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[int] = mapped_column(Integer)

    method: Mapped[ShippingMethod] = relationship(back_populates="rates")


class OrderTaxLine(db.Model):
    """One VAT rate's share of an order, as the invoice shows it (gross = net + tax)."""

    __tablename__ = "order_tax_lines"
    __table_args__ = (
        CheckConstraint("net + tax = gross", name="adds_up"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    rate_bp: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(60), default="")
    net: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(Integer)
    gross: Mapped[int] = mapped_column(Integer)

    order: Mapped[Optional["Order"]] = relationship(back_populates="tax_lines")  # noqa: F821
