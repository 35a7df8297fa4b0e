"""How one service scales: Knative's ``autoscaling.knative.dev/*`` revision annotations, typed and checked.

Every rule is knative/serving ``knative-v1.23.0``
``pkg/apis/autoscaling/annotation_validation.go`` (``ValidateAnnotations``), one
function per upstream check. Platform-wide bounds (``max-scale-limit``,
``allow-zero-initial-scale``, scale to zero) depend on the platform's settings
and are checked in :func:`knative_platform.model.platform.platform.platform_problems`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..core.errors import Problem
from ..core.units import parse_go_duration

INT32_MAX = 2**31 - 1
"""Scale annotations are parsed as int32 (``getIntGE0``: ``strconv.ParseInt(v, 10, 32)``)."""
WINDOW_MIN, WINDOW_MAX = 6, 3600
"""``WindowMin``/``WindowMax`` (pkg/apis/autoscaling/register.go): 6s and 1h."""


class Metric(enum.StrEnum):
    """What the autoscaler tracks.

    ``cpu`` and ``memory`` use the HPA class, which keeps at least one instance
    whatever ``min_scale`` says (the webhook accepts ``min-scale: 0`` with it:
    ``validateMetric`` only checks the metric against the class).
    """

    CONCURRENCY = "concurrency"
    RPS = "rps"
    CPU = "cpu"
    MEMORY = "memory"


@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    """Knative autoscaling for one service; rendered as ``autoscaling.knative.dev/*`` template annotations.

    ``min_scale=0`` (the default) lets the service scale to zero. ``max_scale``
    left out (None) renders no ``max-scale``, so the platform's default applies
    (unlimited unless the platform sets one); ``max_scale=0`` renders
    ``max-scale: "0"``, unlimited whatever the platform's default (knative/serving
    knative-v1.23.0 pkg/apis/autoscaling/v1alpha1/pa_lifecycle.go ``ScaleBounds``:
    the annotation replaces config-autoscaler's ``max-scale``), which Knative
    refuses under a platform ``maxScaleLimit``. Durations are Go durations as
    Knative parses them (``0``, ``60s``, ``1m30s``).
    """

    min_scale: int = 0
    max_scale: int | None = None
    initial_scale: int | None = None
    target: float | None = None
    target_utilization_percentage: int | None = None
    metric: Metric = Metric.CONCURRENCY
    window: str | None = None
    scale_down_delay: str | None = None
    activation_scale: int | None = None
    target_burst_capacity: float | None = None
    """Requests beyond the instances' capacity the activator absorbs; 0 lets it leave the path once warm,
    -1 keeps it always (``autoscaling.knative.dev/target-burst-capacity``)."""


# -- autoscaling: knative/serving knative-v1.23.0 pkg/apis/autoscaling/annotation_validation.go ----------


def autoscaling_problems(a: Autoscaling, add: Any) -> None:
    """What ``ValidateAnnotations`` refuses in one service's autoscaling annotations."""
    _scale_bound_problems(a, add)
    _activation_scale_problems(a, add)
    _float_problems(a, add)
    _window_problems(a.window, add)
    _scale_down_delay_problems(a.scale_down_delay, add)


def max_scale_limit_problems(max_scale: int | None, limit: int, platform_max: int, path: str) -> list[Problem]:
    """A service's maxScale against the platform's ``maxScaleLimit`` (``limit``), as the webhook checks it.

    ``validateMaxScaleWithinLimit`` runs only when the revision sets max-scale: above the limit, or 0 (unlimited),
    is refused (annotation_validation_test.go TestValidateAnnotations, "maxScale is explicitly set to 0 when
    MaxScaleLimit and default MaxScale are set"). A service without maxScale (no annotation) gets the platform's
    max-scale (``platform_max``), which :func:`knative_platform.model.platform.knative.knative_problems` keeps
    within the limit (pkg/autoscaler/config/config.go).
    """
    if not limit or max_scale is None:
        return []
    if max_scale == 0:
        return [Problem(path, f"is 0 (unlimited), which Knative refuses under the platform's "
                              f"knative.autoscaler.maxScaleLimit ({limit}): max-scale=0 (unlimited), must be less "
                              f"than {limit}; set it between 1 and {limit}, or leave it out to get the platform's "
                              f"maxScale ({platform_max})")]
    if max_scale > limit:
        return [Problem(path, f"is {max_scale}, must be between 1 and the platform's knative.autoscaler.maxScaleLimit "
                              f"({limit}); or leave it out to get the platform's maxScale")]
    return []


def _float_problems(a: Autoscaling, add: Any) -> None:
    """``validateFloats``: target >= 0.01, utilization 1-100, burst capacity >= 0 or -1."""
    if a.target is not None and a.target < 0.01:
        add("autoscaling.target", f"is {a.target}, must be >= 0.01")
    if a.target_utilization_percentage is not None and not 1 <= a.target_utilization_percentage <= 100:
        add("autoscaling.targetUtilizationPercentage",
            f"is {a.target_utilization_percentage}, must be between 1 and 100")
    if a.target_burst_capacity is not None and a.target_burst_capacity < 0 and a.target_burst_capacity != -1:
        add("autoscaling.targetBurstCapacity",
            f"is {a.target_burst_capacity:g}, must be >= 0, or -1 to keep the activator always in the path")


def _scale_bound_problems(a: Autoscaling, add: Any) -> None:
    """``getIntGE0`` and ``validateMinMaxScale``: int32, non-negative, min <= max (0 max: no bound)."""
    for key, value in (("minScale", a.min_scale), ("maxScale", a.max_scale), ("initialScale", a.initial_scale)):
        if value is not None and not 0 <= value <= INT32_MAX:
            add(f"autoscaling.{key}", f"is {value}, must be >= 0" if value < 0 else
                f"is {value}, must be at most {INT32_MAX} (Knative reads it as a 32-bit integer)")
    if a.max_scale and a.min_scale > a.max_scale:
        add("autoscaling.minScale", f"must be <= maxScale ({a.max_scale})")
    if a.max_scale and a.initial_scale is not None and a.initial_scale > a.max_scale:
        add("autoscaling.initialScale", f"must be <= maxScale ({a.max_scale})")


def _activation_scale_problems(a: Autoscaling, add: Any) -> None:
    """``validateMinMaxScale``: activation-scale is an int32 in [min-scale, max-scale] and at least 2."""
    act = a.activation_scale
    if act is None:
        return
    key = "autoscaling.activationScale"
    if act > INT32_MAX:
        add(key, f"is {act}, must be at most {INT32_MAX} (Knative reads it as a 32-bit integer)")
    elif a.min_scale > act:
        add(key, f"is {act}, below minScale ({a.min_scale}); min-scale={a.min_scale} is greater than "
                 f"activation-scale={act}")
    elif a.max_scale and a.max_scale < act:
        add(key, f"is {act}, above maxScale ({a.max_scale}); max-scale={a.max_scale} is less than "
                 f"activation-scale={act}")
    elif act < 2:
        add(key, f"is {act}, must be >= 2 (1 is the default behaviour)")


def _window_problems(window: str | None, add: Any) -> None:
    """``validateWindow``: a Go duration between 6s and 1h, in whole seconds."""
    if window is None:
        return
    seconds = parse_go_duration(window)
    if seconds is None:
        add("autoscaling.window", f"'{window}' is not a duration; write it like 60s or 1m30s")
    elif not WINDOW_MIN <= seconds <= WINDOW_MAX:
        add("autoscaling.window", f"is {window}, must be between 6s and 1h")
    elif seconds != int(seconds):
        add("autoscaling.window", f"is {window}, must be specified with at most second precision")


def _scale_down_delay_problems(delay: str | None, add: Any) -> None:
    """``validateScaleDownDelay``: a Go duration (a bare ``0`` too) between 0 and 1h, in whole seconds."""
    if delay is None:
        return
    seconds = parse_go_duration(delay)
    if seconds is None:
        add("autoscaling.scaleDownDelay", f"'{delay}' is not a duration; write it like 0s or 15m")
    elif not 0 <= seconds <= WINDOW_MAX:
        add("autoscaling.scaleDownDelay", f"is {delay}, must be between 0s and 1h")
    elif seconds != round(seconds):
        add("autoscaling.scaleDownDelay", f"is {delay}, must be specified with at most second precision")
