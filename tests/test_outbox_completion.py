"""The outbox to completion: a message is done when its job finished, not when Redis took
it; what Redis lost is handed over again; the queue Redis apart from the cache's."""
import logging
import re
from datetime import timedelta

from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from tests.conftest import free_port
from tests.helpers import run_concurrently
from tests.test_jobs import outbox, paid_order, redis_down, sent_count
from tests.worker_helpers import RedisServer, own_redis  # noqa: F401  (a fixture)
from webshop import create_app, safe_cache
from webshop import outbox as outbox_module
from webshop.models import utcnow
from webshop.outbox import delivery


def emails_queue(redis_client):
    return Queue("emails", connection=redis_client)


def job_of(message, redis_client):
    return Job.fetch(f"outbox-{message.id}", connection=redis_client)


# --- done when the job finished ------------------------------------------------------------

def test_a_message_is_done_when_its_job_finished_not_when_redis_took_it(
        db, redis_client, smtp_sink, run_worker):
    paid_order(db)
    [message] = outbox(db)
    assert message.enqueued_at is not None and message.completed_at is None
    assert outbox_module.backlog()["unfinished"] == 1

    run_worker()

    [message] = outbox(db)
    assert message.completed_at >= message.enqueued_at
    assert outbox_module.backlog() == {"unfinished": 0, "waiting": 0, "oldest_age": 0.0}
    assert len(smtp_sink.wait_for(1)) == 1


def test_completion_is_a_compare_and_set(db, redis_client):
    paid_order(db)
    [message] = outbox(db)

    assert outbox_module.complete(message.id) is True
    first = outbox(db)[0].completed_at
    assert outbox_module.complete(message.id) is False  # a second run of the job
    assert outbox(db)[0].completed_at == first


def test_a_job_that_fails_is_not_done(db, redis_client, smtp_sink, run_worker, fast_retries):
    paid_order(db)
    run_worker(env={"MAIL_PORT": str(free_port())})  # the mail server is down

    [message] = outbox(db)
    assert message.completed_at is None and sent_count(db) == 0


def test_periodic_and_foreign_jobs_stand_for_no_message():
    assert delivery.message_id("outbox-42") == 42
    assert delivery.job_id(42) == "outbox-42"
    for other in ("periodic-relay-outbox-123", "outbox-", "outbox-x1", "1234", None):
        assert delivery.message_id(other) is None


# --- handed over again ---------------------------------------------------------------------

def test_a_job_redis_lost_is_handed_over_again_and_sent_once(
        settings, db, redis_client, smtp_sink, run_worker):
    order = paid_order(db)
    redis_client.flushdb()  # a restart without persistence, or a flush

    assert outbox_module.relay_pending() == 0  # not yet OUTBOX_REDELIVER_AFTER
    settings(OUTBOX_REDELIVER_AFTER=0)
    assert outbox_module.relay_pending() == 1

    [message] = outbox(db)
    assert message.attempts == 2 and message.completed_at is None
    assert emails_queue(redis_client).job_ids == [f"outbox-{message.id}"]
    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert order.number in mail["Subject"]
    assert sent_count(db) == 1 and outbox(db)[0].completed_at is not None
    assert outbox_module.relay_pending() == 0  # done: never handed over again


def test_jobs_redis_still_holds_alive_are_left_alone(settings, db, redis_client, smtp_sink,
                                                     run_worker):
    with settings(JOB_RETRY_INTERVALS=[3600]):
        paid_order(db)
    run_worker(env={"MAIL_PORT": str(free_port())})  # fails, waits an hour for its retry
    paid_order(db)  # queued
    retrying, queued = outbox(db)
    assert ScheduledJobRegistry("emails", connection=redis_client).get_job_ids() == [
        f"outbox-{retrying.id}"]
    assert emails_queue(redis_client).job_ids == [f"outbox-{queued.id}"]
    before = [(m.enqueued_at, m.attempts) for m in outbox(db)]
    settings(OUTBOX_REDELIVER_AFTER=0)

    assert outbox_module.relay_pending() == 0

    assert [(m.enqueued_at, m.attempts) for m in outbox(db)] == before
    assert emails_queue(redis_client).job_ids == [f"outbox-{queued.id}"]
    assert job_of(retrying, redis_client).get_status() == "scheduled"


def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_handed_over_again(
        settings, db, redis_client, smtp_sink, run_worker):
    """RQ pops a job from its queue (BLPOP over several queues) before it registers it
    as started: a worker dying in between leaves a job "queued" in no queue."""
    order = paid_order(db)
    [message] = outbox(db)
    assert redis_client.lpop(emails_queue(redis_client).key).decode() == f"outbox-{message.id}"
    assert job_of(message, redis_client).get_status() == "queued"
    settings(OUTBOX_REDELIVER_AFTER=0)

    assert outbox_module.relay_pending() == 1

    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert order.number in mail["Subject"] and sent_count(db) == 1


def test_a_job_that_failed_for_good_is_handed_over_again_with_fresh_retries(
        settings, db, redis_client, smtp_sink, run_worker):
    settings(JOB_RETRIES=1, JOB_RETRY_INTERVALS=[0])
    paid_order(db)
    [message] = outbox(db)
    run_worker(env={"MAIL_PORT": str(free_port())})  # fails, is retried, fails for good
    assert f"outbox-{message.id}" in FailedJobRegistry("emails", connection=redis_client)

    settings(OUTBOX_REDELIVER_AFTER=0, JOB_RETRIES=5)
    assert outbox_module.relay_pending() == 1

    job = job_of(message, redis_client)
    assert job.get_status() == "queued" and job.retries_left == 5
    assert f"outbox-{message.id}" not in FailedJobRegistry("emails", connection=redis_client)
    run_worker()
    assert len(smtp_sink.wait_for(1)) == 1 and sent_count(db) == 1
    assert outbox(db)[0].completed_at is not None


