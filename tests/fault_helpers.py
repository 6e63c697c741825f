"""What the database fault, HTTP concurrency and soak tests share: a database the test
can make unreachable (a loopback TCP proxy of its own), shoppers and staff over real
HTTP. The promises checked after every fault are in tests/invariants.py.
"""
import itertools
import re
import select as select_module
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import free_port
from tests.helpers import CHECKOUT
from tests.sandbox_helpers import new_browser
from webshop.extensions import db as _db

PAYMENT_PAGE = re.compile(r"/_sandbox/stripe/pay/(cs_test_\w+)$")
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


# --- a database the test can take away ------------------------------------------------------

class TcpProxy:
    """A loopback TCP proxy the test owns, in front of a real server (PostgreSQL here).

    The app under test connects to `port`; `cut()` makes the server unreachable as a
    network failure would: the listening socket is closed (new connections are refused)
    and every open connection is reset. `restore()` listens on the same port again.
    Nothing happens to the server itself, nor to anyone else's connections.
    """

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = None
        self.restore()

    def restore(self):
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(256)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True,
                         name=f"tcp-proxy-{self.port}").start()

    def cut(self):
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, one, other):
        """Copy both ways until either side closes, then close both."""
        pair = {one: other, other: one}
        try:
            while True:
                readable, _, _ = select_module.select(list(pair), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._sockets.discard(one)
                self._sockets.discard(other)
            _close(one)
            _close(other)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def via_proxy(database_url, proxy, application_name):
    """`database_url` (SQLAlchemy, PostgreSQL) through `proxy`, its connections named
    `application_name` in pg_stat_activity (so a test kills only the app's)."""
    url = make_url(database_url)
    return url.set(host="127.0.0.1", port=proxy.port,
                   query={**url.query, "application_name": application_name}
                   ).render_as_string(hide_password=False)


def postgres_port(database_url):
    return make_url(database_url).port or 5432


def terminate_backends(application_name):
    """pg_terminate_backend for every connection of the app under test (by the name
    it gave its connections); returns how many were killed."""
    killed = _db.session.execute(text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :name AND pid <> pg_backend_pid()"),
        {"name": application_name}).scalar()
    _db.session.rollback()
    return killed


def backends(application_name):
    count = _db.session.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
        {"name": application_name}).scalar()
    _db.session.rollback()
    return count


# --- shoppers and staff over HTTP ---------------------------------------------------------

@dataclass
class Answers:
    """Every answer the clients of a test got, to check that none was a 500 (or any 5xx
    but a 503 with Retry-After and the outage page) and none showed a traceback."""
    seen: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what, response):
        with self._lock:
            self.seen.append((what, response.status_code, response.headers.get("Retry-After"),
                              "Traceback" in response.text or 'File "/' in response.text))
        return response

    def statuses(self):
        return Counter(status for _, status, _, _ in self.seen)

    def assert_no_server_errors(self, allow_503=False):
        """No 5xx at all, or (allow_503) only 503s with a Retry-After: an outage page."""
        bad = [(what, status) for what, status, retry_after, _ in self.seen
               if status >= 500 and not (allow_503 and status == 503 and retry_after)]
        assert not bad, f"server errors: {bad[:20]} (of {len(bad)}); all: {self.statuses()}"
        tracebacks = [what for what, _, _, traceback in self.seen if traceback]
        assert not tracebacks, f"a traceback was shown: {tracebacks[:5]}"


