"""Compare two offline renders: which resources are created, updated, replaced or deleted, field by field.

A render (see :mod:`components.offline.render`) is a directory per stack with
``stack.yaml`` and ``resources.yaml``. :func:`load_renders` finds every stack
below a directory (one render, or ``render --all`` output, or renders of
several projects) and :func:`compare` turns a base and a head into a
:class:`Review`: per stack, each changed resource with its changed fields,
plus the findings a reviewer must see first (replacements,
deletions, security-relevant changes, updates Knative would refuse, upstream
version moves). :mod:`components.offline.report` writes it as markdown.

Secret values never reach a review: renders already carry ``[secret]`` for
every Pulumi secret, and this module redacts again (credential-named keys,
Kubernetes Secret data, environment variables named like credentials) so that a
render produced by an older tool or edited by hand cannot leak through a diff.
This module needs only PyYAML, so a diff runs wherever the renders are.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..spec.paths import flatten
from .rules import (
    EXPOSING_TYPES,
    KNATIVE_SERVICE,
    VISIBILITY_LABEL,
    knative_minor_skip,
    release_links,
    replacement_reasons,
    security_topics,
    stack_risk,
)
from .secrets import is_redacted, redact

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: renders of every stack are read on each review."""
BUNDLE_TYPES = ("kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:helm.sh/v4:Chart")
"""Provider-side components: their pinned source is what the render shows, so a change there is an upgrade."""
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
DEPENDS_ON = "(dependsOn) "
"""Prefix of the fields that stand for one dependency each (their value is always ``true``)."""


class _Absent:
    """A field that does not exist on one side of a change."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


# -- renders -------------------------------------------------------------------------------


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


class RenderError(Exception):
    """A directory that is not a render, or a render that cannot be read."""


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RenderError(f"{path}: cannot read the render: {exc}") from exc


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
    )


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


# -- the review model ----------------------------------------------------------------------


class Action(enum.StrEnum):
    """What happens to a resource, as ``pulumi preview`` would say it."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class FindingKind(enum.StrEnum):
    """The sections a reviewer reads first, in this order."""

    REFUSED = "refused"
    REPLACE = "replace"
    DELETE = "delete"
    SECURITY = "security"
    UPGRADE = "upgrade"


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
    """Something a reviewer must see before the per-field detail."""

    kind: FindingKind
    stack: str
    resource: str
    topic: str
    message: str


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


# -- comparing -----------------------------------------------------------------------------


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
    parts = re.split(r"(\d+)", path)
    return (path.startswith("("), *[(0, int(p)) if p.isdigit() else (1, p) for p in parts])


def _display(key: str, entry: Mapping[str, Any]) -> str:
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


def _component(key: str, resources: Mapping[str, Mapping[str, Any]]) -> str:
    """The nearest enclosing component (``KnativeApp helloworld-go``); a component is its own."""
    seen: set[str] = set()
    current: str | None = key
    while current and current in resources and current not in seen:
        seen.add(current)
        entry = resources[current]
        type_ = str(entry.get("type") or "")
        if _is_component(current, type_, resources):
            return f"{type_.rsplit(':', 1)[-1]} {entry.get('name')}"
        current = entry.get("parent")
    return "(stack)"


def _is_component(key: str, type_: str, resources: Mapping[str, Mapping[str, Any]]) -> bool:
    if type_.startswith("pulumi:") or type_ in BUNDLE_TYPES:
        return False
    provider_package = type_.split(":", 1)[0] in ("kubernetes", "gcp", "random", "tls", "command")
    return not provider_package or any(e.get("parent") == key for e in resources.values())


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
            changes = tuple(_whole(label, key, entry, new.resources, Action.CREATE)
                            for key, entry in sorted(new.resources.items()))
            diff = StackDiff(label, "added", len(new.resources), changes)
            stacks.append(diff)
            # A new stack creates everything at once: the same findings as any create, and its relaxations.
            findings += _findings(diff, Render(label, new.project, new.stack, {}, {}, {}), new)
            findings += _relaxations(label, new)
        elif new is None and old is not None:
            changes = tuple(_whole(label, key, entry, old.resources, Action.DELETE)
                            for key, entry in sorted(old.resources.items()))
            stacks.append(StackDiff(label, "removed", len(old.resources), changes))
        elif old is not None and new is not None:
            diff, stack_findings = _compare_stack(label, old, new)
            stacks.append(diff)
            findings += stack_findings
    findings += _minor_skips(stacks, risk)
    order = list(FindingKind)
    findings.sort(key=lambda f: (order.index(f.kind), risk.get(f.stack, -1), f.stack, f.resource, f.topic))
    return Review(tuple(stacks), tuple(findings))


