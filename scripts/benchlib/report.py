"""The printed figures: the table of runs with its notes, SQL statements per page, and the
summary against the targets with how far to trust it."""
import os

from benchlib.load import BALANCE_CHECK_AFTER, busy
from benchlib.settings import (
    BUSY_BACKGROUND, BUSY_STEAL, CACHED, NO_CACHE, NOISY_SPREAD, PAGE_OFF,
    TARGET_CACHED_CATALOGUE, TARGET_MAX_QUERIES, TARGET_UNCACHED_PRODUCT,
)


def run_text(run):
    text = "-" if run.get("rps") is None else f"{run['rps']:.0f}"
    if run.get("split"):
        text += "(" + ":".join(str(n) for n in run["split"]) + ")"
    return text + ("*" if busy(run) else "")


def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"


def print_runs(args, results, queries, problems, loadavg):
    """The set-up in words, then one row per measured URL with its notes."""
    workers = f"{args.workers} {args.worker_class} workers"
    if args.worker_class == "gthread":
        workers += f" x {args.threads} threads"
    print()
    print(f"gunicorn: {workers}; wrk: {args.wrk_threads} threads, {args.connections} "
          f"connections; per URL: {args.warmup}s warm-up (discarded), then "
          f"{args.repeat} runs x {args.duration}s")
    print("Returning browser: before each URL the script GETs / once, keeps the `session` "
          "cookie from Set-Cookie\n(and adopts the one the server re-issues on the next "
          "request, as a browser does) and sends it\n(-H 'Cookie: session=...') with every "
          "wrk request. The 'first visit' row sends no cookie, so every\nrequest creates a "
          "new session. req/s: median and best of the runs; p50/p99: the median run.")
    if args.worker_class == "gthread" and args.workers > 1:
        print("wrk opens its keep-alive connections at once and keeps them; when one gunicorn "
              "worker accepts them\nall, the other idles for the whole run and the figure "
              "halves (the main cause of the old script's\nnoise). Such runs are restarted "
              f"after {BALANCE_CHECK_AFTER}s (a shop's visitors come and go and reach every "
              "worker).")
    print(f"Load average at the start: {loadavg} on {os.cpu_count()} CPUs; wrk runs on the "
          "same machine as the server and takes part of its CPU.")
    header = (f"{'mode':<15} {'URL':<36} {'visitor':<11} {'status':>6} {'median':>8} "
              f"{'best':>8} {'spread':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
              f"{'errors':>6} {'SQL':>3}")
    print()
    print(header)
    print("-" * len(header))
    notes_seen = set()
    for mode, path, label, status, reissued, s in results:
        line = (f"{mode:<15} {path[:36]:<36} {label:<11} {status:>6} "
                f"{fmt(s.get('median'), '8.0f')} {fmt(s.get('best'), '8.0f')} "
                f"{fmt(100 * s['spread'] if s.get('spread') is not None else None, '5.0f')}"
                f"{'%' if s.get('spread') is not None else ' '} "
                f"{fmt(s.get('p50'), '7.2f')} {fmt(s.get('p99'), '7.2f')} "
                f"{s['non2xx']:>7} {s['errors']:>6} "
                f"{fmt(queries.get((mode, path), (None,))[0], '3d')}")
        notes = []
        if problems.get(mode):
            notes.append("MODE NOT HONOURED")
        if s["failed"]:
            notes.append(f"{s['failed']} run(s) failed: {s['error']}")
        if s.get("spread") is not None and s["spread"] > NOISY_SPREAD:
            notes.append("noisy")
            notes_seen.add("noisy")
        if s["disturbed"]:
            notes.append(f"{s['disturbed']} run(s) disturbed, up to {s['others']:.0f}% CPU"
                         + (f" by {s['who']}" if s["who"] else ""))
            notes_seen.add("busy")
        if s["replaced"]:
            notes.append(f"{s['replaced']} disturbed run(s) re-measured")
            notes_seen.add("replaced")
        if s["unbalanced"]:
            notes.append(f"{s['unbalanced']} run(s) with an idle worker")
            notes_seen.add("unbalanced")
        if s["restarts"]:
            notes.append(f"{s['restarts']} restart(s)")
            notes_seen.add("restarts")
        if s.get("steal") is not None and s["steal"] > BUSY_STEAL:
            notes.append(f"steal {s['steal']:.0f}%")
            notes_seen.add("steal")
        if reissued:
            notes.append("cookie re-issued")
            notes_seen.add("reissued")
        if label == "NO COOKIE":
            notes_seen.add("nocookie")
        if mode != CACHED and queries.get((mode, path), (None,))[0] == 0:
            notes.append("0 SQL: not rendered from the database")
            notes_seen.add("nosql")
        print(line + ("  " + "; ".join(notes) if notes else ""))
    print("  SQL: statements per request of that page in that mode (the in-process count "
          "below)")
    if notes_seen:
        explained = {
            "noisy": f"noisy: best and worst run differ by more than {NOISY_SPREAD:.0%} "
                     "of the median",
            "busy": f"disturbed: during the run, processes outside the benchmark used more "
                    f"than {BUSY_BACKGROUND:.0f}% of the\n  machine's CPU (the figure is "
                    "probably low)",
            "replaced": "re-measured: a disturbed run was discarded and run again "
                        "(--retry-budget)",
            "unbalanced": "idle worker: one gunicorn worker held none of wrk's "
                          "connections for the whole run, so the\n  run measured one "
                          "worker, about half the server (--restart-budget ran out)",
            "restarts": "restart(s): runs restarted after "
                        f"{BALANCE_CHECK_AFTER}s because a gunicorn worker had got none of "
                        "wrk's connections",
            "steal": "steal: the hypervisor took that share of CPU time during a run",
            "reissued": "cookie re-issued: the server sent a new session cookie to the "
                        "returning browser, so each request still writes a session",
            "nocookie": "NO COOKIE: GET / set no session cookie; that row ran without one",
            "nosql": "0 SQL: in this mode the page ran no SQL statement (in-process count): "
                     "it is assembled from\n  cached fragments, so the row is not an "
                     "'uncached' figure",
        }
        for key in ("noisy", "busy", "replaced", "unbalanced", "restarts", "steal", "reissued",
                    "nocookie", "nosql"):
            if key in notes_seen:
                print("  " + explained[key])
    print("  every run, req/s in order: " + "; ".join(
        f"{path.rsplit('/', 1)[-1] or '/'}{' first' if label == 'first visit' else ''}"
        f" [{mode}] {'/'.join(run_text(r) for r in s['runs']) or '-'}"
        for mode, path, label, _, _, s in results)
        + "\n  (connections per gunicorn worker in brackets; * disturbed)")
