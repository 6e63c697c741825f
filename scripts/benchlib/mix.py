"""The shopper mix of scripts/loadmix.py, and the pure parts of its report (no locust, no
server: tests import this module).

The mix is of shopper actions, not of requests: 70% browsing (home, lists, categories,
search, product), 20% cart actions (add, change a quantity, view the cart), 8% checkout
to the payment hand-over, 2% account pages. Only logged-in shoppers visit account pages,
so they do that `2 / share` times as often as the mix says and anonymous shoppers never:
across all shoppers it is 2% again (their other weights are the same, so the totals add
up to 100 per hundred actions whatever the share).
"""
import random
import re

MIX = {"browse": 70, "cart": 20, "checkout": 8, "account": 2}
KINDS = tuple(MIX)
BROWSE = ("home", "list", "category", "search", "product")
BROWSE_WEIGHTS = (15, 20, 15, 15, 35)  # of the 70: product pages are what shoppers open most
CART = ("add", "update", "view")
CART_WEIGHTS = (50, 25, 25)

# A checkout or an add-to-cart refused because the item is (nearly) sold out: the shop
# doing its job, not an error. Any other 4xx or 5xx is an error.
_SOLD_OUT = re.compile(r"sold out|not enough stock left|Only \d+ of .* left", re.S)
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
IDEMPOTENCY_INPUT = re.compile(r'name="idempotency_key"[^>]*?value="([^"]+)"')
CART_LINE = re.compile(r'action="/cart/items/(\d+)"')


def weights_for(logged_in, share_logged_in):
    """The action weights of one shopper (see the module docstring)."""
    weights = dict(MIX)
    if not logged_in:
        weights["account"] = 0
    elif share_logged_in > 0:
        weights["account"] = MIX["account"] / share_logged_in
    return weights


def choose(weights, rng=random):
    """One action kind, drawn by weight."""
    kinds = [k for k, w in weights.items() if w > 0]
    return rng.choices(kinds, [weights[k] for k in kinds])[0]


def refused_for_stock(status, body):
    return status == 422 and bool(_SOLD_OUT.search(body or ""))


def not_handed_over(response):
    """A placed order's answer sends the shopper to the payment page; back to the cart or
    to the order's own page means the order or the hand-over failed. Why, or None."""
    location = response.headers.get("Location") or response.headers.get("location") or ""
    path = "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location
    if path.startswith(("/cart", "/orders/", "/checkout?", "/checkout#")) or path == "/checkout":
        return f"no payment hand-over: 303 to {path[:80]}"
    return None


def kind_of(name):
    """'browse:product' -> 'browse'; 'login' -> 'login'."""
    return name.split(":", 1)[0]


def metric_total(text, name):
    """The sum of a Prometheus counter's samples (all labels) in /metrics text; None when
    the counter is not there."""
    total, seen = 0.0, False
    for line in (text or "").splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in (" ", "{"):
            try:
                total += float(line.rsplit(" ", 1)[1])
                seen = True
            except ValueError:
                continue
    return total if seen else None


def cache_hit_ratio(before, after):
    """(hits, misses, ratio) between two /metrics texts, or None without the counters."""
    values = []
    for name in ("webshop_cache_hits_total", "webshop_cache_misses_total"):
        first, last = metric_total(before, name), metric_total(after, name)
        if first is None or last is None:
            return None
        values.append(last - first)
    hits, misses = values
    return hits, misses, (hits / (hits + misses) if hits + misses else None)


def ratio(value, reference):
    return value / reference if value is not None and reference else None


def rows(stats, hello_rps):
    """The printed rows: the total, each kind, then each request name; each with its
    ratio to the hello-world route's req/s of the same server."""
    order = ["total"] + [k for k in (*KINDS, "login") if k in stats["kinds"]]
    out = [dict(stats["total"], name="ALL", ratio=ratio(stats["total"]["rps"], hello_rps))]
    for kind in order[1:]:
        entry = stats["kinds"][kind]
        out.append(dict(entry, name=f"{kind} (all)", ratio=ratio(entry["rps"], hello_rps)))
    for name in sorted(stats["names"]):
        entry = stats["names"][name]
        out.append(dict(entry, name=f"  {name}", ratio=ratio(entry["rps"], hello_rps)))
    return out


def format_rows(table):
    header = (f"{'request':<28} {'count':>7} {'req/s':>8} {'x hello':>7} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
    lines = [header, "-" * len(header)]
    for row in table:
        def cell(key, spec, width):
            value = row.get(key)
            return format(value, spec) if value is not None else "-".rjust(width)
        lines.append(f"{row['name'][:28]:<28} {row['count']:>7} {cell('rps', '8.1f', 8)} "
                     f"{cell('ratio', '7.2f', 7)} {cell('p50', '7.0f', 7)} "
                     f"{cell('p95', '7.0f', 7)} {cell('p99', '7.0f', 7)} {row['failures']:>6}")
    return "\n".join(lines)


def cpu_text(cpu, requests, orders):
    """CPU per request of what served the run, which does not depend on how busy the
    machine was: what one core can serve of this mix."""
    total = sum(cpu.values())
    per = 1000 * total / requests
    text = (f"server-side CPU: {total:.1f} s for {requests} requests = {per:.2f} ms each "
            f"(app {1000 * cpu['app'] / requests:.2f}, PostgreSQL "
            f"{1000 * cpu['postgres'] / requests:.2f}, Redis {1000 * cpu['redis'] / requests:.2f})"
            f" -> {1000 / per:.0f} req/s per core" if per else "server-side CPU: none counted")
    if orders and per:
        text += f"; {1000 * total / orders:.1f} ms per order placed"
    return text
