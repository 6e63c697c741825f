#!/usr/bin/env python3
"""Throughput benchmark: gunicorn + PostgreSQL + Redis, loaded with wrk. Prints figures.

    .venv/bin/python scripts/bench.py [--worker-class gthread|sync] [--duration 6] [--repeat 3]

What it does:
  1. creates the PostgreSQL database `webshop_bench` if it is missing (--fresh drops and
     recreates that database only; no other database is ever dropped), runs
     `flask db upgrade` and `flask seed-demo` against it, and empties Redis db 14;
  2. measures three modes, each in its own gunicorn start (default: 2 gthread workers x 4
     threads); config.py reads the environment variables:
       cached           default settings
       page-cache off   WEBSHOP_PAGE_CACHE=0: whole pages are not cached; each request
                        renders the page (data and fragments such as the category list
                        and, today, the product-list results are still cached: the SQL
                        column shows what each page still asks the database)
       no cache at all  WEBSHOP_CACHE_DISABLED=1: Flask-Caching's NullCache
     The script checks in a subprocess that config.py honours each variable and labels
     the mode when it does not;
  3. loads each URL like a returning browser: it GETs / once, keeps the `session`
     cookie from Set-Cookie (adopting the one re-issued on the next request, as a browser
     does) and sends it with every wrk request. One row, /products without a cookie
     ("first visit"), shows what a new visitor's requests cost;
  4. per URL: wrk for --warmup seconds (discarded), then --repeat measured runs of
     --duration seconds; it prints the median and best req/s, p50/p99 latency of the
     median run, the spread, non-2xx responses and socket errors. Two things made the
     old figures noisy, and each run is checked for both:
       - wrk opens all its keep-alive connections at once; sometimes one gunicorn
         worker accepts every one and the other idles for the whole run (the figure
         halves). Such a run is restarted (--restart-budget) and otherwise flagged;
       - other processes (test suites, browsers) share the 2 CPUs. A run during which
         they used more than 10% of the machine is re-run once per URL (--retry-budget)
         and otherwise flagged, with the busiest process named;
  5. counts the SQL statements per page in-process (Flask test client, a
     before_cursor_execute listener on the app's engine): page cache off and cached;
  6. prints a summary against the targets: cached catalogue page >= 3000 req/s,
     uncached product page >= 1200 req/s, no storefront page above 5 queries.

It never asserts: it prints tables. gunicorn is always shut down, and every step is
bounded in time (about 3-3.5 minutes with the defaults).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# Run inside the project's virtualenv (psycopg, redis and the app live there).
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

import psycopg  # noqa: E402
import redis  # noqa: E402

DB_NAME = "webshop_bench"  # the only database this script creates or drops
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DSN = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
BENCH_ENV = {
    "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "WEBSHOP_ENV": "production",
    "SECRET_KEY": "bench",  # the same in every mode, so a session cookie stays valid
}
# The mode variables are removed from the inherited environment, so a shell that
# happens to export one cannot change what a mode measures.
MODE_VARS = ("WEBSHOP_PAGE_CACHE", "WEBSHOP_CACHE_DISABLED")
CACHED, PAGE_OFF, NO_CACHE = "cached", "page-cache off", "no cache at all"
MODE_ENV = {
    CACHED: {},
    PAGE_OFF: {"WEBSHOP_PAGE_CACHE": "0"},
    NO_CACHE: {"WEBSHOP_CACHE_DISABLED": "1"},
}
# What create_app() must show for the mode to be real: (PAGE_CACHE, CACHE_TYPE).
MODE_EXPECT = {
    CACHED: (True, "RedisCache"),
    PAGE_OFF: (False, "RedisCache"),
    NO_CACHE: (None, "NullCache"),  # PAGE_CACHE does not matter without a cache
}

TARGET_CACHED_CATALOGUE = 3000  # req/s, /products, cached, returning browser
TARGET_UNCACHED_PRODUCT = 1200  # req/s, product page, page cache off, returning browser
TARGET_MAX_QUERIES = 5  # SQL statements per storefront page
NOISY_SPREAD = 0.10  # (best - worst) / median above this: the row is flagged
BUSY_BACKGROUND = 10.0  # % of the machine's CPU used by other processes during a run
BUSY_STEAL = 5.0  # % CPU stolen by the hypervisor during a run: flagged


def log(message):
    print(f"[bench] {message}", flush=True)


def bench_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in MODE_VARS}
    env.update(BENCH_ENV)
    env.update(extra or {})
    return env


# --- database --------------------------------------------------------------------------

def prepare_database(fresh):
    with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
        ).fetchone()
        if exists and fresh:
            log(f"dropping and recreating {DB_NAME}")
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {DB_NAME}")
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["seed-demo"]):
        log("flask " + " ".join(args))
        result = subprocess.run(
            flask + args, cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"`flask {' '.join(args)}` failed (exit {result.returncode})")
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"], socket_timeout=5).flushdb()


def sample_slugs():
    """(first active product by id, first category by position) in webshop_bench."""
    with psycopg.connect(BENCH_DSN, connect_timeout=5) as conn:
        product = conn.execute(
            "SELECT slug FROM product WHERE active ORDER BY id LIMIT 1"
        ).fetchone()
        category = conn.execute(
            "SELECT slug FROM category ORDER BY position, name LIMIT 1"
        ).fetchone()
    if not product or not category:
        raise SystemExit("no active product or no category in webshop_bench: "
                         "did seed-demo seed anything?")
    return product[0], category[0]


def check_modes():
    """{mode: problem or None}: does create_app() show each mode's settings?"""
    code = (
        "from webshop import create_app\n"
        "app = create_app()\n"
        "print('MODE', app.config.get('PAGE_CACHE'), app.config.get('CACHE_TYPE'))\n"
    )
    problems = {}
    for mode, extra in MODE_ENV.items():
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=bench_env(extra),
                                capture_output=True, text=True, timeout=60)
        found = re.search(r"^MODE (\S+) (\S+)$", result.stdout, re.M)
        if not found:
            tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            problems[mode] = f"create_app() failed: {tail}"
            continue
        page_cache, cache_type = found.group(1) == "True", found.group(2)
        want_page, want_type = MODE_EXPECT[mode]
        wrong = []
        if want_page is not None and page_cache != want_page:
            wrong.append(f"PAGE_CACHE={page_cache}")
        if cache_type != want_type:
            wrong.append(f"CACHE_TYPE={cache_type}")
        problems[mode] = ("config.py gives " + ", ".join(wrong)) if wrong else None
    return problems


