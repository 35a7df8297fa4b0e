"""Sizes: no module in components/ over 400 lines, no function over 60 (issue 19).

A long module packs several concepts and a long function hides the order its
steps depend on; both are where a newcomer stops understanding. The limits are
the team's (CONTRIBUTING.md, "How the code is laid out"). Split by concept, not
by line count: a module's rules beside its model (``tls.py`` and
``tls_rules.py``), a constructor's commented sections as methods.

Lines are counted as Python's AST counts them: a module's physical lines, a
function's from its ``def`` to its last line (decorators excluded, nested
functions counted in their parent too).
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "components"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

EXCEPTIONS: dict[str, str] = {}
"""What may stay over a limit, and why: ``<module>`` or ``<module>:<qualified function>``."""


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """``(qualified name, lines)`` of every function and method in ``tree``, nested ones included."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = f"{prefix}{node.name}"
            found.append((name, node.end_lineno - node.lineno + 1))
            found += _functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            found += _functions(node, f"{prefix}{node.name}.")
        else:
            found += _functions(node, prefix)
    return found


def oversized(root: Path) -> dict[str, int]:
    """Every module over :data:`MAX_MODULE_LINES` and function over :data:`MAX_FUNCTION_LINES` under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found[relative] = lines
        for name, length in _functions(ast.parse(text)):
            if length > MAX_FUNCTION_LINES:
                found[f"{relative}:{name}"] = length
    return found


def test_no_module_or_function_in_components_is_over_the_limits():
    over = oversized(PACKAGE)
    unexcused = {where: lines for where, lines in over.items() if where not in EXCEPTIONS}
    assert unexcused == {}, (f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a function: split it "
                             "by concept")
    stale = sorted(set(EXCEPTIONS) - set(over))
    assert stale == [], "no longer over the limit: remove these from EXCEPTIONS"


def test_the_benchmarks_and_the_policy_pack_keep_the_same_limits():
    assert {**oversized(ROOT / "benchmarks"), **oversized(ROOT / "policy")} == {}


def test_the_count_sees_methods_nested_functions_and_long_modules(tmp_path):
    package = tmp_path / "components"
    package.mkdir()
    statements = [f"x{i} = {i}" for i in range(MAX_FUNCTION_LINES)]  # a body of 60 lines: its def makes 61
    method = ["class A:", "    def method(self):", *(f"        {s}" for s in statements)]
    nested = ["def outer():", "    def inner():", *(f"        {s}" for s in statements)]
    text = "\n".join([*method, "", "", *nested, *[""] * MAX_MODULE_LINES]) + "\n"
    (package / "long.py").write_text(text)
    (package / "short.py").write_text("\n".join(["def f():", *(f"    {s}" for s in statements[:-1])]) + "\n")
    assert oversized(package) == {"components/long.py": len(text.splitlines()),
                                  "components/long.py:A.method": MAX_FUNCTION_LINES + 1,
                                  "components/long.py:outer": MAX_FUNCTION_LINES + 2,
                                  "components/long.py:outer.inner": MAX_FUNCTION_LINES + 1}
