"""Load generation and measurement with wrk: one run (restarted when a gunicorn worker got
no connection), and a URL's warm-up plus repeated runs summarised (re-run when disturbed)."""
import os
import re
import shutil
import subprocess
import time

from benchlib.cpu import Interference, cpu_percent, cpu_times
from benchlib.settings import BUSY_BACKGROUND, log


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