# --- gunicorn --------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    pass


class Gunicorn:
    def __init__(self, worker_class, workers, threads, logdir, extra_env=None, name="gunicorn"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.worker_class = worker_class
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "wsgi:app",
            "-w", str(workers), "-k", worker_class,
            "-b", f"127.0.0.1:{self.port}",
            "--no-control-socket", "--graceful-timeout", "5",
        ]
        if worker_class == "gthread":
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


# --- CPU accounting (to tell a noisy run) ----------------------------------------------

def cpu_times():
    """(busy, steal, total, tasks) jiffies of all CPUs, from /proc/stat, or None.

    tasks: user + nice + system, the time that processes are charged with.
    """
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    fields += [0] * (8 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return user + nice + system + irq + softirq, steal, total, user + nice + system


def cpu_percent(before, after):
    """(busy %, steal %) between two cpu_times() samples."""
    if not before or not after or after[2] <= before[2]:
        return None, None
    total = after[2] - before[2]
    return (100.0 * (after[0] - before[0]) / total, 100.0 * (after[1] - before[1]) / total)


def process_times():
    """{pid: (ppid, name, utime + stime jiffies)} of every process that can be read."""
    times = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.find("(") + 1:text.rfind(")")]
        fields = text[text.rfind(")") + 2:].split()
        times[int(entry.name)] = (int(fields[1]), name, int(fields[11]) + int(fields[12]))
    return times


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def describe_process(pid):
    """'python -m pytest' for a pid: its program and first arguments, short."""
    argv = cmdline(pid)
    if not argv:
        return None
    if len(argv) == 1 and " " in argv[0]:  # a rewritten process title (postgres, chromium)
        argv = argv[0].split()
    words = [os.path.basename(argv[0])] + [a for a in argv[1:] if not a.startswith("--")][:3]
    return " ".join(words)[:40]


