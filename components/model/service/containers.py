"""What runs in a revision besides the image: commands, probes, env sources, volumes and extra containers.

Each type here is one Kubernetes/Knative field, named as Kubernetes names it
(``command``, ``args``, ``envFrom``, ``volumes``/``volumeMounts``,
``initContainers``). Knative's webhook allows only part of the PodSpec, and
some of it only behind ``config-features`` flags; the rules below are its own,
read from knative/serving at ``knative-v1.23.0``:

* ``pkg/apis/serving/k8s_validation.go``: volumes, mounts, env sources, probes,
  containers and the single serving port;
* ``pkg/apis/serving/fieldmask.go``: which fields may be set at all;
* ``pkg/apis/config/features.go``: which flag each extension needs and its default.

:mod:`knative_platform.model.service.service` composes them into a
:class:`~knative_platform.model.service.service.Service`.
"""

from __future__ import annotations

import enum
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..core.decode import camel
from ..core.names import ENV_VAR_NAME, dns1123_label_problem, dns1123_subdomain_problem
from ..core.units import parse_quantity

Add = Callable[[str, str], None]

RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"})
"""Variables Knative sets itself; the webhook refuses them in the serving container (k8s_validation.go
``reservedEnvVars``)."""
RESERVED_SIDECAR_ENV = RESERVED_ENV - {"PORT"}
"""Sidecars and init containers may set ``PORT`` (k8s_validation.go ``reservedSidecarEnvVars``)."""
RESERVED_CONTAINER_NAMES = frozenset({"queue-proxy"})
"""k8s_validation.go ``reservedContainerNames``."""
RESERVED_MOUNT_PATHS = frozenset({"/", "/dev", "/dev/log"})
"""k8s_validation.go ``reservedPaths``: Knative refuses a volume mounted there."""
USER_CONTAINER_NAME = "user-container"
"""The name Knative gives the serving container (pkg/apis/config/defaults.go ``DefaultUserContainerName``);
rendered explicitly once a revision has sidecars, so sidecar names can be checked against it."""
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)


class ProbeType(enum.StrEnum):
    """How a probe checks the container (k8s_validation.go ``validateProbe``: exactly one handler)."""

    HTTP = "http"
    TCP = "tcp"
    GRPC = "grpc"
    EXEC = "exec"


class EmptyDirMedium(enum.StrEnum):
    """Where an ``emptyDir`` lives: node disk (Kubernetes' default) or memory.

    k8s_validation.go ``validateEmptyDirFields`` accepts only these two.
    """

    DISK = ""
    MEMORY = "Memory"


@dataclass(frozen=True, kw_only=True)
class Probe:
    """A readiness, liveness or startup probe.

    On the serving container, http, tcp and grpc probes always target the
    service's own port (Knative forwards them through queue-proxy), so ``port``
    stays unset there; on a sidecar it is required. ``exec`` runs ``command``
    inside the container.
    """

    type: ProbeType = ProbeType.HTTP
    path: str = "/"
    port: int | None = None
    command: tuple[str, ...] = ()
    initial_delay_seconds: int | None = None
    period_seconds: int | None = None
    timeout_seconds: int | None = None
    failure_threshold: int | None = None


@dataclass(frozen=True, kw_only=True)
class Probes:
    """A container's probes; Knative probes the serving container's readiness aggressively when none is given."""

    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None


@dataclass(frozen=True, kw_only=True)
class EnvFrom:
    """Every key of one Secret (``secretRef``) or ConfigMap (``configMapRef``) as variables, optionally prefixed."""

    secret_ref: str | None = None
    config_map_ref: str | None = None
    prefix: str | None = None


@dataclass(frozen=True, kw_only=True)
class EmptyDir:
    """A scratch volume, bounded by ``sizeLimit`` (this project requires the bound; see :func:`volume_problems`)."""

    size_limit: str | None = field(default=None, metadata={"required": True})
    """The most the volume may hold, a Kubernetes quantity such as ``1Gi``. Required: an unbounded emptyDir can fill
    the node (None only so that a missing bound is the one problem :func:`volume_problems` reports)."""
    medium: EmptyDirMedium = EmptyDirMedium.DISK


