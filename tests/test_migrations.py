"""Migrations build the schema the models describe, on PostgreSQL and on SQLite."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

import pytest

from tests.factories import make_product
from webshop import catalog, search
from webshop.extensions import db as _db
from webshop.models import (
    Product, ProductVariant, ShippingZone, ShippingZoneCountry, TaxRate, User,
)


def schema_differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_name": search.not_search_index_table})
        return compare_metadata(context, _db.metadata)


def test_migrated_postgresql_matches_the_models(db):
    assert schema_differences(db.engine) == []


def test_empty_sqlite_upgrades_and_matches_the_models(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with sqlite_app.app_context():
        assert schema_differences(_db.engine) == []
        _db.engine.dispose()


def test_a_new_database_can_sell_at_once_with_the_default_vat_rates_and_zones(sqlite_app):
    """`flask db upgrade` alone gives the EU's VAT rates and the default shipping zones,
    so a shop nobody has configured yet ships as before; seed-pricing adds no copies."""
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite_app.app_context():
        def state():
            return (_db.session.execute(select(TaxRate.country, TaxRate.tax_class, TaxRate.rate_bp)
                                        .order_by(TaxRate.country, TaxRate.tax_class)).all(),
                    dict(_db.session.execute(select(ShippingZoneCountry.country, ShippingZone.name)
                                             .join(ShippingZone)).all()))
        rates, zones = state()
        assert ("DE", "standard", 1900) in rates and ("FR", "reduced", 550) in rates
        assert zones["DE"] == "Home" and zones["GR"] == "Rest of EU"
        _db.session.rollback()
        result = runner.invoke(args=["seed-pricing"])
        assert result.exit_code == 0, result.output
        assert state() == (rates, zones)
        _db.engine.dispose()


def test_display_currencies_migrate_up_and_down(sqlite_app):
    """0016 adds the display_currencies table (rates as exact integers, never 0 or less)
    and takes it away again."""
    runner = sqlite_app.test_cli_runner()

    def migrate(*args):
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, result.output
        with sqlite_app.app_context():
            found = inspect(_db.engine).get_table_names()
            _db.engine.dispose()
        return "display_currencies" in found

    assert migrate("upgrade")
    assert not migrate("downgrade", "0015")
    assert migrate("upgrade")
    with sqlite_app.app_context():
        _db.session.execute(text("INSERT INTO display_currencies (code, rate_e8, updated_at) "
                                 "VALUES ('GBP', 86000000, CURRENT_TIMESTAMP)"))
        assert _db.session.scalar(text("SELECT active FROM display_currencies")) in (1, True)
        with pytest.raises(IntegrityError):
            _db.session.execute(text("INSERT INTO display_currencies (code, rate_e8, updated_at)"
                                     " VALUES ('USD', 0, CURRENT_TIMESTAMP)"))
        _db.session.rollback()
        _db.engine.dispose()


def test_search_query_is_answered_from_the_gin_indexes(db):
    make_product("Ceramic Mug")
    terms = catalog.search_terms("ceramic mugg")
    match, _ = search.search_filter(terms)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(Product.id).where(match).compile(
        db.engine, compile_kwargs={"literal_binds": True})
    # To the driver as compiled (pg_trgm's % operators escaped for it, as `text` would again).
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN {query}").scalars().all()
    db.session.rollback()
    assert any("ix_product_search" in line for line in plan), plan
    assert any("ix_product_name_trgm" in line for line in plan), plan


@pytest.mark.parametrize("column, value", [("stock", -1), ("price", -5)])
def test_database_refuses_negative_stock_and_price(db, column, value):
    product = make_product("Mug")
    with pytest.raises(IntegrityError):
        db.session.execute(
            ProductVariant.__table__.update()
            .where(ProductVariant.id == product.variants[0].id)
            .values({column: value})
        )
    db.session.rollback()


def test_emails_are_unique_whatever_their_case(db):
    db.session.add(User("Ann@Example.com", password="x" * 10))
    db.session.commit()
    db.session.add(User("ann@example.COM", password="x" * 10))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO users (email, password_hash, role, active, created_at)"
                                " VALUES ('Bob@Example.com', 'x', 'customer', true, now())"))
    db.session.rollback()
