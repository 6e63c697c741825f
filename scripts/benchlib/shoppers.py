"""The virtual shoppers of scripts/loadmix.py: a locust file, run headless by it.

    locust -f scripts/benchlib/shoppers.py --headless ... Shopper | Buyer | Hello

Each virtual user is one browser: its own cookies (session, remember), the CSRF token of
the last form it saw, its cart. A share of them log in first (accounts made by
loadmix.py). What it needs (products, categories, accounts, where to write the figures)
comes in the JSON file named by LOADMIX_DATA.

- Shopper: the shopper mix (benchlib.mix), one action after another, no think time.
- Buyer: only checkouts (add an item, the checkout form, place the order): orders/s.
- Hello: only GET /healthz, the hello-world route of the same server.

Requests are named "kind:what" (browse:product, cart:add, checkout:place...); at the end
the figures per name, per kind and in all are written as JSON for loadmix.py.
"""
import itertools
import json
import os
import random
import sys
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import mix  # noqa: E402 (after the path)

with open(os.environ["LOADMIX_DATA"]) as _f:
    DATA = json.load(_f)
_accounts = itertools.count()
COUNTERS = {"orders": 0, "refused": 0, "logins": 0}


class Browser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # The production app marks its cookies Secure; the benchmark speaks plain HTTP on
    # loopback (as behind a TLS-terminating proxy), so the jar must send them anyway.
    _policy = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))

    def on_start(self):
        self.client.cookiejar.set_policy(self._policy)  # the jar the client holds
        self.token = None
        self.lines = 0  # items in the cart, as far as this shopper knows
        self.logged_in = False

    def get(self, path, name, ok=(200,)):
        with self.client.get(path, name=name, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code in ok:
                response.success()
                self._keep_token(response.text)
            else:
                response.failure(f"{response.status_code} on GET {path}")
            return response

    def post(self, path, name, data, htmx=False, ok=(200, 303), check=None):
        # What a browser sends with a form from the shop's own page.
        headers = {"Origin": self.host, "Sec-Fetch-Site": "same-origin"}
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.token or ""})
        with self.client.post(path, name=name, data={"csrf_token": self.token or "", **data},
                              headers=headers, catch_response=True,
                              allow_redirects=False) as response:
            text = response.text or ""
            problem = check(response) if check and response.status_code in ok else None
            if problem:
                response.failure(problem)
            elif response.status_code in ok:
                response.success()
            elif mix.refused_for_stock(response.status_code, text):
                COUNTERS["refused"] += 1
                response.success()
            else:
                response.failure(f"{response.status_code} on POST {path}: {text[:120]!r}")
            return response

    def _keep_token(self, text):
        if text and (match := mix.CSRF_INPUT.search(text)):
            self.token = match.group(1)

    # --- the actions ----------------------------------------------------------------------

    def log_in(self):
        accounts = DATA["accounts"]
        if not accounts:
            return
        email = accounts[next(_accounts) % len(accounts)]
        self.get("/login", "login:form")
        response = self.post("/login", "login:post",
                             {"email": email, "password": DATA["password"]})
        if response.status_code == 303:
            self.logged_in = True
            COUNTERS["logins"] += 1
            self.get("/account", "login:account")  # the new session's CSRF token

    def browse(self):
        what = random.choices(mix.BROWSE, mix.BROWSE_WEIGHTS)[0]
        if what == "home":
            self.get("/", "browse:home")
        elif what == "list":
            self.get(f"/products?page={random.randint(1, DATA['pages'])}", "browse:list")
        elif what == "category":
            self.get(f"/categories/{random.choice(DATA['categories'])}", "browse:category")
        elif what == "search":
            self.get(f"/products?q={random.choice(DATA['queries'])}", "browse:search")
        else:
            self.get(f"/products/{random.choice(DATA['products'])[0]}", "browse:product")

    def add(self):
        products = DATA["products"]
        if DATA["scarce"] and random.random() < DATA["scarce_share"]:
            products = DATA["scarce"]
        slug, variant = random.choice(products)
        if self.token is None:
            self.get(f"/products/{slug}", "browse:product")
        response = self.post("/cart/items", "cart:add", {"variant_id": variant, "quantity": 1},
                             htmx=True)
        if response.status_code == 200:
            self.lines += 1

    def cart(self):
        what = random.choices(mix.CART, mix.CART_WEIGHTS)[0]
        if what == "add" or not self.lines:
            return self.add()
        response = self.get("/cart", "cart:view")
        if what == "update":
            ids = mix.CART_LINE.findall(response.text or "")
            if ids:
                self.post(f"/cart/items/{random.choice(ids)}", "cart:update",
                          {"quantity": random.randint(1, 2)}, htmx=True)

    def checkout(self):
        if not self.lines:
            self.add()
            if not self.lines:
                return
        form = self.get("/checkout", "checkout:form", ok=(200, 303))
        key = mix.IDEMPOTENCY_INPUT.search(form.text or "")
        if form.status_code != 200 or not key:
            self.lines = 0
            return
        data = {**DATA["address"], "idempotency_key": key.group(1),
                "email": f"guest{random.getrandbits(48)}@example.com"}
        response = self.post("/checkout", "checkout:place", data, ok=(303,),
                             check=mix.not_handed_over)
        if response.status_code == 303 and not mix.not_handed_over(response):
            COUNTERS["orders"] += 1
            self.lines = 0
        elif response.status_code == 422:  # sold out meanwhile: start again
            self.post("/cart/empty", "cart:empty", {}, htmx=True)
            self.lines = 0

    def account(self):
        if random.random() < 0.5:
            self.get("/account", "account:account")
        else:
            self.get("/account/orders", "account:orders")


class Shopper(Browser):
    def on_start(self):
        super().on_start()
        self.weights = mix.weights_for(False, DATA["share_logged_in"])
        if random.random() < DATA["share_logged_in"]:
            self.log_in()
            self.weights = mix.weights_for(self.logged_in, DATA["share_logged_in"])

    @task
    def act(self):
        getattr(self, mix.choose(self.weights))()


class Buyer(Browser):
    @task
    def act(self):
        self.checkout()


class Hello(FastHttpUser):
    wait_time = constant(0)

    @task
    def hello(self):
        self.client.get("/healthz", name="hello:healthz")


def _entry(entry):
    return {
        "count": entry.num_requests, "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50": entry.get_response_time_percentile(0.5) if entry.num_requests else None,
        "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
        "p99": entry.get_response_time_percentile(0.99) if entry.num_requests else None,
    }


@events.test_stop.add_listener
def write_figures(environment, **kwargs):
    """Per name, per kind (the names' response times merged) and in all, as JSON."""
    from locust.stats import StatsEntry

    stats = environment.stats
    kinds = {}
    for (name, method), entry in stats.entries.items():
        kind = mix.kind_of(name)
        if kind not in kinds:
            kinds[kind] = StatsEntry(stats, kind, "", use_response_times_cache=False)
        kinds[kind].extend(entry)
    errors = [{"name": e.name, "error": str(e.error), "count": e.occurrences}
              for e in stats.errors.values()]
    figures = {
        "total": _entry(stats.total),
        "kinds": {kind: _entry(entry) for kind, entry in kinds.items()},
        "names": {name: _entry(entry) for (name, _), entry in stats.entries.items()},
        "errors": errors[:20],
        "counters": COUNTERS,
        "seconds": (stats.total.last_request_timestamp or 0) - stats.total.start_time,
    }
    with open(DATA["output"], "w") as f:
        json.dump(figures, f)
