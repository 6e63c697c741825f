#!/usr/bin/env python3
"""Edge benchmark: anonymous catalogue pages from the app's page cache and from nginx's
micro-cache (the CDN stand-in), each against the hello-world route, with wrk. Prints figures.

    .venv/bin/python scripts/edgebench.py [--duration 6] [--repeat 3] [--connections 32]

1. the bench database as scripts/bench.py prepares it (webshop_bench, demo catalogue);
2. the app alone, as production runs it (gunicorn -c deploy/gunicorn.conf.py, production
   settings with the Stripe sandbox): wrk on GET /healthz (the hello-world route), then on
   each anonymous catalogue page (home, list, category, search, product) served from the
   app's page cache: issue 14's "cached page >= 75% of hello-world";
3. scripts/cluster.py's layout (nginx, one worker process per CPU, in front of 2 gunicorn
   instances): each page is fetched until nginx says X-Cache-Status: HIT, then wrk on it
   through nginx: issue 14's "through nginx's micro-cache >= 3x hello-world" (the
   hello-world of step 2: the app's own best answer).

Bounded (about 3 minutes with the defaults), loopback only, never asserts; every server is
stopped whatever happens. wrk runs on the same 2 CPUs and takes part of them, so the
ratios, measured on the same run, say more than the absolute figures.
"""
import argparse
import os
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

sys.path.insert(0, str(ROOT / "scripts"))
from benchlib.fixtures import prepare_database, sample_slugs  # noqa: E402
from benchlib.load import ensure_wrk, measure  # noqa: E402
from benchlib.server import Gunicorn  # noqa: E402
from benchlib.settings import BENCH_ENV, log  # noqa: E402
from cluster import Cluster  # noqa: E402

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
TARGET_APP_SHARE = 0.75  # a cached page served by the app, against /healthz
TARGET_EDGE_TIMES = 3.0  # a page from nginx's micro-cache, against the app's /healthz


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds per measured wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per URL")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded wrk per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="recreate webshop_bench first")
    args = parser.parse_args()
    if min(args.duration, args.repeat, args.warmup) < 1:
        parser.error("--duration, --repeat and --warmup must be at least 1")
    return args


def pages():
    slug, category = sample_slugs()
    return [("home", "/"), ("list", "/products"), ("category", f"/categories/{category}"),
            ("search", "/products?q=coffee"), ("product", f"/products/{slug}")]


def cache_status(url):
    request = urllib.request.Request(url)
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status, response.headers.get("X-Cache-Status"), \
            response.headers.get("Set-Cookie")


def until_hit(url, tries=20):
    """Fetch until nginx answers from its cache; the last (status, cache status)."""
    status = cached = None
    for _ in range(tries):
        status, cached, _ = cache_status(url)
        if cached == "HIT":
            break
        time.sleep(0.1)
    return status, cached


class Nginx:
    """What benchlib.load asks of a server: its master's pid (its workers' CPU is ours, not
    a disturbance) and a worker class without gunicorn's connection-balance check."""
    worker_class = "nginx"

    def __init__(self, process):
        self.proc = process


def row(name, summary, hello=None):
    rps = summary.get("median")
    ratio = f"{rps / hello:5.2f}" if rps and hello else "    -"
    flags = []
    if summary.get("non2xx") or summary.get("errors") or summary.get("failed"):
        flags.append(f"{summary.get('non2xx', 0)} non-2xx, {summary.get('errors', 0)} socket "
                     f"errors {summary.get('error', '')}".strip())
    if summary.get("disturbed"):
        flags.append(f"{summary['disturbed']} run(s) disturbed ({summary['who']})")
    if summary.get("spread") and summary["spread"] > 0.10:
        flags.append(f"spread {summary['spread']:.0%}")
    print(f"  {name:<34} {rps or 0:>8.0f} {summary.get('best') or 0:>8.0f} {ratio}  "
          f"{summary.get('p50') or 0:>6.2f} {summary.get('p99') or 0:>7.2f}  {'; '.join(flags)}")
    return rps


def header(title):
    print(f"\n{title}\n  {'page':<34} {'req/s':>8} {'best':>8} x hello  {'p50 ms':>6} "
          f"{'p99 ms':>7}  notes")


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with open("/proc/loadavg") as f:
        log(f"load average at the start: {f.read().split()[0]} on {os.cpu_count()} CPUs")
    ensure_wrk()
    prepare_database(args.fresh)
    targets = pages()
    workdir = Path(tempfile.mkdtemp(prefix="webshop-edgebench-"))
    budget = {"seconds": 12, "restarts": 10}
    figures = {}

    (workdir / "metrics-app").mkdir()
    app = Gunicorn("gthread", None, None, workdir, name="gunicorn-app", config=GUNICORN_CONF,
                   extra_env={"PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics-app"),
                              "GUNICORN_LOG_LEVEL": "warning"})
    try:
        app.wait_ready(timeout=60)
        log(f"app alone: gunicorn -c deploy/gunicorn.conf.py on {app.base}")
        header("App alone (its page cache), against its own GET /healthz")
        hello = row("/healthz (hello-world)",
                    measure(app.base + "/healthz", args, None, app, budget))
        for name, path in targets:
            cache_status(app.base + path)  # fills the page cache
            summary = measure(app.base + path, args, None, app, budget)
            figures[("app", name)] = row(f"{name} {path}"[:34], summary, hello)
    finally:
        app.stop()

    env = {**BENCH_ENV, "WEBSHOP_ENV": "production",
           "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics-cluster")}
    (workdir / "metrics-cluster").mkdir()
    cluster = Cluster(env, web=2, workers=0, run_dir=workdir / "cluster", nginx_workers="auto")
    try:
        cluster.start()
        log(f"through nginx: {cluster.url} -> 2 gunicorn instances x 1 worker x 4 threads")
        header("Through nginx's micro-cache (every request a HIT), against the app's /healthz")
        for name, path in targets:
            status, cached = until_hit(cluster.url + path)
            if cached != "HIT":
                print(f"  {name} {path}: nginx did not cache it (status {status}, "
                      f"X-Cache-Status {cached}): not measured")
                continue
            summary = measure(cluster.url + path, args, None, Nginx(cluster.nginx), budget)
            figures[("nginx", name)] = row(f"{name} {path}"[:34], summary, hello)
    finally:
        cluster.stop()

    print("\nSummary against issue 14's targets (median req/s of the same run):")
    for kind, target, label in (("app", TARGET_APP_SHARE, "cached page from the app"),
                                ("nginx", TARGET_EDGE_TIMES, "page through nginx's cache")):
        got = [(name, rps) for (k, name), rps in figures.items() if k == kind and rps]
        if not got or not hello:
            print(f"  {label:<28} not measured")
            continue
        worst = min(got, key=lambda item: item[1])
        verdict = "MET" if worst[1] / hello >= target else "NOT MET"
        print(f"  {label:<28} worst {worst[0]} {worst[1]:.0f} req/s = {worst[1] / hello:.2f} x "
              f"hello ({hello:.0f})   target >= {target:g} x   {verdict}")
    log(f"logs: {workdir}")


if __name__ == "__main__":
    main()
