"""The image, gunicorn's sizing, and the monitoring beside the manifests (alert rules,
the Grafana dashboard, and the metric names they share with the app's /metrics)."""
import ast
import json
import os
import re
import subprocess

import yaml

from tests.deploy_helpers import DEPLOY, EXTERNAL_METRICS, GUNICORN_CONF, MONITORING, ROOT

# --- the image and gunicorn --------------------------------------------------------------------

def _dockerfile():
    text = (DEPLOY / "Dockerfile").read_text()
    return re.sub(r"\\\n", " ", text)  # continuation lines joined


def _instructions(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_image_is_multi_stage_unprivileged_and_runs_what_the_manifests_run():
    lines = _instructions(_dockerfile())
    stages = [line for line in lines if line.upper().startswith("FROM ")]
    assert len(stages) >= 2 and any("--from=build" in line for line in lines)
    final = lines[lines.index(stages[-1]):]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert users[-1].split(":")[0] == "10001"  # the manifests' runAsUser
    cmd = next(line for line in reversed(final) if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    for line in final:
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"the image copies {source}, which is missing"


def test_image_leaves_out_only_packages_the_shop_never_imports(tmp_path):
    """The build stage drops the test tools from requirements.txt with its own command,
    run here as the image runs it; nothing the shop imports may be dropped."""
    text = _dockerfile()
    dev = re.search(r'ARG DEV_PACKAGES="([^"]+)"', text).group(1).split()
    command = re.search(r"^RUN (.*> /tmp/runtime\.txt)$", text, re.M).group(1)
    command = command.replace("/tmp/requirements.txt", str(ROOT / "requirements.txt")) \
                     .replace("/tmp/runtime.txt", str(tmp_path / "runtime.txt"))
    subprocess.run(["sh", "-c", command], env={"PATH": os.environ["PATH"], "DEV_PACKAGES": " ".join(dev)},
                   check=True, timeout=30)
    kept = [line.split("==")[0].split("[")[0].lower() for line in (tmp_path / "runtime.txt").read_text().split()]
    pinned = [line.split("==")[0].split("[")[0].lower() for line in (ROOT / "requirements.txt").read_text().split()
              if not line.startswith("#")]
    assert set(pinned) - set(kept) == {name.lower() for name in dev} & set(pinned)
    assert {"flask", "gunicorn", "rq", "psycopg", "prometheus_client"} <= set(kept)

    dropped = {name.lower().replace("-", "_") for name in dev}
    sources = sorted((ROOT / "webshop").rglob("*.py")) + [ROOT / n for n in ("wsgi.py", "worker.py", "config.py")]
    for path in sources + [GUNICORN_CONF]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                assert name.split(".")[0].lower() not in dropped, f"{path.name} imports {name}"


def _gunicorn_conf(monkeypatch, environ, cgroup=None):
    for key in ("WEB_CPUS", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    if cgroup is not None:
        monkeypatch.setenv("GUNICORN_CGROUP_ROOT", str(cgroup))
    namespace = {"__file__": str(GUNICORN_CONF), "__name__": "gunicorn_conf"}
    exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), namespace)
    return namespace


def test_gunicorn_sizes_itself_from_the_cpus_it_may_use(monkeypatch, tmp_path):
    affinity = len(os.sched_getaffinity(0))
    assert _gunicorn_conf(monkeypatch, {"WEB_CPUS": "4"})["workers"] == 4
    assert _gunicorn_conf(monkeypatch, {"WEB_CPUS": "1"})["workers"] == 2  # never fewer than 2
    assert _gunicorn_conf(monkeypatch, {"WEB_CPUS": "3", "WEB_CONCURRENCY": "7"})["workers"] == 7
    (tmp_path / "cpu.max").write_text("250000 100000\n")  # a 2.5-CPU quota: 3 workers
    assert _gunicorn_conf(monkeypatch, {}, tmp_path)["available_cpus"]() == min(3, affinity)
    (tmp_path / "cpu.max").write_text("max 100000\n")  # no quota: the CPUs it may run on
    conf = _gunicorn_conf(monkeypatch, {"GUNICORN_THREADS": "8"}, tmp_path)
    assert conf["available_cpus"]() == affinity
    assert conf["workers"] == max(2, affinity) and conf["threads"] == 8
    assert conf["worker_class"] == "gthread" and conf["control_socket_disable"] is True


# --- monitoring: rules, dashboard, and the metric names they share with the app ----------------

def _contract():
    """The metrics table of DEPLOY.md: {name: "today" or "to add"}."""
    rows = re.findall(r"^\| `(webshop_\w+)` \|[^|]*\|[^|]*\| (today|to add)\b", (ROOT / "DEPLOY.md").read_text(), re.M)
    assert rows, "DEPLOY.md has no metrics table"
    return dict(rows)


def _metric_names(expr):
    return set(re.findall(r"\b((?:webshop|kube)_[a-z0-9_]+|up)\b(?=\s*[{\[)]|\s*$|\s+[<>=!]|\s*\))", expr))


def _known(name, contract):
    base = re.sub(r"_(bucket|count|sum)$", "", name)
    return name in contract or base in contract or name in EXTERNAL_METRICS


def _rules():
    return yaml.safe_load((MONITORING / "webshop-alerts.yaml").read_text())


def test_alert_rules_are_complete():
    alerts = [rule for group in _rules()["groups"] for rule in group["rules"]]
    assert len({rule["alert"] for rule in alerts}) == len(alerts)
    for rule in alerts:
        assert set(rule) >= {"alert", "expr", "for", "labels", "annotations"}, rule.get("alert")
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"].get("summary") and rule["annotations"].get("description")
        expr = rule["expr"]
        for opening, closing in ("()", "{}", "[]"):
            assert expr.count(opening) == expr.count(closing), (rule["alert"], opening)
    watched = " ".join(rule["expr"] for rule in alerts)
    for needed in ('status=~"5.."', "histogram_quantile(0.99", "webshop_queue_length",
                   "webshop_queue_oldest_age_seconds", "webshop_outbox_backlog",
                   "webshop_outbox_oldest_age_seconds", "webshop_workers",
                   "webshop_variants_out_of_stock", "webshop_up", "webshop_cache_hits_total"):
        assert needed in watched, f"no alert watches {needed}"


def test_dashboard_parses_and_every_panel_queries_prometheus():
    dashboard = json.loads((MONITORING / "webshop-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"]
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"


def test_rules_dashboard_and_autoscalers_use_only_contract_metrics():
    contract = _contract()
    dashboard = json.loads((MONITORING / "webshop-dashboard.json").read_text())
    adapter = yaml.safe_load((MONITORING / "prometheus-adapter-values.yaml").read_text())
    expressions = [rule["expr"] for group in _rules()["groups"] for rule in group["rules"]]
    expressions += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    expressions += [r["seriesQuery"] for kind in ("custom", "external") for r in adapter["rules"][kind]]
    used = set().union(*(_metric_names(expr) for expr in expressions))
    unknown = sorted(name for name in used if not _known(name, contract))
    assert unknown == [], "not in DEPLOY.md's metrics table: " + ", ".join(unknown)
    # And the dashboard shows every metric of the contract.
    shown = set().union(*(_metric_names(t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])))
    shown = {re.sub(r"_(bucket|count|sum)$", "", name) for name in shown}
    assert set(contract) - shown == set()


def test_the_contract_check_catches_a_metric_the_app_does_not_have():
    contract = _contract()
    names = _metric_names('sum(rate(webshop_http_requests_totl{status=~"5.."}[5m])) > 0 and up == 0')
    assert names == {"webshop_http_requests_totl", "up"}
    assert not _known("webshop_http_requests_totl", contract)
    assert _known("webshop_http_request_duration_seconds_bucket", contract)


def test_metrics_marked_today_are_on_the_apps_metrics_page(client, db, settings):
    settings(METRICS_TOKEN="scrape-token")
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"})
    assert response.status_code == 200
    exposed = set(re.findall(r"^# TYPE (\w+) ", response.get_data(as_text=True), re.M))
    exposed |= {name + "_total" for name in exposed}  # counters' TYPE line drops _total
    today = {name for name, status in _contract().items() if status == "today"}
    assert today and today <= exposed, sorted(today - exposed)
    assert "to add" not in _contract().values()  # every metric of the contract exists
