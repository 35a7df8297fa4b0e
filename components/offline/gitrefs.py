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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from .diff import RenderError
from .stackfile import available_stacks


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


def _knows_previous(tree: Path) -> bool:
    """Whether the tree's render command takes ``--previous`` (refs older than revision tracking do not)."""
    cli = tree / "components" / "offline" / "__main__.py"
    return cli.is_file() and '"--previous"' in cli.read_text(encoding="utf-8")


def _render_commands(tree: Path, projects: Sequence[str], out: Path, stacks: Sequence[str] | None,
                     previous: Path | None = None) -> list[tuple[str, list[str]]]:
    """One ``render`` command per project found in ``tree``, each writing ``out/<project name>/<stack>``.

    ``previous`` is the output root of the side rendered before (the base):
    each project renders as the update after that side's render of it.

    ``stacks`` limits the render to those stacks of each project that has them.
    A project the tree does not have (a pull request that adds one) renders
    nothing; its stacks then show as new.
    """
    commands = []
    for project in projects:
        project_dir = (tree / project).resolve()
        project_file = project_dir / "Pulumi.yaml"
        if not project_file.is_file():
            continue
        name = str((yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}).get("name") or project_dir.name)
        selected = [s for s in available_stacks(project_dir) if stacks is None or s in stacks]
        if not selected:
            continue
        if stacks is None:  # every stack: the form every version of this command understands
            which, target = ["--all"], out / name
        else:
            which = [f"--stack={s}" for s in selected]
            target = out / name / selected[0] if len(selected) == 1 else out / name
        after: list[str] = []
        if previous is not None and _knows_previous(tree):
            earlier = previous / target.relative_to(out)
            after = ["--previous", str(earlier)] if earlier.is_dir() else []
        commands.append((project, ["-m", "components.offline", "render", *which, "--project", str(project_dir),
                                   "--out", str(target), *after]))
    return commands


def render_refs(repo: Path, sides: Sequence[tuple[str | None, Path]], projects: Sequence[str],
                stacks: Sequence[str] | None = None, python: str = sys.executable) -> None:
    """Render each ``(ref, out)`` of ``repo`` (ref None: the working tree as it is), one side after the other.

    Every project of every ref renders in its own process, with ``PYTHONPATH``
    set to that ref's tree so it imports that ref's ``components``; the
    projects of one side run side by side (most of each one's time is
    importing the Pulumi SDKs, which parallelises well). Each side after the
    first renders as the update that follows the side before it (``render
    --previous``): the head of a review is judged against what the base
    deployed, as ``pulumi up`` judges it against the last update.
    """
    with tempfile.TemporaryDirectory(prefix="offline-review-") as tmp:
        previous: Path | None = None
        for i, (ref, out) in enumerate(sides):
            tree = repo.resolve() if ref is None else export_ref(repo, ref, Path(tmp) / f"tree-{i}")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(tree)}
            jobs = [(ref, project, tree, env, args)
                    for project, args in _render_commands(tree, projects, out, stacks, previous)]
            _run_all(jobs, python)
            previous = out


def _run_all(jobs: Sequence[tuple[str | None, str, Path, dict[str, str], list[str]]], python: str) -> None:
    """Run the render commands of one side in parallel; fail with the first one's error."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        results = list(pool.map(
            lambda job: subprocess.run([python, *job[4]], cwd=job[2], env=job[3], capture_output=True,
                                       text=True, check=False),
            jobs,
        ))
    for (ref, project, *_rest), result in zip(jobs, results, strict=True):
        if result.returncode != 0:
            where = f"project {project} at {ref}" if ref else f"project {project} in the working tree"
            raise RenderError(f"rendering {where} failed:\n{result.stderr.strip()}")
