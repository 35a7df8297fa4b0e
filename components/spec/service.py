"""The typed service model: what an app team writes once, per service, in Python or stack config.

A :class:`Service` says what runs (image, env, port, resources, probes), how it
scales (:class:`Autoscaling`), who can reach it (visibility, domains) and where
its requests go (a traffic policy from :mod:`components.spec.traffic`). It holds
no Kubernetes knowledge: :mod:`components.manifests.knative` renders it.

:func:`service_problems` enforces Knative's webhook rules (DESIGN.md §2
"Services") before anything reaches a cluster, with the config path of each
mistake, for services declared either way.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .decode import Decoder, camel
from .errors import Problem, join_path, raise_if
from .names import (
    CONFIG_KEY,
    ENV_VAR_NAME,
    dns1035_problem,
    dns1123_label_problem,
    dns1123_subdomain_problem,
    domain_problem,
    revision_full_name,
)
from .traffic import Latest, TrafficPolicy, decode_traffic, traffic_problems
from .units import parse_duration, parse_quantity

MAX_TIMEOUT_SECONDS = 600
"""Knative's default ``max-revision-timeout-seconds``; a platform may raise it in config-defaults."""
MAX_CONTAINER_CONCURRENCY = 1000
RESERVED_PORTS = frozenset({8012, 8013, 8022, 9090, 9091})
"""Ports the queue-proxy sidecar listens on; Knative refuses them for the user container."""
RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"})
"""Variables Knative sets itself; the webhook refuses them in a revision template."""
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)


class Visibility(enum.StrEnum):
    """Who can reach a service: the internet through the external gateway, or only the cluster."""

    PUBLIC = "public"
    CLUSTER_LOCAL = "cluster-local"


class Metric(enum.StrEnum):
    """What the autoscaler tracks. ``cpu`` and ``memory`` use the HPA class, which cannot scale to zero."""

    CONCURRENCY = "concurrency"
    RPS = "rps"
    CPU = "cpu"
    MEMORY = "memory"


class PortProtocol(enum.StrEnum):
    """The container port's protocol as Knative names it: HTTP/1.1, or cleartext HTTP/2 (gRPC)."""

    HTTP1 = "http1"
    H2C = "h2c"


class ProbeType(enum.StrEnum):
    """How a probe checks the container."""

    HTTP = "http"
    TCP = "tcp"
    GRPC = "grpc"


@dataclass(frozen=True, kw_only=True)
class SecretKeyRef:
    """An environment variable taken from one key of a Kubernetes Secret in the service's namespace."""

    secret: str
    key: str


@dataclass(frozen=True, kw_only=True)
class Quantities:
    """Kubernetes quantities (``250m``, ``512Mi``); None leaves the platform default in place."""

    cpu: str | None = None
    memory: str | None = None
    ephemeral_storage: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resources:
    """Container requests and limits."""

    requests: Quantities = field(default_factory=Quantities)
    limits: Quantities = field(default_factory=Quantities)


@dataclass(frozen=True, kw_only=True)
class Probe:
    """A readiness, liveness or startup probe on the container's own port (Knative forbids other ports)."""

    type: ProbeType = ProbeType.HTTP
    path: str = "/"
    initial_delay_seconds: int | None = None
    period_seconds: int | None = None
    timeout_seconds: int | None = None
    failure_threshold: int | None = None


@dataclass(frozen=True, kw_only=True)
class Probes:
    """The container's probes; Knative probes readiness aggressively on its own when none is given."""

    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """Knative autoscaling for one service; rendered as ``autoscaling.knative.dev/*`` template annotations.

    ``min_scale=0`` (the default) lets the service scale to zero; ``max_scale=0``
    means no upper bound. Durations are strings such as ``60s`` or ``1m30s``.
    """

    min_scale: int = 0
    max_scale: int = 0
    initial_scale: int | None = None
    target: float | None = None
    target_utilization_percentage: int | None = None
    metric: Metric = Metric.CONCURRENCY
    window: str | None = None
    scale_down_delay: str | None = None
    activation_scale: int | None = None


