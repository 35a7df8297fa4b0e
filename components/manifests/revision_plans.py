"""Each service's revision plan against the stack's last record, and the record the update leaves behind.

Pure (no Pulumi): :class:`~knative_platform.platform.Platform`, :class:`~knative_platform.reference.PlatformReference`
and :class:`~knative_platform.app.KnativeApp` call these inside the ``apply`` on the stack's previous outputs,
which is the one validation round that cannot run with the others: it needs data only the engine has
(:mod:`knative_platform.runtime.history`). A plan needs the service's rendered template, hence this layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model.core.errors import Problem, join_path
from ..model.revisions.revisions import Previous, RevisionPlan, plan_service, revisions_output
from ..model.service.service import Service
from .knative import render_service, render_traffic


def revision_plan(service: Service, previous: Previous,
                  template: Mapping[str, Any] | None = None) -> tuple[RevisionPlan | None, list[Problem]]:
    """The revision plan of ``service`` (whose rendered ``spec.template`` is ``template``) against the last record."""
    if template is None:
        template = render_service(service)["spec"]["template"]
    return plan_service(service, template, previous, join_path("services", service.name))


def revision_plans(services: Sequence[Service], previous: Previous) -> tuple[dict[str, RevisionPlan], list[Problem]]:
    """Each service's revision plan against the stack's last record, by name, and every problem found."""
    plans, problems = {}, []
    for service in services:
        plan, found = revision_plan(service, previous)
        problems += found
        if plan is not None:
            plans[service.name] = plan
    return plans, problems


def own_plan(plans: RevisionPlan | Mapping[str, RevisionPlan], name: str) -> RevisionPlan:
    """The plan of service ``name``: the one given, or its entry of every service's."""
    return plans if isinstance(plans, RevisionPlan) else plans[name]


def record_of(plan: RevisionPlan) -> dict[str, Any]:
    """The service's entry of the stack output ``revisions`` after the update ``plan`` makes."""
    return revisions_output(plan, render_traffic(plan.service))


def records(plans: Mapping[str, RevisionPlan]) -> dict[str, dict[str, Any]]:
    """Every planned service's entry of the stack output ``revisions``, by name."""
    return {name: record_of(plan) for name, plan in plans.items()}