def test_two_relays_racing_hand_a_lost_job_over_once(app, settings, db, redis_client):
    paid_order(db)
    redis_client.flushdb()
    [message] = outbox(db)
    message.enqueued_at = utcnow() - timedelta(minutes=10)
    db.session.commit()

    results = run_concurrently(app, 4, lambda i: outbox_module.relay_pending())

    assert sorted(results) == [0, 0, 0, 1]
    assert outbox(db)[0].attempts == 2
    assert emails_queue(redis_client).count == 1


def test_redis_down_during_a_redelivery_leaves_the_message_waiting(settings, db, redis_client):
    paid_order(db)
    [message] = outbox(db)
    with settings(OUTBOX_REDELIVER_AFTER=0, REDIS_URL=redis_down()):
        assert outbox_module.relay_pending() == 0
    assert outbox(db)[0].enqueued_at == message.enqueued_at  # untouched, checked again later


# --- the backlog -----------------------------------------------------------------------------

def test_the_backlog_counts_what_is_not_done_and_its_oldest_age(settings, db, redis_client):
    with settings(REDIS_URL=redis_down()):
        paid_order(db)  # waiting: never handed over
    paid_order(db)  # handed over, not done
    paid_order(db)
    waiting, handed_over, done = outbox(db)
    waiting.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    outbox_module.complete(done.id)

    backlog = outbox_module.backlog()
    assert (backlog["unfinished"], backlog["waiting"]) == (2, 1)
    assert 600 <= backlog["oldest_age"] < 700


def test_the_dashboard_shows_the_backlog_and_says_when_it_is_late(staff, settings, db,
                                                                  redis_client):
    page = staff.get("/admin/").get_data(as_text=True)
    assert "Emails and jobs waiting" in page and "all sent and done" in page

    paid_order(db)
    [message] = outbox(db)
    message.created_at = utcnow() - timedelta(minutes=45)
    db.session.commit()
    safe_cache.call("delete", "admin:dashboard")  # the figures' 30 s cache
    page = staff.get("/admin/").get_data(as_text=True)
    card = re.search(r'<div class="([^"]*)" id="outbox-backlog">(.*?)</div>', page, re.S)
    assert "stat-card-alert" in card.group(1)
    assert "oldest 45 min" in card.group(2) and "Is the worker running?" in card.group(2)


# --- the queue Redis apart from the cache's ----------------------------------------------------

def test_the_queues_can_live_in_a_redis_of_their_own(settings, db, redis_client, own_redis,
                                                     smtp_sink, run_worker):
    settings(REDIS_QUEUE_URL=own_redis.url)
    order = paid_order(db)
    [message] = outbox(db)

    queues = own_redis.client()
    assert Queue("emails", connection=queues).job_ids == [f"outbox-{message.id}"]
    assert emails_queue(redis_client).count == 0  # the cache's Redis holds no job

    run_worker(env={"REDIS_QUEUE_URL": own_redis.url})
    [mail] = smtp_sink.wait_for(1)
    assert order.number in mail["Subject"] and outbox(db)[0].completed_at is not None


def test_an_evicting_queue_redis_is_warned_about_at_start_up(app, tmp_path, caplog,
                                                             own_redis, run_worker):
    lru = RedisServer(free_port(), tmp_path, "--maxmemory", "64mb",
                      "--maxmemory-policy", "allkeys-lru").start()
    try:
        with caplog.at_level(logging.WARNING, logger="webshop.outbox"):
            assert delivery.check_queue_redis(own_redis.client()) == "noeviction"
            assert outbox_warnings(caplog) == []
            create_app({**app.config, "REDIS_QUEUE_URL": lru.url})  # a web process starts
        [warning] = outbox_warnings(caplog)
        assert "evicts keys (maxmemory-policy allkeys-lru)" in warning.getMessage()
        assert "REDIS_QUEUE_URL" in warning.getMessage()

        result = run_worker(env={"REDIS_QUEUE_URL": lru.url})  # and a worker
        assert "evicts keys (maxmemory-policy allkeys-lru)" in result.stderr
    finally:
        lru.stop()


def outbox_warnings(caplog):
    return [r for r in caplog.records if r.name == "webshop.outbox" and r.levelno >= logging.WARNING]


def test_a_queue_redis_that_cannot_be_asked_is_no_reason_not_to_start(caplog):
    class Refusing:
        def info(self, section):
            raise ConnectionError("refused")

    assert delivery.check_queue_redis(Refusing()) is None


def test_passwords_stay_out_of_the_log():
    assert delivery.redacted("redis://:s3cret@queue.internal:6379/0") == \
        "redis://***@queue.internal:6379/0"
    assert delivery.redacted("redis://queue.internal:6379/0") == "redis://queue.internal:6379/0"



def test_the_backlog_on_sqlite_the_embedded_default(sqlite_app):
    from sqlalchemy import insert

    from webshop.extensions import db
    from webshop.models import OutboxMessage
    from webshop.reports import dashboard

    assert sqlite_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite_app.app_context():
        db.session.execute(insert(OutboxMessage).values(
            job="webshop.notifications.send_password_reset", args=[1], attempts=10,
            created_at=utcnow() - timedelta(minutes=20)))  # gave up in-process
        db.session.commit()
        backlog = outbox_module.backlog()
        assert (backlog["unfinished"], backlog["waiting"]) == (1, 1)
        assert 1200 <= backlog["oldest_age"] < 1300
        figures = dashboard._figures()["outbox"]
        assert figures["late"] and figures["oldest_minutes"] == 20
