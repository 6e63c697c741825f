"""The transactional outbox: work that must happen after a commit, and only if it commits.

A request never talks to Redis or SMTP inside its transaction. It calls
`enqueue(job, *args)`, which adds an OutboxMessage to the current session; the caller's
commit makes the message durable together with the change that caused it. After the
commit, a Session hook hands over exactly the messages that commit wrote:

- with a queue Redis (REDIS_QUEUE_URL, or REDIS_URL), each becomes an RQ job whose id is
  "outbox-<id>" (so relaying twice makes one job), on the "emails" or "default" queue,
  retried with backoff;
- without (embedded mode), the job function runs in this process right after the
  commit, in an app context (and so a database session) of its own.

A message is done when its job has finished, not when Redis took it: `enqueued_at`
records the hand-over, `completed_at` the finish (`complete`, called by whatever ran the
job: webshop.jobs.run_in_app under RQ, `_run_inline` here). `relay_pending` picks up
what is left, at worker start-up and periodically (the worker schedules it; embedded
mode sweeps after a commit now and then):

- messages never handed over (Redis down, a crash between commit and relay, a failed
  in-process run);
- messages handed over more than OUTBOX_REDELIVER_AFTER seconds ago and not finished,
  whose job Redis no longer holds (a restart without persistence, a flush, eviction, a
  worker that died between taking the job and starting it) or holds as failed for good.
  Each is claimed in the database first (so two relays never both hand it over), and
  its old job is replaced by a new one under the same id. A job still queued, running
  or waiting for a retry is left alone.

The hook never raises into the request: it logs.

Jobs may run more than once (a retry after a crash, a redelivery, two relays racing),
so job functions must be idempotent; the email jobs record what they sent. RQ is handed
`webshop.jobs.run_in_app` by name (see webshop.jobs), so this package never imports
what it runs; job functions are found by their dotted path. The RQ side (hand-over,
redelivery, the queue Redis) is webshop.outbox.delivery.
"""
import importlib
import json
import logging
import threading
import time
from datetime import timedelta, timezone

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from webshop.extensions import db
from webshop.logs import current_request_id, request_id_bound
from webshop.models import OutboxMessage, utcnow
from webshop.outbox.delivery import (  # noqa: F401  (the outbox's API)
    DEFAULT_QUEUE, EMAIL_QUEUE, RUN_IN_APP, check_queue_redis, job_id, message_id, queue_for,
    queue_url, redis_connection,
)
from webshop.outbox import delivery

log = logging.getLogger(__name__)

_PENDING = "webshop.outbox"  # key in Session.info: messages flushed in this transaction


def init_app(app):
    app.extensions["webshop.outbox"] = {"redis": {}}
    delivery.check_at_start_up(app)  # warns if the queue Redis may evict jobs
    if not event.contains(Session, "after_flush", _note_messages):
        event.listen(Session, "after_flush", _note_messages)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


# --- writing to the outbox ---------------------------------------------------------------

def enqueue(job, *args):
    """Record that `job(*args)` must run once the caller's transaction commits. No commit.

    `job` is the dotted path of a job function; `args` must be JSON values. The message
    is written in the caller's unit of work: if it rolls back, nothing is sent. It keeps
    the current request's id, so the job logs under it whenever it is handed over.
    """
    resolve(job)  # a typo fails here, in the request, not later in the worker
    json.dumps(args)  # and so do arguments the outbox cannot store
    message = OutboxMessage(job=job, args=list(args), attempts=0,
                            request_id=current_request_id())
    db.session.add(message)
    return message


