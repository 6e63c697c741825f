"""/metrics answers only a scraper with the token or at an allowed address, and tells the
outbox backlog."""
import re
from datetime import timedelta

import pytest

from tests.factories import make_order
from tests.test_jobs import outbox, paid_order, redis_down
from webshop import create_app
from webshop.models import utcnow

TOKEN = "scrape-me-please-0123456789"


def scrape(client, address="127.0.0.1", **headers):
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})


def test_metrics_are_closed_to_everyone_by_default(client, db):
    for address in ("127.0.0.1", "10.1.2.3", "203.0.113.9", "::1"):
        response = scrape(client, address)
        assert response.status_code == 403
        assert "webshop_orders" not in response.get_data(as_text=True)


def test_a_scraper_with_the_token_may_read_them(client, db, settings):
    settings(METRICS_TOKEN=TOKEN)
    assert scrape(client, "203.0.113.9", Authorization=f"Bearer {TOKEN}").status_code == 200
    assert scrape(client, Authorization=f"bearer {TOKEN}").status_code == 200
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}",
                  TOKEN, ""):
        assert scrape(client, Authorization=wrong).status_code == 403, wrong


def test_allowed_addresses_and_networks_may_read_them(client, db, settings):
    settings(METRICS_ALLOW_FROM=("127.0.0.1", "10.0.0.0/8", "fd00::/8"))
    for address in ("127.0.0.1", "10.1.2.3", "fd00::5"):
        assert scrape(client, address).status_code == 200, address
    for address in ("127.0.0.2", "11.0.0.1", "203.0.113.9", "::1"):
        assert scrape(client, address).status_code == 403, address


def test_a_request_through_an_untrusted_proxy_is_not_the_proxys_own(client, db, settings):
    """nginx on the same machine connects from 127.0.0.1 for every visitor: with no
    trusted proxy configured, such a request never counts as 127.0.0.1's."""
    settings(METRICS_ALLOW_FROM=("127.0.0.1",))
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"},
                   {"X-Forwarded-For": "127.0.0.1"}):
        assert scrape(client, "127.0.0.1", **header).status_code == 403, header


def test_behind_a_trusted_proxy_the_clients_address_counts(client, db, settings):
    settings(METRICS_ALLOW_FROM=("10.0.0.0/8",), TRUSTED_PROXY_HOPS=1)
    through = {"X-Forwarded-For": "10.9.8.7"}
    assert scrape(client, "127.0.0.1", **through).status_code == 200
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_a_typo_in_the_allowed_addresses_stops_the_start(app):
    with pytest.raises(RuntimeError, match="METRICS_ALLOW_FROM"):
        create_app({**app.config, "METRICS_ALLOW_FROM": ("10.0.0.0/33",)})


def test_metrics_speak_prometheus_text(client, db, settings):
    settings(METRICS_TOKEN=TOKEN)
    make_order(status="paid")
    client.get("/")
    response = scrape(client, Authorization=f"Bearer {TOKEN}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'webshop_orders{status="paid"} 1.0' in body
    assert 'webshop_http_requests_total{endpoint="shop.home",method="GET",status="200"}' in body
    assert "webshop_outbox_pending 0.0" in body


def test_metrics_show_the_outbox_backlog_and_its_oldest_age(client, db, settings, redis_client):
    settings(METRICS_TOKEN=TOKEN)
    body = scrape(client, Authorization=f"Bearer {TOKEN}").get_data(as_text=True)
    assert "webshop_outbox_backlog 0.0" in body
    assert "webshop_outbox_oldest_age_seconds 0.0" in body

    with settings(REDIS_URL=redis_down()):
        paid_order(db)  # waiting: Redis was away
    paid_order(db)  # handed over, its job not finished yet
    first, _ = outbox(db)
    first.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    body = scrape(client, Authorization=f"Bearer {TOKEN}").get_data(as_text=True)
    assert "webshop_outbox_backlog 2.0" in body
    assert "webshop_outbox_pending 1.0" in body
    age = float(re.search(r"^webshop_outbox_oldest_age_seconds (\S+)$", body, re.M).group(1))
    assert 300 <= age < 400
