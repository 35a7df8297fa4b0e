"""Revisions across deployments: which ones exist, whether a template may keep its name, where traffic may go.

Knative names a revision once and never lets its template change under that
name, and traffic can only name revisions that exist (DESIGN.md §6). A stack
therefore remembers, per service, the revisions its deployments created: the
``revisions`` stack output (:mod:`knative_platform.model.revisions.revision_record`), which the
next update reads back through a StackReference to its own stack
(:mod:`knative_platform.runtime.history`) and hands to :func:`plan_service`. That plan, pure and computed before
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

The record holds digests of the templates, never their values, and no
clock: the plan is a function of the stack's inputs and its last record, so a
preview and the update that follows plan the same (DESIGN.md section 6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.errors import Problem, join_path
from ..core.names import revision_full_name
from ..service.service import Service
from ..service.shares import LATEST
from ..service.traffic import ROLLOUT_DURATION_ANNOTATION, Split, Target, compile_traffic, target_paths
from ..source.resolve import SourceImage
from .reset import RESET_KEY
from .revision_record import (
    KEEP_UNROUTED,
    REVISIONS_OUTPUT,
    RevisionRecord,
    ServiceHistory,
    changed_fields,
    fields_text,
    order,
    read_service_history,
    record_row,
    same_digest,
    short,
    spec_digest,
    template_digest,
    template_fields,
)

__all__ = ["REVISIONS_OUTPUT", "Previous", "RevisionPlan", "ServiceHistory", "plan_revisions", "plan_service",
           "revisions_output"]


@dataclass(frozen=True)
class Previous:
    """What the stack's last deployment left, as the program reads it back before planning."""

    revisions: Any = None
    """The ``revisions`` output as read back; None when the stack has none."""
    deployed: bool = False
    """The stack has outputs of an earlier deployment (False: it was never deployed)."""
    reset: frozenset[str] = field(default_factory=frozenset)
    """Services whose record this update forgets (``knative-platform:resetRevisionHistory``); ``*``: every one."""


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
    """Warnings for the user (targets re-routed to the first revision, a source pending its build)."""
    source: SourceImage | None = None
    """A source service's image in this update and where its digest came from."""




# -- writing the record ---------------------------------------------------------------------


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
    kept: list[dict[str, Any]] = []
    unrouted = 0
    for r in sorted(plan.history.revisions, key=order, reverse=True):
        if r.name not in share and r.name != plan.revision:
            unrouted += 1
            if unrouted > KEEP_UNROUTED:
                continue
        kept.append(record_row(r, share.get(r.name, 0), tags.get(r.name, ()), r.name == plan.revision))
    return {"namespace": plan.service.namespace, "generation": plan.history.generation, "list": kept}


# -- planning -------------------------------------------------------------------------------


def plan_service(service: Service, template: Mapping[str, Any], previous: Previous,
                 path: str, fingerprint: str = "") -> tuple[RevisionPlan | None, list[Problem]]:
    """The revision plan of a *validated* service against what the stack's last deployment recorded.

    ``template`` is the service's rendered ``spec.template``; ``path`` its config
    path (``services.api``); ``fingerprint`` a source service's, which its new
    revision records. A record that cannot be read refuses the update (the
    problems name its paths and the setting that forgets it).
    """
    if service.name in previous.reset or "*" in previous.reset:
        plan, problems = plan_revisions(service, template, ServiceHistory(), path,
                                        why_new=f"the stack's record of {service.name} is forgotten "
                                                f"(knative-platform:{RESET_KEY})", fingerprint=fingerprint)
        note = (f"{path}: this update forgets the stack's record of {service.name}'s revisions "
                f"(knative-platform:{RESET_KEY}) and records it afresh; remove the setting after this update")
        return (replace(plan, notes=(note, *plan.notes)) if plan else None), problems
    history, problems = read_service_history(previous.revisions, service.name)
    if problems:
        return None, problems
    if not previous.deployed:
        why = "this stack has no earlier deployment"
    elif previous.revisions is None:
        why = ("the stack's last deployment recorded no revisions (its program did not export them; "
               "knative-platform records them itself now)")
    elif not history.revisions:
        why = f"the stack's last deployment has no record of {service.name} (a service new to this stack)"
    else:
        why = "no earlier deployment of this stack created it"
    return plan_revisions(service, template, history, path, why_new=why, fingerprint=fingerprint)


def _refused_rename(service: Service, latest: RevisionRecord, fields: Mapping[str, str], own: str,
                    history: ServiceHistory) -> str:
    changes, removed = changed_fields(latest.fields, fields) if latest.fields is not None else ([], 0)
    shown = ", ".join(changes[:4]) + (f" and {len(changes) - 4} more" if len(changes) > 4 else "")
    if removed:
        shown += f"{', ' if shown else ''}{removed} field(s) removed"
    return (f"the revision template changes ({shown or 'its digest'}) but keeps the name {own}, which the last "
            f"deployment created; Knative's webhook refuses that (\"Saw the following changes without a name "
            f"change\"). Give this template a new revision suffix (for example {_next_suffix(service, history)})")


