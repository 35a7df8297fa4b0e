"""The whole stack as one typed value: where the cluster is, the domain, and the services.

:func:`build_platform_spec` is the single entry from configuration to spec. It
takes the stack's ``knative-platform:*`` config values (already parsed from
YAML/JSON) plus the services declared in Python, decodes and validates all of
it, and either returns a :class:`PlatformSpec` or raises one
:class:`~knative_platform.model.core.errors.SpecError` listing every problem, before the
Pulumi program registers anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..cluster.binauthz import image_policy_problems
from ..cluster.cluster import ClusterType, GkeClusterSpec
from ..cluster.cluster_rules import gke_cluster_problems
from ..cluster.existing import ExistingCluster, existing_cluster_problems
from ..core.decode import INVALID, Decoder, config_fields, config_key, describe
from ..core.errors import Problem, did_you_mean, join_path, raise_if
from ..core.names import domain_problem
from ..eventing.eventing import EventingSpec
from ..eventing.eventing_checks import EventingCluster, eventing_problems, prove_events
from ..revisions.reset import RESET_KEY, reset_problems
from ..service.autoscaling import max_scale_limit_problems
from ..service.service import Service, decode_service, required_features, service_problems
from ..service.validated import DECODED, prove, proven
from ..source.registry import BuiltImage, RegistrySpec, decode_registry, images_problems, stack_registry_problems
from ..tls.tls import Challenge, ListenerLayout, TlsSpec, platform_terminates_tls, tls_problems
from ..tls.tls_rules import (
    certificate_limit_problems,
    dns01_zone_problems,
    kgateway_challenge_problems,
    knative_certificate_problems,
    listener_cap_problems,
    shared_listener_problems,
)
from .app_namespaces import AppNamespace, app_namespace_problems, decode_app_namespaces, wildcard_problems
from .collisions import collision_problems
from .hosts import ServedName, public_hosts, served_names
from .knative import (
    FEATURE_KEYS,
    FeatureFlag,
    FeatureSettings,
    Ingress,
    KnativeSettings,
    knative_problems,
    resolved_features,
)

SECRET_KEYS = frozenset({"kubeconfig"})
"""Top-level keys that hold credentials: they must be set with ``pulumi config set --secret``."""


ClusterSpec = ExistingCluster | GkeClusterSpec

CLUSTER_TYPES: dict[str, type] = {ClusterType.EXISTING.value: ExistingCluster, ClusterType.GKE.value: GkeClusterSpec}
"""The cluster kinds a stack file selects with ``cluster.type``, by that value."""


def decode_cluster(raw: Any, path: str, decoder: Decoder) -> Any:
    """``cluster`` is selected by its ``type`` key, so each kind keeps its own closed set of keys."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map with a type key, got {describe(raw)}")
    kind = raw.get("type", ClusterType.EXISTING.value)
    cls = CLUSTER_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None and not isinstance(kind, str):
        return decoder.problem(join_path(path, "type"), f"expected a string, one of: {', '.join(CLUSTER_TYPES)}; "
                                                        f"got {describe(kind)}")
    if cls is None:
        hint = did_you_mean(str(kind), CLUSTER_TYPES)
        return decoder.problem(join_path(path, "type"),
                               f"'{kind}' is not a cluster type{hint}; expected one of: {', '.join(CLUSTER_TYPES)}")
    return decoder.decode_dataclass(cls, raw, path)


def decode_ingress(raw: Any, path: str, decoder: Decoder) -> Any:
    """``ingress`` is an enum; ``gloo`` gets a pointer to its successor rather than a bare "not one of"."""
    if raw == "gloo":
        return decoder.problem(path, "'gloo' is spelled kgateway here: Gloo's open-source line continues as "
                                     "kgateway (CNCF), which fronts Knative through net-gateway-api")
    return decoder.decode_enum(Ingress, raw, path)


