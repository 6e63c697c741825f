"""The scaled shop (scripts/cluster.py, `make cluster`): nginx in front of two gunicorn
instances. A shopper's login and cart work whichever instance answers; one instance is
killed mid-traffic and no GET fails and no order is lost or doubled."""
import importlib.util
import io
import re
import threading

import pytest
import requests
from sqlalchemy import func, select

from tests.catalogue_helpers import png_bytes
from tests.conftest import REDIS_TEST_URL, ROOT
from tests.factories import PASSWORD, make_product, make_user
from tests.helpers import CHECKOUT, wait_until
from webshop import merchandising
from webshop.models import Order

_spec = importlib.util.spec_from_file_location("cluster", ROOT / "scripts" / "cluster.py")
cluster_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cluster_script)

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@pytest.fixture
def cluster(app, database_url, tmp_path):
    running = cluster_script.Cluster({
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_TEST_URL,
        "UPLOAD_DIR": str(tmp_path / "uploads"), "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "STRIPE_WEBHOOK_SECRET": app.config["STRIPE_WEBHOOK_SECRET"],
        "MEDIA_STORAGE": "database",  # as `make cluster` and the Kubernetes manifests
    }, web=2, workers=0, run_dir=tmp_path / "run", access_log=True).start()
    yield running
    running.stop()


def token(session, url):
    return CSRF.search(session.get(url, timeout=10).text).group(1)


def served_requests(cluster, index):
    return cluster.log(f"web{index}").count('"GET ') + cluster.log(f"web{index}").count('"POST ')


def test_a_shopper_moves_between_instances_and_survives_one_dying(cluster, db):
    mug = make_product("Mug", price=1250, stock=50)
    make_user("ada@example.com")
    shopper = requests.Session()
    login = shopper.post(cluster.url + "/login", timeout=10, allow_redirects=False, data={
        "csrf_token": token(shopper, cluster.url + "/login"), "email": "ada@example.com",
        "password": PASSWORD})
    assert login.status_code == 303
    csrf = token(shopper, cluster.url + "/account")
    added = shopper.post(cluster.url + "/cart/items", timeout=10, allow_redirects=False,
                         data={"csrf_token": csrf, "variant_id": mug.variants[0].id, "quantity": 2})
    assert added.status_code == 303

    # nginx alternates between the instances: each sees the same login and cart.
    for _ in range(6):
        cart = shopper.get(cluster.url + "/cart", timeout=10).text
        assert "Log out" in cart and 'value="2"' in cart
    assert served_requests(cluster, 0) and served_requests(cluster, 1)

    statuses, done, stop = [], threading.Event(), threading.Event()

    def browse():
        browser = requests.Session()
        while not stop.is_set():
            for path in ("/", "/products", f"/products/{mug.slug}"):
                statuses.append(browser.get(cluster.url + path, timeout=10).status_code)
        done.set()

    traffic = threading.Thread(target=browse)
    traffic.start()
    try:
        assert wait_until(lambda: len(statuses) >= 20, timeout=30)
        cluster.kill_web(0)  # a machine dies mid-traffic
        killed_at = len(statuses)
        assert wait_until(lambda: len(statuses) >= killed_at + 40, timeout=30)
    finally:
        stop.set()
        traffic.join(timeout=30)
    assert done.is_set() and set(statuses) == {200}, sorted(set(statuses))

    form = shopper.get(cluster.url + "/checkout", timeout=10).text
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form).group(1)
    order = {**CHECKOUT, "email": "ada@example.com", "csrf_token": csrf, "idempotency_key": key}
    first = shopper.post(cluster.url + "/checkout", data=order, timeout=30, allow_redirects=False)
    again = shopper.post(cluster.url + "/checkout", data=order, timeout=30, allow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert "/_sandbox/stripe/pay/" in first.headers["Location"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_nginx_micro_caches_anonymous_pages_and_never_a_session(cluster, db):
    mug = make_product("Mug", price=1250, stock=50)
    url = f"{cluster.url}/products/{mug.slug}"
    first, second = requests.get(url, timeout=10), requests.get(url, timeout=10)
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT" and second.text == first.text
    assert "Set-Cookie" not in second.headers and "public" in second.headers["Cache-Control"]

    # A first visitor adds to the cart through the proxy: the Origin is the proxy's address.
    shopper = requests.Session()
    added = shopper.post(cluster.url + "/cart/items", timeout=10, allow_redirects=False,
                         headers={"Origin": cluster.url},
                         data={"csrf_token": "", "variant_id": mug.variants[0].id, "quantity": 2})
    assert added.status_code == 303 and shopper.cookies.get("session")
    for _ in range(3):  # with a session: never from the cache, never into it
        mine = shopper.get(url, timeout=10)
        assert mine.headers["X-Cache-Status"] == "BYPASS"
        assert 'class="badge-count">2<' in mine.text and "private" in mine.headers["Cache-Control"]
    shared = requests.get(url, timeout=10)
    assert shared.headers["X-Cache-Status"] == "HIT" and 'class="badge-count">0<' in shared.text


def test_a_picture_in_the_database_is_served_by_every_instance_and_kept_by_nginx(
        cluster, db, settings):
    mug = make_product("Mug", price=1250, stock=50)
    settings(MEDIA_STORAGE="database")
    staff = make_user("staff@example.com", role="staff")
    image = merchandising.add_image(mug.id, io.BytesIO(png_bytes()), staff)
    url = f"{cluster.url}/media/{image.filename}"

    # Straight from each instance (no shared disk: the picture is in the database)...
    for port in cluster.web_ports:
        direct = requests.get(f"http://127.0.0.1:{port}/media/{image.filename}", timeout=10)
        assert direct.status_code == 200 and direct.content[:4] == b"RIFF"
    # ...and through nginx, asked once: then kept, for visitors with a session too.
    first = requests.get(url, timeout=10)
    assert first.headers["X-Cache-Status"] == "MISS"
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    shopper = requests.Session()
    shopper.cookies.set("session", "anything")
    for browser in (requests, shopper):
        again = browser.get(url, timeout=10)
        assert again.headers["X-Cache-Status"] == "HIT" and again.content == first.content
        assert "Set-Cookie" not in again.headers
