"""Traffic policies: the small algebra app teams use to move requests between revisions.

The vocabulary is the one users know from ``kn`` and Cloud Run:

========================  ==========================================================
``Latest()``              100% to the latest ready revision (the default)
``Pin("v1")``             100% to one named revision
``Rollback(to="v1")``     a pin to an *older* revision, optionally keeping the
                          broken latest reachable on a tag
``Split((Target..),)``    an explicit split; one target may leave ``percent`` out
                          and receives the remainder
``Canary(stable="v1",     a stable revision plus N% to the candidate (the latest
  percent=10)``           by default), both tagged
``BlueGreen(blue="v1",    both colours tagged (``blue-``/``green-`` URLs), 100% to
  green="v2", live=...)`` the live one; flipping is a one-word change
``Gradual("10m")``        100% to the latest, shifted over ``rollout-duration``
========================  ==========================================================

Any policy that moves traffic (``Split``, ``Canary``, ``BlueGreen``) may also set
``rollout_duration``: Knative then shifts the latest revision's share over that
time instead of at once (``serving.knative.dev/rollout-duration``).

Promote is a change of policy (``Canary`` -> ``Latest`` or ``Pin`` of the candidate);
tag and untag are edits of a target's ``tag``.

Revisions are named by their *suffix*: ``v1`` means the revision ``<service>-v1``,
exactly as the service's own ``revision`` field names its current one. ``@latest``
(:data:`LATEST`) means the latest ready revision wherever a revision is expected.

Every policy compiles (:func:`compile_traffic`) to plain targets plus the Service
annotations it needs; the manifest renderer turns those into Knative's ``spec.traffic``.
:mod:`knative_platform.model.service.traffic_rules` validates them.

**Adding a policy** is one place per concern, and the type checker (``mypy --strict``, run by ``.ci/run``) lists
every place a new class is not handled yet: the class (with its config ``key``, and ``shorthand`` if it has a
scalar form) and its entry in :data:`TrafficPolicy`; its targets in :func:`compile_traffic`; where each target
came from in :func:`target_paths`; its own rules in ``traffic_rules.policy_problems``. Each of these ``match``
over the union ends in ``assert_never``, so a class left out of one is a type error, not a ``TypeError`` at run
time. The stack-file schema and :data:`POLICY_KEYS` follow from the union.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union, assert_never, get_args

from ..core.decode import INVALID, Decoder, describe
from ..core.errors import did_you_mean, join_path
from .shares import LATEST, names_latest

__all__ = ["LATEST", "POLICY_KEYS", "ROLLOUT_DURATION_ANNOTATION", "BlueGreen", "Canary", "Colour",
           "CompiledTraffic", "Gradual", "Latest", "Pin", "Rollback", "Split", "Target", "TargetPaths",
           "TrafficPolicy", "compile_traffic", "decode_traffic", "policy_path", "split_base", "target_paths"]

ROLLOUT_DURATION_ANNOTATION = "serving.knative.dev/rollout-duration"


@dataclass(frozen=True, kw_only=True)
class Target:
    """One entry of an explicit split: a named revision or the latest one, a share, an optional tag.

    ``latest`` left out (None) is the latest revision when no ``revision`` is named, as Knative defaults a target
    naming neither; an explicit ``latest=False`` must come with a ``revision``.
    """

    revision: str | None = None
    latest: bool | None = None
    percent: int | None = None
    tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Latest:
    """All traffic to the latest ready revision; ``tag`` adds a stable URL for it."""

    key: ClassVar[str] = "latest"
    shorthand: ClassVar[str | None] = None
    tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Pin:
    """All traffic to one named revision (``revision`` is its suffix)."""

    key: ClassVar[str] = "pin"
    shorthand: ClassVar[str | None] = "revision"
    revision: str
    tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Rollback:
    """A pin to an older revision; ``latest_tag`` keeps the rolled-back latest reachable for debugging."""

    key: ClassVar[str] = "rollback"
    shorthand: ClassVar[str | None] = "to"
    to: str
    latest_tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Split:
    """An explicit split. Percents must sum to 100; at most one target may omit it (the remainder)."""

    key: ClassVar[str] = "split"
    shorthand: ClassVar[str | None] = None
    targets: tuple[Target, ...]
    rollout_duration: str | None = None


@dataclass(frozen=True, kw_only=True)
class Canary:
    """``percent`` to ``candidate`` (default the latest revision), the rest to ``stable``; both tagged."""

    key: ClassVar[str] = "canary"
    shorthand: ClassVar[str | None] = None
    stable: str
    percent: int
    candidate: str = LATEST
    stable_tag: str | None = "stable"
    canary_tag: str | None = "canary"
    rollout_duration: str | None = None


class Colour(enum.StrEnum):
    """The two sides of a blue-green deployment."""

    BLUE = "blue"
    GREEN = "green"


@dataclass(frozen=True, kw_only=True)
class BlueGreen:
    """Both revisions reachable on their colour's tag URL; 100% to ``live``. Flip by changing ``live``."""

    key: ClassVar[str] = "blueGreen"
    shorthand: ClassVar[str | None] = None
    blue: str
    green: str
    live: Colour
    rollout_duration: str | None = None


