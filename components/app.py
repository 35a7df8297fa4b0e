"""``KnativeApp``: one app team's service on the platform, as Kubernetes resources.

The component only wires: the Knative objects come from
:mod:`knative_platform.manifests.knative`, the URLs from
:mod:`knative_platform.manifests.urls` and the revision checks from
:mod:`knative_platform.model.revisions.revisions`. It validates its service before registering
anything, so an importer who builds a bad ``Service`` in Python gets the same
path-naming error a stack file would. A service with ``serviceAccount`` gets
its own :class:`~knative_platform.identity.ServiceIdentity`, which the Knative
Service waits for, so no revision starts before its account and grants exist.
Its Kubernetes objects also wait for the revision checks against what earlier
deployments of the stack created, and it adds its service's revisions to the
stack output ``revisions`` itself (:class:`~knative_platform.runtime.history.StackHistory`),
which the stack's next update reads back: a program need not export anything
for its revisions to be remembered. Its triggers and schedules (Knative Eventing) become Triggers and
PingSources after the service and the platform's brokers (:mod:`knative_platform.manifests.eventing`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pulumi
import pulumi_kubernetes as k8s

from .identity import ServiceIdentity, ServiceIdentityArgs
from .manifests.eventing import REPLACE_ON_CHANGES, service_event_manifests, service_events_output
from .manifests.knative import render_domain_claim, render_domain_mapping, render_service, render_traffic
from .manifests.revision_plans import own_plan, record_of, revision_plan
from .manifests.service_plan import named_revision
from .manifests.urls import DEFAULT_DOMAIN_TEMPLATE, DEFAULT_TAG_TEMPLATE, ServiceUrls, service_urls
from .model.core.errors import Problem, join_path
from .model.eventing.eventing import EventingSpec
from .model.eventing.exported import app_event_problems_once, events_against
from .model.revisions.revisions import Previous, RevisionPlan
from .model.service.identity import google_identity_problems
from .model.service.service import MAX_TIMEOUT_SECONDS, Service
from .model.service.validated import service_problems_once
from .model.source.resolve import Sources
from .runtime.errors import checked
from .runtime.history import StackHistory

T = TypeVar("T")

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
    """The service to deploy, validated before anything registers."""
    provider: k8s.Provider
    """The Kubernetes provider of the cluster to deploy on; required, never the ambient kubeconfig."""
    domain: pulumi.Input[str]
    """The platform's domain; the service's host is ``<name>.<namespace>.<domain>`` by default."""
    https: pulumi.Input[bool] = False
    """Whether the platform serves the service's public URLs over HTTPS (the URLs' scheme)."""
    domain_template: pulumi.Input[str] = DEFAULT_DOMAIN_TEMPLATE
    """Knative's ``domain-template`` (config-network), as the platform set it."""
    tag_template: pulumi.Input[str] = DEFAULT_TAG_TEMPLATE
    """Knative's ``tag-template`` (config-network), as the platform set it."""
    max_timeout_seconds: int = MAX_TIMEOUT_SECONDS
    """The platform's ``max-revision-timeout-seconds``: the most a service's ``timeoutSeconds`` may be."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before the Knative Service: Serving's webhooks and ConfigMaps, the namespace."""
    workload_pool: pulumi.Input[str | None] | None = None
    """The GKE cluster's Workload Identity pool (``<project>.svc.id.goog``), for a service with a Google identity."""
    gcp_provider: gcp.Provider | None = None
    """The GCP provider a service's Google identity is created with."""
    history: pulumi.Input[Previous | Mapping[str, Any]] | None = None
    """What the stack's last deployment recorded (:meth:`~knative_platform.runtime.history.StackHistory.read`, or its
    ``revisions`` output); None: the app reads it itself. Either way the app adds its own record to the stack
    output ``revisions``."""
    plan: pulumi.Input[RevisionPlan | Mapping[str, RevisionPlan]] | None = None
    """The service's revision plan when the caller already made it against ``history``, or every service's plan
    by name (as :class:`~knative_platform.platform.Platform` makes them at once), so it is not made twice."""
    sources: Sources | None = None
    """What the program knows of its source services (fingerprints, registry, recorded builds), for a source
    service planned here rather than by Platform or PlatformReference (:mod:`knative_platform.runtime.sources`)."""
    eventing: pulumi.Input[EventingSpec | None] | None = None
    """The brokers and Eventing settings the service's triggers and schedules are checked against: the
    platform's (Platform passes its own; PlatformReference.app_args the platform stack's ``eventing`` output).
    None: the service may declare no trigger or schedule."""
    eventing_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the service's Triggers and PingSources wait for besides the service: Eventing and its brokers."""


