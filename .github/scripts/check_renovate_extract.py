"""Check the report of ``renovate --platform=local --dry-run=extract`` against the repository.

Each manager must find exactly what the repository pins, so that a change to
renovate.json (or a file it reads) that makes Renovate blind to a pin fails CI:

- ``regex`` reads every ``# renovate:`` pin of components/versions.py and the
  Pulumi CLI version in .pulumi-version (as the ``pulumi`` package of PyPI, so
  it moves with the SDKs);
- ``pip_requirements`` reads every exact pin of every requirements file
  (policy/requirements.txt and the team-app template's included: Renovate's
  ``config:recommended`` ignores ``**/examples/**``, which renovate.json's
  ``ignorePaths`` leaves out), and a ``name @ git+URL@tag`` line as the tag;
- ``poetry`` owns pyproject.toml (Renovate 41+), the dependencies and every
  extra's (``[gke]``), whose ranges the widen rule must reach: that rule
  matches the file, not a manager;
- ``github-actions`` reads every action of every workflow and composite action
  as its commit SHA and the version in the comment beside it (which
  ``helpers:pinGitHubActionDigests`` keeps pinned and bumps).

Usage: ``python3 .github/scripts/check_renovate_extract.py REPORT.json``
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)
# ``knative-platform[gke] @ git+https://github.com/<org>/knative-platform@v0.1.0``: Renovate 44's
# pip_requirements extracts it as a git-tags dependency whose currentValue is the tag.
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)(?:\s+#\s*(\S*).*)?$", re.M)
_GIT_PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*@\s*git\+\S+@([^\s@#]+)", re.M)


def requirement_pins(text: str) -> list[tuple[str, str]]:
    """What Renovate must extract from a requirements file: ``(name, "==version")`` and ``(name, tag)``."""
    return [*((name, f"=={version}") for name, version in _PIN.findall(text)), *_GIT_PIN.findall(text)]


def pyproject_ranges(pyproject: dict) -> list[tuple[str, str]]:
    """``(name, range)`` of every dependency in ``[project]``, each extra's included."""
    project = pyproject["project"]
    requirements = [*project["dependencies"], *(r for extra in project.get("optional-dependencies", {}).values()
                                                for r in extra)]
    ranges = [re.match(r"([A-Za-z0-9_.-]+)(.*)", r).groups() for r in requirements]  # type: ignore[union-attr]
    return [(name, spec.strip()) for name, spec in ranges]


def tracked(pattern: str) -> list[str]:
    """Tracked files matching a git pathspec glob (Renovate's local platform reads only tracked files)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", pattern], capture_output=True, text=True, check=True)
    return sorted(line for line in out.stdout.splitlines() if line)


def action_pins(text: str) -> list[tuple[str, ...]]:
    """What Renovate must extract from a workflow or action: ``(action, version, SHA)`` for each ``uses:``.

    ``uses: actions/checkout@<40 hex>  # v5.1.0`` is read as the digest ``<40 hex>`` of the version ``v5.1.0``
    (npm renovate@44.121.2, dist/modules/manager/github-actions/extract.js, ``extractRepositoryAction``:
    ``currentDigest`` is the SHA and ``currentValue`` the comment's version; a bump rewrites both). A tag
    reference is ``(action, tag)``.
    """
    pins: list[tuple[str, ...]] = []
    for ref, comment in _USES.findall(text):
        if ref.startswith("./"):
            continue
        action, version = ref.split("@", 1)
        action = "/".join(action.split("/")[:2])  # owner/repo/path@... is the repository's action
        pins.append((action, comment, version) if re.fullmatch(r"[0-9a-f]{40}", version) else (action, version))
    return pins


def extracted(report: dict) -> dict[tuple[str, str], list[tuple[str, ...]]]:
    """``(manager, file) -> [(depName, currentValue[, currentDigest])]`` from the report.

    Of github-actions only the actions count (not its ``runs-on`` runners or ``setup-python``'s ``python``).
    """
    (repository,) = report["repositories"].values()

    def dep(d: dict) -> tuple[str, ...]:
        value = (str(d.get("depName")), str(d.get("currentValue")))
        return (*value, d["currentDigest"]) if d.get("currentDigest") else value

    return {(manager, f["packageFile"]): [dep(d) for d in f["deps"]
                                         if manager != "github-actions" or d.get("depType") in ("action", "workflow")]
            for manager, files in repository["packageFiles"].items() for f in files}


def expected_problems(found: dict[tuple[str, str], list[tuple[str, ...]]]) -> list[str]:
    """What the extraction missed or misread; empty when every manager found what it must."""
    problems: list[str] = []

    def expect(manager: str, path: str, deps: list[tuple[str, ...]]) -> None:
        got = found.get((manager, path))
        if got is None:
            problems.append(f"{manager} does not read {path}")
        elif sorted(got) != sorted(deps):
            problems.append(f"{manager} reads {path} as {sorted(got)}, expected {sorted(deps)}")

    versions = (ROOT / "components" / "versions.py").read_text(encoding="utf-8")
    pins = re.findall(r"# renovate: datasource=\S+ depName=(\S+).*\n\s*(?:version|[A-Z][A-Z0-9_]*_VERSION)\s*=\s*"
                      r"\"([^\"]+)\"", versions)
    expect("regex", "components/versions.py", pins)
    cli = (ROOT / ".pulumi-version").read_text(encoding="utf-8").strip()
    expect("regex", ".pulumi-version", [("pulumi", cli)])
    sdk = dict(_PIN.findall((ROOT / "requirements.txt").read_text(encoding="utf-8")))
    if sdk.get("pulumi") != cli:
        problems.append(f".pulumi-version is {cli} but requirements.txt pins pulumi=={sdk.get('pulumi')}")
    for path in tracked("*requirements*.txt"):
        pinned = requirement_pins((ROOT / path).read_text(encoding="utf-8"))
        if pinned:  # a file of ``-r`` lines only has nothing of its own to bump
            expect("pip_requirements", path, pinned)
    expect("poetry", "pyproject.toml", pyproject_ranges(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))))
    for path in [*tracked(".github/workflows/*.yml"), *tracked(".github/actions/*/action.yml")]:
        pins = action_pins((ROOT / path).read_text(encoding="utf-8"))
        expect("github-actions", path, pins)
        problems += [f"github-actions: {pin[0]}@{pin[1]} in {path} is not pinned to a commit SHA"
                     for pin in pins if len(pin) == 2]
    config = json.loads((ROOT / "renovate.json").read_text(encoding="utf-8"))
    widen = [r for r in config.get("packageRules", []) if r.get("rangeStrategy") == "widen"]
    if not any("pyproject.toml" in r.get("matchFileNames", []) and "matchManagers" not in r for r in widen):
        problems.append("no widen rule matches pyproject.toml by file (a manager rule misses the poetry manager)")
    return problems


def main(argv: list[str]) -> int:
    """Read the report named in ``argv``; print each problem; exit 1 on any."""
    if len(argv) != 2:
        print("usage: check_renovate_extract.py REPORT.json", file=sys.stderr)
        return 2
    found = extracted(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
    for (manager, path), deps in sorted(found.items()):
        print(f"{manager:17} {path}: {len(deps)} dependencies")
    problems = expected_problems(found)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
