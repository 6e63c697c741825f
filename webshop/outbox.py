"""The transactional outbox: work that must happen after a commit, and only if it commits.

A request never talks to Redis or SMTP inside its transaction. It calls
`enqueue(job, *args)`, which adds an OutboxMessage to the current session; the caller's
commit makes the message durable together with the change that caused it. After the
commit, a Session hook hands over exactly the messages that commit wrote:

- with REDIS_URL, each becomes an RQ job whose id is "outbox-<id>" (so relaying twice
  makes one job), on the "emails" or "default" queue, retried with backoff;
- without (embedded mode), the job function runs in this process right after the
  commit, in an app context (and so a database session) of its own.

`enqueued_at` records the hand-over. Whatever could not be handed over (Redis down, a
crash between commit and relay, a failed in-process run) keeps it NULL, and
`relay_pending` picks it up: at worker start-up and periodically (the worker schedules
it; embedded mode sweeps after a commit now and then). The hook never raises into the
request: it logs.

Jobs may run more than once (a retry after a crash, two relays racing), so job
functions must be idempotent; the email jobs record what they sent. RQ is handed
`webshop.jobs.run_in_app` by name (see webshop.jobs), so this module never imports what
it runs; job functions are found by their dotted path.
"""
import importlib
import json
import logging
import threading
import time
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from webshop.extensions import db
from webshop.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

EMAIL_QUEUE = "emails"
DEFAULT_QUEUE = "default"
EMAIL_JOBS_MODULE = "webshop.notifications"
RUN_IN_APP = "webshop.jobs.run_in_app"  # what RQ calls for every job
_PENDING = "webshop.outbox"  # key in Session.info: messages flushed in this transaction


def init_app(app):
    app.extensions["webshop.outbox"] = {"redis": {}}
    if not event.contains(Session, "after_flush", _note_messages):
        event.listen(Session, "after_flush", _note_messages)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


# --- writing to the outbox ---------------------------------------------------------------

def enqueue(job, *args):
    """Record that `job(*args)` must run once the caller's transaction commits. No commit.

    `job` is the dotted path of a job function; `args` must be JSON values. The message
    is written in the caller's unit of work: if it rolls back, nothing is sent.
    """
    resolve(job)  # a typo fails here, in the request, not later in the worker
    json.dumps(args)  # and so do arguments the outbox cannot store
    message = OutboxMessage(job=job, args=list(args), attempts=0)
    db.session.add(message)
    return message


def _note_messages(session, flush_context):
    new = [(m.id, m.job, list(m.args)) for m in session.new if isinstance(m, OutboxMessage)]
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
        if _redis_url():
            _push(messages)
        else:
            _run_inline(messages)
            _maybe_sweep()
    except Exception:  # never into the request: the message is safe in the table
        log.exception("outbox relay failed for %s; the periodic relay will retry",
                      [m[0] for m in messages])


# --- handing over ------------------------------------------------------------------------

def relay_pending(older_than_seconds=None, limit=500):
    """Hand over outbox messages that are still waiting; returns how many were handed over.

    For anything a crash or a Redis outage left behind. Only messages older than
    `older_than_seconds` (default JOB_RELAY_AFTER) are taken, so the after-commit hook
    keeps the fresh ones. Uses its own connections and transactions: call it outside a
    unit of work (the worker does, at start-up and periodically). Never raises for a
    Redis outage; logs and leaves the messages for the next run.
    """
    config = current_app.config
    if older_than_seconds is None:
        older_than_seconds = config["JOB_RELAY_AFTER"]
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = (
        select(OutboxMessage.id, OutboxMessage.job, OutboxMessage.args)
        .where(OutboxMessage.enqueued_at.is_(None), OutboxMessage.created_at <= cutoff)
        .order_by(OutboxMessage.id).limit(limit)
    )
    inline = not _redis_url()
    if inline:  # a job that keeps failing in-process is left for a person to look at
        query = query.where(OutboxMessage.attempts < config["JOB_MAX_INLINE_ATTEMPTS"])
    with db.engine.connect() as conn:
        messages = [(row.id, row.job, row.args) for row in conn.execute(query)]
    if not messages:
        return 0
    log.info("relaying %d pending outbox message(s)", len(messages))
    return _run_inline(messages) if inline else _push(messages)


