"""The whole stack as one typed value: where the cluster is, the domain, and the services.

:func:`build_platform_spec` is the single entry from configuration to spec. It
takes the stack's ``knative-platform:*`` config values (already parsed from
YAML/JSON) plus the services declared in Python, decodes and validates all of
it, and either returns a :class:`PlatformSpec` or raises one
:class:`~components.spec.errors.SpecError` listing every problem, before the
Pulumi program registers anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cluster import ClusterType, GkeClusterSpec, gke_cluster_problems
from .decode import INVALID, Decoder, config_fields, config_key, describe
from .errors import Problem, did_you_mean, join_path, raise_if
from .names import domain_problem
from .service import MAX_TIMEOUT_SECONDS, Service, decode_service, service_problems

SECRET_KEYS = frozenset({"kubeconfig"})
"""Top-level keys that hold credentials: they must be set with ``pulumi config set --secret``."""


@dataclass(frozen=True, kw_only=True)
class ExistingCluster:
    """A cluster the platform does not create (the ``local`` stack: kind, minikube, Docker Desktop).

    ``context`` picks a kubeconfig context; ``kubeconfig`` is a *path* to a
    kubeconfig file. Inline kubeconfig content belongs in the secret config key
    ``knative-platform:kubeconfig`` instead, so it is encrypted in the stack file.
    """

    type: ClusterType = ClusterType.EXISTING
    context: str | None = None
    kubeconfig: str | None = None

    @property
    def identifier(self) -> str:
        """A stable name for the Kubernetes provider's ``cluster_identifier``."""
        return f"existing/{self.context or 'current-context'}"


ClusterSpec = ExistingCluster | GkeClusterSpec

_CLUSTER_TYPES: dict[str, type] = {ClusterType.EXISTING.value: ExistingCluster, ClusterType.GKE.value: GkeClusterSpec}


def decode_cluster(raw: Any, path: str, decoder: Decoder) -> Any:
    """``cluster`` is selected by its ``type`` key, so each kind keeps its own closed set of keys."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map with a type key, got {describe(raw)}")
    kind = raw.get("type", ClusterType.EXISTING.value)
    cls = _CLUSTER_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        hint = did_you_mean(str(kind), _CLUSTER_TYPES)
        return decoder.problem(join_path(path, "type"),
                               f"'{kind}' is not a cluster type{hint}; expected one of: {', '.join(_CLUSTER_TYPES)}")
    return decoder.decode_dataclass(cls, raw, path)


def decode_services(raw: Any, path: str, decoder: Decoder) -> Any:
    """``services`` is a map from service name to its spec; the name is the key, as in ``kn service create``."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map from service name to its spec, got {describe(raw)}")
    services = [decode_service(str(name), spec, join_path(path, str(name)), decoder) for name, spec in raw.items()]
    return INVALID if any(s is INVALID for s in services) else tuple(services)


@dataclass(frozen=True, kw_only=True)
class PlatformSpec:
    """Everything one stack deploys, validated. Built by :func:`build_platform_spec`."""

    stack: str = field(metadata={"from_config": False})
    cluster: ClusterSpec = field(default_factory=ExistingCluster, metadata={"decode": decode_cluster})
    domain: str | None = None
    services: tuple[Service, ...] = field(default=(), metadata={"decode": decode_services})

    def service(self, name: str) -> Service:
        """The service called ``name``."""
        return next(s for s in self.services if s.name == name)


def platform_problems(spec: PlatformSpec) -> list[Problem]:
    """Cross-field rules of a decoded spec (each service's own rules included)."""
    problems: list[Problem] = []
    if spec.domain is not None:
        problem = domain_problem(spec.domain)
        if problem:
            problems.append(Problem("domain", problem))
    if isinstance(spec.cluster, GkeClusterSpec):
        problems += gke_cluster_problems(spec.cluster, "cluster", spec.domain)
    for service in spec.services:
        problems += service_problems(service, join_path("services", service.name), MAX_TIMEOUT_SECONDS)
    return problems


def build_platform_spec(
    stack: str,
    config: Mapping[str, Any],
    python_services: Iterable[Service] = (),
    secret_keys: Sequence[str] = (),
) -> PlatformSpec:
    """Decode and validate one stack's configuration plus its Python-declared services.

    ``config`` maps the un-namespaced keys of ``knative-platform:*`` to their
    parsed values; ``secret_keys`` names the keys that were set as secrets (their
    values are read by the Pulumi shell, never here). Raises SpecError listing
    every problem.
    """
    decoder = Decoder()
    known = {config_key(f) for f in config_fields(PlatformSpec)}
    cluster = config.get("cluster")
    creates_gke = isinstance(cluster, Mapping) and cluster.get("type") == ClusterType.GKE.value
    for key in config:
        if key == "kubeconfig" and creates_gke:
            decoder.problem(key, "a gke cluster writes its own kubeconfig (a stack output); remove this key")
        elif key in SECRET_KEYS:
            if key not in secret_keys:
                decoder.problem(key, f"holds credentials; set it with `pulumi config set --secret {key} ...`")
        elif key in secret_keys:
            decoder.problem(key, "holds a secret value, but this key is stored in plain text in the objects it "
                                 "renders; keep secrets in Kubernetes Secrets and reference them (secretEnv)")
        elif key not in known:
            decoder.problem(key, f"unknown key{did_you_mean(key, known | SECRET_KEYS)}; "
                                 f"expected one of: {', '.join(sorted(known | SECRET_KEYS))}")
    plain = {k: v for k, v in config.items() if k in known and k not in secret_keys}
    spec = decoder.decode_dataclass(PlatformSpec, plain, "", stack=stack)
    if spec is INVALID:
        decoder.finish()
    spec = _with_python_services(spec, tuple(python_services), decoder)
    decoder.finish()
    raise_if(platform_problems(spec))
    return spec


def _with_python_services(spec: PlatformSpec, declared: tuple[Service, ...], decoder: Decoder) -> PlatformSpec:
    """Merge services declared in Python with those from stack config; one name, one declaration."""
    from_config = {s.name for s in spec.services}
    seen: set[str] = set()
    for service in declared:
        if not isinstance(service, Service):
            decoder.problem("services", f"a Python declaration is {describe(service)}, not a Service")
            continue
        path = join_path("services", service.name)
        if service.name in from_config:
            decoder.problem(path, "is declared twice: in stack config and in Python (stacks/); keep one")
        elif service.name in seen:
            decoder.problem(path, "is declared twice in Python (stacks/); service names must be unique")
        seen.add(service.name)
    if decoder.problems:
        return spec
    merged = tuple(sorted((*spec.services, *declared), key=lambda s: s.name))
    return PlatformSpec(stack=spec.stack, cluster=spec.cluster, domain=spec.domain, services=merged)
