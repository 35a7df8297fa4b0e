"""The release workflow: a tag builds, checks and publishes the wheel and the sdist, with least privilege.

actionlint checks it with every workflow (tests/test_workflow_actionlint.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
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



# -- the first release: tagging the commit is the only step left ----------------------------------------------

def check_release():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_release", ROOT / ".github" / "scripts" / "check_release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEMPLATE = (ROOT / "examples" / "team-app" / "requirements.txt").read_text()


def newest_release() -> str:
    return check_release().releases(CHANGELOG)[0]


def test_the_changelog_has_a_release_below_an_unreleased_section_and_the_workflow_would_release_it():
    assert re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.M)[:2] == ["Unreleased", "0.1.0"]
    assert re.search(r"^## \[0\.1\.0\] - \d{4}-\d{2}-\d{2}$", CHANGELOG, re.M)  # Keep a Changelog: version - date
    assert check_release().release_problems(f"v{newest_release()}", CHANGELOG, TEMPLATE) == []
    notes = release_notes(CHANGELOG, newest_release())
    assert notes.startswith(f"## [{newest_release()}] - ") and "### Added" in notes


def test_the_release_workflow_checks_the_tag_before_it_builds():
    steps = RELEASE["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    (check,) = [i for i, run in enumerate(runs) if "check_release.py" in run]
    assert check < next(i for i, run in enumerate(runs) if "python -m build" in run)
    assert steps[check]["env"] == {"TAG": "${{ github.ref_name }}"} and '"$TAG"' in runs[check]


@pytest.mark.parametrize(("tag", "changelog", "template", "problems"), [
    ("v0.2.0", "## [Unreleased]\n## [0.2.0] - 2027-01-05\n## [0.1.0]\n", "knative-platform @ git+https://x/y@v0.2.0",
     []),
    ("v0.1.0", "## [Unreleased]\n## [0.2.0] - 2027-01-05\n## [0.1.0]\n", "knative-platform @ git+https://x/y@v0.1.0",
     ["CHANGELOG.md's newest release is 0.2.0, not 0.1.0"]),
    ("v0.3.0", "## [0.3.0]\n", "knative-platform[gke] @ git+https://x/y@v0.2.0  # pinned",
     ["CHANGELOG.md must open with ## [Unreleased], above the releases",
      "examples/team-app/requirements.txt pins knative-platform at v0.2.0, not v0.3.0: the template must install the "
      "release it comes from"]),
    ("v0.3.0", "## [Unreleased]\n", "pulumi==3.272.0",
     ["CHANGELOG.md has no section ## [0.3.0]: move the Unreleased entries under it",
      "examples/team-app/requirements.txt has no line knative-platform @ git+<repository>@v0.3.0"]),
    ("latest", "", "", ["latest is not a release tag: v<major>.<minor>.<patch>, e.g. v0.1.0"]),
], ids=["ready", "not the newest", "template behind", "nothing", "not a version"])
def test_a_tag_the_tree_is_not_ready_for_is_refused_with_the_fix(tag, changelog, template, problems):
    assert check_release().release_problems(tag, changelog, template) == problems


def test_the_template_pins_the_newest_release_of_the_repository_the_package_names():
    """One line pins the platform in the template: this repository (pyproject's Source), at CHANGELOG's release."""
    url, tag = check_release().template_pin(TEMPLATE)
    source = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    assert (url, tag) == (source, f"v{newest_release()}")
    assert len(re.findall(r"^knative-platform", TEMPLATE, re.M)) == 1


DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").rglob("*.md")])


def test_the_docs_pin_the_release_through_one_documented_variable_and_name_no_placeholder_org():
    """Every command that pins the platform uses $KNATIVE_PLATFORM and $RELEASE, set once in the page to the
    repository the package names and CHANGELOG's newest release; a requirements line written out pins that too."""
    source = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]
    pages = 0
    for path in DOCS:
        text = path.read_text()
        assert "<your-org>" not in text, path
        if "$KNATIVE_PLATFORM" in text or "$RELEASE" in text:
            assert re.findall(r"^KNATIVE_PLATFORM=(\S+)", text, re.M) == [source], path
            assert re.findall(r"^RELEASE=(\S+)", text, re.M) == [f"v{newest_release()}"], path
            pages += 1
        # the pinning forms written out: a git requirement or a template URL at a tag
        for url, tag in re.findall(r"git\+(https://\S+?)@(v[\w.+-]+)", text):
            assert (url, tag) == (source, f"v{newest_release()}"), (path, url, tag)
        for tag in re.findall(r"/tree/(v[\w.+-]+)/examples/team-app", text):
            assert tag == f"v{newest_release()}", path
    assert pages == 2  # docs/app-teams.md and examples/team-app/README.md


def test_a_tagged_commit_builds_the_release_version(tmp_path):
    """What the workflow's `ls dist/knative_platform-<version>-…` relies on: setuptools-scm reads the tag."""
    import shutil

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit",
                                                                "-q", "-m", "release"],
                 ["tag", f"v{newest_release()}"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "setuptools_scm"], cwd=tmp_path, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == newest_release()


# -- the order of first steps: a stack is created in the backend logged in to --------------------------------

STACK_CREATORS = re.compile(r"^[^#\n]*?\bpulumi (?:new|stack init|stack select)\b(?P<rest>.*)$", re.M)


def test_every_documented_command_that_creates_or_selects_a_stack_comes_after_pulumi_login():
    """`pulumi new` (without --generate-only) and `pulumi stack init/select` act on the current backend."""
    checked = 0
    for path in DOCS:
        for block in re.findall(r"```bash\n(.*?)```", path.read_text(), re.S):
            for match in STACK_CREATORS.finditer(block):
                if "--generate-only" in match["rest"]:
                    continue
                before = block[:match.start()]
                assert re.search(r"^\s*pulumi login\b", before, re.M), f"{path.name}: {match[0].strip()}"
                checked += 1
    assert checked >= 5  # team-app's README, app-teams.md, deploying.md, kind.md, delivery.md


def test_the_order_check_fails_on_the_old_order():
    old = "mkdir storefront && cd storefront\npulumi new https://x/tree/v0.1.0/examples/team-app\n" \
          "pulumi login gs://<state-bucket>\n"
    (match,) = STACK_CREATORS.finditer(old)
    assert not re.search(r"^\s*pulumi login\b", old[:match.start()], re.M)
