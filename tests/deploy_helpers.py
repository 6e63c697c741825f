"""What the deployment tests share: where the files are, and what renders them."""
import shutil
from pathlib import Path

import pytest
from kubernetes_validate import utils as kv

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

