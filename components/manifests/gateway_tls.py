"""HTTPS on kgateway: the platform's own listeners, their certificates, and the HTTP-to-HTTPS redirect.

net-gateway-api cannot terminate TLS for a Knative Service with traffic tags:
it names every HTTPS listener of one ingress alike and keeps only the last
(net-gateway-api ``knative-v1.23.0``, ``pkg/reconciler/ingress/reconcile_resources.go``).
So on kgateway Knative's own certificate provisioning stays off
(``external-domain-tls: Disabled``) and the platform terminates TLS itself, for
every name it serves (:func:`knative_platform.model.platform.hosts.served_names`: its own public
services' hosts and each declared app namespace's):

- cert-manager ``Certificate`` objects issued by the platform's DNS-01
  ClusterIssuer: ``*.<namespace>.<domain>`` covers a namespace's services and
  tags, shared in a few certificates; a custom domain gets its own
  (:mod:`knative_platform.model.tls.certificates`);
- HTTPS listeners on the external Gateway, on port 443 (the only HTTPS port
  net-gateway-api would dial without a ``service``: ``lister.go``). With
  ``tls.listeners: per-namespace`` one per namespace wildcard, admitting only
  that namespace's routes; with ``shared`` one ``*.<domain>`` listener admitting
  every served namespace, with every wildcard certificate. Either way each
  custom domain has a listener admitting only its namespace;
- net-gateway-api's HTTPRoutes name no ``sectionName`` (``resources/httproute.go``
  ``makeHTTPRouteSpec``), so each attaches to every listener whose hostname
  matches and that admits its namespace (kgateway ``pkg/kgateway/query/route.go``
  ``processRoute``): the platform's HTTPS listeners serve them with no change to
  Knative. A route in a namespace no listener admits is ``NotAllowedByListeners``
  and its Knative Service never becomes Ready (``ingress.go`` ``isHTTPRouteReady``),
  hence the declared app namespaces;
- ``default-external-scheme: https`` makes Knative report ``https`` URLs for
  services, tags and DomainMappings (serving ``pkg/reconciler/route/route.go``
  ``updateRouteStatusURL``, ``route/traffic/traffic.go``,
  ``domainmapping/reconciler.go``), and with ``external-domain-tls`` off a
  Route's ``CertificateProvisioned`` condition is True ("TLSNotEnabled",
  ``pkg/apis/serving/v1/route_lifecycle.go``), so nothing waits on Knative's
  own certificates;
- with ``http-protocol: Redirected``, the HTTP listener accepts only the
  platform's redirect route, so plain HTTP gets a 301 to HTTPS.

Knative's readiness proves nothing about HTTPS here: net-gateway-api never
passes ``http-protocol`` to its prober (``status.Backends.HTTPOption`` is read in
``lister.go`` but set nowhere outside tests, ``reconcile_resources.go``
``probeTargets``), so it probes plain HTTP on port 80, gets the redirect's 301,
and counts that as done (knative/networking ``pkg/status/status.go``: a status
other than 200, 404 or 503 abandons the probe as successful). What orders an
app after its certificate is the Certificates' ``pulumi.com/waitFor``; what
proves HTTPS answers is the smoke check after each deploy
(``.github/workflows/deploy.yml``).

The Certificates and their Secrets live next to the Gateway in
``kgateway-system``, so no ReferenceGrant is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model.platform.hosts import ServedName
from ..model.platform.knative import Ingress
from ..model.tls.certificates import CertificatePlan, certificate_for, certificate_plan, object_name
from ..model.tls.tls import HttpProtocol, ListenerLayout, TlsSpec, platform_terminates_tls
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


@dataclass(frozen=True)
class TlsListener:
    """One HTTPS listener of the external Gateway and the certificates it serves."""

    dns_name: str
    """``*.default.knative.example.com``, ``*.knative.example.com`` (shared) or ``hello.example.com``: its hostname."""
    namespaces: tuple[str, ...]
    """The namespaces whose routes this listener serves."""
    certificates: tuple[str, ...] = ()
    """The Secrets (named like their Certificates) in its ``certificateRefs``; Envoy picks one by SNI."""

    @property
    def name(self) -> str:
        """A stable DNS label naming the listener, readable in a review (see ``object_name``)."""
        return object_name(self.dns_name)


@dataclass(frozen=True)
class GatewayTls:
    """What the external Gateway needs to terminate TLS: its listeners, certificates, issuer, and the redirect."""

    listeners: tuple[TlsListener, ...]
    issuer_name: str
    redirect: bool
    certificates: tuple[CertificatePlan, ...] = ()
    served: tuple[ServedName, ...] = ()
    """Every name the platform promises to serve over HTTPS (the ``httpsHosts`` output)."""


def tls_listeners(served: Sequence[ServedName], certificates: Sequence[CertificatePlan], layout: ListenerLayout,
                  domain: str) -> tuple[TlsListener, ...]:
    """The HTTPS listeners for ``served`` in ``layout``, each with the certificates that hold its names."""
    own = [s for s in served if not s.generated or layout is ListenerLayout.PER_NAMESPACE]
    listeners = [TlsListener(s.name, s.namespaces, (certificate_for(certificates, s.name).name,)) for s in own]
    shared = [s for s in served if s.generated and layout is ListenerLayout.SHARED]
    if shared:
        namespaces = tuple(sorted({ns for s in shared for ns in s.namespaces}))
        secrets = tuple(sorted({certificate_for(certificates, s.name).name for s in shared}))
        listeners.append(TlsListener(f"*.{domain}", namespaces, secrets))
    return tuple(sorted(listeners, key=lambda lst: lst.dns_name))


def https_listener(listener: TlsListener) -> dict[str, Any]:
    """A Gateway listener terminating TLS for ``listener.dns_name`` with its certificates' Secrets."""
    return {
        "name": listener.name,
        "hostname": listener.dns_name,
        "port": HTTPS_PORT,
        "protocol": "HTTPS",
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"group": "", "kind": "Secret", "name": secret} for secret in listener.certificates],
        },
        "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(listener.namespaces)},
        ]}}},
    }


