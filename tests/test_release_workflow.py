"""The release workflow: a tag builds, checks and publishes the wheel and the sdist, with least privilege.

actionlint checks it with every workflow (tests/test_workflows.py ``test_actionlint_finds_no_error``).
"""

from __future__ import annotations

import re
import subprocess

import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
RELEASE = yaml.safe_load(WORKFLOW.read_text())
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()


def step_runs(job: str) -> str:
    return "\n".join(s.get("run", "") for s in RELEASE["jobs"][job]["steps"])


def test_release_workflow_runs_on_version_tags_only():
    on = RELEASE.get("on", RELEASE.get(True))
    assert on == {"push": {"tags": ["v*"]}}


def test_release_workflow_builds_with_a_read_only_token_and_publishes_with_contents_write_only():
    assert RELEASE["permissions"] == {"contents": "read"}
    assert "permissions" not in RELEASE["jobs"]["build"]
    assert RELEASE["jobs"]["publish"]["permissions"] == {"contents": "write"}
    assert RELEASE["jobs"]["publish"]["needs"] == "build"
    assert not any("actions/checkout" in str(s.get("uses")) for s in RELEASE["jobs"]["publish"]["steps"])


def test_release_workflow_pins_every_action_by_digest():
    for job in RELEASE["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_release_workflow_builds_from_the_tags_history_and_checks_both_distributions():
    (checkout,) = [s for s in RELEASE["jobs"]["build"]["steps"] if "actions/checkout" in str(s.get("uses"))]
    assert checkout["with"]["fetch-depth"] == 0  # setuptools-scm needs the tag
    runs = step_runs("build")
    assert "python -m build" in runs and "twine check --strict dist/*" in runs
    assert ".whl" in runs and ".tar.gz" in runs
    assert "gh release create" in step_runs("publish") and "dist/*" in step_runs("publish")


def release_notes(changelog: str, version: str) -> str:
    """Run the workflow's own awk line on ``changelog``."""
    (line,) = [line.strip() for line in step_runs("build").splitlines() if line.strip().startswith("awk ")]
    script = line.split(" > ", 1)[0].replace("CHANGELOG.md", "-")
    result = subprocess.run(["bash", "-c", script.replace('"$version"', version)], input=changelog,
                            capture_output=True, text=True, check=True)
    return result.stdout


def test_release_notes_are_the_versions_changelog_section():
    changelog = "# Changelog\n\n## [Unreleased]\n- next\n\n## [0.2.0] - 2027-01-05\n- two\n\n## [0.1.0]\n- one\n"
    assert release_notes(changelog, "0.2.0") == "## [0.2.0] - 2027-01-05\n- two\n\n"
    assert release_notes(changelog, "0.3.0") == ""


def test_the_changelog_keeps_a_changelog_with_an_unreleased_section():
    assert "[Keep a Changelog](https://keepachangelog.com/" in CHANGELOG
    assert re.search(r"^## \[Unreleased\]$", CHANGELOG, re.M)

