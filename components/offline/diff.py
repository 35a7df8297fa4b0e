"""Compare two offline renders: which resources are created, updated, replaced or deleted, field by field.

A render (see :mod:`knative_platform.offline.render`) is a directory per stack with
``stack.yaml`` and ``resources.yaml``, read by :mod:`knative_platform.offline.renders`.
:func:`compare` turns a base and a head into a
:class:`~knative_platform.offline.model.Review`: per stack, each changed resource with
its changed fields, plus the findings a reviewer must see first
(:mod:`knative_platform.offline.findings`: replacements, deletions,
security-relevant changes, updates Knative would refuse, upstream version
moves). :mod:`knative_platform.offline.report` writes it as markdown.

Secret values never reach a review: renders already carry ``[secret]`` for
every Pulumi secret, and the diff redacts again (:mod:`knative_platform.offline.secrets`)
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


def _aliased_from(key: str, entry: Mapping[str, Any]) -> set[str]:
    """The keys (``type::name``) this resource had before, by its ``aliases`` option, under the same parent.

    An alias spec names what changed; the type and name it leaves out are the resource's own (pulumi 3.272.0
    ``pulumi/runtime/resource.py`` ``create_alias_spec``; pulumi/pulumi v3.259.0
    pkg/resource/deploy/step_generator.go ``collapseAliasToUrn``). An alias to another parent, or by URN, is
    not followed: a render's keys do not say where a resource sat, so the review keeps calling that a replacement.
    """
    type_, _, name = key.partition("::")
    options = entry.get("options")
    aliases = options.get("aliases") if isinstance(options, Mapping) else None
    out: set[str] = set()
    for alias in aliases if isinstance(aliases, list) else ():
        spec = alias.get("spec") if isinstance(alias, Mapping) else None
        if isinstance(spec, Mapping) and not spec.get("parentUrn") and not spec.get("noParent"):
            out.add(f"{spec.get('type') or type_}::{spec.get('name') or name}")
    return out - {key}


def _looked_up_as(name: str, before_parent: str, after_parent: str, resources: Mapping[str, Any]) -> str | None:
    """The name Pulumi looks a child up by when its parent is aliased to the child's old parent; None without one.

    The child's alias sits under the old parent, with the parent's old name in place of its new one where the
    child's name starts with the new one (step_generator.go ``inheritedChildAlias``; the SDK's
    ``inherited_child_alias``).
    """
    entry = resources.get(after_parent)
    if not isinstance(entry, Mapping) or before_parent not in _aliased_from(after_parent, entry):
        return None
    new_name, old_name = after_parent.partition("::")[2], before_parent.partition("::")[2]
    return old_name + name[len(new_name):] if name.startswith(new_name) else name


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
    # A resource whose aliases name its old key is the same resource to Pulumi: an update, not a replacement.
    for new_key, entry in sorted(added.items()):
        old_key = next((k for k in sorted(_aliased_from(new_key, entry)) if k in removed), None)
        if old_key is not None:
            before = removed.pop(old_key)
            del added[new_key]
            changes.append(_update(label, new_key, before, entry, new.resources, new_components[new_key]))
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
        change = _update(label, key, old.resources[key], new.resources[key], new.resources, new_components[key])
        if change.fields:
            changes.append(change)
    changes.sort(key=lambda c: (c.component, c.display, c.key))
    config = _field_changes(_top_level(old.config), _top_level(new.config))
    outputs = _field_changes(_top_level(old.outputs), _top_level(new.outputs))
    status = "changed" if changes or config or outputs else "unchanged"
    diff = StackDiff(label, status, len(new.resources), tuple(changes), config, outputs)
    return diff, findings_of(diff, old, new)


def _update(label: str, key: str, before: Mapping[str, Any], after: Mapping[str, Any],
            resources: Mapping[str, Mapping[str, Any]], component: str) -> ResourceChange:
    """One resource in both renders (under ``key`` in the head): an update, or a replacement with its reasons."""
    fields = _field_changes(_entry_fields(before), _entry_fields(after))
    type_ = str(after.get("type"))
    reasons = _replace_reasons(type_, fields, before, after, resources, key) if fields else []
    return ResourceChange(label, key, type_, display(key, after), component,
                          Action.REPLACE if reasons else Action.UPDATE, fields, tuple(reasons))


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
    old_parent, new_parent, name = before.get("parent"), after.get("parent"), str(after.get("name"))
    if _parent_type(old_parent) != _parent_type(new_parent):
        looked_up = (_looked_up_as(name, old_parent, new_parent, resources)
                     if isinstance(old_parent, str) and isinstance(new_parent, str) else None)
        if looked_up is None:
            reasons.append(f"`(parent)`: the parent's type changes ({code(str(old_parent))} -> "
                           f"{code(str(new_parent))}), and with it the URN; give the resource `aliases` to keep it")
        elif looked_up != name:
            reasons.append(f"`(parent)`: the parent's type changes ({code(str(old_parent))} -> "
                           f"{code(str(new_parent))}) and its alias makes Pulumi look for this resource as "
                           f"{code(looked_up)}, a name it never had: rename the parent so that it does not begin "
                           "this name, or give the resource `aliases`")
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

