"""``Kgateway``: kgateway (Gloo's open-source successor) fronting Knative through net-gateway-api.

Installed, in this order:

1. the ``kgateway-system`` namespace and the Gateway API CRDs (standard channel, pinned);
2. the ``kgateway-crds`` chart, then the ``kgateway`` chart (same pinned version);
   the controller creates and owns the ``kgateway`` GatewayClass itself, so the
   platform does not author it (see :data:`~knative_platform.manifests.gateway.GATEWAY_CLASS`);
3. two GatewayParameters and two Gateways: ``knative-external`` (LoadBalancer
   on the reserved static IP) and ``knative-local`` (ClusterIP);
4. net-gateway-api, after Knative Serving's core (it is a Serving extension
   living in ``knative-serving``), and its ``config-gateway`` naming our Gateways;
5. with TLS, the platform's Certificates (after cert-manager's ClusterIssuer),
   which the external Gateway's HTTPS listeners serve, and the route that
   redirects plain HTTP to HTTPS (:mod:`knative_platform.manifests.gateway_tls`).

Knative's ``config-network`` ``ingress-class`` is set by
:class:`~knative_platform.knative.KnativeServing` from the platform's ``ingress``
choice, so one patch owns that map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .knative import leave_controller_owned_fields
from .manifests.gateway import EXTERNAL_GATEWAY, KGATEWAY_NAMESPACE, LOCAL_GATEWAY, address_command
from .manifests.gateway_tls import REDIRECT_ROUTE, GatewayTls, external_gateway, kgateway_objects
from .manifests.knative import render_system_namespace
from .manifests.knative_config import GATEWAY_API_INGRESS_CLASS

TYPE = "knative-platform:index:Kgateway"
FORMER_TYPE = "knative-platform:index:Gloo"
"""The type this component had while it was called ``Gloo``: an alias of every ``Kgateway``, so a stack deployed
under the old type updates in place.

