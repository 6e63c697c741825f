"""PostgreSQL failing under a running shop: connections killed (pg_terminate_backend), the
database unreachable for some seconds, a Stripe webhook arriving while it is down.

The shop is gunicorn (gthread) in a process of its own that reaches the test database
through a loopback TCP proxy this test owns (tests.fault_helpers.TcpProxy): cutting the
proxy makes the database unreachable to the shop alone, and its connections carry an
application_name, so only they are terminated. PostgreSQL itself is never stopped.

After each fault the shop must have recovered by itself (same processes, no restart),
answered 503 with Retry-After and its outage page while it could not reach the database
(never a 500, never a traceback), and kept every promise (invariants.assert_invariants).
"""
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import free_port
from tests.factories import PASSWORD, make_product, make_user
from tests.fault_helpers import (
    Answers, Shopper, TcpProxy, backends, gunicorn_gthread, postgres_port,
    terminate_backends, via_proxy,
)
from tests.invariants import assert_invariants, payments_settled, wait_for_confirmations
from tests.helpers import fresh, wait_until
from tests.sandbox_helpers import AppProcess, new_browser, order_paying_at
from webshop.models import Order

APP_NAME = "webshop-fault-under-test"
OUTAGE_SECONDS = 3
HX = {"HX-Request": "true"}


@pytest.fixture
def pg_proxy(database_url):
    proxy = TcpProxy(postgres_port(database_url))
    yield proxy
    proxy.cut()


def shop_process(database_url, proxy, workdir, **environment):
    """The shop under gunicorn (one gthread worker, 8 threads), reaching PostgreSQL
    through `proxy`; its access log goes to its output."""
    return AppProcess(via_proxy(database_url, proxy, APP_NAME), workdir,
                      gunicorn_args=(*gunicorn_gthread(workers=1, threads=8),
                                     "--access-logfile", "-"),
                      **environment)


@pytest.fixture
def shop(database_url, pg_proxy, tmp_path, db):
    process = shop_process(database_url, pg_proxy, tmp_path)
    yield process
    process.stop()


def booted_workers(process):
    return len(re.findall(r"Booting worker with pid", process.output()))


def assert_outage_page(answer):
    """What a visitor gets while the database is unreachable."""
    assert answer.status_code == 503, (answer.status_code, answer.text[:300])
    assert int(answer.headers["Retry-After"]) > 0
    assert "Traceback" not in answer.text and "psycopg" not in answer.text
    assert "cannot reach its database" in answer.text


def shop_in_parallel(shop_url, variant_id, shoppers, answers, pay=True):
    """`shoppers` shoppers buy (and pay for) one unit each at the same time; returns
    the payment pages of the orders placed."""
    pages = [None] * shoppers

    def one(i):
        pages[i] = Shopper(shop_url, answers).buy(variant_id, pay=pay)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return [page for page in pages if page]


def test_connections_killed_while_idle_are_replaced_before_a_request_uses_them(
        shop, db, smtp_sink, run_worker):
    """pool_pre_ping: the shop's pooled connections are all terminated between two
    bursts of shopping, and the second burst does not notice (not even a 503)."""
    teapot = make_product("Teapot", stock=40)
    variant_id = teapot.variants[0].id
    answers = Answers()
    assert len(shop_in_parallel(shop.url, variant_id, 8, answers)) == 8
    assert wait_until(payments_settled)  # no webhook in flight: the pool is idle
    assert backends(APP_NAME) > 0

    assert terminate_backends(APP_NAME) > 0
    assert wait_until(lambda: backends(APP_NAME) == 0)

    assert len(shop_in_parallel(shop.url, variant_id, 8, answers)) == 8
    assert set(answers.statuses()) <= {200, 303}, answers.statuses()
    assert wait_until(payments_settled, timeout=30)
    run_worker()
    assert wait_for_confirmations(timeout=30)
    assert assert_invariants({variant_id: 40}, smtp_sink.messages)["paid"] == 16
    assert booted_workers(shop) == 1


