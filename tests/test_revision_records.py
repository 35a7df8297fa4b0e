"""The revision record read back: small, no clock, and a corrupted or hand-edited one refused, never a traceback."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knative_platform.manifests.knative import render_service
from knative_platform.model.revisions.revision_record import MAX_GENERATION, read_service_history
from knative_platform.model.revisions.revisions import Previous, plan_service, revisions_output
from knative_platform.model.service.service import Service
from knative_platform.model.service.traffic import Canary

IMAGE = "ghcr.io/example/api:1.0"
API = Service(name="api", image=IMAGE, revision="v2", env={"LOG_LEVEL": "info"},
              traffic=Canary(stable="v1", percent=10))
TEMPLATE = render_service(API)["spec"]["template"]


def planned(previous: Previous):
    return plan_service(API, TEMPLATE, previous, "services.api")


def good_record() -> dict:
    """api's record after a first deployment of v1 and a second of v2."""
    first = Service(name="api", image=IMAGE, revision="v1")
    plan, _ = plan_service(first, render_service(first)["spec"]["template"], Previous(), "services.api")
    one = revisions_output(plan, render_service(plan.service)["spec"]["traffic"])
    plan, problems = planned(Previous(revisions={"api": one}, deployed=True))
    assert problems == []
    return revisions_output(plan, render_service(plan.service)["spec"]["traffic"])


@pytest.mark.parametrize(("entry", "path", "said"), [
    ({"list": 5}, "revisions.api.list", "expected a list of at most 10000 revisions, got integer 5"),
    ({"list": [{"name": "api-v1", "generation": math.inf}]}, "revisions.api.list[0].generation",
     "expected a whole number from 1 to 1000000000, got number .inf"),
    ({"list": [{"name": "api-v1", "generation": math.nan}]}, "revisions.api.list[0].generation", "got number"),
    ({"list": [{"name": "api-v1", "generation": 10 ** 30}]}, "revisions.api.list[0].generation", "got integer"),
    ({"list": [{"name": "api-v1", "generation": 1.5}]}, "revisions.api.list[0].generation", "got number 1.5"),
    ({"list": [{"name": "api-v1", "generation": True}]}, "revisions.api.list[0].generation", "got boolean true"),
    ({"generation": -1, "list": []}, "revisions.api.generation", "got integer -1"),
    ({"list": [{"name": 7}]}, "revisions.api.list[0].name", "expected a revision name, got integer 7"),
    ({"list": [{"name": "API V1"}]}, "revisions.api.list[0].name", "must be a DNS-1035 label"),
    ({"list": ["api-v1"]}, "revisions.api.list[0]", "expected a map (a revision), got string 'api-v1'"),
    ({"list": [{"name": "api-v1", "digest": "md5:x"}]}, "revisions.api.list[0].digest", "expected a string like"),
    ({"list": [{"name": "api-v1", "fields": "xyz"}]}, "revisions.api.list[0].fields", "expected a string like"),
    ({"list": [{"name": "api-v1", "latest": "yes"}]}, "revisions.api.list[0].latest", "expected true or false"),
    ({"list": [{"name": "api-v1"}, {"name": "api-v1"}]}, "revisions.api.list[1].name", "api-v1 is listed twice"),
    ({"list": [{"name": "api-v1", "latest": True}, {"name": "api-v2", "latest": True}]},
     "revisions.api.list[1].latest", "api-v1 is already the latest revision"),
    ({"generation": 1, "list": [{"name": "api-v3", "generation": 3}]}, "revisions.api.generation",
     "a revision of the list was created by generation 3"),
    ({"namespace": 5}, "revisions.api.namespace", "expected a namespace, got integer 5"),
    ([1, 2], "revisions.api", "expected a map (the service's revisions), got a list"),
    ("API", "revisions.api", "must be a DNS-1035 label"),
])
def test_a_corrupted_record_is_refused_with_its_path_and_the_way_out(entry, path, said):
    plan, problems = planned(Previous(revisions={"api": entry}, deployed=True))
    assert plan is None
    assert [p.path for p in problems] == [path]
    (problem,) = problems
    assert said in problem.message, problem.message
    assert "the stack's record of api's revisions cannot be read; it was edited or corrupted" in problem.message
    assert "pulumi config set --path 'knative-platform:resetRevisionHistory[0]' api" in problem.message
    assert "Remove the setting after that update" in problem.message


def test_a_revisions_output_that_is_no_map_is_refused():
    _, problems = planned(Previous(revisions=[1, 2, 3], deployed=True))
    assert [p.path for p in problems] == ["revisions"]
    assert "not a map of service to revisions" in problems[0].message


