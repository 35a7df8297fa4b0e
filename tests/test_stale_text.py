"""Text that goes stale unless a test holds it: the README's test list, its cross-references, the key tables.

Each check compares the text with what it describes (the files under tests/,
the README's headings, the typed model's keys, the benchmark's parser), so a
change to one without the other fails here with the fix.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import HEAVIEST_FIRST, ROOT

from knative_platform.model.core.decode import config_fields, config_key
from knative_platform.model.service.autoscaling import Autoscaling
from knative_platform.model.service.service import Service

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of ``heading`` (``## Tests``) up to the next heading of its level or above."""
    level = heading.split(" ", 1)[0]
    body = text.split(heading + "\n", 1)[1]
    return re.split(rf"^#{{1,{len(level)}}} ", body, maxsplit=1, flags=re.M)[0]


def test_the_readme_names_every_test_file_once_and_no_other():
    named = re.findall(r"`(test_\w+\.py)`", section(README, "## Tests"))
    files = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    assert sorted(set(named)) == files, "list each tests/test_*.py in the README's Tests section, under its layer"
    assert len(named) == len(set(named))


def tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    return [f for f in out.split() if not f.startswith("tests/golden/") and f != "CHANGELOG.md"
            and f.endswith((".py", ".md", ".yml", ".yaml", ".txt", ".toml", ".sh", ".json"))]


# README "Performance", (README, "Upgrading"), "The cluster (GKE)" in the README
README_SECTION = re.compile(r"\bREADME(?:'s)?[ ,(]{1,3}\"([^\"\n]{3,60})\"|\"([^\"\n]{3,60})\" in the README\b")


def test_every_reference_to_a_readme_section_names_one_the_readme_has():
    if not (ROOT / ".git").exists():
        pytest.skip("run from a git checkout")
    headings = set(re.findall(r"^#+ (.+)$", README, re.M))
    stale = []
    for name in tracked_text_files():
        if name == "tests/test_stale_text.py":
            continue  # its own examples of stale references below
        text = (ROOT / name).read_text(encoding="utf-8")
        for match in README_SECTION.finditer(text):
            title = match[1] or match[2]
            if title not in headings:
                stale.append(f"{name}: {title!r}")
    assert stale == [], "these README sections moved (most to docs/): point at the page that has them now"


def test_the_section_check_finds_the_old_references():
    old = 'must be run by hand (README,\n"Upgrading"). see "The cluster (GKE)" in the README; README "Performance"'
    assert [m[1] or m[2] for m in README_SECTION.finditer(old.replace("\n", " "))] == [
        "Upgrading", "The cluster (GKE)", "Performance"]


def key_table_rows() -> list[str]:
    """The first cell of each row of docs/services.md's "Service keys" table."""
    table = section((ROOT / "docs" / "services.md").read_text(encoding="utf-8"), "### Service keys")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [row.split("|")[1].strip() for row in rows]


def test_every_service_key_has_its_own_row_in_the_key_table():
    cells = key_table_rows()
    keys = []
    for cell in cells:
        (key,) = re.findall(r"`([^`]+)`", cell) or [cell]  # one key per row: `command`, not `command` / `args`
        keys.append(key)
    top = [re.split(r"[.{]", key, maxsplit=1)[0] for key in keys]
    service = [config_key(f) for f in config_fields(Service)]
    assert sorted(set(top)) == sorted(service), "docs/services.md: one row per key of the typed Service"
    nested = sorted(k.split(".", 1)[1] for k in keys if k.startswith("autoscaling."))
    assert nested == sorted(config_key(f) for f in config_fields(Autoscaling))
    assert len(keys) == len(set(keys))


def test_the_benchmark_help_shows_every_default(capsys):
    from benchmarks.scale import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--services N [N ...] stack sizes to measure, in services (default 100 1000 5000" in text
    assert "(default 3)" in text and "(default 1000)" in text


def test_the_heaviest_test_files_named_for_xdist_exist():
    assert [name for name in HEAVIEST_FIRST if not (ROOT / "tests" / name).is_file()] == []