def test_connections_killed_again_and_again_mid_traffic_lose_nothing(
        shop, db, smtp_sink, run_worker):
    """Shoppers buy and pay while every connection of the shop is terminated again and
    again: a request whose connection dies answers 503 (never 500), webhooks whose
    delivery failed are retried, and at the end every promise holds."""
    teapot = make_product("Teapot", stock=60)
    mug = make_product("Mug", stock=60)
    variants = [teapot.variants[0].id, mug.variants[0].id]
    answers = Answers()
    stop = threading.Event()
    failures = []

    def shopping(i):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                Shopper(shop.url, answers).buy(variants[(i + n) % 2], pay=(i + n) % 3 != 0)
            except Exception as error:  # noqa: BLE001  (a broken connection to gunicorn)
                failures.append(repr(error))
    threads = [threading.Thread(target=shopping, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        kills = 0
        for round_ in range(8):  # spread over the traffic: 15 answers between kills
            assert wait_until(lambda: len(answers.seen) >= 15 * (round_ + 1)
                              and backends(APP_NAME) > 0, timeout=60)
            kills += terminate_backends(APP_NAME)
        assert wait_until(lambda: len(answers.seen) >= 15 * 9, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    assert not failures, failures[:5]
    answers.assert_no_server_errors(allow_503=True)
    print(f"\n{kills} connections killed; answers: {dict(answers.statuses())}")
    assert wait_until(payments_settled, timeout=90)
    run_worker()
    assert wait_for_confirmations(timeout=30)
    counts = assert_invariants({variant_id: 60 for variant_id in variants}, smtp_sink.messages)
    assert counts["paid"] > 0
    assert booted_workers(shop) == 1
    # Recovered: a new shopper buys and pays as if nothing had happened.
    clean = Answers()
    assert Shopper(shop.url, clean).buy(variants[0]) is not None
    assert set(clean.statuses()) <= {200, 303}


def test_an_unreachable_database_answers_503_and_the_shop_recovers_without_a_restart(
        shop, pg_proxy, db, smtp_sink, run_worker):
    teapot = make_product("Teapot", stock=5)
    variant_id = teapot.variants[0].id
    make_user("ada@example.com", role="customer")
    shopper = Shopper(shop.url)
    assert shopper.add_to_cart(variant_id).status_code == 303
    checkout_form = shopper.open_checkout()
    customer = Shopper(shop.url, shopper.answers)
    customer.form_token("/login")
    logged_in = customer.post("/login", {"csrf_token": customer.token,
                                         "email": "ada@example.com", "password": PASSWORD})
    assert logged_in.status_code == 303
    assert customer.get("/account").status_code == 200
    master = shop.process.pid

    pg_proxy.cut()
    down_since = time.monotonic()
    seen = 0
    while time.monotonic() < down_since + OUTAGE_SECONDS or seen < 3:
        assert_outage_page(shopper.post("/checkout", checkout_form))  # the order must wait
        assert_outage_page(customer.get("/account"))  # logged in: shown logged out
        fragment = shopper.post("/cart/items", {"csrf_token": shopper.token,
                                                "variant_id": variant_id, "quantity": 1},
                                headers=HX)
        assert fragment.status_code == 503 and "<html" not in fragment.text
        probe = new_browser()  # the load balancer's probes: live, but not ready
        assert probe.get(shop.url + "/healthz", timeout=10).status_code == 200
        assert probe.get(shop.url + "/readyz", timeout=10).status_code == 503
        seen += 1
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0  # nothing written

    pg_proxy.restore()
    placed, payment_page = shopper.place_order(checkout_form)  # the same form, sent again
    assert placed.status_code == 303 and payment_page, placed.text[:300]
    assert shopper.pay(payment_page).status_code == 303
    order = order_paying_at(payment_page)
    assert wait_until(lambda: fresh(db, Order, order.id).status == "paid")
    assert customer.get("/account").status_code == 200
    run_worker()
    assert wait_for_confirmations()
    assert assert_invariants({variant_id: 5}, smtp_sink.messages) == {"paid": 1}
    assert shop.process.pid == master and shop.process.poll() is None
    assert booted_workers(shop) == 1  # no worker restarted either
    shopper.answers.assert_no_server_errors(allow_503=True)


def test_a_webhook_delivered_while_the_database_is_down_is_retried_and_succeeds(
        database_url, pg_proxy, tmp_path, db, smtp_sink, run_worker):
    """Stripe (the sandbox, served by a process of its own with a database it can
    reach) delivers checkout.session.completed while the shop cannot reach its
    database: the shop answers 503, Stripe retries, and the retry marks the order paid."""
    shop_port = free_port()
    for name in ("stripe", "shop"):
        (tmp_path / name).mkdir()
    sandbox = AppProcess(database_url, tmp_path / "stripe",
                         STRIPE_SANDBOX_WEBHOOK_URL=f"http://127.0.0.1:{shop_port}/webhooks/stripe")
    shop = None
    try:
        shop = shop_process(database_url, pg_proxy, tmp_path / "shop", port=shop_port,
                            STRIPE_API_BASE=sandbox.url + "/_sandbox/stripe")
        teapot = make_product("Teapot", stock=3)
        shopper = Shopper(shop.url)
        payment_page = shopper.buy(teapot.variants[0].id, pay=False)
        assert payment_page and payment_page.startswith(sandbox.url)
        order = order_paying_at(payment_page)

        pg_proxy.cut()
        assert shopper.pay(payment_page, follow=False).status_code == 303  # Stripe took it
        refused = re.compile(r'"POST /webhooks/stripe HTTP/1\.1" 503 ')
        assert wait_until(lambda: refused.search(shop.output()), timeout=30), shop.output()[-3000:]
        assert fresh(db, Order, order.id).status == "pending"

        pg_proxy.restore()
        assert wait_until(lambda: fresh(db, Order, order.id).status == "paid", timeout=60)
        accepted = re.compile(r'"POST /webhooks/stripe HTTP/1\.1" 200 ')
        assert wait_until(lambda: accepted.search(shop.output()))  # logged once answered
        run_worker()
        assert wait_for_confirmations()
        assert assert_invariants({teapot.variants[0].id: 3}, smtp_sink.messages) == {"paid": 1}
        assert booted_workers(shop) == 1
    finally:
        if shop is not None:
            shop.stop()
        sandbox.stop()
