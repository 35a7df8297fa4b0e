"""The namespaces app stacks deploy into, declared by the platform: ``knative-platform:appNamespaces``, typed.

App teams deploy from projects of their own (:class:`knative_platform.reference.PlatformReference`),
but the gateway that answers for their hosts is the platform's. When the platform
terminates TLS itself (kgateway), a namespace gets HTTPS only through a listener
and a certificate the platform stack creates, so the platform must know the
namespace before any app is deployed there::

    knative-platform:appNamespaces:
      team-app: {}                        # *.team-app.<domain>: every service and tag host
      shop:
        domains: [shop.example.com]       # a custom domain app stacks may map in shop

The map is keyed by namespace; each entry may list the custom domains app stacks
may map to services of that namespace (``DomainMapping``). The platform exports
exactly what it serves (the ``httpsHosts`` output), and ``PlatformReference``
refuses an app whose public hosts are not in it, before anything is registered.
Cluster-local services need nothing. With Kourier, Knative issues certificates
for any namespace itself, and a platform without TLS serves plain HTTP to every
namespace: there the declaration only adds the namespace to the DNS records and
(Kourier with DNS-01) to Knative's namespace wildcard certificates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.decode import INVALID, Decoder, describe
from ..core.errors import Problem, join_path
from ..core.names import dns1123_label_problem, domain_problem
from ..service.service import Service, Visibility
from .collisions import namespace_problem
from .hosts import host, parent

CONFIG_KEY = "appNamespaces"


@dataclass(frozen=True, kw_only=True)
class AppNamespace:
    """A namespace app stacks deploy public services into, served by the platform's gateway."""

    name: str = field(metadata={"from_config": False})
    domains: tuple[str, ...] = ()
    """Custom domains app stacks may map to services in this namespace; each gets a certificate of its own."""


def decode_app_namespaces(raw: Any, path: str, decoder: Decoder) -> Any:
    """``appNamespaces`` is a map from namespace to its settings (``{}`` or ``null`` for none)."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map from namespace to its settings, got {describe(raw)}")
    out = []
    for name, settings in raw.items():
        where = join_path(path, str(name))
        if not isinstance(name, str):
            decoder.problem(path, f"namespaces are strings, got {describe(name)}; quote it")
            continue
        item = decoder.decode_dataclass(AppNamespace, {} if settings is None else settings, where, name=name)
        if item is not INVALID:
            out.append(item)
    return tuple(sorted(out, key=lambda n: n.name))


def app_namespace_problems(namespaces: Sequence[AppNamespace], services: Iterable[Service],
                           path: str = CONFIG_KEY) -> list[Problem]:
    """Each namespace a name Kubernetes accepts and an app may use; each domain valid and claimed once."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for service in sorted(services, key=lambda s: s.name):
        for i, domain in enumerate(service.domains):
            claimed.setdefault(domain, join_path(join_path(join_path("services", service.name), "domains"), i))
    for ns in namespaces:
        where = join_path(path, ns.name)
        problem = dns1123_label_problem(ns.name, "namespace") or namespace_problem(ns.name)
        if problem:
            problems.append(Problem(where, problem.replace("deploy the service in", "use")))
        for i, domain in enumerate(ns.domains):
            at = join_path(join_path(where, "domains"), i)
            problem = domain_problem(domain)
            first = claimed.setdefault(domain, at)
            if problem:
                problems.append(Problem(at, problem))
            elif first != at:
                problems.append(Problem(at, f"'{domain}' is also claimed at {first}; a domain is served for one "
                                            "namespace: remove it from one of them"))
    return problems


def wildcard_problems(namespaces: Sequence[AppNamespace], domain: str, domain_template: str,
                      path: str = CONFIG_KEY) -> list[Problem]:
    """A declared namespace is served by one wildcard, so its hosts must differ only in their first label.

    A certificate wildcard spans exactly one label (RFC 6125): with a
    ``domainTemplate`` that puts ``{{.Name}}`` anywhere else (``{{.Namespace}}.{{.Name}}.{{.Domain}}``),
    each service would need a certificate of its own, which the platform cannot
    create for services it does not know.
    """
    if not namespaces:
        return []
    ns = namespaces[0].name
    if parent(host("a", ns, domain, domain_template)) == parent(host("b", ns, domain, domain_template)):
        return []
    return [Problem(path, f"needs a knative.network.domainTemplate whose first label holds {{{{.Name}}}} (like "
                          f"{{{{.Name}}}}.{{{{.Namespace}}}}.{{{{.Domain}}}}), not '{domain_template}': the platform "
                          "serves a declared namespace with one wildcard certificate, which covers one label")]


def public_app_namespaces(namespaces: Sequence[AppNamespace], services: Iterable[Service]) -> tuple[str, ...]:
    """The namespaces whose hosts the platform serves: its own public services' and the declared ones."""
    own = {s.namespace for s in services if s.visibility is Visibility.PUBLIC}
    return tuple(sorted(own | {ns.name for ns in namespaces}))
