"""A service's revision plan from its declaration: ``revision: auto`` named, a source service's image resolved.

Pure, like the rest of :mod:`knative_platform.manifests`: the components
(``Platform``, ``PlatformReference``, ``KnativeApp``) call :func:`plan_of` with the
stack's last record and, for source services, what the program's shell learnt of
the checkout (:class:`~knative_platform.model.source.resolve.Sources`). The plan's
``service`` is what the Knative Service renders: its revision named and, for a
source service, its image ``<repository>@sha256:<digest>``
(:func:`~knative_platform.model.source.resolve.resolve_image`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..model.core.errors import Problem, join_path
from ..model.revisions.revision_record import ServiceHistory, read_service_history
from ..model.revisions.revisions import Previous, RevisionPlan, plan_service
from ..model.service.service import Service
from ..model.source.resolve import (
    AUTO_REVISION,
    Sources,
    auto_suffix,
    pending_note,
    resolve_image,
    source_image_stand_in,
)
from .knative import render_service

NEEDS_SOURCES = ("is a source service: its image is resolved by Platform or PlatformReference (they read the "
                 "stack's recorded builds); deploy it through one of them, or give the service a built image")


def named_revision(service: Service, fingerprint: str | None = None) -> Service:
    """``service`` with ``revision: auto`` replaced by ``r<8 hex>`` of its template; any other service as it is.

    A source service's template is digested with ``source:<fingerprint>`` in place of
    its image, so a changed source gets a new name and an unchanged one keeps it,
    whichever digest its build got.
    """
    if service.revision != AUTO_REVISION:
        return service
    stand_in = replace(service, image=source_image_stand_in(fingerprint or ""), revision=None) \
        if service.source is not None else replace(service, revision=None)
    return replace(service, revision=auto_suffix(render_service(stand_in)["spec"]["template"]))


def _history(service: Service, previous: Previous) -> ServiceHistory:
    """The service's record to look a fingerprint up in: none when this update forgets it (or cannot read it)."""
    if service.name in previous.reset or "*" in previous.reset:
        return ServiceHistory()
    history, problems = read_service_history(previous.revisions, service.name)
    return ServiceHistory() if problems else history  # plan_service reports an unreadable record


def plan_of(service: Service, previous: Previous, sources: Sources | None = None,
            template: Mapping[str, Any] | None = None) -> tuple[RevisionPlan | None, list[Problem]]:
    """The revision plan of a *validated* service against the stack's last record (``template``: its render)."""
    path = join_path("services", service.name)
    if service.source is None:
        named = named_revision(service)
        if template is None or named is not service:
            template = render_service(named)["spec"]["template"]
        return plan_service(named, template, previous, path)
    if sources is None:
        return None, [Problem(join_path(path, "source"), NEEDS_SOURCES)]
    fingerprint = sources.fingerprints.get(service.name, "")
    found, problems = resolve_image(service.name, sources, _history(service, previous), path)
    if found is None:
        return None, problems
    deployed = replace(named_revision(service, fingerprint), image=found.image)
    plan, problems = plan_service(deployed, render_service(deployed)["spec"]["template"], previous, path,
                                  fingerprint=fingerprint)
    if plan is None:
        return None, problems
    note = pending_note(service.name, path, found)
    return replace(plan, source=found, notes=(*plan.notes, *([note] if note else []))), problems


def sources_output(plans: Mapping[str, RevisionPlan]) -> dict[str, dict[str, Any]]:
    """The stack output ``sources``: per source service its fingerprint, image, revision (and ``pendingBuild``)."""
    return {name: plan.source.row(plan.revision) for name, plan in sorted(plans.items()) if plan.source is not None}
