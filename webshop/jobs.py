"""Running jobs: the entry point RQ calls, and the periodic tasks the worker keeps scheduled.

Every job runs through `run_in_app(path, *args)`, which calls the job function at the
dotted path inside the app's context (the app the worker registered with `use_app`),
and then records that the outbox message it stands for has finished (only then is the
message done: until then the outbox may hand it over again). Periodic tasks are
scheduled one run at a time by `schedule_periodic`; each run schedules the next, and the
worker mends a chain Redis lost. What a job is, and how it gets from a commit to a
queue, is the outbox's business (webshop.outbox).
"""
import logging
import os
import time
from datetime import datetime, timezone

from flask import current_app, has_app_context

from webshop import orders, outbox, reminders
from webshop.extensions import db
from webshop.logs import request_id_bound

log = logging.getLogger(__name__)

# name -> dotted path of the function run_periodic calls.
PERIODIC_TASKS = {
    "expire-reservations": "webshop.jobs.expire_reservations",
    "relay-outbox": "webshop.jobs.relay_outbox",
    "cart-reminders": "webshop.jobs.remind_abandoned_carts",
}

# --- running jobs ------------------------------------------------------------------------

_worker = {"app": None, "pid": None}


def use_app(app):
    """Tell run_in_app which app the jobs of this process run in (worker.py calls this)."""
    _worker["app"], _worker["pid"] = app, os.getpid()


def _job_app():
    if _worker["app"] is None:
        if has_app_context():
            return current_app._get_current_object()
        raise RuntimeError("No app to run jobs in: start workers with `python worker.py`, "
                           "which registers one (webshop.jobs.use_app).")
    return _worker["app"]


def run_in_app(path, *args):
    """What RQ runs: the job function at `path`, called inside the app's context; then,
    for an outbox job, the message's finish is recorded (if that fails, so does the job,
    and RQ runs it again)."""
    app = _job_app()
    job = _current_job()
    # Logged under the id of the request that wrote the job (the outbox keeps it in the
    # job's meta), so one id finds a checkout in the web logs and its email here.
    request_id = job.meta.get("request_id") if job is not None else None
    with app.app_context(), request_id_bound(request_id):
        if _worker["pid"] is not None and _worker["pid"] != os.getpid():
            # A forked work-horse: never share the parent's pooled database connections.
            db.engine.dispose(close=False)
            _worker["pid"] = os.getpid()
        log.info("job %s started", path)
        result = outbox.resolve(path)(*args)
        # The outbox message the job stands for (None outside RQ, or for periodic jobs).
        message = outbox.message_id(job.id) if job is not None else None
        if message is not None:
            outbox.complete(message)
        log.info("job %s finished", path)
        return result


def _current_job():
    from rq import get_current_job

    return get_current_job()


# --- periodic tasks (scheduled by the worker) -----------------------------------------------

def expire_reservations():
    cancelled = orders.expire_reservations()
    if cancelled:
        log.info("expired %d reservation(s)", cancelled)
    return cancelled


def relay_outbox():
    return outbox.relay_pending()


def remind_abandoned_carts():
    reminded = reminders.sweep()
    if reminded:
        log.info("reminded %d abandoned cart(s)", reminded)
    return reminded


def schedule_periodic(connection):
    """Make sure each periodic task's next run is scheduled; safe from any number of workers.

    Runs are identified by their time slot ("periodic-<name>-<slot>", slot = time //
    interval), and RQ refuses a second job with the same id, so several workers (and
    repeated calls) schedule each run once. Each run schedules the next; the worker
    calls this at start-up and every few seconds, which mends a chain broken (a Redis
    that restarted empty, say) within that time. A task whose interval is 0 is off.
    """
    from rq import Queue
    from rq.exceptions import DuplicateJobError

    queue = Queue(outbox.DEFAULT_QUEUE, connection=connection)
    for name, interval in current_app.config["JOB_SCHEDULE"].items():
        if not interval:
            continue
        slot = int(time.time() // interval) + 1
        try:
            queue.enqueue_at(
                datetime.fromtimestamp(slot * interval, timezone.utc), run_periodic, name,
                job_id=f"periodic-{name}-{slot}", unique=True,
                job_timeout=current_app.config["JOB_TIMEOUT"],
                description=f"periodic {name}",
            )
        except DuplicateJobError:
            pass


def run_periodic(name):
    """RQ entry for a periodic task: run it in the app, then schedule its next run."""
    app = _job_app()
    try:
        return run_in_app(PERIODIC_TASKS[name])
    finally:
        with app.app_context():
            schedule_periodic(outbox.redis_connection())
