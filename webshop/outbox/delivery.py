"""Handing outbox messages to RQ, and handing them over again when Redis lost them.

The queue Redis is REDIS_QUEUE_URL (else REDIS_URL). Each message becomes the RQ job
"outbox-<id>" calling webshop.jobs.run_in_app (by name), on the "emails" or "default"
queue, retried with backoff. RQ refuses a second job with an id it holds, so relaying
twice makes one job; a redelivery first claims the message in the database (so two
relays never both hand it over), then deletes what is left of the old job and enqueues
it anew under the same id.
"""
import logging

from flask import current_app
from sqlalchemy import select, update

from webshop.extensions import db
from webshop.models import OutboxMessage, utcnow

log = logging.getLogger("webshop.outbox")

EMAIL_QUEUE = "emails"
DEFAULT_QUEUE = "default"
EMAIL_JOBS_MODULE = "webshop.notifications"
RUN_IN_APP = "webshop.jobs.run_in_app"  # what RQ calls for every job
JOB_ID_PREFIX = "outbox-"  # RQ job id: JOB_ID_PREFIX + the message's id
# Statuses of a job that a worker will still run, if Redis holds it where workers look.
ALIVE = ("queued", "started", "scheduled")
# Policies under which Redis never drops a key without expiry (queued jobs have none).
SAFE_POLICIES = ("noeviction",)


def job_id(message_id):
    """The RQ job id of an outbox message."""
    return f"{JOB_ID_PREFIX}{message_id}"


def message_id(rq_job_id):
    """The outbox message an RQ job id stands for, or None (periodic and other jobs)."""
    if rq_job_id and rq_job_id.startswith(JOB_ID_PREFIX):
        number = rq_job_id[len(JOB_ID_PREFIX):]
        if number.isdigit():
            return int(number)
    return None


def queue_for(job):
    """The RQ queue a job runs on: emails on their own, so a backlog of other work
    never delays an order confirmation."""
    return EMAIL_QUEUE if job.startswith(EMAIL_JOBS_MODULE + ".") else DEFAULT_QUEUE


# --- the first hand-over -------------------------------------------------------------------

def push(messages):
    """Put the messages, (id, job, args, request id) each, on their RQ queues; record
    those handed over. Returns how many."""
    from redis.exceptions import RedisError
    from rq.exceptions import DuplicateJobError

    connection = redis_connection()
    handed_over = []
    for message_id_, job, args, request_id in messages:
        try:
            _enqueue(connection, message_id_, job, args, request_id)
        except DuplicateJobError:
            pass  # relayed before (e.g. by a racing relay): the job exists, once
        except RedisError as exc:
            # Redis is unreachable: the rest would fail the same way, each after a timeout.
            log.warning("Redis unavailable, outbox messages %s stay pending: %s",
                        [m[0] for m in messages if m[0] not in handed_over], exc)
            break
        handed_over.append(message_id_)
    mark(handed_over, enqueued=True)
    return len(handed_over)


def _enqueue(connection, message_id_, job, args, request_id):
    from rq import Queue, Retry

    config = current_app.config
    queue = Queue(queue_for(job), connection=connection)
    # The request that wrote the message (kept on its row), for the worker's logs
    # (webshop.jobs): the same whether it is handed over right after the request's
    # commit or relayed later, after an outage.
    queue.enqueue_call(
        RUN_IN_APP, args=(job, *args),
        job_id=job_id(message_id_), unique=True,
        meta={"request_id": request_id} if request_id else None,
        description=f"{job}({', '.join(map(repr, args))}) [outbox {message_id_}]",
        timeout=config["JOB_TIMEOUT"],
        retry=Retry(max=config["JOB_RETRIES"], interval=list(config["JOB_RETRY_INTERVALS"])),
    )


def mark(ids, enqueued, completed=False):
    """Count a hand-over attempt (and its success, and for a job run in-process its
    finish) in a short transaction of its own."""
    if not ids:
        return
    values = {"attempts": OutboxMessage.attempts + 1}
    if enqueued:
        values["enqueued_at"] = utcnow()
    if completed:
        values["completed_at"] = values["enqueued_at"]
    try:
        with db.engine.begin() as conn:
            conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values))
    except Exception:
        # The job is handed over; at worst a later relay hands it over again, and the
        # job id (or the job's own record of what it did) makes that harmless.
        log.exception("could not record the hand-over of outbox messages %s", ids)


# --- handing over again ----------------------------------------------------------------------

def redeliver(handed_over_before, limit):
    """Hand over again the unfinished messages handed over before `handed_over_before`
    whose job Redis no longer holds alive. Returns how many."""
    from redis.exceptions import RedisError

    query = (
        select(OutboxMessage.id, OutboxMessage.job, OutboxMessage.args,
               OutboxMessage.request_id, OutboxMessage.enqueued_at)
        .where(OutboxMessage.completed_at.is_(None),
               OutboxMessage.enqueued_at <= handed_over_before)
        .order_by(OutboxMessage.enqueued_at, OutboxMessage.id).limit(limit)
    )
    with db.engine.connect() as conn:
        unfinished = [tuple(row) for row in conn.execute(query)]
    if not unfinished:
        return 0
    connection = redis_connection()
    redelivered = []
    for message_id_, job, args, request_id, handed_over_at in unfinished:
        try:
            if job_alive(connection, message_id_, job):
                continue
            if not _claim(message_id_, handed_over_at):
                continue  # another relay took it, or it has just finished
            try:
                _replace(connection, message_id_, job, args, request_id)
            except RedisError:
                _unclaim(message_id_)  # waiting again: the next relay hands it over
                raise
        except RedisError as exc:
            log.warning("Redis unavailable, outbox messages not redelivered for now: %s", exc)
            break
        redelivered.append(message_id_)
    if redelivered:
        log.warning("outbox message(s) %s were handed over but never finished (Redis lost "
                    "their jobs): handed over again", redelivered)
    return len(redelivered)


