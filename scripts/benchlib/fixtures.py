"""The bench database (created, migrated, seeded; Redis emptied), the sample pages in it,
and a check in a subprocess that config.py honours each mode's variables."""
import re
import subprocess
import sys

import psycopg
import redis

from benchlib.settings import (
    ADMIN_DSN, BENCH_DSN, BENCH_ENV, DB_NAME, MODE_ENV, MODE_EXPECT, ROOT, bench_env, log,
)


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
            # seed-demo refuses production: the bench database is seeded as development
            flask + args, cwd=ROOT, env=bench_env({"WEBSHOP_ENV": "development"}),
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"`flask {' '.join(args)}` failed (exit {result.returncode})")
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"], socket_timeout=5).flushdb()


def sample_slugs():
    """(first active product by id, first category by position) in webshop_bench."""
    with psycopg.connect(BENCH_DSN, connect_timeout=5) as conn:
        product = conn.execute(
            "SELECT slug FROM product WHERE active ORDER BY id LIMIT 1"
        ).fetchone()
        category = conn.execute(
            "SELECT slug FROM category ORDER BY position, name LIMIT 1"
        ).fetchone()
    if not product or not category:
        raise SystemExit("no active product or no category in webshop_bench: "
                         "did seed-demo seed anything?")
    return product[0], category[0]


def check_modes():
    """{mode: problem or None}: does create_app() show each mode's settings?"""
    code = (
        "from webshop import create_app\n"
        "app = create_app()\n"
        "print('MODE', app.config.get('PAGE_CACHE'), app.config.get('CACHE_TYPE'))\n"
    )
    problems = {}
    for mode, extra in MODE_ENV.items():
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=bench_env(extra),
                                capture_output=True, text=True, timeout=60)
        found = re.search(r"^MODE (\S+) (\S+)$", result.stdout, re.M)
        if not found:
            tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            problems[mode] = f"create_app() failed: {tail}"
            continue
        page_cache, cache_type = found.group(1) == "True", found.group(2)
        want_page, want_type = MODE_EXPECT[mode]
        wrong = []
        if want_page is not None and page_cache != want_page:
            wrong.append(f"PAGE_CACHE={page_cache}")
        if cache_type != want_type:
            wrong.append(f"CACHE_TYPE={cache_type}")
        problems[mode] = ("config.py gives " + ", ".join(wrong)) if wrong else None
    return problems
