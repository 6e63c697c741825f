"""The deployment for more than one machine (deploy/, DEPLOY.md), checked offline.

The kustomizations are rendered with `kubectl kustomize` and every object is validated
against the Kubernetes schemas (kubernetes-validate, strict: an unknown field fails) for
the oldest and the newest Kubernetes version DEPLOY.md supports; objects of CRDs
(KEDA's ScaledObject) have no schema there, so their shape is checked here. Then what
the schemas cannot see: names that must meet (Services, Ingress, autoscalers, ConfigMap),
the two Redis roles' eviction policies, the settings production refuses to start
without, the image's commands, the alert rules, the dashboard and the metric names they
share with the app's /metrics.
"""
import ast
import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as kv

from config import Config, ProductionConfig

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "k8s" / "base"
PRODUCTION = DEPLOY / "k8s" / "overlays" / "production"
MONITORING = DEPLOY / "monitoring"
KUSTOMIZATIONS = {"base": BASE, "production": PRODUCTION, "monitoring": MONITORING}
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
# The oldest Kubernetes DEPLOY.md supports, and the newest kubernetes-validate knows.
K8S_VERSIONS = ("1.31", kv.latest_version())
SECRET_NAME = "webshop-secrets"
# Metrics the rules and dashboard may use that come from elsewhere (kube-state-metrics,
# Prometheus itself).
EXTERNAL_METRICS = {
    "up",
    "kube_deployment_status_replicas_available",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
}

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None,
    reason="kubectl is not installed, and it is what renders the kustomizations offline "
           "(`kubectl kustomize`). Debian's kubernetes-client (1.20, kustomize v2) is too old "
           "for these files: install kubectl 1.27 or newer (Kubernetes' own package "
           "repository, or the machine image).")


# --- rendering and validating ---------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _render(path):
    done = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"kubectl kustomize {path} failed:\n{done.stderr}"
    return tuple(obj for obj in yaml.safe_load_all(done.stdout) if obj)


def render(name):
    """The objects of one kustomization, as fresh dicts (tests may change them)."""
    return copy.deepcopy(list(_render(KUSTOMIZATIONS[name])))


def find(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''} in the rendered manifests"
    return found if name is None else found[0]


def _is_crd(obj):
    group = obj["apiVersion"].rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def _scaled_object_problems(obj, objects):
    spec = obj.get("spec") or {}
    problems = []
    target = (spec.get("scaleTargetRef") or {}).get("name")
    if not any(o["kind"] == "Deployment" and o["metadata"]["name"] == target for o in objects):
        problems.append(f"scaleTargetRef names no Deployment: {target!r}")
    if not isinstance(spec.get("minReplicaCount"), int) or not isinstance(spec.get("maxReplicaCount"), int):
        problems.append("minReplicaCount and maxReplicaCount must be integers")
    elif not 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]:
        problems.append("minReplicaCount must be between 0 and maxReplicaCount")
    triggers = spec.get("triggers")
    if not triggers:
        problems.append("no triggers")
    for trigger in triggers or ():
        metadata = trigger.get("metadata") or {}
        if not trigger.get("type"):
            problems.append("a trigger without a type")
        if any(not isinstance(value, str) for value in metadata.values()):
            problems.append(f"trigger metadata values must be strings: {metadata}")
        if trigger.get("type") == "redis":
            for key in ("address", "listName", "listLength"):
                if key not in metadata:
                    problems.append(f"redis trigger without {key}")
    return problems


# CRD kinds the cluster needs (DEPLOY.md, "Before the first deploy"), and their checks.
CRD_CHECKS = {("keda.sh/v1alpha1", "ScaledObject"): _scaled_object_problems}


