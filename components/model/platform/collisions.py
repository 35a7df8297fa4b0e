"""Two declarations for one name: refused with both config paths, before anything is registered.

Each service passes its own rules, yet two of them can still claim the same
thing: a custom domain (a cluster-scoped ``ClusterDomainClaim``, so the second
``DomainMapping`` never becomes ready), or a namespace the platform itself
installs into (``knative-serving``, ``kgateway-system`` ...), where the app's
objects would sit beside, and be deleted with, the platform's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.errors import Problem, join_path
from ..service.service import Service

PLATFORM_NAMESPACES: dict[str, str] = {
    "knative-serving": "Knative Serving's control plane (KnativeServing)",
    "kgateway-system": "kgateway and net-gateway-api (ingress kgateway)",
    "kourier-system": "Kourier's gateway (ingress kourier)",
    "cert-manager": "cert-manager (tls)",
    "gmp-system": "GKE's managed Prometheus",
    "gmp-public": "GKE's managed Prometheus",
}
"""Namespaces the platform (or the GKE features it turns on) installs into, and what lives there."""
RESERVED_PREFIXES: dict[str, str] = {
    "kube-": "Kubernetes reserves the kube- prefix for its system namespaces",
    "gke-": "GKE reserves the gke- prefix for its managed components",
}


def namespace_problem(namespace: str) -> str | None:
    """Why an app may not be deployed into ``namespace``, or None."""
    owner = PLATFORM_NAMESPACES.get(namespace)
    if owner:
        return (f"'{namespace}' is a platform namespace, home of {owner}; an app there would be deleted and "
                "upgraded with it: deploy the service in a namespace of its own")
    for prefix, why in RESERVED_PREFIXES.items():
        if namespace.startswith(prefix):
            return f"'{namespace}': {why}; deploy the service in a namespace of its own"
    return None


def collision_problems(services: Iterable[Service]) -> list[Problem]:
    """Custom domains claimed twice, and services in platform namespaces; each problem names both paths."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for service in sorted(services, key=lambda s: s.name):
        path = join_path("services", service.name)
        if isinstance(service.namespace, str):
            problem = namespace_problem(service.namespace)
            if problem:
                problems.append(Problem(join_path(path, "namespace"), problem))
        for i, domain in enumerate(service.domains if isinstance(service.domains, (tuple, list)) else ()):
            where = join_path(join_path(path, "domains"), i)
            first = claimed.setdefault(domain, where) if isinstance(domain, str) else where
            if first != where and not first.startswith(path + "."):
                problems.append(Problem(where, f"'{domain}' is also claimed at {first}; a domain maps to one "
                                               "service: remove it from one of them"))
    return problems