@dataclass(frozen=True, kw_only=True)
class Service:
    """One Knative Service, declared once and deployed per environment.

    ``revision`` is the suffix of this template's revision name
    (``<name>-<revision>``). Knative requires a new name whenever the template
    changes, and pins, canaries, blue-green and rollbacks refer to revisions by
    these suffixes, so set it whenever traffic names revisions.
    """

    name: str = field(metadata={"from_config": False})
    image: str
    namespace: str = "default"
    revision: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretKeyRef] = field(default_factory=dict)
    port: int = 8080
    protocol: PortProtocol = PortProtocol.HTTP1
    resources: Resources = field(default_factory=Resources)
    probes: Probes = field(default_factory=Probes)
    autoscaling: Autoscaling = field(default_factory=Autoscaling)
    concurrency: int = 0
    timeout_seconds: int | None = None
    visibility: Visibility = Visibility.PUBLIC
    domains: tuple[str, ...] = ()
    traffic: TrafficPolicy = field(default_factory=Latest, metadata={"decode": decode_traffic})
    run_as_non_root: bool = True
    """Refuse to start a container whose image runs as root. Turning it off is a relaxation: say why."""

    @property
    def revision_name(self) -> str | None:
        """The full name of this template's revision, or None when Knative names it."""
        return revision_full_name(self.name, self.revision) if self.revision else None


def decode_service(name: str, raw: Any, path: str, decoder: Decoder) -> Any:
    """Decode one entry of the ``services`` config map (its key is the service's name)."""
    return decoder.decode_dataclass(Service, raw, path, name=name)


# -- validation -----------------------------------------------------------------------------


def service_problems(service: Service, path: str, max_timeout_seconds: int = MAX_TIMEOUT_SECONDS) -> list[Problem]:
    """Everything Knative's webhook (or our own secure defaults) would refuse in ``service``."""
    checker = Decoder()
    checker.typecheck(service, Service, path)
    if checker.problems:  # semantic checks assume the types are right
        return checker.problems
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(join_path(path, key) if key else path, message))

    name_problem = dns1035_problem(service.name, "service name")
    if name_problem:
        add("", name_problem)
    ns_problem = dns1123_label_problem(service.namespace, "namespace")
    if ns_problem:
        add("namespace", ns_problem)
    if service.revision is not None:
        revision_name = revision_full_name(service.name, service.revision)
        if len(revision_name) > 63:
            add("revision", f"revision name '{revision_name}' is {len(revision_name)} characters, must be at most 63; "
                            "use a shorter suffix or service name")
        else:
            problem = dns1035_problem(revision_name, "revision name")
            if problem:
                add("revision", problem)
    if not _IMAGE.match(service.image):
        add("image", f"'{service.image}' is not an image reference like registry/repository:tag or @sha256:<digest>")
    _env_problems(service, add)
    if not 1 <= service.port <= 65535:
        add("port", f"is {service.port}, must be between 1 and 65535")
    elif service.port in RESERVED_PORTS:
        add("port", f"{service.port} is reserved by Knative's queue-proxy "
                    f"({', '.join(map(str, sorted(RESERVED_PORTS)))}); choose another, for example 8080")
    _resource_problems(service.resources, add)
    _probe_problems(service.probes, add)
    _autoscaling_problems(service.autoscaling, add)
    if not 0 <= service.concurrency <= MAX_CONTAINER_CONCURRENCY:
        add("concurrency", f"is {service.concurrency}, must be between 0 (unlimited) and {MAX_CONTAINER_CONCURRENCY}")
    if service.timeout_seconds is not None and not 1 <= service.timeout_seconds <= max_timeout_seconds:
        add("timeoutSeconds", f"is {service.timeout_seconds}, must be between 1 and {max_timeout_seconds} "
                              "(the platform's max-revision-timeout-seconds)")
    seen_domains: set[str] = set()
    for i, domain in enumerate(service.domains):
        problem = domain_problem(domain)
        if problem:
            add(f"domains[{i}]", problem)
        elif domain in seen_domains:
            add(f"domains[{i}]", f"'{domain}' is listed twice")
        seen_domains.add(domain)
    if service.domains and service.visibility is Visibility.CLUSTER_LOCAL:
        add("domains", "a cluster-local service cannot have public domains; remove them or set visibility: public")
    problems += traffic_problems(service.traffic, service.name, service.revision, join_path(path, "traffic"))
    return problems


def validate_service(service: Service, path: str | None = None) -> Service:
    """Return ``service`` unchanged, or raise SpecError listing everything Knative would refuse in it."""
    raise_if(service_problems(service, path or join_path("services", service.name)))
    return service


def _env_problems(service: Service, add: Any) -> None:
    for key, where in ((k, "env") for k in service.env):
        _env_name_problem(key, where, add)
    for key, ref in service.secret_env.items():
        _env_name_problem(key, "secretEnv", add)
        if key in service.env:
            add(f"secretEnv.{key}", "is also set in env; keep one")
        problem = dns1123_subdomain_problem(ref.secret, "secret name")
        if problem:
            add(f"secretEnv.{key}.secret", problem)
        if not CONFIG_KEY.match(ref.key):
            add(f"secretEnv.{key}.key", f"'{ref.key}' is not a valid Secret key (letters, digits, '-', '_', '.')")