The engine gives each child the alias its parent's alias implies: the same child under the old parent, *with the
parent's old name in place of its new one where the child's name starts with the new one* (pulumi/pulumi v3.259.0,
pkg/resource/deploy/step_generator.go, ``generateAliases`` and ``inheritedChildAlias``; pulumi 3.272.0 sends alias
specs to an engine that supports them, ``pulumi/runtime/resource.py`` ``prepare_aliases``, and computes the same
aliases itself otherwise, ``all_aliases`` and ``inherited_child_alias``). The children's names never changed, so a
new name for this component must not begin any of theirs (``kgateway`` would: ``kgateway-crds``)."""


@dataclass(frozen=True)
class KgatewayArgs:
    """The cluster, the reserved external IP (if any), and what must exist first.

    ``knative`` is Knative Serving's core: net-gateway-api needs its CRDs and
    namespace. ``tls`` makes the external Gateway terminate HTTPS for the
    platform's hosts, with certificates issued after ``certificates_after``
    (cert-manager's ClusterIssuer). ``node_ports`` maps the external proxy's
    ports (80, 443) to fixed node ports, for a cluster without load balancers.
    """

    provider: k8s.Provider
    """The Kubernetes provider of the cluster."""
    address: pulumi.Input[str] | None = None
    """The reserved external IP the external gateway's load balancer takes, if any."""
    knative: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Knative Serving's core: net-gateway-api needs its CRDs and namespace."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before kgateway's namespace and the Gateway API CRDs."""
    tls: GatewayTls | None = None
    """HTTPS listeners on the external Gateway for the platform's hosts, if any."""
    certificates_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the Certificates wait for (cert-manager's ClusterIssuer)."""
    node_ports: Mapping[int, int] | None = None
    """Fixed node ports for the proxy's ports 80 and 443, for a cluster without load balancers."""


class Kgateway(pulumi.ComponentResource):
    """kgateway Gateways wired into Knative; :attr:`ready` is what apps must wait for."""

    ingress_class: str = GATEWAY_API_INGRESS_CLASS
    address_command: str
    versions: dict[str, str]
    external_gateway: k8s.apiextensions.CustomResource
    local_gateway: k8s.apiextensions.CustomResource
    certificates: list[k8s.apiextensions.CustomResource]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KgatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=FORMER_TYPE)])
        super().__init__(TYPE, name, None, pulumi.ResourceOptions.merge(renamed, opts))
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        ns, gateway_api, kgateway_crds, kgateway = self._install(args)
        objects = kgateway_objects(args.tls, args.node_ports)
        tls_ready = self._gateways(args, objects, ns, gateway_api, kgateway_crds, kgateway)
        net_gateway_api = k8s.yaml.v2.ConfigFile(
            "net-gateway-api",
            file=versions.NET_GATEWAY_API.url,
            opts=self._after(*args.knative, gateway_api, transforms=[leave_controller_owned_fields]),
        )
        gateways = objects["config-gateway"]
        config = k8s.core.v1.ConfigMapPatch("config-gateway", metadata=gateways["metadata"], data=gateways["data"],
                                            opts=self._after(net_gateway_api))

        self.address_command = address_command()
        self.versions = versions.installed(versions.NET_GATEWAY_API, versions.GATEWAY_API, versions.KGATEWAY)
        self.ready = [kgateway, self.external_gateway, self.local_gateway, net_gateway_api, config, *tls_ready]
        self.register_outputs({"ingressClass": self.ingress_class, "versions": self.versions})

    def _after(self, *resources: pulumi.Resource, **extra: Any) -> pulumi.ResourceOptions:
        """A child's options: this component's provider, after ``resources``."""
        return pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=list(resources), **extra))

    def _install(self, args: KgatewayArgs) -> tuple[pulumi.Resource, pulumi.Resource, pulumi.Resource,
                                                   pulumi.Resource]:
        """Kgateway's namespace, the Gateway API CRDs, and kgateway's CRD and controller charts."""
        namespace = render_system_namespace(KGATEWAY_NAMESPACE, "ingress")
        ns = k8s.core.v1.Namespace(KGATEWAY_NAMESPACE, metadata=namespace["metadata"],
                                   opts=self._after(*args.depends_on))
        gateway_api = k8s.yaml.v2.ConfigFile("gateway-api-crds", file=versions.GATEWAY_API.url,
                                             opts=self._after(*args.depends_on))
        kgateway_crds = k8s.helm.v4.Chart(
            "kgateway-crds",
            chart=versions.KGATEWAY_CRDS.chart,
            version=versions.KGATEWAY_CRDS.version,
            namespace=KGATEWAY_NAMESPACE,
            opts=self._after(ns, gateway_api),
        )
        kgateway = k8s.helm.v4.Chart(
            "kgateway",
            chart=versions.KGATEWAY.chart,
            version=versions.KGATEWAY.version,
            namespace=KGATEWAY_NAMESPACE,
            opts=self._after(kgateway_crds),
        )
        return ns, gateway_api, kgateway_crds, kgateway

    def _gateways(self, args: KgatewayArgs, objects: Mapping[str, dict[str, Any]], ns: pulumi.Resource,
                  gateway_api: pulumi.Resource, kgateway_crds: pulumi.Resource,
                  kgateway: pulumi.Resource) -> list[pulumi.Resource]:
        """The Gateways, their parameters and certificates, and the HTTPS redirect; returns what TLS needs ready."""
        external_params = self._object(f"{EXTERNAL_GATEWAY}-parameters", objects[f"{EXTERNAL_GATEWAY}-parameters"],
                                       self._after(ns, kgateway_crds))
        local_params = self._object(f"{LOCAL_GATEWAY}-parameters", objects[f"{LOCAL_GATEWAY}-parameters"],
                                    self._after(ns, kgateway_crds))
        self.certificates = []
        if args.tls is not None:
            # Apps wait for every certificate. Knative's readiness would not: net-gateway-api knative-v1.23.0 never
            # passes http-protocol to its prober, which probes plain HTTP on port 80 and takes the redirect's 301
            # as success (status.Backends.HTTPOption is set nowhere; lister.go, reconcile_resources.go), so a
            # Route is Ready whether or not its HTTPS listener serves a certificate.
            self.certificates = [self._object(cert.name, objects[cert.name], self._after(ns, *args.certificates_after))
                                 for cert in args.tls.certificates]
        # The reserved IP may be known only after apply (a GKE static address): only the spec waits for it.
        # The Gateway waits for its certificates, so an update that moves a listener to a new Secret applies it
        # once that Secret is issued: a listener whose Secret is missing serves nothing until then.
        external_spec = (pulumi.Output.from_input(args.address).apply(
            lambda ip: external_gateway(ip, args.tls)["spec"]) if args.address is not None else None)
        self.external_gateway = self._object(EXTERNAL_GATEWAY, objects[EXTERNAL_GATEWAY],
                                             self._after(external_params, kgateway, *self.certificates),
                                             spec=external_spec)
        self.local_gateway = self._object(LOCAL_GATEWAY, objects[LOCAL_GATEWAY], self._after(local_params, kgateway))
        tls_ready: list[pulumi.Resource] = list(self.certificates)
        if args.tls is not None and args.tls.redirect:
            tls_ready.append(self._object(REDIRECT_ROUTE, objects[REDIRECT_ROUTE],
                                          self._after(gateway_api, self.external_gateway)))
        return tls_ready

    @staticmethod
    def _object(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions,
                spec: pulumi.Input[Any] | None = None) -> k8s.apiextensions.CustomResource:
        """One Gateway API or kgateway object we author (its CRD is installed above); ``spec`` may be an Output."""
        return k8s.apiextensions.CustomResource(
            name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=spec if spec is not None else manifest["spec"],
            opts=opts,
        )
