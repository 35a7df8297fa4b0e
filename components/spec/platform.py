"""The whole stack as one typed value: where the cluster is, the domain, and the services.

:func:`build_platform_spec` is the single entry from configuration to spec. It
takes the stack's ``knative-platform:*`` config values (already parsed from
YAML/JSON) plus the services declared in Python, decodes and validates all of
it, and either returns a :class:`PlatformSpec` or raises one
:class:`~components.spec.errors.SpecError` listing every problem, before the
Pulumi program registers anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .cluster import ClusterType, GkeClusterSpec, gke_cluster_problems
from .collisions import collision_problems
from .decode import INVALID, Decoder, config_fields, config_key, describe
from .errors import Problem, did_you_mean, join_path, raise_if
from .knative import Ingress, KnativeSettings, knative_problems
from .names import domain_problem
from .service import Service, Visibility, decode_service, service_problems
from .tls import Challenge, TlsSpec, tls_problems
from .traffic import compile_traffic

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
    ingress_address: str | None = None
    """A static external IP reserved outside this stack that the platform gateway's load balancer requests
    (for example a regional address reserved for an existing GKE cluster). Without it the load balancer
    gets whatever address the cloud assigns."""

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
    if cls is None and not isinstance(kind, str):
        return decoder.problem(join_path(path, "type"), f"expected a string, one of: {', '.join(_CLUSTER_TYPES)}; "
                                                        f"got {describe(kind)}")
    if cls is None:
        hint = did_you_mean(str(kind), _CLUSTER_TYPES)
        return decoder.problem(join_path(path, "type"),
                               f"'{kind}' is not a cluster type{hint}; expected one of: {', '.join(_CLUSTER_TYPES)}")
    return decoder.decode_dataclass(cls, raw, path)


def decode_ingress(raw: Any, path: str, decoder: Decoder) -> Any:
    """``ingress`` is an enum; ``gloo`` gets a pointer to its successor rather than a bare "not one of"."""
    if raw == "gloo":
        return decoder.problem(path, "'gloo' is spelled kgateway here: Gloo's open-source line continues as "
                                     "kgateway (CNCF), which fronts Knative through net-gateway-api")
    return decoder.decode_enum(Ingress, raw, path)


def decode_services(raw: Any, path: str, decoder: Decoder) -> Any:
    """``services`` is a map from service name to its spec; the name is the key, as in ``kn service create``."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map from service name to its spec, got {describe(raw)}")
    services = [decode_service(str(name), spec, join_path(path, str(name)), decoder) for name, spec in raw.items()]
    return tuple(s for s in services if s is not INVALID)  # the others are checked in the same round


@dataclass(frozen=True, kw_only=True)
class PlatformSpec:
    """Everything one stack deploys, validated. Built by :func:`build_platform_spec`."""

    stack: str = field(metadata={"from_config": False})
    cluster: ClusterSpec = field(default_factory=ExistingCluster, metadata={"decode": decode_cluster})
    domain: str | None = None
    ingress: Ingress = field(default=Ingress.KGATEWAY, metadata={"decode": decode_ingress})
    knative: KnativeSettings = field(default_factory=KnativeSettings)
    tls: TlsSpec | None = None
    services: tuple[Service, ...] = field(default=(), metadata={"decode": decode_services})

    def service(self, name: str) -> Service:
        """The service called ``name``."""
        return next(s for s in self.services if s.name == name)


GATEWAY_MAX_LISTENERS = 64
"""Gateway API caps ``spec.listeners`` at 64 (``maxItems`` in the Gateway CRD)."""
GATEWAY_OWN_LISTENERS = 1
"""The external Gateway's own plain-HTTP listener; net-gateway-api adds one HTTPS listener per TLS host."""
_ADDRESS_DOMAINS = (".sslip.io", ".nip.io")


def reserves_ingress_address(cluster: ClusterSpec) -> bool:
    """Whether the stack knows the gateway's external IP before it exists.

    An existing cluster does when ``ingressAddress`` is set; every other cluster
    type reserves a static address for the gateway (``ClusterConnection.ingress_address``).
    """
    return not isinstance(cluster, ExistingCluster) or cluster.ingress_address is not None


def address_in_domain(domain: str) -> str | None:
    """The IPv4 address an sslip.io/nip.io name resolves to (``127.0.0.1.sslip.io``, ``app-10-0-0-1.nip.io``)."""
    for suffix in _ADDRESS_DOMAINS:
        if not domain.endswith(suffix):
            continue
        prefix = domain[: -len(suffix)]
        dotted = ".".join(prefix.split(".")[-4:])
        dashed = ".".join(prefix.split(".")[-1].split("-")[-4:])
        for candidate in (dotted, dashed):
            try:
                return str(ipaddress.IPv4Address(candidate))
            except ValueError:
                continue
    return None


