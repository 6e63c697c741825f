"""The servers scripts/loadmix.py loads, one after the other, each stopped whatever
happens: the app alone (gunicorn as deploy/gunicorn.conf.py runs it), the cluster (nginx
in front of gunicorn instances, scripts/cluster.py), or a server someone else started."""
import sys
from pathlib import Path

from benchlib import shopdata
from benchlib.fixtures import prepare_database
from benchlib.server import Gunicorn
from benchlib.settings import BENCH_ENV, ROOT, log

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SCARCE_SHARE = 0.05  # of the items put in carts, from the scarce ones


def servers(args, workdir, run_env):
    """Yields (name, base URL, the shoppers' data, database DSN or None for the bench's,
    the pids whose process trees serve it: their CPU is counted)."""
    if args.base_url:
        accounts = args.accounts or []
        yield ("given server", args.base_url.rstrip("/"),
               {"accounts": accounts, "share_logged_in": args.share_logged_in if accounts else 0,
                "scarce_share": SCARCE_SHARE}, args.dsn, [])
        return
    prepare_database(args.fresh)
    # One account per virtual shopper: who logs in is drawn at random, so a run may log in
    # more shoppers than the share; two sharing an account would share its cart, and one's
    # order would empty the other's (a 303 to /cart at checkout, counted as an error).
    wanted = args.users if args.share_logged_in else 0
    data = {"accounts": shopdata.make_accounts(wanted), "share_logged_in": args.share_logged_in,
            "scarce_share": SCARCE_SHARE}
    if args.target in ("app", "both"):
        multiproc = Path(workdir) / "metrics-app"
        server = Gunicorn("gthread", None, None, workdir, name="gunicorn-app",
                          config=GUNICORN_CONF,
                          # Workers are not recycled during the run: the CPU of one
                          # that exits is lost to the count (it undercounted ~10x).
                          extra_env={**run_env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
                                     "GUNICORN_LOG_LEVEL": "warning",
                                     "GUNICORN_MAX_REQUESTS": "10000000"})
        try:
            server.wait_ready(timeout=60)
            log(f"app alone: gunicorn -c deploy/gunicorn.conf.py on {server.base}")
            yield "app alone", server.base, data, None, [server.proc.pid]
        finally:
            server.stop()
    if args.target in ("nginx", "both"):
        sys.path.insert(0, str(ROOT / "scripts"))
        from cluster import Cluster

        env = {**BENCH_ENV, **run_env, "WEBSHOP_ENV": "production",
               "UPLOAD_DIR": str(ROOT / "instance" / "uploads"),
               "PROMETHEUS_MULTIPROC_DIR": str(Path(workdir) / "metrics-cluster")}
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        cluster = Cluster(env, web=2, workers=1, run_dir=Path(workdir) / "cluster")
        try:
            cluster.start()
            env_base = cluster.url
            log(f"through nginx: {env_base} -> 2 gunicorn instances x 1 worker x 4 threads")
            yield ("through nginx", env_base, data, None,
                   [p.pid for p in cluster.web] + [cluster.nginx.pid])
        finally:
            cluster.stop()
