"""The typed service model: what an app team writes once, per service, in Python or stack config.

A :class:`Service` says what runs (image, command, env, port, resources,
probes, volumes, sidecars and init containers from
:mod:`knative_platform.model.service.containers`), how it scales (:class:`Autoscaling`, from
:mod:`knative_platform.model.service.autoscaling`), who it runs as (:class:`ServiceAccount`,
from :mod:`knative_platform.model.service.identity`), who can reach it (visibility, domains)
and where its requests go (a traffic policy from :mod:`knative_platform.model.service.traffic`).
It holds no Kubernetes knowledge: :mod:`knative_platform.manifests.knative` renders it.

:func:`service_problems` gives the verdict Knative 1.23's webhook would give
(knative/serving ``knative-v1.23.0``, each rule citing its function) before
anything reaches a cluster, with the config path of each mistake, for services
declared either way; where the project is stricter, the rule says so.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.decode import Decoder, camel
from ..core.errors import Problem, join_path, raise_if
from ..core.names import (
    CONFIG_KEY,
    dns1035_problem,
    dns1123_label_problem,
    dns1123_subdomain_problem,
    domain_problem,
    revision_full_name,
)
from ..core.units import parse_quantity, quantity_problem
from ..eventing.eventing import Schedule, Trigger
from ..source.resolve import AUTO_HEX, AUTO_PREFIX, AUTO_REVISION
from ..source.source import Source, source_problems
from .autoscaling import Autoscaling, Metric, autoscaling_problems
from .containers import (
    RESERVED_ENV,
    Container,
    EnvFrom,
    Probe,
    Probes,
    ProbeType,
    Volume,
    command_problems,
    containers_problems,
    env_from_problems,
    env_name_problem,
    has_probes,
    image_problem,
    mount_problems,
    probe_problems,
    volume_problems,
)
from .identity import ServiceAccount, service_account_problems
from .traffic import Latest, TrafficPolicy, decode_traffic
from .traffic_rules import traffic_problems

MAX_TIMEOUT_SECONDS = 600
"""Knative's default ``max-revision-timeout-seconds``; a platform may raise it in config-defaults."""
MAX_CONTAINER_CONCURRENCY = 1000
RESERVED_PORTS = frozenset({8008, 8012, 8013, 8022, 9090, 9091})
"""knative/serving knative-v1.23.0 pkg/apis/serving/k8s_validation.go ``reservedPorts``: queue-proxy's
ports (8012, 8013, 8022, 9090, 9091) and the profiling port 8008 (``runtime.ProfilingDefaultPort``)."""

__all__ = ["RESERVED_ENV", "Autoscaling", "Container", "EnvFrom", "Metric", "Probe", "ProbeType", "Probes",
           "ServiceAccount", "Source", "Volume"]


class Visibility(enum.StrEnum):
    """Who can reach a service: the internet through the external gateway, or only the cluster."""

    PUBLIC = "public"
    CLUSTER_LOCAL = "cluster-local"


class PortProtocol(enum.StrEnum):
    """The container port's protocol as Knative names it: HTTP/1.1, or cleartext HTTP/2 (gRPC)."""

    HTTP1 = "http1"
    H2C = "h2c"


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
class Service:
    """One Knative Service, declared once and deployed per environment.

    ``revision`` is the suffix of this template's revision name
    (``<name>-<revision>``). Knative requires a new name whenever the template
    changes, and pins, canaries, blue-green and rollbacks refer to revisions by
    these suffixes, so set it whenever traffic names revisions.

    What runs is exactly one of ``image`` (a prebuilt image) and ``source`` (a
    directory of the project that ``knative-platform build`` builds and pushes).
    """

    name: str = field(metadata={"from_config": False})
    image: str | None = None
    """A prebuilt image: ``registry/repository@sha256:<digest>`` (or a tag, which Knative resolves)."""
    source: Source | None = None
    """Build the image from a directory of this project instead (``knative-platform build``)."""
    namespace: str = "default"
    revision: str | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretKeyRef] = field(default_factory=dict)
    env_from: tuple[EnvFrom, ...] = ()
    port: int = 8080
    protocol: PortProtocol = PortProtocol.HTTP1
    resources: Resources = field(default_factory=Resources)
    probes: Probes = field(default_factory=Probes)
    volumes: Mapping[str, Volume] = field(default_factory=dict)
    volume_mounts: Mapping[str, str] = field(default_factory=dict)
    """The serving container's mounts: volume name -> mount path."""
    sidecars: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    autoscaling: Autoscaling = field(default_factory=Autoscaling)
    concurrency: int = 0
    timeout_seconds: int | None = None
    response_start_timeout_seconds: int | None = None
    idle_timeout_seconds: int | None = None
    visibility: Visibility = Visibility.PUBLIC
    domains: tuple[str, ...] = ()
    traffic: TrafficPolicy = field(default_factory=Latest, metadata={"decode": decode_traffic})
    image_pull_secrets: tuple[str, ...] = ()
    """Secrets (``kubernetes.io/dockerconfigjson``) for private registries outside Artifact Registry."""
    service_account: ServiceAccount | None = None
    """The service's own identity; None runs it as the namespace's ``default`` Kubernetes service account."""
    run_as_non_root: bool = True
    """Refuse to start a container whose image runs as root. Turning it off is a relaxation: say why."""
    triggers: Mapping[str, Trigger] = field(default_factory=dict)
    """Events this service receives from a broker, by name: the Trigger ``<name>-<key>`` (docs/eventing.md)."""
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    """Events this service receives on a cron schedule, by name: the PingSource ``<name>-<key>``."""

    @property
    def revision_name(self) -> str | None:
        """The full name of this template's revision, or None when Knative names it."""
        return revision_full_name(self.name, self.revision) if self.revision else None

    @property
    def service_account_name(self) -> str | None:
        """The Kubernetes service account the revision runs as, when the service has its own."""
        if self.service_account is None:
            return None
        return self.service_account.name or self.name


