"""Refuse a release tag the repository is not ready for: run by the release workflow before it builds.

A tag ``v<version>`` is released only when, at the tagged commit:

- ``CHANGELOG.md`` has the section ``## [<version>]`` (its text becomes the
  release notes) and it is the newest release there, right below ``## [Unreleased]``;
- the ``examples/team-app`` template pins that same tag
  (``knative-platform[...] @ git+https://github.com/<org>/knative-platform@v<version>``),
  so ``pulumi new .../tree/v<version>/examples/team-app`` installs the release it
  came from. The organisation is whatever the line names: a fork pins its own.

Usage: ``python .github/scripts/check_release.py v0.1.0`` (exit 1 with one line per problem).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path("examples") / "team-app" / "requirements.txt"
_SECTION = re.compile(r"^## \[([^\]]+)\]", re.M)
_PIN = re.compile(r"^knative-platform(?:\[[^\]]*\])?\s*@\s*git\+(?P<url>\S+?)@(?P<tag>[^\s@#]+)\s*(?:#.*)?$", re.M)


def releases(changelog: str) -> list[str]:
    """The versions CHANGELOG.md has sections for, newest first (``Unreleased`` left out)."""
    return [v for v in _SECTION.findall(changelog) if v != "Unreleased"]


def template_pin(requirements: str) -> tuple[str, str] | None:
    """``(repository URL, tag)`` of the template's ``knative-platform`` line, or None without one."""
    match = _PIN.search(requirements)
    return (match["url"], match["tag"]) if match else None


def release_problems(tag: str, changelog: str, requirements: str) -> list[str]:
    """Why ``tag`` cannot be released from a tree with this changelog and template requirements; empty when it can."""
    if not re.fullmatch(r"v\d+\.\d+\.\d+\S*", tag):
        return [f"{tag} is not a release tag: v<major>.<minor>.<patch>, e.g. v0.1.0"]
    version = tag.removeprefix("v")
    problems = []
    sections = _SECTION.findall(changelog)
    if sections[:1] != ["Unreleased"]:
        problems.append("CHANGELOG.md must open with ## [Unreleased], above the releases")
    released = releases(changelog)
    if version not in released:
        problems.append(f"CHANGELOG.md has no section ## [{version}]: move the Unreleased entries under it")
    elif released[0] != version:
        problems.append(f"CHANGELOG.md's newest release is {released[0]}, not {version}")
    pin = template_pin(requirements)
    if pin is None:
        problems.append(f"{TEMPLATE} has no line knative-platform @ git+<repository>@{tag}")
    elif pin[1] != tag:
        problems.append(f"{TEMPLATE} pins knative-platform at {pin[1]}, not {tag}: the template must install the "
                        "release it comes from")
    return problems


def main(argv: list[str]) -> int:
    """Check the tag in ``argv`` against this checkout; print each problem."""
    if len(argv) != 2:
        print("usage: check_release.py v<version>", file=sys.stderr)
        return 2
    problems = release_problems(argv[1], (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
                                (ROOT / TEMPLATE).read_text(encoding="utf-8"))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
