"""Where a service's image is built from: its source directory, Dockerfile and build settings.

A service declares exactly one of ``image`` (a prebuilt image) and ``source``
(this module). The image of a source service is built *before* ``pulumi up``
by ``knative-platform build`` (:mod:`knative_platform.imagebuild`), never inside the
Pulumi program: a build in the program breaks ``up --plan`` and turns previews
into builds (research/source-and-eventing.md, §A3). The build pushes the image
under the immutable tag ``src-<fingerprint>`` and records its digest in the
stack's ``images`` key (:mod:`knative_platform.model.source.registry`).

Two kinds of rules, both with the config path and the fix:

- :func:`source_problems` checks what the stack file says (pure): a relative
  path with no ``..``, a Dockerfile path inside it, a well-formed stage name and
  build-argument names, a closed set of platforms;
- :func:`source_location_problems` checks the checkout: the directory exists
  inside the project, the Dockerfile exists inside the directory, and the
  directory holds none of the files the build itself writes (the stack files).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import show

Add = Callable[[str, str], None]
"""``add(key, message)``: record a problem at ``key`` below the caller's path."""

MAX_PATH = 1024
"""The longest ``path`` or ``dockerfile`` taken: far beyond any project layout, far below PATH_MAX (4096)."""
MAX_BUILD_ARGS = 64
MAX_BUILD_ARG_NAME = 128
MAX_TARGET = 128
BUILD_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Build arguments are named like environment variables (a Dockerfile reads them as ``$NAME``)."""
STAGE_NAME = re.compile(r"^[a-z][a-z0-9-_.]*$")
"""moby/buildkit v0.32.2 ``frontend/dockerfile/instructions/parse.go`` ``validStageName``. BuildKit lower-cases
a stage name before checking it (``parseBuildStageName``); this project asks for the lower-case spelling
itself, so the ``target`` in the stack file is the name the build uses."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BuildPlatform(enum.StrEnum):
    """The OS/architecture of the image: one platform per build, so one build is one digest.

    GKE's default node pools run ``linux/amd64``; ``linux/arm64`` is for Arm node
    pools (T2A, C4A). A multi-platform image index is left out on purpose: it
    would make the fingerprint name several digests.
    """

    LINUX_AMD64 = "linux/amd64"
    LINUX_ARM64 = "linux/arm64"


@dataclass(frozen=True, kw_only=True)
class Source:
    """A service built from a directory of this project with its Dockerfile, before ``pulumi up``.

    ``path`` is relative to the project directory (where ``Pulumi.yaml`` is)
    and is the build context; ``dockerfile`` is relative to ``path``, so the
    source fingerprint covers it. Build arguments are not secrets: they are in
    the stack file and in the image's history.
    """

    path: str
    """The build context: a directory of the project, relative to it (``apps/hello``)."""
    dockerfile: str = "Dockerfile"
    """The Dockerfile, relative to ``path``."""
    target: str | None = None
    """The Dockerfile stage to build (``--target``); the last stage when unset."""
    build_args: Mapping[str, str] = field(default_factory=dict)
    """``--build-arg NAME=value`` for each entry; not secrets (they stay in the image's history)."""
    platform: BuildPlatform = BuildPlatform.LINUX_AMD64
    """The image's OS/architecture; GKE's default nodes are linux/amd64."""


def relative_path_problem(value: str, what: str) -> str | None:
    """Why ``value`` is not a plain relative path below its base (``apps/hello``), or None."""
    if not value:
        return f"{what} is empty; name a directory of the project, for example apps/hello"
    if len(value) > MAX_PATH:
        return f"{what} is {len(value)} characters, must be at most {MAX_PATH}"
    if _CONTROL.search(value):
        return f"{what} {show(value)} contains a control character; remove it"
    if "\\" in value:
        return f"{what} {show(value)} contains '\\'; separate directories with '/'"
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        return f"{what} {show(value)} is absolute; write it relative to the project directory"
    parts = value.split("/")
    if ".." in parts:
        return f"{what} {show(value)} climbs out with '..'; the source must stay inside the project directory"
    if any(part in ("", ".") for part in parts):
        plain = "/".join(p for p in parts if p not in ("", ".")) or "apps/<name>"
        return f"{what} {show(value)} has an empty or '.' segment; write it as {plain}"
    return None


def source_problems(source: Source, add: Add) -> None:
    """What the stack file says wrong in ``source`` (keys are relative to the ``source`` key)."""
    if source.path in (".", "./"):
        add("source.path", "is the project directory itself, which holds the stack files the build writes "
                           "(knative-platform:images); put the app in a directory of its own, for example "
                           "apps/<name>")
    else:
        problem = relative_path_problem(source.path, "path")
        if problem:
            add("source.path", problem)
    problem = relative_path_problem(source.dockerfile, "dockerfile")
    if problem:
        add("source.dockerfile", problem + " (it is relative to source.path)")
    if source.target is not None:
        if len(source.target) > MAX_TARGET:
            add("source.target", f"is {len(source.target)} characters, must be at most {MAX_TARGET}")
        elif not STAGE_NAME.match(source.target):
            add("source.target", f"{show(source.target)} is not a Dockerfile stage name: lower-case letters, digits, "
                                 "'-', '_' and '.', starting with a letter (FROM ... AS <name>)")
    if len(source.build_args) > MAX_BUILD_ARGS:
        add("source.buildArgs", f"has {len(source.build_args)} entries, must have at most {MAX_BUILD_ARGS}")
    for name in source.build_args:
        if len(name) > MAX_BUILD_ARG_NAME or not BUILD_ARG_NAME.match(name):
            add(f"source.buildArgs.{name}", "is not a build-argument name: letters, digits and '_', not starting "
                                            f"with a digit, at most {MAX_BUILD_ARG_NAME} characters")


def source_location_problems(source: Source, root: Path, add: Add, reserved: Iterable[Path] = ()) -> None:
    """What the checkout at ``root`` (the project directory) says wrong in ``source``.

    Call it only when :func:`source_problems` found nothing. ``reserved`` are
    paths the build writes (the stack-config directory): the source must not
    hold them, or recording a build would change the source it was built from.
    """
    base = root.resolve()
    directory = (root / source.path).resolve()
    if not directory.is_relative_to(base):
        add("source.path", f"'{source.path}' resolves to {directory}, outside the project directory {base} "
                           "(a symbolic link?); the source must be inside the project")
        return
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        add("source.path", f"'{source.path}' {what} in the project directory {base}; create it or fix the path")
        return
    for path in reserved:
        if path.resolve().is_relative_to(directory):
            add("source.path", f"'{source.path}' holds {path.resolve().relative_to(base)}, which the build writes "
                               "(knative-platform:images); put the app in a directory of its own, for example "
                               "apps/<name>")
    dockerfile = (directory / source.dockerfile).resolve()
    if not dockerfile.is_relative_to(directory):
        add("source.dockerfile", f"'{source.dockerfile}' resolves outside {source.path} (a symbolic link?); the "
                                 "Dockerfile must be inside the source, so the fingerprint covers it")
    elif not dockerfile.is_file():
        add("source.dockerfile", f"{source.path}/{source.dockerfile} does not exist; add it, or name the Dockerfile "
                                 "with source.dockerfile (relative to source.path)")
