"""The package root: one list of public names (``PUBLIC_API``), each from its module, and the stub generated from it."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

from conftest import ROOT

import knative_platform

STUB = ROOT / "components" / "__init__.pyi"


def _isort_order(names: tuple[str, ...]) -> list[str]:
    """Constants, then classes, then the rest, each case-sensitively: ruff's isort order (order-by-type)."""
    def kind(name: str) -> int:
        return 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return sorted(names, key=lambda n: (kind(n), n))


def stub() -> str:
    """``__init__.pyi``: every public name re-exported from its module, for type checkers (PEP 484 stubs)."""
    lines = ['"""Generated from ``PUBLIC_API`` in ``__init__.py``, for type checkers: do not edit.', "",
             'Regenerate with ``UPDATE_STUB=1 pytest tests/test_public_api.py``.', '"""', ""]
    for module in sorted(knative_platform.PUBLIC_API):
        lines += [f"from {module} import {n} as {n}" for n in _isort_order(knative_platform.PUBLIC_API[module])]
    lines += ["", "PUBLIC_API: dict[str, tuple[str, ...]]", "__all__ = ["]
    lines += [f'    "{name}",' for name in knative_platform.__all__]
    lines += ["]", ""]
    return "\n".join(lines)


def test_the_stub_is_generated_from_the_public_api():
    if os.environ.get("UPDATE_STUB"):
        STUB.write_text(stub(), encoding="utf-8")
    assert STUB.read_text(encoding="utf-8") == stub(), (
        "components/__init__.pyi is stale: UPDATE_STUB=1 pytest tests/test_public_api.py")


def test_every_public_name_is_its_modules_own_object():
    assert knative_platform.__all__ == sorted({n for names in knative_platform.PUBLIC_API.values() for n in names})
    for module, names in knative_platform.PUBLIC_API.items():
        for name in names:
            assert getattr(knative_platform, name) is getattr(importlib.import_module(module, "knative_platform"), name)
    assert set(knative_platform.__all__) <= set(dir(knative_platform))


def test_an_unknown_name_is_an_attribute_error():
    try:
        knative_platform.render_service  # noqa: B018 - importable from knative_platform.manifests.knative only
    except AttributeError as exc:
        assert "has no attribute 'render_service'" in str(exc)
    else:
        raise AssertionError("render_service is not public")


def test_importing_the_package_loads_no_pulumi():
    code = ("import sys, knative_platform; print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'pulumi', 'pulumi_gcp', 'pulumi_kubernetes', 'yaml'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_star_import_is_the_public_api():
    code = "from knative_platform import *; print(sorted(n for n in dir() if not n.startswith('__')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert re.findall(r"'(\w+)'", result.stdout) == knative_platform.__all__


def test_the_docs_state_the_size_of_the_public_api():
    count = len({n for names in knative_platform.PUBLIC_API.values() for n in names})
    assert f":data:`PUBLIC_API` ({count} names)" in (knative_platform.__doc__ or "")
    assert f"`knative_platform.__all__` ({count} names)" in (ROOT / "docs" / "python-api.md").read_text("utf-8")
