"""The documentation site builds in strict mode: every page is in the navigation and every link resolves."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml
from conftest import ROOT

DOCS = ROOT / "docs"


def nav_pages(nav: list) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_every_page_is_in_the_navigation_and_every_navigation_entry_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["theme"]["name"] == "material" and config["strict"] is True
    pages = nav_pages(config["nav"])
    assert sorted(pages) == sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))


def test_the_site_builds_in_strict_mode(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_broken_link_fails_the_strict_build(tmp_path):
    broken = tmp_path / "project"
    (broken / "docs").mkdir(parents=True)
    (broken / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    for page in DOCS.glob("*.md"):
        (broken / "docs" / page.name).write_text(page.read_text())
    (broken / "docs" / "index.md").write_text("[nowhere](missing.md)\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(tmp_path / "site")], cwd=broken, env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "missing.md" in result.stdout + result.stderr
