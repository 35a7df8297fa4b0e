"""Compare two offline renders: which resources are created, updated, replaced or deleted, field by field.

A render (see :mod:`components.offline.render`) is a directory per stack with
``stack.yaml`` and ``resources.yaml``, read by :mod:`components.offline.renders`.
:func:`compare` turns a base and a head into a
:class:`~components.offline.model.Review`: per stack, each changed resource with
its changed fields, plus the findings a reviewer must see first
(:mod:`components.offline.findings`: replacements, deletions,
security-relevant changes, updates Knative would refuse, upstream version
moves). :mod:`components.offline.report` writes it as markdown.

Secret values never reach a review: renders already carry ``[secret]`` for
every Pulumi secret, and the diff redacts again (:mod:`components.offline.secrets`)
so that a render produced by an older tool or edited by hand cannot leak
through a diff. This module needs only PyYAML, so a diff runs wherever the
renders are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..model.core.paths import flatten
from .esc import environment_finding
from .findings import findings_of, minor_skips, relaxations
from .markdown import code
from .model import (
    ABSENT,
    BUNDLE_TYPES,
    Action,
    FieldChange,
    Finding,
    FindingKind,
    ResourceChange,
    Review,
    StackDiff,
    display,
)
from .renders import Render, RenderError, load_render, load_renders
from .rules import replacement_reasons, stack_risk
from .secrets import redact

__all__ = ["ABSENT", "DEPENDS_ON", "Action", "FieldChange", "Finding", "FindingKind", "Render", "RenderError",
           "ResourceChange", "Review", "StackDiff", "compare", "flatten", "load_render", "load_renders", "redact"]

KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
DEPENDS_ON = "(dependsOn) "
"""Prefix of the fields that stand for one dependency each (their value is always ``true``)."""


def _entry_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A resources.yaml entry as flat fields: inputs by their own path, Pulumi's settings in parentheses."""
    inputs = entry.get("inputs") or {}
    kind = inputs.get("kind") if isinstance(inputs, Mapping) else None
    fields = flatten(redact(inputs, kind if isinstance(kind, str) else None)) if inputs else {}
    fields.pop("", None)
    for key in ("parent", "provider"):
        if entry.get(key) is not None:
            fields[f"({key})"] = entry[key]
    for dep in entry.get("dependsOn") or ():  # a set: one field per dependency, so a new one is one line
        fields[f"{DEPENDS_ON}{dep}"] = True
    for name, value in sorted((entry.get("options") or {}).items()):
        for path, leaf in flatten(value, "").items():
            fields[f"(options) {name}{path if path.startswith('[') else ('.' + path if path else '')}"] = leaf
    return fields


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    paths = sorted(set(before) | set(after), key=_path_order)
    return tuple(FieldChange(p, before.get(p, ABSENT), after.get(p, ABSENT)) for p in paths
                 if before.get(p, ABSENT) != after.get(p, ABSENT))


def _path_order(path: str) -> tuple[Any, ...]:
    """Inputs before Pulumi's settings; list indexes in numeric order (traffic[2] before traffic[10])."""
    parts = re.split(r"([0-9]+)", path)
    # digits compare as numbers by their length, then their text: no int() of a fork's 5,000-digit index
    return (path.startswith("("), *[(0, len(p.lstrip("0")), p.lstrip("0")) if p[:1].isascii() and p[:1].isdigit()
                                    else (1, 0, p) for p in parts])


