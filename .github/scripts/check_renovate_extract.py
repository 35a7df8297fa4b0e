"""Check the report of ``renovate --platform=local --dry-run=extract`` against the repository.

Each manager must find exactly what the repository pins, so that a change to
renovate.json (or a file it reads) that makes Renovate blind to a pin fails CI:

- ``regex`` reads every ``# renovate:`` pin of components/versions.py and the
  Pulumi CLI version in .pulumi-version (as the ``pulumi`` package of PyPI, so
  it moves with the SDKs);
- ``pip_requirements`` reads every exact pin of every requirements file
  (policy/requirements.txt included);
- ``poetry`` owns pyproject.toml (Renovate 41+), whose ranges the widen rule
  must reach: that rule matches the file, not a manager;
- ``github-actions`` reads every workflow and the composite action.

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


def tracked(pattern: str) -> list[str]:
    """Tracked files matching a git pathspec glob (Renovate's local platform reads only tracked files)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", pattern], capture_output=True, text=True, check=True)
    return sorted(line for line in out.stdout.splitlines() if line)


def extracted(report: dict) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """``(manager, file) -> [(depName, currentValue)]`` from the report."""
    (repository,) = report["repositories"].values()
    return {(manager, f["packageFile"]): [(str(d.get("depName")), str(d.get("currentValue"))) for d in f["deps"]]
            for manager, files in repository["packageFiles"].items() for f in files}


def expected_problems(found: dict[tuple[str, str], list[tuple[str, str]]]) -> list[str]:
    """What the extraction missed or misread; empty when every manager found what it must."""
    problems: list[str] = []

    def expect(manager: str, path: str, deps: list[tuple[str, str]]) -> None:
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
        pinned = [(name, f"=={version}") for name, version in _PIN.findall((ROOT / path).read_text(encoding="utf-8"))]
        if pinned:  # examples/team-app's installs the checkout it lives in (``../..``): nothing to bump
            expect("pip_requirements", path, pinned)
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    ranges = [re.match(r"([A-Za-z0-9_.-]+)(.*)", d).groups() for d in dependencies]  # type: ignore[union-attr]
    expect("poetry", "pyproject.toml", [(name, spec.strip()) for name, spec in ranges])
    for path in [*tracked(".github/workflows/*.yml"), *tracked(".github/actions/*/action.yml")]:
        if not any(manager == "github-actions" and file == path for manager, file in found):
            problems.append(f"github-actions does not read {path}")
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
