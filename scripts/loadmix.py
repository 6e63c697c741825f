#!/usr/bin/env python3
"""Mixed shopper load: the shop under a realistic mix, app alone and through nginx.

    make bench-mix                                   # both targets, mix and orders modes
    .venv/bin/python scripts/loadmix.py --target app --mode mix --duration 10

Virtual shoppers (locust, headless, on loopback; benchlib/shoppers.py) each keep their
own cookies and CSRF token; a share of them log in first. The mix is of actions: 70%
browsing (home, lists, categories, search, product), 20% cart actions (add, change a
quantity, view the cart), 8% checkout to the payment hand-over (the order is placed and
the shopper sent to the Stripe sandbox's page, which is not followed), 2% account pages
(logged-in shoppers only). The orders mode runs only checkouts (guests): orders/s.

Targets, each in its own start:
  app    gunicorn -c deploy/gunicorn.conf.py (as production runs it on this box: 2
         gthread workers x 4 threads here) against the bench database (scripts/bench.py's
         webshop_bench, created and seeded if missing) and Redis db 14;
  nginx  scripts/cluster.py's set-up: nginx (micro-cache on) in front of 2 gunicorn
         instances of 1 worker x 4 threads, and one RQ worker.
For each: the hello-world route (GET /healthz) alone for --hello-duration seconds, the
mix for --warmup seconds (not counted: templates and SQL compile on first use in each
process, caches fill), then each mode for --duration seconds. Every figure is also given as a ratio to the hello-world
req/s of the same server in the same run. After each mode: orders placed per second, and
the stock audit (no negative stock; for every variant the stock taken equals the items
of the run's orders; the scarce items, which sell out, never sold beyond their stock).
The catalogue cache's hit ratio comes from /metrics (webshop_cache_hits_total and
_misses_total) when the app exposes them.

Settings for the benchmark only: production configuration with the Stripe sandbox,
RATELIMIT_LOGIN raised (every shopper logs in from 127.0.0.1), MAX_PENDING_ORDERS
raised (the benchmark leaves its orders unpaid; the check itself still runs) and
reservations that do not expire during the run. Bounded: every server it starts is
stopped; loopback only. It prints figures and asserts nothing (exit 0), except --check,
which exits 1 on any error or audit failure (the test's tiny run uses it).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

import argparse  # noqa: E402 (after the switch into the virtualenv)
import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import mix  # noqa: E402

SHOPPERS = ROOT / "scripts" / "benchlib" / "shoppers.py"
RUN_ENV = {"RATELIMIT_LOGIN": "100000/minute", "RATELIMIT_LOGIN_ACCOUNT": "100000/minute",
           "MAX_PENDING_ORDERS": "1000000", "RESERVATION_MINUTES": "1440",
           "METRICS_ALLOW_FROM": "127.0.0.1"}
TARGET_MIX_RPS, TARGET_MIX_P99, TARGET_ORDERS = 1000, 50, 300


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=["app", "nginx", "both"], default="both")
    parser.add_argument("--mode", choices=["mix", "orders", "both"], default="both")
    parser.add_argument("--duration", type=int, default=20, help="seconds per mode (20)")
    parser.add_argument("--hello-duration", type=int, default=8,
                        help="seconds of the hello-world route (8)")
    parser.add_argument("--warmup", type=int, default=8,
                        help="seconds of the mix before measuring, figures dropped (8; 0: none)")
    parser.add_argument("--users", type=int, default=16, help="virtual shoppers (16)")
    parser.add_argument("--share-logged-in", type=float, default=0.25,
                        help="share of shoppers who log in (0.25)")
    parser.add_argument("--scarce", type=int, default=3,
                        help="items given little stock, to sell out under load (3)")
    parser.add_argument("--scarce-stock", type=int, default=20)
    parser.add_argument("--base-url", help="load this running server instead of starting "
                        "one (with --dsn: its database; no hello ratio from another start)")
    parser.add_argument("--dsn", help="with --base-url: the server's PostgreSQL database")
    parser.add_argument("--accounts", nargs="*", default=None,
                        help="with --base-url: existing accounts (password: benchlib.shopdata)")
    parser.add_argument("--fresh", action="store_true",
                        help="drop and recreate the webshop_bench database first")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on any failed request or audit failure")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.hello_duration < 1 or args.users < 1:
        parser.error("--duration, --hello-duration and --users must be at least 1")
    if not 0 <= args.share_logged_in <= 1:
        parser.error("--share-logged-in is a share between 0 and 1")
    if bool(args.base_url) != bool(args.dsn):
        parser.error("--base-url and --dsn go together")
    return args


def log(message):
    print(f"[loadmix] {message}", flush=True)


def run_locust(base, user_class, seconds, users, data, workdir):
    """One headless locust run; its figures (benchlib/shoppers.py's JSON)."""
    output = Path(workdir) / f"{user_class}-{time.monotonic_ns()}.json"
    path = Path(workdir) / "data.json"
    path.write_text(json.dumps({**data, "output": str(output)}))
    command = [sys.executable, "-m", "locust", "-f", str(SHOPPERS), "--headless",
               "--host", base, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
               "--reset-stats", "--only-summary", "--loglevel", "ERROR",
               "--stop-timeout", "5", "--exit-code-on-error", "0", user_class]
    env = {**os.environ, "LOADMIX_DATA": str(path), "PYTHONPATH": str(ROOT / "scripts")}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=seconds + 60)
    if not output.exists():
        raise SystemExit(f"locust wrote no figures (exit {result.returncode}):\n"
                         + (result.stdout + result.stderr)[-3000:])
    return json.loads(output.read_text())


