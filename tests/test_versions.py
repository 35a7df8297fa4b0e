"""Pins live in components/versions.py only, each exact, each with a reason."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import fields

import pytest
from conftest import ROOT

from knative_platform import versions
from knative_platform.versions import HelmChart, ReleaseManifest

PINS = {name: value for name, value in vars(versions).items() if isinstance(value, (ReleaseManifest, HelmChart))}
SEMVER = re.compile(r"\bv\d+\.\d+\.\d+\b")
"""Upstream tags are v-prefixed (v1.6.1, v2.5.2); bare dotted quads are IP addresses, not versions."""
KNATIVE_TAG = re.compile(r"knative-v\d+\.\d+")


def test_every_pin_is_exact_and_explained():
    assert set(PINS) >= {"SERVING_CRDS", "SERVING_CORE", "NET_GATEWAY_API", "NET_KOURIER", "GATEWAY_API",
                         "KGATEWAY_CRDS", "KGATEWAY", "CERT_MANAGER"}
    for name, pin in PINS.items():
        assert re.fullmatch(r"(knative-)?v\d+\.\d+\.\d+", pin.version), name
        assert "latest" not in str([getattr(pin, f.name) for f in fields(pin)]).lower(), name
        assert len(pin.reason) > 20, name
        if isinstance(pin, ReleaseManifest):
            assert f"/download/{pin.version}/" in pin.url, name


@pytest.mark.parametrize(("name", "version"), [
    ("SERVING_CORE", "knative-v1.23.0"), ("NET_GATEWAY_API", "knative-v1.23.0"), ("NET_KOURIER", "knative-v1.23.0"),
    ("GATEWAY_API", "v1.6.1"), ("KGATEWAY_CRDS", "v2.5.2"), ("KGATEWAY", "v2.5.2"),
])
def test_the_design_pins(name, version):
    assert PINS[name].version == version


def test_cert_manager_is_a_1_21_patch_from_the_jetstack_repository():
    assert re.fullmatch(r"v1\.21\.\d+", versions.CERT_MANAGER.version)
    assert versions.CERT_MANAGER.repository == "https://charts.jetstack.io"


def test_kgateway_charts_move_together():
    assert versions.KGATEWAY_CRDS.version == versions.KGATEWAY.version
    assert versions.KGATEWAY.chart.startswith("oci://cr.kgateway.dev/kgateway-dev/charts/")


def _code_lines(path) -> list[tuple[int, str]]:
    """The lines of ``path`` that are code, without comments and docstrings: where a pin could hide.

    Prose may cite an upstream tag (``net-kourier knative-v1.23.0 pkg/...``), as the guide asks for
    every upstream behaviour the code relies on; only a version in code is a second pin.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return [(n, line.split("#", 1)[0]) for n, line in enumerate(text.splitlines(), 1)]
    prose: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                        and isinstance(stmt.value.value, str):
                    prose.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    lines = text.splitlines()
    comments = {tok.start[0]: tok.start[1] for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                if tok.type == tokenize.COMMENT}
    return [(n, line[:comments.get(n, len(line))]) for n, line in enumerate(lines, 1) if n not in prose]


def test_no_version_string_anywhere_else():
    exact = {pin.version for pin in PINS.values()}
    files = [p for p in (ROOT / "components").rglob("*.py") if p.name != "versions.py"]
    files += [*(ROOT / "stacks").rglob("*"), ROOT / "__main__.py"]
    strays = []
    for path in files:
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        for number, line in _code_lines(path):
            if any(v in line for v in exact) or KNATIVE_TAG.search(line) or SEMVER.search(line):
                strays.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert strays == []


def test_a_version_in_code_is_a_stray_but_one_in_prose_is_a_citation(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Cites net-kourier knative-v1.23.0 pkg/x.go."""\n\n'
                      '# knative/serving knative-v1.23.0 pkg/y.go\nPIN = "knative-v1.23.0"  # a second pin\n')
    flagged = [n for n, line in _code_lines(sample) if KNATIVE_TAG.search(line)]
    assert flagged == [4]
