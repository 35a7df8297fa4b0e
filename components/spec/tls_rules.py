"""TLS rules that span the whole stack: which ingress can serve which certificates, and where DNS-01 may write.

Each rule stops a stack that would deploy and then never become Ready (a
route waiting for a certificate cert-manager cannot issue, or a host no HTTPS
listener answers), with the config path and the fix. Each cites the upstream
behaviour it follows.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import Problem, join_path
from .hosts import HostKind, PublicHost, certificate_names, parent, within
from .knative import Ingress
from .tls import Challenge, TlsSpec, dns_zones

GATEWAY_MAX_LISTENERS = 64
"""Gateway API caps ``spec.listeners`` at 64 (``maxItems`` in the v1.6.1 Gateway CRD)."""
GATEWAY_OWN_LISTENERS = 1
"""The external Gateway's plain-HTTP listener, next to the HTTPS listeners."""


def kgateway_challenge_problems(tls: TlsSpec, ingress: Ingress) -> list[Problem]:
    """Kgateway serves TLS only through the platform's own wildcard listeners, which need DNS-01.

    Knative's per-host certificates (HTTP-01) reach kgateway as net-gateway-api
    listeners, and net-gateway-api names every HTTPS listener of one ingress
    alike and keeps only the last (``reconcile_resources.go``,
    ``reconcileGatewayListeners``: ``lmap[string(l.Name)] = l``): a service's tag
    hosts would get no listener and its Route would never become Ready.
    """
    if ingress is not Ingress.KGATEWAY or tls.challenge is not Challenge.HTTP01:
        return []
    return [Problem("tls.challenge", "http01 does not work with ingress kgateway: net-gateway-api keeps only one "
                                     "HTTPS listener per service, so its tag URLs would get no certificate; use "
                                     "challenge dns01 (the platform then terminates TLS on its own listeners with "
                                     "wildcard certificates) or ingress kourier")]


def listener_cap_problems(hosts: Sequence[PublicHost]) -> list[Problem]:
    """The platform's HTTPS listeners (one per certificate name) must fit next to the HTTP one on one Gateway."""
    names = certificate_names(hosts)
    limit = GATEWAY_MAX_LISTENERS - GATEWAY_OWN_LISTENERS
    if len(names) <= limit:
        return []
    return [Problem("tls", f"needs {len(names)} HTTPS listeners on the external Gateway (one per namespace "
                           f"wildcard and per custom domain), more than the {limit} it holds next to its HTTP "
                           "listener; spread the services over fewer namespaces or custom domains")]


def _host_path(h: PublicHost) -> str:
    service = join_path("services", h.service)
    if h.kind is HostKind.DOMAIN:
        return join_path(join_path(service, "domains"), h.index)
    return "domain" if h.kind is HostKind.SERVICE else join_path(service, "traffic")


def dns01_zone_problems(tls: TlsSpec, domain: str, hosts: Sequence[PublicHost]) -> list[Problem]:
    """Every public host must lie in a zone cert-manager's Cloud DNS solver may write challenge records in.

    cert-manager answers a DNS-01 challenge by writing ``_acme-challenge.<name>``
    in the Cloud DNS managed zone that holds the name, in the solver's project;
    a name outside every zone it may use stays ``Issuing`` forever, and with it
    the DomainMapping or Route that waits for the certificate (knative/serving
    ``knative-v1.23.0`` ``pkg/reconciler/domainmapping/reconciler.go``: not Ready
    until the certificate is, unless ``http-protocol`` is Enabled).
    """
    if tls.challenge is not Challenge.DNS01:
        return []
    zones = dns_zones(tls, domain)
    problems: list[Problem] = []
    declared = ", ".join(zones)
    project = tls.cloud_dns.project if tls.cloud_dns is not None else "the DNS project"
    if not any(within(domain, z) for z in zones):
        problems.append(Problem("tls.cloudDns.dnsZones", f"none of the zones ({declared}) holds the platform's "
                                                         f"domain '{domain}'; add its zone"))
    for h in hosts:
        name = h.host if h.kind is HostKind.DOMAIN else parent(h.host)
        if h.kind is not HostKind.DOMAIN and within(name, domain):
            continue  # a generated host under the domain: covered by the check above
        if any(within(name, z) for z in zones):
            continue
        problems.append(Problem(_host_path(h), f"'{h.host}' is in none of the Cloud DNS zones cert-manager may "
                                               f"write in (tls.cloudDns.dnsZones: {declared}); add the zone that "
                                               f"holds it, a managed zone in project {project}, to "
                                               "tls.cloudDns.dnsZones, or use a name under one of them"))
    return problems
