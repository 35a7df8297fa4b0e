"""The one-way flow, enforced over every module of the package (issue 19 item 1).

Data flows config -> typed model -> renderers -> components -> ``__main__.py``. Each folder of ``components/``
(the package ``knative_platform``) may import only the folders its row of :data:`ALLOWED` names, and the pure
layers no third-party module beyond their row of :data:`THIRD_PARTY` (so no ``pulumi*`` at all). Every import
counts, function-level ones included: the walk reads each module's AST, it does not import it.

=============  ==========================================================================================
folder         may import (inside the package)
=============  ==========================================================================================
model/         model/ only: the typed model and its validation, pure
manifests/     model/, manifests/: pure renderers of Kubernetes objects (and revision plans, which render)
gcp_args/      model/, manifests/, versions: pure Google Cloud argument builders
versions       nothing: the pins
runtime/       model/, manifests/, runtime/, versions: the program's shell (Pulumi config, errors, history)
components     (the top-level ``*.py`` components) anything but the tools: they wire results into resources
tools          offline/, smoke/, imagebuild/, cli, __main__: model/, manifests/, gcp_args/, runtime/, versions
               and each other, never a component module (they run the program, they are not part of it)
=============  ==========================================================================================
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "components"
COMPONENTS = frozenset({"app", "binauthz", "dns01", "eventing", "gke", "identity", "kgateway", "knative", "kourier",
                        "platform", "pubsub", "reference", "registry", "tls"})
TOOLS = frozenset({"offline", "smoke", "imagebuild", "cli", "__main__"})
PURE = frozenset({"model", "manifests", "gcp_args", "versions"})
SHELL = frozenset({"runtime"})
ALLOWED: dict[str, frozenset[str]] = {
    "model": frozenset({"model"}),
    "manifests": frozenset({"model", "manifests"}),
    "gcp_args": frozenset({"model", "manifests", "versions"}),
    "versions": frozenset(),
    "runtime": frozenset({"model", "manifests", "runtime", "versions"}),
    **{c: PURE | SHELL | COMPONENTS for c in COMPONENTS},
    **{t: PURE | SHELL | TOOLS for t in TOOLS},
    "__init__": PURE | SHELL,  # the root loads the components lazily, by name (PEP 562), never at import
}
THIRD_PARTY: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "manifests": frozenset({"yaml"}),
    "gcp_args": frozenset({"yaml"}),
    "versions": frozenset(),
}


def _layer(module: Path) -> str:
    """The row of :data:`ALLOWED` a module belongs to: its top folder, or its own name at the top."""
    parts = module.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else module.stem


def _imports(module: Path) -> list[tuple[int, str, bool]]:
    """(line, top-level name, inside the package) of every import in ``module``, function-level ones included."""
    package = list(module.relative_to(PACKAGE).parts[:-1])
    found = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = [*base, *(node.module or "").split(".")] if node.module else base
            if target:
                found.append((node.lineno, target[0], True))
            else:  # `from . import versions`: the names are the modules
                found += [(node.lineno, alias.name, True) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module.split(".")[0], node.module.split(".")[0] == "knative_platform"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[0], a.name.startswith("knative_platform")) for a in node.names]
    return found


def _violations(module: Path) -> list[str]:
    layer = _layer(module)
    where = module.relative_to(PACKAGE)
    out = []
    for line, name, inside in _imports(module):
        if inside and name == "knative_platform":
            out.append(f"{where}:{line} imports knative_platform absolutely (imports inside the package are relative)")
        elif inside and name not in ALLOWED[layer]:
            out.append(f"{where}:{line} ({layer}) imports {name}")
        elif not inside and layer in THIRD_PARTY and name not in sys.stdlib_module_names | THIRD_PARTY[layer]:
            out.append(f"{where}:{line} ({layer}, pure) imports {name}")
    return out


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer():
    modules = _modules()
    assert len(modules) > 100
    assert sorted({_layer(m) for m in modules} - set(ALLOWED)) == []


def test_every_module_imports_only_what_its_layer_may():
    assert [v for m in _modules() for v in _violations(m)] == []


def test_the_component_list_is_the_top_level_modules():
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__", "cli", "versions"}
    assert top == COMPONENTS


def test_the_layer_check_can_fail(tmp_path, monkeypatch):
    model = tmp_path / "model" / "service"
    model.mkdir(parents=True)
    module = model / "bad.py"
    module.write_text("import json\nimport yaml\n\ndef late():\n    import pulumi\n    from ...app import KnativeApp\n"
                      "    from ...manifests.knative import render_service\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    assert _violations(module) == ["model/service/bad.py:2 (model, pure) imports yaml",
                                   "model/service/bad.py:5 (model, pure) imports pulumi",
                                   "model/service/bad.py:6 (model) imports app",
                                   "model/service/bad.py:7 (model) imports manifests"]
