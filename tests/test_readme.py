"""The README's promises: its Python example runs from outside components/, its commands are the CI's."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_canary_example_runs_from_a_file_outside_components(tmp_path):
    block = README.split("<!-- example: canary -->", 1)[1]
    code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
    script = tmp_path / "my_service.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "revisionName: api-v1" in result.stdout
    assert "tag: canary" in result.stdout
    assert "'canary': 'http://canary-api.default.apps.example.com'" in result.stdout


def test_ci_runs_the_readme_setup_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt"
    test = ".venv/bin/ruff check . && .venv/bin/python -m pytest -q"
    assert setup in README and test in README
    assert setup.replace("pip install", "pip install -q") in ci
    assert test in ci
