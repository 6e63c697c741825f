"""RQ worker entry: `python worker.py` (runs until stopped) or `python worker.py --burst`
(until the queues are empty).

It creates the app once, hands over whatever the outbox still holds (a crash or a Redis
outage may have left messages behind), keeps the periodic tasks scheduled
(expire-reservations, relay-outbox: see webshop.jobs), and works the queues in
RQ_QUEUES with RQ's scheduler, which also runs the jobs' retries. Every job runs in a
forked work-horse, inside the app's context (webshop.jobs.run_in_app). SIGTERM or
Ctrl-C finishes the current job, then stops.
"""
import argparse
import logging
import sys

from redis import Redis
from rq import Queue, Worker

from webshop import create_app, jobs, outbox
from webshop.extensions import db


class ShopWorker(Worker):
    """RQ's forking worker, keeping the shop's periodic tasks scheduled.

    A job whose worker died (killed, machine lost) is retried once its heartbeat has
    lapsed: RQ waits the monitoring interval plus a fixed 60 s for that; here the 60 s
    is `heartbeat_grace`, so operators (and tests) can choose it.
    """

    app = None
    heartbeat_grace = 60
    keep_schedule = True

    def get_heartbeat_ttl(self, job, working_time=0.0):
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - working_time, interval)
        return int(max(interval, 1)) + self.heartbeat_grace

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        if self.keep_schedule and not self.is_horse:
            try:
                with self.app.app_context():
                    jobs.schedule_periodic(self.connection)
            except Exception:  # noqa: BLE001  (a Redis hiccup must not stop the worker)
                self.log.exception("could not schedule the periodic tasks")


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
    parser.add_argument("--maintenance-interval", type=int, default=600, metavar="SECONDS",
                        help="how often registries are cleaned and the schedule checked "
                             "(default 600)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        sys.exit("The worker needs Redis: set REDIS_URL. (Without Redis the web process "
                 "runs jobs itself, right after each commit.)")
    jobs.use_app(app)
    connection = Redis.from_url(redis_url)
    with app.app_context():
        # Anything left behind by a crash or a Redis outage, whatever its age.
        outbox.relay_pending(older_than_seconds=0)
        # No pooled connections for the forked work-horses to inherit.
        db.engine.dispose()

    ShopWorker.app = app
    ShopWorker.heartbeat_grace = args.heartbeat_grace
    ShopWorker.keep_schedule = not args.burst
    queues = [Queue(name, connection=connection) for name in (args.queues or app.config["RQ_QUEUES"])]
    worker = ShopWorker(
        queues, connection=connection,
        job_monitoring_interval=args.job_monitoring_interval,
        maintenance_interval=args.maintenance_interval,
    )
    worker.work(burst=args.burst, with_scheduler=True, logging_level=args.log_level)


if __name__ == "__main__":
    main()
