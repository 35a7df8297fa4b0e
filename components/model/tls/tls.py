"""Automatic TLS for public services: the optional ``tls`` stack-config key, typed.

With ``tls`` set, the platform installs cert-manager, a Let's Encrypt
ClusterIssuer, points Knative's cert-manager integration at it and turns on
``external-domain-tls``. Two ways to prove domain ownership:

``http01``
    Let's Encrypt fetches a token over plain HTTP through the gateway. Needs the
    domain's DNS to point at the gateway already. Knative asks cert-manager for
    one certificate per host; with ``ingress: kourier`` only (see below).
``dns01``
    cert-manager writes a TXT record in Cloud DNS as a Google service account it
    impersonates through Workload Identity (no key file). Certificates are
    wildcards, so there is no per-host cap. ``cloudDns.dnsZones`` names the
    zones the solver may write in; every public host must be inside one.

Who terminates TLS depends on the ingress (:func:`platform_terminates_tls`).
With Kourier, Knative does (``external-domain-tls: Enabled``), as Knative tests
it. With kgateway behind net-gateway-api it cannot: net-gateway-api gives every
HTTPS listener of one ingress the same name and keeps only the last, so a
service's tag hosts get no listener (net-gateway-api ``knative-v1.23.0``,
``pkg/reconciler/ingress/reconcile_resources.go``, ``reconcileTLS`` and
``reconcileGatewayListeners``). So on kgateway the platform owns the HTTPS
listeners, with wildcard certificates from cert-manager (DNS-01) that cover
every public host, and Knative only reports ``https`` URLs
(``default-external-scheme``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from ..core.errors import Problem, join_path
from ..core.names import domain_problem
from ..platform.knative import Ingress

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_GSA = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$")


class Challenge(enum.StrEnum):
    """How Let's Encrypt checks that the platform controls the domain."""

    HTTP01 = "http01"
    DNS01 = "dns01"


class AcmeServer(enum.StrEnum):
    """Let's Encrypt's production directory, or staging (untrusted certificates, generous rate limits)."""

    PRODUCTION = "production"
    STAGING = "staging"


ACME_DIRECTORIES = {
    AcmeServer.PRODUCTION: "https://acme-v02.api.letsencrypt.org/directory",
    AcmeServer.STAGING: "https://acme-staging-v02.api.letsencrypt.org/directory",
}


class ListenerLayout(enum.StrEnum):
    """How the platform's HTTPS listeners on kgateway map to namespaces (``tls.listeners``).

    ``per-namespace`` (the default) gives every namespace its own listener,
    ``*.<namespace>.<domain>``, that admits only that namespace's routes: a route
    in one namespace can never answer for another namespace's hosts. A Gateway
    holds 64 listeners (Gateway API ``v1.6.1`` Gateway CRD, ``spec.listeners``
    ``maxItems``), so this serves at most 63 namespaces and custom domains.
    ``shared`` is the named relaxation for larger platforms: one listener,
    ``*.<domain>``, serves every namespace with all their certificates (kgateway
    puts every ``certificateRefs`` entry of a listener in one Envoy TLS context,
    and Envoy picks the certificate by SNI); routes of any served namespace may
    then claim any generated host of another. Custom domains keep a listener of
    their own, admitting only their namespace, in both layouts.
    """

    PER_NAMESPACE = "per-namespace"
    SHARED = "shared"


class HttpProtocol(enum.StrEnum):
    """What the gateway does with plain HTTP once TLS is on (Knative's ``http-protocol``)."""

    REDIRECTED = "redirected"
    ENABLED = "enabled"


@dataclass(frozen=True, kw_only=True)
class CloudDnsSolver:
    """DNS-01 through Cloud DNS: the zone's project and the Google service account cert-manager acts as.

    The service account needs ``roles/dns.admin`` on ``project`` and must let
    the Kubernetes service account ``cert-manager/cert-manager`` impersonate it
    (``roles/iam.workloadIdentityUser`` for
    ``serviceAccount:<cluster project>.svc.id.goog[cert-manager/cert-manager]``).
    On a GKE cluster the platform creates (``cluster.type: gke``) leave
    ``service_account`` out: the platform creates that account and both grants.
    On an existing cluster, name an account created outside the stack.
    """

    project: str
    service_account: str | None = None
    dns_zones: tuple[str, ...] = ()
    """The DNS names of the Cloud DNS managed zones in ``project`` that cert-manager may answer challenges in
    (``knative.example.com``, ``example.com``); empty means the zone of the platform's ``domain``. Every
    public host, custom domains included, must lie inside one of them."""


@dataclass(frozen=True, kw_only=True)
class TlsSpec:
    """HTTPS for every public service and custom domain, with certificates from Let's Encrypt."""

    email: str
    """Where Let's Encrypt sends expiry warnings."""
    challenge: Challenge = Challenge.HTTP01
    server: AcmeServer = AcmeServer.PRODUCTION
    cloud_dns: CloudDnsSolver | None = None
    http_protocol: HttpProtocol = HttpProtocol.REDIRECTED
    listeners: ListenerLayout = ListenerLayout.PER_NAMESPACE
    """On kgateway: one HTTPS listener per namespace (isolated, at most 63), or one shared by all (``shared``)."""

    @property
    def issuer_name(self) -> str:
        """The ClusterIssuer's name: one per challenge and server, so switching either is a clean replacement."""
        return f"letsencrypt-{self.server.value}-{self.challenge.value}"


def tls_problems(tls: TlsSpec, path: str = "tls") -> list[Problem]:
    """What cert-manager or Let's Encrypt would refuse in ``tls``, or what cannot work as declared."""
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(join_path(path, key), message))

    if not _EMAIL.match(tls.email):
        add("email", f"'{tls.email}' is not an e-mail address; Let's Encrypt sends expiry warnings there")
    if tls.challenge is Challenge.DNS01:
        if tls.cloud_dns is None:
            add("cloudDns", "is required for challenge dns01: {project: <Cloud DNS project>} (plus serviceAccount: "
                            "<name>@<project>.iam.gserviceaccount.com on a cluster the platform does not create)")
        else:
            if not _GCP_PROJECT.match(tls.cloud_dns.project):
                add("cloudDns.project", f"'{tls.cloud_dns.project}' is not a Google Cloud project ID")
            if tls.cloud_dns.service_account is not None and not _GSA.match(tls.cloud_dns.service_account):
                add("cloudDns.serviceAccount", f"'{tls.cloud_dns.service_account}' is not a service account e-mail "
                                               "like cert-manager@my-project.iam.gserviceaccount.com")
            for i, zone in enumerate(tls.cloud_dns.dns_zones):
                problem = domain_problem(zone, "zone")
                if problem:
                    add(f"cloudDns.dnsZones[{i}]", f"{problem}; name the zone's DNS name, not its resource name")
    elif tls.cloud_dns is not None:
        add("cloudDns", "is only used with challenge dns01; remove it or set challenge: dns01")
    return problems


def platform_terminates_tls(ingress: Ingress, tls: TlsSpec | None) -> bool:
    """Whether the platform's own Gateway listeners terminate TLS (kgateway), rather than Knative (Kourier)."""
    return tls is not None and ingress is Ingress.KGATEWAY


def dns_zones(tls: TlsSpec, domain: str) -> tuple[str, ...]:
    """The zones cert-manager's DNS-01 solver may write in: the declared ones, or the platform domain's."""
    if tls.cloud_dns is not None and tls.cloud_dns.dns_zones:
        return tls.cloud_dns.dns_zones
    return (domain,)