def test_many_problems_in_one_record_are_summed_up():
    entry = {"list": [{"name": i} for i in range(50)]}
    _, problems = planned(Previous(revisions={"api": entry}, deployed=True))
    assert len(problems) == 5 and "(and 45 more problem(s) in this record)" in problems[-1].message


def test_the_reset_setting_forgets_one_services_record_and_says_so():
    previous = Previous(revisions={"api": {"list": 5}}, deployed=True, reset=frozenset({"api"}))
    plan, problems = planned(previous)
    assert problems == [] and plan.revision == "api-v2" and [r.name for r in plan.history.revisions] == ["api-v2"]
    assert plan.notes[0] == ("services.api: this update forgets the stack's record of api's revisions "
                             "(knative-platform:resetRevisionHistory) and records it afresh; remove the setting "
                             "after this update")
    assert "api-v1 does not exist yet: the stack's record of api is forgotten " \
           "(knative-platform:resetRevisionHistory)" in plan.notes[1]
    assert planned(Previous(revisions={"api": {"list": 5}}, deployed=True, reset=frozenset({"*"})))[1] == []


@pytest.mark.parametrize(("previous", "why"), [
    (Previous(), "this stack has no earlier deployment"),
    (Previous(revisions=None, deployed=True), "the stack's last deployment recorded no revisions (its program did "
                                              "not export them; knative-platform records them itself now)"),
    (Previous(revisions={"web": {"list": []}}, deployed=True),
     "the stack's last deployment has no record of api (a service new to this stack)"),
])
def test_the_first_revision_warning_names_the_real_cause(previous, why):
    plan, problems = planned(previous)
    assert problems == []
    assert plan.notes[0].startswith(f"services.api.traffic.canary.stable: api-v1 does not exist yet: {why}, and "
                                    "api-v2 is api's only revision")


def test_a_record_is_small_and_holds_no_clock():
    record = good_record()
    assert [row["name"] for row in record["list"]] == ["api-v2", "api-v1"]
    assert "created" not in json.dumps(record)
    # per revision: name, generation, image, share, tags, a 128-bit spec digest; the latest also its template's
    # digest and one 8-character hash per template field (about 20 fields here)
    assert len(json.dumps(record, separators=(",", ":"))) < 700, len(json.dumps(record))
    assert planned(Previous(revisions={"api": record}, deployed=True))[1] == []


def test_a_hand_edit_that_keeps_the_shape_is_read():
    record = good_record()
    record["list"][0]["generation"] = 2.0  # the engine sends numbers as doubles
    record["list"][1]["tags"] = "anything"  # the kn-revision-list view is not read back
    history, problems = read_service_history({"api": record}, "api")
    assert problems == [] and history.generation == 2


# -- generated garbage ------------------------------------------------------------------------------

leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 20, max_value=10 ** 20),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                 st.sampled_from(["api-v1", "api-v2", "api-00001", "sha256:" + "a" * 32, "0123abcd"]))
garbage = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["name", "list", "generation", "latest", "digest", "specDigest", "fields",
                                     "generated", "namespace", "image", "x"]), inner, max_size=6)), max_leaves=25)
rows = st.lists(st.fixed_dictionaries({"name": st.sampled_from(["api-v1", "api-v2", "api-00001"])},
                                      optional={"generation": leaf, "latest": leaf, "digest": leaf,
                                                "specDigest": leaf, "fields": leaf, "generated": leaf,
                                                "image": leaf}), max_size=4)
records = st.one_of(garbage, st.fixed_dictionaries({}, optional={
    "list": st.one_of(rows, garbage), "generation": leaf, "namespace": leaf}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=records, whole=st.booleans())
def test_any_record_gives_a_plan_or_a_clean_refusal(entry, whole):
    previous = Previous(revisions=entry if whole else {"api": entry}, deployed=True)
    plan, problems = planned(previous)  # never raises
    assert (plan is None) == bool(problems)
    if any(p.path.startswith("revisions") for p in problems):  # else a plan's own refusal (traffic, names)
        assert all(p.path.startswith("revisions") for p in problems)
        assert "knative-platform:resetRevisionHistory" in problems[-1].message
    if plan is not None:
        output = revisions_output(plan, render_service(plan.service)["spec"]["traffic"])
        assert all(0 < row.get("generation", 1) <= MAX_GENERATION + 1 for row in output["list"])
        json.dumps(output, allow_nan=False)  # a record the engine can store