def _note_messages(session, flush_context):
    new = [(m.id, m.job, list(m.args), m.request_id)
           for m in session.new if isinstance(m, OutboxMessage)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _after_soft_rollback(session, previous_transaction):
    # A rolled-back savepoint leaves the outer transaction's messages to be committed;
    # the relay skips the ids that did not survive.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def _after_commit(session):
    messages = session.info.pop(_PENDING, None)
    if not messages:
        return
    if not has_app_context():
        log.warning("outbox messages %s committed without an app context; "
                    "the periodic relay will hand them over", [m[0] for m in messages])
        return
    try:
        if queue_url():
            delivery.push(messages)
        else:
            _run_inline(messages)
            _maybe_sweep()
    except Exception:  # never into the request: the message is safe in the table
        log.exception("outbox relay failed for %s; the periodic relay will retry",
                      [m[0] for m in messages])


# --- handing over ------------------------------------------------------------------------

def relay_pending(older_than_seconds=None, limit=500):
    """Hand over the outbox messages still waiting, and again those handed over but never
    finished; returns how many were handed over.

    For anything a crash or a Redis outage left behind. Messages never handed over are
    taken when older than `older_than_seconds` (default JOB_RELAY_AFTER), so the
    after-commit hook keeps the fresh ones; with a queue Redis, messages handed over
    more than OUTBOX_REDELIVER_AFTER seconds ago and not finished are handed over again
    if Redis no longer holds their job alive. Uses its own connections and transactions:
    call it outside a unit of work (the worker does, at start-up and periodically).
    Never raises for a Redis outage; logs and leaves the messages for the next run.
    """
    config = current_app.config
    if older_than_seconds is None:
        older_than_seconds = config["JOB_RELAY_AFTER"]
    now = utcnow()
    query = (
        select(OutboxMessage.id, OutboxMessage.job, OutboxMessage.args,
               OutboxMessage.request_id)
        .where(OutboxMessage.enqueued_at.is_(None), OutboxMessage.completed_at.is_(None),
               OutboxMessage.created_at <= now - timedelta(seconds=older_than_seconds))
        .order_by(OutboxMessage.id).limit(limit)
    )
    inline = not queue_url()
    if inline:  # a job that keeps failing in-process is left for a person to look at
        query = query.where(OutboxMessage.attempts < config["JOB_MAX_INLINE_ATTEMPTS"])
    with db.engine.connect() as conn:
        messages = [tuple(row) for row in conn.execute(query)]
    handed_over = 0
    if messages:
        log.info("relaying %d pending outbox message(s)", len(messages))
        handed_over = _run_inline(messages) if inline else delivery.push(messages)
    if not inline:
        handed_over += delivery.redeliver(
            now - timedelta(seconds=config["OUTBOX_REDELIVER_AFTER"]), limit)
    return handed_over


def _run_inline(messages):
    """Embedded mode: run each job now, in an app context of its own (its own session),
    logging under the id of the request that wrote it."""
    app = current_app._get_current_object()
    done, failed = [], []
    for id_, job, args, request_id in messages:
        try:
            with app.app_context(), request_id_bound(request_id):
                resolve(job)(*args)
        except Exception:
            log.exception("job %s (outbox %s) failed; it stays pending", job, id_)
            failed.append(id_)
        else:
            done.append(id_)
    delivery.mark(done, enqueued=True, completed=True)
    delivery.mark(failed, enqueued=False)
    return len(done)


# --- finishing, and what is left -----------------------------------------------------------

def complete(id_):
    """Record that message `id_`'s job has finished (compare-and-set: the first finish
    counts); True if this call recorded it. In a transaction of its own; raises if the
    database is away, so that the job fails and runs again (it is idempotent) rather
    than being done unrecorded."""
    with db.engine.begin() as conn:
        return conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == id_, OutboxMessage.completed_at.is_(None))
            .values(completed_at=utcnow())
        ).rowcount == 1


def backlog():
    """What the outbox still holds: {"unfinished": messages whose job has not finished,
    "waiting": of those, never handed over, "oldest_age": seconds since the oldest of
    them was written (0 when none)}."""
    count, waiting, oldest = db.session.execute(
        select(func.count(), func.count().filter(OutboxMessage.enqueued_at.is_(None)),
               func.min(OutboxMessage.created_at))
        .where(OutboxMessage.completed_at.is_(None))
    ).one()
    age = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=timezone.utc)
        age = max((utcnow() - oldest).total_seconds(), 0.0)
    return {"unfinished": count, "waiting": waiting, "oldest_age": age}


_sweep = {"last": 0.0, "lock": threading.Lock()}


def _maybe_sweep():
    """Embedded mode has no worker: now and then, a commit also retries what is pending."""
    interval = current_app.config["JOB_SCHEDULE"].get("relay-outbox", 60)
    now = time.monotonic()
    if not interval or now - _sweep["last"] < interval \
            or not _sweep["lock"].acquire(blocking=False):
        return
    try:
        _sweep["last"] = now
        relay_pending()
    finally:
        _sweep["lock"].release()


# --- job functions ---------------------------------------------------------------------

def resolve(path):
    """The job function at a dotted path; LookupError if there is none."""
    module, _, name = path.rpartition(".")
    function = getattr(importlib.import_module(module), name, None)
    if not callable(function):
        raise LookupError(f"no job function {path!r}")
    return function
