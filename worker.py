"""RQ worker entry: `python worker.py` (runs until stopped) or `python worker.py --burst`
(until the queues are empty).

It creates the app once, hands over whatever the outbox still holds (a crash or a Redis
outage may have left messages behind), keeps the periodic tasks scheduled
(expire-reservations, relay-outbox, cart-reminders: webshop.jobs), and works the queues in
RQ_QUEUES of the queue Redis (REDIS_QUEUE_URL, else REDIS_URL) with RQ's scheduler,
which also runs the jobs' retries. Every job runs in a forked work-horse, inside the
app's context (webshop.jobs.run_in_app). SIGTERM or Ctrl-C finishes the current job,
then stops.

A Redis outage never ends the process: RQ's worker quits on most Redis errors, so it is
started again (a new RQ worker, after the job in flight has finished) once Redis
answers, waiting 1, 2, 4 ... up to 30 seconds between attempts. A job lost with the
outage is the outbox's to hand over again (webshop.outbox.delivery).
"""
import argparse
import logging
import os
import signal
import sys
import threading
import time

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import SchedulerNotFound
from rq.scheduler import RQScheduler
from rq.scripts import release_lock
from rq.utils import now

from webshop import create_app, jobs, logs, outbox
from webshop.extensions import db

log = logging.getLogger("worker")
MAX_PAUSE = 30  # seconds between attempts to reach Redis, at most
BURST_ATTEMPTS = 5  # a burst run gives up (exit status 1) after this many failed starts


class ShopWorker(Worker):
    """RQ's forking worker, keeping the shop's periodic tasks and RQ's scheduler going.

    A job whose worker died (killed, machine lost) is retried once its heartbeat has
    lapsed: RQ waits the monitoring interval plus a fixed 60 s for that; here the 60 s
    is `heartbeat_grace`, so operators (and tests) can choose it.

    RQ runs one scheduler per queue, holding a lock that it refreshes every second and
    that expires 61 s after its holder died; a worker that found the lock taken tries
    again only at its next maintenance (every 10 minutes by default), and an idle worker
    waits for jobs up to 405 s between checks. Here every `schedule_check_interval`
    seconds the worker (and its blocking wait) checks: if no scheduler of its own runs, a
    lock whose holder has not beaten for `scheduler_stale_after` seconds is released
    (RQ's own compare-and-delete) and taken, and the periodic tasks are scheduled again
    if Redis lost them. A holder wrongly taken for dead drops the lock at its next beat
    (RQ checks who holds it), so there is never more than one scheduler for long.
    """

    app = None
    heartbeat_grace = 60
    keep_schedule = True
    schedule_check_interval = 10
    scheduler_stale_after = 20
    max_connection_wait_time = MAX_PAUSE  # RQ's own pause between attempts to reach Redis
    stop = None  # a Stop: SIGTERM or Ctrl-C before RQ installed its own handlers
    _burst = False
    _schedule_checked = None

    def get_heartbeat_ttl(self, job, working_time=0.0):
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - working_time, interval)
        return int(max(interval, 1)) + self.heartbeat_grace

    def work(self, burst=False, **kwargs):
        self._burst = burst
        return super().work(burst=burst, **kwargs)

    @property
    def dequeue_timeout(self):
        return max(1, min(super().dequeue_timeout, self.schedule_check_interval))

    @property
    def should_run_maintenance_tasks(self):
        checked = self._schedule_checked
        return (super().should_run_maintenance_tasks or checked is None
                or time.monotonic() - checked >= self.schedule_check_interval)

    def run_maintenance_tasks(self):
        if super().should_run_maintenance_tasks:  # RQ's: clean the registries
            super().run_maintenance_tasks()
        self.check_schedule()

    def _install_signal_handlers(self):
        super()._install_signal_handlers()
        if self.stop is not None and self.stop.event.is_set():  # asked while starting
            self._shutdown_requested_date = now()
            self._stop_requested = True

    def _start_scheduler(self, *args, **kwargs):
        self._release_abandoned_locks()
        return super()._start_scheduler(*args, **kwargs)

    def check_schedule(self):
        """Keep a scheduler running here if no live one holds the lock, and the periodic
        tasks scheduled. Never raises: a Redis hiccup is the work loop's business."""
        self._schedule_checked = time.monotonic()
        if self.is_horse or self._burst:
            return
        try:
            scheduler = self.scheduler
            if scheduler is not None and not (scheduler._process and scheduler._process.is_alive()):
                self._release_abandoned_locks()
                scheduler.acquire_locks(auto_start=True)
            if self.keep_schedule:
                with self.app.app_context():
                    jobs.schedule_periodic(self.connection)
        except Exception:  # noqa: BLE001
            self.log.exception("could not check the scheduler and the periodic tasks")

    def _release_abandoned_locks(self):
        released = release_abandoned_scheduler_locks(
            self.connection, self.queue_names(), self.scheduler_stale_after)
        if released:
            self.log.warning("Scheduler lock(s) for %s released: their holder stopped "
                             "beating (killed or lost)", ", ".join(released))


