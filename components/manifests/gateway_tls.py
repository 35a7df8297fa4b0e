"""HTTPS on kgateway: the platform's own listeners, their certificates, and the HTTP-to-HTTPS redirect.

net-gateway-api cannot terminate TLS for a Knative Service with traffic tags:
it names every HTTPS listener of one ingress alike and keeps only the last
(net-gateway-api ``knative-v1.23.0``, ``pkg/reconciler/ingress/reconcile_resources.go``).
So on kgateway Knative's own certificate provisioning stays off
(``external-domain-tls: Disabled``) and the platform terminates TLS itself:

- one cert-manager ``Certificate`` per DNS name that must be covered, issued by
  the platform's DNS-01 ClusterIssuer: ``*.<namespace>.<domain>`` covers a
  namespace's services and tags, a custom domain gets its own;
- one HTTPS listener per certificate on the external Gateway, on port 443 (the
  only HTTPS port net-gateway-api probes without a ``service``: ``lister.go``),
  accepting routes only from the namespaces the name belongs to;
- net-gateway-api's HTTPRoutes name no ``sectionName`` (``resources/httproute.go``
  ``makeHTTPRouteSpec``), so each attaches to every listener whose hostname
  matches: the platform's HTTPS listeners serve them with no change to Knative.
  A route counts as attached when at least one listener accepts it (Gateway
  API ``v1.6.1`` HTTPRoute CRD, ``parentRefs[].sectionName``), which is what
  net-gateway-api waits for (``ingress.go`` ``isHTTPRouteReady``);
- ``default-external-scheme: https`` makes Knative report ``https`` URLs for
  services, tags and DomainMappings (serving ``pkg/reconciler/route/route.go``
  ``updateRouteStatusURL``, ``route/traffic/traffic.go``,
  ``domainmapping/reconciler.go``), and with ``external-domain-tls`` off a
  Route's ``CertificateProvisioned`` condition is True ("TLSNotEnabled",
  ``pkg/apis/serving/v1/route_lifecycle.go``), so nothing waits on Knative's
  own certificates;
- with ``http-protocol: Redirected``, the HTTP listener accepts only the
  platform's redirect route, so plain HTTP gets a 301 to HTTPS, and
  net-gateway-api probes over HTTPS on 443 with each host as SNI
  (``lister.go``; knative/networking ``pkg/status/status.go`` skips certificate
  verification, so probing works before a certificate is trusted).

The Certificates and their Secrets live next to the Gateway in
``kgateway-system``, so no ReferenceGrant is needed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..spec.hosts import PublicHost, certificate_names
from ..spec.knative import Ingress
from ..spec.tls import HttpProtocol, TlsSpec, platform_terminates_tls
from .gateway import (
    EXTERNAL_GATEWAY,
    GATEWAY_API_V1,
    HTTP_LISTENER,
    KGATEWAY_NAMESPACE,
    LOCAL_GATEWAY,
    config_gateway,
    render_gateway,
    render_gateway_parameters,
)
from .knative import WAIT_FOR_READY
from .labels import standard_labels
from .tls import CERT_MANAGER_API

HTTPS_PORT = 443
REDIRECT_ROUTE = "https-redirect"
CERTIFICATE_TIMEOUT_SECONDS = 1200
"""How long ``pulumi up`` waits for a certificate: DNS-01 waits for the TXT record to propagate."""
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class TlsListener:
    """One HTTPS listener of the external Gateway and the certificate behind it."""

    dns_name: str
    """``*.default.knative.example.com`` or ``hello.example.com``: the listener's hostname and the certificate's."""
    namespaces: tuple[str, ...]
    """The namespaces whose routes this listener serves."""

    @property
    def name(self) -> str:
        """A stable DNS label for the listener, its Certificate and its Secret, readable in a review.

        The hostname itself may be longer than a label and holds a ``*``, so the
        name is a readable prefix of it plus a digest of the whole name.
        """
        readable = _SLUG.sub("-", self.dns_name.replace("*", "wildcard")).strip("-")[:44].rstrip("-")
        return f"https-{readable}-{hashlib.sha256(self.dns_name.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class GatewayTls:
    """What the external Gateway needs to terminate TLS: its listeners, the issuer, and whether to redirect."""

    listeners: tuple[TlsListener, ...]
    issuer_name: str
    redirect: bool


def tls_listeners(names: Mapping[str, Sequence[str]]) -> tuple[TlsListener, ...]:
    """A listener per certificate name (see :func:`components.spec.hosts.certificate_names`), in a stable order."""
    return tuple(TlsListener(name, tuple(sorted(ns))) for name, ns in sorted(names.items()))


def https_listener(listener: TlsListener) -> dict[str, Any]:
    """A Gateway listener terminating TLS for ``listener.dns_name`` with the certificate's Secret."""
    return {
        "name": listener.name,
        "hostname": listener.dns_name,
        "port": HTTPS_PORT,
        "protocol": "HTTPS",
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"group": "", "kind": "Secret", "name": listener.name}],
        },
        "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(listener.namespaces)},
        ]}}},
    }