def _push(messages):
    """Put the messages on their RQ queues; record those handed over. Returns how many."""
    from redis.exceptions import RedisError
    from rq.exceptions import DuplicateJobError

    connection = redis_connection()
    handed_over = []
    for message_id, job, args in messages:
        try:
            _enqueue_rq(connection, message_id, job, args)
        except DuplicateJobError:
            pass  # relayed before (e.g. by a racing relay): the job exists, once
        except RedisError as exc:
            # Redis is unreachable: the rest would fail the same way, each after a timeout.
            log.warning("Redis unavailable, outbox messages %s stay pending: %s",
                        [m[0] for m in messages if m[0] not in handed_over], exc)
            break
        handed_over.append(message_id)
    _mark(handed_over, enqueued=True)
    return len(handed_over)


def _enqueue_rq(connection, message_id, job, args):
    from rq import Queue, Retry

    config = current_app.config
    queue = Queue(queue_for(job), connection=connection)
    queue.enqueue_call(
        RUN_IN_APP, args=(job, *args),
        job_id=f"outbox-{message_id}", unique=True,
        description=f"{job}({', '.join(map(repr, args))}) [outbox {message_id}]",
        timeout=config["JOB_TIMEOUT"],
        retry=Retry(max=config["JOB_RETRIES"], interval=list(config["JOB_RETRY_INTERVALS"])),
    )


def queue_for(job):
    """The RQ queue a job runs on: emails on their own, so a backlog of other work
    never delays an order confirmation."""
    return EMAIL_QUEUE if job.startswith(EMAIL_JOBS_MODULE + ".") else DEFAULT_QUEUE


def _run_inline(messages):
    """Embedded mode: run each job now, in an app context of its own (its own session)."""
    app = current_app._get_current_object()
    done, failed = [], []
    for message_id, job, args in messages:
        try:
            with app.app_context():
                resolve(job)(*args)
        except Exception:
            log.exception("job %s (outbox %s) failed; it stays pending", job, message_id)
            failed.append(message_id)
        else:
            done.append(message_id)
    _mark(done, enqueued=True)
    _mark(failed, enqueued=False)
    return len(done)


def _mark(ids, enqueued):
    """Count a hand-over attempt (and its success) in a short transaction of its own."""
    if not ids:
        return
    values = {"attempts": OutboxMessage.attempts + 1}
    if enqueued:
        values["enqueued_at"] = utcnow()
    try:
        with db.engine.begin() as conn:
            conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values))
    except Exception:
        # The job is handed over; at worst a later relay hands it over again, and the
        # job id (or the job's own record of what it did) makes that harmless.
        log.exception("could not record the hand-over of outbox messages %s", ids)


_sweep = {"last": 0.0, "lock": threading.Lock()}


def _maybe_sweep():
    """Embedded mode has no worker: now and then, a commit also retries what is pending."""
    interval = current_app.config["JOB_SCHEDULE"].get("relay-outbox", 60)
    now = time.monotonic()
    if now - _sweep["last"] < interval or not _sweep["lock"].acquire(blocking=False):
        return
    try:
        _sweep["last"] = now
        relay_pending()
    finally:
        _sweep["lock"].release()


# --- Redis -------------------------------------------------------------------------------

def _redis_url():
    return current_app.config.get("REDIS_URL")


def redis_connection():
    """This app's Redis client for RQ (one per URL; fails fast when Redis is away)."""
    from redis import Redis

    url = _redis_url()
    clients = current_app.extensions["webshop.outbox"]["redis"]
    if url not in clients:
        timeout = current_app.config["JOB_REDIS_TIMEOUT"]
        clients[url] = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return clients[url]


def resolve(path):
    """The job function at a dotted path; LookupError if there is none."""
    module, _, name = path.rpartition(".")
    function = getattr(importlib.import_module(module), name, None)
    if not callable(function):
        raise LookupError(f"no job function {path!r}")
    return function
