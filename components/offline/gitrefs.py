"""Render the stacks of a git ref with that ref's own code, for a diff of two refs.

Each ref is exported with ``git archive`` into a temporary directory and
rendered there in a subprocess whose ``PYTHONPATH`` is that directory, so the
base of a pull request is rendered by the base's code and the head by
the head's: a change to a renderer shows up as the change it makes to the
objects.

In an app repository (no ``components`` folder of the platform's own) each ref renders
with the platform release *it* pins: the ``knative-platform`` line of the
project's ``requirements.txt`` at that ref is installed (``pip install
--no-deps --target``) into a directory of its own that leads that render's
``PYTHONPATH``, so a pull request that bumps the platform shows what the bump
changes. Without such a line the environment's installed package renders both.
Everything else (the Pulumi SDKs) comes from the Python environment running the
diff; a pull request that bumps an SDK therefore renders its base with the new
SDK too, which is what ``pulumi preview`` would do after the merge.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from ..model.core.errors import shorten, show
from .renders import RenderError
from .stackfile import available_stacks, project_name

OFFLINE = "knative_platform.offline"
"""The render command: of the ref's own tree in the platform repository, where the tree's ``knative_platform`` link
(at its root, the render's working directory) comes first on ``sys.path``; of the installed package in an app
repository."""
COMPONENTS_OFFLINE = "components.offline"
"""The render command of a platform tree from before the ``knative_platform`` link, which imported its
``components`` folder by that name."""


def _git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if result.returncode != 0:
        error = result.stderr.decode(errors="replace").strip()
        raise RenderError(f"git {shorten(' '.join(args))} failed: {shorten(error, 1000)}")
    return result.stdout


_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit ``ref`` names, as its full SHA; a :class:`RenderError` when it names none.

    ``git rev-parse --verify --end-of-options <ref>^{commit}`` (git 2.24+):
    after ``--end-of-options`` a ref that reads as an option (``--output=…``,
    ``--remote=…``) is only ever a name to look up, and every later git command
    gets the SHA, which cannot be read as an option.
    """
    result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options",
                             f"{ref}^{{commit}}"], capture_output=True, check=False)
    sha = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not _SHA.match(sha):
        raise RenderError(f"{show(ref, 60)} is not a commit of the repository {shorten(str(repo))}: give a branch, "
                          "tag or commit (origin/main, HEAD~1)")
    return sha


def describe_ref(repo: Path, ref: str | None) -> str:
    """``origin/main (1a2b3c4)`` for a ref, ``the working tree`` for None."""
    if ref is None:
        return "the working tree"
    sha = resolve_commit(repo, ref)
    return f"{shorten(ref, 60)} ({sha[:7]})" if not sha.startswith(ref) else sha[:7]


def export_ref(repo: Path, ref: str, destination: Path) -> Path:
    """The files of ``ref`` (committed content only) under ``destination``.

    The archive is extracted with tarfile's ``data`` filter (no absolute
    paths, no ``..``, no links out of ``destination``): a pull request chooses
    what its commit holds.
    """
    archive = _git(repo, "archive", "--format=tar", resolve_commit(repo, ref))
    if not hasattr(tarfile, "data_filter"):
        raise RenderError("exporting a git ref needs Python 3.11.4 or newer (tarfile's data filter)")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        tar.extractall(destination, filter="data")
    return destination


def _knows_previous(tree: Path) -> bool:
    """Whether the tree's render command takes ``--previous`` (refs older than revision tracking do not)."""
    cli = tree / "components" / "offline" / "__main__.py"
    return cli.is_file() and '"--previous"' in cli.read_text(encoding="utf-8")


def _offline_module(tree: Path) -> str:
    """The module that renders with ``tree``'s own code."""
    return OFFLINE if (tree / "knative_platform" / "__init__.py").is_file() else COMPONENTS_OFFLINE


