"""/metrics under gunicorn with several workers (deploy/gunicorn.conf.py, prometheus_client's
multiprocess mode): every scrape reports every worker's requests, whichever worker answers
it; the scrape-time figures say which dependency could not be read instead of failing."""
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.helpers import wait_until
from tests.sandbox_helpers import AppProcess
from webshop import create_app

TOKEN = "scrape-me-please-0123456789"
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with _direct.open(request, timeout=30) as response:
        return response.status, response.read().decode()


def sample(body, series):
    match = re.search(r"^%s (\S+)$" % re.escape(series), body, re.M)
    return float(match.group(1)) if match else 0.0


def test_every_scrape_counts_the_requests_of_every_worker(database_url, tmp_path, db):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied at start
    server = AppProcess(database_url, tmp_path,
                        ("--config", "deploy/gunicorn.conf.py", "--workers", "2"),
                        PROMETHEUS_MULTIPROC_DIR=str(folder), METRICS_TOKEN=TOKEN)
    try:
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            def burst():  # new connections at once: both workers take some
                nonlocal sent
                statuses = list(pool.map(lambda _: get(server.url + "/")[0], range(16)))
                assert statuses == [200] * 16
                sent += 16
                return len({path.name for path in folder.glob("counter_*.db")}) == 2
            assert wait_until(burst, timeout=60), "one worker served every request"

            scrapes = list(pool.map(
                lambda _: get(server.url + "/metrics", Authorization=f"Bearer {TOKEN}"),
                range(12)))
        for status, body in scrapes:
            assert status == 200
            assert sample(body, 'webshop_http_requests_total{endpoint="shop.home",method="GET",'
                                'status="200"}') == sent
            assert 'webshop_up{dependency="database"} 1.0' in body
            assert 'webshop_up{dependency="redis"} 1.0' in body
            assert re.search(r'^webshop_queue_length\{queue="emails"\} \d', body, re.M)
            assert re.search(r'^webshop_workers \d', body, re.M)
            hits, misses, ratio = (sample(body, name + '{cache="page"}') for name in (
                "webshop_cache_hits_total", "webshop_cache_misses_total", "webshop_cache_hit_ratio"))
            assert hits > 0 and misses > 0 and hits + misses >= sent  # the page, at least
            assert ratio == round(hits / (hits + misses), 4)
    finally:
        server.stop()


def test_a_scrape_while_the_database_and_redis_are_down_says_so(app, db):
    nowhere = "redis://127.0.0.1:1/0"  # nothing listens on these ports
    broken = create_app({**app.config, "METRICS_TOKEN": TOKEN, "REDIS_URL": nowhere,
                         "CACHE_REDIS_URL": nowhere,
                         "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/shop"})
    response = broken.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'webshop_up{dependency="database"} 0.0' in body
    assert 'webshop_up{dependency="redis"} 0.0' in body
    assert "webshop_orders{" not in body and "webshop_queue_length{" not in body
    assert "webshop_http_requests_total" in body  # what the processes counted is still there

    ready = broken.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("error")
    assert ready.get_json()["degraded"]["redis"].startswith("error")


def test_a_redis_outage_alone_leaves_the_shop_ready(app, db):
    nowhere = "redis://127.0.0.1:1/0"
    degraded = create_app({**app.config, "REDIS_URL": nowhere, "CACHE_REDIS_URL": nowhere})
    ready = degraded.test_client().get("/readyz")
    assert ready.status_code == 200  # pages are served uncached, the outbox keeps its mail
    assert ready.get_json()["degraded"]["redis"].startswith("error")
