"""Read offline renders: a directory per stack with ``stack.yaml``, ``resources.yaml`` and maybe ``refused.yaml``.

:func:`load_renders` finds every stack below a directory (one render, or
``render --all`` output, or renders of several projects). A render may come
from a fork's pull request, so it is read as untrusted data: a safe loader,
every shape checked, and credentials redacted again (:mod:`.secrets`) so that a
render produced by an older tool or edited by hand cannot leak through a diff.
This module needs only PyYAML, so a diff runs wherever the renders are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..model.core.errors import shorten
from .esc import ENVIRONMENT_FILE
from .expansion import check_expansion
from .secrets import redact
from .stackyaml import marked

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: renders of every stack are read on each review."""


@dataclass(frozen=True)
class Render:
    """One stack's render, as the diff reads it."""

    label: str
    project: str
    stack: str
    config: Mapping[str, Any]
    outputs: Mapping[str, Any]
    resources: Mapping[str, Mapping[str, Any]]
    refused: tuple[tuple[str, str], ...] = ()
    """(config path, message) of each problem for which the program refused this update (``refused.yaml``)."""
    environment: Mapping[str, Any] | None = None
    """The ESC environments the stack imports, which the render could not open (``environment.yaml``)."""


class RenderError(Exception):
    """A directory that is not a render, or a render that cannot be read."""


MAX_RENDER_DEPTH = 100
"""How deep a render's values may nest: far past any object the platform writes (a dozen levels), and
shallow enough for the diff's recursive walks."""


def read_render_yaml(text: str, path: Path) -> Any:
    """The YAML document ``text`` of a render file, or a :class:`RenderError` naming ``path`` and the line.

    A fork writes the renders a review reads, so before anything is built from
    the parsed nodes, aliases are held to the bound the stack-file reader holds
    them to (yaml.v3's, :func:`knative_platform.offline.expansion.check_expansion`: a
    "billion laughs" file is refused in milliseconds), a recursive alias is
    refused, and nesting is bounded (:data:`MAX_RENDER_DEPTH`).
    """
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        check_expansion(node, MAX_RENDER_DEPTH)
        return loader.construct_document(node) or {}
    except yaml.MarkedYAMLError as exc:
        raise RenderError(marked(path, exc, note="cannot read the render: ")) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise RenderError(f"{path}: cannot read the render: {shorten(str(exc))}") from None
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"{path}: cannot read the render: {exc}") from None
    return read_render_yaml(text, path)


def load_render(directory: Path, label: str | None = None) -> Render:
    """Read one stack's render directory (``stack.yaml`` + ``resources.yaml``)."""
    stack_doc = _read_yaml(directory / "stack.yaml")
    resources = _read_yaml(directory / "resources.yaml") if (directory / "resources.yaml").is_file() else {}
    if not isinstance(stack_doc, Mapping) or not isinstance(resources, Mapping):
        raise RenderError(f"{directory}: stack.yaml and resources.yaml must be maps")
    for key in ("config", "outputs"):
        if not isinstance(stack_doc.get(key) or {}, Mapping):
            raise RenderError(f"{directory / 'stack.yaml'}: {key} must be a map; render the stack again")
    for key, entry in resources.items():
        shape = {"inputs": Mapping, "options": Mapping, "dependsOn": list}
        if not isinstance(entry, Mapping) or any(entry.get(f) is not None and not isinstance(entry[f], t)
                                                 for f, t in shape.items()):
            raise RenderError(f"{directory / 'resources.yaml'}: {str(key)[:200]} is not a resource entry (a map "
                              "with type, name, inputs ...); render the stack again")
    refused = _read_yaml(directory / "refused.yaml") if (directory / "refused.yaml").is_file() else []
    if not isinstance(refused, list) or not all(isinstance(r, Mapping) for r in refused):
        raise RenderError(f"{directory}: refused.yaml must be a list of {{path, message}}")
    return Render(
        label=label or str(stack_doc.get("stack") or directory.name),
        project=str(stack_doc.get("project") or ""),
        stack=str(stack_doc.get("stack") or directory.name),
        config=redact(dict(stack_doc.get("config") or {})),
        outputs=redact(dict(stack_doc.get("outputs") or {})),
        resources={str(k): dict(v) for k, v in resources.items()},
        refused=tuple((str(r.get("path")), str(r.get("message"))) for r in refused),
        environment=_environment(directory),
    )


def _environment(directory: Path) -> Mapping[str, Any] | None:
    """``environment.yaml`` of a render (:mod:`.esc`), or None when the stack imports no environment."""
    if not (directory / ENVIRONMENT_FILE).is_file():
        return None
    record = _read_yaml(directory / ENVIRONMENT_FILE)
    if not isinstance(record, Mapping):
        raise RenderError(f"{directory / ENVIRONMENT_FILE}: must be a map; render the stack again")
    return record


def load_renders(root: Path) -> dict[str, Render]:
    """Every render below ``root``, labelled by its directory relative to ``root`` (``root`` itself: its stack).

    A missing ``root`` holds no renders: the base of a pull request that adds
    a project has nothing to compare with.
    """
    if not root.exists():
        return {}
    if not root.is_dir():
        raise RenderError(f"{root} is not a directory of renders")
    renders: dict[str, Render] = {}
    for marker in sorted(root.rglob("stack.yaml")):
        directory = marker.parent
        label = None if directory == root else directory.relative_to(root).as_posix()
        render = load_render(directory, label)
        renders[render.label] = render
    return renders