class Shopper:
    """One shopper's browser at `shop_url` (cookies kept, no proxies, bounded waits),
    with an email and address of their own (the shop caps unpaid orders per shopper)."""

    _numbers = itertools.count(1)

    def __init__(self, shop_url, answers=None, timeout=60):
        number = next(self._numbers)
        self.details = {**CHECKOUT, "email": f"shopper{number}@example.com",
                        "name": f"Shopper {number}", "line1": f"{number} Main St"}
        self.url = shop_url
        self.browser = new_browser()
        # A new connection per request, as a proxy in front of gunicorn makes them: a
        # kept-alive connection the server closes as a POST goes out fails the POST.
        self.browser.headers["Connection"] = "close"
        self.answers = answers if answers is not None else Answers()
        self.timeout = timeout
        self.token = None

    def get(self, path, **kwargs):
        response = self.browser.get(self._abs(path), timeout=self.timeout,
                                    allow_redirects=False, **kwargs)
        return self.answers.record(f"GET {path}", response)

    def post(self, path, data, **kwargs):
        response = self.browser.post(self._abs(path), data=data, timeout=self.timeout,
                                     allow_redirects=False, **kwargs)
        return self.answers.record(f"POST {path}", response)

    def _abs(self, path):
        return path if path.startswith("http") else self.url + path

    def form_token(self, path="/login"):
        page = self.get(path)
        match = _CSRF.search(page.text)
        if match:
            self.token = match.group(1)
        return page

    def add_to_cart(self, variant_id, quantity=1):
        """The product page's form, sent; None if no page gave this browser a token."""
        if self.token is None:
            self.form_token()
        if self.token is None:
            return None
        return self.post("/cart/items", {"csrf_token": self.token, "variant_id": variant_id,
                                         "quantity": quantity})

    def open_checkout(self):
        """The checkout form's data, ready to send (None if the page did not show it)."""
        form = self.get("/checkout")
        key = _IDEMPOTENCY_KEY.search(form.text)
        token = _CSRF.search(form.text)
        if form.status_code != 200 or not key or not token:
            return None
        self.token = token.group(1)
        return {**self.details, "csrf_token": self.token, "idempotency_key": key.group(1)}

    def place_order(self, data):
        """Send the checkout form; returns (the answer, the payment page URL or None)."""
        answer = self.post("/checkout", data)
        location = answer.headers.get("Location", "")
        return answer, (location if PAYMENT_PAGE.search(location) else None)

    def pay(self, payment_page, card="4242 4242 4242 4242", follow=True):
        """Pay on the sandbox's payment page and (if `follow`) go back to the shop's
        order page; returns the payment's answer (None if the page had no form)."""
        form = self.get(payment_page)
        token = _CSRF.search(form.text)
        if form.status_code != 200 or not token:
            return None
        paid = self.post(payment_page, {"csrf_token": token.group(1), "card_number": card,
                                        "expiry": "12 / 34", "cvc": "123"})
        if follow and paid.status_code == 303:  # back to the shop, as a browser goes
            back = self.get(paid.headers["Location"])
            if back.status_code in (302, 303):
                self.get(back.headers["Location"])
        return paid

    def cancel_payment(self, payment_page):
        """Follow the payment page's Cancel link and confirm it (back to the cart)."""
        page = self.get(payment_page)
        link = re.search(r'<a href="([^"]+)">Cancel', page.text)
        if page.status_code != 200 or not link:
            return None
        asked = self.get(link.group(1).replace("&amp;", "&"))
        form = re.search(r'<form action="([^"]+)" method="post"[^>]*>\s*<input type="hidden" '
                         r'name="csrf_token" value="([^"]+)">\s*<input type="hidden" '
                         r'name="token" value="([^"]*)">', asked.text)
        if asked.status_code != 200 or not form:
            return None
        return self.post(form.group(1), {"csrf_token": form.group(2), "token": form.group(3)})

    def buy(self, variant_id, quantity=1, pay=True):
        """Cart, checkout form, order, and (if `pay`) payment; returns the payment page
        URL of the order placed, or None wherever the shop said no."""
        added = self.add_to_cart(variant_id, quantity)
        if added is None or added.status_code != 303:
            return None
        data = self.open_checkout()
        if data is None:
            return None
        _, payment_page = self.place_order(data)
        if payment_page and pay:
            self.pay(payment_page)
        return payment_page


def log_in_staff(shop_url, email, password, answers=None):
    """A staff member's browser, logged in at `shop_url`."""
    staff = Shopper(shop_url, answers)
    staff.form_token("/login")
    answer = staff.post("/login", {"csrf_token": staff.token, "email": email,
                                   "password": password})
    assert answer.status_code == 303, answer.text[:500]
    staff.form_token("/admin/")
    return staff


def adjust_stock(staff, variant_id, delta, reason="stock count", hx=False):
    """Staff change a variant's stock by `delta` (the inline admin form); returns the
    answer. With `hx` (as the inline form sends it) that says what happened: 200 when
    the change was applied, 409 when the shop refused it; without, a 303 either way."""
    return staff.post(f"/admin/variants/{variant_id}/stock",
                      {"csrf_token": staff.token, "delta": delta, "reason": reason},
                      headers={"HX-Request": "true"} if hx else {})


def gunicorn_gthread(workers=2, threads=8):
    """gunicorn arguments for the threaded workers production runs."""
    return ("--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
            "--timeout", "60")