def decode_domain(raw: Any, path: str, decoder: Decoder) -> Any:
    """``domain`` is a string; empty means none, as the project file's typed ``config:`` declares it.

    A declared key without a default is required on every stack (pulumi/pulumi
    v3.259.0, ``pkg/workspace/config.go`` ``mergeConfig``), so ``Pulumi.yaml``
    declares ``domain`` with the default ``""`` and a stack that sets none gets it.
    """
    if raw == "":
        return None
    return decoder.decode(str | None, raw, path)


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
    domain: str | None = field(default=None, metadata={"decode": decode_domain})
    ingress: Ingress = field(default=Ingress.KGATEWAY, metadata={"decode": decode_ingress})
    knative: KnativeSettings = field(default_factory=KnativeSettings)
    tls: TlsSpec | None = None
    services: tuple[Service, ...] = field(default=(), metadata={"decode": decode_services})
    app_namespaces: tuple[AppNamespace, ...] = field(default=(), metadata={"decode": decode_app_namespaces})
    """Namespaces app stacks deploy public services into, by name: the platform serves their hosts (over HTTPS
    when it has TLS) and exports them as httpsHosts, which app stacks are checked against."""
    registry: RegistrySpec | None = field(default=None, metadata={"decode": decode_registry})
    """Where source services' images are pushed (``knative-platform build``)."""
    images: Mapping[str, BuiltImage] = field(default_factory=dict)
    """Written by ``knative-platform build``: per source service, the build it recorded. Never edit by hand."""
    eventing: EventingSpec = field(default_factory=EventingSpec)
    """Knative Eventing's brokers and sources (docs/eventing.md); services declare their own triggers and
    schedules. Eventing is installed only when the stack declares something that needs it (a broker, a source,
    a trigger or a schedule)."""
    reset_revision_history: tuple[str, ...] = ()
    """Services whose recorded revisions this update forgets (``*``: every one): the way past a record that
    cannot be read (:mod:`knative_platform.model.revisions.revision_record`); remove it after that update."""

    def service(self, name: str) -> Service:
        """The service called ``name``."""
        return next(s for s in self.services if s.name == name)


def platform_served_names(spec: PlatformSpec, services: Sequence[Service] | None = None) -> tuple[ServedName, ...]:
    """Every name the platform serves: its public services' hosts and each declared app namespace's."""
    network = spec.knative.network
    domain = spec.domain or ""
    hosts = public_hosts(spec.services if services is None else services, domain, network.domain_template,
                         network.tag_template)
    return served_names(hosts, {ns.name: ns.domains for ns in spec.app_namespaces}, domain, network.domain_template)


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
    if isinstance(spec.cluster, ExistingCluster):
        problems += existing_cluster_problems(spec.cluster, "cluster")
    problems += knative_problems(spec.knative)
    if isinstance(spec.cluster, GkeClusterSpec):
        problems += gke_cluster_problems(spec.cluster, "cluster", spec.domain)
    problems += reset_problems(spec.reset_revision_history, [s.name for s in spec.services], RESET_KEY)
    autoscaler = spec.knative.autoscaler
    max_timeout = spec.knative.defaults.max_revision_timeout_seconds
    sound: list[Service] = []
    for service in spec.services:
        path = join_path("services", service.name)
        own = service_problems(service, path, max_timeout, typed=proven(service, DECODED))
        problems += own
        if own:
            continue  # the rules below and the TLS rules assume a well-typed service
        sound.append(service)
        scaling = service.autoscaling
        if not autoscaler.scale_to_zero and scaling.min_scale == 0:
            problems.append(Problem(join_path(path, "autoscaling.minScale"),
                                    "is 0 but the platform disables scale to zero (knative.autoscaler.scaleToZero: "
                                    "false); set minScale to 1 or more"))
        if scaling.initial_scale == 0 and not autoscaler.allow_zero_initial_scale:
            problems.append(Problem(join_path(path, "autoscaling.initialScale"),
                                    "is 0, which Knative refuses unless knative.autoscaler.allowZeroInitialScale is "
                                    "true"))
        problems += max_scale_limit_problems(scaling.max_scale, autoscaler.max_scale_limit, autoscaler.max_scale,
                                             join_path(path, "autoscaling.maxScale"))
        problems += _feature_problems(spec.knative.features, service, path)
        account = service.service_account
        if account is not None and account.wants_google and not isinstance(spec.cluster, GkeClusterSpec):
            key = "googleServiceAccount" if account.google_service_account else "roles"
            problems.append(Problem(join_path(path, f"serviceAccount.{key}"),
                                    "a Google identity needs Workload Identity on a cluster the platform creates "
                                    "(cluster type gke); on this cluster, use a Kubernetes service account only"))
    problems += _shared_account_problems(sound)
    problems += collision_problems(sound)
    problems += app_namespace_problems(spec.app_namespaces, sound)
    building = [s.name for s in spec.services if s.source is not None]
    problems += stack_registry_problems(spec.registry, isinstance(spec.cluster, GkeClusterSpec), building)
    problems += images_problems(spec.images, building)
    if isinstance(spec.cluster, GkeClusterSpec):
        problems += image_policy_problems(spec.cluster, sound)
    if spec.tls is not None:
        problems += _tls_problems(spec, spec.tls, sound)
    problems += eventing_problems(spec.eventing, sound, EventingCluster.of(spec.cluster))
    return problems