@dataclass(frozen=True, kw_only=True)
class Volume:
    """One volume of the revision: a Secret, a ConfigMap (both mounted read-only) or a size-limited emptyDir."""

    secret: str | None = None
    config_map: str | None = None
    empty_dir: EmptyDir | None = None

    @property
    def writable(self) -> bool:
        """Knative requires Secret and ConfigMap mounts to be read-only (``validateVolumeMounts``)."""
        return self.empty_dir is not None


@dataclass(frozen=True, kw_only=True)
class Container:
    """A sidecar or init container; it serves no port.

    In Knative exactly one container, the service's own, has the port
    (k8s_validation.go ``validateContainersPorts``).
    """

    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_from: tuple[EnvFrom, ...] = ()
    volume_mounts: Mapping[str, str] = field(default_factory=dict)
    """Volume name -> mount path."""
    probes: Probes = field(default_factory=Probes)
    """Sidecars only; needs ``multi-container-probing``, which the platform then enables."""


# -- validation (one function per upstream rule) --------------------------------------------


def image_problem(image: str) -> str | None:
    """k8s_validation.go ``validate``: the image must parse as a reference (go-containerregistry, weak validation)."""
    if not _IMAGE.match(image):
        return f"'{image}' is not an image reference like registry/repository:tag or @sha256:<digest>"
    return None


def env_name_problem(key: str, where: str, add: Add, reserved: frozenset[str] = RESERVED_ENV) -> None:
    """k8s_validation.go ``validateEnvVar``: a valid name, not one Knative reserves."""
    if not ENV_VAR_NAME.match(key):
        add(f"{where}.{key}", "is not a valid environment variable name (letters, digits, '_', '-', '.', "
                              "not starting with a digit)")
    elif key in reserved:
        add(f"{where}.{key}", f"is set by Knative itself ({', '.join(sorted(reserved))}); choose another name")


def env_from_problems(sources: tuple[EnvFrom, ...], where: str, add: Add) -> None:
    """k8s_validation.go ``validateEnvFrom``: exactly one of configMapRef and secretRef per entry."""
    for i, source in enumerate(sources):
        path = f"{where}[{i}]"
        refs = [(key, name) for key, name in (("secretRef", source.secret_ref),
                                              ("configMapRef", source.config_map_ref)) if name is not None]
        if len(refs) != 1:
            add(path, "set exactly one of secretRef and configMapRef")
        for key, name in refs:
            problem = dns1123_subdomain_problem(name, f"{key} name")
            if problem:
                add(f"{path}.{key}", problem)
        if source.prefix is not None and not ENV_VAR_NAME.match(source.prefix):
            add(f"{path}.prefix", f"'{source.prefix}' is not a valid environment variable prefix")


def command_problems(command: tuple[str, ...], args: tuple[str, ...], where: str, add: Add) -> None:
    """Kubernetes' ``command``/``args`` are lists of strings; an empty string is never what was meant."""
    for key, items in (("command", command), ("args", args)):
        for i, item in enumerate(items):
            if item == "":
                add(f"{where}{key}[{i}]", "is empty; remove it or write the argument")