def _relaxations(label: str, render: Render) -> list[Finding]:
    """What a new stack's cluster gives up: the ``relax`` flags of its ``*:cluster`` config (or its profile's)."""
    out = []
    for key, value in sorted(render.config.items()):
        if not key.endswith(":cluster") or not isinstance(value, Mapping):
            continue
        relax = value.get("relax")
        if isinstance(relax, Mapping):
            flags = sorted(str(flag) for flag, on in relax.items() if on is True)
            message = ("relaxes " + ", ".join(f"`{flag}`" for flag in flags)) if flags else "relaxes nothing"
        else:
            message = f"takes the relaxations of its profile ({value.get('profile') or 'the default profile'})"
        out.append(Finding(FindingKind.SECURITY, label, key, "relaxations", f"a new stack whose cluster {message}"))
    return out


def _minor_skips(stacks: Iterable[StackDiff], risk: Mapping[str, int]) -> list[Finding]:
    """One finding per Knative upgrade that skips a minor version (or goes back), naming every stack it is in."""
    where: dict[str, list[str]] = {}
    for stack in stacks:
        for change in stack.changes:
            if change.type not in BUNDLE_TYPES or change.action is Action.CREATE:
                continue
            for f in change.fields:
                warning = knative_minor_skip(f.before, f.after) if isinstance(f.before, str) and \
                    isinstance(f.after, str) else None
                if warning and stack.label not in where.setdefault(warning, []):
                    where[warning].append(stack.label)
    return [Finding(FindingKind.REFUSED, ", ".join(sorted(labels, key=lambda lb: (risk.get(lb, 2), lb))),
                    "Knative", "upgrade path", f"{warning} (the Knative bundles of {len(labels)} stack(s))")
            for warning, labels in where.items()]


def _whole(stack: str, key: str, entry: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]],
           action: Action) -> ResourceChange:
    fields = _entry_fields(entry)
    pairs = tuple(FieldChange(p, ABSENT, v) if action is Action.CREATE else FieldChange(p, v, ABSENT)
                  for p, v in sorted(fields.items(), key=lambda kv: _path_order(kv[0])))
    return ResourceChange(stack, key, str(entry.get("type")), _display(key, entry), _component(key, resources),
                          action, pairs)


