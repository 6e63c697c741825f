#!/usr/bin/env python3
"""What one order costs on the server, step by step, measured in-process.

    .venv/bin/python scripts/orderpath.py [--orders 200] [--warmup 20] [--profile]

The Flask test client against PostgreSQL (the database webshop_orderpath or --db,
created, migrated and seeded if missing; it drops only that one, with --fresh) and
Redis (db 6 unless --redis), production settings with the Stripe sandbox reached
in-process, as gunicorn runs it (no STRIPE_API_BASE). One guest, one session, places
--orders orders after --warmup unmeasured ones, as scripts/loadmix.py's Buyer does:

  add       POST /cart/items (htmx, one item)
  form      GET /checkout
  place     POST /checkout: the order placed, the sandbox's Checkout Session made,
            303 to its payment page (checked)

Per step: CPU ms (time.process_time of this one process, which runs the app and the
sandbox; PostgreSQL's and Redis's own CPU are not in it), SQL statements by kind (a
before_cursor_execute listener; an executemany counts once), database transactions (the
engine's BEGINs, split into commits and rollbacks) and pool checkouts (each one pings
the server first: pool_pre_ping). --profile adds the functions with the most cumulative
time over all steps (cProfile; it slows everything down, so its run's CPU figures are
not the ones to quote). On a shared machine the CPU figures vary by +-10% or more
between runs; the counts do not.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

import argparse  # noqa: E402 (after the switch into the virtualenv)
import re  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import psycopg  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from benchlib.settings import ADMIN_DSN, bench_env  # noqa: E402

DB_NAME = "webshop_orderpath"
STEPS = ("add", "form", "place")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
KEY_INPUT = re.compile(r'name="idempotency_key"[^>]*?value="([^"]+)"')
ADDRESS = {"name": "Order Path", "line1": "1 Bench Street", "city": "Berlin",
           "postal_code": "10115", "country": "DE", "shipping_method": "standard"}
# As scripts/loadmix.py: the orders stay unpaid, so the per-shopper limit is raised.
RUN_ENV = {"MAX_PENDING_ORDERS": "1000000", "RESERVATION_MINUTES": "1440"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders measured (200)")
    parser.add_argument("--warmup", type=int, default=20, help="orders not measured (20)")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured orders")
    parser.add_argument("--top", type=int, default=40, help="functions shown with --profile")
    parser.add_argument("--sort", default="cumulative", help="pstats order (cumulative)")
    parser.add_argument("--only", nargs="*", default=[], help="pstats filters (regular expressions)")
    parser.add_argument("--statements", action="store_true",
                        help="print the SQL of the last order's steps")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--db", default=DB_NAME, help=f"the database's name ({DB_NAME})")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    return parser.parse_args(argv)


def environment(redis_url, name):
    return bench_env({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                      "REDIS_URL": redis_url, **RUN_ENV})


def prepare(name, fresh, env):
    with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["seed-demo"]):
        # seed-demo refuses production: the database is seeded as development
        result = subprocess.run(flask + args, cwd=ROOT, capture_output=True, text=True,
                                env={**env, "WEBSHOP_ENV": "development"}, timeout=300)
        if result.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}",
                         connect_timeout=5) as conn:
        conn.execute("UPDATE product_variant SET stock = 1000000")
        slug, variant_id = conn.execute(
            "SELECT p.slug, v.id FROM product p JOIN product_variant v ON v.product_id = p.id"
            " WHERE p.active ORDER BY p.id, v.id LIMIT 1").fetchone()
    return slug, variant_id


class Counters:
    """What the engine did: statements by kind, transactions, pool checkouts."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.counts, self.last = Counter(), []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", lambda conn: self.counts.update(["transactions"]))
        event.listen(engine, "commit", lambda conn: self.counts.update(["commits"]))
        event.listen(engine, "rollback", lambda conn: self.counts.update(["rollbacks"]))
        event.listen(engine.pool, "checkout", lambda *a: self.counts.update(["checkouts"]))

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.counts.update(["statements", statement.lstrip().split(None, 1)[0].upper()])
        self.last.append(" ".join(statement.split())[:160])

    def take(self):
        counts, self.counts, self.last = self.counts, Counter(), []
        return counts


