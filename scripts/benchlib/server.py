"""gunicorn started for one mode (and always stopped), and a browser's first requests:
fetch a page, keep the session cookie as a returning browser does."""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

from benchlib.cpu import process_times
from benchlib.settings import ROOT, bench_env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    pass


class Gunicorn:
    def __init__(self, worker_class, workers, threads, logdir, extra_env=None, name="gunicorn",
                 config=None):
        """`config`: a gunicorn config file (deploy/gunicorn.conf.py) that sizes the server
        itself; then `workers` and `threads` are not passed (worker_class must match it)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.worker_class = worker_class
        cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "wsgi:app"]
        if config:
            cmd += ["-c", str(config)]
        else:
            cmd += ["-w", str(workers), "-k", worker_class]
        cmd += ["-b", f"127.0.0.1:{self.port}", "--no-control-socket", "--graceful-timeout", "5"]
        if worker_class == "gthread" and not config:
            cmd += ["--threads", str(threads)]
        self.logfile = open(Path(logdir) / f"{name}.log", "w")
        self.name = name
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=bench_env(extra_env),
            stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise ServerDidNotStart(f"{self.name} did not answer /healthz; see {self.logfile.name}")

    def worker_pids(self):
        return [pid for pid, (ppid, _, _) in process_times().items() if ppid == self.proc.pid]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session, started above
                self.proc.wait(timeout=5)
        if not self.logfile.closed:
            self.logfile.close()


def fetch(url, cookie=None, timeout=10):
    """(status, session cookie value from Set-Cookie or None)."""
    request = urllib.request.Request(url)
    if cookie:
        request.add_header("Cookie", f"session={cookie}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as exc:
        status, headers = exc.code, exc.headers
    issued = None
    for header in headers.get_all("Set-Cookie") or []:
        jar = SimpleCookie()
        jar.load(header)
        if "session" in jar:
            issued = jar["session"].value
    return status, issued


def returning_browser(base, path):
    """GET / once and keep the session cookie, as a browser would; then check `path` with it.

    A browser also adopts a cookie the server re-issues (Flask-Login marks the session
    `_fresh: False` on the visitor's second request, once), so this does too, up to three
    times. Returns (cookie, status of `path` with it, whether the server still re-issues
    the cookie on every request: then each wrk request writes a session after all).
    """
    _, cookie = fetch(base + "/")
    if not cookie:
        return None, fetch(base + path)[0], None
    for _ in range(3):
        status, reissued = fetch(base + path, cookie)
        if reissued is None:
            return cookie, status, False
        cookie = reissued
    return cookie, status, True
