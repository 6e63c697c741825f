"""Faults, with real processes the tests own (bounded, loopback only): a Redis server of
the test's own killed and restarted empty mid-traffic, a worker SIGKILLed mid-job, the
mail server down for a while. After each, every paid order has exactly one confirmation
email, the outbox holds nothing unfinished, and nothing had to be restarted by hand.

Long-running workers (`python worker.py`) run with their periodic relay on where the
test needs it, and with expire-reservations off; intervals are short so that the
conditions come soon, and every wait is for a condition, never for a fixed time."""
import os
import signal
import socket
import time
from collections import Counter

from aiosmtpd.controller import Controller
from rq.job import Job
from rq.scheduler import RQScheduler
from sqlalchemy import func, select

from tests.conftest import SmtpSink
from tests.factories import make_order
from tests.test_jobs import StallingSmtp, outbox, sent_count
from tests.worker_helpers import PATIENCE, own_redis, start_worker, wait_for  # noqa: F401
from webshop import orders
from webshop import outbox as outbox_module
from webshop.models import OutboxMessage

FAST = ("--schedule-check-interval", "1", "--maintenance-interval", "1")
RELAYING = {"JOB_RELAY_OUTBOX_EVERY": "1", "JOB_RELAY_AFTER": "1", "OUTBOX_REDELIVER_AFTER": "2"}


def place_paid_orders(count, tag):
    placed = []
    for i in range(count):
        order = make_order(email=f"{tag}{i}@example.com")
        orders.mark_paid(order.id)
        placed.append(order)
    return placed


def confirmations(messages):
    """Order number -> how many confirmation emails it got."""
    return Counter(m["Subject"].split()[2] for m in messages if m["Subject"].endswith("confirmed"))


def all_done(db):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.completed_at.is_(None))) == 0


def assert_each_confirmed_once(db, sink, placed):
    numbers = {order.number for order in placed}
    wait_for(lambda: numbers <= set(confirmations(sink.messages)),
             what="a confirmation for every paid order")
    wait_for(lambda: all_done(db), what="the outbox to hold nothing unfinished")
    # Nothing unfinished: no job is left that could still send.
    assert confirmations(sink.messages) == Counter({number: 1 for number in numbers})
    assert sent_count(db) == len(numbers)
    assert outbox_module.backlog()["unfinished"] == 0


def test_a_redis_restarted_empty_mid_traffic_loses_no_email_and_stops_no_process(
        settings, db, own_redis, smtp_sink, start_worker):
    settings(REDIS_QUEUE_URL=own_redis.url)
    worker = start_worker(*FAST, env={"REDIS_QUEUE_URL": own_redis.url, **RELAYING})
    worker.wait_for_log("Listening on")

    placed = place_paid_orders(4, "before")
    smtp_sink.wait_for(1, timeout=PATIENCE)  # the worker is at it
    # Jobs Redis took and no worker started yet: a paused worker takes nothing (or
    # takes a job from Redis and cannot start it).
    os.kill(worker.pid, signal.SIGSTOP)
    placed += place_paid_orders(3, "taken")
    own_redis.kill()  # everything Redis held is gone
    placed += place_paid_orders(3, "during")  # the shop takes orders all the same
    os.kill(worker.pid, signal.SIGCONT)
    assert [m.enqueued_at for m in outbox(db)[-3:]] == [None] * 3  # safe in the table

    own_redis.start()  # back, and empty
    after = place_paid_orders(3, "after")
    placed += after
    # The web side hands over again at once, with the connection it had.
    assert all(m.enqueued_at is not None for m in outbox(db)[-3:])

    assert_each_confirmed_once(db, smtp_sink, placed)
    assert worker.alive(), worker.log()[-3000:]
    assert worker.terminate() == 0  # and it still stops cleanly


def test_a_worker_killed_mid_job_is_replaced_the_job_mails_once_and_scheduling_resumes(
        settings, db, redis_client, smtp_server, smtp_sink, start_worker):
    # The abandoned job's retry is scheduled: only a running scheduler enqueues it.
    settings(JOB_RETRY_INTERVALS=[1])
    [order] = place_paid_orders(1, "killed")
    job_id = f"outbox-{outbox(db)[0].id}"
    lock = RQScheduler.get_locking_key("emails")
    stall = StallingSmtp(smtp_server.port)  # the first SMTP conversation never ends
    liveness = (*FAST, "--job-monitoring-interval", "1", "--heartbeat-grace", "1",
                "--scheduler-stale-after", "3")
    # The periodic relay runs too: it must leave the running, then retried job to RQ.
    env = {"MAIL_PORT": str(stall.port), **RELAYING}
    try:
        first = start_worker(*liveness, env=env)
        assert stall.stalled.wait(PATIENCE), "the worker never started the job"
        assert Job.fetch(job_id, connection=redis_client).get_status() == "started"
        holder = wait_for(lambda: redis_client.get(lock), what="the first scheduler's lock")

        first.kill()  # worker, work-horse and scheduler at once
        killed_at = time.monotonic()
        assert redis_client.get(lock) == holder  # the dead scheduler's lock outlives it

        second = start_worker(*liveness, env=env)
        wait_for(lambda: redis_client.get(lock) not in (None, holder), timeout=60,
                 what="the new worker to take over scheduling")
        assert time.monotonic() - killed_at < 60  # within a minute of the death
        assert "Scheduler lock(s) for" in second.log()

        assert_each_confirmed_once(db, smtp_sink, [order])
        job = Job.fetch(job_id, connection=redis_client)
        assert job.get_status() == "finished" and job.retries_left == 4  # RQ's retry
        assert outbox(db)[0].attempts == 1  # never handed over again: alive all along
        assert second.alive()
    finally:
        stall.close()


def test_mail_down_for_a_while_every_order_gets_its_confirmation_once(
        settings, db, smtp_sink, start_worker):
    # Each hand-over tries three times; a message whose job gave up is handed over again.
    settings(JOB_RETRIES=2, JOB_RETRY_INTERVALS=[1])
    # The mail server's port, held (bound, not listening: connections are refused) until
    # the server comes back, so that nothing else takes it meanwhile.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    mail_port = held.getsockname()[1]
    worker = start_worker(*FAST, env={"MAIL_PORT": str(mail_port), **RELAYING})
    placed = place_paid_orders(3, "maildown")

    # Down long enough that every job used up its retries and was handed over again.
    wait_for(lambda: min(m.attempts for m in outbox(db)) >= 2,
             what="every message to be handed over again")
    assert sent_count(db) == 0 and not all_done(db)

    controller = Controller(SmtpSink(), hostname="127.0.0.1", port=mail_port)
    held.close()
    controller.start()  # the mail server is back
    try:
        assert_each_confirmed_once(db, controller.handler, placed)
    finally:
        controller.stop()
    assert worker.alive()


def test_a_worker_waits_for_redis_and_stops_cleanly_whenever_asked(own_redis, start_worker):
    own_redis.kill()
    waiting = start_worker(env={"REDIS_QUEUE_URL": own_redis.url})
    waiting.wait_for_log("Redis unavailable")
    assert waiting.terminate() == 0  # asked to stop while waiting for Redis

    patient = start_worker(env={"REDIS_QUEUE_URL": own_redis.url})
    patient.wait_for_log("Redis unavailable")
    own_redis.start()
    patient.wait_for_log("Listening on")
    assert patient.alive()
    assert patient.terminate() == 0
