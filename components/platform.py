"""``Platform``: one environment, composed from its validated spec.

cluster -> TLS (cert-manager, optional) -> Knative Serving (CRDs -> core ->
webhook ready -> config) -> ingress (kgateway or Kourier) -> Knative Eventing
(when the stack declares events) -> apps, all
through one explicit Kubernetes provider. Every app depends on the platform
being ready: Knative's ConfigMaps applied (and its controller restarted when
TLS is on) and the ingress's Gateways and configuration in place.
``__main__.py`` builds one Platform per stack and exports :meth:`Platform.stack_outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .app import KnativeApp, KnativeAppArgs
from .eventing import EventarcCluster, KnativeEventing, KnativeEventingArgs, eventing_pins
from .gcp_args.binauthz import allow_patterns, policy_output
from .kgateway import FORMER_TYPE, Kgateway, KgatewayArgs
from .knative import KnativeServing, KnativeServingArgs
from .kourier import Kourier, KourierArgs
from .manifests.gateway_tls import GatewayTls, gateway_tls, https_hosts_output
from .manifests.knative import render_namespace
from .manifests.knative_config import INGRESS_CLASSES
from .manifests.revision_plans import records, revision_plans
from .manifests.service_plan import sources_output
from .manifests.urls import curl_lines
from .model.cluster.binauthz import writes_project_policy
from .model.cluster.cluster import GkeClusterSpec
from .model.cluster.existing import ExistingCluster, gateway_node_ports
from .model.eventing.eventing_checks import EventingCluster, event_namespaces
from .model.eventing.exported import EVENTING_OUTPUT, eventing_output
from .model.platform.app_namespaces import public_app_namespaces
from .model.platform.hosts import dns_record_names
from .model.platform.knative import Ingress
from .model.platform.platform import (
    PlatformSpec,
    address_in_domain,
    platform_features,
    platform_problems_once,
    platform_served_names,
    uses_eventing,
)
from .model.revisions.revision_record import REVISIONS_OUTPUT
from .model.revisions.revisions import Previous, RevisionPlan
from .model.source.registry import ArtifactRegistry, registry_prefixes
from .model.tls.tls import Challenge, dns_zones
from .runtime.connection import ClusterConnection
from .runtime.errors import checked, checked_result
from .runtime.history import StackHistory
from .runtime.sources import program_sources
from .tls import AutoTls, AutoTlsArgs

if TYPE_CHECKING:
    # pulumi_gcp takes longer to import than the rest of the program for a small stack, and a stack on an
    # existing cluster creates no GCP resource: .gke and .dns01 (which import it) load where they are used.
    pass


@dataclass(frozen=True)
class PlatformArgs:
    """The stack's spec, and the kubeconfig content (a Pulumi secret) when the stack provides one."""

    spec: PlatformSpec
    """The stack's validated spec (``build_platform_spec`` or ``load_stack_config``)."""
    kubeconfig: pulumi.Input[str] | None = None
    """The kubeconfig of an existing cluster, a Pulumi secret; a GKE cluster writes its own."""