def decode_service(name: str, raw: Any, path: str, decoder: Decoder) -> Any:
    """Decode one entry of the ``services`` config map (its key is the service's name)."""
    return decoder.decode_dataclass(Service, raw, path, name=name)


# -- validation -----------------------------------------------------------------------------


def service_problems(service: Service, path: str, max_timeout_seconds: int = MAX_TIMEOUT_SECONDS,
                     typed: bool = False) -> list[Problem]:
    """Everything Knative's webhook (or our own secure defaults) would refuse in ``service``.

    Each rule cites its source in knative/serving at ``knative-v1.23.0``; the
    container-level rules live in :mod:`knative_platform.model.service.containers`.
    ``typed``: the decoder made ``service`` (it checked every field's type and
    bounds as it went), so the type check of a service built in Python is skipped.
    """
    if not typed:
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
    _revision_name_problems(service, add)
    image_or_source_problems(service, add)
    command_problems(service.command, service.args, "", add)
    _env_problems(service, add)
    env_from_problems(service.env_from, "envFrom", add)
    _port_problems(service.port, add)
    _resource_problems(service.resources, add)
    probe_problems(service.probes, "", add, serving=True)
    mounted = set(service.volume_mounts).union(*(c.volume_mounts for c in (*service.sidecars,
                                                                            *service.init_containers)))
    volume_problems(service.volumes, mounted, add)
    mount_problems(service.volume_mounts, service.volumes, "", add)
    containers_problems(service.sidecars, service.init_containers, service.volumes, add)
    autoscaling_problems(service.autoscaling, add)
    if not 0 <= service.concurrency <= MAX_CONTAINER_CONCURRENCY:
        add("concurrency", f"is {service.concurrency}, must be between 0 (unlimited) and {MAX_CONTAINER_CONCURRENCY}")
    _timeout_problems(service, max_timeout_seconds, add)
    _domain_problems(service, add)
    for i, secret in enumerate(service.image_pull_secrets):
        problem = dns1123_subdomain_problem(secret, "secret name")
        if problem:
            add(f"imagePullSecrets[{i}]", problem)
    if service.service_account is not None:
        service_account_problems(service.service_account, service.name, join_path(path, "serviceAccount"),
                                 problems)
    problems += traffic_problems(service.traffic, service.name, service.revision, join_path(path, "traffic"))
    return problems


def validate_service(service: Service, path: str | None = None) -> Service:
    """Return ``service`` unchanged, or raise SpecError listing everything Knative would refuse in it."""
    raise_if(service_problems(service, path or join_path("services", service.name)))
    return service


def required_features(service: Service) -> dict[str, str]:
    """The ``config-features`` flags ``service`` needs enabled, each with the key that needs it.

    knative/serving knative-v1.23.0 ``pkg/apis/serving/k8s_validation.go``: sidecars need
    ``multi-container`` (``validateContainers``), probes on a sidecar ``multi-container-probing``
    (``validateSidecarContainer``), init containers ``kubernetes.podspec-init-containers``
    (``validateInitContainers``) and emptyDir volumes ``kubernetes.podspec-emptydir`` (``validateVolume``).
    """
    needs: dict[str, str] = {}
    if service.sidecars:
        needs["multi_container"] = "sidecars"
    probed = [i for i, c in enumerate(service.sidecars) if has_probes(c.probes)]
    if probed:
        needs["multi_container_probing"] = f"sidecars[{probed[0]}].probes"
    if service.init_containers:
        needs["podspec_init_containers"] = "initContainers"
    empty = [name for name, v in service.volumes.items() if v.empty_dir is not None]
    if empty:
        needs["podspec_emptydir"] = f"volumes.{empty[0]}.emptyDir"
    return needs


