"""Revisions across deployments: which ones exist, whether a template may keep its name, where traffic may go.

Knative names a revision once and never lets its template change under that
name, and traffic can only name revisions that exist (DESIGN.md §6). A stack
therefore remembers, per service, the revisions its deployments created: the
``revisions`` stack output (:func:`revisions_output`), which the next update
reads back through a StackReference to its own stack (:mod:`components.history`)
and hands to :func:`plan_revisions`. That plan, pure and computed before
anything is registered:

- refuses a template that changes under the name of the revision the last
  deployment applied, naming the fields that changed (Knative's webhook:
  knative/serving knative-v1.23.0 ``pkg/apis/serving/v1/revision_validation.go``
  ``VerifyNameChange``, "Saw the following changes without a name change");
- refuses a template that takes the name of an *older* revision with another
  spec (the Configuration reconciler: ``pkg/reconciler/configuration/configuration.go``
  ``CheckNameAvailability`` returns AlreadyExists unless the specs are equal);
- refuses traffic that names a revision no earlier deployment created and this
  update does not create, with the revisions that exist and the fix;
- on a service's first revision (nothing else exists to route to), sends a
  target that names a revision which does not exist yet to this update's
  revision instead, keeping its share and tag, and says so: a shipped canary
  or blue-green deploys on a fresh stack (two targets may name one revision;
  only tags must be unique: ``pkg/apis/serving/v1/route_validation.go``
  ``validateTrafficList``);
- predicts Knative's generated names (``<service>-<generation, five digits>``,
  ``pkg/reconciler/configuration/resources/revision.go`` ``MakeRevision``): the
  Configuration's generation grows by one with every template change, so the
  stack counts them. The prediction holds while every template change of the
  service goes through this stack.

Templates are compared by digest: a SHA-256 of the canonical JSON (sorted keys,
no whitespace) of the rendered template without its name, one of its spec alone,
and, for the latest revision, one short digest per field so that a refusal can
name what changed without the stack output holding any value. The output keeps
every revision that has traffic or a tag and the newest :data:`KEEP_UNROUTED`
others; an older one is forgotten, and naming it is refused like any unknown one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .errors import Problem, join_path
from .names import revision_full_name
from .service import Service
from .traffic import LATEST, Split, Target, _target_paths, compile_traffic

REVISIONS_OUTPUT = "revisions"
"""The stack output that lists each service's revisions; the next deployment reads it back."""
KEEP_UNROUTED = 100
"""Revisions without traffic the output keeps per service (newest first); routed ones are always kept."""


@dataclass(frozen=True, kw_only=True)
class RevisionRecord:
    """One revision a deployment of this stack created: the ``kn revision list`` row, without the live state."""

    name: str
    created: str
    image: str = ""
    digest: str = ""
    """``sha256:<hex>`` of the template without its name; empty when an older output did not record it."""
    spec_digest: str = ""
    """``sha256:<hex>`` of the template's spec alone: what Knative compares when an older name comes back."""
    fields: Mapping[str, str] | None = None
    """Short digest per template field (``spec.containers[0].image``), to name what changed; kept for the
    latest revision only (the one whose template the next update may change under its name)."""
    generation: int | None = None
    """The Configuration generation that created it (Knative's generated names carry it)."""
    generated: bool = False
    """Knative named it (the template named no revision)."""


@dataclass(frozen=True, kw_only=True)
class ServiceHistory:
    """What earlier deployments of this stack left for one service."""

    revisions: tuple[RevisionRecord, ...] = ()
    latest: str | None = None
    """The revision of the template the last deployment applied."""
    generation: int = 0
    """The Configuration's generation after the last deployment: the number of template changes applied."""
    namespace: str | None = None
    """Where the Service lived; in another namespace it is another Service, with none of these revisions."""

    def named(self, name: str) -> RevisionRecord | None:
        """The record of revision ``name``, if this stack created it."""
        return next((r for r in self.revisions if r.name == name), None)


@dataclass(frozen=True)
class RevisionPlan:
    """What one update does to a service's revisions."""

    service: Service
    """The service to render: its own, or with targets re-routed on a first revision (see ``notes``)."""
    revision: str
    """The name of the revision this update's template is (created now or earlier)."""
    history: ServiceHistory
    """The history after this update: what the ``revisions`` output records."""
    notes: tuple[str, ...] = ()
    """Warnings for the user (targets re-routed to the first revision)."""


# -- digests --------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The stable text a digest is taken of: sorted keys, no whitespace, no ASCII escaping needed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _unnamed(template: Mapping[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in (template.get("metadata") or {}).items() if k != "name"}
    return {"metadata": metadata, "spec": template.get("spec") or {}}