def problems(objects, context=None):
    """Every way these objects would be refused: schema errors (strict) for each
    supported Kubernetes version, or a bad shape for CRD objects (whose references are
    looked up among `context`, by default the objects themselves)."""
    context = objects if context is None else context
    found = []
    for obj in objects:
        label = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        if _is_crd(obj):
            check = CRD_CHECKS.get((obj["apiVersion"], obj["kind"]))
            if check is None:
                found.append(f"{label}: {obj['apiVersion']} is a CRD this test does not know")
            else:
                found += [f"{label}: {problem}" for problem in check(obj, context)]
            continue
        for version in K8S_VERSIONS:
            try:
                kv.validate(obj, version, strict=True)
            except kv.ValidationError as error:
                where = "/".join(str(part) for part in error.path)
                found.append(f"{label} (Kubernetes {version}) at {where or '.'}: {error.message}")
            except kv.SchemaNotFoundError as error:
                found.append(f"{label}: {error.message}")
    return found


@needs_kubectl
@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_every_rendered_object_is_valid(name):
    objects = render(name)
    assert objects
    assert problems(objects) == []


@needs_kubectl
def test_validation_refuses_broken_manifests():
    """The check above can fail: each of these mistakes is reported."""
    objects = render("production")
    web = find(objects, "Deployment", "webshop-web")
    hpa = find(objects, "HorizontalPodAutoscaler", "webshop-web")
    scaled = find(objects, "ScaledObject", "webshop-worker")

    typo = copy.deepcopy(web)
    typo["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = \
        typo["spec"]["template"]["spec"]["containers"][0]["readinessProbe"].pop("httpGet")
    wrong_type = copy.deepcopy(web)
    wrong_type["spec"]["replicas"] = "two"
    removed_api = copy.deepcopy(hpa)
    removed_api["apiVersion"] = "autoscaling/v2beta2"  # gone since Kubernetes 1.26
    no_target = copy.deepcopy(scaled)
    no_target["spec"]["scaleTargetRef"]["name"] = "webshop-wroker"
    unknown_crd = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "x"}}

    for broken, expected in ((typo, "httpGett"), (wrong_type, "replicas"),
                             (removed_api, "autoscaling/v2beta2"),
                             (no_target, "webshop-wroker"), (unknown_crd, "CRD")):
        found = problems([broken], context=objects)
        assert any(expected in problem for problem in found), (expected, found)


# --- names that must meet -------------------------------------------------------------------

def _pod_templates(objects):
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield obj, obj["spec"]["template"]


def _containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