def _compare_stack(label: str, old: Render, new: Render) -> tuple[StackDiff, list[Finding]]:
    changes: list[ResourceChange] = []
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
        reason = (f"its URN changes ({old_key} -> {new_key}): Pulumi deletes the old resource and creates the new "
                  "one; give the resource `aliases` to keep it")
        changes.append(ResourceChange(label, new_key, str(entry.get("type")), _display(new_key, entry),
                                      _component(new_key, new.resources), Action.REPLACE, fields, (reason,)))
    for key, entry in sorted(added.items()):
        changes.append(_whole(label, key, entry, new.resources, Action.CREATE))
    for key, entry in sorted(removed.items()):
        changes.append(_whole(label, key, entry, old.resources, Action.DELETE))
    for key in sorted(set(old.resources) & set(new.resources)):
        before, after = old.resources[key], new.resources[key]
        fields = _field_changes(_entry_fields(before), _entry_fields(after))
        if not fields:
            continue
        type_ = str(after.get("type"))
        reasons = _replace_reasons(type_, fields, before, after, new.resources, key)
        changes.append(ResourceChange(label, key, type_, _display(key, after), _component(key, new.resources),
                                      Action.REPLACE if reasons else Action.UPDATE, fields, tuple(reasons)))
    changes.sort(key=lambda c: (c.component, c.display, c.key))
    config = _field_changes(_top_level(old.config), _top_level(new.config))
    outputs = _field_changes(_top_level(old.outputs), _top_level(new.outputs))
    status = "changed" if changes or config or outputs else "unchanged"
    diff = StackDiff(label, status, len(new.resources), tuple(changes), config, outputs)
    return diff, _findings(diff, old, new)


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
        reasons.append(f"(parent): the parent's type changes ({before.get('parent')} -> {after.get('parent')}), "
                       "and with it the URN; give the resource `aliases` to keep it")
    if before.get("provider") != after.get("provider"):
        reasons.append(f"(provider): it moves to another provider ({before.get('provider')} -> "
                       f"{after.get('provider')})")
    if type_ == KUBERNETES_PROVIDER:
        identity = "clusterIdentifier" if any(
            "clusterIdentifier" in (e.get("inputs") or {}) for e in (before, after)) else None
        keys = [identity] if identity else ["context", "kubeconfig"]
        if any(p in keys for p in changed):
            managed = sum(1 for e in resources.values() if e.get("provider") == key)
            reasons.append(f"{keys[0]}: the cluster identity changes, so Pulumi replaces every Kubernetes object "
                           f"this provider manages ({managed} in this stack)")
    return reasons


def _service_of(path: str) -> str:
    """``services.api.traffic.pin`` -> ``api``: the service a config path belongs to."""
    parts = path.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else ""


def _refusals(label: str, new: Render) -> list[Finding]:
    """The program's own refusals of this update (it read the base's outputs as its previous deployment)."""
    displays = {str(e.get("name")): _display(k, e) for k, e in new.resources.items()
                if e.get("type") == KNATIVE_SERVICE}
    return [Finding(FindingKind.REFUSED, label, displays.get(_service_of(path), "stack config"), "revisions",
                    f"`{path}`: {message}") for path, message in new.refused]


def _findings(diff: StackDiff, old: Render, new: Render) -> list[Finding]:
    out: list[Finding] = _refusals(diff.label, new)
    judged = {f.resource for f in out}  # the program's verdict on these services replaces the heuristic below
    for change in diff.changes:
        if change.action is Action.REPLACE:
            out.append(Finding(FindingKind.REPLACE, diff.label, change.display, "replace", "; ".join(change.reasons)))
        elif change.action is Action.DELETE:
            out.append(Finding(FindingKind.DELETE, diff.label, change.display, "delete",
                               f"deleted ({change.type}, in {change.component})"))
        out += _security(diff.label, change)
        refused = None if change.display in judged else _knative_refusal(change, old, new)
        if refused:
            out.append(Finding(FindingKind.REFUSED, diff.label, change.display, "revision name", refused))
        if change.type in BUNDLE_TYPES and change.action is not Action.CREATE:
            out += _upgrades(diff.label, change, new.resources.get(change.key, {}).get("inputs") or {})
    for f in diff.config:
        was, now = is_redacted(f.before), is_redacted(f.after)
        if was or now:
            state = ("is now set as a secret" if now and f.before is ABSENT else
                     "is no longer set" if was and f.after is ABSENT else
                     "is a secret whose value changed (rotated; both values redacted)" if was and now else
                     "is no longer a secret: its value is now plain text in the stack file" if was else
                     "is now a secret")
            out.append(Finding(FindingKind.SECURITY, diff.label, "stack config", "secrets", f"{f.path} {state}"))
    return out


