"""Traffic policy validation: Knative's webhook rules on the compiled targets, and each policy's own rules first.

The policies and their compiler are in :mod:`knative_platform.model.service.traffic`; the rules that go beyond one
target of an explicit split in :mod:`knative_platform.model.service.shares`. Every problem names the config path
the user wrote (:func:`~knative_platform.model.service.traffic.target_paths`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from ..core.errors import Problem, join_path
from ..core.names import MAX_LABEL, dns1035_problem, foreign_revision_problem, revision_full_name
from ..core.units import parse_go_duration
from .shares import LATEST, latest_false_problem, repeated_share_problems
from .traffic import (
    BlueGreen,
    Canary,
    Gradual,
    Latest,
    Pin,
    Rollback,
    Split,
    TrafficPolicy,
    compile_traffic,
    policy_path,
    split_base,
    target_paths,
)

Add = Callable[[str, str], None]
"""How a rule reports a problem: ``add(path, message)``."""


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


def revision_problem(service: str, suffix: str) -> str | None:
    """Why the revision a target names (by suffix or full name) cannot be one of ``service``'s, or None."""
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
    policy_problems(policy, service, current_revision, path, add)
    if not problems:
        target_problems(policy, service, path, add)
    return problems


def policy_problems(policy: TrafficPolicy, service: str, current_revision: str | None, path: str, add: Add) -> None:
    """The rules of each kind of policy, with the paths of its own keys."""
    base = policy_path(path, policy)
    match policy:
        case Split():
            _split_problems(policy, service, split_base(path, policy), add)
            _rollout_problem(policy.rollout_duration, join_path(path, "split"), add)
        case Canary():
            if not 0 <= policy.percent <= 100:
                add(join_path(base, "percent"), f"is {policy.percent}, must be between 0 and 100")
            if policy.stable == policy.candidate:
                add(base, f"stable and candidate are both '{policy.stable}'; the candidate must be another revision")
            if policy.stable == LATEST:
                add(join_path(base, "stable"), "the stable side must be a named revision, not the latest")
            _rollout_problem(policy.rollout_duration, base, add)
        case BlueGreen():
            if policy.blue == policy.green:
                add(base, f"blue and green are both '{policy.blue}'; they must be different revisions")
            _rollout_problem(policy.rollout_duration, base, add)
        case Rollback():
            if policy.to == LATEST:
                add(join_path(base, "to"), "a rollback goes to a named older revision, not to the latest")
            elif current_revision is not None and (revision_full_name(service, policy.to)
                                                   == revision_full_name(service, current_revision)):
                add(join_path(base, "to"), f"'{policy.to}' is the current revision; a rollback pins an older one")
        case Gradual():
            problem = rollout_duration_problem(policy.duration)
            if problem:
                add(join_path(base, "duration"), problem)
            elif parse_go_duration(policy.duration) == 0:  # a gradual rollout of no duration is no rollout: stricter
                add(join_path(base, "duration"), "must be at least 1s (Knative reads 0 as no gradual rollout); to "
                                                 "move all traffic at once, use traffic: latest")
        case Latest() | Pin():
            pass  # nothing beyond the rules every target meets
        case _:
            assert_never(policy)


def _rollout_problem(duration: str | None, base: str, add: Add) -> None:
    problem = rollout_duration_problem(duration) if duration is not None else None
    if problem:
        add(join_path(base, "rolloutDuration"), problem)


def target_problems(policy: TrafficPolicy, service: str, path: str, add: Add) -> None:
    """The rules every compiled target list must meet (Knative's webhook checks these), for a policy that is sound."""
    compiled = compile_traffic(policy)
    tags: dict[str, str] = {}
    for target, paths in zip(compiled.targets, target_paths(path, policy), strict=True):
        if target.revision is not None:
            problem = revision_problem(service, target.revision)
            if problem:
                add(paths.revision, problem)
        if target.tag is None:
            continue
        problem = dns1035_problem(target.tag, "tag")
        if problem:
            add(paths.tag, problem)
        elif target.tag in tags:
            add(paths.tag, f"tag '{target.tag}' is used twice (also at {tags[target.tag]}); tags must be unique")
        elif len(f"{target.tag}-{service}") > MAX_LABEL:
            add(paths.tag, f"the tag URL's first label '{target.tag}-{service}' is longer than {MAX_LABEL} "
                           "characters; shorten the tag")
        tags.setdefault(target.tag, paths.tag)
    total = sum(t.percent or 0 for t in compiled.targets)
    if total != 100:
        add(path, f"percents sum to {total}, must be 100")


def _split_problems(policy: Split, service: str, path: str, add: Add) -> None:
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
