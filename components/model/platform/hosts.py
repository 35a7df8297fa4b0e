"""The host names Knative gives a platform's services: the facts both URLs and TLS certificates follow.

Knative builds a service's host from ``config-network``'s ``domain-template``
(``{{.Name}}.{{.Namespace}}.{{.Domain}}``), a traffic tag's from
``tag-template`` (``{{.Tag}}-{{.Name}}``) put in the place of the name, and a
DomainMapping answers on its own name (knative/serving ``knative-v1.23.0``,
``pkg/reconciler/route/domains/domains.go`` and ``pkg/reconciler/domainmapping``).
Computing them here, before any cluster exists, gives stack outputs, ``curl``
lines and the certificates that must cover every public host.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..service.service import Service, Visibility
from ..service.traffic import compile_traffic

CLUSTER_LOCAL_DOMAIN = "svc.cluster.local"


def fill(template: str, values: Mapping[str, str]) -> str:
    """Knative's Go template, for the only placeholders its host templates use (``{{.Name}}`` ...)."""
    out = template
    for key, value in values.items():
        out = out.replace("{{." + key + "}}", value)
    return out


def host(name: str, namespace: str, domain: str, template: str) -> str:
    """The host name Knative gives ``name`` in ``namespace`` under ``domain``."""
    return fill(template, {"Name": name, "Namespace": namespace, "Domain": domain})


def tag_name(tag: str, name: str, tag_template: str) -> str:
    """What stands in the place of the service's name in a tag's host (``blue-api``)."""
    return fill(tag_template, {"Tag": tag, "Name": name})


def tag_hosts(service: Service, domain: str, domain_template: str, tag_template: str) -> dict[str, str]:
    """The host of each of ``service``'s traffic tags under ``domain``, by tag, in tag order."""
    tags = sorted({t.tag for t in compile_traffic(service.traffic).targets if t.tag})
    return {tag: host(tag_name(tag, service.name, tag_template), service.namespace, domain, domain_template)
            for tag in tags}


class HostKind(enum.StrEnum):
    """Where a public host comes from: the service itself, one of its traffic tags, or a custom domain."""

    SERVICE = "service"
    TAG = "tag"
    DOMAIN = "domain"


@dataclass(frozen=True)
class PublicHost:
    """One host a client reaches from outside the cluster, and the service (and namespace) behind it."""

    host: str
    service: str
    namespace: str
    kind: HostKind
    index: int = 0
    """For a custom domain, its position in the service's ``domains`` (for error paths)."""


def public_hosts(services: Iterable[Service], domain: str, domain_template: str,
                 tag_template: str) -> list[PublicHost]:
    """Every host Knative advertises for the public services, in a stable order (service, tags, domains)."""
    out: list[PublicHost] = []
    for service in sorted(services, key=lambda s: (s.namespace, s.name)):
        if service.visibility is not Visibility.PUBLIC:
            continue
        ns = service.namespace
        out.append(PublicHost(host(service.name, ns, domain, domain_template), service.name, ns, HostKind.SERVICE))
        out += [PublicHost(tagged, service.name, ns, HostKind.TAG)
                for tagged in tag_hosts(service, domain, domain_template, tag_template).values()]
        out += [PublicHost(d, service.name, ns, HostKind.DOMAIN, i) for i, d in enumerate(service.domains)]
    return out


def within(name: str, zone: str) -> bool:
    """Whether DNS name ``name`` is ``zone`` or below it (``a.b.example.com`` is within ``example.com``)."""
    return name == zone or name.endswith("." + zone)


def parent(name: str) -> str:
    """``api.default.example.com`` -> ``default.example.com``."""
    return name.split(".", 1)[1] if "." in name else ""


def certificate_names(hosts: Iterable[PublicHost]) -> dict[str, tuple[str, ...]]:
    """The DNS names certificates must cover for ``hosts``, each with the namespaces whose routes it serves.

    Knative's generated hosts (services and tags) share their parent, so one
    wildcard ``*.<parent>`` covers a namespace's services and tags (a
    certificate wildcard spans exactly one label); a custom domain gets a
    certificate of its own name, since its parent may be a zone the platform
    does not own.
    """
    names: dict[str, set[str]] = {}
    for h in hosts:
        name = h.host if h.kind is HostKind.DOMAIN else f"*.{parent(h.host)}"
        names.setdefault(name, set()).add(h.namespace)
    return {name: tuple(sorted(names[name])) for name in sorted(names)}


def covers(certificate_name: str, hostname: str) -> bool:
    """Whether a certificate for ``certificate_name`` (``*.x.y`` or exact) is valid for ``hostname`` (RFC 6125)."""
    if certificate_name.startswith("*."):
        return "." in hostname and parent(hostname) == certificate_name[2:]
    return certificate_name == hostname


@dataclass(frozen=True)
class ServedName:
    """One DNS name the platform serves over HTTPS on its own listeners, and the namespaces allowed behind it."""

    name: str
    """``*.default.knative.example.com`` (Knative's generated hosts of a namespace) or a custom domain."""
    namespaces: tuple[str, ...]
    generated: bool
    """A wildcard for Knative's generated hosts (services and tags), rather than a custom domain."""


def namespace_wildcard(namespace: str, domain: str, domain_template: str) -> str:
    """The wildcard that covers every service and tag host Knative gives ``namespace`` (``*.<ns>.<domain>``)."""
    return f"*.{parent(host('x', namespace, domain, domain_template))}"


def served_names(hosts: Iterable[PublicHost], app_namespaces: Mapping[str, Iterable[str]], domain: str,
                 domain_template: str) -> tuple[ServedName, ...]:
    """Every name the platform's certificates and listeners cover, in a stable order.

    The platform's own public hosts (:func:`certificate_names`), plus each
    declared app namespace (``app_namespaces``: namespace -> its custom domains)
    as the wildcard of its generated hosts and as each of its custom domains.
    """
    names: dict[str, set[str]] = {n: set(ns) for n, ns in certificate_names(hosts).items()}
    for namespace, domains in app_namespaces.items():
        names.setdefault(namespace_wildcard(namespace, domain, domain_template), set()).add(namespace)
        for d in domains:
            names.setdefault(d, set()).add(namespace)
    return tuple(ServedName(n, tuple(sorted(names[n])), n.startswith("*.")) for n in sorted(names))


def dns_record_names(served: Iterable[ServedName], domain: str) -> tuple[str, ...]:
    """The names below ``*.<domain>`` that need an address record of their own while DNS-01 runs.

    cert-manager answers a challenge for ``*.<ns>.<domain>`` or ``<name>`` with a
    TXT record at ``_acme-challenge.<ns>.<domain>`` or ``_acme-challenge.<name>``.
    While it exists, ``<ns>.<domain>`` (or ``<name>``) is an empty non-terminal,
    which a wildcard never matches again (RFC 4592 section 2.2.2): ``*.<domain>``
    stops answering every host of that namespace (cert-manager/cert-manager#806).
    A record at the name itself, ``*.<ns>.<domain>`` or ``<name>``, keeps answering.
    """
    base = f"*.{domain}"
    return tuple(sorted({s.name for s in served if s.name != base and within(s.name, domain)}))
