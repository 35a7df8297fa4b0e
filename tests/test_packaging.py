"""``components`` installs into another project: a fresh virtualenv, from the repository path.

The fresh virtualenv borrows the dependencies (pulumi, pulumi-kubernetes ...)
from the environment running the tests through a ``.pth`` file, so only the
package under test is built and installed (``--no-deps``). With setuptools
70.1 or newer installed (requirements-dev.txt pins one) the build runs offline
(``--no-build-isolation --no-index``); an environment with an older setuptools
builds in pip's isolated environment instead, which fetches setuptools from PyPI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.version import Version

import components

CHECK_INSTALLED = r"""
import importlib, json, pathlib, sys
from importlib import metadata
import components
names = {}
for name in components.__all__:
    names[name] = type(getattr(components, name)).__name__
for module in ("components.reference", "components.offline.__main__", "components.offline.diff"):
    importlib.import_module(module)
print(json.dumps({
    "file": components.__file__,
    "names": names,
    "requires": metadata.requires("knative-platform"),
    "files": sorted(str(f) for f in metadata.files("knative-platform")),
}))
"""


def _builds_wheels_offline() -> bool:
    """setuptools 70.1+ has bdist_wheel built in; older ones need the separate ``wheel`` package."""
    try:
        return Version(version("setuptools")) >= Version("70.1")
    except Exception:
        return False


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("packaging")
    source = root / "knative-platform"
    # A copy of the working tree, so a build never leaves build/ or *.egg-info in the repository.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    dependencies = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "borrowed-dependencies.pth").write_text("".join(f"{p}\n" for p in dependencies))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
               "--disable-pip-version-check", "--no-compile"]
    if _builds_wheels_offline():
        command += ["--no-build-isolation", "--no-index"]
    result = subprocess.run([*command, str(source)], capture_output=True, text=True, env=env, cwd=root, check=False)
    assert result.returncode == 0, result.stderr
    check = subprocess.run([str(python), "-c", CHECK_INSTALLED], capture_output=True, text=True, env=env, cwd=root,
                           check=False)
    assert check.returncode == 0, check.stderr
    return {"site": site, "python": python, "root": root, "env": env, **json.loads(check.stdout)}


def test_the_installed_package_is_imported_from_the_fresh_virtualenv(installed):
    assert Path(installed["file"]).parent == installed["site"] / "components"


def test_every_public_name_resolves(installed):
    assert sorted(installed["names"]) == sorted(components.__all__)
    assert installed["names"]["PlatformReference"] == "type"
    assert installed["names"]["KnativeApp"] == "type"


def test_the_wheel_holds_every_module_of_components_and_py_typed_and_nothing_else(installed):
    installed_files = {f for f in installed["files"]
                       if not f.startswith("knative_platform-") and "__pycache__" not in f}
    source_files = {str(p.relative_to(ROOT)) for p in (ROOT / "components").rglob("*.py")}
    assert installed_files == source_files | {"components/py.typed"}


def test_the_package_declares_its_runtime_dependencies(installed):
    names = {Requirement(r).name.lower() for r in installed["requires"]}
    assert names == {"pulumi", "pulumi-gcp", "pulumi-kubernetes", "pyyaml"}


def test_the_offline_render_runs_from_the_installed_package(installed):
    result = subprocess.run([str(installed["python"]), "-m", "components.offline", "render", "--stack", "dev",
                             "--project", str(ROOT / "examples" / "team-app"), "--out", str(installed["root"] / "r")],
                            capture_output=True, text=True, env=installed["env"], cwd=installed["root"], check=False)
    assert result.returncode == 0, result.stderr
    assert "rendered dev: 15 resources, 4 Kubernetes objects" in result.stdout


def test_the_tested_pins_satisfy_the_package_ranges():
    ranges = {Requirement(r).name.lower(): Requirement(r).specifier
              for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = next(iter(requirement.specifier)).version
    assert sorted(pins) == sorted(ranges)
    for name, pin in pins.items():
        assert ranges[name].contains(pin), f"requirements.txt pins {name}=={pin}, outside pyproject's {ranges[name]}"
