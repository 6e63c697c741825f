#!/usr/bin/env python3
"""Throughput benchmark: gunicorn + PostgreSQL + Redis, loaded with wrk. Prints figures.

    .venv/bin/python scripts/bench.py [--worker-class gthread|sync] [--duration 6] [--repeat 3]

What it does:
  1. creates the PostgreSQL database `webshop_bench` if it is missing (--fresh drops and
     recreates that database only; no other database is ever dropped), runs
     `flask db upgrade` and `flask seed-demo` against it, and empties Redis db 14;
  2. measures three modes, each in its own gunicorn start (default: 2 gthread workers x 4
     threads); config.py reads the environment variables:
       cached           default settings
       page-cache off   WEBSHOP_PAGE_CACHE=0: whole pages are not cached; each request
                        renders the page (data and fragments such as the category list
                        and, today, the product-list results are still cached: the SQL
                        column shows what each page still asks the database)
       no cache at all  WEBSHOP_CACHE_DISABLED=1: Flask-Caching's NullCache
     The script checks in a subprocess that config.py honours each variable and labels
     the mode when it does not;
  3. loads each URL like a returning browser: it GETs / once, keeps the `session`
     cookie from Set-Cookie (adopting the one re-issued on the next request, as a browser
     does) and sends it with every wrk request. One row, /products without a cookie
     ("first visit"), shows what a new visitor's requests cost;
  4. per URL: wrk for --warmup seconds (discarded), then --repeat measured runs of
     --duration seconds; it prints the median and best req/s, p50/p99 latency of the
     median run, the spread, non-2xx responses and socket errors. Two things made the
     old figures noisy, and each run is checked for both:
       - wrk opens all its keep-alive connections at once; sometimes one gunicorn
         worker accepts every one and the other idles for the whole run (the figure
         halves). Such a run is restarted (--restart-budget) and otherwise flagged;
       - other processes (test suites, browsers) share the 2 CPUs. A run during which
         they used more than 10% of the machine is re-run once per URL (--retry-budget)
         and otherwise flagged, with the busiest process named;
  5. counts the SQL statements per page in-process (Flask test client, a
     before_cursor_execute listener on the app's engine): page cache off and cached;
  6. prints a summary against the targets: cached catalogue page >= 3000 req/s,
     uncached product page >= 1200 req/s, no storefront page above 5 queries.

It never asserts: it prints tables. gunicorn is always shut down, and every step is
bounded in time (about 3-3.5 minutes with the defaults).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# Run inside the project's virtualenv (psycopg, redis and the app live there).
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

from benchlib.cli import main  # noqa: E402 (after the switch into the virtualenv)

if __name__ == "__main__":
    main(__doc__.split("\n")[0])