@dataclass(frozen=True, kw_only=True)
class Gradual:
    """All traffic to the latest revision, moved over ``duration`` (Knative's gradual rollout)."""

    key: ClassVar[str] = "gradual"
    shorthand: ClassVar[str | None] = "duration"
    duration: str
    tag: str | None = None


TrafficPolicy = Union[Latest, Pin, Rollback, Split, Canary, BlueGreen, Gradual]  # noqa: UP007 - used at runtime
"""Every traffic policy. Each class carries ``key`` (the single key that selects it in stack config) and
``shorthand`` (the field a scalar sets, ``{pin: v1}``, or None)."""

POLICY_KEYS: dict[str, type[TrafficPolicy]] = {cls.key: cls for cls in get_args(TrafficPolicy)}
"""The single key that selects a policy in stack config, e.g. ``traffic: {canary: {...}}``; a split is also
written as a bare list of targets."""


@dataclass(frozen=True)
class CompiledTraffic:
    """A policy reduced to what Knative reads: targets with percents, and Service annotations."""

    targets: tuple[Target, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)


def _ref(revision: str, percent: int, tag: str | None) -> Target:
    if revision == LATEST:
        return Target(latest=True, percent=percent, tag=tag)
    return Target(revision=revision, latest=False, percent=percent, tag=tag)


def _rollout(duration: str | None) -> dict[str, str]:
    return {ROLLOUT_DURATION_ANNOTATION: duration} if duration is not None else {}


def _split_targets(policy: Split) -> tuple[Target, ...]:
    """A split's targets with the remainder filled in (a target without ``percent`` takes what the others leave)."""
    given = sum(t.percent for t in policy.targets if t.percent is not None)
    return tuple(
        Target(latest=True, percent=100 - given if t.percent is None else t.percent, tag=t.tag)
        if names_latest(t) else
        Target(revision=t.revision, latest=False, percent=100 - given if t.percent is None else t.percent, tag=t.tag)
        for t in policy.targets
    )


