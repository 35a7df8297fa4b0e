"""The platform team's Knative settings: the ``knative`` and ``ingress`` stack-config keys, typed.

Each section maps to one of Knative Serving's ConfigMaps in ``knative-serving``
(rendered by :mod:`knative_platform.manifests.knative_config`). Only keys a platform
team actually tunes are typed here; the defaults are Knative's own, so a stack
without a ``knative`` key runs Knative as shipped, but the rendered ConfigMaps
still state every typed value so a reviewer sees the policy in one place.

:func:`knative_problems` checks each value the way Knative's config webhook
would (ranges, durations), so a typo fails ``pulumi preview`` instead of
crash-looping the autoscaler.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..core.decode import camel
from ..core.errors import Problem, join_path
from ..core.names import CONFIG_KEY
from ..core.units import parse_duration, parse_quantity

DEFAULT_DOMAIN_TEMPLATE = "{{.Name}}.{{.Namespace}}.{{.Domain}}"
DEFAULT_TAG_TEMPLATE = "{{.Tag}}-{{.Name}}"


class Ingress(enum.StrEnum):
    """Which networking layer fronts Knative.

    ``kgateway`` (Gloo's open-source successor) behind net-gateway-api is the
    default; ``kourier`` is Knative's own ingress, the proven fallback.
    """

    KGATEWAY = "kgateway"
    KOURIER = "kourier"


class FeatureFlag(enum.StrEnum):
    """A Knative feature flag: on for every service, off, or allowed per service by annotation."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    ALLOWED = "allowed"


@dataclass(frozen=True, kw_only=True)
class AutoscalerSettings:
    """``config-autoscaler``: scale to zero, its windows, and the defaults services inherit."""

    scale_to_zero: bool = True
    scale_to_zero_grace_period: str = "30s"
    stable_window: str = "60s"
    target_concurrency: int = 100
    """``container-concurrency-target-default``: soft concurrency target per instance."""
    target_utilization_percentage: int = 70
    target_burst_capacity: int = 200
    requests_per_second_target: int = 200
    initial_scale: int = 1
    allow_zero_initial_scale: bool = False
    min_scale: int = 0
    max_scale: int = 0
    """Default upper bound of every revision; 0 is unlimited."""
    max_scale_limit: int = 0
    """Hard cap no service may exceed; 0 is no cap."""


@dataclass(frozen=True, kw_only=True)
class DefaultsSettings:
    """``config-defaults``: request timeouts and concurrency a revision gets when it does not say."""

    revision_timeout_seconds: int = 300
    max_revision_timeout_seconds: int = 600
    container_concurrency: int = 0


@dataclass(frozen=True, kw_only=True)
class FeatureSettings:
    """``config-features``: the PodSpec extensions and routing features a platform team opens up.

    The four flags typed ``FeatureFlag | None`` are the ones services need for
    sidecars, probes on sidecars, init containers and emptyDir volumes. Left
    unset (None), each keeps Knative's default until a service uses what it
    guards; then the platform switches it on (:func:`resolved_features`). Set
    one explicitly to pin it; a service that needs a flag pinned off is refused.
    """

    multi_container: FeatureFlag | None = None
    multi_container_probing: FeatureFlag | None = None
    podspec_emptydir: FeatureFlag | None = None
    tag_header_based_routing: FeatureFlag = FeatureFlag.DISABLED
    podspec_affinity: FeatureFlag = FeatureFlag.DISABLED
    podspec_node_selector: FeatureFlag = FeatureFlag.DISABLED
    podspec_tolerations: FeatureFlag = FeatureFlag.DISABLED
    podspec_topology_spread_constraints: FeatureFlag = FeatureFlag.DISABLED
    podspec_fieldref: FeatureFlag = FeatureFlag.DISABLED
    podspec_init_containers: FeatureFlag | None = None
    podspec_persistent_volume_claim: FeatureFlag = FeatureFlag.DISABLED


FEATURE_KEYS: dict[str, str] = {
    "multi_container": "multi-container",
    "multi_container_probing": "multi-container-probing",
    "podspec_emptydir": "kubernetes.podspec-emptydir",
    "tag_header_based_routing": "tag-header-based-routing",
    "podspec_affinity": "kubernetes.podspec-affinity",
    "podspec_node_selector": "kubernetes.podspec-nodeselector",
    "podspec_tolerations": "kubernetes.podspec-tolerations",
    "podspec_topology_spread_constraints": "kubernetes.podspec-topologyspreadconstraints",
    "podspec_fieldref": "kubernetes.podspec-fieldref",
    "podspec_init_containers": "kubernetes.podspec-init-containers",
    "podspec_persistent_volume_claim": "kubernetes.podspec-persistent-volume-claim",
}
"""Field -> ``config-features`` key (Knative's keys are not a mechanical spelling of the field names)."""

SERVICE_FEATURE_DEFAULTS: dict[str, FeatureFlag] = {
    "multi_container": FeatureFlag.ENABLED,
    "multi_container_probing": FeatureFlag.DISABLED,
    "podspec_emptydir": FeatureFlag.ENABLED,
    "podspec_init_containers": FeatureFlag.DISABLED,
}
"""Knative's defaults for the flags services switch on (knative/serving knative-v1.23.0
pkg/apis/config/features.go ``defaultFeaturesConfig``)."""


def resolved_features(features: FeatureSettings, needed: Iterable[str] = ()) -> FeatureSettings:
    """``features`` with every unset service flag decided: enabled when a service needs it, else Knative's default.

    ``needed`` names FeatureSettings fields (see
    :func:`knative_platform.model.service.service.required_features`). Flags the platform set
    explicitly are kept as they are.
    """
    wanted = set(needed)
    decided = {
        key: FeatureFlag.ENABLED if key in wanted else default
        for key, default in SERVICE_FEATURE_DEFAULTS.items()
        if getattr(features, key) is None
    }
    return replace(features, **decided)


@dataclass(frozen=True, kw_only=True)
class GcSettings:
    """``config-gc``: how long and how many inactive revisions survive (rollback needs some)."""

    retain_since_create_time: str = "48h"
    """A duration, or ``disabled``."""
    retain_since_last_active_time: str = "15h"
    """A duration, or ``disabled``."""
    min_non_active_revisions: int = 20
    max_non_active_revisions: int | None = 1000
    """None (YAML ``null``) means no upper limit (Knative's ``disabled``)."""


@dataclass(frozen=True, kw_only=True)
class DeploymentSettings:
    """``config-deployment``: rollout deadline, digest resolution and the queue-proxy sidecar's resources."""

    progress_deadline: str = "600s"
    digest_resolution_timeout: str = "10s"
    registries_skipping_tag_resolving: tuple[str, ...] = ("kind.local", "ko.local", "dev.local")
    queue_sidecar_cpu_request: str = "25m"
    queue_sidecar_memory_request: str | None = None
    queue_sidecar_cpu_limit: str | None = None
    queue_sidecar_memory_limit: str | None = None


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """The ``config-network`` keys a platform team chooses (ingress class and TLS are set by the platform)."""

    domain_template: str = DEFAULT_DOMAIN_TEMPLATE
    tag_template: str = DEFAULT_TAG_TEMPLATE


@dataclass(frozen=True, kw_only=True)
class KnativeSettings:
    """Everything under the ``knative`` stack-config key."""

    autoscaler: AutoscalerSettings = field(default_factory=AutoscalerSettings)
    defaults: DefaultsSettings = field(default_factory=DefaultsSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    gc: GcSettings = field(default_factory=GcSettings)
    deployment: DeploymentSettings = field(default_factory=DeploymentSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)


# -- validation -----------------------------------------------------------------------------


def _spell(seconds: int) -> str:
    """3600 -> ``1h``, 90 -> ``90s``: bounds read the way users write durations."""
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"


def knative_problems(settings: KnativeSettings, path: str = "knative") -> list[Problem]:
    """What Knative's config webhook (or a crash-looping controller) would refuse in ``settings``."""
    return [*_autoscaler_problems(settings.autoscaler, join_path(path, "autoscaler")),
            *_defaults_problems(settings.defaults, join_path(path, "defaults")),
            *_gc_problems(settings.gc, join_path(path, "gc")),
            *_deployment_problems(settings.deployment, join_path(path, "deployment")),
            *_network_problems(settings.network, join_path(path, "network"))]


def _duration_problems(path: str, text: str, low: int, high: int | None,
                       allow_disabled: bool = False) -> list[Problem]:
    """A duration between ``low`` and ``high`` seconds (None: no upper bound), or ``disabled`` where allowed."""
    if allow_disabled and text == "disabled":
        return []
    seconds = parse_duration(text)
    spelled = " or disabled" if allow_disabled else ""
    if seconds is None:
        return [Problem(path, f"'{text}' is not a duration; write it like 30s, 5m or 48h{spelled}")]
    if seconds < low or (high is not None and seconds > high):
        bound = f"between {_spell(low)} and {_spell(high)}" if high is not None else f"at least {_spell(low)}"
        return [Problem(path, f"is {text}, must be {bound}")]
    return []


def _autoscaler_problems(a: AutoscalerSettings, path: str) -> list[Problem]:
    """``config-autoscaler``: windows, targets, and scale bounds that agree with each other."""
    problems = [*_duration_problems(join_path(path, "scaleToZeroGracePeriod"), a.scale_to_zero_grace_period, 6, None),
                *_duration_problems(join_path(path, "stableWindow"), a.stable_window, 6, 3600)]

    def add(key: str, message: str) -> None:
        problems.append(Problem(join_path(path, key), message))

    if not 1 <= a.target_utilization_percentage <= 100:
        add("targetUtilizationPercentage", f"is {a.target_utilization_percentage}, must be between 1 and 100")
    if a.target_concurrency < 1:
        add("targetConcurrency", f"is {a.target_concurrency}, must be >= 1")
    if a.requests_per_second_target < 1:
        add("requestsPerSecondTarget", f"is {a.requests_per_second_target}, must be >= 1")
    if a.target_burst_capacity < -1:
        add("targetBurstCapacity", f"is {a.target_burst_capacity}, must be >= -1 (-1 is unlimited)")
    for key, value in (("minScale", a.min_scale), ("maxScale", a.max_scale), ("maxScaleLimit", a.max_scale_limit),
                       ("initialScale", a.initial_scale)):
        if value < 0:
            add(key, f"is {value}, must be >= 0")
    if a.initial_scale == 0 and not a.allow_zero_initial_scale:
        add("initialScale", "is 0, which Knative refuses unless allowZeroInitialScale is true")
    if a.max_scale > 0 and a.min_scale > a.max_scale:
        add("minScale", f"must be <= maxScale ({a.max_scale})")
    if a.max_scale_limit > 0 and (a.max_scale == 0 or a.max_scale > a.max_scale_limit):
        add("maxScale", f"must be between 1 and maxScaleLimit ({a.max_scale_limit}) when a limit is set")
    if not a.scale_to_zero and a.min_scale == 0:
        add("minScale", "is 0 but scaleToZero is false; set minScale to 1 or more so the default says what runs")
    return problems


def _defaults_problems(d: DefaultsSettings, path: str) -> list[Problem]:
    """``config-defaults``: timeouts within their maximum, container concurrency within Knative's range."""
    problems = []
    if d.max_revision_timeout_seconds < 1:
        problems.append(Problem(join_path(path, "maxRevisionTimeoutSeconds"),
                                f"is {d.max_revision_timeout_seconds}, must be >= 1"))
    if not 1 <= d.revision_timeout_seconds <= max(d.max_revision_timeout_seconds, 1):
        problems.append(Problem(join_path(path, "revisionTimeoutSeconds"),
                                f"is {d.revision_timeout_seconds}, must be between 1 and maxRevisionTimeoutSeconds "
                                f"({d.max_revision_timeout_seconds})"))
    if not 0 <= d.container_concurrency <= 1000:
        problems.append(Problem(join_path(path, "containerConcurrency"),
                                f"is {d.container_concurrency}, must be between 0 (unlimited) and 1000"))
    return problems


def _gc_problems(g: GcSettings, path: str) -> list[Problem]:
    """``config-gc``: retention durations (or ``disabled``), and revision counts in order."""
    problems = [
        *_duration_problems(join_path(path, "retainSinceCreateTime"), g.retain_since_create_time, 0, None,
                            allow_disabled=True),
        *_duration_problems(join_path(path, "retainSinceLastActiveTime"), g.retain_since_last_active_time, 0, None,
                            allow_disabled=True)]
    if g.min_non_active_revisions < 0:
        problems.append(Problem(join_path(path, "minNonActiveRevisions"),
                                f"is {g.min_non_active_revisions}, must be >= 0"))
    if g.max_non_active_revisions is not None and g.max_non_active_revisions < g.min_non_active_revisions:
        problems.append(Problem(join_path(path, "maxNonActiveRevisions"),
                                f"is {g.max_non_active_revisions}, must be >= minNonActiveRevisions "
                                f"({g.min_non_active_revisions}) or null for no limit"))
    return problems


def _deployment_problems(dep: DeploymentSettings, path: str) -> list[Problem]:
    """``config-deployment``: deadlines, registry hosts and the queue-proxy sidecar's quantities."""
    problems = [*_duration_problems(join_path(path, "progressDeadline"), dep.progress_deadline, 1, None),
                *_duration_problems(join_path(path, "digestResolutionTimeout"), dep.digest_resolution_timeout, 1,
                                    None)]
    for i, registry in enumerate(dep.registries_skipping_tag_resolving):
        if not registry or not CONFIG_KEY.match(registry.replace(":", "")):
            problems.append(Problem(join_path(join_path(path, "registriesSkippingTagResolving"), i),
                                    f"'{registry}' is not a registry host"))
    for key in ("queue_sidecar_cpu_request", "queue_sidecar_memory_request", "queue_sidecar_cpu_limit",
                "queue_sidecar_memory_limit"):
        text = getattr(dep, key)
        quantity = None if text is None else parse_quantity(text)
        if text is not None and (quantity is None or quantity < 0):
            problems.append(Problem(join_path(path, camel(key)),
                                    f"'{text}' is not a Kubernetes quantity such as 25m or 64Mi"))
    return problems


def _network_problems(n: NetworkSettings, path: str) -> list[Problem]:
    """``config-network``: host templates that give every service, and every tag, its own host."""
    problems = []
    if "{{.Name}}" not in n.domain_template:
        problems.append(Problem(join_path(path, "domainTemplate"),
                                "must contain {{.Name}}, or every service would get the same host"))
    if "{{.Tag}}" not in n.tag_template or "{{.Name}}" not in n.tag_template:
        problems.append(Problem(join_path(path, "tagTemplate"),
                                "must contain {{.Tag}} and {{.Name}}, or tags would collide"))
    return problems