class Platform(pulumi.ComponentResource):
    """The whole environment: cluster connection, Knative, ingress, TLS, namespaces and apps."""

    provider: k8s.Provider
    domain: pulumi.Output[str]
    gateway_address: pulumi.Output[str] | None
    installed_versions: dict[str, str]
    curl: pulumi.Output[dict[str, str]]
    knative: KnativeServing
    eventing: KnativeEventing | None
    """Knative Eventing, when the stack declares a broker, a source, a trigger or a schedule."""
    ingress: Kgateway | Kourier
    tls: AutoTls | None
    apps: dict[str, KnativeApp]
    binary_authorization: dict[str, Any] | None
    """The project's image policy as the ``binaryAuthorization`` output, when the platform writes one."""
    registry: str | None
    """Where source services' images are pushed (``<host>/<path>``): the ``registry`` output."""
    sources: dict[str, dict[str, Any]] | None
    """Each source service's fingerprint, image, revision (``pendingBuild`` in a preview): the ``sources`` output."""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = args.spec
        # Validation, round 1: every problem the stack file and the typed declarations show, in one ConfigError
        # (build_platform_spec's round; a spec it made is not checked twice). Nothing is registered yet.
        checked(platform_problems_once(spec))
        # Source services: each one's fingerprint of this checkout, and its directory checked (issue 20).
        sources = program_sources(spec.services, spec.registry, spec.images)
        # Round 2, the revision checks, needs the stack's previous outputs: read (a plain invoke) before anything
        # registers, so a refused update registers nothing (runtime/history.py).
        self.history = StackHistory.of_stack()
        previous = self.history.read(reset=spec.reset_revision_history)
        plans = checked_result(revision_plans(spec.services, previous, sources))
        super().__init__("knative-platform:index:Platform", name, None, opts)
        served = platform_served_names(spec)  # what the platform serves: its own hosts and the app namespaces'
        self.cluster = self._connect(spec, args.kubeconfig, dns_record_names(served, spec.domain or ""))
        self.provider = self.cluster.provider
        # The image policy before any pod: a new service's image is admitted before its revision starts.
        cluster_ready = [*self.cluster.ready, *self._binary_authorization(spec)]
        self._registry(spec)  # where source services' images are, before their revisions pull
        self._addresses(spec)
        self._install(spec, gateway_tls(spec.tls, spec.ingress, served, spec.domain or ""), cluster_ready)
        namespaces = self._namespaces(spec, cluster_ready)
        self._eventing(spec, [*cluster_ready, *namespaces.values()])  # brokers and sources need their namespaces
        self._apps(spec, namespaces, previous, plans)
        # Every app's record at once: one value for the stack, not one per app (issue 23).
        self.history.record_all(records(plans))
        self.sources = sources_output(plans) if sources is not None else None
        self.curl = self._curl(spec)
        # The revision record is the stack's output alone: registered here too, the state would hold it twice more
        # and the program would serialize it twice (issue 23).
        self.register_outputs({k: v for k, v in self.stack_outputs().items() if k != REVISIONS_OUTPUT})

    def _addresses(self, spec: PlatformSpec) -> None:
        """The domain (given, or the reserved address's sslip.io name) and where clients reach the gateway."""
        reserved = self.cluster.ingress_address
        if spec.domain is not None:
            self.domain = pulumi.Output.from_input(spec.domain)
        elif reserved is not None:
            self.domain = pulumi.Output.from_input(reserved).apply(lambda ip: f"{ip}.sslip.io")
        else:  # pragma: no cover - platform_problems refuses a spec with neither
            raise AssertionError("a validated spec has a domain or a reserved ingress address")
        # Where clients reach the gateway: the reserved IP, or the IP an sslip.io/nip.io domain names.
        in_domain = address_in_domain(spec.domain) if spec.domain else None
        self.gateway_address = (pulumi.Output.from_input(reserved) if reserved is not None
                                else pulumi.Output.from_input(in_domain) if in_domain is not None else None)

    def _install(self, spec: PlatformSpec, gateway: GatewayTls | None, cluster_ready: list[pulumi.Resource]) -> None:
        """TLS (cert-manager), Knative Serving and the ingress, in that order, and the versions they install."""
        ingress_class = INGRESS_CLASSES[spec.ingress]
        self.tls = None
        zones = (dns_zones(spec.tls, spec.domain)
                 if spec.tls is not None and spec.tls.challenge is Challenge.DNS01 and spec.domain else ())
        self.https_hosts = https_hosts_output(spec.tls, gateway, zones)
        if spec.tls is not None:
            dns_account, tls_ready = self._dns01_identity(spec)
            self.tls = AutoTls("tls", AutoTlsArgs(provider=self.provider, tls=spec.tls, ingress_class=ingress_class,
                                                  depends_on=[*cluster_ready, *tls_ready],
                                                  dns_service_account=dns_account, dns_zones=zones),
                               opts=pulumi.ResourceOptions(parent=self))
        self.knative = KnativeServing("knative", KnativeServingArgs(
            provider=self.provider,
            domain=self.domain,
            settings=replace(spec.knative, features=platform_features(spec)),  # flags services need, switched on
            ingress=spec.ingress,
            tls=spec.tls,
            public_namespaces=public_app_namespaces(spec.app_namespaces, spec.services),  # declared app ones too
            depends_on=cluster_ready,
            config_after=self.tls.ready if self.tls else (),
        ), opts=pulumi.ResourceOptions(parent=self))
        self.ingress = self._ingress(spec, gateway, cluster_ready)
        installed = versions.installed(versions.SERVING_CORE) | self.ingress.versions | (
            self.tls.versions if self.tls else {})
        self.installed_versions = dict(sorted(installed.items()))

    def _ingress(self, spec: PlatformSpec, gateway: GatewayTls | None,
                 cluster_ready: list[pulumi.Resource]) -> Kgateway | Kourier:
        """The stack's ingress: Kourier, or kgateway behind net-gateway-api (the default)."""
        reserved = self.cluster.ingress_address
        node_ports = gateway_node_ports(spec.cluster)
        if spec.ingress is Ingress.KOURIER:
            return Kourier("kourier", KourierArgs(provider=self.provider, address=reserved,
                                                  knative=[self.knative.core], node_ports=node_ports),
                           opts=pulumi.ResourceOptions(parent=self))
        # Gloo("gloo") before, aliased so a deployed stack keeps it and its children. Not "kgateway": the engine
        # renames an aliased parent's children whose names start with the parent's ("kgateway-crds" would be
        # looked for as "gloo-crds" and its CRDs replaced): see FORMER_TYPE.
        return Kgateway("ingress", KgatewayArgs(provider=self.provider, address=reserved,
                                                knative=[self.knative.core], depends_on=cluster_ready,
                                                tls=gateway, certificates_after=self.tls.ready if self.tls else (),
                                                node_ports=node_ports),
                        opts=pulumi.ResourceOptions(parent=self,
                                                    aliases=[pulumi.Alias(type_=FORMER_TYPE, name="gloo")]))

    def _namespaces(self, spec: PlatformSpec, cluster_ready: list[pulumi.Resource]) -> dict[str, k8s.core.v1.Namespace]:
        """The namespaces of the services, brokers and event sources other than ``default``, by name."""
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=cluster_ready)
        namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for ns in sorted(({s.namespace for s in spec.services} | event_namespaces(spec.eventing)) - {"default"}):
            manifest = render_namespace(ns)
            namespaces[ns] = k8s.core.v1.Namespace(f"namespace-{ns}", metadata=manifest["metadata"], opts=k8s_opts)
        return namespaces

    def _eventing(self, spec: PlatformSpec, ready: list[pulumi.Resource]) -> None:
        """Knative Eventing with the stack's brokers and sources, when anything in the stack needs it."""
        self.eventing = None
        self.eventing_output: dict[str, Any] | None = None  # the output app stacks read; None: no Eventing
        if not uses_eventing(spec):
            return
        gke, gcp_provider = spec.cluster, self.cluster.gcp_provider  # Pub/Sub sources' Eventarc triggers need both
        eventarc = (EventarcCluster(spec=gke, name=self.cluster.outputs["clusterName"], gcp_provider=gcp_provider,
                                    location=self.cluster.outputs["clusterLocation"])
                    if isinstance(gke, GkeClusterSpec) and gcp_provider is not None else None)
        self.eventing = KnativeEventing("eventing", KnativeEventingArgs(
            provider=self.provider, spec=spec.eventing, cluster=EventingCluster.of(spec.cluster),
            services=spec.services, depends_on=ready, eventarc=eventarc), opts=pulumi.ResourceOptions(parent=self))
        self.eventing_output = eventing_output(spec.eventing)
        self.installed_versions = dict(sorted((self.installed_versions | self.eventing.versions).items()))

    def _apps(self, spec: PlatformSpec, namespaces: Mapping[str, k8s.core.v1.Namespace],
              previous: Previous, plans: Mapping[str, RevisionPlan]) -> None:
        """One KnativeApp per service, after its namespace and the platform's readiness (and its registry)."""
        network = spec.knative.network
        platform_ready = [*self.knative.ready, *self.ingress.ready]
        eventing_ready = self.eventing.ready if self.eventing is not None else []
        # What app stacks need to compute the same URLs Knative will (PlatformReference reads them).
        self.https = spec.tls is not None
        self.domain_template = network.domain_template
        self.tag_template = network.tag_template
        self.apps = {}
        for service in spec.services:
            own_namespace = [namespaces[service.namespace]] if service.namespace in namespaces else []
            self.apps[service.name] = KnativeApp(
                service.name,
                KnativeAppArgs(
                    service=service,
                    provider=self.provider,
                    domain=spec.domain if spec.domain is not None else self.domain,  # plain: URLs need no Output
                    https=self.https,
                    domain_template=network.domain_template,
                    tag_template=network.tag_template,
                    max_timeout_seconds=spec.knative.defaults.max_revision_timeout_seconds,
                    depends_on=[*own_namespace, *platform_ready, *(self._registry_ready if service.source else ())],
                    workload_pool=self.cluster.workload_pool,  # a serviceAccount gets its Google identity on GKE
                    gcp_provider=self.cluster.gcp_provider,
                    history=previous,
                    plan=plans,  # every service's, plain: the app picks its own
                    eventing=spec.eventing,  # its triggers' brokers; its Triggers and PingSources wait for them
                    eventing_after=eventing_ready,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _curl(self, spec: PlatformSpec) -> pulumi.Output[dict[str, str]]:
        """Each public service's curl line through the gateway (:func:`~knative_platform.manifests.urls.curl_lines`)."""
        network, https = spec.knative.network, spec.tls is not None
        address = self.gateway_address if self.gateway_address is not None else self.ingress.address_command
        return pulumi.Output.all(self.domain, address).apply(lambda pair: curl_lines(
            spec.services, pair[0], pair[1], https, network.domain_template, network.tag_template))

    def _dns01_identity(self, spec: PlatformSpec) -> tuple[pulumi.Output[str] | None, list[pulumi.Resource]]:
        """On a GKE cluster we create, DNS-01 without a named account gets one made for it (keyless)."""
        solver = spec.tls.cloud_dns if spec.tls is not None else None
        if solver is None or solver.service_account is not None or self.cluster.gcp_provider is None:
            return None, []
        assert isinstance(spec.cluster, GkeClusterSpec)  # platform_problems refuses any other cluster here
        from .dns01 import Dns01Identity, Dns01IdentityArgs  # imports pulumi_gcp: see TYPE_CHECKING above

        assert self.cluster.workload_pool is not None  # a cluster the platform creates has one
        identity = Dns01Identity("dns01", Dns01IdentityArgs(cluster=spec.cluster, dns_project=solver.project,
                                                            gcp_provider=self.cluster.gcp_provider,
                                                            workload_pool=self.cluster.workload_pool),
                                 opts=pulumi.ResourceOptions(parent=self))
        return identity.email, identity.ready

    def _registry(self, spec: PlatformSpec) -> None:
        """Where source services push (the ``registry`` output); an Artifact Registry repository is created here."""
        self.registry = spec.registry.prefix if spec.registry is not None else None
        self._registry_ready: list[pulumi.Resource] = []
        if isinstance(spec.registry, ArtifactRegistry) and isinstance(spec.cluster, GkeClusterSpec):
            from .registry import ArtifactRegistryRepository, ArtifactRegistryRepositoryArgs  # imports pulumi_gcp

            assert self.cluster.gcp_provider is not None  # a cluster the platform creates
            self._registry_ready = ArtifactRegistryRepository("registry", ArtifactRegistryRepositoryArgs(
                registry=spec.registry, gcp_provider=self.cluster.gcp_provider, node_member=self.cluster.node_member,
                protect=spec.cluster.deletion_protection), opts=pulumi.ResourceOptions(parent=self)).ready

    def _binary_authorization(self, spec: PlatformSpec) -> list[pulumi.Resource]:
        """On a GKE cluster that checks pods against the project policy, write that policy (deny by default)."""
        self.binary_authorization = None
        cluster = spec.cluster
        if not isinstance(cluster, GkeClusterSpec) or not writes_project_policy(cluster):
            return []
        assert self.cluster.gcp_provider is not None  # a cluster the platform creates
        from .binauthz import BinaryAuthorizationPolicy, BinaryAuthorizationPolicyArgs  # imports pulumi_gcp

        # the stack's own registry (issue 20) joins the registries the cluster names
        patterns = allow_patterns(spec.ingress, spec.tls is not None, spec.services,
                                  (*cluster.image_registries, *registry_prefixes(spec.registry)),
                                  eventing_pins(spec.eventing) if uses_eventing(spec) else (),
                                  [s.container.image for s in spec.eventing.sources if s.container is not None])
        policy = BinaryAuthorizationPolicy("binauthz", BinaryAuthorizationPolicyArgs(
            cluster=cluster, patterns=patterns, gcp_provider=self.cluster.gcp_provider),
            opts=pulumi.ResourceOptions(parent=self))
        self.binary_authorization = policy_output(cluster, patterns)
        return policy.ready

    def _connect(self, spec: PlatformSpec, kubeconfig: pulumi.Input[str] | None,
                 dns_records: tuple[str, ...] = ()) -> ClusterConnection:
        """Reach the stack's cluster: a GKE cluster the platform creates, or an existing one through a kubeconfig.

        ``dns_records`` are the names below ``*.<domain>`` a GKE cluster's ``dns`` also points at the gateway.
        """
        if isinstance(spec.cluster, GkeClusterSpec):
            from .gke import GkeCluster, GkeClusterArgs  # imports pulumi_gcp: see TYPE_CHECKING above

            gke = GkeCluster(spec.cluster.name, GkeClusterArgs(spec=spec.cluster, domain=spec.domain,
                                                               dns_records=dns_records),
                             opts=pulumi.ResourceOptions(parent=self))
            return ClusterConnection(
                provider=gke.provider,
                identifier=gke.identifier,
                kubeconfig=gke.kubeconfig,
                ingress_address=gke.ingress_address,
                ready=(*gke.node_pools.values(), gke.webhook_firewall),
                outputs={"clusterName": gke.cluster_name, "clusterLocation": gke.cluster_location,
                         "clusterEndpoint": gke.endpoint,
                         # app stacks bind their services' Google identities in this pool (PlatformReference)
                         "workloadIdentityPool": gke.workload_pool},
                gcp_provider=gke.gcp_provider,
                workload_pool=gke.workload_pool,
                node_member=gke.node_member,
            )
        cluster: ExistingCluster = spec.cluster
        # A stable identifier keeps a kubeconfig edit from previewing as a replacement of every object.
        provider = k8s.Provider(
            "kubernetes",
            kubeconfig=kubeconfig if kubeconfig is not None else cluster.kubeconfig,
            context=cluster.context,
            cluster_identifier=cluster.identifier,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret = pulumi.Output.secret(kubeconfig) if kubeconfig is not None else None
        address = pulumi.Output.from_input(cluster.ingress_address) if cluster.ingress_address else None
        return ClusterConnection(provider=provider, identifier=cluster.identifier, kubeconfig=secret,
                                 ingress_address=address)

    def stack_outputs(self) -> dict[str, Any]:
        """What the stack exports for people and for app stacks (see PlatformReference).

        ``kubeconfig`` is a secret and present only when the platform knows the
        cluster's credentials; ``clusterIdentifier`` lets app stacks give their
        own Kubernetes provider the same stable identity. ``gatewayAddress`` is
        the address apps answer on: null when the stack reserves no
        address, and then each ``curl`` line asks kubectl for it. ``https``,
        ``domainTemplate`` and ``tagTemplate`` let app stacks compute the URLs
        Knative gives their services; ``httpsHosts`` says exactly which of them
        the platform serves over HTTPS (null without TLS), and PlatformReference
        refuses an app whose public hosts it does not serve. ``revisions`` is what the stack's next
        update reads back (:mod:`knative_platform.runtime.history`): each service's revisions
        and their share of traffic, which the apps record themselves. ``binaryAuthorization`` (when the platform
        writes the project's image policy) is its enforcement and allowlist, which
        app stacks check their images against. ``eventing`` (when the platform installs Knative Eventing) is its
        brokers and settings, which app stacks' triggers and schedules are checked against; ``events`` lists
        each service's triggers and schedules (the smoke check reads it).
        """
        outputs: dict[str, Any] = {"clusterIdentifier": self.cluster.identifier, **self.cluster.outputs}
        if self.cluster.kubeconfig is not None:
            outputs["kubeconfig"] = self.cluster.kubeconfig
        if self.binary_authorization is not None:
            outputs["binaryAuthorization"] = self.binary_authorization
        outputs |= {k: v for k, v in (("registry", self.registry), ("sources", self.sources)) if v is not None}
        return outputs | {
            "domain": self.domain,
            "https": self.https,
            "domainTemplate": self.domain_template,
            "tagTemplate": self.tag_template,
            "httpsHosts": self.https_hosts,
            "gatewayAddress": self.gateway_address,
            "versions": self.installed_versions,
            # what app stacks' triggers and schedules are checked against (PlatformReference); null: no Eventing
            EVENTING_OUTPUT: self.eventing_output,
            # each service's triggers and schedules by object name (the smoke check's); null when none has any
            "events": {name: app.outputs["events"] for name, app in sorted(self.apps.items())
                       if app.outputs["events"] is not None} or None,
            "serviceUrls": {name: app.outputs["url"] for name, app in sorted(self.apps.items())},
            "tagUrls": {name: app.outputs["tagUrls"] for name, app in sorted(self.apps.items())},
            "domainUrls": {name: app.outputs["domainUrls"] for name, app in sorted(self.apps.items())},
            "traffic": {name: app.outputs["traffic"] for name, app in sorted(self.apps.items())},
            "revisions": self.history.record_value,  # every app's record, gathered when the outputs register
            "curl": self.curl,
        }