def print_queries(queries, storefront):
    """SQL statements per storefront page in each mode; returns the worst page of the
    page-cache-off and cached modes as (count, path, mode), or None."""
    worst = None
    if queries:
        print()
        print("SQL statements per request (in-process, Flask test client keeping its cookie, "
              "second request;\nbefore_cursor_execute, so BEGIN/COMMIT are not counted):")
        print(f"  {'page':<44} {'page cache off':>14} {'cached':>7} {'no cache (info)':>16}")
        for path in storefront:
            cells = []
            for mode, width in ((PAGE_OFF, 14), (CACHED, 7), (NO_CACHE, 16)):
                count, status = queries.get((mode, path), (None, None))
                cell = "-" if count is None else str(count)
                if status not in (None, 200):
                    cell += f" ({status})"
                cells.append(f"{cell:>{width}}")
                if mode in (PAGE_OFF, CACHED) and count is not None:
                    if worst is None or count > worst[0]:
                        worst = (count, path, mode)
            print(f"  {path[:44]:<44} {' '.join(cells)}")
    return worst
def print_summary(results, queries, worst, product):
    """The targets met or not, the figures for information, and how far to trust them."""
    def figure(mode, path, label="returning"):
        # A page that sets no cookie (anonymous catalogue pages, edge-cacheable) has no
        # returning browser: its NO COOKIE row is the figure.
        labels = (label, "NO COOKIE") if label == "returning" else (label,)
        return next((s for m, p, lab, _, _, s in results
                     if m == mode and p == path and lab in labels), None)

    def verdict(s, target, what):
        if s is None:
            return f"  {what:<44} not measured"
        if s.get("median") is None:
            return f"  {what:<44} no figure ({s['error'] or 'wrk failed'})"
        ok = s["median"] >= target
        text = (f"  {what:<44} {s['median']:>6.0f} req/s (best {s['best']:.0f})   "
                f"target >= {target}   {'MET' if ok else 'NOT MET'}")
        caveats = []
        if s["non2xx"] or s["errors"]:
            caveats.append(f"{s['non2xx']} non-2xx, {s['errors']} socket errors: not valid")
        if s.get("spread") is not None and s["spread"] > NOISY_SPREAD:
            caveats.append(f"spread {s['spread']:.0%}")
        return text + ("  (" + "; ".join(caveats) + ")" if caveats else "")

    print()
    print("Summary against the targets (median req/s, returning browser):")
    print(verdict(figure(CACHED, "/products"), TARGET_CACHED_CATALOGUE,
                  "cached catalogue page (/products)"))
    print(verdict(figure(PAGE_OFF, product), TARGET_UNCACHED_PRODUCT,
                  "uncached product page (page-cache off)"))
    if worst is None:
        print(f"  {'queries per storefront page':<44} not counted")
    else:
        ok = worst[0] <= TARGET_MAX_QUERIES
        print(f"  {'queries per storefront page (max)':<44} {worst[0]:>6}         "
              f"({worst[1]}, {worst[2]})   target <= {TARGET_MAX_QUERIES}   "
              f"{'MET' if ok else 'NOT MET'}")
    info = [("first visit /products, cached (no cookie)", figure(CACHED, "/products",
                                                                "first visit")),
            ("uncached catalogue page (page-cache off)", figure(PAGE_OFF, "/products")),
            ("product page, no cache at all", figure(NO_CACHE, product))]
    for what, s in info:
        if s and s.get("median") is not None:
            print(f"  {what:<44} {s['median']:>6.0f} req/s (best {s['best']:.0f})   "
                  "for information, no target")
    for mode, path, what in ((PAGE_OFF, product, "uncached product page"),
                             (PAGE_OFF, "/products", "uncached catalogue page")):
        if figure(mode, path) and queries.get((mode, path), (None,))[0] == 0:
            print(f"  NOTE: the {what} figure ran 0 SQL statements per request ({mode}, "
                  f"{path}): it is\n  served from cached fragments, not rendered from "
                  "the database.")
    busy_rows = [s for *_, s in results if s["disturbed"]]
    noisy_rows = [s for *_, s in results
                  if s.get("spread") is not None and s["spread"] > NOISY_SPREAD]
    bad_rows = [s for *_, s in results
                if s["non2xx"] or s["errors"] or s["failed"] or s["unbalanced"]]
    if busy_rows or noisy_rows or bad_rows:
        others = sorted({s["who"] for s in busy_rows if s["who"]})
        print(f"  TRUST: {len(busy_rows)} of {len(results)} rows ran while other work used "
              f"the CPU" + (f" ({', '.join(others)})" if others else "")
              + f"; {len(noisy_rows)} rows spread over {NOISY_SPREAD:.0%}; {len(bad_rows)} "
              "rows had non-2xx, socket errors, failed runs or an idle worker.\n"
              + ("  Re-run on a quiet machine before quoting these figures."
                 if busy_rows or bad_rows else
                 "  The machine was quiet: quote the noisy rows' medians with their spread."))
    else:
        print(f"  TRUST: every row ran on a quiet machine, spread within {NOISY_SPREAD:.0%}, "
              "no non-2xx or socket errors, every worker busy.")
