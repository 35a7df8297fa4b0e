"""The shares of an explicit split: which revision each names, and the rules that go beyond one target.

A split target names a revision (``revision: v1``, or its full name), or the
latest ready revision (``latest: true``, ``revision: "@latest"``, or neither).
Knative's webhook judges each target alone; ``kn`` also refuses the same
revision twice. These rules sit apart from :mod:`knative_platform.model.service.traffic`, which
compiles and validates whole policies and calls them for its ``Split``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import join_path
from ..core.names import revision_full_name

if TYPE_CHECKING:
    from .traffic import Target

LATEST = "@latest"
"""Where a revision suffix is expected, this names the latest ready revision (``kn``'s spelling)."""


def names_latest(target: Target) -> bool:
    """Whether a split target is the latest revision: ``@latest``, ``latest: true``, or naming nothing.

    A target naming neither a revision nor latest is the latest one, as Knative defaults it (knative/serving
    knative-v1.23.0 pkg/apis/serving/v1/route_defaults.go TrafficTarget.SetDefaults); an explicit
    ``latest: false`` without a revision is refused first (:func:`latest_false_problem`).
    """
    return target.revision == LATEST or target.revision is None


def latest_false_problem(target: Target, path: str, add: Any) -> None:
    """An explicit ``latest: false`` is not an absent value: it must come with a named revision.

    knative/serving knative-v1.23.0 pkg/apis/serving/v1/route_validation.go ``validateLatestRevision``: in a
    spec, latestRevision false without a revisionName is refused (route_validation_test.go
    TestTrafficTargetValidation, "invalid with default configurationName and latestRevision").
    """
    if target.latest is not False:
        return
    if target.revision is None:
        add(join_path(path, "latest"), "is false and the target names no revision; Knative refuses a target that "
                                       "names neither (may not set revisionName \"\" when latestRevision is false): "
                                       "name one (revision: v1), or send it to the latest revision (latest: true, "
                                       "or leave latest out)")
    elif target.revision == LATEST:
        add(join_path(path, "latest"), f"is false, but revision '{LATEST}' names the latest revision; write one of "
                                       "them")


def repeated_share_problems(targets: Sequence[Target], service: str, path: str, add: Any) -> None:
    """Two untagged shares of one revision, or of the latest: refused as ``kn`` refuses them. Stricter than Knative.

    Knative's webhook accepts them and the route merges them; ``kn service update --traffic`` refuses a repeated
    revision or ``@latest`` (knative/client knative-v1.23.0 pkg/traffic/compute.go
    ``verifyRevisionSumAndReferences``; compute_test.go TestComputeErrMsg, "repeatedly splitting traffic to the
    same revision" and "repeatedly splitting traffic to @latest revision"). Writing a share twice is a mistake
    (an edit meant to move one of them), so the platform refuses it too (docs/services.md, "Stricter than
    Knative"). A tag makes a share its own identifier, in ``kn`` as here.
    """
    seen: dict[str, str] = {}
    for i, target in enumerate(targets):
        if target.tag is not None or (target.latest is False and target.revision in (None, LATEST)):
            continue  # tagged shares are distinct; a contradictory target has its own problem already
        latest = names_latest(target)
        key = LATEST if latest else revision_full_name(service, str(target.revision))
        tpath = join_path(path, i)
        if key in seen:
            what = "the latest revision" if latest else key
            kn = f"identifier {LATEST}" if latest else f"revision reference {key}"
            add(tpath, f"a second untagged share of {what} (also at {seen[key]}); kn refuses it (repetition of {kn} "
                       f"is not allowed) and the platform does too, though Knative would merge the two: write "
                       f"{what} once with their combined percent, or tag one of them")
        seen.setdefault(key, tpath)
