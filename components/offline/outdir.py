"""The directories the offline tools write: only ever their own.

``render --out DIR`` replaces DIR with the new render, and ``diff
--keep-renders DIR`` replaces ``DIR/base`` and ``DIR/head``. Replacing means
deleting first, so a directory is replaced only when this tool marked it as its
own output (a file :data:`OWNED` it writes into every directory it creates);
anything else (a directory that merely looks like a render, the project, the
working directory, a path a typo or a hostile stack name pointed at) is refused
before anything is deleted. Paths are resolved first (``a/..``, symlinks), and
every file is checked to land inside the directory before the first is written.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ..model.core.errors import shorten

OWNED = ".knative-platform-output"
"""The marker file: its directory was made by this tool and is replaced whole by its next run."""
_NOTE = "Made by knative-platform (render, diff --keep-renders); replaced whole by its next run.\n"


class OutputError(Exception):
    """An output path the tool will not write or delete; the message says which and what to do."""


def replace_dir(directory: Path) -> Path:
    """``directory`` resolved, emptied and marked as this tool's output; refuses one the tool did not mark.

    A missing or empty directory is made and marked. An existing one is
    deleted only when it holds :data:`OWNED` (a directory the tool made), and
    never when it is the working directory or one of its parents.
    """
    resolved = directory.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise OutputError(f"{shorten(str(directory))} is a file, not an output directory; choose another")
    if resolved.is_dir() and any(resolved.iterdir()):
        if not (resolved / OWNED).is_file() or Path.cwd().resolve().is_relative_to(resolved):
            raise OutputError(f"{shorten(str(directory))} exists and is not this tool's output (no {OWNED} in it, "
                              "which every directory it writes gets); it is left as it is: choose another, or "
                              "delete it yourself")
        shutil.rmtree(resolved)
    resolved.mkdir(parents=True, exist_ok=True)
    (resolved / OWNED).write_text(_NOTE, encoding="utf-8")
    return resolved


def checked_paths(files: Mapping[str, str], directory: Path) -> dict[Path, str]:
    """Each relative POSIX path of ``files`` under ``directory``; :class:`OutputError` if one would leave it."""
    out: dict[Path, str] = {}
    root = directory.resolve()
    for rel, text in files.items():
        parts = PurePosixPath(rel).parts
        if not rel or rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")) \
                or not parts or rel == OWNED:
            raise OutputError(f"{shorten(repr(rel))} is not a plain relative path inside the output; nothing "
                              "was written")
        path = root.joinpath(*parts)
        if not path.resolve().is_relative_to(root):
            raise OutputError(f"{shorten(repr(rel))} leads outside {directory}; nothing was written")
        out[path] = text
    return out


def write_files(files: Mapping[str, str], directory: Path) -> Path:
    """Replace ``directory`` (:func:`replace_dir`) with ``files`` (relative path -> text); checked before writing."""
    checked_paths(files, directory)  # every path first: a bad one leaves the directory as it was
    root = replace_dir(directory)
    for path, text in checked_paths(files, root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_file(path: Path, text: str) -> Path:
    """Write one named output file (a summary, a detail); refuses a path that is a directory."""
    if path.is_dir():
        raise OutputError(f"{shorten(str(path))} is a directory; name the file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
