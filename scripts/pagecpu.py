#!/usr/bin/env python3
"""CPU per request of single pages, measured in-process: what a page costs the app
itself, whatever else runs on the machine.

    .venv/bin/python scripts/pagecpu.py [--requests 400] [--profile 20] [--only NAME]

It builds the app as production runs it (WEBSHOP_ENV=production, JSON logs, the bench
database and Redis db 14 of `make bench`, prometheus_client in multiprocess mode in a
temporary folder) and calls the WSGI app directly, as gunicorn does (WhiteNoise, the
proxy fix and every hook included; gunicorn's own HTTP parsing and access log are not).
Per page: a warm-up, then `time.process_time()` over --requests requests (the best of
--repeat rounds, which the CPU scheduling of a shared machine disturbs least), and with
--profile N a cProfile of the same requests: the N functions with the most time of
their own and the N with the most cumulative time.

The pages (sessionless visitors, as a CDN or a first visit ask; `make bench`'s rows):
  healthz         GET /healthz, the hello-world route (no template, no cache, no SQL)
  list-cached     GET /products, page cache on (the page comes from the catalogue cache)
  product-off     GET /products/<first product>, WEBSHOP_PAGE_CACHE=0: rendered each time
  product-cookie  the same with a returning shopper's session cookie (a cart)

Run `make bench` (or scripts/bench.py) once first: it creates and seeds webshop_bench.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
from benchlib.fixtures import sample_slugs  # noqa: E402
from benchlib.settings import BENCH_ENV, MODE_VARS  # noqa: E402

PAGES = ("healthz", "list-cached", "product-off", "product-cookie")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="measured requests per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per page (best is kept)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions of each page (cProfile)")
    parser.add_argument("--only", choices=PAGES, action="append",
                        help="measure only this page (repeatable)")
    return parser.parse_args()


def make_app(page_cache):
    from webshop import create_app

    app = create_app({"WEBSHOP_ENV": "production"})
    app.config["PAGE_CACHE"] = page_cache
    return app


def environ_for(app, path, cookie=None):
    """A WSGI environ as gunicorn builds it (made once; copied per request)."""
    from werkzeug.test import EnvironBuilder

    headers = {"Accept": "text/html", "Accept-Encoding": "gzip, br",
               "Accept-Language": "en-GB,en;q=0.9", "User-Agent": "pagecpu"}
    if cookie:
        headers["Cookie"] = cookie
    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1:8000", headers=headers)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def request(app, environ):
    """One request through the whole WSGI stack; its status."""
    status = []
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(b"")
    body = app(env, lambda s, h, exc_info=None: status.append(s))
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return status[0]


def session_cookie(app, product):
    """A returning shopper's cookie: one item in the cart (POST /cart/items, no token
    needed for a first, same-origin add)."""
    client = app.test_client()
    page = client.get(product)
    import re
    variant = re.search(rb'name="variant_id" value="(\d+)"', page.data)
    response = client.post("/cart/items", data={"variant_id": variant.group(1).decode(),
                                                "quantity": "1"},
                           headers={"Sec-Fetch-Site": "same-origin"})
    cookie = response.headers.get("Set-Cookie", "")
    if response.status_code >= 400 or not cookie.startswith("session="):
        raise SystemExit(f"could not make a shopper's session ({response.status_code})")
    return cookie.split(";")[0]


def measure(app, environ, args):
    """(best CPU ms per request over the rounds, the status)."""
    for _ in range(args.warmup):
        status = request(app, environ)
    best = None
    for _ in range(args.repeat):
        started = time.process_time()
        for _ in range(args.requests):
            request(app, environ)
        spent = (time.process_time() - started) * 1000 / args.requests
        best = spent if best is None else min(best, spent)
    return best, status


def profile(app, environ, args):
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.requests):
        request(app, environ)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(args.profile)
        text = out.getvalue()
        print(text[text.find("   ncalls"):].rstrip() + "\n")


def main():
    args = parse_args()
    os.environ.update(BENCH_ENV)
    for name in MODE_VARS:
        os.environ.pop(name, None)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pagecpu-metrics-")
    import logging
    product = "/products/" + sample_slugs()[0]
    cached, uncached = make_app(True), make_app(False)
    logging.getLogger().setLevel(logging.WARNING)  # start-up notices, not figures
    cookie = session_cookie(uncached, product)
    plans = {
        "healthz": (cached, "/healthz", None),
        "list-cached": (cached, "/products", None),
        "product-off": (uncached, product, None),
        "product-cookie": (uncached, product, cookie),
    }
    results = {}
    for name in args.only or PAGES:
        app, path, with_cookie = plans[name]
        environ = environ_for(app, path, with_cookie)
        cpu, status = measure(app, environ, args)
        results[name] = cpu
        print(f"{name:<15} {path[:40]:<40} {status:<8} {cpu:6.3f} ms CPU per request "
              f"(~{1000 / cpu:,.0f} req/s per core)", flush=True)
        if args.profile:
            profile(app, environ, args)
    if "healthz" in results:
        for name in ("list-cached", "product-off"):
            if name in results:
                print(f"{name}: {results['healthz'] / results[name]:.2f} x the hello-world "
                      "route's CPU cost")


if __name__ == "__main__":
    main()
