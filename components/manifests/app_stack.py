"""An app stack's one round of checks, once the data it needs is known; pure (no Pulumi).

:class:`~knative_platform.reference.PlatformReference` runs it inside the ``apply`` that joins the app stack's
previous outputs with the platform stack's outputs, and raises or logs what it returns. A new check of an app
stack against its platform (another platform output) adds its problems here, so they come out with the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model.cluster.binauthz import Enforcement, admission_problems
from ..model.core.errors import Problem
from ..model.eventing.exported import app_event_problems
from ..model.revisions.revisions import Previous, RevisionPlan
from ..model.service.service import Service
from ..model.source.resolve import Sources, platform_registry_problems, with_platform_registry
from ..model.tls.coverage import app_host_problems
from .revision_plans import revision_plans


@dataclass(frozen=True)
class PlatformFacts:
    """What the checks read from the platform stack's outputs (None where an older platform exports nothing)."""

    domain: str
    domain_template: str
    tag_template: str
    https: bool
    https_hosts: Any
    binary_authorization: Any
    registry: Any = None
    """The platform's registry prefix (its ``registry`` output), where the app's source services are pushed."""
    eventing: Any = None
    """Its ``eventing`` output: the brokers and settings the services' triggers and schedules are checked against."""


@dataclass(frozen=True)
class AppStackRound:
    """The services' plans, the problems that refuse the update, and the warnings it only logs."""

    plans: dict[str, RevisionPlan]
    problems: list[Problem]
    warnings: list[Problem]


def app_stack_round(stack: str, services: Sequence[Service], previous: Previous,
                    platform: PlatformFacts, sources: Sources | None = None) -> AppStackRound:
    """The app stack's checks: revisions, public hosts the platform serves, images its policy admits, events.

    Each service's revision checks against the stack's last record; that the platform serves each of its
    public hosts (``httpsHosts``); that the platform's Binary Authorization policy admits its images; that
    each trigger names a broker the platform declares in the service's namespace, and that the platform
    installs Eventing at all when a service has a trigger or a schedule (``eventing``).
    A platform that writes no image policy (not GKE, or an older platform) exports no ``binaryAuthorization``;
    under a dry-run policy the images it would deny are warnings, not problems. Source services (``sources``)
    are pushed to the platform's registry: their images resolve there, and a platform without one refuses them.
    """
    sources = with_platform_registry(sources, platform.registry)
    unplaced = platform_registry_problems(sources, stack)  # then its source services cannot be planned at all
    plans, problems = revision_plans([s for s in services if not unplaced or s.source is None], previous, sources)
    problems += unplaced
    problems += app_host_problems(stack, services, platform.domain, platform.domain_template, platform.tag_template,
                                  platform.https, platform.https_hosts)
    problems += app_event_problems(stack, services, platform.eventing)
    warnings: list[Problem] = []
    policy = platform.binary_authorization
    if isinstance(policy, Mapping):
        denied = admission_problems(services, policy, stack)
        if policy.get("enforcement") == Enforcement.ENFORCED:
            problems += denied
        else:
            warnings = denied
    return AppStackRound(plans, problems, warnings)
