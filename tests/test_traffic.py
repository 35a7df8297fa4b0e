"""Traffic policies compile to Knative's targets and are validated like the webhook does (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knative_platform.model.service.traffic import (
    ROLLOUT_DURATION_ANNOTATION,
    BlueGreen,
    Canary,
    Colour,
    Gradual,
    Latest,
    Pin,
    Rollback,
    Split,
    Target,
    compile_traffic,
)
from knative_platform.model.service.traffic_rules import traffic_problems


def targets(policy):
    return [(t.revision, t.latest, t.percent, t.tag) for t in compile_traffic(policy).targets]


def problems(policy, service="api", revision="v2"):
    return [str(p) for p in traffic_problems(policy, service, revision, "services.api.traffic")]


def test_latest_sends_everything_to_the_latest_revision():
    assert targets(Latest()) == [(None, True, 100, None)]
    assert targets(Latest(tag="current")) == [(None, True, 100, "current")]


def test_pin_and_rollback_send_everything_to_one_revision():
    assert targets(Pin(revision="v1")) == [("v1", False, 100, None)]
    assert targets(Rollback(to="v1")) == [("v1", False, 100, None)]
    assert targets(Rollback(to="v1", latest_tag="broken")) == [("v1", False, 100, None), (None, True, 0, "broken")]


def test_split_gives_the_remainder_to_the_target_without_percent():
    policy = Split(targets=(Target(revision="v1", percent=70), Target(latest=True, tag="next")))
    assert targets(policy) == [("v1", False, 70, None), (None, True, 30, "next")]
    assert problems(policy) == []


def test_canary_tags_both_sides_and_splits_by_percent():
    assert targets(Canary(stable="v1", percent=10)) == [("v1", False, 90, "stable"), (None, True, 10, "canary")]
    assert targets(Canary(stable="v1", candidate="v3", percent=25, stable_tag=None)) == [
        ("v1", False, 75, None), ("v3", False, 25, "canary")]


def test_blue_green_tags_both_colours_and_sends_everything_to_the_live_one():
    blue_live = BlueGreen(blue="v1", green="v2", live=Colour.BLUE)
    assert targets(blue_live) == [("v1", False, 100, "blue"), ("v2", False, 0, "green")]
    assert targets(BlueGreen(blue="v1", green="v2", live=Colour.GREEN)) == [
        ("v1", False, 0, "blue"), ("v2", False, 100, "green")]


def test_gradual_rollout_is_an_annotation_on_a_latest_target():
    compiled = compile_traffic(Gradual(duration="10m"))
    assert [(t.latest, t.percent) for t in compiled.targets] == [(True, 100)]
    assert compiled.annotations == {ROLLOUT_DURATION_ANNOTATION: "10m"}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (Split(targets=(Target(revision="v1", percent=50), Target(latest=True, percent=40))),
         "services.api.traffic: percents sum to 90, must be 100"),
        (Split(targets=(Target(revision="v1", latest=True, percent=100),)),
         "services.api.traffic[0]: set either revision or latest: true, not both"),
        (Split(targets=(Target(revision="v1", percent=60, tag="x"), Target(latest=True, percent=40, tag="x"))),
         "services.api.traffic[1].tag: tag 'x' is used twice (also at services.api.traffic[0].tag); tags must be "
         "unique"),
        (Split(targets=(Target(revision="v1", percent=100, tag="Bad_Tag"),)),
         "services.api.traffic[0].tag: tag 'Bad_Tag' must be a DNS-1035 label: lowercase letters, digits and '-', "
         "starting with a letter and ending with a letter or digit"),
        (Split(targets=(Target(revision="v1", percent=120), Target(latest=True, percent=-20))),
         ["services.api.traffic[0].percent: is 120, must be between 0 and 100",
          "services.api.traffic[1].percent: is -20, must be between 0 and 100"]),
        (Split(targets=(Target(revision="v1", percent=80), Target(latest=True), Target(revision="v3"))),
         "services.api.traffic: only one target may leave out percent (it takes the remainder); targets [1, 2] do"),
        (Split(targets=(Target(revision="v1", percent=110), Target(latest=True))),
         ["services.api.traffic[0].percent: is 110, must be between 0 and 100",
          "services.api.traffic: the targets with a percent already take 110%, leaving nothing for target [1], "
          "which takes the remainder; they must sum to at most 100"]),
        (Split(targets=()), "services.api.traffic: an explicit split needs at least one target"),
        (Canary(stable="v1", percent=120), "services.api.traffic.canary.percent: is 120, must be between 0 and 100"),
        (Canary(stable="v1", candidate="v1", percent=10),
         "services.api.traffic.canary: stable and candidate are both 'v1'; the candidate must be another revision"),
        (Canary(stable="v1", percent=10, canary_tag="stable"),
         "services.api.traffic.canary.canaryTag: tag 'stable' is used twice (also at "
         "services.api.traffic.canary.stableTag); tags must be unique"),
        (BlueGreen(blue="v1", green="v1", live=Colour.BLUE),
         "services.api.traffic.blueGreen: blue and green are both 'v1'; they must be different revisions"),
        (Rollback(to="v2"), "services.api.traffic.rollback.to: 'v2' is the current revision; a rollback pins an older "
                            "one"),
        (Gradual(duration="ten minutes"), "services.api.traffic.gradual.duration: 'ten minutes' is not a duration; "
                                          "write it like 90s, 10m or 1h"),
        (Pin(revision="Version_1"), "services.api.traffic.pin.revision: revision name 'api-Version_1' must be a "
                                    "DNS-1035 label: lowercase letters, digits and '-', starting with a letter and "
                                    "ending with a letter or digit"),
        (Pin(revision="x" * 60), "services.api.traffic.pin.revision: revision name 'api-" + "x" * 60 + "' is 64 "
                                 "characters, must be at most 63; use a shorter suffix"),
        (Latest(tag="t" * 60), "services.api.traffic.latest.tag: the tag URL's first label '" + "t" * 60 + "-api' is "
                               "longer than 63 characters; shorten the tag"),
    ],
)
def test_invalid_policies_name_the_path_and_the_rule(policy, expected):
    expected = [expected] if isinstance(expected, str) else expected
    assert problems(policy) == expected  # the whole list: no second, spurious problem


def test_policies_may_name_revisions_when_knative_names_the_template():
    # kn's everyday flow: pin or split on the names Knative generated (api-00003).
    assert problems(Canary(stable="api-00003", percent=10), revision=None) == []
    assert problems(Pin(revision="00003"), revision=None) == []


@pytest.mark.parametrize(("ref", "expected"), [
    ("web-00003", "services.api.traffic.pin.revision: 'web-00003' is written like a Knative-generated revision "
                  "name but does not start with 'api-'; a service's traffic can only name its own revisions (write "
                  "'api-<suffix>' or just the suffix)"),
    ("api-" + "x" * 60, "services.api.traffic.pin.revision: revision name 'api-" + "x" * 60 + "' is 64 characters, "
                        "must be at most 63; use a shorter suffix"),
])
def test_full_names_of_other_services_are_refused(ref, expected):
    found = problems(Pin(revision=ref), revision=None)
    assert found == [expected]  # the whole list: no second, spurious problem


def test_rollback_to_the_current_revision_by_full_name_is_refused():
    assert problems(Rollback(to="api-v2"), revision="v2") == [
        "services.api.traffic.rollback.to: 'api-v2' is the current revision; a rollback pins an older one"]


@pytest.mark.parametrize("policy", [
    Latest(), Pin(revision="v1"), Rollback(to="v1", latest_tag="broken"), Rollback(to="v1"),
    Canary(stable="v1", percent=0),
    Canary(stable="v1", percent=100), BlueGreen(blue="v1", green="v2", live=Colour.GREEN), Gradual(duration="1h"),
])
def test_valid_policies_have_no_problems(policy):
    assert problems(policy) == []


def test_a_split_target_naming_neither_a_revision_nor_latest_is_the_latest():
    # knative/serving knative-v1.23.0 pkg/apis/serving/v1/route_defaults.go: LatestRevision defaults to
    # RevisionName == "", and the webhook then accepts the target.
    policy = Split(targets=(Target(percent=100, tag="now"),))
    assert traffic_problems(policy, "api", None, "services.api.traffic") == []
    assert compile_traffic(policy).targets == (Target(latest=True, percent=100, tag="now"),)


# (revision, latest) pairs a user writes for a split target; which revision each names (the latest is "@latest")
REFS = {(None, None): "@latest", (None, True): "@latest", ("@latest", None): "@latest", ("@latest", True): "@latest",
        ("v1", None): "api-v1", ("api-v1", None): "api-v1", ("v1", False): "api-v1", ("v2", None): "api-v2"}


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(REFS, key=str)), st.sampled_from([None, "a", "b"]),
                          st.integers(0, 100)), min_size=1, max_size=4))
def test_a_split_is_refused_for_a_repeated_untagged_share_exactly_when_kn_would(written):
    """kn refuses a revision reference, or @latest, repeated in --traffic (knative/client knative-v1.23.0
    pkg/traffic/compute.go verifyRevisionSumAndReferences); a tag makes a share its own identifier."""
    policy = Split(targets=tuple(Target(revision=r, latest=latest, percent=p, tag=tag)
                                 for (r, latest), tag, p in written))
    untagged = [REFS[ref] for ref, tag, _ in written if tag is None]
    repeated = [str(p) for p in problems(policy) if "untagged share" in p]
    assert len(repeated) == len(untagged) - len(set(untagged))