def release_abandoned_scheduler_locks(connection, queue_names, stale_after):
    """Release the scheduler locks whose holder has not beaten for `stale_after` seconds;
    returns the queue names. A holder not registered yet (it has just taken the lock) is
    left alone; its lock expires by itself if it never registers."""
    released = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        holder = connection.get(key)
        if holder is None:
            continue
        holder = holder.decode()
        try:
            beat = RQScheduler.fetch(holder, connection).last_heartbeat
        except (SchedulerNotFound, KeyError, ValueError):  # not registered (yet), or garbled
            continue
        if beat is not None and (now() - beat).total_seconds() < stale_after:
            continue
        if release_lock(connection, key, holder):
            released.append(name)
    return released


class Stop:
    """SIGTERM and Ctrl-C while no RQ worker runs (waiting for Redis): stop waiting."""

    def __init__(self):
        self.event = threading.Event()

    def install(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.event.set())

    def wait(self, seconds):
        """Sleep, unless asked to stop; True if asked."""
        return self.event.wait(seconds)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", action="store_true",
                        help="work until the queues are empty, then exit (no periodic tasks)")
    parser.add_argument("--queues", nargs="+", metavar="QUEUE",
                        help="queues to work, in priority order (default: RQ_QUEUES)")
    parser.add_argument("--job-monitoring-interval", type=int, default=30, metavar="SECONDS",
                        help="how often a running job's heartbeat is renewed (default 30)")
    parser.add_argument("--heartbeat-grace", type=int, default=60, metavar="SECONDS",
                        help="how long past a missed heartbeat a job counts as abandoned "
                             "and is retried (default 60)")
    parser.add_argument("--maintenance-interval", type=int, default=120, metavar="SECONDS",
                        help="how often registries are cleaned, which retries abandoned "
                             "jobs (default 120)")
    parser.add_argument("--schedule-check-interval", type=int, default=10, metavar="SECONDS",
                        help="how often the scheduler and the periodic tasks are checked "
                             "(default 10)")
    parser.add_argument("--scheduler-stale-after", type=int, default=20, metavar="SECONDS",
                        help="a scheduler silent this long is dead and its lock is taken "
                             "over (default 20; it beats every second)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = create_app()  # also warns if the queue Redis may evict jobs
    # JSON lines (LOG_FORMAT=json, production's default) or text, as the web's, each with
    # the request id of the job it belongs to (webshop.jobs.run_in_app binds it).
    logs.configure(args.log_level, app.config["LOG_FORMAT"])
    url = outbox.queue_url(app)
    if not url:
        sys.exit("The worker needs Redis: set REDIS_URL (or REDIS_QUEUE_URL). (Without "
                 "Redis the web process runs jobs itself, right after each commit.)")
    jobs.use_app(app)
    ShopWorker.app = app
    ShopWorker.heartbeat_grace = args.heartbeat_grace
    ShopWorker.keep_schedule = not args.burst
    ShopWorker.schedule_check_interval = args.schedule_check_interval
    ShopWorker.scheduler_stale_after = args.scheduler_stale_after
    connection = Redis.from_url(url, socket_connect_timeout=5, socket_keepalive=True)
    sys.exit(serve(app, connection, args))


def serve(app, connection, args):
    """Run RQ workers one after the other until stopped (or, in burst mode, until the
    queues are empty); returns the exit status."""
    stop = ShopWorker.stop = Stop()
    queue_names = args.queues or app.config["RQ_QUEUES"]
    failures = 0
    while True:
        stop.install()
        if not wait_for_redis(connection, stop, BURST_ATTEMPTS if args.burst else None):
            return 0 if stop.event.is_set() else 1
        hand_over_leftovers(app)
        if stop.event.is_set():
            return 0
        started, worker, failed = time.monotonic(), None, False
        try:
            queues = [Queue(name, connection=connection) for name in queue_names]
            worker = ShopWorker(
                queues, connection=connection,
                job_monitoring_interval=args.job_monitoring_interval,
                maintenance_interval=args.maintenance_interval,
            )
            worker.work(burst=args.burst, with_scheduler=True, logging_level=args.log_level)
            if args.burst:
                failed = any(queue.count for queue in queues)  # quit early on an error
        except Exception as exc:  # noqa: BLE001  (Redis gone, mostly: start again)
            failed = True
            log.warning("the RQ worker stopped: %s: %s", exc.__class__.__name__, exc)
        finally:
            stop.install()  # RQ's handlers would talk to Redis
            if worker is not None:
                finish_job_in_flight(worker)
                close_pubsub(worker)
        if stop.event.is_set() or (worker is not None
                                   and worker._shutdown_requested_date is not None):
            return 0  # SIGTERM or Ctrl-C
        if args.burst and not failed:
            return 0
        failures = failures + 1 if time.monotonic() - started < 60 else 1
        if args.burst and failures >= BURST_ATTEMPTS:
            log.error("giving up after %d attempts", failures)
            return 1
        pause = min(2 ** (failures - 1), MAX_PAUSE)
        log.warning("starting the RQ worker again in %s s", pause)
        if stop.wait(pause):
            return 0


def wait_for_redis(connection, stop, attempts=None):
    """Block until Redis answers (True), or a stop is asked for, or (a burst run) after
    `attempts` attempts (False)."""
    pause, attempt = 1, 0
    while True:
        attempt += 1
        try:
            connection.ping()
            return True
        except Exception as exc:  # noqa: BLE001  (redis.RedisError, OSError)
            if attempts is not None and attempt >= attempts:
                log.error("Redis unavailable (%s); giving up", exc)
                return False
            log.warning("Redis unavailable (%s); trying again in %s s", exc, pause)
        if stop.wait(pause):
            return False
        pause = min(pause * 2, MAX_PAUSE)


def hand_over_leftovers(app):
    """Anything a crash or an outage left behind, whatever its age (never fatal)."""
    with app.app_context():
        try:
            outbox.relay_pending(older_than_seconds=0)
        except Exception:  # noqa: BLE001  (the database may be away: the relay retries)
            log.exception("could not relay the outbox at start-up")
        finally:
            # No pooled connections for the forked work-horses to inherit.
            db.engine.dispose()


def finish_job_in_flight(worker):
    """RQ's worker quit while its work-horse ran a job: let the job finish (it records
    its own end in the database; the RQ bookkeeping is lost with Redis anyway)."""
    pid = worker.horse_pid
    if not pid:
        return
    log.warning("waiting for the job in flight (work-horse %s) to finish", pid)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def close_pubsub(worker):
    """RQ's teardown leaves its command listener thread running when Redis is away."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None and thread.is_alive():
        thread.stop()
        thread.join(timeout=1)
    try:
        if worker.pubsub is not None:
            worker.pubsub.close()
    except Exception:  # noqa: BLE001
        pass


if __name__ == "__main__":
    main()
