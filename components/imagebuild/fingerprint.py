"""The source fingerprint: one hash of everything that decides what a source service's build produces.

``fingerprint = sha256(canonical JSON {scheme, tree, dockerfile, target, buildArgs, platform})``, where ``tree``
is the git tree id of the source directory's files. The same source gives the same fingerprint on any
machine: only relative names, contents and the executable bit count (no mtime, owner, umask or checkout
path), entries are sorted by git's rule, and the JSON is canonical (no hash seed enters).

Which files are the source:

- in a git checkout, the files git would commit from the directory: tracked files and untracked ones that
  no ``.gitignore`` excludes (``git ls-files --cached --others --exclude-standard``), **as they are in the
  working tree**. Uncommitted changes count: what is built is what is on disk, never a HEAD the working
  tree has moved away from (a build of a dirty tree under HEAD's fingerprint would be the first build of
  that fingerprint, and the first build wins). On a clean checkout the tree id is ``git rev-parse
  HEAD:<path>``, so CI and a developer agree;
- without git (an exported archive), every file below the directory (``.git`` entries aside). A clean
  checkout without ignored files gives the same fingerprint both ways.

The tree id is computed here from the files, in git's object format, not asked from git: that needs no
write to the repository's object store and also counts untracked files. git/git v2.55.0: an object is
hashed with the header ``<type> <size>`` NUL (``object-file.c`` ``format_object_header``); a tree entry is
``<mode> <name>`` NUL ``<20-byte id>``, sorted by name with a directory's name compared as if it ended in ``/``
(``tree.c`` ``base_name_compare``); a file's mode is 100755 when its owner may execute it, else 100644
(``object.h`` ``ce_permissions``), a symbolic link's 120000 with its target as the content.
Files ``.dockerignore`` excludes still count; that over-approximation only costs a rebuild. What a build
sends to the builder is exactly these files (:func:`stage`), so a fingerprint never names other files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..model.source.source import Source

SCHEME = "knative-platform/source-fingerprint/v1"
"""Changing what the fingerprint covers changes this name, so no old fingerprint is reused by mistake."""
CHUNK = 1 << 20


class SourceError(Exception):
    """The source directory cannot be fingerprinted (an unreadable file, git failing); the message says why."""


@dataclass(frozen=True)
class Fingerprint:
    """A source service's fingerprint and what it was computed from."""

    value: str
    """sha256 of the canonical JSON, 64 hex digits: the ``src-<value>`` tag and the ``images`` record."""
    tree: str
    """The git tree id (SHA-1 object format) of the source directory's files."""
    files: tuple[str, ...]
    """The files counted, relative to the source directory, ``/``-separated, sorted."""


def git_checkout(directory: Path) -> bool:
    """Whether ``directory`` is inside a git work tree: a ``.git`` repository (or ``gitdir:`` file) here or above.

    git's own discovery (git/git v2.55.0 ``setup.c`` ``is_git_directory``) wants ``HEAD``, ``objects/`` and
    ``refs/``; here a ``.git`` directory counts when it holds ``HEAD``, so an empty ``.git`` is no repository.
    """
    for parent in (directory, *directory.parents):
        marker = parent / ".git"
        if (marker / "HEAD").is_file():
            return True
        if marker.is_file():
            try:
                return marker.read_text(encoding="utf-8", errors="replace").startswith("gitdir:")
            except OSError:
                return True  # unreadable: let git say what is wrong
    return False


def _walk(directory: Path, prefix: str = "") -> list[str]:
    """Every file and symbolic link below ``directory``, without ``.git`` entries, ``/``-separated."""
    found = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        rel = Path(root).relative_to(directory).as_posix()
        base = "" if rel == "." else f"{rel}/"
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]  # a link to a directory is a link
        dirs[:] = sorted(d for d in dirs if d != ".git" and d not in links)
        found += [f"{prefix}{base}{name}" for name in (*files, *links) if name != ".git"]
    return found


def _git_files(directory: Path) -> list[str]:
    """The files git would commit from ``directory``: tracked, plus untracked and not ignored."""
    command = ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]
    try:
        result = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError(f"{directory} is in a git checkout but git is not installed; install git, which "
                          "decides which files are the source (.gitignore)") from None
    if result.returncode != 0:
        raise SourceError(f"git ls-files failed in {directory}: {result.stderr.decode(errors='replace').strip()}")
    found: list[str] = []
    for raw in dict.fromkeys(result.stdout.split(b"\0")):  # a conflicted path is listed once per stage
        if not raw:
            continue
        name = os.fsdecode(raw.rstrip(b"/"))
        path = directory / name
        if path.is_dir() and not path.is_symlink():  # a nested repository or a submodule: all its files
            found += _walk(path, f"{name}/")
        elif os.path.lexists(path):  # a tracked file deleted in the working tree is not source
            found.append(name)
    return found


