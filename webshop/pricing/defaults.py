"""The VAT rates and shipping zones a new shop starts with (`flask seed-pricing`, and
`flask seed-demo`). Idempotent: what exists already (by country and class, by zone
name) is left as the admin set it.

VAT RATES CHANGE: these are the EU member states' standard and main reduced rates as of
2026 (after Slovakia's and Estonia's 2025 rises, Romania's of August 2025 and Finland's
25.5 % of September 2024). Check them against the European Commission's "VAT rates"
table before going live, and change them at /admin/tax-rates, not here. Many countries
have further reduced rates (super-reduced, parking, zero rates for books or food): the
"reduced" class holds the main one. Denmark has no reduced rate: no row, so its
"reduced" products pay the standard 25 % (pricing.tax's rule for a missing class).
"""
from flask import current_app
from sqlalchemy import select

from webshop.extensions import db
from webshop.i18n import _N
from webshop.models import ShippingMethod, ShippingRate, ShippingZone, ShippingZoneCountry, TaxRate
from webshop.pricing import tables
from webshop.pricing.countries import EU_MEMBERS

# country: (standard, reduced or None), in basis points (1900 = 19 %)
EU_VAT_RATES = {
    "AT": (2000, 1000), "BE": (2100, 600), "BG": (2000, 900), "CY": (1900, 900),
    "CZ": (2100, 1200), "DE": (1900, 700), "DK": (2500, None), "EE": (2400, 900),
    "ES": (2100, 1000), "FI": (2550, 1400), "FR": (2000, 550), "GR": (2400, 1300),
    "HR": (2500, 1300), "HU": (2700, 1800), "IE": (2300, 1350), "IT": (2200, 1000),
    "LT": (2100, 900), "LU": (1700, 800), "LV": (2100, 1200), "MT": (1800, 700),
    "NL": (2100, 900), "PL": (2300, 800), "PT": (2300, 600), "RO": (2100, 1100),
    "SE": (2500, 1200), "SI": (2200, 950), "SK": (2300, 1900),
}

HOME_ZONE = "Home"
REST_OF_EU_ZONE = "Rest of EU"
# The rest of the EU pays more, and has a method priced by the parcel's weight.
REST_OF_EU_METHODS = [
    {"code": "standard", "name": "Standard delivery (5-8 working days)", "kind": "value",
     "bands": [(0, 995), (10000, 495)]},
    {"code": "express", "name": "Express delivery (2-3 working days)", "kind": "flat",
     "bands": [(0, 2495)]},
    {"code": "parcel", "name": "Parcel by weight (4-6 working days)", "kind": "weight",
     "bands": [(0, 695), (2000, 1195), (5000, 1995)]},
]


def plan(config, have_rates=(), zoned=(), zone_names=()):
    """The default rows still missing, as plain values: ([(country, class, rate_bp,
    label)], [(zone name, [countries], [method dict with its bands])]). Used by
    `install` and by migration 0007, which gives a new database these defaults."""
    rates = [(country, tax_class, rate, label)
             for country, (standard, reduced) in EU_VAT_RATES.items()
             for tax_class, rate, label in (("standard", standard, _N("Standard")),
                                            ("reduced", reduced, _N("Reduced")))
             if rate is not None and (country, tax_class) not in have_rates]
    zoned = set(zoned)
    zones = []
    home = [c for c in config["SHIP_COUNTRIES"] if c not in zoned]
    zoned.update(home)
    for name, countries, methods in (
            (HOME_ZONE, home, _home_methods(config)),
            (REST_OF_EU_ZONE, [c for c in EU_MEMBERS if c not in zoned], REST_OF_EU_METHODS)):
        if name not in zone_names and countries:
            zones.append((name, countries, [
                {"free_over": 0, **spec, "position": position}
                for position, spec in enumerate(methods)]))
    return rates, zones


def install():
    """Add the missing default rates and zones. Commits once."""
    rates, zones = plan(
        current_app.config,
        have_rates=set(db.session.execute(select(TaxRate.country, TaxRate.tax_class)).all()),
        zoned=db.session.scalars(select(ShippingZoneCountry.country)),
        zone_names=set(db.session.scalars(select(ShippingZone.name))))
    for country, tax_class, rate, label in rates:
        db.session.add(TaxRate(country=country, tax_class=tax_class, rate_bp=rate, label=label))
    for name, countries, methods in zones:
        zone = ShippingZone(name=name)
        zone.countries = [ShippingZoneCountry(country=c) for c in countries]
        zone.methods = [ShippingMethod(
            code=spec["code"], name=spec["name"], kind=spec["kind"],
            free_over=spec["free_over"], position=spec["position"],
            rates=[ShippingRate(min_value=m, price=p) for m, p in spec["bands"]])
            for spec in methods]
        db.session.add(zone)
    db.session.commit()
    tables.changed()


def _home_methods(config):
    """Today's offer from the settings: standard (free from FREE_SHIPPING_OVER), express."""
    methods = []
    for code, (name, price) in config["SHIPPING_METHODS"].items():
        free_over = config["FREE_SHIPPING_OVER"] if code == "standard" else 0
        methods.append({"code": code, "name": name, "kind": "free_over" if free_over else "flat",
                        "free_over": free_over, "bands": [(0, price)]})
    return methods
