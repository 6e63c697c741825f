"""The command line: options, then the run in order (bench database, one gunicorn per mode,
SQL counts) and the report."""
import argparse
import signal
import sys
import tempfile
import time

from benchlib import report, scenarios
from benchlib.fixtures import check_modes, prepare_database, sample_slugs
from benchlib.load import ensure_wrk
from benchlib.queries import count_queries
from benchlib.settings import DB_NAME, log


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--duration", type=int, default=6, help="seconds per measured wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="measured wrk runs per URL")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of discarded wrk per URL")
    parser.add_argument("--retry-budget", type=int, default=18,
                        help="seconds, in all, for re-running runs that other processes "
                             "disturbed (0: never)")
    parser.add_argument("--restart-budget", type=int, default=15,
                        help="seconds, in all, for restarting runs in which a gunicorn "
                             "worker got none of wrk's connections (0: never)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true",
                        help=f"drop and recreate the {DB_NAME} database first")
    parser.add_argument("--no-uncached", action="store_true",
                        help="measure the cached mode only")
    args = parser.parse_args()
    if args.repeat < 1 or args.duration < 1 or args.warmup < 1:
        parser.error("--repeat, --duration and --warmup must be at least 1")
    return args


def main(description):
    args = parse_args(description)
    # A plain `kill` must still shut gunicorn down: turn SIGTERM into an exception, so
    # the `finally` blocks run.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    started = time.monotonic()
    try:
        with open("/proc/loadavg") as f:
            loadavg = f.read().split()[0]
    except OSError:
        loadavg = "?"
    ensure_wrk()
    prepare_database(args.fresh)
    slug, category_slug = sample_slugs()
    product = f"/products/{slug}"
    logdir = tempfile.mkdtemp(prefix="webshop-bench-")

    plan = scenarios.plan(product, cached_only=args.no_uncached)
    modes = list(dict.fromkeys(mode for mode, _, _ in plan))
    per_url = args.warmup + args.repeat * args.duration
    log(f"{len(plan)} URLs x ({args.warmup}s warm-up + {args.repeat} x {args.duration}s): "
        f"{len(plan) * per_url / 60:.1f} min of load, at most "
        f"{args.retry_budget + args.restart_budget}s more for re-runs and restarts")

    problems = check_modes()
    for mode in modes:
        if problems.get(mode):
            log(f"WARNING: mode '{mode}' is not what it claims: {problems[mode]}")

    results = scenarios.run(plan, modes, args, logdir)

    storefront = scenarios.storefront(category_slug, product)
    try:
        queries = count_queries(storefront)
    except Exception as exc:  # figures only: a failure here must not hide the tables
        log(f"query counting failed: {exc.__class__.__name__}: {exc}")
        queries = {}

    report.print_runs(args, results, queries, problems, loadavg)
    worst = report.print_queries(queries, storefront)
    report.print_summary(results, queries, worst, product)
    print(f"\nlogs: {logdir}   total time: {time.monotonic() - started:.0f}s")
