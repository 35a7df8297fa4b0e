"""Gloo today: kgateway's Gateways in front of Knative, wired through net-gateway-api's ``config-gateway``.

Two Gateways of class ``kgateway`` in ``kgateway-system``:

``knative-external``
    the internet-facing one; its proxy Service is a LoadBalancer that requests
    the stack's reserved static IP through ``spec.addresses`` (kgateway copies a
    single ``IPAddress`` entry into the Service's ``loadBalancerIP``);
``knative-local``
    cluster-local traffic (``*.svc.cluster.local``); its proxy Service is
    ClusterIP, set by its own ``GatewayParameters`` (``spec.kube.service.type``).

kgateway names each proxy's Deployment and Service after its Gateway, which is
what ``config-gateway``'s ``service`` entries point at. The entry format follows
net-gateway-api's parser (``pkg/reconciler/ingress/config/gateway.go``), not
Knative's docs page: a YAML list with exactly one item per visibility.
"""

from __future__ import annotations

from typing import Any

import yaml

from .knative_config import config_map
from .labels import standard_labels

GATEWAY_API_V1 = "gateway.networking.k8s.io/v1"
KGATEWAY_PARAMETERS_API = "gateway.kgateway.dev/v1alpha1"
KGATEWAY_NAMESPACE = "kgateway-system"
GATEWAY_CLASS = "kgateway"
GATEWAY_CONTROLLER = "kgateway.dev/kgateway"
EXTERNAL_GATEWAY = "knative-external"
LOCAL_GATEWAY = "knative-local"
HTTP_LISTENER = "http"
SUPPORTED_FEATURES = ("HTTPRouteRequestTimeout",)
"""With it, net-gateway-api sets each route's request timeout to 0s (none), so Knative's own per-revision
timeouts govern instead of Envoy's 15 s default route timeout."""


def render_gateway_class() -> dict[str, Any]:
    """The ``kgateway`` GatewayClass, created before the kgateway controller starts.

    kgateway's controller creates this class itself when it is missing and then
    leaves it alone (its provisioner only creates, never updates), so authoring
    it first keeps it visible, reviewed and owned by the platform.
    """
    return {
        "apiVersion": GATEWAY_API_V1,
        "kind": "GatewayClass",
        "metadata": {"name": GATEWAY_CLASS, "labels": standard_labels(GATEWAY_CLASS, "ingress")},
        "spec": {
            "controllerName": GATEWAY_CONTROLLER,
            "description": "kgateway proxies for Knative Serving, via net-gateway-api",
        },
    }


def render_gateway_parameters(name: str, service_type: str) -> dict[str, Any]:
    """The per-Gateway proxy settings kgateway reads: here, the type of the proxy's Kubernetes Service."""
    return {
        "apiVersion": KGATEWAY_PARAMETERS_API,
        "kind": "GatewayParameters",
        "metadata": {"name": name, "namespace": KGATEWAY_NAMESPACE, "labels": standard_labels(name, "ingress")},
        "spec": {"kube": {"service": {"type": service_type}}},
    }


def render_gateway(name: str, address: str | None = None) -> dict[str, Any]:
    """A Gateway with one plain-HTTP listener that routes from every namespace may attach to.

    Routes come from all namespaces because net-gateway-api writes each
    service's HTTPRoute next to the service, wherever an app team deploys it.
    ``address`` (a reserved static IP) becomes the proxy's LoadBalancer IP.
    """
    spec: dict[str, Any] = {
        "gatewayClassName": GATEWAY_CLASS,
        "infrastructure": {
            "parametersRef": {"group": KGATEWAY_PARAMETERS_API.split("/")[0], "kind": "GatewayParameters",
                              "name": name},
        },
        "listeners": [{
            "name": HTTP_LISTENER,
            "protocol": "HTTP",
            "port": 80,
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }],
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
    """One ``config-gateway`` list: our Gateway, its proxy Service (probed by net-gateway-api), its features.

    The keys are the ones the pinned release's parser and its ``_example``
    use: ``class``, ``gateway`` and ``service`` as ``<namespace>/<name>``, and
    ``supported-features``.
    """
    entry = {
        "class": GATEWAY_CLASS,
        "gateway": f"{KGATEWAY_NAMESPACE}/{name}",
        "service": f"{KGATEWAY_NAMESPACE}/{name}",
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
