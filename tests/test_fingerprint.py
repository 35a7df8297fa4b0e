"""The source fingerprint: golden values for the fixture app, stable where it must be, changed where it must be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from knative_platform.model.source.fingerprint import SourceError, fingerprint, list_files, stage, tree_id
from knative_platform.model.source.source import BuildPlatform, Source

FIXTURE = ROOT / "tests" / "fixtures" / "source" / "hello"
SOURCE = Source(path="apps/hello")
GOLDEN_TREE = "658a733bef311c3e1d79d77ada0a197ab1cce9a1"
"""``git rev-parse HEAD:tests/fixtures/source/hello``: the fixture's tree, as git computes it."""
GOLDEN = "441e3e8947c649f61a6c2cf7c39e5123479210e92d4297e8ab8fcb60240585c6"
"""The fixture's fingerprint with every setting at its default."""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                             "-c", "init.defaultBranch=main", *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def copy(tmp_path) -> Path:
    """The fixture outside any git checkout."""
    target = tmp_path / "plain" / "hello"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def repo(tmp_path) -> Path:
    """A fresh git repository holding the fixture at apps/hello, committed."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root / "apps" / "hello")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fixture")
    return root


def test_golden_fingerprint_of_the_fixture_app_in_this_checkout_and_outside_git(copy):
    here = fingerprint(SOURCE, FIXTURE)
    assert (here.value, here.tree) == (GOLDEN, GOLDEN_TREE)
    assert here.files == ("Dockerfile", "greeting.txt", "static/index.html")
    assert fingerprint(SOURCE, copy).value == GOLDEN


def test_the_tree_is_gits_own_tree_of_the_committed_directory(repo):
    assert git(repo, "rev-parse", "HEAD:apps/hello") == GOLDEN_TREE
    assert fingerprint(SOURCE, repo / "apps" / "hello").tree == GOLDEN_TREE


def test_mtime_umask_and_checkout_path_do_not_count(copy, tmp_path):
    for path in copy.rglob("*"):
        os.utime(path, (1, 1))
        path.chmod(0o700 if path.is_dir() else 0o600)  # the owner bits that git ignores changed too
    moved = tmp_path / "elsewhere" / "deeper" / "other-name"
    shutil.move(copy, moved)
    assert fingerprint(SOURCE, moved).value == GOLDEN


def test_the_hash_seed_does_not_count():
    """This process runs with a random hash seed; the child with seed 0."""
    code = ("from pathlib import Path\n"
            "from knative_platform.model.source.fingerprint import fingerprint\n"
            "from knative_platform.model.source.source import Source\n"
            "source = Source(path='x', build_args={'B': '2', 'A': '1', 'C': '3'})\n"
            "print(fingerprint(source, Path('tests/fixtures/source/hello')).value)\n")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    expected = fingerprint(Source(path="x", build_args={"C": "3", "A": "1", "B": "2"}), FIXTURE).value
    assert out.stdout.strip() == expected


def test_the_dockerfile_path_counts_even_for_the_same_content(copy):
    shutil.copy(copy / "Dockerfile", copy / "Dockerfile.prod")
    files = list_files(copy)
    assert fingerprint(SOURCE, copy, files) != fingerprint(replace(SOURCE, dockerfile="Dockerfile.prod"), copy, files)


@pytest.mark.parametrize("change", [
    {"target": "final"},
    {"build_args": {"VERSION": "1"}},
    {"platform": BuildPlatform.LINUX_ARM64},
])
def test_each_build_setting_changes_the_fingerprint(copy, change):
    assert fingerprint(replace(SOURCE, **change), copy, list_files(copy)).value != GOLDEN


def test_one_byte_a_new_file_the_executable_bit_and_a_link_each_change_it(copy):
    seen = [fingerprint(SOURCE, copy).value]
    for step in (lambda: (copy / "greeting.txt").write_text("Hello from a source fixturE\n"),
                 lambda: (copy / "static" / "new.txt").write_text(""),
                 lambda: (copy / "greeting.txt").chmod(0o755),
                 lambda: (copy / "link").symlink_to("greeting.txt")):
        step()
        seen.append(fingerprint(SOURCE, copy).value)
    assert len(set(seen)) == len(seen) == 5


def test_uncommitted_changes_count_and_ignored_files_do_not(repo):
    directory = repo / "apps" / "hello"
    (directory / ".gitignore").write_text("*.log\nnode_modules/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ignore")
    clean = fingerprint(SOURCE, directory)
    assert clean.tree == git(repo, "rev-parse", "HEAD:apps/hello")
    (directory / "debug.log").write_text("noise")
    (directory / "node_modules").mkdir()
    (directory / "node_modules" / "dep.js").write_text("noise")
    assert fingerprint(SOURCE, directory) == clean  # ignored files are not source
    (directory / "greeting.txt").write_text("edited, not committed\n")
    edited = fingerprint(SOURCE, directory)
    assert edited.value != clean.value  # what is built is what is on disk
    (directory / "untracked.txt").write_text("new")
    assert "untracked.txt" in fingerprint(SOURCE, directory).files
    (directory / "static" / "index.html").unlink()  # tracked, deleted in the working tree
    assert "static/index.html" not in fingerprint(SOURCE, directory).files


def test_an_ignored_dockerfile_is_refused(repo):
    directory = repo / "apps" / "hello"
    (directory / ".gitignore").write_text("Dockerfile\n")
    git(repo, "rm", "-q", "--cached", "apps/hello/Dockerfile")
    with pytest.raises(SourceError, match="is not part of the source: git ignores it"):
        fingerprint(SOURCE, directory)


def test_a_nested_repository_counts_with_its_files(repo):
    nested = repo / "apps" / "hello" / "vendor"
    nested.mkdir()
    (nested / "lib.txt").write_text("vendored")
    git(nested, "init", "-q")
    assert "vendor/lib.txt" in fingerprint(SOURCE, repo / "apps" / "hello").files


def test_a_socket_or_pipe_is_refused(copy):
    os.mkfifo(copy / "pipe")
    with pytest.raises(SourceError, match="neither a file nor a symbolic link"):
        fingerprint(SOURCE, copy)


def test_the_staged_copy_has_the_same_fingerprint_and_nothing_else(copy, tmp_path):
    (copy / "run.sh").write_text("#!/bin/sh\n")
    (copy / "run.sh").chmod(0o755)
    (copy / "link").symlink_to("greeting.txt")
    (copy / ".git").mkdir()  # never source, never staged
    files = list_files(copy)
    staged = tmp_path / "staged"
    staged.mkdir()
    stage(copy, files, staged)
    assert sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if not p.is_dir()) == list(files)
    assert (staged / "link").is_symlink() and os.access(staged / "run.sh", os.X_OK)
    assert fingerprint(SOURCE, staged, files) == fingerprint(SOURCE, copy, files)


NAMES = st.text(st.sampled_from("abc.-_ é"), min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
LAYOUTS = st.dictionaries(st.lists(NAMES, min_size=1, max_size=3).map("/".join), st.binary(max_size=40),
                          min_size=1, max_size=6)


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("trees")
    git(root, "init", "-q")
    return root


@settings(max_examples=25, deadline=None)
@given(layout=LAYOUTS)
def test_the_tree_id_is_gits_for_any_layout(scratch_repo, layout):
    example = Path(tempfile.mkdtemp(dir=scratch_repo, prefix="ex"))
    written = []
    for name, content in layout.items():
        path = example / name
        parents = [example.joinpath(*name.split("/")[:i]) for i in range(1, name.count("/") + 1)]
        if path.exists() or any(p.is_file() for p in parents):
            continue  # this name needs a directory where a file already is, or the reverse
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(name)
    git(scratch_repo, "add", "-A", example.name)
    assert tree_id(example, sorted(written)) == git(scratch_repo, "write-tree", f"--prefix={example.name}/")