def volume_problems(volumes: Mapping[str, Volume], mounted: set[str], add: Add) -> None:
    """k8s_validation.go ``ValidateVolumes``/``validateVolume``: DNS-1123 names, one source, every volume mounted.

    Stricter than Knative, by choice: an ``emptyDir`` must state ``sizeLimit``,
    because an unbounded one can fill the node's disk (or memory) and evict its
    neighbours. The Kubernetes default (no limit) is a relaxation nobody should
    make by omission.
    """
    for name, volume in volumes.items():
        path = f"volumes.{name}"
        problem = dns1123_label_problem(name, "volume name")
        if problem:
            add(path, problem)
        sources = [k for k, v in (("secret", volume.secret), ("configMap", volume.config_map),
                                  ("emptyDir", volume.empty_dir)) if v is not None]
        if len(sources) != 1:
            add(path, "set exactly one of secret, configMap and emptyDir"
                      + (f" (got {', '.join(sources)})" if sources else ""))
        for key, ref in (("secret", volume.secret), ("configMap", volume.config_map)):
            problem = dns1123_subdomain_problem(ref, f"{key} name") if ref is not None else None
            if problem:
                add(f"{path}.{key}", problem)
        problem = _size_limit_problem(volume.empty_dir.size_limit) if volume.empty_dir is not None else None
        if problem:
            add(f"{path}.emptyDir.sizeLimit", problem)
        if name not in mounted:
            add(path, f"volume '{name}' is not mounted; add it to volumeMounts (Knative refuses unmounted volumes)")


def _size_limit_problem(size_limit: str | None) -> str | None:
    """An emptyDir's bound: required (stricter than Knative, see :func:`volume_problems`) and a positive quantity."""
    if size_limit is None:
        return ("is required: an unbounded emptyDir can fill the node's disk (or memory) and evict its neighbours; "
                "set a bound such as 1Gi")
    limit = parse_quantity(size_limit)
    if limit is None or limit <= 0:
        return f"'{size_limit}' is not a positive Kubernetes quantity such as 64Mi or 1Gi"
    return None


def mount_problems(mounts: Mapping[str, str], volumes: Mapping[str, Volume], where: str, add: Add) -> None:
    """k8s_validation.go ``validateVolumeMounts``: a matching volume, an absolute, unreserved, unique path."""
    seen: dict[str, str] = {}
    for name, mount_path in mounts.items():
        path = f"{where}volumeMounts.{name}"
        clean = _clean(mount_path)
        if name not in volumes:
            add(path, f"no volume named '{name}'; declare it under volumes")
        if not mount_path.startswith("/"):
            add(path, f"'{mount_path}' must be an absolute path")
        elif clean in RESERVED_MOUNT_PATHS:
            add(path, f"mountPath '{clean}' is a reserved path ({', '.join(sorted(RESERVED_MOUNT_PATHS))})")
        elif clean in seen:
            add(path, f"'{mount_path}' is also where '{seen[clean]}' is mounted; mount paths must be unique")
        seen.setdefault(clean, name)


def _clean(path: str) -> str:
    """Go's ``path.Clean``, which Knative compares mount paths with (POSIX keeps a leading ``//``; Go does not)."""
    if not path:
        return ""
    clean = posixpath.normpath(path)
    return "/" + clean.lstrip("/") if clean.startswith("//") else clean


def probe_problems(probes: Probes, where: str, add: Add, *, serving: bool) -> None:
    """k8s_validation.go ``validateProbe`` and ``validateReadinessProbe``, for the serving container or a sidecar."""
    for kind in ("readiness", "liveness", "startup"):
        probe: Probe | None = getattr(probes, kind)
        if probe is None:
            continue
        path = f"{where}probes.{kind}"
        _probe_handler_problems(probe, path, add, serving=serving)
        for key, low in (("initial_delay_seconds", 0), ("period_seconds", 0 if kind == "readiness" else 1),
                         ("timeout_seconds", 1), ("failure_threshold", 1)):
            value = getattr(probe, key)
            if value is not None and value < low:
                add(f"{path}.{camel(key)}", f"is {value}, must be at least {low}")
        if kind == "readiness":
            readiness_period_problems(probe, path, add)


