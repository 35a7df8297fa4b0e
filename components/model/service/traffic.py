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
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from ..core.decode import INVALID, Decoder, describe
from ..core.errors import Problem, did_you_mean, join_path
from ..core.names import MAX_LABEL, dns1035_problem, foreign_revision_problem, revision_full_name
from ..core.units import parse_go_duration
from .shares import LATEST, latest_false_problem, names_latest, repeated_share_problems

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

    tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Pin:
    """All traffic to one named revision (``revision`` is its suffix)."""

    revision: str
    tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Rollback:
    """A pin to an older revision; ``latest_tag`` keeps the rolled-back latest reachable for debugging."""

    to: str
    latest_tag: str | None = None


@dataclass(frozen=True, kw_only=True)
class Split:
    """An explicit split. Percents must sum to 100; at most one target may omit it (the remainder)."""

    targets: tuple[Target, ...]
    rollout_duration: str | None = None


@dataclass(frozen=True, kw_only=True)
class Canary:
    """``percent`` to ``candidate`` (default the latest revision), the rest to ``stable``; both tagged."""

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

    blue: str
    green: str
    live: Colour
    rollout_duration: str | None = None


@dataclass(frozen=True, kw_only=True)
class Gradual:
    """All traffic to the latest revision, moved over ``duration`` (Knative's gradual rollout)."""

    duration: str
    tag: str | None = None


TrafficPolicy = Union[Latest, Pin, Rollback, Split, Canary, BlueGreen, Gradual]  # noqa: UP007 - used at runtime

POLICY_KEYS: dict[str, type] = {
    "latest": Latest,
    "pin": Pin,
    "rollback": Rollback,
    "split": Split,
    "canary": Canary,
    "blueGreen": BlueGreen,
    "gradual": Gradual,
}
"""The single key that selects a policy in stack config, e.g. ``traffic: {canary: {...}}``; a split is also
written as a bare list of targets."""

_SHORTHAND_FIELD: dict[type, str] = {Pin: "revision", Rollback: "to", Gradual: "duration"}
"""Policies that may be written as a scalar: ``{pin: v1}``, ``{rollback: v1}``, ``{gradual: 10m}``."""


@dataclass(frozen=True)
class CompiledTraffic:
    """A policy reduced to what Knative reads: targets with percents, and Service annotations."""

    targets: tuple[Target, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)


def _ref(revision: str, percent: int, tag: str | None) -> Target:
    if revision == LATEST:
        return Target(latest=True, percent=percent, tag=tag)
    return Target(revision=revision, latest=False, percent=percent, tag=tag)


def _rollout(policy: Split | Canary | BlueGreen) -> dict[str, str]:
    return {ROLLOUT_DURATION_ANNOTATION: policy.rollout_duration} if policy.rollout_duration is not None else {}


def compile_traffic(policy: TrafficPolicy) -> CompiledTraffic:
    """The targets and annotations of a *valid* policy (validate with :func:`traffic_problems` first)."""
    if isinstance(policy, Latest):
        return CompiledTraffic((Target(latest=True, percent=100, tag=policy.tag),))
    if isinstance(policy, Pin):
        return CompiledTraffic((_ref(policy.revision, 100, policy.tag),))
    if isinstance(policy, Rollback):
        targets = [_ref(policy.to, 100, None)]
        if policy.latest_tag:
            targets.append(Target(latest=True, percent=0, tag=policy.latest_tag))
        return CompiledTraffic(tuple(targets))
    if isinstance(policy, Split):
        given = sum(t.percent for t in policy.targets if t.percent is not None)
        return CompiledTraffic(tuple(
            Target(latest=True, percent=100 - given if t.percent is None else t.percent, tag=t.tag)
            if names_latest(t) else
            Target(revision=t.revision, latest=False, percent=100 - given if t.percent is None else t.percent,
                   tag=t.tag)
            for t in policy.targets
        ), _rollout(policy))
    if isinstance(policy, Canary):
        return CompiledTraffic((
            _ref(policy.stable, 100 - policy.percent, policy.stable_tag),
            _ref(policy.candidate, policy.percent, policy.canary_tag),
        ), _rollout(policy))
    if isinstance(policy, BlueGreen):
        live = policy.live
        return CompiledTraffic((
            _ref(policy.blue, 100 if live is Colour.BLUE else 0, Colour.BLUE.value),
            _ref(policy.green, 100 if live is Colour.GREEN else 0, Colour.GREEN.value),
        ), _rollout(policy))
    if isinstance(policy, Gradual):
        return CompiledTraffic(
            (Target(latest=True, percent=100, tag=policy.tag),),
            {ROLLOUT_DURATION_ANNOTATION: policy.duration},
        )
    raise TypeError(f"not a traffic policy: {policy!r}")