@needs_kubectl
@pytest.mark.parametrize("name", ["base", "production"])
def test_references_between_objects_resolve(name):
    objects = render(name)
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    templates = list(_pod_templates(objects))

    def pods_selected(selector):
        return [(w, t) for w, t in templates
                if all(t["metadata"]["labels"].get(k) == v for k, v in selector.items())]

    for service in (o for o in objects if o["kind"] == "Service"):
        selected = pods_selected(service["spec"]["selector"])
        assert selected, f"Service {service['metadata']['name']} selects no pods"
        ports = {p["name"] for _, t in selected for c in t["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (service["metadata"]["name"], port)
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = find(objects, "Service", backend["name"])
                assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    for pdb in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        assert pods_selected(pdb["spec"]["selector"]["matchLabels"]), pdb["metadata"]["name"]
    for workload, template in templates:
        assert workload["spec"].get("selector", {}).get("matchLabels", {}).items() <= \
            template["metadata"]["labels"].items()
        spec = template["spec"]
        for container in _containers(spec):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names
                else:  # created by the operator (DEPLOY.md), never rendered
                    assert source["secretRef"]["name"] == SECRET_NAME
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
        mounted = {m["name"] for c in _containers(spec) for m in c.get("volumeMounts", [])}
        declared = {v["name"] for v in spec.get("volumes", [])} | {
            t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        assert mounted <= declared, workload["metadata"]["name"]


@needs_kubectl
def test_pods_are_probed_sized_and_unprivileged():
    objects = render("production")
    web = find(objects, "Deployment", "webshop-web")["spec"]["template"]["spec"]
    container = next(c for c in web["containers"] if c["name"] == "web")
    port = container["ports"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert (ROOT / container["command"][2]).is_file()
    env = {e["name"]: e for e in container.get("env", [])}
    assert env["WEB_CPUS"]["valueFrom"]["resourceFieldRef"]["resource"] == "requests.cpu"

    for workload, template in _pod_templates(objects):
        spec, label = template["spec"], workload["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, label
        assert spec["securityContext"]["runAsUser"] != 0, label
        assert spec.get("automountServiceAccountToken") is False, label
        for c in _containers(spec):
            resources = c.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), (label, c["name"])
            assert "memory" in resources.get("limits", {}), (label, c["name"])
            assert c["securityContext"]["allowPrivilegeEscalation"] is False, (label, c["name"])
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, (label, c["name"])
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], (label, c["name"])
            if c["image"].startswith("registry.example.com/webshop"):
                assert re.search(r"(:[\w.-]+|@sha256:[0-9a-f]{64})$", c["image"]) \
                    and not c["image"].endswith(":latest"), c["image"]


@needs_kubectl
def test_autoscalers_own_the_replica_counts_and_read_signals_that_exist():
    objects = render("production")
    adapter = yaml.safe_load((MONITORING / "prometheus-adapter-values.yaml").read_text())
    served = {rule["name"]["as"]: rule for rule in adapter["rules"]["custom"]}

    hpa = find(objects, "HorizontalPodAutoscaler", "webshop-web")
    scaled = find(objects, "ScaledObject", "webshop-worker")
    for target in (hpa["spec"]["scaleTargetRef"]["name"], scaled["spec"]["scaleTargetRef"]["name"]):
        # A replica count in the manifest would undo the autoscaler's choice at each apply.
        assert "replicas" not in find(objects, "Deployment", target)["spec"], target
    assert hpa["spec"]["minReplicas"] >= 2
    kinds = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert kinds["Resource"]["resource"]["name"] == "cpu"
    per_pod = kinds["Pods"]["pods"]["metric"]["name"]
    assert per_pod in served, f"prometheus-adapter serves no metric named {per_pod}"
    assert "webshop_http_requests_total" in served[per_pod]["seriesQuery"]
    assert "rate(" in served[per_pod]["metricsQuery"]

    # The worker runs the scheduler: never zero of them; one trigger per RQ queue, on the
    # queue Redis's Service in this namespace.
    assert scaled["spec"]["minReplicaCount"] >= 1
    namespace = find(objects, "Deployment", "webshop-worker")["metadata"]["namespace"]
    queue_service = _redis_services(objects)["REDIS_QUEUE_URL"]
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["listName"] for t in triggers} == {f"rq:queue:{q}" for q in Config.RQ_QUEUES}
    for trigger in triggers:
        assert trigger["metadata"]["address"] == f"{queue_service}.{namespace}.svc.cluster.local:6379"


# --- Redis: an LRU cache, queues that never evict -----------------------------------------------

def _settings(objects):
    return next(o for o in objects if o["kind"] == "ConfigMap"
                and o["metadata"]["name"].startswith("webshop-config"))["data"]


def _redis_services(objects):
    """{"REDIS_URL": service name, "REDIS_QUEUE_URL": service name} from the settings."""
    data = _settings(objects)
    found = {}
    for key in ("REDIS_URL", "REDIS_QUEUE_URL"):
        match = re.fullmatch(r"redis://([\w-]+):6379/\d+", data[key])
        assert match, f"{key}={data[key]} does not name an in-cluster Redis Service"
        found[key] = match.group(1)
    assert found["REDIS_URL"] != found["REDIS_QUEUE_URL"], "the cache and the queues share one Redis"
    return found


def _redis_options(container):
    words = container.get("command", []) + container.get("args", [])
    options = {}
    for i, word in enumerate(words):
        if word.startswith("--"):
            options[word[2:]] = words[i + 1] if i + 1 < len(words) else ""
    return options


@needs_kubectl
@pytest.mark.parametrize("name", ["base", "production"])
def test_each_redis_role_runs_with_its_eviction_policy(name):
    objects = render(name)
    roles = {service: key for key, service in _redis_services(objects).items()}
    seen = set()
    for workload, template in _pod_templates(objects):
        for container in template["spec"]["containers"]:
            if not re.match(r"(.*/)?(redis|valkey)(:|@|$)", container["image"]):
                continue
            service = next(s for s in objects if s["kind"] == "Service" and all(
                template["metadata"]["labels"].get(k) == v for k, v in s["spec"]["selector"].items()))
            role, options = roles[service["metadata"]["name"]], _redis_options(container)
            seen.add(role)
            assert re.fullmatch(r"\d+(mb|gb)", options.get("maxmemory", "")), \
                f"{workload['metadata']['name']}: a maxmemory policy needs maxmemory"
            if role == "REDIS_URL":
                assert options["maxmemory-policy"] == "allkeys-lru"
            else:
                assert options["maxmemory-policy"] == "noeviction"
                assert options["appendonly"] == "yes"
                assert workload["kind"] == "StatefulSet" and workload["spec"]["volumeClaimTemplates"]
    assert seen == {"REDIS_URL", "REDIS_QUEUE_URL"}


def test_every_redis_in_the_deployment_files_sets_its_eviction_policy():
    """Whatever else under deploy/ starts a Redis (a compose file, a systemd unit, a
    Procfile) says which policy it runs with."""
    launches = re.compile(r"redis-server|valkey-server|image:\s*['\"]?(\S*/)?(redis|valkey)[:@\s]")
    checked = 0
    for path in sorted(DEPLOY.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".json") or path.name.endswith(".dockerignore"):
            continue
        text = path.read_text(errors="replace")
        if launches.search(text):
            checked += 1
            assert re.search(r"maxmemory-policy\W+(allkeys-lru|noeviction)", text), \
                f"{path.relative_to(ROOT)} starts a Redis without maxmemory-policy"
    assert checked >= 2  # at least the two of the Kubernetes base


# --- settings ---------------------------------------------------------------------------------

def _env_file(path):
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


SECRET_KEYS = {"SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
               "MAIL_PASSWORD", "METRICS_TOKEN"}


@needs_kubectl
def test_settings_are_what_production_requires_and_secrets_stay_secret():
    settings = _settings(render("production"))
    secrets = _env_file(BASE / "secrets.example.env")
    config_source = (ROOT / "config.py").read_text()
    for key in list(settings) + list(secrets):
        assert f'env("{key}"' in config_source or f"env_int(\"{key}\"" in config_source, \
            f"{key} is not a setting config.py reads"
    assert not set(settings) & set(secrets)
    assert not set(settings) & SECRET_KEYS, "secrets belong in the Secret, not the ConfigMap"
    assert SECRET_KEYS <= set(secrets)
    required = set(ProductionConfig.REQUIRED) | {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "MAIL_SERVER"}
    assert required <= set(settings) | set(secrets)
    assert settings["WEBSHOP_ENV"] == "production"
    assert "STRIPE_SANDBOX" not in settings
    assert settings["BASE_URL"].startswith("https://")


def _production_env(tmp_path, drop=()):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    env.update(_env_file(BASE / "settings.env"))
    env.update(_env_file(BASE / "secrets.example.env"))
    env["UPLOAD_DIR"] = str(tmp_path / "uploads")  # the pod's volume; a folder of our own here
    for key in drop:
        env.pop(key)
    return env


def _check_config(tmp_path, drop=()):
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app", "--check-config"],
        cwd=ROOT, env=_production_env(tmp_path, drop), capture_output=True, text=True, timeout=60)


def test_the_app_starts_with_the_deployed_settings(tmp_path):
    """gunicorn with the image's config loads the app in production mode with the
    ConfigMap's settings and the Secret's keys, and refuses without a required one."""
    done = _check_config(tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    refused = _check_config(tmp_path, drop=("DATABASE_URL",))
    assert refused.returncode != 0
    assert "DATABASE_URL" in refused.stderr


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
                   "webshop_variants_out_of_stock"):
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


def test_metrics_marked_today_are_on_the_apps_metrics_page(client, settings):
    settings(METRICS_TOKEN="scrape-token")
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"})
    assert response.status_code == 200
    exposed = set(re.findall(r"^# TYPE (\w+) ", response.get_data(as_text=True), re.M))
    exposed |= {name + "_total" for name in exposed}  # counters' TYPE line drops _total
    today = {name for name, status in _contract().items() if status == "today"}
    assert today and today <= exposed, sorted(today - exposed)
