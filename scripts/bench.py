#!/usr/bin/env python3
"""Throughput benchmark: gunicorn + PostgreSQL + Redis, loaded with wrk. Prints figures.

    .venv/bin/python scripts/bench.py [--worker-class gthread|sync] [--duration 10]

What it does:
  1. creates the PostgreSQL database `webshop_bench` if it is missing (--fresh drops and
     recreates that database only; no other database is ever dropped), runs
     `flask db upgrade` and `flask seed-demo` against it, and empties Redis db 14;
  2. starts gunicorn on a free loopback port, waits for /healthz, warms the pages, and
     runs wrk (2 threads, 32 connections, --duration seconds) on /products, a product
     page, / and /healthz;
  3. restarts gunicorn with WEBSHOP_CACHE_DISABLED=1 and loads the product page again
     ("uncached"). config.py must honour that variable (CACHE_TYPE = "NullCache" when it
     is set); the script checks, and labels the row when config.py does not;
  4. counts the SQL queries per page in-process (the same app, cached and uncached).

It never asserts: it prints a table. gunicorn is always shut down, and every step is
bounded in time (the whole run takes about 70-90 s with the defaults).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# Run inside the project's virtualenv (psycopg, redis and the app live there).
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

import psycopg  # noqa: E402
import redis  # noqa: E402

DB_NAME = "webshop_bench"  # the only database this script creates or drops
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_ENV = {
    "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "WEBSHOP_ENV": "production",
    "SECRET_KEY": "bench",
}
CACHE_OFF_ENV = {"WEBSHOP_CACHE_DISABLED": "1"}


def log(message):
    print(f"[bench] {message}", flush=True)


def bench_env(extra=None):
    env = dict(os.environ)
    env.update(BENCH_ENV)
    env.update(extra or {})
    return env


# --- database --------------------------------------------------------------------------

def prepare_database(fresh):
    with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
        ).fetchone()
        if exists and fresh:
            log(f"dropping and recreating {DB_NAME}")
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {DB_NAME}")
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["seed-demo"]):
        log("flask " + " ".join(args))
        result = subprocess.run(
            flask + args, cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"`flask {' '.join(args)}` failed (exit {result.returncode})")
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"], socket_timeout=5).flushdb()


def product_slug():
    dsn = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT slug FROM product WHERE active ORDER BY id LIMIT 1"
        ).fetchone()
    if not row:
        raise SystemExit("no active product in webshop_bench: did seed-demo seed anything?")
    return row[0]


# --- gunicorn --------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, worker_class, workers, threads, logdir, extra_env=None, name="gunicorn"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "wsgi:app",
            "-w", str(workers), "-k", worker_class,
            "-b", f"127.0.0.1:{self.port}",
            "--no-control-socket", "--graceful-timeout", "5",
        ]
        if worker_class == "gthread":
            cmd += ["--threads", str(threads)]
        self.logfile = open(Path(logdir) / f"{name}.log", "w")
        self.name = name
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=bench_env(extra_env),
            stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.name} did not answer /healthz; see {self.logfile.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session, started above
                self.proc.wait(timeout=5)
        self.logfile.close()


def fetch(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- wrk -------------------------------------------------------------------------------

def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's wrk with apt-get")
    sudo = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
    if sudo is None:
        raise SystemExit("wrk is missing; as root run: apt-get update && apt-get install -y wrk")
    subprocess.run(sudo + ["apt-get", "update"], check=True, timeout=300)
    subprocess.run(sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
                           "-y", "wrk"], check=True, timeout=300)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def run_wrk(url, duration, threads, connections):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "--timeout", "5s", url]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 20).stdout
    except subprocess.TimeoutExpired:
        return {"error": "wrk timed out"}
    result = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "errors": ""}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        if m := re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", out, re.M):
            result["p" + pct] = to_ms(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        result["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors:(.*)", out):
        result["errors"] = m.group(1).strip()
    if result["rps"] is None:
        result["error"] = (out.strip().splitlines() or ["no output"])[-1]
    return result


# --- SQL queries per page (in-process) -------------------------------------------------

def count_queries(paths):
    """Queries per request, with the Redis cache warm and with a NullCache app."""
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(ROOT))
    import warnings

    from sqlalchemy import event

    from webshop import create_app
    from webshop.extensions import db

    warnings.filterwarnings("ignore", message="Flask-Caching: CACHE_TYPE is set to NullCache")
    counts = {}
    for label, overrides in (("cached", {}), ("uncached", {"CACHE_TYPE": "NullCache"})):
        app = create_app({"WEBSHOP_ENV": "production", **overrides})
        with app.app_context():
            statements = []

            def before(conn, cursor, statement, *args):
                statements.append(statement)

            engine = db.engine
            event.listen(engine, "before_cursor_execute", before)
            try:
                client = app.test_client()
                for path in paths:
                    client.get(path)  # warm (cache, pool)
                    statements.clear()
                    client.get(path)
                    counts[(label, path)] = len(statements)
            finally:
                event.remove(engine, "before_cursor_execute", before)
            engine.dispose()
    return counts


def cache_disabled_honoured():
    """Does config.py turn the cache off for WEBSHOP_CACHE_DISABLED=1?"""
    code = (
        "import os; os.environ.update(%r)\n"
        "from webshop import create_app\n"
        "print(create_app().config.get('CACHE_TYPE'))\n" % {**BENCH_ENV, **CACHE_OFF_ENV}
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    lines = result.stdout.strip().splitlines()
    return bool(lines) and lines[-1] in ("NullCache", "null", "flask_caching.backends.NullCache")


# --- main ------------------------------------------------------------------------------

def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true",
                        help=f"drop and recreate the {DB_NAME} database first")
    parser.add_argument("--no-uncached", action="store_true", help="skip the uncached run")
    args = parser.parse_args()

    started = time.monotonic()
    ensure_wrk()
    prepare_database(args.fresh)
    slug = product_slug()
    product = f"/products/{slug}"
    logdir = tempfile.mkdtemp(prefix="webshop-bench-")

    runs = [("/products", "cached"), (product, "cached"), ("/", "cached"), ("/healthz", "")]
    results = []

    def load(server, path, note):
        for _ in range(3):
            status = fetch(server.base + path)
        log(f"wrk {path} {note} (warm-up status {status})")
        result = run_wrk(server.base + path, args.duration, args.wrk_threads, args.connections)
        results.append((path, note, status, result))

    server = Gunicorn(args.worker_class, args.workers, args.threads, logdir)
    try:
        server.wait_ready()
        log(f"gunicorn {args.worker_class} x{args.workers} on {server.base}")
        for path, note in runs:
            load(server, path, note)
    finally:
        server.stop()

    if not args.no_uncached:
        honoured = cache_disabled_honoured()
        note = "uncached" if honoured else "uncached? (config.py ignores WEBSHOP_CACHE_DISABLED)"
        server = Gunicorn(args.worker_class, args.workers, args.threads, logdir,
                          extra_env=CACHE_OFF_ENV, name="gunicorn-nocache")
        try:
            server.wait_ready()
            load(server, product, note)
        finally:
            server.stop()

    try:
        queries = count_queries(["/products", product, "/"])
    except Exception as exc:  # figures only: a failure here must not hide the table
        log(f"query counting skipped: {exc.__class__.__name__}: {exc}")
        queries = {}

    workers = f"{args.workers} {args.worker_class} workers"
    if args.worker_class == "gthread":
        workers += f" x {args.threads} threads"
    print()
    print(f"gunicorn: {workers}; wrk: {args.wrk_threads} threads, "
          f"{args.connections} connections, {args.duration}s per URL")
    header = f"{'URL':<44} {'mode':<10} {'status':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for path, note, status, r in results:
        mode = note.split(" ")[0] if note else "-"
        line = (f"{path[:44]:<44} {mode:<10} {status:>6} {fmt(r.get('rps'), '9.1f')} "
                f"{fmt(r.get('p50'), '8.2f')} {fmt(r.get('p99'), '8.2f')}")
        extras = []
        if r.get("error"):
            extras.append(r["error"])
        if r.get("non2xx"):
            extras.append(f"{r['non2xx']} non-2xx")
        if r.get("errors"):
            extras.append("socket errors: " + r["errors"])
        if " " in note:
            extras.append(note.split(" ", 1)[1])
        print(line + ("  " + "; ".join(extras) if extras else ""))
    if queries:
        print()
        print("SQL queries per request (second request, in-process):")
        for path in ["/products", product, "/"]:
            print(f"  {path:<44} cached {queries.get(('cached', path), '-'):>3}   "
                  f"uncached {queries.get(('uncached', path), '-'):>3}")
    print(f"\nlogs: {logdir}   total time: {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