def components_of(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each resource's nearest enclosing component (``KnativeApp helloworld-go``); a component is its own.

    One pass over the parent links (a render of thousands of resources is read in linear time).
    """
    parents = {e.get("parent") for e in resources.values()}
    out: dict[str, str] = {}
    for key in resources:
        chain: dict[str, None] = {}  # in order, and a cycle of parents is seen at once
        current: str | None = key
        found = "(stack)"
        while current is not None and current in resources and current not in chain:
            if current in out:
                found = out[current]
                break
            chain[current] = None
            entry = resources[current]
            type_ = str(entry.get("type") or "")
            if _is_component(current, type_, parents):
                found = f"{type_.rsplit(':', 1)[-1]} {entry.get('name')}"
                break
            parent = entry.get("parent")
            current = parent if isinstance(parent, str) else None
        for link in chain:
            out[link] = found
        out.setdefault(key, found)
    return out


def _is_component(key: str, type_: str, parents: set[Any]) -> bool:
    if type_.startswith("pulumi:") or type_ in BUNDLE_TYPES:
        return False
    provider_package = type_.split(":", 1)[0] in ("kubernetes", "gcp", "random", "tls", "command")
    return not provider_package or key in parents


def _identity(key: str, entry: Mapping[str, Any]) -> tuple[str, ...]:
    """What makes two differently-keyed resources the same thing: a Kubernetes object's kind/namespace/name."""
    inputs = entry.get("inputs") or {}
    if isinstance(inputs, Mapping) and isinstance(inputs.get("metadata"), Mapping) and "kind" in inputs:
        metadata = inputs["metadata"]
        return ("k8s", str(inputs["kind"]), str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
    return ("pulumi", str(entry.get("type")), str(entry.get("name")))


def _parent_type(parent: Any) -> str | None:
    return str(parent).split("::", 1)[0] if isinstance(parent, str) else None


def compare(base: Mapping[str, Render], head: Mapping[str, Render]) -> Review:
    """The review of going from ``base`` to ``head`` (both keyed by stack label)."""
    stacks: list[StackDiff] = []
    findings: list[Finding] = []
    renders = {**base, **head}
    risk = {label: stack_risk(render.stack) for label, render in renders.items()}
    for label in sorted(renders, key=lambda lb: (risk[lb], lb)):
        old, new = base.get(label), head.get(label)
        if old is None and new is not None:
            components = components_of(new.resources)
            changes = tuple(_whole(label, key, entry, components[key], Action.CREATE)
                            for key, entry in sorted(new.resources.items()))
            config = _field_changes({}, _top_level(new.config))  # its secrets and plain-text credentials
            diff = StackDiff(label, "added", len(new.resources), changes, config)
            stacks.append(diff)
            # A new stack creates everything at once: the same findings as any create, and its relaxations.
            findings += findings_of(diff, Render(label, new.project, new.stack, {}, {}, {}), new)
            findings += relaxations(label, new)
        elif new is None and old is not None:
            components = components_of(old.resources)
            changes = tuple(_whole(label, key, entry, components[key], Action.DELETE)
                            for key, entry in sorted(old.resources.items()))
            stacks.append(StackDiff(label, "removed", len(old.resources), changes))
        elif old is not None and new is not None:
            diff, stack_findings = _compare_stack(label, old, new)
            stacks.append(diff)
            findings += stack_findings
    findings += minor_skips(stacks, risk)
    # Every stack whose values come partly from ESC environments, changed or not: the review cannot see them.
    findings += [Finding(FindingKind.UNSEEN, label, "stack config", "ESC environments",
                         environment_finding(render.environment))
                 for label, render in head.items() if render.environment is not None]
    order = list(FindingKind)
    findings.sort(key=lambda f: (order.index(f.kind), risk.get(f.stack, -1), f.stack, f.resource, f.topic))
    return Review(tuple(stacks), tuple(findings))



def _whole(stack: str, key: str, entry: Mapping[str, Any], component: str, action: Action) -> ResourceChange:
    fields = _entry_fields(entry)
    pairs = tuple(FieldChange(p, ABSENT, v) if action is Action.CREATE else FieldChange(p, v, ABSENT)
                  for p, v in sorted(fields.items(), key=lambda kv: _path_order(kv[0])))
    return ResourceChange(stack, key, str(entry.get("type")), display(key, entry), component, action, pairs)


def _compare_stack(label: str, old: Render, new: Render) -> tuple[StackDiff, list[Finding]]:
    changes: list[ResourceChange] = []
    old_components, new_components = components_of(old.resources), components_of(new.resources)
    removed = {k: v for k, v in old.resources.items() if k not in new.resources}
    added = {k: v for k, v in new.resources.items() if k not in old.resources}
    # A resource whose key changed but whose identity did not moved to a new URN: Pulumi replaces it.
    moved: list[tuple[str, str]] = []
    by_identity = {_identity(k, v): k for k, v in added.items()}
    for key, entry in sorted(removed.items()):
        match = by_identity.pop(_identity(key, entry), None)
        if match is not None:
            moved.append((key, match))
    for old_key, new_key in moved:
        removed.pop(old_key)
        entry = added.pop(new_key)
        fields = _field_changes(_entry_fields(old.resources[old_key]), _entry_fields(entry))
        reason = (f"its URN changes ({code(old_key)} -> {code(new_key)}): Pulumi deletes the old resource and "
                  "creates the new one; give the resource `aliases` to keep it")
        changes.append(ResourceChange(label, new_key, str(entry.get("type")), display(new_key, entry),
                                      new_components[new_key], Action.REPLACE, fields, (reason,)))
    for key, entry in sorted(added.items()):
        changes.append(_whole(label, key, entry, new_components[key], Action.CREATE))
    for key, entry in sorted(removed.items()):
        changes.append(_whole(label, key, entry, old_components[key], Action.DELETE))
    for key in sorted(set(old.resources) & set(new.resources)):
        before, after = old.resources[key], new.resources[key]
        fields = _field_changes(_entry_fields(before), _entry_fields(after))
        if not fields:
            continue
        type_ = str(after.get("type"))
        reasons = _replace_reasons(type_, fields, before, after, new.resources, key)
        changes.append(ResourceChange(label, key, type_, display(key, after), new_components[key],
                                      Action.REPLACE if reasons else Action.UPDATE, fields, tuple(reasons)))
    changes.sort(key=lambda c: (c.component, c.display, c.key))
    config = _field_changes(_top_level(old.config), _top_level(new.config))
    outputs = _field_changes(_top_level(old.outputs), _top_level(new.outputs))
    status = "changed" if changes or config or outputs else "unchanged"
    diff = StackDiff(label, status, len(new.resources), tuple(changes), config, outputs)
    return diff, findings_of(diff, old, new)


def _top_level(values: Mapping[str, Any]) -> dict[str, Any]:
    """Config and outputs flattened with their top-level keys as written (``knative-platform:services.api...``)."""
    out: dict[str, Any] = {}
    for key in sorted(values):
        out.update(flatten(values[key], str(key)))
    return out


def _replace_reasons(type_: str, fields: Iterable[FieldChange], before: Mapping[str, Any], after: Mapping[str, Any],
                     resources: Mapping[str, Mapping[str, Any]], key: str) -> list[str]:
    changed = [f.path for f in fields]
    replace_on = [str(p) for p in (after.get("options") or {}).get("replaceOnChanges") or ()]
    reasons = replacement_reasons(type_, [p for p in changed if not p.startswith("(")], replace_on)
    if _parent_type(before.get("parent")) != _parent_type(after.get("parent")):
        reasons.append(f"`(parent)`: the parent's type changes ({code(str(before.get('parent')))} -> "
                       f"{code(str(after.get('parent')))}), and with it the URN; give the resource `aliases` to "
                       "keep it")
    if before.get("provider") != after.get("provider"):
        reasons.append(f"`(provider)`: it moves to another provider ({code(str(before.get('provider')))} -> "
                       f"{code(str(after.get('provider')))})")
    if type_ == KUBERNETES_PROVIDER:
        identity = "clusterIdentifier" if any(
            "clusterIdentifier" in (e.get("inputs") or {}) for e in (before, after)) else None
        keys = [identity] if identity else ["context", "kubeconfig"]
        if any(p in keys for p in changed):
            managed = sum(1 for e in resources.values() if e.get("provider") == key)
            reasons.append(f"`{keys[0]}`: the cluster identity changes, so Pulumi replaces every Kubernetes object "
                           f"this provider manages ({managed} in this stack)")
    return reasons

