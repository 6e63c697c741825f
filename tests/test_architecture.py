"""The layering ARCHITECTURE.md describes, checked against the source.

The import graph is built from every `import` statement in webshop/, worker.py and
wsgi.py, including imports inside functions (a cycle hidden in a function is still a
cycle). It must have no cycle, and every arrow must point to the same layer or one
below: composition > web > runtime > domain > models > foundation.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400

FOUNDATION, MODELS, DOMAIN, RUNTIME, WEB, COMPOSITION = range(6)
LAYER_NAMES = ["foundation", "models", "domain", "runtime", "web", "composition"]
# Longest prefix wins; a prefix names a module or a package with everything inside it.
LAYERS = {
    "webshop.extensions": FOUNDATION, "webshop.money": FOUNDATION,
    "webshop.validation": FOUNDATION, "webshop.pagination": FOUNDATION,
    "webshop.safe_cache": FOUNDATION, "webshop.events": FOUNDATION,
    "webshop.media": FOUNDATION, "webshop.mail": FOUNDATION, "webshop.logs": FOUNDATION,
    "webshop.i18n": FOUNDATION,
    "webshop.sitemap": DOMAIN, "webshop.pages": DOMAIN,
    "webshop.metrics": FOUNDATION,
    "webshop.models": MODELS, "webshop.outbox": MODELS, "webshop.media_store": MODELS,
    "webshop.catalog": DOMAIN, "webshop.catalog_cache": DOMAIN,
    "webshop.variant_choice": DOMAIN,
    "webshop.search": DOMAIN, "webshop.facets": DOMAIN,
    "webshop.merchandising": DOMAIN, "webshop.inventory": DOMAIN,
    "webshop.cart": DOMAIN, "webshop.accounts": DOMAIN, "webshop.orders": DOMAIN,
    "webshop.payments": DOMAIN, "webshop.notifications": DOMAIN, "webshop.reports": DOMAIN,
    "webshop.promotions": DOMAIN, "webshop.pricing": DOMAIN,
    "webshop.returns": DOMAIN, "webshop.invoices": DOMAIN,
    "webshop.reminders": DOMAIN,
    "webshop.reviews": DOMAIN, "webshop.wishlists": DOMAIN, "webshop.structured_data": DOMAIN,
    "webshop.jobs": RUNTIME,
    "webshop.web": WEB, "webshop.shop": WEB, "webshop.auth": WEB, "webshop.admin": WEB,
    "webshop.ops": WEB, "webshop.payments.routes": WEB,
    "webshop.payments.sandbox": WEB,  # the package exposes the sandbox's blueprint
    "webshop.payments.sandbox.checkout": DOMAIN, "webshop.payments.sandbox.charges": DOMAIN,
    "webshop.payments.sandbox.refunds": DOMAIN, "webshop.payments.sandbox.objects": DOMAIN,
    "webshop.payments.sandbox.store": DOMAIN, "webshop.payments.sandbox.errors": DOMAIN,
    "webshop.payments.sandbox.params": DOMAIN, "webshop.payments.sandbox.webhooks": DOMAIN,
    "webshop.payments.sandbox.delayed": DOMAIN, "webshop.payments.sandbox.disputes": DOMAIN,
    "webshop.payments.sandbox.debits": DOMAIN,
    "webshop.payments.sandbox.transport": DOMAIN,
    "webshop": COMPOSITION, "webshop.cli": COMPOSITION, "webshop.demo": COMPOSITION,
    "worker": COMPOSITION, "wsgi": COMPOSITION,
}
BLUEPRINTS = ("webshop.shop", "webshop.auth", "webshop.admin", "webshop.ops",
              "webshop.payments.routes", "webshop.payments.sandbox")
# Arrows the layers allow but the design does not: the seams replace them.
FORBIDDEN = [
    ("webshop.orders", "webshop.payments"),  # the lifecycle asks its registered provider
    ("webshop.orders", "webshop.notifications"),  # events.order_changed
    ("webshop.accounts", "webshop.notifications"),  # events.password_reset_requested
    ("webshop.outbox", "webshop.jobs"),  # RQ is handed the job runner by name
]


def _source_files():
    files = sorted((ROOT / "webshop").rglob("*.py"))
    return files + [ROOT / "worker.py", ROOT / "wsgi.py"]


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path):
    return path.name == "__init__.py"


def _graph():
    """{module: {imported module of ours}}, imports inside functions included."""
    paths = {_module_name(p): p for p in _source_files()}
    modules = set(paths)
    graph = {}
    for name, path in paths.items():
        package = name if _is_package(path) else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import sub` imports the submodule; `from mod import name` the module.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def _layer(module):
    best = max((prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")),
               key=len, default=None)
    if best is None:
        raise AssertionError(f"{module} has no layer: add it to ARCHITECTURE.md and LAYERS")
    return LAYERS[best]


def _within(module, prefix):
    return module == prefix or module.startswith(prefix + ".")


GRAPH = _graph()


def test_every_module_has_a_layer():
    for module in GRAPH:
        _layer(module)


def test_the_import_graph_has_no_cycle():
    """Tarjan's strongly connected components: any component of two or more is a cycle."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert cycles == []


def test_imports_point_down_the_layers():
    upward = [
        f"{src} ({LAYER_NAMES[_layer(src)]}) imports {dst} ({LAYER_NAMES[_layer(dst)]})"
        for src, targets in sorted(GRAPH.items()) for dst in sorted(targets)
        if _layer(dst) > _layer(src)
    ]
    assert upward == []


def test_blueprints_never_import_each_other():
    crossing = []
    for src, targets in sorted(GRAPH.items()):
        own = next((bp for bp in BLUEPRINTS if _within(src, bp)), None)
        if own is None:
            continue
        crossing += [f"{src} imports {dst}" for dst in sorted(targets)
                     if any(_within(dst, bp) for bp in BLUEPRINTS if bp != own)
                     and not _within(own, dst)]
    assert crossing == []


@pytest.mark.parametrize("src, dst", FORBIDDEN)
def test_seams_replace_these_arrows(src, dst):
    offenders = [f"{module} imports {target}" for module, targets in sorted(GRAPH.items())
                 if _within(module, src) for target in sorted(targets) if _within(target, dst)]
    assert offenders == []


def test_only_the_cli_imports_the_demo():
    importers = {module for module, targets in GRAPH.items()
                 if any(_within(t, "webshop.demo") for t in targets)
                 and not _within(module, "webshop.demo")}
    assert importers <= {"webshop.cli"}


def test_no_module_is_longer_than_the_limit():
    files = _source_files() + sorted((ROOT / "tests").rglob("*.py")) + sorted(
        (ROOT / "scripts").rglob("*.py"))
    long = [f"{path.relative_to(ROOT)}: {count}" for path in files
            if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
            and "demo" not in path.relative_to(ROOT).parts[:2]]
    assert long == []


def test_settings_are_read_from_the_environment_only_in_config():
    readers = [str(path.relative_to(ROOT)) for path in _source_files()
               if "os.environ" in path.read_text() or "os.getenv" in path.read_text()]
    assert readers == []