def _tls_problems(spec: PlatformSpec, tls: TlsSpec, services: Sequence[Service]) -> list[Problem]:
    """The TLS settings against the cluster, the domain, the ingress and every public host."""
    problems = tls_problems(tls)
    solver = tls.cloud_dns
    if (tls.challenge is Challenge.DNS01 and solver is not None and solver.service_account is None
            and not isinstance(spec.cluster, GkeClusterSpec)):
        problems.append(Problem("tls.cloudDns.serviceAccount",
                                "is required on a cluster the platform does not create: name the Google service "
                                "account cert-manager acts as (only cluster type gke creates one)"))
    if spec.domain is None or address_in_domain(spec.domain) is not None:
        problems.append(Problem("tls", "needs a domain you control (Let's Encrypt cannot issue for sslip.io or "
                                       "nip.io names in practice): set domain"))
        return problems
    network = spec.knative.network
    hosts = public_hosts(services, spec.domain, network.domain_template, network.tag_template)
    problems += kgateway_challenge_problems(tls, spec.ingress)
    problems += dns01_zone_problems(tls, spec.domain, hosts, {ns.name: ns.domains for ns in spec.app_namespaces})
    served = platform_served_names(spec, services)
    if not platform_terminates_tls(spec.ingress, tls):
        problems += knative_certificate_problems(tls, served, hosts)
        if tls.listeners is ListenerLayout.SHARED:
            problems.append(Problem("tls.listeners", "shared is used only with ingress kgateway, where the "
                                                     "platform owns the HTTPS listeners; remove it"))
        return problems
    problems += listener_cap_problems(served, tls.listeners)
    problems += shared_listener_problems(served, tls.listeners, spec.domain)
    problems += certificate_limit_problems(tls, served)
    problems += wildcard_problems(spec.app_namespaces, spec.domain, network.domain_template)
    return problems


def _shared_account_problems(services: Sequence[Service]) -> list[Problem]:
    """Each service's Kubernetes service account is its own: two services naming one would both create it."""
    owners: dict[tuple[str, str], str] = {}
    problems = []
    for service in services:
        name = service.service_account_name
        if name is None:
            continue
        owner = owners.setdefault((service.namespace, name), service.name)
        if owner != service.name:
            problems.append(Problem(join_path("services", service.name) + ".serviceAccount.name",
                                    f"'{name}' is already services.{owner}'s service account in namespace "
                                    f"{service.namespace}; each service gets its own identity"))
    return problems


def _feature_problems(features: FeatureSettings, service: Service, path: str) -> list[Problem]:
    """A service needs a config-features flag the platform pinned to something other than enabled."""
    problems = []
    for key, where in required_features(service).items():
        flag = getattr(features, key)
        if flag is not None and flag is not FeatureFlag.ENABLED:
            problems.append(Problem(join_path(path, where),
                                    f"needs Knative's {FEATURE_KEYS[key]} feature, but knative.features."
                                    f"{config_key_of(key)} is {flag.value}; set it to enabled, or leave it out and "
                                    "the platform enables it for the services that need it"))
    return problems


def uses_eventing(spec: PlatformSpec) -> bool:
    """Whether the stack declares a broker, a source, or a service's trigger or schedule: then it installs Eventing."""
    return bool(spec.eventing.brokers or spec.eventing.sources
                or any(s.triggers or s.schedules for s in spec.services))


def config_key_of(field_name: str) -> str:
    """The stack-config key of a FeatureSettings field."""
    return next(config_key(f) for f in config_fields(FeatureSettings) if f.name == field_name)


def platform_features(spec: PlatformSpec) -> FeatureSettings:
    """The config-features the platform renders: its own settings, plus what its services need switched on."""
    needed = {key for service in spec.services for key in required_features(service)}
    return resolved_features(spec.knative.features, needed)


def platform_problems_once(spec: PlatformSpec) -> list[Problem]:
    """:func:`platform_problems`, or nothing for a spec already found valid (see :mod:`.validated`).

    A valid spec proves its services valid too, under its maximum revision timeout,
    so the ``KnativeApp`` of each does not check it again.
    """
    if proven(spec):
        return []
    problems = platform_problems(spec)
    if not problems:
        prove(spec)
        prove(spec.eventing)  # KnativeEventing does not check the brokers and sources again
        prove_events(spec.eventing, spec.services)  # nor KnativeApp its service's triggers and schedules
        for service in spec.services:
            prove(service, spec.knative.defaults.max_revision_timeout_seconds)
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
    if not decoder.problems and not decoder.substituted:  # each field decoded as declared: no type check needed
        for service in spec.services:
            prove(service, DECODED)
    spec = _with_python_services(spec, tuple(python_services), decoder)
    raise_if([*decoder.problems, *decoder.relevant(platform_problems_once(spec))])  # every problem in one round
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
