"""Whether a platform serves an app stack's public hosts: its ``httpsHosts`` output against the app's services.

The platform stack exports exactly what it serves over HTTPS
(:func:`knative_platform.manifests.gateway_tls.https_hosts_output`):

``terminatedBy: gateway``
    kgateway: the platform's own listeners terminate TLS, and ``names`` maps
    each name they serve (``*.<ns>.<domain>`` or a custom domain) to the
    namespaces whose routes may answer for it. Nothing else is served: a route
    in a namespace no listener admits is rejected by kgateway
    (``NotAllowedByListeners``: kgateway ``pkg/kgateway/query/route.go``), its
    Knative Service never becomes Ready and ``pulumi up`` times out after minutes.
``terminatedBy: knative``
    Kourier: Knative asks cert-manager for a certificate per route or
    namespace itself, so any namespace works.
``dnsZones``
    DNS-01: a certificate can only be issued for a name in one of these zones.

:func:`app_host_problems` gives the problems of an app stack's services
against that, each naming the fix on the platform stack, so
:class:`knative_platform.reference.PlatformReference` refuses the app before it
registers anything. Cluster-local services have no public host and need nothing;
a platform without TLS (``https: false``) serves plain HTTP to every namespace.
No Pulumi import here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.errors import Problem, join_path
from ..platform.hosts import HostKind, PublicHost, covers, public_hosts, within
from ..service.service import Service


def _project(stack: str) -> str:
    """``organization/knative-platform/prod`` -> ``knative-platform``: the namespace of the stack's config keys."""
    parts = stack.split("/")
    return parts[1] if len(parts) == 3 else "knative-platform"


def _served(names: Mapping[str, Any], h: PublicHost) -> list[str]:
    """The namespaces the platform serves ``h``'s host for (empty: none)."""
    return [ns for name, namespaces in names.items() if isinstance(name, str) and covers(name, h.host)
            for ns in (namespaces if isinstance(namespaces, list) else []) if isinstance(ns, str)]


def _generated_problem(service: str, failing: Sequence[PublicHost], stack: str) -> Problem:
    main = [h for h in failing if h.kind is HostKind.SERVICE]
    tags = len(failing) - len(main)
    first = (main or failing)[0]
    more = (" (and its tag URLs)" if main else " (and its other tag URLs)") if tags > int(not main) else ""
    return Problem(join_path("services", service),
                   f"https://{first.host}{more} would not answer: the platform's gateway serves no HTTPS for "
                   f"namespace {first.namespace}; add {first.namespace} to {_project(stack)}:appNamespaces on "
                   f"stack {stack} and run `pulumi up` there")


def _domain_problem(h: PublicHost, served_for: Sequence[str], stack: str) -> Problem:
    path = join_path(join_path(join_path("services", h.service), "domains"), h.index)
    key = f"{_project(stack)}:appNamespaces.{h.namespace}.domains"
    if served_for:
        return Problem(path, f"https://{h.host} would not answer: the platform's gateway serves it for namespace "
                             f"{', '.join(sorted(set(served_for)))}, not {h.namespace}; map it from there, or ask "
                             f"the platform team to move it to {key} on stack {stack} and run `pulumi up` there")
    return Problem(path, f"https://{h.host} would not answer: the platform's gateway serves no HTTPS for it; add "
                         f"it to {key} on stack {stack} and run `pulumi up` there")


def app_host_problems(stack: str, services: Sequence[Service], domain: str, domain_template: str,
                      tag_template: str, https: bool, https_hosts: Any) -> list[Problem]:
    """Every public host of ``services`` the platform stack ``stack`` cannot serve, each with the fix."""
    hosts = public_hosts(services, domain, domain_template, tag_template)
    if not https or not hosts:
        return []
    if not isinstance(https_hosts, Mapping):
        return [Problem(f"{stack} outputs.httpsHosts", f"stack {stack} serves HTTPS but does not say for which "
                                                       "hosts; run `pulumi up` on it with this version of "
                                                       "knative-platform, then retry")]
    problems: list[Problem] = []
    if https_hosts.get("terminatedBy") == "gateway":
        names: Mapping[str, Any] = https_hosts["names"] if isinstance(https_hosts.get("names"), Mapping) else {}
        failing: dict[str, list[PublicHost]] = {}
        for h in hosts:
            served_for = _served(names, h)
            if h.kind is HostKind.DOMAIN and h.namespace not in served_for:
                problems.append(_domain_problem(h, served_for, stack))
            elif h.kind is not HostKind.DOMAIN and h.namespace not in served_for:
                failing.setdefault(h.service, []).append(h)
        problems += [_generated_problem(service, found, stack) for service, found in failing.items()]
    zones = https_hosts.get("dnsZones")  # on the gateway, each name it serves was checked by the platform
    if https_hosts.get("terminatedBy") != "gateway" and isinstance(zones, list) and zones:
        problems += [Problem(join_path(join_path(join_path("services", h.service), "domains"), h.index),
                             f"https://{h.host} would get no certificate: it is in none of the DNS zones the "
                             f"platform's cert-manager answers DNS-01 challenges in ({', '.join(map(str, zones))}); "
                             f"ask the platform team to add its zone to tls.cloudDns.dnsZones on stack {stack}")
                     for h in hosts if h.kind is HostKind.DOMAIN and not any(within(h.host, str(z)) for z in zones)]
    return sorted(problems)
