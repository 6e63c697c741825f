"""typo-tolerant search (pg_trgm, SQLite FTS5)

PostgreSQL: the pg_trgm extension (in Debian's postgresql package, the contrib files)
and a GIN trigram index on product names, for the `%` / `%>` similarity operators
webshop.search uses beside the full-text index.

SQLite: an FTS5 table over product names and descriptions with the porter stemmer
("mugs" finds "Mug"), an external-content table kept in step with `product` by
triggers, so every way a product is written (admin, CLI, demo, raw SQL) updates it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 16:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE product_fts USING fts5(name, description, content='product', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN "
    "INSERT INTO product_fts(rowid, name, description) "
    "VALUES (new.id, new.name, new.description); END",
    "CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, name, description) "
    "VALUES ('delete', old.id, old.name, old.description); END",
    "CREATE TRIGGER product_fts_update AFTER UPDATE OF name, description ON product BEGIN "
    "INSERT INTO product_fts(product_fts, rowid, name, description) "
    "VALUES ('delete', old.id, old.name, old.description); "
    "INSERT INTO product_fts(rowid, name, description) "
    "VALUES (new.id, new.name, new.description); END",
    "INSERT INTO product_fts(product_fts) VALUES ('rebuild')",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_product_name_trgm", "product", ["name"], postgresql_using="gin",
                        postgresql_ops={"name": "gin_trgm_ops"})
    elif dialect == "sqlite":
        # The models' index has no trigram kind here: a plain one (it serves name sorts).
        op.create_index("ix_product_name_trgm", "product", ["name"])
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_product_name_trgm", table_name="product")
        # The extension stays: other databases objects may use it, and it costs nothing.
    elif dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS product_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS product_fts")
        op.drop_index("ix_product_name_trgm", table_name="product")