def tls_listener_hosts(spec: PlatformSpec) -> int:
    """How many HTTPS listeners net-gateway-api will add to the external Gateway when TLS is on.

    HTTP-01 certificates are per service: one listener per public host (the
    service, each traffic tag, each custom domain). DNS-01 certificates are
    wildcards per namespace (``*.<namespace>.<domain>``) plus one per custom domain.
    """
    public = [s for s in spec.services if s.visibility is Visibility.PUBLIC]
    domains = sum(len(s.domains) for s in public)
    if spec.tls is not None and spec.tls.challenge is Challenge.DNS01:
        return len({s.namespace for s in public}) + domains
    tags = sum(sum(1 for t in compile_traffic(s.traffic).targets if t.tag) for s in public)
    return len(public) + tags + domains


def platform_problems(spec: PlatformSpec) -> list[Problem]:
    """Cross-field rules of a decoded spec (each service's own rules included)."""
    problems: list[Problem] = []
    if spec.domain is not None:
        problem = domain_problem(spec.domain)
        if problem:
            problems.append(Problem("domain", problem))
    elif not reserves_ingress_address(spec.cluster):
        problems.append(Problem("domain", "is required when the cluster has no reserved ingress address: set domain, "
                                          "or cluster.ingressAddress to use <address>.sslip.io"))
    if isinstance(spec.cluster, ExistingCluster) and spec.cluster.ingress_address is not None:
        try:
            ipaddress.ip_address(spec.cluster.ingress_address)
        except ValueError:
            problems.append(Problem("cluster.ingressAddress",
                                    f"'{spec.cluster.ingress_address}' is not an IP address like 203.0.113.7"))
    problems += knative_problems(spec.knative)
    if spec.tls is not None:
        problems += tls_problems(spec.tls)
        solver = spec.tls.cloud_dns
        if (spec.tls.challenge is Challenge.DNS01 and solver is not None and solver.service_account is None
                and not isinstance(spec.cluster, GkeClusterSpec)):
            problems.append(Problem("tls.cloudDns.serviceAccount",
                                    "is required on a cluster the platform does not create: name the Google service "
                                    "account cert-manager acts as (only cluster type gke creates one)"))
        if spec.domain is None or address_in_domain(spec.domain) is not None:
            problems.append(Problem("tls", "needs a domain you control (Let's Encrypt cannot issue for sslip.io or "
                                           "nip.io names in practice): set domain"))
        elif spec.ingress is Ingress.KGATEWAY:
            hosts = tls_listener_hosts(spec)
            limit = GATEWAY_MAX_LISTENERS - GATEWAY_OWN_LISTENERS
            if hosts > limit:
                problems.append(Problem("tls.challenge",
                                        f"{spec.tls.challenge.value} needs {hosts} HTTPS listeners on the external "
                                        f"Gateway, more than the {limit} it can hold next to its HTTP listener; use "
                                        "challenge dns01 (wildcard certificates) or fewer tags and domains"))
    if isinstance(spec.cluster, GkeClusterSpec):
        problems += gke_cluster_problems(spec.cluster, "cluster", spec.domain)
    autoscaler = spec.knative.autoscaler
    max_timeout = spec.knative.defaults.max_revision_timeout_seconds
    for service in spec.services:
        path = join_path("services", service.name)
        problems += service_problems(service, path, max_timeout)
        scaling = service.autoscaling
        if not autoscaler.scale_to_zero and scaling.min_scale == 0:
            problems.append(Problem(join_path(path, "autoscaling.minScale"),
                                    "is 0 but the platform disables scale to zero (knative.autoscaler.scaleToZero: "
                                    "false); set minScale to 1 or more"))
        if scaling.initial_scale == 0 and not autoscaler.allow_zero_initial_scale:
            problems.append(Problem(join_path(path, "autoscaling.initialScale"),
                                    "is 0, which Knative refuses unless knative.autoscaler.allowZeroInitialScale is "
                                    "true"))
        if autoscaler.max_scale_limit and not 0 < scaling.max_scale <= autoscaler.max_scale_limit:
            problems.append(Problem(join_path(path, "autoscaling.maxScale"),
                                    f"is {scaling.max_scale}, must be between 1 and the platform's "
                                    f"knative.autoscaler.maxScaleLimit ({autoscaler.max_scale_limit})"))
    problems += collision_problems(spec.services)
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
        elif key in secret_keys and key not in known:
            decoder.problem(key, f"unknown key{did_you_mean(key, known | SECRET_KEYS)} (set as a secret); "
                                 f"expected one of: {', '.join(sorted(known | SECRET_KEYS))}")
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
    raise_if([*decoder.problems, *decoder.relevant(platform_problems(spec))])  # every problem in one round
    return spec


def _with_python_services(spec: PlatformSpec, declared: tuple[Service, ...], decoder: Decoder) -> PlatformSpec:
    """Merge services declared in Python with those from stack config; one name, one declaration."""
    from_config = {s.name for s in spec.services}
    seen: set[str] = set()
    known = len(decoder.problems)
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
    if len(decoder.problems) > known:
        return spec
    merged = tuple(sorted((*spec.services, *declared), key=lambda s: s.name))
    return replace(spec, services=merged)
