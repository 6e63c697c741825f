"""Column helpers shared by every model module."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column


def utcnow():
    return datetime.now(timezone.utc)


def as_utc(value):
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def created_at_column(**kwargs):
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False, **kwargs)


def updated_at_column():
    return mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)


def locked(model, id_):
    """The row, re-read under a row lock (SELECT ... FOR UPDATE) so concurrent changes
    queue up; LookupError if there is none."""
    from sqlalchemy import select

    from webshop.extensions import db

    row = db.session.scalar(
        select(model).where(model.id == id_).with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise LookupError(f"No {model.__name__} {id_}")
    return row


def insert_if_absent(session, table, keys, **values):
    """INSERT the row unless one with the same `keys` (a unique index's columns) exists,
    without a savepoint (SQLite's driver mishandles them inside a transaction): ON
    CONFLICT DO NOTHING, on PostgreSQL after waiting for a concurrent insert of it."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
        session.get_bind().dialect.name]
    session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


def commit_keeping(*objects):
    """Commit the session like db.session.commit(), but keep `objects` loaded: they hold
    what this transaction has just written (or read), so using them after the commit
    costs no query and opens no new transaction. Everything else is expired, as every
    commit does."""
    from webshop.extensions import db

    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    if expire:
        keep = {id(obj) for obj in objects}
        for obj in list(session.identity_map.values()):
            if id(obj) not in keep:
                session.expire(obj)
