"""The command line under hostile names and paths: nothing is written or deleted outside the tool's own output.

A stack file's name, ``--stack``, ``--out``, ``--keep-renders`` and ``--base-ref``
come from a user or, in a review, from a pull request. Each reaches git or the
filesystem only checked: stack names are Pulumi's, refs are resolved to a
commit first, and a directory is only ever replaced when this tool marked it as
its own output.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from knative_platform.offline.__main__ import main
from knative_platform.offline.outdir import OWNED, OutputError, replace_dir, write_files


def tiny_project(root: Path, *stacks: str) -> Path:
    """A project whose program exports one value: renders in a second."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: tiny\nruntime: python\nstackConfigDir: stacks\n")
    (root / "__main__.py").write_text("import pulumi\n\npulumi.export('greeting', 'hello')\n")
    (root / "stacks").mkdir(exist_ok=True)
    for stack in stacks:
        (root / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    return root


def sentinel(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "keep-me.txt"
    path.write_text("mine")
    return path


# -- item 5: render deletes outside its output ------------------------------------------------------


def test_a_stack_named_dot_dot_is_refused_and_build_survives_two_renders(tmp_path, capsys):
    project = tiny_project(tmp_path / "p", "dev", "..")
    keep = sentinel(project / "build")
    for _ in range(2):
        assert main(["render", "--stack", "..", "--project", str(project)]) == 2
        assert "no stack '..'" in capsys.readouterr().err
    assert keep.read_text() == "mine"


def test_render_all_refuses_a_stack_file_whose_name_pulumi_would_not_accept(tmp_path, capsys):
    project = tiny_project(tmp_path / "p", "dev", "..")
    keep = sentinel(tmp_path / "X")
    for _ in range(2):
        assert main(["render", "--all", "--project", str(project), "--out", str(tmp_path / "X" / "all")]) == 2
        err = capsys.readouterr().err
        assert "Pulumi....yaml" in err and "not a stack name" in err
    assert keep.read_text() == "mine"


@pytest.mark.parametrize("stack", ["../../x", "/etc", "a/b", ".", "a b", "x" * 101, "--all", ""])
def test_a_stack_name_outside_pulumis_rule_is_no_stack(tmp_path, capsys, stack):
    project = tiny_project(tmp_path / "p", "dev")
    assert main(["render", f"--stack={stack}", "--project", str(project), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no stack" in err and len(err) < 400
    assert not (tmp_path / "o").exists()


def test_render_replaces_only_a_directory_it_marked_as_its_own(tmp_path, capsys):
    project = tiny_project(tmp_path / "p", "dev")
    out = tmp_path / "out"
    assert main(["render", "--stack", "dev", "--project", str(project), "--out", str(out)]) == 0
    assert (out / OWNED).is_file() and (out / "stack.yaml").is_file()
    (out / "stale.yaml").write_text("from the last render")
    assert main(["render", "--stack", "dev", "--project", str(project), "--out", str(out)]) == 0
    assert not (out / "stale.yaml").exists()  # its own output: replaced whole
    capsys.readouterr()
    # a directory that looks like a render (stack.yaml) but was not marked by the tool is left alone
    other = tmp_path / "other"
    keep = sentinel(other)
    (other / "stack.yaml").write_text("stack: dev\n")
    assert main(["render", "--stack", "dev", "--project", str(project), "--out", str(other)]) == 2
    assert "not this tool's output" in capsys.readouterr().err
    assert keep.read_text() == "mine"


def test_render_never_replaces_the_directory_it_runs_in_or_the_project(tmp_path, capsys, monkeypatch):
    project = tiny_project(tmp_path / "p", "dev")
    monkeypatch.chdir(project)
    for out in (".", str(project), str(tmp_path)):
        assert main(["render", "--stack", "dev", "--out", out]) == 2
        assert "not this tool's output" in capsys.readouterr().err
    assert (project / "Pulumi.yaml").is_file()


def test_no_file_is_written_outside_the_output(tmp_path):
    out = tmp_path / "out"
    for name in ("../escaped.yaml", "/abs.yaml", "kubernetes/../../escaped.yaml", "a/./b.yaml", ""):
        with pytest.raises(OutputError):
            write_files({"stack.yaml": "x", name: "y"}, out)
        assert not (tmp_path / "escaped.yaml").exists()
        assert not out.exists()  # checked before anything is written


def test_a_marked_directory_replaced_through_a_symlink_is_the_marked_one(tmp_path):
    target = tmp_path / "target"
    replace_dir(target)
    (tmp_path / "link").symlink_to(target)
    assert replace_dir(tmp_path / "link") == target.resolve()
    unmarked = tmp_path / "unmarked"
    keep = sentinel(unmarked)
    (tmp_path / "link2").symlink_to(unmarked)
    with pytest.raises(OutputError):
        replace_dir(tmp_path / "link2")
    assert keep.read_text() == "mine"


def test_diff_keep_renders_replaces_only_its_own_base_and_head(tmp_path, capsys):
    keep = sentinel(tmp_path / "renders" / "base")
    assert main(["diff", "--base-ref", "HEAD", "--repo", str(ROOT), "--stack", "prod",
                 "--keep-renders", str(tmp_path / "renders"), "--detail", str(tmp_path / "d.md")]) == 2
    assert "not this tool's output" in capsys.readouterr().err
    assert keep.read_text() == "mine"


# -- item 6: option injection into git ----------------------------------------------------------------


def git_repo(path: Path) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    tiny_project(path, "dev")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "tiny"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, env=env)
    return path


@pytest.mark.parametrize("option", ["--base-ref", "--head-ref"])
def test_a_ref_that_is_a_git_option_writes_no_file_and_reaches_no_other_repository(tmp_path, capsys, option):
    repo, other = git_repo(tmp_path / "repo"), git_repo(tmp_path / "other")
    written = tmp_path / "written.tar"
    for ref in (f"--output={written}", f"--remote={other}", "--exec=touch /tmp/x", "-o/tmp/x"):
        refs = ["--base-ref", "HEAD", "--head-ref", ref] if option == "--head-ref" else ["--base-ref", ref]
        assert main(["diff", *[f"{a}={b}" for a, b in zip(refs[::2], refs[1::2], strict=True)], "--repo", str(repo),
                     "--detail", str(tmp_path / "d.md")]) == 2
        err = capsys.readouterr().err
        assert "is not a commit" in err and len(err) < 400
        assert not written.exists()


def test_a_ref_is_resolved_to_its_commit_before_git_sees_it(tmp_path):
    from knative_platform.offline.gitrefs import resolve_commit

    repo = git_repo(tmp_path / "repo")
    sha = resolve_commit(repo, "main")
    assert re.fullmatch(r"[0-9a-f]{40}", sha)
    assert resolve_commit(repo, "HEAD") == sha


# -- item 7: a refusal never echoes a whole value ----------------------------------------------------

TOKEN = "ya29.a0AfB_byC" + "Qx7Lm2Pz9Rt4Vw8Ys1" * 8


@pytest.mark.parametrize("tag", ["!!int", "!!float", "!!bool", "!!null"])
@pytest.mark.parametrize("value", ["z" * 100_000, TOKEN])
def test_a_refused_tagged_value_is_not_echoed_whole(tmp_path, capsys, tag, value):
    project = tiny_project(tmp_path / "p")
    (project / "stacks" / "Pulumi.dev.yaml").write_text(f"config:\n  tiny:ingress: {tag} '{value}'\n")
    assert main(["render", "--stack", "dev", "--project", str(project), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"is tagged {tag}" in err and "Pulumi.dev.yaml:2" in err
    assert len(err) < 400
    assert value[4:20] not in err  # nothing past the start a token shares with every other of its kind


@pytest.mark.parametrize("text", ["config:\n  tiny:{k}: 1\n  tiny:{k}: 2\n", "config:\n  {k}: 1\n",
                                  "config:\n  tiny:x: !{k} 1\n"])
def test_a_refused_key_or_tag_is_not_echoed_whole(tmp_path, capsys, text):
    project = tiny_project(tmp_path / "p")
    (project / "stacks" / "Pulumi.dev.yaml").write_text(text.format(k="k" * 50_000 + ":x:y" * ("{k}:" in text)))
    assert main(["render", "--stack", "dev", "--project", str(project), "--out", str(tmp_path / "o")]) == 2
    assert len(capsys.readouterr().err) < 600
