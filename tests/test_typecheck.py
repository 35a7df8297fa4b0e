"""The structure the type checker and the imports hold (issue 19 item 3).

``.ci/run`` runs ``mypy`` (strict, configured in pyproject.toml) over the whole package; these tests prove the
parts of that contract a newcomer relies on without running it over everything:

- every ``match`` over the traffic policy union is exhaustive: a policy class added to :data:`TrafficPolicy`
  and handled nowhere fails the type check at each dispatch (``assert_never``), before anything runs;
- no module imports a private (``_name``) name from another module.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "components"
TRAFFIC = Path("model/service/traffic.py")
UNION = "TrafficPolicy = Union[Latest, Pin, Rollback, Split, Canary, BlueGreen, Gradual]"
NEW_POLICY = '''

@dataclass(frozen=True, kw_only=True)
class Surge:
    """A policy a newcomer added to the union and handled nowhere yet."""

    key: ClassVar[str] = "surge"
    shorthand: ClassVar[str | None] = None
'''


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _dispatch_sites(tree: Path) -> set[tuple[str, int]]:
    """Every ``assert_never(policy)`` line of the package under ``tree``: one per match over the union."""
    return {(str(p.relative_to(tree)), n) for p in tree.rglob("*.py")
            for n, line in enumerate(p.read_text().splitlines(), 1) if "assert_never(policy)" in line}


def test_a_policy_class_left_unhandled_fails_the_type_check_at_every_dispatch(tmp_path):
    # The model alone (it imports nothing else of the package: tests/test_layers.py), under an empty package
    # root: the root's stub would have mypy analyse pulumi and pulumi-kubernetes, ten times the cost.
    package = tmp_path / "knative_platform"
    shutil.copytree(PACKAGE / "model", package / "model", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    traffic = package / TRAFFIC
    source = traffic.read_text()
    assert UNION in source, "the union moved: update this test with it"
    traffic.write_text(source.replace(UNION, f"{UNION[:-1]}, Surge]") + NEW_POLICY)
    sites = _dispatch_sites(package)
    assert sites == _dispatch_sites(PACKAGE), "a dispatch outside model/: copy its folder too"
    assert len(sites) >= 3  # compile_traffic, target_paths, traffic_rules.policy_problems
    modules = sorted({"knative_platform." + path.removesuffix(".py").replace("/", ".") for path, _ in sites})
    # Only the modules with a dispatch are reported on (their imports are analysed, not reported).
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), *[a for m in modules for a in ("-m", m)]],
        cwd=tmp_path, capture_output=True, text=True, check=False)
    errors = {(m[1].removeprefix("knative_platform/"), int(m[2])) for m in re.finditer(
        r"^(\S+?):(\d+): error: Argument 1 to \"assert_never\" has incompatible type \"Surge\"", result.stdout,
        re.MULTILINE)}
    assert errors == sites, result.stdout + result.stderr


def _private_imports(path: Path, root: Path = PACKAGE) -> list[str]:
    """``path:line`` of each import of a private name (``_x``, not ``__x__``) from another module."""
    def private(name: str) -> bool:
        return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))

    where = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            found += [f"{where}:{node.lineno} imports {a.name} from {node.module}" for a in node.names
                      if private(a.name)]
        elif isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names if private(a.name)]
    return found


def test_no_module_imports_a_private_name_from_another():
    modules = _modules()
    assert len(modules) > 100
    assert [found for path in modules for found in _private_imports(path)] == []


def test_the_private_import_check_can_fail(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("from __future__ import annotations\nfrom .errors import _private, Problem\n"
                      "import pulumi._types\n\ndef f():\n    from .x import _late\n")
    assert [f.split(" ", 1)[0] for f in _private_imports(module, tmp_path)] == ["module.py:2", "module.py:3",
                                                                                 "module.py:6"]