def _probe_handler_problems(probe: Probe, path: str, add: Add, *, serving: bool) -> None:
    """k8s_validation.go ``validateProbe``: the handler's own fields, and whose port it probes."""
    if probe.type is ProbeType.HTTP and not probe.path.startswith("/"):
        add(f"{path}.path", f"'{probe.path}' must start with '/'")
    if probe.type is not ProbeType.HTTP and probe.path != "/":
        add(f"{path}.path", "only http probes have a path; remove it or set type: http")
    if probe.type is ProbeType.EXEC:
        if not probe.command:
            add(f"{path}.command", "an exec probe needs a command, for example [/bin/healthcheck]")
        if probe.port is not None:
            add(f"{path}.port", "an exec probe has no port; remove it")
        return
    if probe.command:
        add(f"{path}.command", "only exec probes run a command; remove it or set type: exec")
    if serving and probe.port is not None:
        add(f"{path}.port", "probes of the serving container always use the service's port; remove it")
    elif not serving and probe.port is None:
        add(f"{path}.port", f"a {probe.type.value} probe on a sidecar needs the port it checks "
                            "(Knative: 'Probe port must be specified')")
    elif probe.port is not None and not 1 <= probe.port <= 65535:
        add(f"{path}.port", f"is {probe.port}, must be between 1 and 65535")


def readiness_period_problems(probe: Probe, path: str, add: Add) -> None:
    """k8s_validation.go ``validateReadinessProbe``: no thresholds without ``periodSeconds``.

    Without ``periodSeconds`` (or with 0) Knative probes aggressively on its own
    schedule, so ``failureThreshold`` and ``timeoutSeconds`` are disallowed.
    """
    if probe.period_seconds:
        return
    for key, value in (("failureThreshold", probe.failure_threshold), ("timeoutSeconds", probe.timeout_seconds)):
        if value:
            add(f"{path}.{key}", f"{key} is disallowed when periodSeconds is zero (Knative's aggressive readiness "
                                 "probe); set periodSeconds too, or remove it")


def container_problems(container: Container, where: str, volumes: Mapping[str, Volume], add: Add, *,
                       init: bool) -> None:
    """k8s_validation.go ``validateSidecarContainer``/``validateInitContainer`` and ``validate``."""
    problem = dns1123_label_problem(container.name, "container name")
    if problem:
        add(f"{where}name", problem)
    elif container.name in RESERVED_CONTAINER_NAMES | {USER_CONTAINER_NAME}:
        add(f"{where}name", f"'{container.name}' is reserved (Knative's queue-proxy and the serving "
                            f"{USER_CONTAINER_NAME}); choose another name")
    problem = image_problem(container.image)
    if problem:
        add(f"{where}image", problem)
    command_problems(container.command, container.args, where, add)
    for key in container.env:
        env_name_problem(key, f"{where}env", add, RESERVED_SIDECAR_ENV)
    env_from_problems(container.env_from, f"{where}envFrom", add)
    mount_problems(container.volume_mounts, volumes, where, add)
    if init:
        for kind in ("readiness", "liveness", "startup"):
            if getattr(container.probes, kind) is not None:
                add(f"{where}probes.{kind}", "field not allowed in an init container (Kubernetes runs it to "
                                             "completion before the others start)")
    else:
        probe_problems(container.probes, where, add, serving=False)


def containers_problems(sidecars: tuple[Container, ...], init_containers: tuple[Container, ...],
                        volumes: Mapping[str, Volume], add: Add) -> None:
    """Every sidecar and init container, and k8s_validation.go's rule that container names are unique."""
    seen: dict[str, str] = {}
    for key, containers, init in (("sidecars", sidecars, False), ("initContainers", init_containers, True)):
        for i, container in enumerate(containers):
            where = f"{key}[{i}]."
            container_problems(container, where, volumes, add, init=init)
            if container.name in seen:
                add(f"{where}name", f"duplicate container name '{container.name}' (also {seen[container.name]})")
            seen.setdefault(container.name, f"{key}[{i}]")


def has_probes(probes: Probes) -> bool:
    """Whether any probe is declared."""
    return any(getattr(probes, kind) is not None for kind in ("readiness", "liveness", "startup"))
