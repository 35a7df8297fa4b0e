"""The review model: what happens to each resource, field by field, and what a reviewer must see first."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BUNDLE_TYPES = ("kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:helm.sh/v4:Chart")
"""Provider-side components: their pinned source is what the render shows, so a change there is an upgrade."""


class _Absent:
    """A field that does not exist on one side of a change."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()



class Action(enum.StrEnum):
    """What happens to a resource, as ``pulumi preview`` would say it."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class FindingKind(enum.StrEnum):
    """The sections a reviewer reads first, in this order."""

    REFUSED = "refused"
    UNSEEN = "unseen"
    REPLACE = "replace"
    DELETE = "delete"
    SECURITY = "security"
    UPGRADE = "upgrade"
    SOURCE = "source"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; ``ABSENT`` on the side where it does not exist."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    """One resource that is created, updated, replaced or deleted, with the fields that differ."""

    stack: str
    key: str
    type: str
    display: str
    component: str
    action: Action
    fields: tuple[FieldChange, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """Something a reviewer must see before the per-field detail.

    ``stack`` and ``resource`` are untrusted text (they come from the renders);
    ``topic`` is the base code's; ``message`` is a sentence of the base code's
    that quotes untrusted values only in code spans
    (:func:`knative_platform.offline.markdown.code`). ``links`` are ``(label, URL)``
    pairs the base code checked (release notes of a known upstream project).
    """

    kind: FindingKind
    stack: str
    resource: str
    topic: str
    message: str
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StackDiff:
    """The changes of one stack; ``status`` is added, removed, changed or unchanged."""

    label: str
    status: str
    resource_count: int
    changes: tuple[ResourceChange, ...] = ()
    config: tuple[FieldChange, ...] = ()
    outputs: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Review:
    """Base versus head, stack by stack, with the findings that come first."""

    stacks: tuple[StackDiff, ...]
    findings: tuple[Finding, ...] = field(default=())

    def stack(self, label: str) -> StackDiff:
        """The diff of the stack labelled ``label``."""
        return next(s for s in self.stacks if s.label == label)

    @property
    def changed(self) -> bool:
        """Whether anything differs at all."""
        return any(s.status != "unchanged" for s in self.stacks)



def format_value(value: Any) -> str:
    """How a value is written in a review: JSON, so ``"8080"`` and ``8080`` stay apart; ``(absent)`` when missing."""
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def short_value(value: Any, limit: int = 120) -> str:
    """:func:`format_value`, cut to ``limit`` characters for one-line findings."""
    text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display(key: str, entry: Mapping[str, Any]) -> str:
    """``Service default/helloworld-go`` for Kubernetes objects, ``Cluster gke`` for the rest."""
    inputs = entry.get("inputs") or {}
    type_ = str(entry.get("type") or key.split("::", 1)[0])
    name = str(entry.get("name") or key.rsplit("::", 1)[-1])
    if isinstance(inputs, Mapping) and "kind" in inputs and isinstance(inputs.get("metadata"), Mapping):
        metadata = inputs["metadata"]
        object_name = metadata.get("name") or name
        namespace = metadata.get("namespace")
        return f"{inputs['kind']} {namespace}/{object_name}" if namespace else f"{inputs['kind']} {object_name}"
    if type_.startswith("pulumi:providers:"):
        return f"{type_.rsplit(':', 1)[-1]} provider {name}"
    return f"{type_.rsplit(':', 1)[-1]} {name}"