def list_files(directory: Path) -> tuple[str, ...]:
    """The source's files, relative to ``directory``: git's choice in a checkout, else every file."""
    files = _git_files(directory) if git_checkout(directory.resolve()) else _walk(directory)
    return tuple(sorted(set(files)))


def _mode(info: os.stat_result, path: Path) -> bytes:
    if stat.S_ISLNK(info.st_mode):
        return b"120000"
    if stat.S_ISREG(info.st_mode):
        return b"100755" if info.st_mode & stat.S_IXUSR else b"100644"
    raise SourceError(f"{path} is neither a file nor a symbolic link (a socket or a pipe?); remove it from the "
                      "source directory, or ignore it in .gitignore")


def _blob_id(path: Path, info: os.stat_result) -> bytes:
    """The git blob id of a file's content (or a link's target)."""
    if stat.S_ISLNK(info.st_mode):
        content = os.readlink(os.fsencode(path))
        return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).digest()
    digest = hashlib.sha1(b"blob %d\0" % info.st_size, usedforsecurity=False)
    read = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                read += len(chunk)
                digest.update(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from None
    if read != info.st_size:
        raise SourceError(f"{path} changed while it was read; run the build again")
    return digest.digest()


def tree_id(directory: Path, files: Iterable[str]) -> str:
    """The git tree id of ``files`` (relative to ``directory``), as ``git write-tree`` would give it."""
    root: dict[bytes, object] = {}
    for name in files:
        *parents, leaf = os.fsencode(name).split(b"/")
        node = root
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        path = directory / name
        try:
            info = path.lstat()
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from None
        node[leaf] = (_mode(info, path), _blob_id(path, info))
    return _tree(root).hex()


def _tree(node: dict[bytes, object]) -> bytes:
    """A tree object's id; git orders entries by name, a directory's name as if it ended in '/'."""
    entries = []
    for name, child in node.items():
        if isinstance(child, dict):
            entries.append((name + b"/", b"40000 " + name + b"\0" + _tree(child)))
        else:
            mode, blob = cast(tuple[bytes, bytes], child)
            entries.append((name, mode + b" " + name + b"\0" + blob))
    body = b"".join(entry for _key, entry in sorted(entries))
    return hashlib.sha1(b"tree %d\0" % len(body) + body, usedforsecurity=False).digest()


def fingerprint_of(source: Source, tree: str) -> str:
    """The fingerprint of ``source``'s build settings over the tree ``tree``."""
    document = {"scheme": SCHEME, "tree": tree, "dockerfile": source.dockerfile, "target": source.target,
                "buildArgs": dict(sorted(source.build_args.items())), "platform": source.platform.value}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def fingerprint(source: Source, directory: Path, files: tuple[str, ...] | None = None) -> Fingerprint:
    """The fingerprint of ``source`` whose directory is ``directory`` (``<project>/<source.path>``).

    ``files`` defaults to :func:`list_files`; pass the list of a staged copy (:func:`stage`) to fingerprint
    exactly what a build sends. Raises SourceError when the Dockerfile is not among the files (ignored by git).
    """
    files = list_files(directory) if files is None else files
    if source.dockerfile not in files:
        raise SourceError(f"{directory / source.dockerfile} is not part of the source: git ignores it "
                          "(.gitignore); stop ignoring it, so the fingerprint covers the Dockerfile")
    tree = tree_id(directory, files)
    return Fingerprint(value=fingerprint_of(source, tree), tree=tree, files=files)


def stage(directory: Path, files: Iterable[str], destination: Path) -> None:
    """Copy ``files`` of ``directory`` to ``destination`` (empty), with their executable bit and links as links.

    The copy is the build context: the builder sees these files and nothing else (nothing ignored by git,
    no ``.git``), and the fingerprint is computed from the copy, so it names what was built.
    """
    for name in files:
        source, target = directory / name, destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
            continue
        try:
            shutil.copyfile(source, target, follow_symlinks=False)
            executable = source.stat().st_mode & stat.S_IXUSR
        except OSError as exc:
            raise SourceError(f"cannot copy {source}: {exc.strerror}") from None
        target.chmod(0o755 if executable else 0o644)