def _render_commands(tree: Path, projects: Sequence[str], out: Path, stacks: Sequence[str] | None,
                     previous: Path | None = None, module: str = OFFLINE) -> list[tuple[str, list[str]]]:
    """One ``render`` command per project found in ``tree``, each writing ``out/<project name>/<stack>``.

    ``previous`` is the output root of the side rendered before (the base):
    each project renders as the update after that side's render of it, when
    the tree's own render command knows ``--previous``.

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
        doc = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
        name = project_name(doc, project_dir) or project_dir.name
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
            after = [f"--previous={earlier}"] if earlier.is_dir() else []
        # every value joined to its option: a path or name that starts with '-' is never read as an option
        commands.append((project, ["-m", module, "render", *which, f"--project={project_dir}", f"--out={target}",
                                   *after]))
    return commands


PLATFORM_REQUIREMENT = re.compile(r"^knative[-_.]platform(?![\w.-])", re.IGNORECASE)
"""The platform package's line in an app project's requirements.txt (a version, a URL, a path)."""


def platform_requirement(project_dir: Path) -> str | None:
    """The line of ``project_dir/requirements.txt`` that pins the platform package, without its comment."""
    path = project_dir / "requirements.txt"
    if not path.is_file():
        return None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        if PLATFORM_REQUIREMENT.match(line):
            return line
    return None


def _install_platform(requirement: str, project_dir: Path, target: Path, python: str) -> None:
    """``pip install --no-deps --target target requirement``, from the project's directory (relative paths)."""
    result = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                             "--target", str(target), requirement], cwd=project_dir, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RenderError(f"installing {requirement!r} (from {project_dir / 'requirements.txt'}) failed:\n"
                          f"{result.stderr.strip()}")


_Job = tuple[str | None, str, Path, dict[str, str], list[str], tuple[str, Path, Path] | None]
"""ref, project, tree, environment, render arguments, and (requirement, project dir, target) to install first."""


def _where(ref: str | None, project: str) -> str:
    return f"project {project} at {ref}" if ref else f"project {project} in the working tree"


def render_refs(repo: Path, sides: Sequence[tuple[str | None, Path]], projects: Sequence[str],
                stacks: Sequence[str] | None = None, python: str = sys.executable,
                progress: Callable[[str], None] | None = None) -> None:
    """Render each ``(ref, out)`` of ``repo`` (ref None: the working tree as it is), one side after the other.

    Every project of every ref renders in its own process, with ``PYTHONPATH``
    set to that ref's tree so it imports that ref's own code; the
    projects of one side run side by side (most of each one's time is
    importing the Pulumi SDKs, which parallelises well). Each side after the
    first renders as the update that follows the side before it (``render
    --previous``): the head of a review is judged against what the base
    deployed, as ``pulumi up`` judges it against the last update. ``progress``
    gets one line per project and ref as it finishes, with its elapsed time.
    Each ``out`` exists afterwards, empty when that ref has none of the projects.
    """
    started = time.monotonic()

    def run(job: _Job) -> subprocess.CompletedProcess[str]:
        ref, project, tree, env, args, platform = job
        if platform is not None:
            _install_platform(*platform, python)
        result = subprocess.run([python, *args], cwd=tree, env=env, capture_output=True, text=True, check=False)
        if progress is not None:
            state = "rendered" if result.returncode == 0 else "failed to render"
            with_platform = f" with {platform[0]}" if platform else ""
            progress(f"{state} {_where(ref, project)}{with_platform} ({time.monotonic() - started:.1f} s)")
        return result

    with tempfile.TemporaryDirectory(prefix="offline-review-") as tmp:
        previous: Path | None = None
        for i, (ref, out) in enumerate(sides):
            out.mkdir(parents=True, exist_ok=True)
            # The export keeps the repository's directory name: a template project (``name: ${PROJECT}``)
            # is named after its directory, and both refs must name it alike.
            export = Path(tmp) / f"tree-{i}" / repo.resolve().name
            tree = repo.resolve() if ref is None else export_ref(repo, ref, export)
            own_code = (tree / "components" / "__init__.py").is_file()
            jobs: list[_Job] = []
            module = _offline_module(tree) if own_code else OFFLINE
            # An app project rendered with an installed platform package is not judged against a base.
            for project, args in _render_commands(tree, projects, out, stacks, previous if own_code else None,
                                                  module):
                project_dir = (tree / project).resolve()
                requirement = None if own_code else platform_requirement(project_dir)
                path, platform = str(tree), None
                if requirement is not None:
                    digest = hashlib.sha256(f"{i}\0{project}\0{requirement}".encode()).hexdigest()[:12]
                    target = Path(tmp) / f"platform-{digest}"
                    platform, path = (requirement, project_dir, target), f"{target}{os.pathsep}{tree}"
                env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": path}
                jobs.append((ref, project, tree, env, args, platform))
            if progress is not None:
                progress(f"rendering {len(jobs)} project(s) of {ref or 'the working tree'}")
            if jobs:
                with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
                    results = list(pool.map(run, jobs))
                for (job_ref, project, *_rest), result in zip(jobs, results, strict=True):
                    if result.returncode != 0:
                        raise RenderError(f"rendering {_where(job_ref, project)} failed:\n{result.stderr.strip()}")
            previous = out
