"""``PlatformReference``: the platform, as seen from an app-only Pulumi project.

The split layout has one platform stack per environment (cluster, Knative,
gateway) and any number of app stacks owned by app teams. An app stack needs a
Kubernetes provider for the platform's cluster and a few facts (the domain its
URLs live under, the gateway address, the installed versions). This component
reads them from the platform stack's outputs through a Pulumi StackReference
and builds the provider, so an app program is::

    platform = PlatformReference("platform", PlatformReferenceArgs(stack="organization/knative-platform/dev",
                                                                   services=(api,)))
    api_app = KnativeApp("api", platform.app_args(api))

It also reads the app stack's *own* previous outputs (:mod:`knative_platform.runtime.history`),
so each app's revision checks know what earlier deployments of the app stack
created; each app records its revisions in the stack output ``revisions`` for
the next update. The services named in ``services`` are planned here, once,
before the provider exists; ``app_args`` hands each its plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from .app import KnativeAppArgs
from .manifests.app_stack import PlatformFacts, app_stack_round
from .manifests.revision_plans import records
from .manifests.service_plan import sources_output
from .manifests.urls import DEFAULT_DOMAIN_TEMPLATE, DEFAULT_TAG_TEMPLATE
from .model.core.errors import Problem, SpecError
from .model.eventing.eventing import EventingSpec
from .model.eventing.exported import EVENTING_OUTPUT, platform_eventing
from .model.platform.reference import missing_output_problems, stack_name_problem
from .model.revisions.revisions import RevisionPlan
from .model.service.identity import POOL_SUFFIX
from .model.service.service import Service
from .model.source.resolve import Sources
from .runtime.errors import ConfigError, checked
from .runtime.gcp_sdk import pulumi_gcp
from .runtime.history import StackHistory
from .runtime.sources import configured_images, program_sources
from .runtime.stack_outputs import stack_output

if TYPE_CHECKING:
    import pulumi_gcp as gcp


@dataclass(frozen=True)
class PlatformReferenceArgs:
    """Which platform stack to deploy onto: its fully qualified name ``<organization>/<project>/<stack>``.

    Each app stack names its environment's platform stack in its own config,
    so ``dev`` app stacks can never reach the ``prod`` cluster by accident.
    ``services`` are the apps the stack deploys: their revision checks, and
    the check that the platform serves each of their public hosts (its
    ``httpsHosts`` output, :mod:`knative_platform.model.tls.coverage`), run before the
    provider is ready, so a refused update creates no Kubernetes object at all
    (not even the team's namespace).
    """

    stack: str
    """The platform stack, ``<organization>/<project>/<stack>``."""
    services: Sequence[Service] = ()
    """The app stack's services, checked against the platform's outputs before anything registers."""


class PlatformReference(pulumi.ComponentResource):
    """A ready Kubernetes provider for the platform's cluster, plus the platform's facts.

    The provider uses the platform's ``kubeconfig`` (kept a secret) and its
    ``clusterIdentifier``, so a credential rotation on the platform side does
    not preview as a replacement of every app object (pulumi-kubernetes#2745).
    A platform stack that lacks a required output fails the app's ``pulumi up``
    with a message naming each missing output and the fix, before any app
    object is created.
    """

    stack_name: str
    stack_reference: pulumi.StackReference
    provider: k8s.Provider
    domain: pulumi.Output[str]
    gateway_address: pulumi.Output[str | None]
    versions: pulumi.Output[Mapping[str, str]]
    https: pulumi.Output[bool]
    domain_template: pulumi.Output[str]
    tag_template: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    registry: pulumi.Output[str | None]
    """Where the app stack's source services are pushed: the platform stack's ``registry`` output."""
    sources: pulumi.Output[dict[str, dict[str, Any]]]
    """Per source service: its fingerprint, image and revision, and ``pendingBuild: true`` for a preview's
    placeholder (export it as ``sources`` for the review)."""
    eventing: pulumi.Output[EventingSpec | None]
    """The platform's brokers and Eventing settings (its ``eventing`` output; None when it installs no Eventing),
    against which the services' triggers and schedules are checked."""
    workload_pool: pulumi.Output[str | None]
    """The GKE cluster's Workload Identity pool (``<project>.svc.id.goog``); None on a platform that is not GKE.

    Read from the platform stack's outputs, which it writes once its cluster exists: the pool exists too, so
    the app's Workload Identity grants cannot run ahead of it (issue 18, N3)."""

    def __init__(self, name: str, args: PlatformReferenceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Round 0, the declarations alone: the platform stack's name.
        problem = stack_name_problem(args.stack) if isinstance(args.stack, str) else "expected a string"
        checked([Problem("stack", problem)] if problem else [])
        # Source services: the checkout's fingerprints and the app stack's recorded builds (issue 20).
        self._sources = program_sources(args.services, None, configured_images(args.services))
        # The app stack's own previous outputs: a plain read, before anything registers (runtime/history.py).
        self.history = StackHistory.of_stack()
        self._previous = self.history.read()
        super().__init__("knative-platform:index:PlatformReference", name, None, opts)
        self.stack_name = args.stack
        self._name = name
        self.stack_reference = pulumi.StackReference(
            f"{name}-stack", stack_name=args.stack, opts=pulumi.ResourceOptions(parent=self)
        )
        self._read_platform()
        self._services = {service.name: service for service in args.services}
        self._plans = self._checked_plans(tuple(args.services))
        # The records of the apps made for these services, at once (StackHistory keeps those of claimed services).
        self.history.record_all(self._plans.apply(records))
        self.sources = self._plans.apply(sources_output)
        # The provider (and so every app object) waits for every check: a refused app registers nothing.
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self._required("kubeconfig"), self._plans).apply(lambda pair: pair[0]))
        self._gcp_provider: gcp.Provider | None = None
        self.provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=self.kubeconfig,
            cluster_identifier=self.cluster_identifier,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({
            "stack": self.stack_name,
            "clusterIdentifier": self.cluster_identifier,
            "domain": self.domain,
            "gatewayAddress": self.gateway_address,
            "versions": self.versions,
            "https": self.https,
        })

    def _required(self, key: str) -> pulumi.Output[Any]:
        """The platform stack's output ``key``, once every required output is known to exist.

        Else a ConfigError naming each missing one: a round of its own, about the platform stack, not this
        stack's input, and the data every later check needs.
        """
        # Output *names* are not secret even when a value is: unsecret them so that a
        # check over all names does not make the domain or the versions secret too.
        names = pulumi.Output.unsecret(
            self.stack_reference.outputs.apply(lambda outputs: sorted(k for k, v in outputs.items() if v is not None))
        )
        return pulumi.Output.all(names, stack_output(self.stack_reference, key)).apply(
            lambda pair: self._checked(pair[0], pair[1]))

    def _read_platform(self) -> None:
        """The platform's facts, from its stack outputs."""
        ref = self.stack_reference
        self.domain = self._required("domain")
        self.gateway_address = stack_output(ref, "gatewayAddress")
        self.versions = stack_output(ref, "versions").apply(lambda v: dict(v or {}))
        # How Knative builds this platform's URLs; a platform that predates these outputs serves plain HTTP
        # with Knative's default templates.
        self.https = stack_output(ref, "https").apply(bool)
        self.domain_template = stack_output(ref, "domainTemplate").apply(lambda t: t or DEFAULT_DOMAIN_TEMPLATE)
        self.tag_template = stack_output(ref, "tagTemplate").apply(lambda t: t or DEFAULT_TAG_TEMPLATE)
        self.cluster_identifier = self._required("clusterIdentifier")
        self.workload_pool = stack_output(ref, "workloadIdentityPool")
        self.registry = stack_output(ref, "registry")  # where the app stack's source services are pushed
        self.eventing = stack_output(ref, EVENTING_OUTPUT).apply(platform_eventing)

    def _checked_plans(self, services: Sequence[Service]) -> pulumi.Output[dict[str, RevisionPlan]]:
        """The services' revision plans, once the app stack's round of checks passed.

        One round, one ConfigError, once the data it needs is known (the app stack's previous outputs and the
        platform stack's): each service's revision checks, that the platform serves each of its public hosts
        (``httpsHosts``), and that the platform's Binary Authorization policy admits its images (refused like a
        bad revision, before the providers, and so anything in the cluster or the project, exist), and that each
        trigger and schedule has the platform's Eventing and brokers (``eventing``).
        """
        ref = self.stack_reference
        return pulumi.Output.all(
            self._previous, self.domain, self.domain_template, self.tag_template, self.https,
            stack_output(ref, "httpsHosts"), stack_output(ref, "binaryAuthorization"), self.registry,
            stack_output(ref, EVENTING_OUTPUT),
        ).apply(lambda values: _app_stack_round(self.stack_name, services, values, self._sources))

    def app_args(self, service: Service, depends_on: Sequence[pulumi.Resource] = ()) -> KnativeAppArgs:
        """KnativeApp arguments for ``service`` on this platform: its provider, domain, scheme and templates.

        A service whose ``serviceAccount`` acts as a Google service account gets
        the platform's Workload Identity pool and a GCP provider for the
        cluster's project (credentials from the app stack's environment), so its
        identity is bound exactly as on the platform stack.
        """
        google = service.service_account is not None and service.service_account.wants_google
        return KnativeAppArgs(
            service=service,
            provider=self.provider,
            domain=self.domain,
            https=self.https,
            domain_template=self.domain_template,
            tag_template=self.tag_template,
            depends_on=tuple(depends_on),
            workload_pool=self.workload_pool if google else None,
            gcp_provider=self.gcp_provider() if google else None,
            history=self._previous,
            # a service planned here (PlatformReferenceArgs.services) is not planned again by its app
            plan=self._plans if self._services.get(service.name) == service else None,
            # a service not in PlatformReferenceArgs.services is checked by its app, before its events register
            eventing=self.eventing,
        )

    def gcp_provider(self) -> gcp.Provider:
        """The GCP provider for the platform cluster's project, created on first use."""
        if self._gcp_provider is None:
            # Like the Kubernetes provider, it waits for the app's checks: a refused update creates nothing.
            project = pulumi.Output.all(self.workload_pool, self._plans).apply(
                lambda pair: (pair[0] or "").removesuffix(POOL_SUFFIX) or None)
            gcp = pulumi_gcp("a service's Google identity (serviceAccount acting as a Google service account)")
            self._gcp_provider = gcp.Provider(f"{self._name}-gcp", project=project,
                                              opts=pulumi.ResourceOptions(parent=self))
        return self._gcp_provider

    def _checked(self, present: list[str], value: Any) -> Any:
        """``value`` when the platform stack exports every required output; otherwise a ConfigError naming all."""
        problems = missing_output_problems(self.stack_name, present, path=f"{self.stack_name} outputs")
        if problems:
            raise ConfigError(SpecError(problems))
        return value


def _app_stack_round(stack: str, services: Sequence[Service], values: list[Any],
                     sources: Sources | None) -> dict[str, RevisionPlan]:
    """The services' plans, or every problem of the round in one ConfigError (PlatformReference._checked_plans)."""
    found = app_stack_round(stack, services, values[0], PlatformFacts(*values[1:]), sources)
    for problem in found.warnings:
        pulumi.log.warn(f"{problem.path}: {problem.message} (the platform's policy is a dry run: it only logs it)")
    checked(found.problems)
    return found.plans
