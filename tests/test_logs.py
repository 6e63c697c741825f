"""Logs are JSON lines carrying the request's id, which the response sends back."""
import io
import json
import logging

import pytest

from webshop import logs


@pytest.fixture
def json_logs():
    """The shop's handler on the root logger, writing JSON lines into a buffer."""
    stream = io.StringIO()
    logs.configure("INFO", "json", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "webshop"]:
        root.removeHandler(handler)


def test_a_requests_log_lines_carry_its_id_and_the_response_returns_it(client, json_logs):
    response = client.post("/webhooks/stripe", data="{}", headers={
        "X-Request-ID": "edge-4f2a9c1d", "Stripe-Signature": "t=1,v1=forged"})

    assert response.status_code == 400 and response.headers["X-Request-ID"] == "edge-4f2a9c1d"
    [line] = [entry for entry in json_logs() if "rejected a webhook" in entry["message"]]
    assert line["request_id"] == "edge-4f2a9c1d" and line["level"] == "WARNING"
    assert line["logger"] == "webshop.payments.routes" and line["time"]


def test_a_request_without_a_usable_id_gets_a_fresh_one(client):
    first = client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"})
    second = client.get("/healthz")
    ids = first.headers["X-Request-ID"], second.headers["X-Request-ID"]
    assert all(len(value) == 32 for value in ids) and ids[0] != ids[1]


def test_work_done_for_a_request_logs_under_its_id(json_logs):
    with logs.request_id_bound("req-for-the-job"):
        logging.getLogger("webshop.jobs").warning("sending the confirmation")
    logging.getLogger("webshop.jobs").warning("after the job")

    lines = json_logs()
    assert [line["request_id"] for line in lines] == ["req-for-the-job", None]