class Shopper:
    """One browser: the test client's cookies and the CSRF token of the last page."""

    HEADERS = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}

    def __init__(self, app, slug, variant_id):
        self.client = app.test_client()
        self.variant_id = variant_id
        self.token = self._token(self.client.get(f"/products/{slug}"))

    def _token(self, response):
        found = CSRF_INPUT.search(response.get_data(as_text=True))
        return found.group(1) if found else getattr(self, "token", None)

    def add(self):
        response = self.client.post(
            "/cart/items", data={"variant_id": self.variant_id, "quantity": 1,
                                 "csrf_token": self.token},
            headers={**self.HEADERS, "HX-Request": "true", "X-CSRFToken": self.token})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    def form(self):
        response = self.client.get("/checkout")
        assert response.status_code == 200, response.status_code
        self.token = self._token(response)
        self.key = KEY_INPUT.search(response.get_data(as_text=True)).group(1)

    def place(self):
        response = self.client.post("/checkout", headers=self.HEADERS, data={
            **ADDRESS, "email": f"guest{time.monotonic_ns()}@example.com",
            "idempotency_key": self.key, "csrf_token": self.token})
        location = response.headers.get("Location", "")
        assert response.status_code == 303 and "/_sandbox/stripe/pay/" in location, (
            response.status_code, location, response.get_data(as_text=True)[:500])


def run(args):
    env = environment(args.redis, args.db)
    slug, variant_id = prepare(args.db, args.fresh, env)
    os.environ.update(env)
    import logging
    import warnings

    import redis
    redis.Redis.from_url(args.redis).flushdb()
    warnings.simplefilter("ignore")
    from webshop import create_app
    from webshop.extensions import db
    app = create_app()
    logging.disable(logging.WARNING)  # the access log's lines are not the figures
    with app.app_context():
        engine = db.engine
    counters = Counters(engine)
    shopper = Shopper(app, slug, variant_id)
    for _ in range(args.warmup):
        for step in STEPS:
            getattr(shopper, step)()
    counters.take()
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
    cpu = Counter()
    counts = {step: Counter() for step in STEPS}
    statements = {}
    for _ in range(args.orders):
        for step in STEPS:
            if profiler:
                profiler.enable()
            started = time.process_time()
            getattr(shopper, step)()
            cpu[step] += time.process_time() - started
            if profiler:
                profiler.disable()
            statements[step] = counters.last
            counts[step] += counters.take()
    report(args, cpu, counts)
    if args.statements:
        for step in STEPS:
            print(f"\n{step}:\n  " + "\n  ".join(statements[step]))
    if profiler:
        import pstats
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(*args.only, args.top)


def report(args, cpu, counts):
    n = args.orders
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"\n{n} orders in-process (after {args.warmup} not measured), load average "
          f"{load}{', under cProfile' if args.profile else ''}; per order:")
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE")
    print(f"{'step':8} {'CPU ms':>7} {'SQL':>5} " + " ".join(f"{k:>6}" for k in kinds)
          + f" {'other':>5} {'xacts':>5} {'commit':>6} {'rollbk':>6} {'pool':>5}")
    total = Counter()
    for step in (*STEPS, "order"):
        c = total if step == "order" else counts[step]
        ms = sum(cpu.values()) if step == "order" else cpu[step]
        other = c["statements"] - sum(c[k] for k in kinds)
        print(f"{step:8} {1000 * ms / n:7.2f} {c['statements'] / n:5.1f} "
              + " ".join(f"{c[k] / n:6.1f}" for k in kinds)
              + f" {other / n:5.1f} {c['transactions'] / n:5.1f} {c['commits'] / n:6.1f}"
              f" {c['rollbacks'] / n:6.1f} {c['checkouts'] / n:5.1f}")
        if step != "order":
            total += c


if __name__ == "__main__":
    run(parse_args())