def compile_traffic(policy: TrafficPolicy) -> CompiledTraffic:
    """The targets and annotations of a *valid* policy (validate with ``traffic_rules.traffic_problems`` first)."""
    match policy:
        case Latest():
            return CompiledTraffic((Target(latest=True, percent=100, tag=policy.tag),))
        case Pin():
            return CompiledTraffic((_ref(policy.revision, 100, policy.tag),))
        case Rollback():
            latest = (Target(latest=True, percent=0, tag=policy.latest_tag),) if policy.latest_tag else ()
            return CompiledTraffic((_ref(policy.to, 100, None), *latest))
        case Split():
            return CompiledTraffic(_split_targets(policy), _rollout(policy.rollout_duration))
        case Canary():
            return CompiledTraffic((
                _ref(policy.stable, 100 - policy.percent, policy.stable_tag),
                _ref(policy.candidate, policy.percent, policy.canary_tag),
            ), _rollout(policy.rollout_duration))
        case BlueGreen():
            live = policy.live
            return CompiledTraffic((
                _ref(policy.blue, 100 if live is Colour.BLUE else 0, Colour.BLUE.value),
                _ref(policy.green, 100 if live is Colour.GREEN else 0, Colour.GREEN.value),
            ), _rollout(policy.rollout_duration))
        case Gradual():
            return CompiledTraffic((Target(latest=True, percent=100, tag=policy.tag),), _rollout(policy.duration))
        case _:
            assert_never(policy)


# -- where each target came from in config ---------------------------------------------------


@dataclass(frozen=True)
class TargetPaths:
    """The config paths of one compiled target: what names its revision, and what sets its tag."""

    revision: str
    tag: str


def policy_path(path: str, policy: TrafficPolicy) -> str:
    """The config path of the policy's own map (``services.api.traffic.canary``)."""
    return join_path(path, policy.key)


def split_base(path: str, policy: Split) -> str:
    """Where a split's targets are in config: the bare list, or ``split.targets`` of the map form.

    Only the map form can carry a rollout duration.
    """
    return join_path(path, "split.targets") if policy.rollout_duration is not None else path


def target_paths(path: str, policy: TrafficPolicy) -> list[TargetPaths]:
    """The config paths of each compiled target (:func:`compile_traffic`), in order: errors point at what was written.

    ``path`` is the service's ``traffic`` path.
    """
    base = policy_path(path, policy)

    def at(revision: str, tag: str) -> TargetPaths:
        return TargetPaths(join_path(base, revision), join_path(base, tag))

    match policy:
        case Split():
            targets = [join_path(split_base(path, policy), i) for i in range(len(policy.targets))]
            return [TargetPaths(join_path(t, "revision"), join_path(t, "tag")) for t in targets]
        case Canary():
            return [at("stable", "stableTag"), at("candidate", "canaryTag")]
        case BlueGreen():
            return [at("blue", "blue"), at("green", "green")]
        case Rollback():  # the latest keeps a target only when it keeps a tag (compile_traffic)
            return [at("to", "latestTag")] + ([at("latestTag", "latestTag")] if policy.latest_tag else [])
        case Pin():
            return [at("revision", "tag")]
        case Latest() | Gradual():
            return [TargetPaths(base, join_path(base, "tag"))]
        case _:
            assert_never(policy)


# -- config decoding ------------------------------------------------------------------------


def decode_traffic(raw: Any, path: str, decoder: Decoder) -> Any:
    """``traffic`` in stack config: a list of targets, or a one-key map naming a policy."""
    if raw is None:
        return Latest()
    if isinstance(raw, list):  # the short form of {split: {targets: [...]}}
        targets = decoder.decode(tuple[Target, ...], raw, path)
        return INVALID if targets is INVALID else Split(targets=targets)
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a list of targets or a policy map, got {describe(raw)}")
    if len(raw) != 1:
        keys = ", ".join(str(k) for k in raw) or "nothing"
        return decoder.problem(path, f"name exactly one policy ({', '.join(POLICY_KEYS)}), got {keys}")
    ((key, body),) = raw.items()
    kpath = join_path(path, str(key))
    cls = POLICY_KEYS.get(str(key))
    if cls is None:
        return decoder.problem(kpath, f"unknown traffic policy{did_you_mean(str(key), POLICY_KEYS)}; "
                                      f"expected one of: {', '.join(POLICY_KEYS)}")
    if cls is Latest and body is True:
        return Latest()
    if cls.shorthand is not None and isinstance(body, str):
        return decoder.decode_dataclass(cls, {cls.shorthand: body}, kpath)
    return decoder.decode_dataclass(cls, body, kpath)