# -- validation -----------------------------------------------------------------------------


def _policy_path(path: str, policy: TrafficPolicy) -> str:
    key = next(k for k, cls in POLICY_KEYS.items() if isinstance(policy, cls))
    return join_path(path, key)


def _split_base(path: str, policy: Split) -> str:
    """Where a split's targets are in config: the bare list, or ``split.targets`` of the map form.

    Only the map form can carry a rollout duration.
    """
    return join_path(path, "split.targets") if policy.rollout_duration is not None else path


def rollout_duration_problem(text: str) -> str | None:
    """A Go duration, at second precision, not negative.

    knative/serving knative-v1.23.0 pkg/apis/serving/metadata_validation.go
    ``ValidateRolloutDurationAnnotation``.
    """
    seconds = parse_go_duration(text)
    if seconds is None:
        return f"'{text}' is not a duration; write it like 90s, 10m or 1h"
    if seconds != round(seconds):
        return f"rollout-duration={text} is not at second precision"
    if seconds < 0:
        return f"rollout-duration={text} must be positive"
    return None


def _target_paths(path: str, policy: TrafficPolicy) -> list[str]:
    """The config path each compiled target came from, so errors point at what the user wrote."""
    if isinstance(policy, Split):
        return [join_path(_split_base(path, policy), i) for i in range(len(policy.targets))]
    base = _policy_path(path, policy)
    if isinstance(policy, Canary):
        return [join_path(base, "stable"), join_path(base, "candidate")]
    if isinstance(policy, BlueGreen):
        return [join_path(base, "blue"), join_path(base, "green")]
    if isinstance(policy, Rollback):  # the latest keeps a target only when it keeps a tag (compile_traffic)
        return [join_path(base, "to")] + ([join_path(base, "latestTag")] if policy.latest_tag else [])
    if isinstance(policy, Pin):
        return [join_path(base, "revision")]
    return [base]


def _revision_problem(service: str, suffix: str) -> str | None:
    if suffix == LATEST:
        return None
    foreign = foreign_revision_problem(service, suffix)
    if foreign:
        return foreign
    name = revision_full_name(service, suffix)
    if len(name) > MAX_LABEL:
        return f"revision name '{name}' is {len(name)} characters, must be at most {MAX_LABEL}; use a shorter suffix"
    return dns1035_problem(name, "revision name")


