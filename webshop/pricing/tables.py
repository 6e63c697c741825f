"""The pricing tables (VAT rates, shipping zones, methods and their rates) as one small
snapshot of plain values, read from the database once per change and cached.

Every entry's key carries a version kept in the cache itself; `changed()` (called after
an admin's commit) replaces the version, so every process reads the new tables at its
next request. Each process also keeps the snapshot of the current version, so a warm
page pays one cache round trip for it and no SQL query.
"""
import uuid

from flask import g
from sqlalchemy import select

from webshop import safe_cache
from webshop.extensions import db
from webshop.models import ShippingMethod, ShippingRate, ShippingZone, ShippingZoneCountry, TaxRate

VERSION_KEY = "pricing:version"
_local = {"version": None, "tables": None}


def current():
    """{"rates": {country: {tax_class: (rate_bp, label)}}, "zones": {country: zone_id},
    "zone_names": {zone_id: name}, "methods": {zone_id: [method dict, ...]}}."""
    global _local
    version = _version()
    local = _local
    if local["version"] == version and local["tables"] is not None:
        return local["tables"]
    key = f"pricing:{version}:tables"
    tables = safe_cache.call("get", key)
    if tables is None:
        tables = load()
        safe_cache.call("set", key, tables, 0)
    _local = {"version": version, "tables": tables}
    return tables


def load():
    """The snapshot straight from the database (four queries)."""
    rates = {}
    for rate in db.session.scalars(select(TaxRate)):
        rates.setdefault(rate.country, {})[rate.tax_class] = (rate.rate_bp, rate.label)
    zones = dict(db.session.execute(
        select(ShippingZoneCountry.country, ShippingZoneCountry.zone_id)).all())
    zone_names = dict(db.session.execute(select(ShippingZone.id, ShippingZone.name)).all())
    bands = {}
    for method_id, min_value, price in db.session.execute(
            select(ShippingRate.method_id, ShippingRate.min_value, ShippingRate.price)
            .order_by(ShippingRate.method_id, ShippingRate.min_value)):
        bands.setdefault(method_id, []).append((min_value, price))
    methods = {}
    for method in db.session.scalars(
            select(ShippingMethod).order_by(ShippingMethod.position, ShippingMethod.id)):
        methods.setdefault(method.zone_id, []).append({
            "id": method.id, "code": method.code, "name": method.name, "kind": method.kind,
            "free_over": method.free_over, "bands": tuple(bands.get(method.id, ())),
        })
    return {"rates": rates, "zones": zones, "zone_names": zone_names, "methods": methods}


def _version():
    version = g.get("pricing_version")
    if version is None:
        version = safe_cache.call("get", VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex[:12]
            safe_cache.call("set", VERSION_KEY, version, 0)
        g.pricing_version = version
    return version


def changed():
    """The tables changed (call after the commit): everyone reads them afresh."""
    global _local
    safe_cache.call("set", VERSION_KEY, uuid.uuid4().hex[:12], 0)
    g.pop("pricing_version", None)
    _local = {"version": None, "tables": None}
