"""gunicorn settings for the container image and any box: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Workers and threads follow the CPUs this process may really use, which inside a
container is not os.cpu_count() (that is the whole node's). In order:

1. WEB_CPUS: set by the Kubernetes manifests from the pod's CPU request (downward API),
2. the cgroup's CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), rounded up,
3. the CPUs this process may be scheduled on (sched_getaffinity).

workers = max(2, CPUs) gthread workers of GUNICORN_THREADS (4) threads each: what
measured best on the 2-core box (README: `-w 2 --threads 4`); a request waiting on
PostgreSQL, Redis or Stripe holds a thread, not a CPU. WEB_CONCURRENCY overrides the
worker count as usual with gunicorn.

These are deployment settings (how many processes), not the shop's: the shop's own
settings are read only in config.py.
"""
import math
import os
import shutil

CGROUP_ROOT = os.environ.get("GUNICORN_CGROUP_ROOT", "/sys/fs/cgroup")


def _positive_int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _quota_cpus(root=CGROUP_ROOT):
    """CPUs allowed by the cgroup's quota, rounded up; None when unlimited or unknown."""
    try:  # cgroup v2: "max 100000" or "150000 100000"
        with open(os.path.join(root, "cpu.max")) as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
        return None
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as f:
            quota = int(f.read())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as f:
            period = int(f.read())
        if quota > 0 and period > 0:
            return max(1, math.ceil(quota / period))
    except (OSError, ValueError):
        pass
    return None


def available_cpus(environ=os.environ, root=CGROUP_ROOT):
    """How many CPUs this server should size itself for (see the module docstring)."""
    given = _positive_int(environ.get("WEB_CPUS"))
    if given:
        return given
    quota = _quota_cpus(root)
    try:
        scheduled = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        scheduled = os.cpu_count() or 1
    return min(quota, scheduled) if quota else scheduled


def worker_count(environ=os.environ, root=CGROUP_ROOT):
    return _positive_int(environ.get("WEB_CONCURRENCY")) or max(2, available_cpus(environ, root))


def thread_count(environ=os.environ):
    return _positive_int(environ.get("GUNICORN_THREADS")) or 4


bind = [f"{os.environ.get('GUNICORN_BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
worker_class = "gthread"
workers = worker_count()
threads = thread_count()

# A request slower than this is killed; Stripe calls give up after STRIPE_TIMEOUT (20 s).
timeout = _positive_int(os.environ.get("GUNICORN_TIMEOUT")) or 60
# SIGTERM (a pod stopping, a deploy): finish what is in flight within this many seconds;
# the pod's terminationGracePeriodSeconds is longer.
graceful_timeout = _positive_int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT")) or 25
# Longer than the load balancer's idle timeout (60 s for most), so the balancer, not
# gunicorn, closes idle connections and never sends a request on a closing one.
keepalive = _positive_int(os.environ.get("GUNICORN_KEEPALIVE")) or 75
# Recycle workers now and then so a slow leak never becomes an outage; jittered so
# they do not all restart at once.
max_requests = _positive_int(os.environ.get("GUNICORN_MAX_REQUESTS")) or 5000
max_requests_jitter = max_requests // 10

# The heartbeat file on tmpfs: a container's overlay filesystem can stall it, and the
# root filesystem is read-only in the manifests.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Several servers on one machine (make cluster, tests) would collide on the one default
# control socket; nothing here uses it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


# prometheus_client's multiprocess mode: when PROMETHEUS_MULTIPROC_DIR is set, every
# worker writes its metrics there and /metrics sums them. The folder must start empty
# (figures of a previous run would be added in), and a worker that exits is marked dead
# so its live gauges stop counting.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                path = os.path.join(folder, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        else:
            os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