def _revision_name_problems(service: Service, add: Any) -> None:
    """revision_validation.go ``validateRevisionName``: a DNS-1035 label prefixed by the service's name."""
    if service.revision is None:
        return
    if service.revision == AUTO_REVISION:  # named <service>-r<8 hex> once its template is known
        length = len(revision_full_name(service.name, AUTO_PREFIX + "0" * AUTO_HEX))
        if length > 63:
            add("revision", f"revision name '{service.name}-{AUTO_PREFIX}' + {AUTO_HEX} hex digits is {length} "
                            "characters, must be at most 63; use a shorter service name or an explicit revision")
        return
    revision_name = revision_full_name(service.name, service.revision)
    if len(revision_name) > 63:
        add("revision", f"revision name '{revision_name}' is {len(revision_name)} characters, must be at most 63; "
                        "use a shorter suffix or service name")
    else:
        problem = dns1035_problem(revision_name, "revision name")
        if problem:
            add("revision", problem)


def image_or_source_problems(service: Service, add: Any) -> None:
    """Exactly one of ``image`` and ``source``; each well formed (``knative-platform build`` checks this too)."""
    if service.image is not None and service.source is not None:
        add("", "sets both image and source; keep one: image runs a prebuilt image, source builds this project's "
                "directory (knative-platform build)")
    elif service.image is None and service.source is None:
        add("", "needs image (a prebuilt image, registry/repository@sha256:<digest>) or source (a directory of this "
                "project to build, source: {path: apps/<name>})")
    if service.image is not None:
        problem = image_problem(service.image)
        if problem:
            add("image", problem)
    if service.source is not None:
        source_problems(service.source, add)


def _port_problems(port: int, add: Any) -> None:
    """k8s_validation.go ``validateContainerPortBasic``: in range and not one of Knative's reserved ports."""
    if not 1 <= port <= 65535:
        add("port", f"is {port}, must be between 1 and 65535")
    elif port in RESERVED_PORTS:
        add("port", f"{port} is a reserved port: Knative's queue-proxy and profiling listen on "
                    f"{', '.join(map(str, sorted(RESERVED_PORTS)))}; choose another, for example 8080")


def _timeout_problems(service: Service, max_timeout_seconds: int, add: Any) -> None:
    """revision_validation.go ``validateTimeoutSeconds``: up to the platform's maximum.

    Knative does not bound ``responseStartTimeoutSeconds`` or ``idleTimeoutSeconds``
    in a revision; this project refuses negative values and values above the
    request timeout, the rule pkg/apis/config/defaults.go applies to the
    platform's own defaults (a longer one could never fire).
    """
    timeout = service.timeout_seconds
    # 0 is accepted as the webhook accepts it: validateTimeoutSeconds checks only a non-zero value.
    if timeout is not None and not 0 <= timeout <= max_timeout_seconds:
        add("timeoutSeconds", f"is {timeout}, must be between 0 (the platform's default) and {max_timeout_seconds} "
                              "(the platform's max-revision-timeout-seconds)")
    for key in ("response_start_timeout_seconds", "idle_timeout_seconds"):
        value = getattr(service, key)
        if value is None:
            continue
        if value < 0:
            add(camel(key), f"is {value}, must be >= 0 (0 turns the timer off)")
        elif timeout and value > timeout:
            add(camel(key), f"is {value}, must be <= timeoutSeconds ({timeout}), which ends the request first")


def _domain_problems(service: Service, add: Any) -> None:
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


def _env_problems(service: Service, add: Any) -> None:
    for key in service.env:
        env_name_problem(key, "env", add)
    for key, ref in service.secret_env.items():
        env_name_problem(key, "secretEnv", add)
        if key in service.env:
            add(f"secretEnv.{key}", "is also set in env; keep one")
        problem = dns1123_subdomain_problem(ref.secret, "secret name")
        if problem:
            add(f"secretEnv.{key}.secret", problem)
        if not CONFIG_KEY.match(ref.key):
            add(f"secretEnv.{key}.key", f"'{ref.key}' is not a valid Secret key (letters, digits, '-', '_', '.')")


_QUANTITY_KEYS = tuple((name, camel(name)) for name in ("cpu", "memory", "ephemeral_storage"))
"""The fields of :class:`Quantities` with their config keys."""


def _resource_problems(resources: Resources, add: Any) -> None:
    parsed: dict[tuple[str, str], Any] = {}
    for side in ("requests", "limits"):
        quantities: Quantities = getattr(resources, side)
        for key, ckey in _QUANTITY_KEYS:
            text = getattr(quantities, key)
            if text is None:
                continue
            value = parse_quantity(text)  # parsed once: a large stack has thousands of quantities (issue 23)
            if value is None:
                add(f"resources.{side}.{ckey}", quantity_problem(text))
            else:
                parsed[(side, ckey)] = value
    for _key, ckey in _QUANTITY_KEYS:
        request, limit = parsed.get(("requests", ckey)), parsed.get(("limits", ckey))
        if request is not None and limit is not None and request > limit:
            add(f"resources.requests.{ckey}", f"must be <= limits.{ckey}")