def job_alive(connection, message_id_, job):
    """Whether Redis holds the message's job where a worker will find it: in its queue
    (or being taken from it), running, or scheduled for a retry. One consistent read
    (MULTI), so a job moving from one to the next is seen in one of them. A job a worker
    popped and then died with (before it was registered as started) is in none."""
    from rq import Queue
    from rq.job import Job

    queue, rq_id = Queue(queue_for(job), connection=connection), job_id(message_id_)
    started = queue.started_job_registry
    with connection.pipeline(transaction=True) as pipe:
        pipe.hget(Job.key_for(rq_id), "status")
        pipe.lpos(queue.key, rq_id)
        pipe.lpos(queue.intermediate_queue_key, rq_id)
        pipe.zscore(queue.scheduled_job_registry.key, rq_id)
        pipe.zrange(started.key, 0, -1)  # one entry per execution
        status, waiting, taken, scheduled, running = pipe.execute()
    status = status.decode() if status else None
    if status == "deferred":  # waits for another job (the outbox makes none such)
        return True
    if status not in ALIVE:  # gone, or finished, failed, stopped, cancelled for good
        return False
    return (waiting is not None or taken is not None or scheduled is not None
            or any(started.parse_job_id(entry) == rq_id for entry in running))


def _claim(message_id_, handed_over_at):
    """Compare-and-set: stamp a new hand-over on a message still unfinished and last
    handed over at `handed_over_at` (not since); True for the one caller that did."""
    with db.engine.begin() as conn:
        return conn.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id_, OutboxMessage.completed_at.is_(None),
                   OutboxMessage.enqueued_at == handed_over_at)
            .values(enqueued_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        ).rowcount == 1


def _unclaim(message_id_):
    try:
        with db.engine.begin() as conn:
            conn.execute(update(OutboxMessage)
                         .where(OutboxMessage.id == message_id_,
                                OutboxMessage.completed_at.is_(None))
                         .values(enqueued_at=None))
    except Exception:  # then it is redelivered after OUTBOX_REDELIVER_AFTER instead
        log.exception("could not put outbox message %s back to waiting", message_id_)


def _replace(connection, message_id_, job, args, request_id):
    """The message's job anew under its id, with a fresh set of retries: what is left of
    the old one (failed, finished, or a remnant) is deleted first."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        Job.fetch(job_id(message_id_), connection=connection).delete()
    except NoSuchJobError:
        pass
    _enqueue(connection, message_id_, job, args, request_id)


# --- the queue Redis ---------------------------------------------------------------------------

def queue_url(app=None):
    """The Redis of the RQ queues: REDIS_QUEUE_URL, else REDIS_URL; None in embedded mode."""
    config = (app or current_app).config
    return config.get("REDIS_QUEUE_URL") or config.get("REDIS_URL")


def redis_connection():
    """This app's Redis client for RQ (one per URL). It fails fast when Redis is away (a
    request must not wait for it: the message is safe in the table), trying once more
    at once, on a new connection, after an error: one pooled before a Redis restart."""
    url = queue_url()
    clients = current_app.extensions["webshop.outbox"]["redis"]
    if url not in clients:
        clients[url] = _client(url, current_app.config["JOB_REDIS_TIMEOUT"])
    return clients[url]


def _client(url, timeout):
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                          retry=Retry(NoBackoff(), 1))


def check_queue_redis(connection, url=None):
    """Warn when the queue Redis may evict keys: an evicted job is an email sent only
    once the outbox notices, OUTBOX_REDELIVER_AFTER later. Returns the policy, or None
    if Redis could not say (away, or INFO refused)."""
    try:
        policy = connection.info("memory").get("maxmemory_policy")
    except Exception as exc:  # noqa: BLE001  (a check at start-up must not stop it)
        log.info("could not read the queue Redis' maxmemory-policy: %s", exc)
        return None
    if policy and policy not in SAFE_POLICIES:
        log.warning(
            "The queue Redis%s evicts keys (maxmemory-policy %s): queued jobs may be lost. "
            "Give the queues a Redis with maxmemory-policy noeviction (REDIS_QUEUE_URL); "
            "the cache may keep an evicting one (REDIS_URL).",
            f" at {redacted(url)}" if url else "", policy)
    return policy


def check_at_start_up(app):
    """check_queue_redis for the app's queue Redis, if it has one (a short connection)."""
    url = queue_url(app)
    if url:
        with _client(url, app.config["JOB_REDIS_TIMEOUT"]) as client:
            check_queue_redis(client, url)


def redacted(url):
    """The URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    _credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}" if sep else url
