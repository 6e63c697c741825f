"""The scenarios: which URL is loaded in which cache mode, with or without the returning
browser's cookie, and the run over them, one gunicorn start per mode."""
from benchlib.load import measure
from benchlib.server import Gunicorn, ServerDidNotStart, fetch, returning_browser
from benchlib.settings import CACHED, MODE_ENV, NO_CACHE, PAGE_OFF, log


def plan(product, cached_only=False):
    """[(mode, path, send the returning browser's cookie?)] in the order they run."""
    steps = [
        (CACHED, "/products", True),
        (CACHED, "/products", False),  # first visit: no cookie, a new session every time
        (CACHED, product, True),
        (CACHED, "/", True),
        (CACHED, "/healthz", True),  # the server's ceiling: no template, no cache, no SQL
        (PAGE_OFF, product, True),
        (PAGE_OFF, "/products", True),
        (NO_CACHE, product, True),
    ]
    if cached_only:
        steps = [step for step in steps if step[0] == CACHED]
    return steps


def storefront(category_slug, product):
    """The storefront pages whose SQL statements are counted."""
    return ["/", "/products", "/products?q=coffee", f"/categories/{category_slug}", product]


def run(steps, modes, args, logdir):
    """Every step of `steps`, mode by mode; [(mode, path, cookie label, status, reissued,
    summary)]. A mode whose gunicorn does not start is logged and skipped."""
    results = []  # (mode, path, cookie label, status, reissued, summary)
    retry_budget = {"seconds": args.retry_budget, "restarts": args.restart_budget}
    for mode in modes:
        name = "gunicorn-" + mode.replace(" ", "-")
        server = Gunicorn(args.worker_class, args.workers, args.threads, logdir,
                          extra_env=MODE_ENV[mode], name=name)
        try:
            server.wait_ready()
            log(f"{mode}: gunicorn {args.worker_class} x{args.workers} on {server.base}")
            for step_mode, path, with_cookie in steps:
                if step_mode != mode:
                    continue
                if with_cookie:
                    cookie, status, reissued = returning_browser(server.base, path)
                    label = "returning" if cookie else "NO COOKIE"
                else:
                    cookie, reissued = None, None
                    status = fetch(server.base + path)[0]
                    label = "first visit"
                log(f"  wrk {path} ({label}, status {status})")
                summary = measure(server.base + path, args, cookie, server, retry_budget)
                results.append((mode, path, label, status, reissued, summary))
        except ServerDidNotStart as exc:  # the other modes may still give figures
            log(f"{mode}: not measured: {exc}")
        finally:
            server.stop()
    return results