class Interference:
    """CPU used during a run by processes that are not part of the benchmark.

    Ours: this script and its children (wrk), the gunicorn master and its workers, Redis,
    and PostgreSQL's own processes and its backends for webshop_bench. Everything else
    (another engineer's test suite and the PostgreSQL backends serving it, a browser...)
    competes with the benchmark for the two CPUs and makes its figures low.

    Others' share = the CPU time the kernel charged to all processes (/proc/stat) minus
    what ours were charged (/proc/<pid>/stat, and getrusage for wrk, which has exited by
    then), so processes that came and went during the run are counted too.
    """

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.cpu_before = cpu_times()
        self.before = process_times()
        self.children_before = self._children()

    @staticmethod
    def _children():
        import resource
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def _ours(self, pid, ppid, name):
        if pid in (os.getpid(), self.server_pid) or ppid in (os.getpid(), self.server_pid):
            return True
        if name == "redis-server" or pid == 2 or ppid == 2:
            return True  # Redis, and kernel threads (ksoftirqd carries our loopback traffic)
        if name == "postgres":
            line = " ".join(cmdline(pid))
            return DB_NAME in line or "webshop" not in line
        return False

    def finish(self):
        """(% of the machine's CPU used by others during the run, the busiest of them)."""
        after = process_times()
        cpu_after = cpu_times()
        if not self.cpu_before or not cpu_after or cpu_after[2] <= self.cpu_before[2]:
            return None, None
        total = cpu_after[2] - self.cpu_before[2]
        charged = cpu_after[3] - self.cpu_before[3]
        ours = (self._children() - self.children_before) * self.TICK  # wrk
        top = (0, None)
        for pid, (ppid, name, ticks) in after.items():
            delta = ticks - (self.before[pid][2] if pid in self.before else 0)
            if delta <= 0:
                continue
            if self._ours(pid, ppid, name):
                ours += delta
            else:
                top = max(top, (delta, pid))
        others = max(0.0, charged - ours)
        who = describe_process(top[1]) if top[1] and top[0] >= others / 3 else None
        return 100.0 * others / total, who or "various or short-lived processes"


# --- wrk -------------------------------------------------------------------------------