def _security(stack: str, change: ResourceChange) -> list[Finding]:
    out: list[Finding] = []
    if change.action is Action.CREATE:
        topics = security_topics(change.type, None)
        if EXPOSING_TYPES.search(change.type):
            topics.append("exposure")
        if change.type == KNATIVE_SERVICE and not any(
                f.path == VISIBILITY_LABEL and f.after == "cluster-local" for f in change.fields):
            out.append(Finding(FindingKind.SECURITY, stack, change.display, "visibility",
                               "a new public service, reachable through the external gateway"))
        grant = {f.path: f.after for f in change.fields if f.path in ("role", "member")}
        created = f"created: {grant['role']} for {grant['member']}" if len(grant) == 2 else "created"  # an IAM grant
        out += [Finding(FindingKind.SECURITY, stack, change.display, topic, created) for topic in topics]
        # A created resource's security-relevant settings, as an update would list them (a new firewall's
        # sourceRanges, a new cluster's authorized networks ...).
        settings: dict[str, list[FieldChange]] = {}
        for f in change.fields:
            for topic in security_topics(change.type, f.path):
                if topic not in topics:
                    settings.setdefault(topic, []).append(f)
        for topic, fields in settings.items():
            message = "created with " + "; ".join(f"{f.path}: {short_value(f.after)}" for f in fields[:3])
            if len(fields) > 3:
                message += f"; and {len(fields) - 3} more"
            out.append(Finding(FindingKind.SECURITY, stack, change.display, topic, message))
        return out
    if change.action is Action.DELETE:
        return out
    by_topic: dict[str, list[FieldChange]] = {}
    for f in change.fields:
        for topic in security_topics(change.type, f.path):
            by_topic.setdefault(topic, []).append(f)
    for topic, fields in by_topic.items():
        message = "; ".join(f"{f.path}: {short_value(f.before)} -> {short_value(f.after)}" for f in fields[:3])
        if len(fields) > 3:
            message += f"; and {len(fields) - 3} more"
        if topic == "visibility":
            public = any(f.path == VISIBILITY_LABEL and f.after is ABSENT for f in fields)
            message += (" (the service becomes reachable from outside the cluster)" if public
                        else " (the service becomes cluster-local)")
        out.append(Finding(FindingKind.SECURITY, stack, change.display, topic, message))
    return out


def _knative_refusal(change: ResourceChange, old: Render, new: Render) -> str | None:
    """Knative refuses a template change that keeps its (user-chosen) revision name."""
    if change.type != KNATIVE_SERVICE or change.action is not Action.UPDATE:
        return None
    before = ((old.resources[change.key].get("inputs") or {}).get("spec") or {}).get("template") or {}
    after = ((new.resources[change.key].get("inputs") or {}).get("spec") or {}).get("template") or {}
    name = (after.get("metadata") or {}).get("name")
    if not name or (before.get("metadata") or {}).get("name") != name or before == after:
        return None
    fields = [f.path for f in change.fields if f.path.startswith("spec.template.")]
    return (f"the revision template changes ({', '.join(fields[:3])}{' ...' if len(fields) > 3 else ''}) but "
            f"keeps its name {name}; Knative's webhook refuses that update. Give the service a new `revision` "
            "suffix")


def _upgrades(stack: str, change: ResourceChange, inputs: Mapping[str, Any]) -> list[Finding]:
    """A moved pin of a provider-side bundle, with where to read what it changes (a minor skip: see _minor_skips)."""
    moves = [f for f in change.fields if not f.path.startswith("(")]
    if not moves:
        return []
    message = "; ".join(f"{f.path}: {short_value(f.before)} -> {short_value(f.after)}" for f in moves[:4])
    chart = inputs.get("chart") if isinstance(inputs.get("chart"), str) else None
    links = [release_links(f.before, f.after, chart) for f in moves
             if f.path in ("file", "version") and isinstance(f.before, str) and isinstance(f.after, str)]
    message += (". What the bundle itself changes is not visible offline (the provider expands it at deploy)"
                + (f": {'; '.join(dict.fromkeys(links))}" if links else ""))
    return [Finding(FindingKind.UPGRADE, stack, change.display, "upstream", message)]


def format_value(value: Any) -> str:
    """How a value is written in a review: JSON, so ``"8080"`` and ``8080`` stay apart; ``(absent)`` when missing."""
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def short_value(value: Any, limit: int = 120) -> str:
    """:func:`format_value`, cut to ``limit`` characters for one-line findings."""
    text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
