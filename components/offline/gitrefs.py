"""Render the stacks of a git ref with that ref's own code, for a diff of two refs.

Each ref is exported with ``git archive`` into a temporary directory and
rendered there in a subprocess whose ``PYTHONPATH`` is that directory, so the
base of a pull request is rendered by the base's ``components`` and the head by
the head's: a change to a renderer shows up as the change it makes to the
objects. Both sides use the Python environment running the diff (its Pulumi
SDKs); a pull request that bumps an SDK therefore renders its base with the new
SDK too, which is what ``pulumi preview`` would do after the merge.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from .diff import RenderError


def _git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise RenderError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def describe_ref(repo: Path, ref: str | None) -> str:
    """``origin/main (1a2b3c4)`` for a ref, ``the working tree`` for None."""
    if ref is None:
        return "the working tree"
    sha = _git(repo, "rev-parse", "--short", f"{ref}^{{commit}}").decode().strip()
    return f"{ref} ({sha})" if not sha.startswith(ref) else sha


def export_ref(repo: Path, ref: str, destination: Path) -> Path:
    """The files of ``ref`` (committed content only) under ``destination``."""
    archive = _git(repo, "archive", "--format=tar", f"{ref}^{{commit}}")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(destination, filter="data")
        else:  # Python < 3.11.4: git archive output holds only the repository's own files
            tar.extractall(destination)
    return destination


def render_tree(tree: Path, projects: Sequence[str], out: Path, python: str = sys.executable) -> None:
    """Render every stack of each project found in ``tree`` into ``out/<project name>/<stack>``.

    A project the tree does not have (a pull request that adds one) renders
    nothing; its stacks then show as new.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    for project in projects:
        project_dir = (tree / project).resolve()
        project_file = project_dir / "Pulumi.yaml"
        if not project_file.is_file():
            continue
        name = str((yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}).get("name") or project_dir.name)
        result = subprocess.run(
            [python, "-m", "components.offline", "render", "--all", "--project", str(project_dir),
             "--out", str(out / name)],
            cwd=tree, env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RenderError(f"rendering project {project} failed:\n{result.stderr.strip()}")


def render_ref(repo: Path, ref: str | None, projects: Sequence[str], out: Path) -> None:
    """Render ``ref`` of ``repo`` (None: the working tree as it is) into ``out``."""
    if ref is None:
        render_tree(repo.resolve(), projects, out)
        return
    with tempfile.TemporaryDirectory(prefix="offline-review-") as tmp:
        render_tree(export_ref(repo, ref, Path(tmp) / "tree"), projects, out)