def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing Debian's wrk with apt-get")
    sudo = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
    if sudo is None:
        raise SystemExit("wrk is missing; as root run: apt-get update && apt-get install -y wrk")
    subprocess.run(sudo + ["apt-get", "update"], check=True, timeout=300)
    subprocess.run(sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
                           "-y", "wrk"], check=True, timeout=300)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def connection_split(server):
    """Established connections per gunicorn worker, e.g. [21, 11]; None if unknown.

    Only for gthread: sync workers close the connection after each response, so wrk's
    connections do not stick to a worker and a snapshot says nothing.
    """
    if server.worker_class != "gthread":
        return None
    workers = server.worker_pids()
    if len(workers) < 2 or not shutil.which("ss"):
        return None
    try:
        out = subprocess.run(["ss", "-tnpH", "state", "established", "sport", f"= :{server.port}"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    owners = [int(pid) for pid in re.findall(r"pid=(\d+)", out)]
    if not owners:
        return None  # ss could not name the processes (not root?)
    return sorted((owners.count(pid) for pid in workers), reverse=True)


def unbalanced(split):
    return bool(split) and split[-1] == 0


def parse_wrk(out):
    result = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "errors": 0,
              "error_text": ""}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        if m := re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", out, re.M):
            result["p" + pct] = to_ms(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        result["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors:(.*)", out):
        result["error_text"] = m.group(1).strip()
        result["errors"] = sum(int(n) for n in re.findall(r"\d+", result["error_text"]))
    if result["rps"] is None:
        result["error"] = (out.strip().splitlines() or ["no output"])[-1]
    return result


BALANCE_CHECK_AFTER = 0.4  # seconds into a run: wrk has opened all its connections


def run_wrk(url, duration, args, cookie=None, server=None, restarts=0):
    """One wrk run; its figures, the CPU others used meanwhile, and the connection split.

    wrk opens all its keep-alive connections at once and keeps them for the whole run.
    With several gunicorn workers, one worker sometimes accepts every one of them and
    the others idle for the whole run: the figure halves (a shop with many visitors, who
    come and go, does not see that). `restarts` allows that many restarts of such a run,
    each after BALANCE_CHECK_AFTER seconds; result["restarts"] says how many were used.
    """
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{duration}s",
           "--latency", "--timeout", "5s"]
    if cookie:
        cmd += ["-H", f"Cookie: session={cookie}"]
    cmd.append(url)
    used = 0
    while True:
        before = cpu_times()
        others = Interference(server.proc.pid if server else None)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        split = None
        try:
            if server is not None:
                time.sleep(BALANCE_CHECK_AFTER)
                split = connection_split(server)
                if unbalanced(split) and used < restarts:
                    proc.terminate()
                    proc.communicate(timeout=10)
                    used += 1
                    continue
            out = proc.communicate(timeout=duration + 20)[0]
        except BaseException as exc:  # a timeout, or the script being stopped: end wrk too
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            return {"error": "wrk timed out", "rps": None, "non2xx": 0, "errors": 0,
                    "others": None, "who": None, "steal": None, "split": split,
                    "restarts": used}
        break
    _, steal = cpu_percent(before, cpu_times())
    share, who = others.finish()
    result = parse_wrk(out)
    result.update(steal=steal, others=share, who=who, split=split, restarts=used)
    return result


def busy(run):
    return run.get("others") is not None and run["others"] > BUSY_BACKGROUND


MAX_RESTARTS = 6  # per run; a split is about a coin toss, so 6 nearly always suffice


def measure(url, args, cookie, server, budget):
    """Warm up (discarded), then args.repeat runs; a summary of them.

    A run during which other processes used more than BUSY_BACKGROUND % of the machine is
    run again, once per URL (a longer disturbance would spoil the re-run too), while
    budget["seconds"] (shared by the whole benchmark) lasts; a run in which a worker got
    no connection is restarted while budget["restarts"] lasts. The summary says how many
    runs were replaced or restarted, and how many flawed runs remain in the figures.
    """
    run_wrk(url, args.warmup, args, cookie)
    runs, replaced, restarts = [], 0, 0
    while len(runs) < args.repeat:
        allowed = min(MAX_RESTARTS, int(budget["restarts"] // BALANCE_CHECK_AFTER))
        run = run_wrk(url, args.duration, args, cookie, server, allowed)
        budget["restarts"] -= run["restarts"] * BALANCE_CHECK_AFTER
        restarts += run["restarts"]
        if run["restarts"]:
            log(f"    run {len(runs) + 1}: one gunicorn worker got no connection; "
                f"restarted it {run['restarts']} time(s)")
        if busy(run) and not replaced and budget["seconds"] >= args.duration:
            budget["seconds"] -= args.duration
            replaced += 1
            log(f"    run {len(runs) + 1} disturbed ({run['others']:.0f}% CPU by "
                f"{run['who']}): measuring it again")
            continue
        runs.append(run)
    good = [r for r in runs if r.get("rps") is not None]
    disturbed = [r for r in runs if busy(r)]
    worst = max(disturbed, key=lambda r: r["others"], default=None)
    summary = {
        "runs": runs,
        "non2xx": sum(r.get("non2xx", 0) for r in runs),
        "errors": sum(r.get("errors", 0) for r in runs),
        "failed": len(runs) - len(good),
        "error": next((r["error"] for r in runs if r.get("error")), ""),
        "replaced": replaced,
        "restarts": restarts,
        "unbalanced": sum(1 for r in runs if unbalanced(r.get("split"))),
        "splits": [r.get("split") for r in runs],
        "disturbed": len(disturbed),
        "others": worst["others"] if worst else None,
        "who": worst["who"] if worst else None,
        "steal": max((r["steal"] for r in good if r.get("steal") is not None), default=None),
    }
    if good:
        ordered = sorted(good, key=lambda r: r["rps"])
        median_run = ordered[(len(ordered) - 1) // 2]  # the lower median: a real run
        summary.update(
            median=median_run["rps"], best=ordered[-1]["rps"], worst=ordered[0]["rps"],
            p50=median_run["p50"], p99=median_run["p99"],
            spread=(ordered[-1]["rps"] - ordered[0]["rps"]) / median_run["rps"]
            if median_run["rps"] else None,
        )
    return summary


# --- SQL queries per page (in-process) -------------------------------------------------

def count_queries(paths):
    """{(mode, path): (statements, status)} for the second request of each path.

    Modes: page cache off (PAGE_CACHE False after create_app; data still cached),
    cached (the default) and, for information, no cache at all (CACHE_DISABLED).
    """
    os.environ.update(BENCH_ENV)
    for name in MODE_VARS:
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import warnings

    from sqlalchemy import event

    from webshop import create_app
    from webshop.extensions import db

    warnings.filterwarnings("ignore", message="Flask-Caching: CACHE_TYPE is set to NullCache")
    import logging
    logging.getLogger("webshop").setLevel(logging.ERROR)  # start-up notices, not figures
    counts = {}
    setups = ((PAGE_OFF, {}, False), (CACHED, {}, True), (NO_CACHE, {"CACHE_DISABLED": True}, True))
    for mode, overrides, page_cache in setups:
        app = create_app({"WEBSHOP_ENV": "production", **overrides})
        app.config["PAGE_CACHE"] = page_cache
        with app.app_context():
            engine = db.engine
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        # The requests run outside any app context of ours: inside one, Flask would reuse
        # it, and `g` (which holds the catalogue version) would leak between requests.
        event.listen(engine, "before_cursor_execute", before)
        try:
            client = app.test_client()  # keeps its session cookie: a returning browser
            for path in paths:
                client.get(path)  # warm: cache, pool, session cookie
                statements.clear()
                response = client.get(path)
                counts[(mode, path)] = (len(statements), response.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", before)
            engine.dispose()
    return counts


# --- main ------------------------------------------------------------------------------

def run_text(run):
    text = "-" if run.get("rps") is None else f"{run['rps']:.0f}"
    if run.get("split"):
        text += "(" + ":".join(str(n) for n in run["split"]) + ")"
    return text + ("*" if busy(run) else "")


def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--duration", type=int, default=6, help="seconds per measured wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="measured wrk runs per URL")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of discarded wrk per URL")
    parser.add_argument("--retry-budget", type=int, default=18,
                        help="seconds, in all, for re-running runs that other processes "
                             "disturbed (0: never)")
    parser.add_argument("--restart-budget", type=int, default=15,
                        help="seconds, in all, for restarting runs in which a gunicorn "
                             "worker got none of wrk's connections (0: never)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true",
                        help=f"drop and recreate the {DB_NAME} database first")
    parser.add_argument("--no-uncached", action="store_true",
                        help="measure the cached mode only")
    args = parser.parse_args()
    # A plain `kill` must still shut gunicorn down: turn SIGTERM into an exception, so
    # the `finally` blocks run.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.repeat < 1 or args.duration < 1 or args.warmup < 1:
        parser.error("--repeat, --duration and --warmup must be at least 1")

    started = time.monotonic()
    try:
        with open("/proc/loadavg") as f:
            loadavg = f.read().split()[0]
    except OSError:
        loadavg = "?"
    ensure_wrk()
    prepare_database(args.fresh)
    slug, category_slug = sample_slugs()
    product = f"/products/{slug}"
    logdir = tempfile.mkdtemp(prefix="webshop-bench-")

    # (mode, path, send the returning browser's cookie?)
    plan = [
        (CACHED, "/products", True),
        (CACHED, "/products", False),  # first visit: no cookie, a new session every time
        (CACHED, product, True),
        (CACHED, "/", True),
        (CACHED, "/healthz", True),  # the server's ceiling: no template, no cache, no SQL
        (PAGE_OFF, product, True),
        (PAGE_OFF, "/products", True),
        (NO_CACHE, product, True),
    ]
    if args.no_uncached:
        plan = [step for step in plan if step[0] == CACHED]
    modes = list(dict.fromkeys(mode for mode, _, _ in plan))
    per_url = args.warmup + args.repeat * args.duration
    log(f"{len(plan)} URLs x ({args.warmup}s warm-up + {args.repeat} x {args.duration}s): "
        f"{len(plan) * per_url / 60:.1f} min of load, at most "
        f"{args.retry_budget + args.restart_budget}s more for re-runs and restarts")

    problems = check_modes()
    for mode in modes:
        if problems.get(mode):
            log(f"WARNING: mode '{mode}' is not what it claims: {problems[mode]}")

    results = []  # (mode, path, cookie label, status, reissued, summary)
    retry_budget = {"seconds": args.retry_budget, "restarts": args.restart_budget}
    for mode in modes:
        name = "gunicorn-" + mode.replace(" ", "-")
        server = Gunicorn(args.worker_class, args.workers, args.threads, logdir,
                          extra_env=MODE_ENV[mode], name=name)
        try:
            server.wait_ready()
            log(f"{mode}: gunicorn {args.worker_class} x{args.workers} on {server.base}")
            for step_mode, path, with_cookie in plan:
                if step_mode != mode:
                    continue
                if with_cookie:
                    cookie, status, reissued = returning_browser(server.base, path)
                    label = "returning" if cookie else "NO COOKIE"
                else:
                    cookie, reissued = None, None
                    status = fetch(server.base + path)[0]
                    label = "first visit"
                log(f"  wrk {path} ({label}, status {status})")
                summary = measure(server.base + path, args, cookie, server, retry_budget)
                results.append((mode, path, label, status, reissued, summary))
        except ServerDidNotStart as exc:  # the other modes may still give figures
            log(f"{mode}: not measured: {exc}")
        finally:
            server.stop()

    storefront = ["/", "/products", "/products?q=coffee", f"/categories/{category_slug}",
                  product]
    try:
        queries = count_queries(storefront)
    except Exception as exc:  # figures only: a failure here must not hide the tables
        log(f"query counting failed: {exc.__class__.__name__}: {exc}")
        queries = {}

    # --- report ------------------------------------------------------------------------
    workers = f"{args.workers} {args.worker_class} workers"
    if args.worker_class == "gthread":
        workers += f" x {args.threads} threads"
    print()
    print(f"gunicorn: {workers}; wrk: {args.wrk_threads} threads, {args.connections} "
          f"connections; per URL: {args.warmup}s warm-up (discarded), then "
          f"{args.repeat} runs x {args.duration}s")
    print("Returning browser: before each URL the script GETs / once, keeps the `session` "
          "cookie from Set-Cookie\n(and adopts the one the server re-issues on the next "
          "request, as a browser does) and sends it\n(-H 'Cookie: session=...') with every "
          "wrk request. The 'first visit' row sends no cookie, so every\nrequest creates a "
          "new session. req/s: median and best of the runs; p50/p99: the median run.")
    if args.worker_class == "gthread" and args.workers > 1:
        print("wrk opens its keep-alive connections at once and keeps them; when one gunicorn "
              "worker accepts them\nall, the other idles for the whole run and the figure "
              "halves (the main cause of the old script's\nnoise). Such runs are restarted "
              f"after {BALANCE_CHECK_AFTER}s (a shop's visitors come and go and reach every "
              "worker).")
    print(f"Load average at the start: {loadavg} on {os.cpu_count()} CPUs; wrk runs on the "
          "same machine as the server and takes part of its CPU.")
    header = (f"{'mode':<15} {'URL':<36} {'visitor':<11} {'status':>6} {'median':>8} "
              f"{'best':>8} {'spread':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
              f"{'errors':>6} {'SQL':>3}")
    print()
    print(header)
    print("-" * len(header))
    notes_seen = set()
    for mode, path, label, status, reissued, s in results:
        line = (f"{mode:<15} {path[:36]:<36} {label:<11} {status:>6} "
                f"{fmt(s.get('median'), '8.0f')} {fmt(s.get('best'), '8.0f')} "
                f"{fmt(100 * s['spread'] if s.get('spread') is not None else None, '5.0f')}"
                f"{'%' if s.get('spread') is not None else ' '} "
                f"{fmt(s.get('p50'), '7.2f')} {fmt(s.get('p99'), '7.2f')} "
                f"{s['non2xx']:>7} {s['errors']:>6} "
                f"{fmt(queries.get((mode, path), (None,))[0], '3d')}")
        notes = []
        if problems.get(mode):
            notes.append("MODE NOT HONOURED")
        if s["failed"]:
            notes.append(f"{s['failed']} run(s) failed: {s['error']}")
        if s.get("spread") is not None and s["spread"] > NOISY_SPREAD:
            notes.append("noisy")
            notes_seen.add("noisy")
        if s["disturbed"]:
            notes.append(f"{s['disturbed']} run(s) disturbed, up to {s['others']:.0f}% CPU"
                         + (f" by {s['who']}" if s["who"] else ""))
            notes_seen.add("busy")
        if s["replaced"]:
            notes.append(f"{s['replaced']} disturbed run(s) re-measured")
            notes_seen.add("replaced")
        if s["unbalanced"]:
            notes.append(f"{s['unbalanced']} run(s) with an idle worker")
            notes_seen.add("unbalanced")
        if s["restarts"]:
            notes.append(f"{s['restarts']} restart(s)")
            notes_seen.add("restarts")
        if s.get("steal") is not None and s["steal"] > BUSY_STEAL:
            notes.append(f"steal {s['steal']:.0f}%")
            notes_seen.add("steal")
        if reissued:
            notes.append("cookie re-issued")
            notes_seen.add("reissued")
        if label == "NO COOKIE":
            notes_seen.add("nocookie")
        if mode != CACHED and queries.get((mode, path), (None,))[0] == 0:
            notes.append("0 SQL: not rendered from the database")
            notes_seen.add("nosql")
        print(line + ("  " + "; ".join(notes) if notes else ""))
    print("  SQL: statements per request of that page in that mode (the in-process count "
          "below)")
    if notes_seen:
        explained = {
            "noisy": f"noisy: best and worst run differ by more than {NOISY_SPREAD:.0%} "
                     "of the median",
            "busy": f"disturbed: during the run, processes outside the benchmark used more "
                    f"than {BUSY_BACKGROUND:.0f}% of the\n  machine's CPU (the figure is "
                    "probably low)",
            "replaced": "re-measured: a disturbed run was discarded and run again "
                        "(--retry-budget)",
            "unbalanced": "idle worker: one gunicorn worker held none of wrk's "
                          "connections for the whole run, so the\n  run measured one "
                          "worker, about half the server (--restart-budget ran out)",
            "restarts": "restart(s): runs restarted after "
                        f"{BALANCE_CHECK_AFTER}s because a gunicorn worker had got none of "
                        "wrk's connections",
            "steal": "steal: the hypervisor took that share of CPU time during a run",
            "reissued": "cookie re-issued: the server sent a new session cookie to the "
                        "returning browser, so each request still writes a session",
            "nocookie": "NO COOKIE: GET / set no session cookie; that row ran without one",
            "nosql": "0 SQL: in this mode the page ran no SQL statement (in-process count): "
                     "it is assembled from\n  cached fragments, so the row is not an "
                     "'uncached' figure",
        }
        for key in ("noisy", "busy", "replaced", "unbalanced", "restarts", "steal", "reissued",
                    "nocookie", "nosql"):
            if key in notes_seen:
                print("  " + explained[key])
    print("  every run, req/s in order: " + "; ".join(
        f"{path.rsplit('/', 1)[-1] or '/'}{' first' if label == 'first visit' else ''}"
        f" [{mode}] {'/'.join(run_text(r) for r in s['runs']) or '-'}"
        for mode, path, label, _, _, s in results)
        + "\n  (connections per gunicorn worker in brackets; * disturbed)")

    worst = None
    if queries:
        print()
        print("SQL statements per request (in-process, Flask test client keeping its cookie, "
              "second request;\nbefore_cursor_execute, so BEGIN/COMMIT are not counted):")
        print(f"  {'page':<44} {'page cache off':>14} {'cached':>7} {'no cache (info)':>16}")
        for path in storefront:
            cells = []
            for mode, width in ((PAGE_OFF, 14), (CACHED, 7), (NO_CACHE, 16)):
                count, status = queries.get((mode, path), (None, None))
                cell = "-" if count is None else str(count)
                if status not in (None, 200):
                    cell += f" ({status})"
                cells.append(f"{cell:>{width}}")
                if mode in (PAGE_OFF, CACHED) and count is not None:
                    if worst is None or count > worst[0]:
                        worst = (count, path, mode)
            print(f"  {path[:44]:<44} {' '.join(cells)}")

    def figure(mode, path, label="returning"):
        return next((s for m, p, lab, _, _, s in results
                     if m == mode and p == path and lab == label), None)

    def verdict(s, target, what):
        if s is None:
            return f"  {what:<44} not measured"
        if s.get("median") is None:
            return f"  {what:<44} no figure ({s['error'] or 'wrk failed'})"
        ok = s["median"] >= target
        text = (f"  {what:<44} {s['median']:>6.0f} req/s (best {s['best']:.0f})   "
                f"target >= {target}   {'MET' if ok else 'NOT MET'}")
        caveats = []
        if s["non2xx"] or s["errors"]:
            caveats.append(f"{s['non2xx']} non-2xx, {s['errors']} socket errors: not valid")
        if s.get("spread") is not None and s["spread"] > NOISY_SPREAD:
            caveats.append(f"spread {s['spread']:.0%}")
        return text + ("  (" + "; ".join(caveats) + ")" if caveats else "")

    print()
    print("Summary against the targets (median req/s, returning browser):")
    print(verdict(figure(CACHED, "/products"), TARGET_CACHED_CATALOGUE,
                  "cached catalogue page (/products)"))
    print(verdict(figure(PAGE_OFF, product), TARGET_UNCACHED_PRODUCT,
                  "uncached product page (page-cache off)"))
    if worst is None:
        print(f"  {'queries per storefront page':<44} not counted")
    else:
        ok = worst[0] <= TARGET_MAX_QUERIES
        print(f"  {'queries per storefront page (max)':<44} {worst[0]:>6}         "
              f"({worst[1]}, {worst[2]})   target <= {TARGET_MAX_QUERIES}   "
              f"{'MET' if ok else 'NOT MET'}")
    info = [("first visit /products, cached (no cookie)", figure(CACHED, "/products",
                                                                "first visit")),
            ("uncached catalogue page (page-cache off)", figure(PAGE_OFF, "/products")),
            ("product page, no cache at all", figure(NO_CACHE, product))]
    for what, s in info:
        if s and s.get("median") is not None:
            print(f"  {what:<44} {s['median']:>6.0f} req/s (best {s['best']:.0f})   "
                  "for information, no target")
    for mode, path, what in ((PAGE_OFF, product, "uncached product page"),
                             (PAGE_OFF, "/products", "uncached catalogue page")):
        if figure(mode, path) and queries.get((mode, path), (None,))[0] == 0:
            print(f"  NOTE: the {what} figure ran 0 SQL statements per request ({mode}, "
                  f"{path}): it is\n  served from cached fragments, not rendered from "
                  "the database.")
    busy_rows = [s for *_, s in results if s["disturbed"]]
    noisy_rows = [s for *_, s in results
                  if s.get("spread") is not None and s["spread"] > NOISY_SPREAD]
    bad_rows = [s for *_, s in results
                if s["non2xx"] or s["errors"] or s["failed"] or s["unbalanced"]]
    if busy_rows or noisy_rows or bad_rows:
        others = sorted({s["who"] for s in busy_rows if s["who"]})
        print(f"  TRUST: {len(busy_rows)} of {len(results)} rows ran while other work used "
              f"the CPU" + (f" ({', '.join(others)})" if others else "")
              + f"; {len(noisy_rows)} rows spread over {NOISY_SPREAD:.0%}; {len(bad_rows)} "
              "rows had non-2xx, socket errors, failed runs or an idle worker.\n"
              + ("  Re-run on a quiet machine before quoting these figures."
                 if busy_rows or bad_rows else
                 "  The machine was quiet: quote the noisy rows' medians with their spread."))
    else:
        print(f"  TRUST: every row ran on a quiet machine, spread within {NOISY_SPREAD:.0%}, "
              "no non-2xx or socket errors, every worker busy.")
    print(f"\nlogs: {logdir}   total time: {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