def traffic_problems(policy: TrafficPolicy, service: str, current_revision: str | None, path: str) -> list[Problem]:
    """Every way ``policy`` breaks Knative's webhook rules or our own, for the service named ``service``.

    ``current_revision`` is the suffix of the service's own revision (None when
    Knative names it). A revision may be named by suffix (``v1``) or by its full
    name (``api-v1``, Knative's generated ``api-00003``); whether it exists is
    checked against the stack's history by :mod:`knative_platform.model.revisions.revisions`.
    """
    problems: list[Problem] = []

    def add(where: str, message: str) -> None:
        problems.append(Problem(where, message))

    # policy-specific rules first: they explain the mistake in the user's own terms
    if isinstance(policy, Split):
        _split_problems(policy, service, _split_base(path, policy), add)
    elif isinstance(policy, Canary):
        base = _policy_path(path, policy)
        if not 0 <= policy.percent <= 100:
            add(join_path(base, "percent"), f"is {policy.percent}, must be between 0 and 100")
        if policy.stable == policy.candidate:
            add(base, f"stable and candidate are both '{policy.stable}'; the candidate must be another revision")
        if policy.stable == LATEST:
            add(join_path(base, "stable"), "the stable side must be a named revision, not the latest")
    elif isinstance(policy, BlueGreen):
        base = _policy_path(path, policy)
        if policy.blue == policy.green:
            add(base, f"blue and green are both '{policy.blue}'; they must be different revisions")
    elif isinstance(policy, Rollback):
        base = _policy_path(path, policy)
        if policy.to == LATEST:
            add(join_path(base, "to"), "a rollback goes to a named older revision, not to the latest")
        elif current_revision is not None and (revision_full_name(service, policy.to)
                                               == revision_full_name(service, current_revision)):
            add(join_path(base, "to"), f"'{policy.to}' is the current revision; a rollback pins an older one")
    elif isinstance(policy, Gradual):
        base = _policy_path(path, policy)
        problem = rollout_duration_problem(policy.duration)
        if problem:
            add(join_path(base, "duration"), problem)
        elif parse_go_duration(policy.duration) == 0:  # a gradual rollout of no duration is no rollout: stricter
            add(join_path(base, "duration"), "must be at least 1s (Knative reads 0 as no gradual rollout); to move "
                                             "all traffic at once, use traffic: latest")
    if isinstance(policy, (Split, Canary, BlueGreen)) and policy.rollout_duration is not None:
        problem = rollout_duration_problem(policy.rollout_duration)
        if problem:
            base = join_path(path, "split") if isinstance(policy, Split) else _policy_path(path, policy)
            add(join_path(base, "rolloutDuration"), problem)
    if problems:
        return problems

    # then the rules every compiled target list must meet (Knative's webhook checks these)
    compiled = compile_traffic(policy)
    in_split = isinstance(policy, Split)
    tags: dict[str, str] = {}
    for target, tpath in zip(compiled.targets, _target_paths(path, policy), strict=True):
        if target.revision is not None:
            problem = _revision_problem(service, target.revision)
            if problem:
                add(join_path(tpath, "revision") if in_split else tpath, problem)
        if target.tag is None:
            continue
        if in_split:
            tag_path = join_path(tpath, "tag")
        else:
            tag_path = join_path(_policy_path(path, policy), _tag_key(policy, tpath))
        problem = dns1035_problem(target.tag, "tag")
        if problem:
            add(tag_path, problem)
        elif target.tag in tags:
            add(tag_path, f"tag '{target.tag}' is used twice (also at {tags[target.tag]}); tags must be unique")
        elif len(f"{target.tag}-{service}") > MAX_LABEL:
            add(tag_path, f"the tag URL's first label '{target.tag}-{service}' is longer than {MAX_LABEL} "
                          "characters; shorten the tag")
        tags.setdefault(target.tag, tag_path)
    total = sum(t.percent or 0 for t in compiled.targets)
    if total != 100:
        add(path, f"percents sum to {total}, must be 100")
    return problems


def _tag_key(policy: TrafficPolicy, target_path: str) -> str:
    """The config key that sets the tag of a policy's target (``canaryTag``, ``latestTag`` ...)."""
    side = target_path.rsplit(".", 1)[-1]
    if isinstance(policy, Canary):
        return "stableTag" if side == "stable" else "canaryTag"
    if isinstance(policy, Rollback):
        return "latestTag"
    if isinstance(policy, BlueGreen):
        return side
    return "tag"


def _split_problems(policy: Split, service: str, path: str, add: Any) -> None:
    if not policy.targets:
        add(path, "an explicit split needs at least one target")
        return
    remainders = [i for i, t in enumerate(policy.targets) if t.percent is None]
    if len(remainders) > 1:
        add(path, f"only one target may leave out percent (it takes the remainder); targets {remainders} do")
    for i, target in enumerate(policy.targets):
        tpath = join_path(path, i)
        # revision: "@latest" names the latest ready revision, as everywhere else a revision is expected
        if target.revision is not None and target.revision != LATEST and target.latest:
            add(tpath, "set either revision or latest: true, not both")
        latest_false_problem(target, tpath, add)
        if target.percent is not None and not 0 <= target.percent <= 100:
            add(join_path(tpath, "percent"), f"is {target.percent}, must be between 0 and 100")
    repeated_share_problems(policy.targets, service, path, add)
    given = sum(t.percent for t in policy.targets if t.percent is not None)
    if len(remainders) == 1 and given > 100:
        add(path, f"the targets with a percent already take {given}%, leaving nothing for target "
                  f"[{remainders[0]}], which takes the remainder; they must sum to at most 100")


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
    if cls in _SHORTHAND_FIELD and isinstance(body, str):
        return cls(**{_SHORTHAND_FIELD[cls]: body})
    return decoder.decode_dataclass(cls, body, kpath)
