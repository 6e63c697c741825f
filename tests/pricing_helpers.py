"""VAT rates and shipping zones in tests: the defaults (pricing.defaults) are installed
once per run and kept between tests like reference data (conftest leaves their tables
out of the per-test TRUNCATE); a test that changes them uses the `pricing_tables`
fixture, which puts the defaults back after it."""
import pytest
from sqlalchemy import text

from webshop.extensions import db as _db
from webshop.pricing import defaults

PRICING_TABLES = {"tax_rates", "shipping_zones", "shipping_zone_countries", "shipping_methods",
                  "shipping_rates"}


def install_defaults():
    defaults.install()


@pytest.fixture
def pricing_tables(app):
    """For a test that changes VAT rates or shipping zones: the defaults come back after it."""
    yield
    with app.app_context():
        _db.session.rollback()
        _db.session.execute(text("TRUNCATE " + ", ".join(sorted(PRICING_TABLES)) + " CASCADE"))
        _db.session.commit()
        defaults.install()
