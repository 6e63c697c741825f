"""CPU accounting from /proc, to tell a noisy run: the machine's busy and stolen time,
and the share that processes outside the benchmark used during a run."""
import os

from benchlib.settings import DB_NAME


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


def serving_cpu(roots, database):
    """CPU seconds used so far by what serves the benchmark: the process trees under
    `roots` (gunicorn, nginx), PostgreSQL's backends for `database`, and Redis.
    {"app": s, "postgres": s, "redis": s}; backends that exited meanwhile are missed."""
    tick = Interference.TICK
    times = process_times()
    ours, used = set(roots), {"app": 0.0, "postgres": 0.0, "redis": 0.0}
    grew = True
    while grew:  # every descendant of the roots
        grew = False
        for pid, (ppid, _, _) in times.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                grew = True
    for pid, (ppid, name, ticks) in times.items():
        if pid in ours:
            used["app"] += ticks / tick
        elif name == "postgres" and database in " ".join(cmdline(pid)):
            used["postgres"] += ticks / tick
        elif name == "redis-server":
            used["redis"] += ticks / tick
    return used
