"""The scaled shop on one machine: nginx in front of N gunicorn instances, and RQ workers.

    make cluster                      # 2 web instances, 1 worker, http://127.0.0.1:8080
    python scripts/cluster.py --web 3 --workers 2 --port 8090

Everything runs on loopback against the local PostgreSQL (database `webshop_cluster`,
created and migrated if missing, the demo catalogue seeded) and Redis (database 5), from
the repository's virtualenv, until Ctrl-C. Every instance is identical: same SECRET_KEY,
same database and Redis, so a shopper's session, cart and login work whichever instance
nginx picks. This is a rehearsal of the production layout (DEPLOY.md), in development
mode so that the demo data and the Stripe sandbox are available.

`Cluster` is also what tests/test_cluster.py drives (kill an instance mid-traffic).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "webshop.conf"
PYTHON = ROOT / ".venv" / "bin" / "python"
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url, timeout=2):
    try:
        with _direct.open(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class Cluster:
    """nginx + `web` gunicorn instances + `workers` RQ workers, started by `start()` and
    stopped (all of them, whatever happened) by `stop()`. `url` is nginx's address."""

    def __init__(self, environment, web=2, workers=1, port=None, threads=4, run_dir=None,
                 access_log=False, nginx_workers="1"):
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("WEBSHOP_")},
                    "WEBSHOP_ENV": "development", "TRUSTED_PROXY_HOPS": "1",
                    "PYTHONUNBUFFERED": "1", **environment}
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="webshop-cluster-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env.setdefault("BASE_URL", self.url)
        # The instances build the hashed, compressed static files here; nginx serves them.
        self.env.setdefault("STATIC_BUILD_DIR", str(self.run_dir / "static"))
        self.web_ports = [free_port() for _ in range(web)]
        self.worker_count, self.threads, self.access_log = workers, threads, access_log
        self.nginx_workers = nginx_workers  # nginx's worker_processes ("auto": one per CPU)
        self.web, self.workers, self.nginx = [], [], None

    # --- starting and stopping ---------------------------------------------------------------

    def start(self):
        try:
            for index, port in enumerate(self.web_ports):
                self.web.append(self._spawn(f"web{index}", [
                    str(PYTHON), "-m", "gunicorn", "wsgi:app", "--no-control-socket",
                    "-k", "gthread", "-w", "1", "--threads", str(self.threads),
                    "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                    "--access-logfile", "-"]))
            for port in self.web_ports:
                wait_for(lambda p=port: answers(f"http://127.0.0.1:{p}/healthz"), 60,
                         f"gunicorn on port {port}")
            for index in range(self.worker_count):
                self.workers.append(self._spawn(f"worker{index}", [str(PYTHON), "worker.py"]))
            self.nginx = self._spawn("nginx", [
                "nginx", "-p", str(self.run_dir), "-c", str(self._nginx_conf()),
                "-g", "daemon off;"])
            wait_for(lambda: answers(self.url + "/healthz"), 30, f"nginx on {self.url}")
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name, command):
        log = open(self.run_dir / f"{name}.log", "ab")
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _nginx_conf(self):
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;"
                            for port in self.web_ports)
        values = {
            "@USER@": "user root;" if os.geteuid() == 0 else "",
            "@WORKER_PROCESSES@": str(self.nginx_workers),
            "@RUN@": str(self.run_dir),
            "@ACCESS_LOG@": str(self.run_dir / "access.log") if self.access_log else "off",
            "@SERVERS@": servers,
            "@LISTEN@": f"127.0.0.1:{self.port}",
            "@STATIC@": self.env["STATIC_BUILD_DIR"],
        }
        text = NGINX_TEMPLATE.read_text()
        for marker, value in values.items():
            text = text.replace(marker, value)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache", "media"):
            (self.run_dir / sub).mkdir(exist_ok=True)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(text)
        return conf

    def kill_web(self, index):
        """SIGKILL one web instance (its whole process group): a crashed machine."""
        os.killpg(self.web[index].pid, signal.SIGKILL)
        self.web[index].wait()

    def stop(self):
        processes = [p for p in [self.nginx, *self.workers, *self.web] if p is not None]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log(self, name):
        return (self.run_dir / f"{name}.log").read_text(errors="replace")


# --- `make cluster` ---------------------------------------------------------------------------

def prepare(env):
    """Create, migrate and seed the cluster's database (idempotent)."""
    database = env["DATABASE_URL"].rsplit("/", 1)[1]
    exists = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(PYTHON), "-m", "flask", "--app", "wsgi", *command], cwd=ROOT,
                       env={**os.environ, **env, "WEBSHOP_ENV": "development"}, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", type=int, default=2, help="gunicorn instances (2)")
    parser.add_argument("--workers", type=int, default=1, help="RQ workers (1)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (8080)")
    args = parser.parse_args()
    env = {
        "DATABASE_URL": os.environ.get(
            "CLUSTER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/webshop_cluster"),
        "REDIS_URL": os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/5"),
        # Product images in the database, as in the cluster (DEPLOY.md "Product images"):
        # every instance serves every picture, and nginx keeps them.
        "MEDIA_STORAGE": "database",
        "MAIL_OUTBOX_DIR": str(ROOT / "instance" / "cluster-outbox"),
    }
    prepare(env)
    cluster = Cluster(env, web=args.web, workers=args.workers, port=args.port, access_log=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    cluster.start()
    print(f"The shop: {cluster.url}  ({args.web} web instances, {args.workers} worker(s); "
          f"logs in {cluster.run_dir}). Ctrl-C stops everything.", flush=True)
    try:
        while all(p.poll() is None for p in [cluster.nginx, *cluster.web, *cluster.workers]):
            time.sleep(1)
        print("a process stopped; see its log in", cluster.run_dir, file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