def scrape(base):
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def measure(name, base, args, data, workdir, audit_base=None, roots=()):
    """Hello-world, then each mode, on one server; prints and returns the figures."""
    from benchlib import shopdata
    from benchlib.cpu import serving_cpu
    from benchlib.settings import DB_NAME

    results = {"target": name}
    hello = None
    if not args.base_url:
        before = serving_cpu(roots, DB_NAME) if roots else None
        hello = run_locust(base, "Hello", args.hello_duration, args.users, data, workdir)
        results["hello"] = hello["total"]
        if before and hello["total"]["count"]:
            after = serving_cpu(roots, DB_NAME)
            print(f"hello-world, {name}: " + mix.cpu_text(
                {part: after[part] - before[part] for part in after},
                hello["total"]["count"], 0), flush=True)
    if args.warmup:
        # Each process compiles its templates and SQL on first use, and the caches start
        # empty: a short run would mostly measure that. The warm-up's figures are dropped.
        warm, _ = shopdata.restock(args.scarce, args.scarce_stock, audit_base)
        run_locust(base, "Shopper", args.warmup, args.users, {**warm, **data}, workdir)
    modes = ["mix", "orders"] if args.mode == "both" else [args.mode]
    for mode in modes:
        run_data, baseline = shopdata.restock(args.scarce, args.scarce_stock, audit_base)
        run_data.update(data)
        metrics_before = scrape(base)
        cpu_before = serving_cpu(roots, DB_NAME) if roots else None
        stats = run_locust(base, "Shopper" if mode == "mix" else "Buyer", args.duration,
                           args.users, run_data, workdir)
        cpu = None
        if cpu_before:
            after = serving_cpu(roots, DB_NAME)
            cpu = {part: after[part] - cpu_before[part] for part in after}
        audit = shopdata.audit(baseline, audit_base)
        cache = mix.cache_hit_ratio(metrics_before, scrape(base))
        seconds = stats["seconds"] or args.duration
        results[mode] = {"stats": stats, "audit": audit, "cache": cache, "cpu": cpu,
                         "orders_per_s": stats["counters"]["orders"] / seconds}
        report(name, mode, stats, hello, audit, cache, seconds)
        if cpu and stats["total"]["count"]:
            print(mix.cpu_text(cpu, stats["total"]["count"], stats["counters"]["orders"]))
    return results


