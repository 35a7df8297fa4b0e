"""The runtime requirements at one end of the ranges in ``pyproject.toml``: ``lowest`` or ``newest``.

``requirements.txt`` pins the versions this repository tests with; importers
get the ranges of ``[project] dependencies``. CI runs the suite at both ends
(review.yml, job ``sdk-range``): ``lowest`` prints each range's lower bound as
an exact pin, ``newest`` prints the range itself, for pip to take the newest
release it allows.

Usage: ``python .github/scripts/sdk_requirements.py lowest|newest > constraints.txt``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")
_LOWER = re.compile(r">=\s*([0-9][^,\s]*)")


def requirements(end: str, pyproject: Path = PYPROJECT) -> list[str]:
    """One requirement line per dependency, at ``end`` (``lowest`` or ``newest``) of its range."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    lines = []
    for dependency in dependencies:
        match = _REQUIREMENT.match(dependency)
        if match is None:
            raise ValueError(f"cannot read the requirement {dependency!r}")
        name, spec = match.groups()
        if end == "newest":
            lines.append(f"{name}{spec}")
            continue
        lower = _LOWER.search(spec)
        if lower is None:
            raise ValueError(f"{dependency!r} has no lower bound (>=): importers could get any version")
        lines.append(f"{name}=={lower.group(1)}")
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("lowest", "newest"):
        sys.exit("usage: sdk_requirements.py lowest|newest")
    print("\n".join(requirements(sys.argv[1])))
