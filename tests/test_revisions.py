"""The pure revision plan: digests, history read back from outputs, Knative's naming and refusal rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from knative_platform.manifests.knative import render_service
from knative_platform.model.core.names import revision_full_name
from knative_platform.model.revisions.revision_record import (
    KEEP_UNROUTED,
    ServiceHistory,
    changed_fields,
    read_service_history,
    template_digest,
    template_fields,
)
from knative_platform.model.revisions.revisions import plan_revisions, revisions_output
from knative_platform.model.service.service import Service
from knative_platform.model.service.traffic import BlueGreen, Canary, Colour, Latest, Pin, Rollback, Split, Target

IMAGE = "ghcr.io/knative/helloworld-go:latest"


def api(revision=None, traffic=None, target="one"):
    return Service(name="api", image=IMAGE, revision=revision, env={"TARGET": target}, traffic=traffic or Latest())


def plan(service, history=None):
    template = render_service(service)["spec"]["template"]
    return plan_revisions(service, template, history or ServiceHistory(), "services.api")


def read_history(previous, name="api"):
    history, problems = read_service_history(previous, name)
    assert problems == [], problems
    return history


def after(*services):
    """The history after deploying ``services`` one after another (each through the stack output)."""
    history = ServiceHistory()
    for service in services:
        result, problems = plan(service, history)
        assert problems == [], problems
        output = revisions_output(result, render_service(result.service)["spec"]["traffic"])
        history = read_history({"api": output})
    return history


def test_the_digest_is_of_canonical_json_and_leaves_the_name_out():
    template = render_service(api("v1"))["spec"]["template"]
    reordered = {"spec": template["spec"], "metadata": dict(reversed(list(template["metadata"].items())))}
    assert template_digest(template) == template_digest(reordered)
    renamed = {**template, "metadata": {**template["metadata"], "name": "api-v9"}}
    assert template_digest(renamed) == template_digest(template)
    assert template_digest(render_service(api("v1", target="two"))["spec"]["template"]) != template_digest(template)


def test_changed_fields_name_paths_as_the_offline_diff_writes_them():
    one = template_fields(render_service(api("v1"))["spec"]["template"])
    two = template_fields(render_service(api("v1", target="two"))["spec"]["template"])
    assert changed_fields("".join(sorted(one.values())), two) == (["spec.containers[0].env[name=TARGET].value"], 0)
    assert 'metadata.annotations["autoscaling.knative.dev/min-scale"]' in one


def test_an_added_variable_is_named_once_and_a_removed_one_is_counted():
    base = Service(name="api", image=IMAGE, revision="v1", env={"A": "1", "B": "2"})
    recorded = "".join(sorted(template_fields(render_service(base)["spec"]["template"]).values()))
    added = template_fields(render_service(replace(base, env={"A": "1", "B": "2", "C": "3"}))["spec"]["template"])
    assert changed_fields(recorded, added) == (["spec.containers[0].env[name=C]"], 0)
    removed = template_fields(render_service(replace(base, env={"B": "2"}))["spec"]["template"])
    assert changed_fields(recorded, removed) == ([], 2)  # A's name and value


@pytest.mark.parametrize(("ref", "full"), [
    ("v3", "api-v3"), ("api-v3", "api-v3"), ("00003", "api-00003"), ("api-00003", "api-00003"),
    ("apiv3", "api-apiv3"),
])
def test_revisions_are_named_by_suffix_or_by_full_name(ref, full):
    assert revision_full_name("api", ref) == full


def test_the_service_revision_is_not_prefixed_twice():
    assert api("api-v3").revision_name == "api-v3"
    result, _ = plan(api("api-v3"))
    assert result.revision == "api-v3"


def test_a_fresh_service_records_one_revision_with_its_share():
    result, problems = plan(api("v1"))
    assert problems == [] and result.notes == ()
    output = revisions_output(result, render_service(result.service)["spec"]["traffic"])
    (row,) = output["list"]
    assert output["generation"] == 1
    assert {k: row[k] for k in ("name", "image", "percent", "latest", "generation")} == {
        "name": "api-v1", "image": IMAGE, "percent": 100, "latest": True, "generation": 1}
    assert "created" not in row  # no clock: a preview and the update after it record the same


@pytest.mark.parametrize(("policy", "expected"), [
    (Canary(stable="v1", percent=20), [("api-v2", 80, "stable"), (None, 20, "canary")]),
    (BlueGreen(blue="v1", green="v2", live=Colour.BLUE), [("api-v2", 100, "blue"), ("api-v2", 0, "green")]),
    (Pin(revision="v1"), [("api-v2", 100, None)]),
])
def test_on_a_first_revision_targets_that_name_missing_revisions_go_to_it(policy, expected):
    result, problems = plan(api("v2", policy))
    assert problems == []
    assert isinstance(result.service.traffic, Split)
    assert [(t.revision, t.percent, t.tag) for t in result.service.traffic.targets] == expected
    assert result.notes and "api-v1 does not exist yet" in result.notes[0]


def test_a_first_revision_knative_names_gets_missing_targets_as_latest():
    result, _ = plan(api(None, Pin(revision="api-00007")))
    assert result.revision == "api-00001"
    assert result.service.traffic.targets == (Target(latest=True, percent=100),)


def test_generated_names_follow_the_configuration_generation():
    history = after(api(), api(target="two"), api("v3", target="three"), api(target="four"))
    assert [r.name for r in history.revisions] == ["api-00001", "api-00002", "api-v3", "api-00004"]
    assert history.generation == 4 and history.latest == "api-00004"
    # an unchanged Knative-named template is the same revision
    result, _ = plan(api(target="four"), history)
    assert result.revision == "api-00004" and result.history.generation == 4


def test_a_changed_template_under_the_last_name_is_refused_with_its_fields():
    history = after(api("v1"))
    result, problems = plan(api("v1", target="two"), history)
    assert result is None
    assert [p.path for p in problems] == ["services.api.revision"]
    assert "(spec.containers[0].env[name=TARGET].value) but keeps the name api-v1" in problems[0].message
    assert "(for example v2)" in problems[0].message


def test_an_older_name_may_come_back_only_with_its_own_spec():
    history = after(api("v1"), api("v2", target="two"))
    same, problems = plan(api("v1"), history)  # Knative reuses the revision whose spec matches
    assert problems == [] and same.revision == "api-v1" and same.history.generation == 3
    _, problems = plan(api("v1", target="three"), history)
    assert "api-v1 is an earlier revision of this stack with another spec" in problems[0].message


@pytest.mark.parametrize("policy", [Pin(revision="v9"), Rollback(to="v9"), Canary(stable="api-v9", percent=5),
                                    Split(targets=(Target(revision="v9", percent=50), Target(latest=True)))])
def test_naming_a_revision_that_does_not_exist_is_refused_once_others_exist(policy):
    history = after(api("v1"))
    _, problems = plan(api("v2", policy, target="two"), history)
    assert len(problems) == 1
    assert "names revision api-v9, which no earlier deployment of this stack created" in problems[0].message
    assert "api's revisions are api-v1, api-v2" in problems[0].message


def test_legacy_outputs_hold_only_the_current_name():
    previous = {"api": "api-v2", "web": None}
    history = read_history(previous)
    assert history.latest == "api-v2" and [r.name for r in history.revisions] == ["api-v2"]
    assert read_history(previous, "web") == read_history(previous, "other") == read_history(None) == ServiceHistory()
    result, problems = plan(api("v2"), history)  # no digest to compare: the same revision
    assert problems == [] and result.revision == "api-v2"
    assert result.history.named("api-v2").digest  # and from now on the record has one


def test_records_written_before_keep_working():
    """Older records carry creation times, 256-bit digests and positional field digests: read, not refused."""
    template = render_service(api("v1"))["spec"]["template"]
    old = {"namespace": "default", "generation": 1, "list": [{
        "name": "api-v1", "created": "2026-01-01T00:00:00Z", "image": IMAGE, "digest": template_digest(template),
        "specDigest": "sha256:" + "0" * 64, "percent": 100, "generation": 1.0, "latest": True,
        "fieldDigests": {"spec.containers[0].env[0].value": "abc"}}]}
    history = read_history({"api": old})
    same, problems = plan(api("v1"), history)
    assert problems == [] and same.revision == "api-v1"
    _, problems = plan(api("v1", target="two"), history)
    assert "changes (its digest) but keeps the name api-v1" in problems[0].message


def test_the_output_keeps_routed_revisions_and_the_newest_unrouted_ones():
    first = [api("v1")]
    later = [api(f"v{i}", Canary(stable="v1", percent=10), target=str(i)) for i in range(2, KEEP_UNROUTED + 5)]
    history = after(*first, *later)
    names = [r.name for r in history.revisions]
    assert "api-v1" in names and "api-v2" not in names  # v1 keeps its 90%; v2 is the oldest without traffic
    assert len(names) == KEEP_UNROUTED + 2  # the routed v1, the newest unrouted ones and the latest
    result, problems = plan(api(f"v{KEEP_UNROUTED + 9}", Canary(stable="v1", percent=10), target="x"), history)
    assert problems == [], problems
    output = revisions_output(result, render_service(result.service)["spec"]["traffic"])
    assert ["fields" in row for row in output["list"]].count(True) == 1  # field hashes: the latest only


def test_a_revision_the_stack_forgot_is_refused_like_an_unknown_one():
    history = after(*[api(f"v{i}", target=str(i)) for i in range(1, KEEP_UNROUTED + 3)])
    _, problems = plan(api(f"v{KEEP_UNROUTED + 2}", Rollback(to="v1"), target=str(KEEP_UNROUTED + 2)), history)
    assert "names revision api-v1, which no earlier deployment of this stack created" in problems[0].message


def test_a_service_moved_to_another_namespace_starts_a_new_history():
    history = after(api("v1"), api("v2", target="two"))
    moved = Service(name="api", namespace="shop", image=IMAGE, revision="v3", traffic=Pin(revision="v1"))
    result, problems = plan(moved, history)  # a new Service: v1 went with the old one, nothing else to route to
    assert problems == [] and [r.name for r in result.history.revisions] == ["api-v3"]
    assert result.notes and "api-v1 does not exist yet" in result.notes[0]