def report(name, mode, stats, hello, audit, cache, seconds):
    hello_rps = hello["total"]["rps"] if hello else None
    print(f"\n== {name}: {mode} ({seconds:.0f} s measured) ==")
    if hello:
        h = hello["total"]
        print(f"hello-world GET /healthz: {h['rps']:.0f} req/s, p50 {h['p50']} ms, "
              f"p99 {h['p99']} ms, {h['failures']} errors")
    print(mix.format_rows(mix.rows(stats, hello_rps)))
    c = stats["counters"]
    print(f"orders placed: {c['orders']} ({c['orders'] / seconds:.1f}/s); refused for stock "
          f"(correctly): {c['refused']}; logins: {c['logins']}")
    print(f"stock audit: {audit['orders']} new orders; negative stock: {audit['negative']}; "
          f"taken {audit['taken']} = held by orders {audit['held']}: "
          f"{'yes' if not audit['mismatched'] else 'NO, variants ' + str(audit['mismatched'])}"
          f"; oversold variants: {audit['oversold'] or 'none'}")
    if cache:
        hits, misses, share = cache
        print(f"catalogue cache: {hits:.0f} hits, {misses:.0f} misses"
              + (f", hit ratio {share:.1%}" if share is not None else ""))
    else:
        print("catalogue cache: /metrics shows no webshop_cache_hits_total here")
    for error in stats["errors"][:8]:
        print(f"  error x{error['count']}: {error['name']}: {error['error'][:160]}")


def verdicts(all_results):
    print("\nSummary against the targets:")
    for results in all_results:
        name = results["target"]
        if "mix" in results:
            t = results["mix"]["stats"]["total"]
            ok = t["rps"] >= TARGET_MIX_RPS and (t["p99"] or 1e9) < TARGET_MIX_P99 \
                and not t["failures"]
            print(f"  {name}: mixed load {t['rps']:.0f} req/s, p99 {t['p99']} ms, "
                  f"{t['failures']} errors   target >= {TARGET_MIX_RPS} req/s, p99 < "
                  f"{TARGET_MIX_P99} ms, 0 errors   {'MET' if ok else 'NOT MET'}")
        if "orders" in results:
            o = results["orders"]
            clean = not (o["audit"]["negative"] or o["audit"]["mismatched"]
                         or o["audit"]["oversold"])
            ok = o["orders_per_s"] >= TARGET_ORDERS and clean
            print(f"  {name}: {o['orders_per_s']:.0f} orders/s, overselling: "
                  f"{'none' if clean else 'FOUND'}   target >= {TARGET_ORDERS} orders/s, "
                  f"none   {'MET' if ok else 'NOT MET'}")


def failed(all_results):
    for results in all_results:
        for mode in ("mix", "orders"):
            if mode in results:
                r = results[mode]
                if r["stats"]["total"]["failures"] or r["audit"]["negative"] \
                        or r["audit"]["mismatched"] or r["audit"]["oversold"]:
                    return True
    return False


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    from benchlib import targets

    with open("/proc/loadavg") as f:
        log(f"load average at the start: {f.read().split()[0]} on {os.cpu_count()} CPUs "
            "(locust runs on the same machine and takes part of the CPU)")
    workdir = tempfile.mkdtemp(prefix="webshop-loadmix-")
    all_results = []
    for name, base, data, audit_base, roots in targets.servers(args, workdir, RUN_ENV):
        all_results.append(measure(name, base, args, data, workdir, audit_base, roots))
    verdicts(all_results)
    log(f"logs and figures: {workdir}")
    (Path(workdir) / "results.json").write_text(json.dumps(all_results, default=str))
    if args.check and failed(all_results):
        sys.exit(1)


if __name__ == "__main__":
    main()