def render_certificate(listener: TlsListener, issuer_name: str) -> dict[str, Any]:
    """The cert-manager Certificate whose Secret the listener serves; ``pulumi up`` waits until it is issued."""
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": {
            "name": listener.name,
            "namespace": KGATEWAY_NAMESPACE,
            "labels": standard_labels(listener.name, "tls"),
            "annotations": {**WAIT_FOR_READY, "pulumi.com/timeoutSeconds": str(CERTIFICATE_TIMEOUT_SECONDS)},
        },
        "spec": {
            "secretName": listener.name,
            "dnsNames": [listener.dns_name],
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer_name},
        },
    }


def render_https_redirect() -> dict[str, Any]:
    """A route on the HTTP listener that answers every plain-HTTP request with a 301 to the same URL over HTTPS.

    Gateway API derives the port from the scheme when the redirect names none (443 for https).
    """
    return {
        "apiVersion": GATEWAY_API_V1,
        "kind": "HTTPRoute",
        "metadata": {"name": REDIRECT_ROUTE, "namespace": KGATEWAY_NAMESPACE,
                     "labels": standard_labels(REDIRECT_ROUTE, "ingress")},
        "spec": {
            "parentRefs": [{"group": GATEWAY_API_V1.split("/")[0], "kind": "Gateway", "name": EXTERNAL_GATEWAY,
                            "sectionName": HTTP_LISTENER}],
            "rules": [{"filters": [{"type": "RequestRedirect",
                                    "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
        },
    }


def external_gateway(address: str | None, tls: GatewayTls | None) -> dict[str, Any]:
    """The external Gateway: plain HTTP, plus the platform's HTTPS listeners when it terminates TLS."""
    if tls is None:
        return render_gateway(EXTERNAL_GATEWAY, address)
    return render_gateway(EXTERNAL_GATEWAY, address, https=[https_listener(lst) for lst in tls.listeners],
                          http_routes_from="Same" if tls.redirect else "All")


def gateway_tls(tls: TlsSpec | None, ingress: Ingress, hosts: Sequence[PublicHost]) -> GatewayTls | None:
    """The external Gateway's TLS for a stack: listeners covering ``hosts``, when the platform terminates TLS."""
    if tls is None or not platform_terminates_tls(ingress, tls):
        return None
    return GatewayTls(listeners=tls_listeners(certificate_names(hosts)), issuer_name=tls.issuer_name,
                      redirect=tls.http_protocol is HttpProtocol.REDIRECTED)


def gloo_objects(tls: GatewayTls | None, node_ports: Mapping[int, int] | None = None) -> dict[str, dict[str, Any]]:
    """Every object :class:`~components.gloo.Gloo` authors, by resource name.

    The external Gateway comes without its reserved address, which may be known only after apply.
    """
    external_type = "NodePort" if node_ports else "LoadBalancer"
    objects = {
        f"{EXTERNAL_GATEWAY}-parameters": render_gateway_parameters(EXTERNAL_GATEWAY, external_type, node_ports),
        f"{LOCAL_GATEWAY}-parameters": render_gateway_parameters(LOCAL_GATEWAY, "ClusterIP"),
        EXTERNAL_GATEWAY: external_gateway(None, tls),
        LOCAL_GATEWAY: render_gateway(LOCAL_GATEWAY),
        "config-gateway": config_gateway(),
    }
    if tls is not None:
        objects |= {listener.name: render_certificate(listener, tls.issuer_name) for listener in tls.listeners}
        if tls.redirect:
            objects[REDIRECT_ROUTE] = render_https_redirect()
    return objects
