"""``KnativeApp``: one app team's service on the platform, as Kubernetes resources.

The component only wires: the Knative objects come from
:mod:`components.manifests.knative`, the URLs from
:mod:`components.manifests.urls` and the revision checks from
:mod:`components.spec.revisions`. It validates its service before registering
anything, so an importer who builds a bad ``Service`` in Python gets the same
path-naming error a stack file would. A service with ``serviceAccount`` gets
its own :class:`~components.identity.ServiceIdentity`, which the Knative
Service waits for, so no revision starts before its account and grants exist.
Its Kubernetes objects also wait for the revision checks against what earlier
deployments of the stack created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from .errors import checked
from .history import StackHistory, now
from .identity import ServiceIdentity, ServiceIdentityArgs
from .manifests.knative import render_domain_claim, render_domain_mapping, render_service
from .manifests.urls import DEFAULT_DOMAIN_TEMPLATE, DEFAULT_TAG_TEMPLATE, ServiceUrls, service_urls
from .spec.errors import Problem, join_path
from .spec.revisions import RevisionPlan, ServiceHistory, plan_revisions, read_history, revisions_output
from .spec.service import MAX_TIMEOUT_SECONDS, Service
from .spec.validated import service_problems_once

if TYPE_CHECKING:
    # pulumi_gcp takes longer to import than the rest of a small stack's program; only an app with a Google
    # identity creates GCP resources, and .identity imports it for those (issue 9).
    import pulumi_gcp as gcp


@dataclass(frozen=True)
class KnativeAppArgs:
    """What a KnativeApp needs: the service, the cluster to put it on, and the platform's domain.

    ``provider`` is required: a component that fell back to the ambient
    kubeconfig could deploy to whichever cluster a laptop points at.
    """

    service: Service
    provider: k8s.Provider
    domain: pulumi.Input[str]
    https: pulumi.Input[bool] = False
    domain_template: pulumi.Input[str] = DEFAULT_DOMAIN_TEMPLATE
    tag_template: pulumi.Input[str] = DEFAULT_TAG_TEMPLATE
    max_timeout_seconds: int = MAX_TIMEOUT_SECONDS
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    workload_pool: pulumi.Input[str] | None = None
    """The GKE cluster's Workload Identity pool (``<project>.svc.id.goog``), for a service with a Google identity."""
    gcp_provider: gcp.Provider | None = None
    """The GCP provider a service's Google identity is created with."""
    history: pulumi.Input[Mapping[str, Any]] | None = None
    """The stack's previous ``revisions`` output (service name -> record); None: the app reads it itself.

    The program must export every app's :attr:`KnativeApp.revisions` as the
    stack output ``revisions``, keyed by service name: the next update reads it.
    """
    plan: pulumi.Input[RevisionPlan] | None = None
    """The service's revision plan when the caller already made it against ``history`` (as
    :class:`~components.platform.Platform` does for every service at once), so it is not made twice."""


def revision_plan(service: Service, previous: Any, created: str) -> tuple[RevisionPlan | None, list[Problem]]:
    """The revision plan of ``service`` against the stack's previous ``revisions`` output."""
    history = read_history(previous).get(service.name, ServiceHistory())
    template = render_service(service)["spec"]["template"]
    return plan_revisions(service, template, history, join_path("services", service.name), created)


