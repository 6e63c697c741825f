"""One id finds a request in the web's logs and the jobs it handed to the worker in the
worker's: the request id travels with the job (the outbox row keeps it, RQ job meta
carries it) and the worker's JSON log lines for that job carry it, also when the job is
handed over long after the request (Redis was away, or lost it)."""
import json

from rq.job import Job
from sqlalchemy import select

from tests.factories import make_user
from tests.helpers import csrf_token
from tests.test_jobs import redis_down
from webshop import outbox
from webshop.logs import current_request_id, request_id_bound
from webshop.models import OutboxMessage

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


# --- a job handed over later keeps the id (the outbox row carries it) -------------------------

def forgot_password(client, request_id):
    token = csrf_token(client, "/password/forgot")
    asked = client.post("/password/forgot", data={"email": "ada@example.com", "csrf_token": token},
                        headers={"X-Request-ID": request_id})
    assert asked.status_code in (200, 303)


def job_request_ids(result):
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    started = [line for line in lines
               if line["logger"] == "webshop.jobs" and line["message"].endswith("started")
               and "webshop.notifications" in line["message"]]
    return [line["request_id"] for line in started]


def test_a_job_relayed_after_a_redis_outage_logs_the_request_that_caused_it(
        client, db, settings, smtp_sink, run_worker):
    make_user("ada@example.com")
    with settings(REDIS_URL=redis_down()):  # Redis is away at the request's commit
        forgot_password(client, "outage-1234-request")
    db.session.rollback()
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.enqueued_at is None and message.request_id == "outage-1234-request"

    result = run_worker(env={"LOG_FORMAT": "json"})  # relays what is left at start-up

    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert job_request_ids(result) == ["outage-1234-request"]


def test_a_job_handed_over_again_after_redis_lost_it_logs_the_request_that_caused_it(
        client, db, settings, redis_client, smtp_sink, run_worker):
    make_user("ada@example.com")
    forgot_password(client, "lost-5678-request")
    redis_client.flushdb()  # Redis restarted without its data: the job is gone
    settings(OUTBOX_REDELIVER_AFTER=0)
    assert outbox.relay_pending() == 1  # handed over again, outside any request
    db.session.rollback()
    message_id = db.session.scalar(select(OutboxMessage.id))
    job = Job.fetch(f"outbox-{message_id}", connection=redis_client)
    assert job.meta["request_id"] == "lost-5678-request"

    result = run_worker(env={"LOG_FORMAT": "json"})

    assert len(smtp_sink.wait_for(1)) == 1
    assert job_request_ids(result) == ["lost-5678-request"]


SEEN = []


def remember_request_id():
    """A job (found by its dotted path) that notes the id it runs under."""
    SEEN.append(current_request_id())


def test_a_job_run_in_process_later_logs_under_the_request_that_caused_it(db, settings):
    """Embedded mode (no queue Redis): the relay runs what a crash left, in this process."""
    settings(REDIS_URL=None)
    SEEN.clear()
    with request_id_bound("inline-9012-request"):
        outbox.enqueue("tests.test_job_logs.remember_request_id")
        db.session.flush()
        db.session.info.pop("webshop.outbox")  # as if the process died before the hand-over
        db.session.commit()
    assert SEEN == [] and current_request_id() is None

    assert outbox.relay_pending(older_than_seconds=0) == 1

    assert SEEN == ["inline-9012-request"]
