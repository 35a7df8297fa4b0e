"""What a reviewer must see before the per-field detail: refusals, replacements, deletions, security, upgrades.

Each function turns the changes :func:`knative_platform.offline.diff.compare` found
into :class:`~knative_platform.offline.model.Finding` lines; the rules they apply
(which fields are security-relevant, which pins are Knative's) are in
:mod:`knative_platform.offline.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .markdown import code
from .model import (
    ABSENT,
    BUNDLE_TYPES,
    Action,
    FieldChange,
    Finding,
    FindingKind,
    ResourceChange,
    StackDiff,
    display,
    short_value,
)
from .renders import Render
from .rules import EXPOSING_TYPES, KNATIVE_SERVICE, VISIBILITY_LABEL, knative_minor_skip, release_links, security_topics
from .secrets import holds_plain_text, is_secret


def relaxations(label: str, render: Render) -> list[Finding]:
    """What a new stack's cluster gives up: the ``relax`` flags of its ``*:cluster`` config (or its profile's)."""
    out = []
    for key, value in sorted(render.config.items()):
        if not key.endswith(":cluster") or not isinstance(value, Mapping):
            continue
        relax = value.get("relax")
        if isinstance(relax, Mapping):
            flags = sorted(str(flag) for flag, on in relax.items() if on is True)
            message = ("relaxes " + ", ".join(code(flag) for flag in flags)) if flags else "relaxes nothing"
        else:
            profile = value.get("profile")
            named = code(str(profile)) if profile else "the default profile"
            message = f"takes the relaxations of its profile ({named})"
        out.append(Finding(FindingKind.SECURITY, label, key, "relaxations", f"a new stack whose cluster {message}"))
    return out


def minor_skips(stacks: Iterable[StackDiff], risk: Mapping[str, int]) -> list[Finding]:
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



def _service_of(path: str) -> str:
    """``services.api.traffic.pin`` -> ``api``: the service a config path belongs to."""
    parts = path.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else ""


def _refusals(label: str, new: Render) -> list[Finding]:
    """The program's own refusals of this update (it read the base's outputs as its previous deployment)."""
    displays = {str(e.get("name")): display(k, e) for k, e in new.resources.items()
                if e.get("type") == KNATIVE_SERVICE}
    return [Finding(FindingKind.REFUSED, label, displays.get(_service_of(path), "stack config"), "revisions",
                    f"{code(path)}: {code(message, None)}") for path, message in new.refused]


def findings_of(diff: StackDiff, old: Render, new: Render) -> list[Finding]:
    out: list[Finding] = _refusals(diff.label, new)
    judged = {f.resource for f in out}  # the program's verdict on these services replaces the heuristic below
    for change in diff.changes:
        if change.action is Action.REPLACE:
            out.append(Finding(FindingKind.REPLACE, diff.label, change.display, "replace", "; ".join(change.reasons)))
        elif change.action is Action.DELETE:
            out.append(Finding(FindingKind.DELETE, diff.label, change.display, "delete",
                               f"deleted ({code(change.type)}, in {code(change.component)})"))
        out += _security(diff.label, change)
        out += _plain_text(diff.label, change)
        refused = None if change.display in judged else _knative_refusal(change, old, new)
        if refused:
            out.append(Finding(FindingKind.REFUSED, diff.label, change.display, "revision name", refused))
        if change.type in BUNDLE_TYPES and change.action is not Action.CREATE:
            out += _upgrades(diff.label, change, new.resources.get(change.key, {}).get("inputs") or {})
    out += _config_secrets(diff)
    out += source_builds(diff.label, old, new)
    return out


def source_builds(label: str, old: Render, new: Render) -> list[Finding]:
    """Each source service whose row of the ``sources`` output changes: its fingerprint, image and revision."""
    before, after = old.outputs.get("sources"), new.outputs.get("sources")
    before = before if isinstance(before, Mapping) else {}
    out = []
    for name, row in sorted(after.items()) if isinstance(after, Mapping) else ():
        previous = before.get(name)
        if not isinstance(row, Mapping) or row == previous:
            continue
        fingerprint = str(row.get("fingerprint", ""))[:12]
        was = previous.get("fingerprint") if isinstance(previous, Mapping) else None
        moved = f" (was {str(was)[:12]}…)" if was and was != row.get("fingerprint") else ""
        image = "pending build" if row.get("pendingBuild") is True else code(str(row.get("image", "")))
        revision = code(str(row.get("revision")))
        out.append(Finding(FindingKind.SOURCE, label, f"service {name}", "source",
                           f"source {fingerprint}…{moved} deploys {image} as revision {revision}"))
    return out


PLAIN_TEXT_TOPIC = "plain-text credential"


def _config_secrets(diff: StackDiff) -> list[Finding]:
    """Secrets set, rotated or dropped in the stack config, and credentials written there in plain text."""
    out: list[Finding] = []
    for f in diff.config:
        if holds_plain_text(f.after) and f.before != f.after:
            out.append(Finding(FindingKind.SECURITY, diff.label, "stack config", PLAIN_TEXT_TOPIC,
                               f"{code(f.path)} is a credential in plain text in the stack file (redacted here): "
                               "make it a Pulumi secret (`pulumi config set --secret`), which only the stack's "
                               "own key can read"))
            continue
        was, now = is_secret(f.before), is_secret(f.after)
        if was or now:
            state = ("is now set as a secret" if now and f.before is ABSENT else
                     "is no longer set" if was and f.after is ABSENT else
                     "is a secret whose value changed (rotated; both values redacted)" if was and now else
                     "is no longer a secret: its value is now plain text in the stack file" if was else
                     "is now a secret")
            out.append(Finding(FindingKind.SECURITY, diff.label, "stack config", "secrets", f"{code(f.path)} {state}"))
    return out


def _plain_text(stack: str, change: ResourceChange) -> list[Finding]:
    """A created or changed field that holds a credential in plain text (redacted by its name or shape)."""
    if change.action is Action.DELETE:
        return []
    fields = [f for f in change.fields if holds_plain_text(f.after) and f.before != f.after]
    if not fields:
        return []
    listed = ", ".join(code(f.path) for f in fields[:3]) + (f" and {len(fields) - 3} more" if len(fields) > 3 else "")
    return [Finding(FindingKind.SECURITY, stack, change.display, PLAIN_TEXT_TOPIC,
                    f"{listed} {'holds' if len(fields) == 1 else 'hold'} a credential in plain text (redacted here): "
                    "keep it in a Pulumi secret (`pulumi config set --secret`) and hand it over as one (a service's "
                    "`secretEnv`, a Kubernetes Secret), not as plain `env`, args or config")]


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
        created = (f"created: {code(str(grant['role']))} for {code(str(grant['member']))}" if len(grant) == 2
                   else "created")  # an IAM grant
        out += [Finding(FindingKind.SECURITY, stack, change.display, topic, created) for topic in topics]
        # A created resource's security-relevant settings, as an update would list them (a new firewall's
        # sourceRanges, a new cluster's authorized networks ...).
        settings: dict[str, list[FieldChange]] = {}
        for f in change.fields:
            for topic in security_topics(change.type, f.path):
                if topic not in topics:
                    settings.setdefault(topic, []).append(f)
        for topic, fields in settings.items():
            message = "created with " + "; ".join(f"{code(f.path)}: {code(short_value(f.after))}" for f in fields[:3])
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
        message = "; ".join(f"{code(f.path)}: {code(short_value(f.before))} -> {code(short_value(f.after))}"
                            for f in fields[:3])
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
    return (f"the revision template changes ({', '.join(map(code, fields[:3]))}{' ...' if len(fields) > 3 else ''}) "
            f"but keeps its name {code(str(name))}; Knative's webhook refuses that update. Give the service a new "
            "`revision` suffix")


def _upgrades(stack: str, change: ResourceChange, inputs: Mapping[str, Any]) -> list[Finding]:
    """A moved pin of a provider-side bundle, with where to read what it changes (a minor skip: see _minor_skips)."""
    moves = [f for f in change.fields if not f.path.startswith("(")]
    if not moves:
        return []
    message = "; ".join(f"{code(f.path)}: {code(short_value(f.before))} -> {code(short_value(f.after))}"
                        for f in moves[:4])
    chart = inputs.get("chart") if isinstance(inputs.get("chart"), str) else None
    links = tuple(dict.fromkeys(link for f in moves if f.path in ("file", "version") and isinstance(f.before, str)
                                and isinstance(f.after, str) for link in release_links(f.before, f.after, chart)))
    message += (". What the bundle itself changes is not visible offline (the provider expands it at deploy): "
                + ("read the release notes" if links else "read the release notes of the bundle's own project"))
    return [Finding(FindingKind.UPGRADE, stack, change.display, "upstream", message, links)]

