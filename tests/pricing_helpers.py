"""VAT rates and shipping zones in tests: the defaults (pricing.defaults) are installed
once per run and kept between tests like reference data (conftest leaves their tables
out of the per-test TRUNCATE). A test may change them (the admin's pages, the security
sweep): before each test, one query compares them with the defaults as installed, and
only if they differ are they put back."""
from sqlalchemy import text

from webshop.extensions import db as _db
from webshop.pricing import defaults

PRICING_TABLES = {"tax_rates", "shipping_zones", "shipping_zone_countries", "shipping_methods",
                  "shipping_rates"}
_FINGERPRINT = text("""SELECT md5(concat_ws('#',
    (SELECT string_agg(concat_ws('|', id, country, tax_class, rate_bp, label), ',' ORDER BY id)
       FROM tax_rates),
    (SELECT string_agg(concat_ws('|', id, name), ',' ORDER BY id) FROM shipping_zones),
    (SELECT string_agg(concat_ws('|', country, zone_id), ',' ORDER BY country)
       FROM shipping_zone_countries),
    (SELECT string_agg(concat_ws('|', id, zone_id, code, name, kind, free_over, position), ','
                       ORDER BY id) FROM shipping_methods),
    (SELECT string_agg(concat_ws('|', id, method_id, min_value, price), ',' ORDER BY id)
       FROM shipping_rates)))""")
_installed = {"fingerprint": None}


def ensure_defaults():
    """The default rates and zones, as installed, in the database (inside an app context).
    Called before every test; costs one query when nothing changed."""
    if _db.session.scalar(_FINGERPRINT) == _installed["fingerprint"]:
        return
    for table in ("shipping_rates", "shipping_methods", "shipping_zone_countries",
                  "shipping_zones", "tax_rates"):
        _db.session.execute(text(f"DELETE FROM {table}"))
    _db.session.commit()
    defaults.install()
    _installed["fingerprint"] = _db.session.scalar(_FINGERPRINT)
    _db.session.commit()