def _env_name_problem(key: str, where: str, add: Any) -> None:
    if not ENV_VAR_NAME.match(key):
        add(f"{where}.{key}", "is not a valid environment variable name (letters, digits, '_', '-', '.', "
                              "not starting with a digit)")
    elif key in RESERVED_ENV:
        add(f"{where}.{key}", f"is set by Knative itself ({', '.join(sorted(RESERVED_ENV))}); choose another name")


def _resource_problems(resources: Resources, add: Any) -> None:
    parsed: dict[tuple[str, str], Any] = {}
    for side in ("requests", "limits"):
        quantities: Quantities = getattr(resources, side)
        for key in ("cpu", "memory", "ephemeral_storage"):
            text = getattr(quantities, key)
            if text is None:
                continue
            ckey = camel(key)
            value = parse_quantity(text)
            if value is None or value < 0:
                add(f"resources.{side}.{ckey}", f"'{text}' is not a Kubernetes quantity such as 250m, 1, 512Mi or 1Gi")
            else:
                parsed[(side, ckey)] = value
    for key in ("cpu", "memory", "ephemeralStorage"):
        request, limit = parsed.get(("requests", key)), parsed.get(("limits", key))
        if request is not None and limit is not None and request > limit:
            add(f"resources.requests.{key}", f"must be <= limits.{key}")


def _probe_problems(probes: Probes, add: Any) -> None:
    for kind in ("readiness", "liveness", "startup"):
        probe: Probe | None = getattr(probes, kind)
        if probe is None:
            continue
        if probe.type is ProbeType.HTTP and not probe.path.startswith("/"):
            add(f"probes.{kind}.path", f"'{probe.path}' must start with '/'")
        if probe.type is not ProbeType.HTTP and probe.path != "/":
            add(f"probes.{kind}.path", "only http probes have a path; remove it or set type: http")
        for key, low in (("initial_delay_seconds", 0), ("period_seconds", 1), ("timeout_seconds", 1),
                         ("failure_threshold", 1)):
            value = getattr(probe, key)
            if value is not None and value < low:
                add(f"probes.{kind}.{camel(key)}", f"is {value}, must be at least {low}")


def _autoscaling_problems(a: Autoscaling, add: Any) -> None:
    hpa = a.metric in (Metric.CPU, Metric.MEMORY)
    for key, value in (("minScale", a.min_scale), ("maxScale", a.max_scale), ("initialScale", a.initial_scale)):
        if value is not None and value < 0:
            add(f"autoscaling.{key}", f"is {value}, must be >= 0")
    if a.max_scale > 0 and a.min_scale > a.max_scale:
        add("autoscaling.minScale", f"must be <= maxScale ({a.max_scale})")
    if a.max_scale > 0 and a.initial_scale is not None and a.initial_scale > a.max_scale:
        add("autoscaling.initialScale", f"must be <= maxScale ({a.max_scale})")
    if a.target is not None and a.target < 0.01:
        add("autoscaling.target", f"is {a.target}, must be >= 0.01")
    if a.target_utilization_percentage is not None and not 1 <= a.target_utilization_percentage <= 100:
        add("autoscaling.targetUtilizationPercentage",
            f"is {a.target_utilization_percentage}, must be between 1 and 100")
    if a.activation_scale is not None and a.activation_scale < 2:
        add("autoscaling.activationScale", f"is {a.activation_scale}, must be >= 2 (1 is the default behaviour)")
    if a.window is not None:
        seconds = parse_duration(a.window)
        if seconds is None:
            add("autoscaling.window", f"'{a.window}' is not a duration; write it like 60s or 1m30s")
        elif not 6 <= seconds <= 3600:
            add("autoscaling.window", f"is {a.window}, must be between 6s and 1h")
    if a.scale_down_delay is not None:
        seconds = parse_duration(a.scale_down_delay)
        if seconds is None:
            add("autoscaling.scaleDownDelay", f"'{a.scale_down_delay}' is not a duration; write it like 0s or 15m")
        elif seconds > 3600:
            add("autoscaling.scaleDownDelay", f"is {a.scale_down_delay}, must be at most 1h")
    if hpa:
        if a.min_scale < 1:
            add("autoscaling.minScale", f"metric {a.metric.value} uses the HPA autoscaler, which cannot scale to zero; "
                                        "set minScale to 1 or more, or use metric concurrency or rps")
        for key, value in (("window", a.window), ("scaleDownDelay", a.scale_down_delay),
                           ("activationScale", a.activation_scale)):
            if value is not None:
                add(f"autoscaling.{key}", "applies only to the concurrency and rps metrics (Knative's own autoscaler)")
