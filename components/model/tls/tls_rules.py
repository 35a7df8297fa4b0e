"""TLS rules that span the whole stack: which ingress can serve which certificates, and where DNS-01 may write.

Each rule stops a stack that would deploy and then never become Ready (a
route waiting for a certificate cert-manager cannot issue, or a host no HTTPS
listener answers), with the config path and the fix. Each cites the upstream
behaviour it follows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..core.errors import Problem, join_path
from ..platform.hosts import HostKind, PublicHost, ServedName, parent, within
from ..platform.knative import Ingress
from .certificates import (
    MAX_CERTIFICATE_REFS,
    MAX_NAMES_PER_CERTIFICATE,
    MAX_NEW_CERTIFICATES_PER_REGISTERED_DOMAIN,
    WILDCARD_GROUPS,
    certificate_plan,
    registered_domain,
)
from .tls import AcmeServer, Challenge, ListenerLayout, TlsSpec, dns_zones

GATEWAY_MAX_LISTENERS = 64
"""Gateway API caps ``spec.listeners`` at 64 (``maxItems`` in the v1.6.1 Gateway CRD)."""
GATEWAY_OWN_LISTENERS = 1
"""The external Gateway's plain-HTTP listener, next to the HTTPS listeners."""
assert WILDCARD_GROUPS <= MAX_CERTIFICATE_REFS, "the shared listener refers to every wildcard group's certificate"


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


def listener_count(served: Sequence[ServedName], layout: ListenerLayout) -> int:
    """The HTTPS listeners the external Gateway needs for ``served`` in ``layout``."""
    if layout is ListenerLayout.PER_NAMESPACE:
        return len(served)
    return int(any(s.generated for s in served)) + sum(not s.generated for s in served)


def listener_cap_problems(served: Sequence[ServedName], layout: ListenerLayout) -> list[Problem]:
    """The platform's HTTPS listeners must fit next to the HTTP one on one Gateway."""
    needed = listener_count(served, layout)
    limit = GATEWAY_MAX_LISTENERS - GATEWAY_OWN_LISTENERS
    if needed <= limit:
        return []
    domains = sum(not s.generated for s in served)
    if layout is ListenerLayout.PER_NAMESPACE:
        return [Problem("tls", f"needs {needed} HTTPS listeners on the external Gateway (one per namespace wildcard "
                               f"and per custom domain), more than the {limit} it holds next to its HTTP listener; "
                               "set tls.listeners: shared (one listener for every namespace; a route of one "
                               "namespace may then answer for another's hosts), or spread the services over fewer "
                               "namespaces or custom domains")]
    return [Problem("tls", f"needs {needed} HTTPS listeners on the external Gateway (one shared by the namespaces "
                           f"and one per custom domain: {domains}), more than the {limit} it holds next to its HTTP "
                           "listener; serve fewer custom domains from this platform")]


def shared_listener_problems(served: Sequence[ServedName], layout: ListenerLayout, domain: str) -> list[Problem]:
    """The shared listener answers ``*.<domain>``: every generated wildcard must lie under it."""
    if layout is not ListenerLayout.SHARED:
        return []
    outside = sorted(s.name for s in served if s.generated and not within(s.name[2:], domain))
    if not outside:
        return []
    return [Problem("tls.listeners", f"shared serves *.{domain} only, but knative.network.domainTemplate puts "
                                     f"hosts outside it ({', '.join(outside)}); end domainTemplate with "
                                     "{{.Domain}} or use per-namespace")]


def certificate_limit_problems(tls: TlsSpec, served: Sequence[ServedName]) -> list[Problem]:
    """Let's Encrypt's limits on the platform's own certificates on kgateway (:mod:`.certificates`).

    A fresh platform requests all of them at once, so more than 50 under one
    registered domain would leave the rest unissued for a week (the first
    ``pulumi up`` times out waiting for them). Only the production directory
    counts: staging's limits are far higher.
    """
    plans = certificate_plan(served)
    problems = [Problem("tls", f"{plan.name} would hold {len(plan.dns_names)} names, more than the "
                               f"{MAX_NAMES_PER_CERTIFICATE} Let's Encrypt puts in one certificate; serve fewer "
                               "namespaces from this platform")
                for plan in plans if len(plan.dns_names) > MAX_NAMES_PER_CERTIFICATE]
    return problems + _per_registered_domain(tls, [p.dns_names for p in plans], "(each custom domain has its own); "
                                                                                  "serve fewer custom domains under it")