def template_digest(template: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a rendered revision template (``spec.template``), its name left out."""
    return "sha256:" + hashlib.sha256(canonical_json(_unnamed(template)).encode()).hexdigest()


def _leaves(value: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            text = str(key)
            child = f"{path}.{text}" if text.replace("_", "").replace("-", "").isalnum() and "." not in text \
                else f"{path}[{json.dumps(text)}]"
            _leaves(value[key], child, out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _leaves(item, f"{path}[{i}]", out)
    else:
        out[path] = hashlib.sha256(canonical_json(value).encode()).hexdigest()[:12]


def field_digests(template: Mapping[str, Any]) -> dict[str, str]:
    """A short digest per leaf of the template (name left out), keyed by path (``spec.containers[0].image``)."""
    out: dict[str, str] = {}
    unnamed = _unnamed(template)
    _leaves(unnamed["metadata"], "metadata", out)
    _leaves(unnamed["spec"], "spec", out)
    return out


def changed_fields(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The template fields whose digests differ (added and removed ones too), in path order."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def spec_digest(template: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a rendered template's spec: Knative reuses an existing revision only when it is equal."""
    return "sha256:" + hashlib.sha256(canonical_json(template.get("spec") or {}).encode()).hexdigest()


# -- reading and writing the stack output ---------------------------------------------------


def _record(raw: Any) -> RevisionRecord | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        return None
    fields = raw.get("fieldDigests")
    generation = raw.get("generation")
    return RevisionRecord(
        name=raw["name"],
        created=str(raw.get("created") or ""),
        image=str(raw.get("image") or ""),
        digest=str(raw.get("digest") or ""),
        spec_digest=str(raw.get("specDigest") or ""),
        fields={str(k): str(v) for k, v in fields.items()} if isinstance(fields, Mapping) else None,
        generation=int(generation) if isinstance(generation, (int, float)) else None,
        generated=bool(raw.get("generated")),
    )


def _history(value: Any) -> ServiceHistory | None:
    """One service's entry of the ``revisions`` output, or None when it holds nothing this reads."""
    if isinstance(value, str):
        return ServiceHistory(revisions=(RevisionRecord(name=value, created=""),), latest=value, generation=1)
    if not isinstance(value, Mapping):
        return None
    records = tuple(sorted((r for r in map(_record, value.get("list") or ()) if r is not None),
                           key=lambda r: (r.generation or 0, r.created, r.name)))
    latest = next((str(r["name"]) for r in value.get("list") or () if isinstance(r, Mapping) and r.get("latest")),
                  None)
    generation = value.get("generation")
    namespace = value.get("namespace")
    return ServiceHistory(revisions=records, latest=latest,
                          generation=int(generation) if isinstance(generation, (int, float)) else len(records),
                          namespace=str(namespace) if isinstance(namespace, str) else None)


def read_history(previous: Any) -> dict[str, ServiceHistory]:
    """Each service's history from the last deployment's ``revisions`` output (absent on a new stack).

    Outputs written before revisions were tracked held only the current
    revision's name (or null when Knative named it): such a service's history
    is that one revision, with no digest to compare.
    """
    if not isinstance(previous, Mapping):
        return {}
    return {str(service): history for service, value in previous.items()
            if (history := _history(value)) is not None}


def service_history(previous: Any, name: str) -> ServiceHistory:
    """The history of service ``name`` alone (see :func:`read_history`); empty when the output has none.

    Only its own entry is read: planning every service of a stack reads each
    record once, where reading the whole output per service grew with the
    square of the services (issue 9).
    """
    return (_history(previous.get(name)) if isinstance(previous, Mapping) else None) or ServiceHistory()


def revisions_output(plan: RevisionPlan, traffic: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``revisions`` output of one service: its generation and every revision, newest first, with its share.

    ``traffic`` is the rendered ``spec.traffic``; a ``latestRevision`` target's
    share goes to this update's revision (the latest, once it is ready).
    """
    share: dict[str, int] = {}
    tags: dict[str, list[str]] = {}
    for entry in traffic:
        name = plan.revision if entry.get("latestRevision") else str(entry.get("revisionName"))
        share[name] = share.get(name, 0) + int(entry.get("percent") or 0)
        if entry.get("tag"):
            tags.setdefault(name, []).append(str(entry["tag"]))
    records = sorted(plan.history.revisions, key=lambda r: (r.generation or 0, r.created, r.name), reverse=True)
    kept: list[dict[str, Any]] = []
    unrouted = 0
    for r in records:
        routed = r.name in share or r.name == plan.revision
        if not routed:
            unrouted += 1
            if unrouted > KEEP_UNROUTED:
                continue
        row: dict[str, Any] = {"name": r.name, "created": r.created, "image": r.image, "digest": r.digest,
                               "specDigest": r.spec_digest, "percent": share.get(r.name, 0)}
        if r.generation is not None:
            row["generation"] = r.generation
        if r.name in tags:
            row["tags"] = tags[r.name]
        if r.name == plan.revision:
            row["latest"] = True
        if r.generated:
            row["generated"] = True
        if r.fields is not None and r.name == plan.revision:
            row["fieldDigests"] = dict(r.fields)
        kept.append(row)
    return {"namespace": plan.service.namespace, "generation": plan.history.generation, "list": kept}


# -- planning -------------------------------------------------------------------------------


def _new_revision(service: Service, template: Mapping[str, Any], history: ServiceHistory, path: str,
                  now: str) -> tuple[str, ServiceHistory, list[Problem]]:
    """The revision name of the update and the history after it; problems when Knative would refuse the template."""
    fields = field_digests(template)
    digest = template_digest(template)
    image = str(((template.get("spec") or {}).get("containers") or [{}])[0].get("image") or "")
    own = (template.get("metadata") or {}).get("name")
    latest = history.named(history.latest) if history.latest else None
    rpath = join_path(path, "revision")
    same_name = latest is not None and (latest.generated if own is None else own == latest.name)
    if latest is not None and same_name and (not latest.digest or latest.digest == digest):
        return latest.name, history, []  # the template the last deployment applied, unchanged
    if own is not None and latest is not None and own == latest.name:
        changes = changed_fields(latest.fields or {}, fields)
        shown = ", ".join(changes[:4]) + (f" and {len(changes) - 4} more" if len(changes) > 4 else "")
        return own, history, [Problem(rpath, (
            f"the revision template changes ({shown or 'its digest'}) but keeps the name {own}, which the last "
            f"deployment created; Knative's webhook refuses that (\"Saw the following changes without a name "
            f"change\"). Give this template a new revision suffix (for example {_next_suffix(service, history)})"))]
    generation = history.generation + 1
    name = own if own is not None else revision_full_name(service.name, f"{generation:05d}")
    earlier = history.named(name)
    if earlier is not None:
        if earlier.spec_digest and earlier.spec_digest != spec_digest(template):
            return name, history, [Problem(rpath, (
                f"{name} is an earlier revision of this stack with another spec; "
                f"Knative refuses to reuse its name (the revision already exists). To send traffic to it, name it "
                f"in traffic (for example rollback: {name}); for this template choose a new suffix (for example "
                f"{_next_suffix(service, history)})"))]
        return name, replace(history, latest=name, generation=generation), []
    record = RevisionRecord(name=name, created=now, image=image, digest=digest, spec_digest=spec_digest(template),
                            fields=fields, generation=generation, generated=own is None)
    return name, ServiceHistory(revisions=(*history.revisions, record), latest=name, generation=generation), []


def _next_suffix(service: Service, history: ServiceHistory) -> str:
    taken = {r.name for r in history.revisions}
    n = len(taken) + 1
    while revision_full_name(service.name, f"v{n}") in taken:
        n += 1
    return f"v{n}"


def plan_revisions(service: Service, template: Mapping[str, Any], history: ServiceHistory, path: str,
                   now: str) -> tuple[RevisionPlan | None, list[Problem]]:
    """The revisions of an update of a *validated* service whose rendered template is ``template``.

    ``path`` is the service's config path (``services.api``); ``now`` the
    creation time recorded for a new revision (UTC, ``2026-01-31T12:00:00Z``).
    """
    if history.namespace is not None and history.namespace != service.namespace:
        history = ServiceHistory()  # moving namespaces replaces the Service: its old revisions go with it
    name, after, problems = _new_revision(service, template, history, path, now)
    compiled = compile_traffic(service.traffic)
    known = [r.name for r in after.revisions]
    others = [n for n in known if n != name]
    traffic_path = join_path(path, "traffic")
    paths = _target_paths(traffic_path, service.traffic)
    in_split = isinstance(service.traffic, Split)
    rerouted: list[Target] = []
    notes: list[str] = []
    for target, tpath in zip(compiled.targets, paths, strict=True):
        if target.revision is None or target.revision == LATEST:
            rerouted.append(target)
            continue
        where = join_path(tpath, "revision") if in_split else tpath
        full = revision_full_name(service.name, target.revision)
        if full in known:
            rerouted.append(Target(revision=full, percent=target.percent, tag=target.tag))
        elif not others:
            own = Target(revision=name) if not after.named(name) or not after.named(name).generated \
                else Target(latest=True)  # a generated name is a prediction: route to the latest instead
            rerouted.append(replace(own, percent=target.percent, tag=target.tag))
            notes.append(f"{where}: {full} does not exist yet: no earlier deployment of this stack created it and "
                         f"{name} is {service.name}'s only revision, so its {target.percent}% "
                         f"{'and tag ' + repr(target.tag) + ' ' if target.tag else ''}go to {name}. Once "
                         f"{service.name} has other revisions, naming one that does not exist is refused")
        else:
            problems.append(Problem(where, (
                f"names revision {full}, which no earlier deployment of this stack created and this update does "
                f"not create; {service.name}'s revisions are {', '.join(known)}. Name one of them, or create "
                f"{full} first: deploy it as the service's revision (revision: "
                f"{full.removeprefix(service.name + '-')}) with traffic: latest, then add this policy")))
    if problems:
        return None, problems
    effective = service
    if notes:
        effective = replace(service, traffic=Split(targets=tuple(rerouted),
                                                   rollout_duration=getattr(service.traffic, "rollout_duration", None)))
    return RevisionPlan(service=effective, revision=name, history=after, notes=tuple(notes)), []
