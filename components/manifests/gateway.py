"""kgateway's Gateways in front of Knative, wired through net-gateway-api's ``config-gateway``.

Two Gateways of class ``kgateway`` in ``kgateway-system``:

``knative-external``
    the internet-facing one; its proxy Service is a LoadBalancer that requests
    the stack's reserved static IP through ``spec.addresses`` (kgateway copies a
    single ``IPAddress`` entry into the Service's ``loadBalancerIP``);
``knative-local``
    cluster-local traffic (``*.svc.cluster.local``); its proxy Service is
    ClusterIP, set by its own ``GatewayParameters`` (``spec.kube.service.type``).

kgateway names each proxy's Deployment and Service after its Gateway and writes
the proxy's address into the Gateway's status, which net-gateway-api probes and
reports to Knative. The ``config-gateway`` format follows net-gateway-api's parser
(``pkg/reconciler/ingress/config/gateway.go``), not Knative's docs page: a YAML
list with exactly one item per visibility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .knative_config import config_map
from .labels import standard_labels

GATEWAY_API_V1 = "gateway.networking.k8s.io/v1"
KGATEWAY_PARAMETERS_API = "gateway.kgateway.dev/v1alpha1"
KGATEWAY_NAMESPACE = "kgateway-system"
GATEWAY_CLASS = "kgateway"
"""kgateway's own GatewayClass. Its controller creates it and force-applies it (server-side apply with
``Force: true``) at start, on every generation change and after a delete (kgateway v2.5.0 line,
``pkg/kgateway/controller/gatewayclass.go``; since PR #12960, on v2.2.x and later), so the platform never
authors it: a second manager would conflict with kgateway on the first refresh."""
KGATEWAY_OWN_CLASSES = frozenset({GATEWAY_CLASS, "kgateway-waypoint"})
"""The classes kgateway force-applies (``pkg/kgateway/controller/start.go``): the platform must not author these."""
EXTERNAL_GATEWAY = "knative-external"
LOCAL_GATEWAY = "knative-local"
HTTP_LISTENER = "http"
SUPPORTED_FEATURES = ("HTTPRouteRequestTimeout",)
"""With it, net-gateway-api sets each route's request timeout to 0s (none), so Knative's own per-revision
timeouts govern instead of Envoy's 15 s default route timeout."""


def render_gateway_parameters(name: str, service_type: str,
                              node_ports: Mapping[int, int] | None = None) -> dict[str, Any]:
    """The per-Gateway proxy settings kgateway reads: the type of the proxy's Kubernetes Service.

    ``node_ports`` maps listener ports to fixed node ports for a ``NodePort``
    proxy (kgateway copies ``spec.kube.service.ports[].nodePort`` onto the
    Service port of the same number: ``pkg/deployer/values_helpers.go``
    ``AppendPortValue``). kgateway also adds each of these ports to the proxy
    Service when no listener uses it (``GetPortsValues`` merges them with the
    listener ports), so name only ports a listener serves
    (:func:`~knative_platform.manifests.gateway_tls.gateway_ports`).
    """
    service: dict[str, Any] = {"type": service_type}
    if node_ports:
        service["ports"] = [{"port": port, "nodePort": node} for port, node in sorted(node_ports.items())]
    return {
        "apiVersion": KGATEWAY_PARAMETERS_API,
        "kind": "GatewayParameters",
        "metadata": {"name": name, "namespace": KGATEWAY_NAMESPACE, "labels": standard_labels(name, "ingress")},
        "spec": {"kube": {"service": service}},
    }


def render_gateway(name: str, address: str | None = None, https: Sequence[Mapping[str, Any]] = (),
                   http_routes_from: str = "All") -> dict[str, Any]:
    """A Gateway with a plain-HTTP listener on port 80, plus the given HTTPS listeners on 443.

    Routes come from all namespaces because net-gateway-api writes each
    service's HTTPRoute next to the service, wherever an app team deploys it;
    ``http_routes_from: Same`` keeps them off port 80 when the platform
    redirects plain HTTP to HTTPS. ``address`` (a reserved static IP) becomes
    the proxy's LoadBalancer IP.
    """
    listeners = [{
        "name": HTTP_LISTENER,
        "protocol": "HTTP",
        "port": 80,
        "allowedRoutes": {"namespaces": {"from": http_routes_from}},
    }, *https]
    spec: dict[str, Any] = {
        "gatewayClassName": GATEWAY_CLASS,
        "infrastructure": {
            "parametersRef": {"group": KGATEWAY_PARAMETERS_API.split("/")[0], "kind": "GatewayParameters",
                              "name": name},
        },
        "listeners": [dict(listener) for listener in listeners],
    }
    if address is not None:
        spec["addresses"] = [{"type": "IPAddress", "value": address}]
    return {
        "apiVersion": GATEWAY_API_V1,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": KGATEWAY_NAMESPACE, "labels": standard_labels(name, "ingress")},
        "spec": dict(sorted(spec.items())),
    }


def gateway_entry(name: str) -> str:
    """One ``config-gateway`` list: our Gateway and the Gateway API features it supports.

    The keys are the ones the pinned release's parser reads
    (net-gateway-api ``knative-v1.23.0``, ``pkg/reconciler/ingress/config/gateway.go``): ``class``,
    ``gateway`` as ``<namespace>/<name>``, and ``supported-features``. The optional ``service`` is left out
    on purpose: with it, net-gateway-api reports the ingress address as a DNS name, Serving then fronts
    DomainMappings with an ExternalName Service kgateway cannot route (``ingress.go`` collectLBIngressStatus;
    serving ``pkg/reconciler/route/resources/service.go``), and the prober picks a Service port by name,
    which kgateway's ``listener-<port>`` names never match (``lister.go``). Without it the prober dials the
    Gateway's status address on port 80, or 443 for an ingress whose ``HTTPOption`` is Redirected, which
    net-gateway-api ``knative-v1.23.0`` never sets (``reconcile_resources.go`` ``probeTargets``): in practice
    always plain HTTP on 80. 80 and 443 are the only listener ports our Gateways use.
    """
    entry = {
        "class": GATEWAY_CLASS,
        "gateway": f"{KGATEWAY_NAMESPACE}/{name}",
        "supported-features": list(SUPPORTED_FEATURES),
    }
    return yaml.safe_dump([entry], sort_keys=False, default_flow_style=False)


def config_gateway() -> dict[str, Any]:
    """net-gateway-api's ``config-gateway``: exactly one external and one local Gateway."""
    return config_map("config-gateway", {
        "external-gateways": gateway_entry(EXTERNAL_GATEWAY),
        "local-gateways": gateway_entry(LOCAL_GATEWAY),
    })


def address_command() -> str:
    """The shell that prints the external Gateway's address, for stacks that reserve none."""
    return (f"$(kubectl -n {KGATEWAY_NAMESPACE} get gateway {EXTERNAL_GATEWAY} "
            "-o jsonpath='{.status.addresses[0].value}')")