def knative_certificate_problems(tls: TlsSpec, served: Sequence[ServedName],
                                 hosts: Sequence[PublicHost]) -> list[Problem]:
    """The same limit for the certificates Knative requests itself (Kourier), on a fresh platform.

    knative/serving ``knative-v1.23.0``: one certificate per host of a route
    outside a namespace with a wildcard (``pkg/reconciler/route/resources/certificate.go``
    ``MakeCertificates``: "one certificate for each domain"), one wildcard per
    namespace ``namespace-wildcard-cert-selector`` selects (DNS-01: the served
    namespaces), and one per DomainMapping.
    """
    if tls.challenge is Challenge.DNS01:
        return _per_registered_domain(tls, [(s.name,) for s in served],
                                      "(a wildcard per namespace and one per custom domain); serve fewer namespaces "
                                      "or custom domains under it, or use ingress kgateway, whose wildcards share "
                                      f"{WILDCARD_GROUPS} certificates")
    names = {h.host for h in hosts} | {s.name for s in served if not s.generated}
    return _per_registered_domain(tls, [(n,) for n in sorted(names)],
                                  "(HTTP-01: one per service host, tag host and custom domain); use challenge dns01 "
                                  "(one wildcard per namespace) or serve fewer hosts under it")


def _per_registered_domain(tls: TlsSpec, certificates: Sequence[Sequence[str]], fix: str) -> list[Problem]:
    """At most 50 new certificates per registered domain, on Let's Encrypt's production directory."""
    if tls.server is not AcmeServer.PRODUCTION:
        return []
    by_domain: dict[str, int] = {}
    for names in certificates:
        for registered in {registered_domain(n) for n in names}:
            by_domain[registered] = by_domain.get(registered, 0) + 1
    return [Problem("tls", f"needs {count} certificates under {registered}, more than the "
                           f"{MAX_NEW_CERTIFICATES_PER_REGISTERED_DOMAIN} new certificates Let's Encrypt issues per "
                           f"registered domain in a week {fix}")
            for registered, count in sorted(by_domain.items()) if count > MAX_NEW_CERTIFICATES_PER_REGISTERED_DOMAIN]


def _host_path(h: PublicHost) -> str:
    service = join_path("services", h.service)
    if h.kind is HostKind.DOMAIN:
        return join_path(join_path(service, "domains"), h.index)
    return "domain" if h.kind is HostKind.SERVICE else join_path(service, "traffic")


def dns01_zone_problems(tls: TlsSpec, domain: str, hosts: Sequence[PublicHost],
                        app_domains: Mapping[str, Sequence[str]] | None = None) -> list[Problem]:
    """Every public host must lie in a zone cert-manager's Cloud DNS solver may write challenge records in.

    cert-manager answers a DNS-01 challenge by writing ``_acme-challenge.<name>``
    in the Cloud DNS managed zone that holds the name, in the solver's project;
    a name outside every zone it may use stays ``Issuing`` forever, and with it
    the DomainMapping or Route that waits for the certificate (knative/serving
    ``knative-v1.23.0`` ``pkg/reconciler/domainmapping/reconciler.go``: not Ready
    until the certificate is, unless ``http-protocol`` is Enabled). ``app_domains``
    are the custom domains of declared app namespaces, by namespace.
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
        problems.append(Problem(_host_path(h), _outside_zones(h.host, declared, project)))
    for namespace, domains in sorted((app_domains or {}).items()):
        problems += [Problem(f"appNamespaces.{namespace}.domains[{i}]", _outside_zones(d, declared, project))
                     for i, d in enumerate(domains) if not any(within(d, z) for z in zones)]
    return problems


def _outside_zones(name: str, declared: str, project: str) -> str:
    return (f"'{name}' is in none of the Cloud DNS zones cert-manager may write in (tls.cloudDns.dnsZones: "
            f"{declared}); add the zone that holds it, a managed zone in project {project}, to "
            "tls.cloudDns.dnsZones, or use a name under one of them")
