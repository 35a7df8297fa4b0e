"""The package installs into an app team's project: a fresh virtualenv beside a project with its own ``components/``.

What an app team does, offline: install ``knative-platform`` from a path and
from a git URL into a new virtualenv, next to an app project (a copy of
``examples/team-app``) that has a ``components/`` package of its own, then
import ``knative_platform``, run the ``knative-platform`` console script and
render the project. The fresh virtualenvs borrow the dependencies (pulumi,
pulumi-kubernetes ...) from the environment running the tests through a
``.pth`` file, *without pulumi-gcp*: the app side must neither need nor pull it.
With setuptools 70.1+ and setuptools-scm installed (requirements-dev.txt pins
both) the builds run offline (``--no-build-isolation --no-index``); on a
machine with only PyPI, drop those two flags and pip fetches the build
requirements of pyproject.toml itself.

The tests that build and install carry the ``e2e`` marker: the README's
test command leaves them out (about 25 s of CPU time), ``.ci/run`` and the
SDK-range job run them as a step of their own (``pytest -m e2e``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement

import knative_platform

IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache",
                                ".ruff_cache", "site")
OFFLINE = ["--no-build-isolation", "--no-index"]

CHECK_INSTALLED = r"""
import importlib, json, sys
from importlib import metadata
import knative_platform
star = {}
exec("from knative_platform import *", star)  # everything public, without pulumi-gcp too
names, needs_gke = {}, {}
for name in (n for names in knative_platform.PUBLIC_API.values() for n in names):
    try:
        names[name] = type(getattr(knative_platform, name)).__name__
    except ModuleNotFoundError as exc:
        needs_gke[name] = str(exc)
import pkgutil
modules, modules_needing_gke = [], []
for info in pkgutil.walk_packages(knative_platform.__path__, "knative_platform."):
    try:
        importlib.import_module(info.name)  # an absolute `components` import anywhere would fail here
        modules.append(info.name)
    except ModuleNotFoundError as exc:
        if exc.name != "pulumi_gcp":
            raise
        modules_needing_gke.append(info.name)
try:
    import pulumi_gcp  # noqa: F401
    gcp = True
except ImportError:
    gcp = False
import components  # the app's own package, untouched by the platform's
print(json.dumps({
    "file": knative_platform.__file__,
    "star": sorted(name for name in star if not name.startswith("__")),
    "names": names,
    "needs_gke": needs_gke,
    "modules": modules,
    "modules_needing_gke": modules_needing_gke,
    "app_components": components.__file__,
    "gcp_importable": gcp,
    "version": metadata.version("knative-platform"),
    "requires": metadata.requires("knative-platform"),
    "files": sorted(str(f) for f in metadata.files("knative-platform")),
    "direct_url": metadata.distribution("knative-platform").read_text("direct_url.json"),
}))
"""

APP_COMPONENTS = '''"""The app team's own components package: the most common layout of a Pulumi Python project."""

