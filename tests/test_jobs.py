"""The outbox, the relay to RQ and the worker, with real PostgreSQL, Redis, a real RQ
worker (worker.py in a subprocess) and an SMTP server in the test process."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from tests.conftest import ROOT, free_port
from tests.factories import make_order
from tests.worker_helpers import children_of, wait_for
from webshop import jobs, notifications, orders
from webshop.outbox import redis_connection, relay_pending
from webshop.models import Order, OutboxMessage, SentEmail, utcnow

SEND = "webshop.notifications.send_order_email"


def redis_down():
    return f"redis://127.0.0.1:{free_port()}/13"  # nobody listens there


def outbox(db):
    db.session.rollback()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def sent_count(db):
    db.session.rollback()
    return db.session.scalar(select(func.count(SentEmail.id)))


def paid_order(db, **kwargs):
    """A pending order marked paid: one commit that also writes the confirmation email."""
    order = make_order(email="buyer@example.com", **kwargs)
    orders.mark_paid(order.id)
    return order


def text_and_html(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


# --- the outbox and the relay ---------------------------------------------------------------

def test_the_email_is_written_in_the_same_commit_and_relayed_to_redis(db, redis_client):
    order = paid_order(db)

    [message] = outbox(db)
    assert (message.job, message.args) == (SEND, ["order_confirmation", order.id])
    assert message.enqueued_at is not None and message.attempts == 1
    queue = Queue("emails", connection=redis_client)
    assert queue.job_ids == [f"outbox-{message.id}"]
    job = Job.fetch(f"outbox-{message.id}", connection=redis_client)
    assert job.func_name == "webshop.jobs.run_in_app"
    assert job.args == (SEND, "order_confirmation", order.id)
    assert job.retries_left == 5 and job.retry_intervals == [10, 30, 60, 300, 900]


def test_relaying_twice_makes_one_job(db, redis_client):
    paid_order(db)
    [message] = outbox(db)
    message.enqueued_at = None  # as if the first hand-over was never recorded
    db.session.commit()

    assert relay_pending(older_than_seconds=0) == 1
    assert Queue("emails", connection=redis_client).count == 1
    assert outbox(db)[0].enqueued_at is not None


def test_a_rolled_back_change_sends_nothing(db, redis_client):
    order = make_order()
    orders.locked(order.id).status = "paid"
    notifications.notify_order("order_confirmation", order.id)
    db.session.rollback()

    assert outbox(db) == []
    assert Queue("emails", connection=redis_client).count == 0


def test_only_messages_older_than_the_cutoff_are_relayed_by_the_sweep(settings, db, redis_client):
    with settings(REDIS_URL=redis_down()):
        paid_order(db)
    assert relay_pending() == 0  # too fresh: the after-commit hook may still be on it
    [message] = outbox(db)
    message.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert relay_pending() == 1


# --- through a real worker -------------------------------------------------------------------

def test_confirmation_email_is_sent_by_a_real_worker_exactly_once(db, redis_client, smtp_sink,
                                                                  run_worker):
    order = paid_order(db, total=2495)
    # A second copy of the job, as if it had been delivered twice: it must send nothing.
    Queue("emails", connection=redis_client).enqueue_call(
        jobs.run_in_app, args=(SEND, "order_confirmation", order.id))

    run_worker()

    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "buyer@example.com"
    assert message["Subject"] == f"Your order {order.number} is confirmed"
    assert message["From"].addresses[0].display_name == "Webshop"
    assert message["Message-ID"] and message["Date"]
    for part in text_and_html(message):
        assert order.number in part
        assert order.items[0].product_name in part
        assert "€24.95" in part and "€20.00" in part  # total, and the line
        assert f"/orders/{order.number}?token=" in part
    assert sent_count(db) == 1
    assert Job.fetch(f"outbox-{outbox(db)[0].id}", connection=redis_client).get_status() == "finished"

    # Running the job yet again (any worker, any time) sends nothing more. (The worker
    # has exited, and a job finishes only after the SMTP server took its message: what
    # was sent has arrived.)
    assert jobs.run_in_app(SEND, "order_confirmation", order.id) == "duplicate"
    assert len(smtp_sink.messages) == 1 and sent_count(db) == 1
    # The message is done when the job finished, not when Redis took it.
    assert outbox(db)[0].completed_at is not None


def test_outbox_survives_a_redis_outage(settings, db, redis_client, smtp_sink, run_worker):
    with settings(REDIS_URL=redis_down()):
        order = paid_order(db)  # the change commits all the same

    [message] = outbox(db)
    assert message.enqueued_at is None
    assert db.session.get(Order, order.id).status == "paid"
    assert Queue("emails", connection=redis_client).count == 0

    # Redis is back: the worker hands over what was left behind when it starts.
    result = run_worker()
    assert "relaying 1 pending outbox message" in result.stderr

    [mail] = smtp_sink.wait_for(1)
    assert order.number in mail["Subject"]
    assert outbox(db)[0].enqueued_at is not None


def test_a_failed_send_is_retried_after_its_backoff(db, redis_client, smtp_sink, run_worker,
                                                    fast_retries):
    order = paid_order(db)
    job_id = f"outbox-{outbox(db)[0].id}"

    run_worker(env={"MAIL_PORT": str(free_port())})  # the mail server is down

    job = Job.fetch(job_id, connection=redis_client)
    assert job.get_status() == "scheduled" and job.retries_left == 4
    assert job_id in ScheduledJobRegistry("emails", connection=redis_client).get_job_ids()
    assert sent_count(db) == 0  # the failed attempt left no record behind
    assert outbox(db)[0].completed_at is None  # handed over, not done
    scheduled = ScheduledJobRegistry("emails", connection=redis_client)
    wait_for(lambda: job_id in scheduled.get_jobs_to_schedule(int(time.time())),
             what="the retry to be due")

    run_worker()  # the scheduler enqueues the due retry; this time the server answers

    [message] = smtp_sink.wait_for(1)
    assert order.number in message["Subject"]
    assert sent_count(db) == 1


class StallingSmtp:
    """A TCP server that accepts the first connection and never answers it (the worker
    sits inside its SMTP conversation); later connections are forwarded to `target`."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stalled = threading.Event()
        self.sockets = [self.server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.sockets.append(client)
            if not self.stalled.is_set():
                self.stalled.set()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        for sock in self.sockets:
            sock.close()


def test_a_worker_killed_in_the_middle_of_a_job_is_retried_and_mails_once(
        settings, db, redis_client, smtp_server, smtp_sink, worker_env, run_worker):
    with settings(JOB_RETRY_INTERVALS=[0]):  # retried as soon as found abandoned
        order = paid_order(db)
    job_id = f"outbox-{outbox(db)[0].id}"
    stall = StallingSmtp(smtp_server.port)
    # Heartbeats every second; a job whose heartbeat lapsed for 1 s more is abandoned.
    liveness = ("--job-monitoring-interval", "1", "--heartbeat-grace", "1")
    try:
        worker = subprocess.Popen(
            [sys.executable, "worker.py", "--burst", *liveness], cwd=ROOT,
            env={**worker_env, "MAIL_PORT": str(stall.port)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            # A bound for a busy machine (the worker starts the app first), not a timing claim.
            assert stall.stalled.wait(90), "the worker never started the job"
            # The job is inside its SMTP conversation, its claim uncommitted.
            assert Job.fetch(job_id, connection=redis_client).get_status() == "started"
            assert sent_count(db) == 0
            [horse] = children_of(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)
            os.kill(horse, signal.SIGKILL)
        finally:
            worker.kill()
            worker.wait(10)

        started = StartedJobRegistry("emails", connection=redis_client)
        wait_for(lambda: job_id in started.get_expired_job_ids(),
                 what="the killed job's heartbeat to lapse")
        assert smtp_sink.messages == []

        # A new worker finds the abandoned job, retries it, and the mail goes out once.
        run_worker(*liveness, env={"MAIL_PORT": str(stall.port)})
    finally:
        stall.close()

    [message] = smtp_sink.wait_for(1)
    assert order.number in message["Subject"]
    job = Job.fetch(job_id, connection=redis_client)
    assert job.get_status() == "finished" and job.retries_left == 4
    assert sent_count(db) == 1 and outbox(db)[0].completed_at is not None
    run_worker()  # nothing left to do, nothing sent twice
    assert len(smtp_sink.messages) == 1


# --- periodic tasks -------------------------------------------------------------------------

def test_periodic_tasks_are_scheduled_once_however_many_workers_ask(app, db, redis_client):
    connection = redis_connection()
    for _ in range(3):  # three workers starting, say
        jobs.schedule_periodic(connection)

    scheduled = ScheduledJobRegistry("default", connection=redis_client).get_job_ids()
    assert sorted(job_id.rsplit("-", 1)[0] for job_id in scheduled) == [
        "periodic-cart-reminders", "periodic-expire-reservations", "periodic-relay-outbox",
    ]


def test_the_periodic_expiry_cancels_stale_reservations_and_schedules_its_next_run(
        app, db, redis_client):
    stale = make_order()
    stale.reserved_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert jobs.run_periodic("expire-reservations") == 1

    db.session.rollback()
    assert db.session.get(Order, stale.id).status == "cancelled"
    scheduled = ScheduledJobRegistry("default", connection=redis_client).get_job_ids()
    assert any(job_id.startswith("periodic-expire-reservations-") for job_id in scheduled)
    # ...and the cancellation notice went into the outbox with the cancellation.
    assert [(m.job, m.args) for m in outbox(db)] == [(SEND, ["order_cancelled", stale.id])]
