"""Fixtures with real components: a PostgreSQL database of our own, Redis, a live server.

The database is created for this test run under a unique name and dropped at the end;
nothing else on the server is touched. Every test starts from empty tables and an
empty Redis database (a dedicated number).
"""
import atexit
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
import redis as redis_lib
from sqlalchemy import event, text
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from tests.helpers import csrf_token, log_in_new_user
from tests.pricing_helpers import PRICING_TABLES, ensure_defaults as ensure_pricing_defaults
from webshop import create_app, safe_cache
from webshop.web import ratelimit
from webshop.extensions import db as _db
from webshop.models import User

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex
CLAIM_KEY = "webshop-test-run"


def _claim_redis_db():
    """A Redis database number of our own: each test empties it, so two test runs at the
    same time (two checkouts, CI beside a developer) must not share one."""
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"]
    for number in (13, 12, 11, 10, 9, 8):
        url = f"redis://127.0.0.1:6379/{number}"
        if redis_lib.Redis.from_url(url).set(CLAIM_KEY, RUN_ID, nx=True, ex=3 * 3600):
            atexit.register(_release_redis_db, url)  # also when collection fails
            return url
    raise RuntimeError("Redis databases 8-13 are all claimed by other test runs")


def _release_redis_db(url):
    client = redis_lib.Redis.from_url(url)
    if client.get(CLAIM_KEY) == RUN_ID.encode():
        client.delete(CLAIM_KEY)


REDIS_TEST_URL = _claim_redis_db()


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


@pytest.fixture
def sqlite_app(tmp_path):
    """The app with the embedded defaults (`make run`): SQLite in a file, no Redis; its
    database is not migrated yet."""
    return create_app({
        "WEBSHOP_ENV": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}",
        "REDIS_URL": None,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    })


@pytest.fixture(scope="session")
def redis_client():
    client = redis_lib.Redis.from_url(REDIS_TEST_URL)
    client.ping()
    yield client
    if client.get(CLAIM_KEY) == RUN_ID.encode():
        client.flushdb()  # ours: leave it empty and unclaimed


@pytest.fixture(autouse=True)
def clean_state(request, redis_client):
    """Empty tables and an empty Redis test database before every test that uses them."""
    # One transaction: another run never sees the database unclaimed between the two.
    redis_client.pipeline(transaction=True).flushdb().set(CLAIM_KEY, RUN_ID, ex=3 * 3600).execute()
    safe_cache.reset()
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables
                               if t.name not in PRICING_TABLES)  # kept: tests/pricing_helpers
            _db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.session.commit()
            ensure_pricing_defaults()
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


@pytest.fixture
def staff(db, client):
    """The test client, logged in as staff@example.com (staff); `staff.token` is the
    CSRF token for its forms."""
    client.token = log_in_new_user(client)
    return client


@pytest.fixture
def staff_token(staff):
    """For tests that use `client` and a token apart: the client is logged in as staff
    (the `staff` fixture), and this is its CSRF token."""
    return staff.token


@pytest.fixture
def admin(db, client):
    """The test client, logged in as boss@example.com (an admin); `admin.token` is the
    CSRF token for its forms, `admin.me` the admin's user row."""
    client.token = log_in_new_user(client, "boss@example.com", role="admin")
    client.me = _db.session.scalar(_db.select(User).where(User.email == "boss@example.com"))
    return client


_UNSET = object()


def _put_back(config, saved):
    for key, value in saved.items():
        if value is _UNSET:
            config.pop(key, None)
        else:
            config[key] = value


class Settings:
    """Changes to the app's settings that last one test at most (the app is shared by
    the whole run, so a setting left behind would change the tests that come after).

    `settings(FREE_SHIPPING_OVER=0)` holds until the test ends;
    `with settings(REDIS_URL=None): ...` holds for the block only.
    A setting the app did not have before is removed again.
    """

    def __init__(self, config):
        self._config = config
        self._before_test = {}

    def __call__(self, **values):
        before = {key: self._config.get(key, _UNSET) for key in values}
        for key, value in before.items():
            self._before_test.setdefault(key, value)
        self._config.update(values)
        return _Restore(self._config, before)

    def restore(self):
        _put_back(self._config, self._before_test)
        self._before_test = {}


class _Restore:
    def __init__(self, config, saved):
        self._config, self._saved = config, saved

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _put_back(self._config, self._saved)


@pytest.fixture
def settings(app):
    """Change app settings for this test only: `settings(MAIL_PORT=25)`, or as a block:
    `with settings(REDIS_URL=None): ...`. Everything is put back when the test ends."""
    changes = Settings(app.config)
    yield changes
    changes.restore()


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
def http_server(app):
    """The app served over real HTTP on a free port, for the whole run; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_server(http_server, settings):
    """The URL of the app served over real HTTP, for the browser.

    The Stripe sandbox is served by this server too: BASE_URL points here during the
    test, so the sandbox's webhooks (and the links in emails) come back to it.
    """
    settings(BASE_URL=http_server)
    return http_server


@pytest.fixture
def shop(live_server, client, db):
    """A shopper (the test client, `shop.token` its CSRF token) in a shop whose Stripe
    sandbox and webhooks are live."""
    client.token = csrf_token(client, "/login")
    return client


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


# --- mail and the RQ worker -------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self):
        self.messages = []
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.received:
            self.messages.append(message)
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=10):
        """Block until `count` messages have arrived (or the timeout); returns them."""
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server():
    """An SMTP server in the test process (aiosmtpd), for the whole run."""
    from aiosmtpd.controller import Controller

    controller = Controller(SmtpSink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_sink(settings, smtp_server):
    """The app sends its mail to the test SMTP server; returns the SmtpSink (emptied)."""
    sink = smtp_server.handler
    with sink.received:
        sink.messages.clear()
    settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    return sink


@pytest.fixture
def fast_retries(settings):
    """Jobs enqueued during the test retry after 1 s instead of minutes."""
    settings(JOB_RETRY_INTERVALS=[1])


@pytest.fixture
def worker_env(database_url, smtp_server):
    """Environment for a worker.py process that shares the test database, Redis db and SMTP."""
    return {
        **os.environ, "WEBSHOP_ENV": "testing", "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_TEST_URL, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def run_worker(worker_env):
    """Run `python worker.py --burst` (a real RQ worker) until the queues are empty.

    run_worker(*extra_args, env={...overrides}) -> CompletedProcess (stderr has the log).
    """
    def run(*args, env=None, timeout=60):
        result = subprocess.run(
            [sys.executable, "worker.py", "--burst", *args], cwd=ROOT,
            env={**worker_env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
        )
        assert result.returncode == 0, result.stderr
        return result
    return run
