"""What admins change in pricing: VAT rates, shipping zones, their methods and rate
bands. Each function validates, writes, audits and commits once (PricingError with a
message and the field it belongs to, nothing written, otherwise), then tells every
process that the tables changed."""
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from webshop.extensions import db
from webshop.models import (
    SHIPPING_KINDS, TAX_CLASSES, ShippingMethod, ShippingRate, ShippingZone,
    ShippingZoneCountry, TaxRate,
)
from webshop.models.audit import record
from webshop.money import decimal_amount, parse_amount
from webshop.pricing import PricingError, tables
from webshop.pricing.countries import COUNTRY_NAMES, country_name
from webshop.pricing.tax import rate_text
from webshop.validation import MAX_INT

KIND_LABELS = {"flat": "Flat price", "value": "By order value (bands)",
               "free_over": "Flat, free over a threshold", "weight": "By weight (bands)"}
_RATE = re.compile(r"\d{1,3}(?:[.,]\d{1,2})?")
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")


# --- reading -------------------------------------------------------------------------------

def tax_rates():
    """Every rate, by country name then class (one query)."""
    rates = db.session.scalars(select(TaxRate)).all()
    order = {name: i for i, name in enumerate(TAX_CLASSES)}
    return sorted(rates, key=lambda r: (country_name(r.country), order.get(r.tax_class, 9)))


def zones():
    """Every zone as {"id", "name", "countries": [code], "methods": [method dict]}, by
    name, from the cached pricing tables (no query when warm)."""
    snapshot = tables.current()
    countries = {}
    for country, zone_id in snapshot["zones"].items():
        countries.setdefault(zone_id, []).append(country)
    return sorted(({"id": zone_id, "name": name,
                    "countries": sorted(countries.get(zone_id, []), key=country_name),
                    "methods": snapshot["methods"].get(zone_id, [])}
                   for zone_id, name in snapshot["zone_names"].items()),
                  key=lambda zone: zone["name"].lower())


def zone(zone_id):
    """One zone as zones() gives it; LookupError if there is none."""
    found = next((z for z in zones() if z["id"] == zone_id), None)
    if found is None:
        raise LookupError(zone_id)
    return found


def get(model, id_):
    row = db.session.get(model, id_)
    if row is None:
        raise LookupError(id_)
    return row


# --- VAT rates -----------------------------------------------------------------------------

def parse_rate(text):
    """'19' or '5.5' (percent) -> basis points; PricingError otherwise."""
    text = (text or "").strip().rstrip("%").strip()
    if not _RATE.fullmatch(text):
        raise PricingError("Enter the rate in percent, e.g. 19 or 5.5.", "rate")
    whole, _, part = text.replace(",", ".").partition(".")
    rate = int(whole) * 100 + int((part + "00")[:2])
    if rate > 10000:
        raise PricingError("A VAT rate is between 0 and 100 %.", "rate")
    return rate


def save_tax_rate(rate_id, country, tax_class, rate_text_value, label, actor):
    """Create (rate_id None) or change a rate. Commits."""
    country = (country or "").strip().upper()
    if country not in COUNTRY_NAMES:
        raise PricingError("Choose a country from the list.", "country")
    if tax_class not in TAX_CLASSES:
        raise PricingError("Choose a tax class: standard, reduced or zero.", "tax_class")
    rate = parse_rate(rate_text_value)
    if tax_class == "zero" and rate:
        raise PricingError("The zero class is always 0 %.", "rate")
    row = TaxRate() if rate_id is None else get(TaxRate, rate_id)
    clash = db.session.scalar(select(TaxRate.id).where(
        TaxRate.country == country, TaxRate.tax_class == tax_class))
    if clash is not None and clash != rate_id:
        raise PricingError(f"{country_name(country)} already has a {tax_class} rate: edit it "
                           "instead.", "tax_class")
    before = _rate_dict(row) if rate_id is not None else None
    row.country, row.tax_class, row.rate_bp = country, tax_class, rate
    row.label = (label or "").strip()[:40] or tax_class.capitalize()
    db.session.add(row)
    db.session.flush()
    record(db.session, "tax_rate.saved", "tax_rate", row.id, actor=actor, before=before,
           after=_rate_dict(row))
    _commit()
    return row


