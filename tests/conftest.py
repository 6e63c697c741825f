"""Fixtures with real components: a PostgreSQL database of our own, Redis, a live server.

The database is created for this test run under a unique name and dropped at the end;
nothing else on the server is touched. Every test starts from empty tables and an
empty Redis database (a dedicated number).
"""
import os
import threading
import uuid

import psycopg
import pytest
import redis as redis_lib
from sqlalchemy import event, text
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from webshop import catalog, create_app, ratelimit
from webshop.extensions import db as _db

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture(scope="session")
def database_url():
    name = f"webshop_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class FreshContextClient(FlaskClient):
    """Each request gets its own application context, as in production.

    Flask reuses an already pushed app context (the `db` fixture's) for requests, which
    would share `g` (CSRF token, catalogue version) between requests and clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "WEBSHOP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_TEST_URL,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "RATELIMIT_ENABLED": True,
        "SERVER_NAME": None,
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    return app


@pytest.fixture(scope="session")
def redis_client():
    client = redis_lib.Redis.from_url(REDIS_TEST_URL)
    client.ping()
    return client


@pytest.fixture(autouse=True)
def clean_state(request, redis_client):
    """Empty tables and an empty Redis test database before every test that uses them."""
    redis_client.flushdb()
    catalog._cache_down_until = 0.0
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            _db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.session.commit()
            ratelimit.reset()
    yield


@pytest.fixture
def ctx(app):
    """An application context for domain-level tests."""
    with app.app_context():
        yield
        _db.session.remove()


@pytest.fixture
def db(ctx):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


class QueryCounter:
    def __init__(self):
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Counts SQL statements sent while the `with` block runs: `with count_queries() as q:`."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = _db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)
    return counting


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over real HTTP on a free port, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }
