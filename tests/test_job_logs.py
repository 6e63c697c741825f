"""One id finds a request in the web's logs and the jobs it handed to the worker in the
worker's: the request id travels with the job (RQ job meta) and the worker's JSON log
lines for that job carry it."""
import json

from tests.factories import make_user
from tests.helpers import csrf_token

REQUEST_ID = "abc-0000-request"


def test_the_workers_log_lines_for_a_job_carry_the_request_id(client, db, smtp_sink, run_worker):
    make_user("ada@example.com")
    token = csrf_token(client, "/password/forgot")
    asked = client.post("/password/forgot", data={"email": "ada@example.com", "csrf_token": token},
                        headers={"X-Request-ID": REQUEST_ID})
    assert asked.status_code in (200, 303) and asked.headers["X-Request-ID"] == REQUEST_ID

    result = run_worker(env={"LOG_FORMAT": "json"})

    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "ada@example.com"
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    job_lines = [line for line in lines if line["logger"] == "webshop.jobs"]
    assert job_lines and {line["request_id"] for line in job_lines} == {REQUEST_ID}
    started = [line for line in job_lines if line["message"].endswith("started")]
    assert len(started) == 1 and "webshop.notifications" in started[0]["message"]
