"""Which certificates cover the names the platform serves on kgateway, and the limits they must stay within.

Let's Encrypt issues at most 50 new certificates per registered domain per week
and puts at most 100 names in one certificate (letsencrypt.org/docs/rate-limits:
"New Certificates per Registered Domain", "Names per Certificate"). One
certificate per namespace would make a fresh platform of 51 namespaces wait a
week; one certificate for all of them would be re-issued for every namespace
added, and a single name it could not get would stop the renewal of all. So:

- the wildcards of Knative's generated hosts (``*.<ns>.<domain>``, all in the
  platform's own zone, so they succeed or fail together anyway) are spread over
  :data:`WILDCARD_GROUPS` certificates by a stable hash of the name. Adding or
  removing a namespace re-issues exactly one certificate (its group's), a fresh
  platform requests at most 16 of them whatever its size, and groups stay small
  (100 namespaces: about 6 names each). The trade-off: the other namespaces of
  that group share the re-issue (harmless: cert-manager keeps serving the old
  certificate until the new one is issued) and a group's names are public in
  one certificate;
- each custom domain keeps a certificate of its own: it may live in another
  zone, so a failure to issue it touches no other name.

kgateway serves a certificate whichever listener refers to its Secret, and
Envoy picks among a listener's certificates by SNI (envoyproxy/envoy
``docs/root/intro/arch_overview/security/ssl.rst``, "Certificate selection";
kgateway ``pkg/kgateway/translator/listener/gateway_listener_translator.go``
``translateTLSConfig`` puts every ``certificateRefs`` entry in the listener's
TLS context, test ``testutils/inputs/gateway-only/tls-multiple-certificates.yaml``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..platform.hosts import ServedName

WILDCARD_GROUPS = 16
"""How many certificates share the generated-host wildcards. Never change it: every group would be re-issued."""
MAX_NAMES_PER_CERTIFICATE = 100
"""Let's Encrypt's "Names per Certificate" limit."""
MAX_NEW_CERTIFICATES_PER_REGISTERED_DOMAIN = 50
"""Let's Encrypt's "New Certificates per Registered Domain" limit, per 7 days (production directory only)."""
MAX_CERTIFICATE_REFS = 64
"""Gateway API ``v1.6.1`` Gateway CRD: ``listeners[].tls.certificateRefs`` ``maxItems``."""
_SLUG = re.compile(r"[^a-z0-9]+")


def object_name(dns_name: str) -> str:
    """A stable DNS label for a listener, Certificate or Secret about ``dns_name``, readable in a review.

    The name itself may be longer than a label and holds a ``*``, so the label is
    a readable prefix of it plus a digest of the whole name.
    """
    readable = _SLUG.sub("-", dns_name.replace("*", "wildcard")).strip("-")[:44].rstrip("-")
    return f"https-{readable}-{hashlib.sha256(dns_name.encode()).hexdigest()[:8]}"


def wildcard_group(name: str) -> int:
    """The group of a generated-host wildcard: a hash of the name alone, so no other name moves it."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % WILDCARD_GROUPS


@dataclass(frozen=True)
class CertificatePlan:
    """One cert-manager Certificate (and its Secret, of the same name) and the names it covers."""

    name: str
    dns_names: tuple[str, ...]


def certificate_plan(served: Iterable[ServedName]) -> tuple[CertificatePlan, ...]:
    """The platform's certificates for ``served``: wildcards in their groups, each custom domain alone."""
    groups: dict[int, list[str]] = {}
    plans = []
    for s in served:
        if s.generated:
            groups.setdefault(wildcard_group(s.name), []).append(s.name)
        else:
            plans.append(CertificatePlan(object_name(s.name), (s.name,)))
    plans += [CertificatePlan(f"https-wildcards-{group:02d}", tuple(sorted(names)))
              for group, names in groups.items()]
    return tuple(sorted(plans, key=lambda p: p.name))


def certificate_for(plans: Sequence[CertificatePlan], name: str) -> CertificatePlan:
    """The certificate that holds ``name``."""
    return next(p for p in plans if name in p.dns_names)


def registered_domain(name: str) -> str:
    """The last two labels of ``name``: never finer than the registered domain Let's Encrypt counts by.

    The real registered domain is one label below a public suffix (``example.co.uk``)
    and so ends with these two labels; grouping by them can only count more
    certificates together, never fewer: a stricter check, by choice, without
    shipping the Public Suffix List.
    """
    return ".".join(name.removeprefix("*.").split(".")[-2:])