def delete_tax_rate(rate_id, actor):
    return _delete(get(TaxRate, rate_id), "tax_rate", _rate_dict, actor)


def _delete(row, entity, snapshot, actor):
    """Delete the row, audited as `entity`.deleted with its snapshot. Commits."""
    record(db.session, f"{entity}.deleted", entity, row.id, actor=actor, before=snapshot(row))
    db.session.delete(row)
    _commit()
    return row


def _rate_dict(row):
    return {"country": row.country, "tax_class": row.tax_class, "rate": rate_text(row.rate_bp),
            "label": row.label}


# --- zones ---------------------------------------------------------------------------------

def save_zone(zone_id, name, countries, actor):
    """Create (zone_id None) or change a zone's name and countries. A country already in
    another zone is refused (one zone per country). Commits."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise PricingError("Give the zone a name (at most 80 characters).", "name")
    countries = sorted({(c or "").strip().upper() for c in countries or ()})
    unknown = [c for c in countries if c not in COUNTRY_NAMES]
    if unknown:
        raise PricingError(f"Unknown country: {', '.join(unknown)}.", "countries")
    clash = db.session.scalar(select(ShippingZone.id).where(
        func.lower(ShippingZone.name) == name.lower()))
    if clash is not None and clash != zone_id:
        raise PricingError(f"There is already a zone called {name}.", "name")
    taken = db.session.execute(
        select(ShippingZoneCountry.country, ShippingZone.name)
        .join(ShippingZone, ShippingZone.id == ShippingZoneCountry.zone_id)
        .where(ShippingZoneCountry.country.in_(countries),
               ShippingZoneCountry.zone_id != (zone_id or 0))).all()
    if taken:
        raise PricingError("Already in another zone: " + ", ".join(
            f"{country_name(c)} ({zone})" for c, zone in taken) + ".", "countries")
    zone = ShippingZone() if zone_id is None else get(ShippingZone, zone_id)
    before = _zone_dict(zone) if zone_id is not None else None
    zone.name = name
    have = {c.country: c for c in zone.countries}
    zone.countries = [have.get(c) or ShippingZoneCountry(country=c) for c in countries]
    db.session.add(zone)
    db.session.flush()
    record(db.session, "shipping_zone.saved", "shipping_zone", zone.id, actor=actor,
           before=before, after=_zone_dict(zone))
    _commit()
    return zone


def delete_zone(zone_id, actor):
    return _delete(get(ShippingZone, zone_id), "shipping_zone", _zone_dict, actor)


def _zone_dict(zone):
    return {"name": zone.name, "countries": [c.country for c in zone.countries]}


# --- methods -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodInput:
    code: str
    name: str
    kind: str
    free_over: str  # money text, '' for never
    bands: str  # "from: price" per line or separated by ';'


def save_method(zone_id, method_id, data, currency, actor):
    """Add a method to a zone (method_id None) or change one. Commits."""
    zone = get(ShippingZone, zone_id)
    code = (data.code or "").strip().lower()
    if not _CODE.fullmatch(code):
        raise PricingError("A code is up to 20 lower-case letters, digits, - or _ "
                           "(e.g. standard).", "code")
    name = (data.name or "").strip()
    if not name or len(name) > 120:
        raise PricingError("Give the method a name shoppers read (at most 120 characters).",
                           "name")
    if data.kind not in SHIPPING_KINDS:
        raise PricingError("Choose how the method is priced.", "kind")
    free_over = _money(data.free_over, currency, "free_over") if (data.free_over or "").strip() else 0
    if data.kind == "free_over" and not free_over:
        raise PricingError("Enter the order value from which this method is free.", "free_over")
    bands = parse_bands(data.bands, data.kind, currency)
    clash = db.session.scalar(select(ShippingMethod.id).where(
        ShippingMethod.zone_id == zone.id, ShippingMethod.code == code))
    if clash is not None and clash != method_id:
        raise PricingError(f"{zone.name} already has a method with the code {code}.", "code")
    method = ShippingMethod(zone_id=zone.id, position=len(zone.methods)) if method_id is None \
        else get(ShippingMethod, method_id)
    if method.zone_id != zone.id:
        raise LookupError(method_id)
    before = method_dict(method, currency) if method_id is not None else None
    method.code, method.name, method.kind, method.free_over = code, name, data.kind, free_over
    have = {r.min_value: r for r in method.rates}
    rates = []
    for minimum, price in bands:
        rate = have.get(minimum) or ShippingRate(min_value=minimum, price=price)
        rate.price = price
        rates.append(rate)
    method.rates = rates
    db.session.add(method)
    db.session.flush()
    record(db.session, "shipping_method.saved", "shipping_method", method.id, actor=actor,
           before=before, after=method_dict(method, currency))
    _commit()
    return method


def delete_method(method_id, actor, currency):
    return _delete(get(ShippingMethod, method_id), "shipping_method",
                   lambda method: method_dict(method, currency), actor)


def parse_bands(text, kind, currency):
    """'0: 4.95; 100.00: 0' -> [(0, 495), (10000, 0)]: from (an order value, or grams for
    a weight method) and price. Flat methods take one price ('4.95'). The first band
    starts at 0, so every order has a price."""
    parts = [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]
    if not parts:
        raise PricingError("Enter the price (or the bands: from: price; from: price).", "bands")
    bands = []
    for part in parts:
        if kind in ("flat", "free_over"):
            if len(parts) > 1 or ":" in part:
                raise PricingError("A flat method has one price, e.g. 4.95.", "bands")
            bands.append((0, _money(part, currency, "bands")))
            continue
        start, sep, price = part.partition(":")
        if not sep:
            raise PricingError(f"Write each band as from: price (\"{part}\" has no colon).",
                               "bands")
        if kind == "weight":
            grams = start.strip().lower().removesuffix("g").strip()
            if not (grams.isascii() and grams.isdigit()) or int(grams) > MAX_INT:
                raise PricingError(f"Weights are whole grams (\"{start.strip()}\").", "bands")
            minimum = int(grams)
        else:
            minimum = _money(start, currency, "bands")
        bands.append((minimum, _money(price, currency, "bands")))
    starts = [m for m, _ in bands]
    if len(set(starts)) != len(starts):
        raise PricingError("Two bands start at the same value.", "bands")
    if min(starts) != 0:
        raise PricingError("The first band starts at 0, so every order has a price.", "bands")
    return sorted(bands)


def bands_text(kind, bands, currency):
    """A method's bands [(from, price)] as the form writes them."""
    if kind in ("flat", "free_over"):
        return decimal_amount(bands[0][1], currency) if bands else ""
    start = str if kind == "weight" else (lambda m: decimal_amount(m, currency))
    return "; ".join(f"{start(m)}: {decimal_amount(p, currency)}" for m, p in bands)


def method_dict(method, currency):
    return {"code": method.code, "name": method.name, "kind": method.kind,
            "free_over": method.free_over,
            "bands": bands_text(method.kind, [(r.min_value, r.price) for r in method.rates],
                                currency)}


def _money(text, currency, field):
    try:
        amount = parse_amount(text, currency)
    except ValueError as error:
        raise PricingError(str(error), field) from None
    if amount > MAX_INT:
        raise PricingError("That amount is too large.", field)
    return amount


def _commit():
    db.session.commit()
    tables.changed()