class KnativeApp(pulumi.ComponentResource):
    """A Knative Service plus its domain mappings; outputs its URL, tag URLs, traffic and revisions."""

    url: pulumi.Output[str]
    tag_urls: pulumi.Output[Mapping[str, str]]
    domain_urls: pulumi.Output[Mapping[str, str]]
    revision_name: str | None
    traffic: pulumi.Output[list[dict[str, object]]]
    """The Service's ``spec.traffic`` as Knative receives it (the ``kn service describe`` view of the policy)."""
    revisions: pulumi.Output[dict[str, Any]]
    """The revisions this stack created and each one's share of traffic now (``kn revision list``)."""
    service: k8s.apiextensions.CustomResource
    identity: ServiceIdentity | None
    """The service's own service account (and Google identity), when it declares ``serviceAccount``."""

    def __init__(self, name: str, args: KnativeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        svc = args.service
        path = join_path("services", svc.name)
        # A service of a validated platform spec is not checked again; one built by hand is.
        problems = service_problems_once(svc, path, args.max_timeout_seconds)
        if svc.service_account is not None and svc.service_account.wants_google and (
                args.workload_pool is None or args.gcp_provider is None):
            problems.append(Problem(join_path(path, "serviceAccount"),
                                    "a Google identity needs Workload Identity on a GKE cluster: pass workload_pool "
                                    "and gcp_provider (Platform and PlatformReference.app_args do)"))
        checked(problems)
        super().__init__("knative-platform:index:KnativeApp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        previous = args.history if args.history is not None or args.plan is not None else StackHistory(
            f"{name}-history", opts=pulumi.ResourceOptions(parent=self)).revisions
        created = now()

        self.identity = None
        if svc.service_account is not None:  # pods must find their account (and its grants) when they start
            self.identity = ServiceIdentity(f"{svc.name}-identity", ServiceIdentityArgs(
                service=svc, provider=args.provider, workload_pool=args.workload_pool,
                gcp_provider=args.gcp_provider, depends_on=list(args.depends_on),
            ), opts=pulumi.ResourceOptions(parent=self))

        def planned(value: Any) -> RevisionPlan:
            plan, problems = revision_plan(svc, value, created)
            checked(problems)
            assert plan is not None
            return noted(plan)

        def noted(plan: RevisionPlan) -> RevisionPlan:
            for note in plan.notes:
                pulumi.log.warn(note, resource=self)
            return plan

        # Every object below waits for the plan: a refused update registers none of them.
        plan = (pulumi.Output.from_input(args.plan).apply(noted) if args.plan is not None
                else pulumi.Output.from_input(previous).apply(planned))
        manifest = plan.apply(lambda p: render_service(p.service))
        shape = render_service(svc)
        self.service = k8s.apiextensions.CustomResource(
            svc.name,
            api_version=shape["apiVersion"],
            kind=shape["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=self.identity.ready if self.identity else [])),
        )
        for domain in svc.domains:
            claim = render_domain_claim(svc, domain)
            claim_resource = k8s.apiextensions.CustomResource(
                f"{svc.name}-{domain}-claim",
                api_version=claim["apiVersion"],
                kind=claim["kind"],
                metadata=claim["metadata"],
                spec=plan.apply(lambda _p, spec=claim["spec"]: spec),
                opts=child,
            )
            mapping = render_domain_mapping(svc, domain)
            k8s.apiextensions.CustomResource(
                f"{svc.name}-{domain}",
                api_version=mapping["apiVersion"],
                kind=mapping["kind"],
                metadata=mapping["metadata"],
                spec=mapping["spec"],
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[self.service, claim_resource])
                ),
            )

        # Inputs, not plain values: an app stack learns them from the platform stack's outputs. Under Platform
        # only the domain is an Output; combining the plain values too (Output.all) would double the Outputs the
        # SDK schedules for each app, a cost that shows with thousands of apps (issue 9).
        https, domain_template, tag_template = args.https, args.domain_template, args.tag_template
        urls: pulumi.Output[ServiceUrls]
        if isinstance(https, bool) and isinstance(domain_template, str) and isinstance(tag_template, str):
            urls = pulumi.Output.from_input(args.domain).apply(lambda domain: service_urls(
                svc, domain, https=https, domain_template=domain_template, tag_template=tag_template))
        else:
            urls = pulumi.Output.all(args.domain, https, domain_template, tag_template).apply(
                lambda a: service_urls(svc, a[0], https=bool(a[1]), domain_template=a[2], tag_template=a[3]))
        self.url = urls.apply(lambda u: u.url)
        self.tag_urls = urls.apply(lambda u: dict(u.tag_urls))
        self.domain_urls = urls.apply(lambda u: dict(u.domain_urls))
        self.revision_name = svc.revision_name
        self.traffic = manifest.apply(lambda m: m["spec"]["traffic"])
        self.revisions = pulumi.Output.all(plan, self.traffic).apply(lambda a: revisions_output(a[0], a[1]))
        self.register_outputs({
            "url": self.url,
            "tagUrls": self.tag_urls,
            "domainUrls": self.domain_urls,
            "revisionName": self.revision_name,
            "traffic": self.traffic,
            "revisions": self.revisions,
        })