def _new_revision(service: Service, template: Mapping[str, Any], history: ServiceHistory,
                  path: str, fingerprint: str) -> tuple[str, ServiceHistory, list[Problem]]:
    """The revision name of the update and the history after it; problems when Knative would refuse the template."""
    digest = template_digest(template)
    image = str(((template.get("spec") or {}).get("containers") or [{}])[0].get("image") or "")
    own = (template.get("metadata") or {}).get("name")
    latest = history.named(history.latest) if history.latest else None
    rpath = join_path(path, "revision")
    same_name = latest is not None and (latest.generated if own is None else own == latest.name)
    name = own if own is not None else revision_full_name(service.name, f"{history.generation + 1:05d}")

    def record() -> RevisionRecord:  # the field hashes cost the most: made only for a record that needs them
        return RevisionRecord(name=name, image=image, digest=short(digest), spec_digest=short(spec_digest(template)),
                              fields=fields_text(template_fields(template)), generation=history.generation + 1,
                              generated=own is None, source=fingerprint)

    if latest is not None and same_name and (not latest.digest or same_digest(latest.digest, digest)):
        # The template the last deployment applied, unchanged; a record without (or with older) digests gets them.
        if latest.fields is not None and latest.digest == short(digest):
            return latest.name, history, []
        current = replace(record(), name=latest.name, generation=latest.generation, generated=latest.generated)
        revisions = tuple(current if r.name == latest.name else r for r in history.revisions)
        return latest.name, replace(history, revisions=revisions), []
    if own is not None and latest is not None and own == latest.name:
        refusal = _refused_rename(service, latest, template_fields(template), own, history)
        return own, history, [Problem(rpath, refusal)]
    generation = history.generation + 1
    earlier = history.named(name)
    if earlier is not None:
        if earlier.spec_digest and not same_digest(earlier.spec_digest, spec_digest(template)):
            return name, history, [Problem(rpath, (
                f"{name} is an earlier revision of this stack with another spec; "
                f"Knative refuses to reuse its name (the revision already exists). To send traffic to it, name it "
                f"in traffic (for example rollback: {name}); for this template choose a new suffix (for example "
                f"{_next_suffix(service, history)})"))]
        # Knative reuses the revision: it is the latest again, and this template is what a later update compares to.
        kept = replace(record(), generation=earlier.generation, generated=earlier.generated)
        revisions = tuple(kept if r.name == name else r for r in history.revisions)
        return name, replace(history, revisions=revisions, latest=name, generation=generation), []
    return name, ServiceHistory(revisions=(*history.revisions, record()), latest=name, generation=generation), []


def _next_suffix(service: Service, history: ServiceHistory) -> str:
    taken = {r.name for r in history.revisions}
    n = len(taken) + 1
    while revision_full_name(service.name, f"v{n}") in taken:
        n += 1
    return f"v{n}"


def plan_revisions(service: Service, template: Mapping[str, Any], history: ServiceHistory, path: str,
                   why_new: str = "no earlier deployment of this stack created it", fingerprint: str = "",
                   ) -> tuple[RevisionPlan | None, list[Problem]]:
    """The revisions of an update of a *validated* service whose rendered template is ``template``.

    ``path`` is the service's config path (``services.api``); ``why_new`` why a
    revision the policy names does not exist, for the warning on a first revision.
    """
    if history.namespace is not None and history.namespace != service.namespace:
        why_new = (f"{service.name} moves from namespace {history.namespace} to {service.namespace}, which "
                   "replaces the Service and its revisions")
        history = ServiceHistory()  # moving namespaces replaces the Service: its old revisions go with it
    name, after, problems = _new_revision(service, template, history, path, fingerprint)
    compiled = compile_traffic(service.traffic)
    known = [r.name for r in after.revisions]
    others = [n for n in known if n != name]
    traffic_path = join_path(path, "traffic")
    paths = target_paths(traffic_path, service.traffic)
    rerouted: list[Target] = []
    notes: list[str] = []
    for target, tpath in zip(compiled.targets, paths, strict=True):
        if target.revision is None or target.revision == LATEST:
            rerouted.append(target)
            continue
        where = tpath.revision
        full = revision_full_name(service.name, target.revision)
        if full in known:
            rerouted.append(Target(revision=full, percent=target.percent, tag=target.tag))
        elif not others:
            record = after.named(name)
            own = Target(latest=True) if record is not None and record.generated else Target(revision=name)
            rerouted.append(replace(own, percent=target.percent, tag=target.tag))  # a generated name is a prediction
            tagged = f"and tag {target.tag!r} " if target.tag else ""
            notes.append(f"{where}: {full} does not exist yet: {why_new}, and {name} is {service.name}'s only "
                         f"revision, so its {target.percent}% {tagged}go to {name}. Once {service.name} has other "
                         "revisions, naming one that does not exist is refused")
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
        rollout = compiled.annotations.get(ROLLOUT_DURATION_ANNOTATION)
        effective = replace(service, traffic=Split(targets=tuple(rerouted), rollout_duration=rollout))
        # Only the targets move: the Service's annotations (a rollout duration) stay the policy's own.
        assert compile_traffic(effective.traffic).annotations == compiled.annotations
    return RevisionPlan(service=effective, revision=name, history=after, notes=tuple(notes)), []