def render_certificate(certificate: CertificatePlan, issuer_name: str) -> dict[str, Any]:
    """The cert-manager Certificate whose Secret listeners serve; ``pulumi up`` waits until it is issued."""
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": {
            "name": certificate.name,
            "namespace": KGATEWAY_NAMESPACE,
            "labels": standard_labels(certificate.name, "tls"),
            "annotations": {**WAIT_FOR_READY, "pulumi.com/timeoutSeconds": str(CERTIFICATE_TIMEOUT_SECONDS)},
        },
        "spec": {
            "secretName": certificate.name,
            "dnsNames": list(certificate.dns_names),
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


def gateway_tls(tls: TlsSpec | None, ingress: Ingress, served: Sequence[ServedName],
                domain: str = "") -> GatewayTls | None:
    """The external Gateway's TLS for a stack: listeners covering ``served``, when the platform terminates TLS."""
    if tls is None or not platform_terminates_tls(ingress, tls):
        return None
    certificates = certificate_plan(served)
    return GatewayTls(listeners=tls_listeners(served, certificates, tls.listeners, domain), issuer_name=tls.issuer_name,
                      redirect=tls.http_protocol is HttpProtocol.REDIRECTED, certificates=certificates,
                      served=tuple(served))


def https_hosts_output(tls: TlsSpec | None, gateway: GatewayTls | None, zones: Sequence[str]) -> dict[str, Any] | None:
    """The ``httpsHosts`` stack output: exactly what the platform serves over HTTPS, for app stacks to be checked.

    ``terminatedBy: gateway`` (kgateway): ``names`` maps each name the platform's
    listeners serve to the namespaces whose routes may answer for it; nothing
    else is served. ``terminatedBy: knative`` (Kourier): Knative asks
    cert-manager for each route's certificate, in any namespace. ``dnsZones``
    (DNS-01): the only zones certificates can be issued in. None: plain HTTP.
    """
    if tls is None:
        return None
    out: dict[str, Any] = {"terminatedBy": "gateway" if gateway is not None else "knative"}
    if gateway is not None:
        out["names"] = {s.name: list(s.namespaces) for s in gateway.served}
    if zones:
        out["dnsZones"] = list(zones)
    return out


def gateway_ports(node_ports: Mapping[int, int] | None, tls: GatewayTls | None) -> dict[int, int] | None:
    """The node ports the external proxy's Service exposes: 443 only when a listener terminates TLS there.

    kgateway adds every ``GatewayParameters`` port to the proxy Service, listener
    or not (kgateway ``pkg/deployer/values_helpers.go`` ``GetPortsValues``), so a
    443 without TLS would be a node port with nothing behind it.
    """
    if not node_ports:
        return None
    return {port: node for port, node in node_ports.items() if tls is not None or port != HTTPS_PORT}


def kgateway_objects(tls: GatewayTls | None, node_ports: Mapping[int, int] | None = None) -> dict[str, dict[str, Any]]:
    """Every object :class:`~knative_platform.kgateway.Kgateway` authors, by resource name.

    The external Gateway comes without its reserved address, which may be known only after apply.
    """
    external_type = "NodePort" if node_ports else "LoadBalancer"
    node_ports = gateway_ports(node_ports, tls)
    objects = {
        f"{EXTERNAL_GATEWAY}-parameters": render_gateway_parameters(EXTERNAL_GATEWAY, external_type, node_ports),
        f"{LOCAL_GATEWAY}-parameters": render_gateway_parameters(LOCAL_GATEWAY, "ClusterIP"),
        EXTERNAL_GATEWAY: external_gateway(None, tls),
        LOCAL_GATEWAY: render_gateway(LOCAL_GATEWAY),
        "config-gateway": config_gateway(),
    }
    if tls is not None:
        objects |= {cert.name: render_certificate(cert, tls.issuer_name) for cert in tls.certificates}
        if tls.redirect:
            objects[REDIRECT_ROUTE] = render_https_redirect()
    return objects