Plans = RevisionPlan | Mapping[str, RevisionPlan]
"""A service's revision plan, or every service's by name, from which :func:`own_plan` picks the service's."""


def _of_plan(plan: Plans | pulumi.Output[Plans], made: Callable[[Plans], T]) -> T | pulumi.Output[T]:
    """``made(plan)``: plain when the plan is (checked before anything registered), else once the Output is."""
    return plan.apply(made) if isinstance(plan, pulumi.Output) else made(plan)


def _after(gate: object, value: Mapping[str, Any]) -> Mapping[str, Any] | pulumi.Output[Any]:
    """``value``, once ``gate`` is known when it is an Output (a plan, a check): the object waits for the check."""
    return gate.apply(lambda _: value) if isinstance(gate, pulumi.Output) else value


def _output(value: pulumi.Input[Any]) -> pulumi.Output[Any]:
    """``value`` as an Output, without re-wrapping one that already is.

    ``Output.from_input`` re-wraps an Output by an apply that walks its whole
    value (pulumi 3.272.0 ``pulumi/output.py``): a cost per app that shows with
    thousands of apps (issue 9).
    """
    return value if isinstance(value, pulumi.Output) else pulumi.Output.from_input(value)


class KnativeApp(pulumi.ComponentResource):
    """A Knative Service plus its domain mappings; outputs its URL, tag URLs, traffic and revisions.

    Its attributes are read-only properties, not class annotations: the Pulumi
    SDK evaluates a resource class's annotations again for every instance
    (pulumi 3.272.0 ``pulumi/_types.py`` ``resource_types``, uncached, called
    from ``runtime/rpc.py`` ``resolve_outputs``), a cost per app on a stack of
    thousands (issue 9).
    """

    def __init__(self, name: str, args: KnativeAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        svc = args.service
        history = StackHistory.of_stack()
        checked(self._problems(args, history))  # one round, before anything registers
        shape = render_service(named_revision(svc))  # revision: auto named (a source service's: by its plan)
        # Round 2, the revision checks: made here when the history is plain (read before anything registers);
        # against an Output, every object below waits for the plan, so a refused update registers none of them.
        plan = self._plan(args, shape["spec"]["template"], history)
        super().__init__("knative-platform:index:KnativeApp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        self._identity = self._service_identity(args)
        traffic = self._knative_service(shape, plan, child, source=svc.source is not None)
        self._domain_mappings(svc, plan, child)
        self._events = self._event_objects(args, child)
        self._record_revisions(svc.name, history, plan, grouped=args.plan is not None)
        self._outputs = self._url_outputs(args) | {"revisionName": self._revision_name(svc, plan), "traffic": traffic,
                                                   "events": service_events_output(svc)}
        # The record is the stack output ``revisions`` (StackHistory.record), not also the component's: the state
        # would hold it once more (issue 23).
        self.register_outputs(self._outputs)

    @staticmethod
    def _problems(args: KnativeAppArgs, history: StackHistory) -> list[Problem]:
        """Every problem of the app's declarations; a service of a validated platform spec is not checked again."""
        svc = args.service
        path = join_path("services", svc.name)
        problems = service_problems_once(svc, path, args.max_timeout_seconds)
        problems += google_identity_problems(svc.service_account, path,
                                             wired=args.workload_pool is not None and args.gcp_provider is not None)
        eventing = args.eventing if isinstance(args.eventing, EventingSpec) else None
        problems += app_event_problems_once(svc, path, args.eventing is not None, eventing)
        return problems + history.claim(svc.name, path)

    def _service_identity(self, args: KnativeAppArgs) -> ServiceIdentity | None:
        """The service's own account (and Google identity): pods must find it, and its grants, when they start."""
        svc = args.service
        if svc.service_account is None:
            return None
        return ServiceIdentity(f"{svc.name}-identity", ServiceIdentityArgs(
            service=svc, provider=args.provider, workload_pool=args.workload_pool,
            gcp_provider=args.gcp_provider, depends_on=list(args.depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))

    @staticmethod
    def _revision_name(svc: Service, plan: Plans | pulumi.Output[Plans]) -> str | pulumi.Output[str | None] | None:
        """The template's revision name: the service's, or a source service's once its plan has resolved its image."""
        if svc.source is None:
            return named_revision(svc).revision_name
        return _of_plan(plan, lambda plans: own_plan(plans, svc.name).service.revision_name)

    def _knative_service(self, shape: Mapping[str, Any], plan: Plans | pulumi.Output[Plans],
                         child: pulumi.ResourceOptions,
                         source: bool = False) -> list[dict[str, Any]] | pulumi.Output[list[dict[str, Any]]]:
        """The Knative Service; returns its ``spec.traffic``, the plan's (an output too).

        A source service's template is its plan's: the image its digest resolved to (issue 20).
        """
        name = shape["metadata"]["name"]

        def traffic_of(plans: RevisionPlan | Mapping[str, RevisionPlan]) -> list[dict[str, Any]]:
            planned = own_plan(plans, name)
            for note in planned.notes:
                pulumi.log.warn(note, resource=self)
            return render_traffic(planned.service)

        # A plan re-routes traffic targets only (plan_revisions), so the template and the Service's metadata are the
        # service's own, plain values (but a source service's image); only the traffic is the plan's.
        traffic = _of_plan(plan, traffic_of)
        template = _of_plan(plan, lambda plans: render_service(own_plan(plans, name).service)["spec"]["template"]) \
            if source else shape["spec"]["template"]
        self._service = k8s.apiextensions.CustomResource(
            name,
            api_version=shape["apiVersion"],
            kind=shape["kind"],
            metadata=shape["metadata"],
            spec={"template": template, "traffic": traffic},
            # merged only when there is more to wait for: a merge per service shows on stacks of thousands
            opts=child if self._identity is None else pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=self._identity.ready)),
        )
        return traffic

    def _domain_mappings(self, svc: Service, plan: Plans | pulumi.Output[Plans], child: pulumi.ResourceOptions) -> None:
        """Each custom domain's claim (after the plan) and DomainMapping (after the Service and the claim)."""
        for domain in svc.domains:
            claim = render_domain_claim(svc, domain)
            claim_resource = k8s.apiextensions.CustomResource(
                f"{svc.name}-{domain}-claim",
                api_version=claim["apiVersion"],
                kind=claim["kind"],
                metadata=claim["metadata"],
                spec=_after(plan, claim["spec"]),
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
                    child, pulumi.ResourceOptions(depends_on=[self._service, claim_resource])
                ),
            )

    def _event_objects(self, args: KnativeAppArgs, child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The service's Triggers and PingSources, after the service and Eventing's brokers (``eventing_after``).

        A Trigger moves to another broker by replacement (same name, deleted first): Eventing's webhook refuses
        to change ``spec.broker``. Against the platform stack's brokers (an Output), each waits for the check.
        """
        svc, eventing = args.service, args.eventing
        manifests = service_event_manifests(svc)
        gate = eventing.apply(lambda spec: checked(events_against(spec, svc))) \
            if isinstance(eventing, pulumi.Output) and manifests else None
        made: list[pulumi.Resource] = []
        for manifest in manifests:
            replace_on = list(REPLACE_ON_CHANGES.get(manifest["kind"], ()))
            made.append(k8s.apiextensions.CustomResource(
                manifest["metadata"]["name"], api_version=manifest["apiVersion"], kind=manifest["kind"],
                metadata=manifest["metadata"],
                spec=manifest["spec"] if gate is None else _after(gate, manifest["spec"]),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=[self._service, *args.eventing_after], replace_on_changes=replace_on,
                    delete_before_replace=bool(replace_on)))))
        return made

    def _record_revisions(self, name: str, history: StackHistory, plan: Plans | pulumi.Output[Plans],
                          grouped: bool) -> None:
        """Add the service's record to the stack output ``revisions``.

        The record is made only when something needs it on its own (a caller that planned several services
        records theirs at once, StackHistory.record_all); against an Output plan, the traffic is rendered again
        for it rather than joined with the Service's traffic by Output.all, which would walk and re-wrap both
        values (issue 9).
        """
        self._revisions: dict[str, Any] | pulumi.Output[dict[str, Any]] | None = None

        def revisions() -> dict[str, Any] | pulumi.Output[dict[str, Any]]:
            if self._revisions is None:
                self._revisions = _of_plan(plan, lambda plans: record_of(own_plan(plans, name)))
            return self._revisions

        self._record = revisions
        history.record(name, revisions, grouped=grouped)

    def _url_outputs(self, args: KnativeAppArgs) -> dict[str, Any]:
        """``url``, ``tagUrls`` and ``domainUrls``: plain where the domain and templates are, Outputs otherwise."""
        urls = self._urls(args)

        def part(get: Callable[[ServiceUrls], Any]) -> Any:
            return urls.apply(get) if isinstance(urls, pulumi.Output) else get(urls)

        return {"url": part(lambda u: u.url), "tagUrls": part(lambda u: dict(u.tag_urls)),
                "domainUrls": part(lambda u: dict(u.domain_urls))}

    @property
    def service(self) -> k8s.apiextensions.CustomResource:
        """The Knative Service."""
        return self._service

    @property
    def events(self) -> Sequence[pulumi.Resource]:
        """The service's Triggers and PingSources (``kn trigger list``, ``kn source ping list``), by key."""
        return tuple(self._events)

    @property
    def identity(self) -> ServiceIdentity | None:
        """The service's own service account (and Google identity), when it declares ``serviceAccount``."""
        return self._identity

    @property
    def outputs(self) -> Mapping[str, Any]:
        """What the component registers as its outputs, by output name.

        ``url``, ``tagUrls``, ``domainUrls``, ``revisionName``, ``traffic`` and ``events`` (its triggers and
        schedules by object name, None without any): plain values where they are known when the program runs,
        Outputs otherwise. The revisions are the stack's (:attr:`revisions`).
        """
        return self._outputs

    @property
    def revision_name(self) -> str | pulumi.Output[str | None] | None:
        """The name of the revision the service's template declares (None: Knative names it).

        An Output for a service built from source: its plan names it (``revision: auto``, after its fingerprint).
        """
        return cast("str | pulumi.Output[str | None] | None", self._outputs["revisionName"])

    @property
    def traffic(self) -> pulumi.Output[list[dict[str, object]]]:
        """The Service's ``spec.traffic`` as Knative receives it (the ``kn service describe`` view of the policy)."""
        return cast("pulumi.Output[list[dict[str, object]]]", _output(self._outputs["traffic"]))

    @property
    def revisions(self) -> pulumi.Output[dict[str, Any]]:
        """The revisions this stack created and each one's share of traffic now (``kn revision list``).

        The app adds it to the stack output ``revisions`` itself, under its service's name.
        """
        return _output(self._record())

    @property
    def url(self) -> pulumi.Output[str]:
        """The service's URL (``kn service describe -o url``)."""
        return _output(self.outputs["url"])

    @property
    def tag_urls(self) -> pulumi.Output[Mapping[str, str]]:
        """Each traffic tag's URL, by tag."""
        return _output(self.outputs["tagUrls"])

    @property
    def domain_urls(self) -> pulumi.Output[Mapping[str, str]]:
        """Each custom domain's URL (its DomainMapping), by domain."""
        return _output(self.outputs["domainUrls"])

    @staticmethod
    def _plan(args: KnativeAppArgs, template: Mapping[str, Any], history: StackHistory) -> Plans | pulumi.Output[Plans]:
        """The service's revision plan: the caller's, or made here against the stack's last record.

        Made here, it is the app's second validation round: it needs the stack's previous outputs, so it cannot
        join :meth:`_problems`. Read here (:meth:`StackHistory.read`) or given plain, they are known before the
        app registers anything; given as an Output, the app's objects wait for the plan instead.
        """
        if args.plan is not None:
            return args.plan if isinstance(args.plan, (RevisionPlan, Mapping)) else _output(args.plan)
        previous = args.history if args.history is not None else history.read()

        def planned(value: Previous | Mapping[str, Any] | None) -> RevisionPlan:
            if not isinstance(value, Previous):  # the stack's ``revisions`` output itself, as earlier releases took
                value = Previous(revisions=value, deployed=value is not None)
            plan, problems = revision_plan(args.service, value, template, args.sources)
            checked(problems)
            assert plan is not None
            return plan

        if isinstance(previous, (Previous, Mapping)):
            return planned(previous)
        return _output(previous).apply(planned)

    @staticmethod
    def _urls(args: KnativeAppArgs) -> ServiceUrls | pulumi.Output[ServiceUrls]:
        """The service's URLs, plain when the domain and the templates are (under a Platform with a domain).

        Otherwise an Output: an app stack learns them from the platform stack's
        outputs, and a platform without a domain from its reserved address.
        """
        svc, https, domain_template, tag_template = args.service, args.https, args.domain_template, args.tag_template
        if isinstance(https, bool) and isinstance(domain_template, str) and isinstance(tag_template, str):
            def urls(domain: str) -> ServiceUrls:
                return service_urls(svc, domain, https=https, domain_template=domain_template,
                                    tag_template=tag_template)

            return urls(args.domain) if isinstance(args.domain, str) else _output(args.domain).apply(urls)
        return pulumi.Output.all(args.domain, https, domain_template, tag_template).apply(
            lambda a: service_urls(svc, a[0], https=bool(a[1]), domain_template=a[2], tag_template=a[3]))