OWNER = "storefront-team"
'''


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def git(repo: Path, *args: str) -> None:
    run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args])


def borrowed_without_gcp(root: Path) -> Path:
    """The test environment's packages, as links, except pulumi-gcp: what an app-side install may use."""
    borrowed = root / "borrowed"
    borrowed.mkdir()
    for site in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if name.startswith(("pulumi_gcp", "__editable__", "_virtualenv")) or name.endswith(".pth"):
                continue
            if not (borrowed / entry.name).exists():
                (borrowed / entry.name).symlink_to(entry)
    return borrowed


def fresh_venv(root: Path, name: str, borrowed: list) -> Path:
    venv = root / name
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "borrowed-dependencies.pth").write_text("".join(f"{path}\n" for path in borrowed))
    return venv


def pip(venv: Path, *args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *args,
                           "--disable-pip-version-check", "--no-compile", "--quiet"],
                          capture_output=True, text=True, env=env, cwd=cwd, check=False)


GOOGLE_IDENTITY = 'service_account=ServiceAccount(roles=("roles/datastore.user",)),'
"""team-app's inventory acts as its own Google service account: the one thing there that needs pulumi-gcp."""


def app_project(root: Path, name: str, *, google: bool) -> Path:
    """examples/team-app, as a team's own repository has it, plus a ``components/`` package the program uses.

    Without ``google``, its inventory service has no Google identity: an app stack with nothing to create on
    Google Cloud, which installs without the ``gke`` extra.
    """
    app = root / name
    shutil.copytree(ROOT / "examples" / "team-app", app, ignore=IGNORE)
    (app / "components").mkdir()
    (app / "components" / "__init__.py").write_text(APP_COMPONENTS)
    main = (app / "__main__.py").read_text()
    (app / "__main__.py").write_text(main.replace("import pulumi\n", "import pulumi\nfrom components import OWNER\n", 1)
                                     + 'pulumi.export("owner", OWNER)\n')
    if not google:
        services = app / "stacks" / "services.py"
        assert GOOGLE_IDENTITY in services.read_text()
        services.write_text(services.read_text().replace(GOOGLE_IDENTITY, ""))
    return app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two fresh virtualenvs, each next to an app project with its own components/.

    ``from-git``: the plain install from a git URL (a release tag), without pulumi-gcp, beside an app that
    creates nothing on Google Cloud. ``from-path``: ``[gke]`` from a path, with pulumi-gcp, beside
    examples/team-app as it is (its inventory has a Google identity).
    """
    root = tmp_path_factory.mktemp("packaging")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    site_dirs = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    # A path: a copy of the working tree without git metadata (an archive, a download): the fallback version.
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE, symlinks=True)
    # A git URL: a clone-able repository whose HEAD carries a release tag.
    repo = root / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE, symlinks=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release")
    git(repo, "tag", "v1.2.3")
    setups = (
        # The bare URL: pip 23.2 (Python 3.11's venv) refuses `name @ git+file://` (not
        # `name @ git+https://`); the README tells users to upgrade pip in a new venv.
        ("from-git", f"git+file://{repo}@v1.2.3", [borrowed_without_gcp(root)], False),
        ("from-path", f"{source}[gke]", list(site_dirs), True),
    )
    venvs = {}
    for name, requirement, borrowed, google in setups:
        app = app_project(root, f"app-{name}", google=google)
        venv = fresh_venv(root, name, borrowed)
        result = pip(venv, "install", *OFFLINE, requirement, env=env, cwd=app)
        assert result.returncode == 0, result.stderr
        check = run([str(venv / "bin" / "python"), "-c", CHECK_INSTALLED], env=env, cwd=app)
        venvs[name] = {"venv": venv, "app": app, **json.loads(check.stdout)}
    return {"root": root, "env": env, "venvs": venvs, "repo": repo}


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["from-path", "from-git"])
def test_the_package_imports_as_knative_platform_beside_the_apps_own_components(world, name):
    installed = world["venvs"][name]
    site = Path(installed["file"]).parents[1]
    assert Path(installed["file"]) == site / "knative_platform" / "__init__.py"
    assert str(installed["venv"]) in installed["file"]
    assert Path(installed["app_components"]) == installed["app"] / "components" / "__init__.py"
    assert sorted([*installed["names"], *installed["needs_gke"]]) == knative_platform.__all__
    assert installed["names"]["PlatformReference"] == "type"
    assert installed["names"]["KnativeApp"] == "type"
    # every file imported: the modules and subpackages walked, those needing [gke], and the package itself
    needing = len(installed["modules_needing_gke"])
    assert len(installed["modules"]) + needing + 1 == len(list((ROOT / "components").rglob("*.py")))


@pytest.mark.e2e
def test_without_the_gke_extra_only_the_platforms_gke_components_are_out_of_reach(world):
    plain, gke = world["venvs"]["from-git"], world["venvs"]["from-path"]
    # Platform imports pulumi_gcp only where it builds a GKE cluster, its image policy, its registry or a DNS-01
    # identity (issue 9)
    gke_names = [n for m in sorted(knative_platform.NEEDS_GKE_EXTRA) for n in knative_platform.PUBLIC_API[m]]
    assert sorted(plain["needs_gke"]) == sorted(gke_names) == ["GkeCluster", "GkeClusterArgs"]
    # each names what it creates and the extra, in the words of runtime/gcp_sdk.py
    assert all(m.startswith(f"{n} creates Google Cloud resources and needs pulumi-gcp: install knative-platform[gke]")
               for n, m in plain["needs_gke"].items())
    # the root's GkeCluster, and the parts of Platform that stay in their modules (issue 19 item 7): the image
    # policy, the DNS-01 identity, the Pub/Sub sources' Eventarc triggers and the Artifact Registry repository
    assert plain["modules_needing_gke"] == ["knative_platform.binauthz", "knative_platform.dns01",
                                            "knative_platform.gke", "knative_platform.pubsub",
                                            "knative_platform.registry"]
    assert gke["needs_gke"] == {} and gke["modules_needing_gke"] == []
    # `from knative_platform import *` works without the extra (newcomer L4): all but those names
    assert plain["star"] == sorted(set(knative_platform.__all__) - set(gke_names))
    assert gke["star"] == knative_platform.__all__


@pytest.mark.e2e
def test_the_version_comes_from_the_git_tag_or_the_fallback_without_git(world):
    assert world["venvs"]["from-git"]["version"] == "1.2.3"
    assert json.loads(world["venvs"]["from-git"]["direct_url"])["vcs_info"]["requested_revision"] == "v1.2.3"
    fallback = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools_scm"]["fallback_version"]
    assert world["venvs"]["from-path"]["version"] == fallback


@pytest.mark.e2e
def test_the_wheel_holds_every_module_of_components_as_knative_platform_and_nothing_else(world):
    for installed in world["venvs"].values():
        files = {f for f in installed["files"] if not f.startswith(("knative_platform-", "../"))
                 and "__pycache__" not in f}
        package = ROOT / "components"
        source = {f"knative_platform/{p.relative_to(package)}" for p in package.rglob("*.py")}
        assert files == source | {"knative_platform/py.typed", "knative_platform/__init__.pyi"}
        assert [f for f in installed["files"] if f.endswith("LICENSE")], "the wheel carries the licence text"


@pytest.mark.e2e
def test_the_app_side_needs_no_pulumi_gcp_and_the_gke_extra_has_it(world):
    plain, gke = world["venvs"]["from-git"], world["venvs"]["from-path"]
    assert plain["gcp_importable"] is False  # and yet it installed, its dependencies resolved, and it imports
    assert gke["gcp_importable"] is True
    for installed in (plain, gke):
        names = {Requirement(r).name.lower() for r in installed["requires"] if "extra ==" not in r}
        assert names == {"pulumi", "pulumi-kubernetes", "pyyaml", "tzdata"}
        (extra,) = [Requirement(r) for r in installed["requires"] if "extra ==" in r]
        assert extra.name == "pulumi-gcp" and extra.marker.evaluate({"extra": "gke"})
    # The resolver asks for pulumi-gcp only with [gke]; none is available to the plain venv, so that cannot resolve.
    result = pip(plain["venv"], "install", "--dry-run", *OFFLINE, f"{world['repo']}[gke]", env=world["env"],
                 cwd=plain["app"])
    assert result.returncode != 0
    assert re.search(r"pulumi-gcp", result.stderr, re.I), result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["from-git", "from-path"])
def test_the_console_script_renders_the_app_project_with_its_own_components(world, name):
    installed = world["venvs"][name]
    script, app = installed["venv"] / "bin" / "knative-platform", installed["app"]
    version = run([str(script), "--version"], env=world["env"], cwd=app)
    assert version.stdout.strip() == f"knative-platform {installed['version']}"
    out = world["root"] / f"render-{name}"
    result = run([str(script), "render", "--all", "--out", str(out)], env=world["env"], cwd=app)
    # examples/team-app as it is: inventory's identity adds its ServiceAccount and its Google account and grants
    expected = "14 resources, 4 Kubernetes objects" if name == "from-path" else "8 resources, 3 Kubernetes objects"
    assert f"rendered dev: {expected}" in result.stdout
    assert "owner: storefront-team" in (out / "dev" / "stack.yaml").read_text()
    assert (out / "prod" / "kubernetes" / "team-app" / "Service-storefront.yaml").is_file()


@pytest.mark.e2e
def test_a_google_identity_without_the_gke_extra_names_the_extra(world):
    plain = world["venvs"]["from-git"]
    script = plain["venv"] / "bin" / "knative-platform"
    result = subprocess.run([str(script), "render", "--stack", "dev", "--project", str(ROOT / "examples" / "team-app"),
                             "--out", str(world["root"] / "google-render")], env=world["env"], cwd=plain["app"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "creates Google Cloud resources and needs pulumi-gcp: install knative-platform[gke]" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_the_offline_module_runs_from_inside_the_app_project(world):
    """``python -m`` puts the app directory first on sys.path, where its own components/ lives."""
    plain = world["venvs"]["from-git"]
    result = run([str(plain["venv"] / "bin" / "python"), "-m", "knative_platform.offline", "render", "--stack", "prod",
                  "--out", str(world["root"] / "module-render")], env=world["env"], cwd=plain["app"])
    assert "rendered prod: 8 resources, 3 Kubernetes objects" in result.stdout


def test_the_tested_pins_satisfy_the_package_ranges_and_the_gke_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["gke"]]
    ranges = {Requirement(r).name.lower(): Requirement(r).specifier for r in requirements}
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = next(iter(requirement.specifier)).version
    assert sorted(pins) == sorted(ranges)
    for name, pin in pins.items():
        assert ranges[name].contains(pin), f"requirements.txt pins {name}=={pin}, outside pyproject's {ranges[name]}"


def test_the_template_pins_the_tested_sdks_and_asks_for_pulumi_gcp_only_for_its_google_identity():
    def pins(path: Path) -> dict[str, Requirement]:
        out = {}
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                requirement = Requirement(line)
                out[requirement.name.lower()] = requirement
        return out

    template, tested = pins(ROOT / "examples" / "team-app" / "requirements.txt"), pins(ROOT / "requirements.txt")
    platform = template.pop("knative-platform")
    assert platform.url.startswith("git+https://") and platform.extras == {"gke"}
    assert GOOGLE_IDENTITY in (ROOT / "examples" / "team-app" / "stacks" / "services.py").read_text()
    assert {k: str(v.specifier) for k, v in template.items()} == {k: str(v.specifier) for k, v in tested.items()}


def test_a_clone_without_tags_builds_a_development_version(tmp_path):
    """No release yet (or a fork without tags): setuptools-scm counts commits instead of failing."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    result = run([sys.executable, "-m", "setuptools_scm"], cwd=tmp_path)
    assert re.fullmatch(r"0\.0\.1\.dev1\+g[0-9a-f]+", result.stdout.strip()), result.stdout


def test_the_e2e_tests_left_out_of_the_default_run_run_in_ci():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "-m 'not e2e'" in addopts
    assert "\n.venv/bin/python -m pytest -q -m e2e\n" in (ROOT / ".ci" / "run").read_text()
    review = (ROOT / ".github" / "workflows" / "review.yml").read_text()
    assert "run: .venv/bin/python -m pytest -q -m e2e\n" in review.split("\n  sdk-range:", 1)[1]
