"""The deployment for more than one machine (deploy/, DEPLOY.md), checked offline.

The kustomizations are rendered with `kubectl kustomize` and every object is validated
against the Kubernetes schemas (kubernetes-validate, strict: an unknown field fails) for
the oldest and the newest Kubernetes version DEPLOY.md supports; objects of CRDs
(KEDA's ScaledObject) have no schema there, so their shape is checked here. Then what
the schemas cannot see: names that must meet (Services, Ingress, autoscalers, ConfigMap),
the two Redis roles' eviction policies, and the settings production refuses to start
without. The image and the monitoring files: test_deploy_image_and_monitoring.py.
"""
import copy
import functools
import os
import re
import subprocess
import sys

import pytest
import yaml
from kubernetes_validate import utils as kv

from config import Config, ProductionConfig
from tests.deploy_helpers import (
    BASE, DEPLOY, GUNICORN_CONF, K8S_VERSIONS, KUBECTL, KUSTOMIZATIONS, MONITORING, ROOT,
    SECRET_NAME, needs_kubectl,
)

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
