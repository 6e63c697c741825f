"""Real processes the fault tests own: a Redis server of their own and long-running
workers (worker.py without --burst), with their fixtures (`own_redis`, `start_worker`:
import them into the test module), and waiting for conditions, never for a fixed time."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_lib

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
# Generous: a loaded machine (the suite must pass while other processes use the CPUs)
# is slow, and waiting for a condition costs only as long as the condition takes.
PATIENCE = 90


def wait_for(condition, timeout=PATIENCE, interval=0.05, what="the condition"):
    """Return condition()'s first truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def children_of(pid):
    """The pids of a process's children (from /proc)."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def kill_with_children(pid):
    """SIGKILL a process and its children (work-horse, scheduler) at once, as a lost
    machine or `kill -9` of a container would."""
    for victim in [pid, *children_of(pid)]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: kill()
    loses everything it held, start() brings it back empty on the same port."""

    def __init__(self, port, folder, *options):
        self.port, self.folder, self.options = port, folder, options
        self.process = None
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: `make services` installs it"
        self.binary = binary

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        return redis_lib.Redis.from_url(self.url, socket_timeout=5)

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_lib.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)

        def answers():
            try:
                return client.ping()
            except redis_lib.RedisError:
                assert self.process.poll() is None, "redis-server exited at start-up"
                return False
        wait_for(answers, timeout=30, what="redis-server to answer")
        client.close()
        return self

    def kill(self):
        """SIGKILL: whatever it held is gone."""
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()


class WorkerProcess:
    """`python worker.py` (no --burst) running in the background; its log goes to a
    file the test can read while it runs."""

    def __init__(self, env, args, log_path):
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "worker.py", *args], cwd=ROOT, env=env,
            stdout=self.log_file, stderr=subprocess.STDOUT)

    @property
    def pid(self):
        return self.process.pid

    def log(self):
        return Path(self.log_path).read_text()

    def alive(self):
        return self.process.poll() is None

    def wait_for_log(self, text, timeout=PATIENCE):
        return wait_for(lambda: text in self.log() or (not self.alive() and self.fail_dead()),
                        timeout, interval=0.1, what=f"{text!r} in the worker's log")

    def fail_dead(self):
        raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.log()[-3000:]}")

    def terminate(self, timeout=PATIENCE):
        """SIGTERM, as systemd or docker stop would; returns the exit status."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self):
        kill_with_children(self.pid)
        self.process.wait(10)

    def close(self):
        if self.alive():
            self.kill()
        self.log_file.close()


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (no persistence, so a kill loses everything),
    started; `own_redis.url`, `.kill()`, `.start()`. Stopped at the end."""
    server = RedisServer(free_port(), tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(worker_env, tmp_path):
    """start_worker(*args, env={...}) -> a WorkerProcess: `python worker.py` running in
    the background (not --burst), killed at the end of the test if still running. Its
    periodic tasks are off unless `env` turns them on (JOB_RELAY_OUTBOX_EVERY=1, ...),
    so they never race the test's own calls."""
    workers = []

    def start(*args, env=None):
        full_env = {**worker_env, "JOB_EXPIRE_RESERVATIONS_EVERY": "0",
                    "JOB_RELAY_OUTBOX_EVERY": "0", "JOB_CART_REMINDERS_EVERY": "0",
                    **(env or {})}
        worker = WorkerProcess(full_env, args, tmp_path / f"worker-{len(workers) + 1}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.close()
