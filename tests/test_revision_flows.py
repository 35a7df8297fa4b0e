"""Revisions across deployments, as ``pulumi up`` runs them one after another (under the project's mocks).

Each update reads the previous one's outputs through the stack's reference to
itself (:mod:`knative_platform.runtime.history`): ``run_stack(..., previous=capture)`` answers
that reference with ``capture``'s outputs, as the engine answers it with the
last update's.
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import ROOT, STACKS, committed, k8s_objects, refused_update, run_stack

from knative_platform.offline.engine import Capture
from knative_platform.versions import SAMPLE_IMAGE

HELLO = "helloworld-go"

pytestmark = pytest.mark.usefixtures("failing_program")  # refused updates leave futures nobody awaits


def hello(revision=None, traffic=None, target="v1", **more):
    """Staging's helloworld-go service as stack config, with the revision and traffic a test needs."""
    body = {"image": SAMPLE_IMAGE, "runAsNonRoot": False, "env": {"TARGET": target}, **more}
    if revision is not None:
        body["revision"] = revision
    if traffic is not None:
        body["traffic"] = traffic
    return {"services": {HELLO: body}}


def traffic(capture, name=HELLO):
    return k8s_objects(capture)[("Service", name)]["spec"]["traffic"]


def listed(capture, name=HELLO):
    """The ``kn revision list`` view of the revisions output: (name, percent, latest) newest first."""
    return [(r["name"], r["percent"], r.get("latest", False)) for r in capture.outputs["revisions"][name]["list"]]


_DEPLOYED: dict[str, Capture] = {}
"""Each sequence of updates this file has run, by its config: renders are deterministic, so one run serves all."""


def deploy(*updates):
    """Run each update after the previous one, as successive ``pulumi up`` of the staging stack.

    A sequence an earlier test ran (the same updates over the same outputs) is not run again; every caller gets
    a copy of its own, which it may edit as a hand edit of the state would.
    """
    capture = None
    for i, overrides in enumerate(updates):
        key = json.dumps(updates[: i + 1], sort_keys=True)
        if key not in _DEPLOYED:
            _DEPLOYED[key] = run_stack("staging", overrides, previous=capture)
        capture = _DEPLOYED[key]
    return copy.deepcopy(capture)


# -- the platform stack --------------------------------------------------------------------------


def test_a_fresh_stack_deploys_its_canary_on_its_only_revision(caplog):
    capture = run_stack("staging")
    # helloworld-go-v1 was never created on a fresh stack: v2 takes both sides, and the user is told
    assert traffic(capture) == [
        {"percent": 80, "revisionName": "helloworld-go-v2", "tag": "stable"},
        {"latestRevision": True, "percent": 20, "tag": "canary"},
    ]
    assert listed(capture) == [("helloworld-go-v2", 100, True)]
    assert "services.helloworld-go.traffic.canary.stable: helloworld-go-v1 does not exist yet" in caplog.text
    record = capture.outputs["revisions"][HELLO]["list"][0]
    assert record["image"] == SAMPLE_IMAGE and record["digest"].startswith("sha256:")
    assert "created" not in record  # no clock: a preview and the update after it record the same
    assert record["tags"] == ["stable", "canary"]


@pytest.mark.parametrize(("project", "stack"), [*((".", s) for s in STACKS), ("examples/team-app", "dev"),
                                                 ("examples/team-app", "prod")])
def test_no_shipped_stack_names_a_revision_it_does_not_create_on_a_fresh_stack(project, stack):
    capture = committed(stack) if project == "." else run_stack(stack, project=ROOT / project)
    for (kind, _name), obj in k8s_objects(capture).items():
        if kind != "Service" or "template" not in obj["spec"]:
            continue
        own = obj["spec"]["template"]["metadata"].get("name")
        named = {t["revisionName"] for t in obj["spec"]["traffic"] if "revisionName" in t}
        assert named <= {own}, (stack, named)


def test_a_fresh_prod_stack_deploys_its_blue_green():
    capture = committed("prod")
    assert traffic(capture) == [
        {"percent": 100, "revisionName": "helloworld-go-v2", "tag": "blue"},
        {"percent": 0, "revisionName": "helloworld-go-v2", "tag": "green"},
    ]


def test_a_second_update_adds_a_canary_on_the_first_revision():
    capture = deploy(hello("v1"), hello("v2", {"canary": {"stable": "v1", "percent": 20}}, target="v2"))
    assert traffic(capture) == [
        {"percent": 80, "revisionName": "helloworld-go-v1", "tag": "stable"},
        {"latestRevision": True, "percent": 20, "tag": "canary"},
    ]
    assert listed(capture) == [("helloworld-go-v2", 20, True), ("helloworld-go-v1", 80, False)]
    generations = [r["generation"] for r in capture.outputs["revisions"][HELLO]["list"]]
    assert generations == [2, 1]


def test_an_unchanged_update_keeps_the_record():
    first = deploy(hello("v1"))
    again = run_stack("staging", hello("v1"), previous=first)
    assert again.outputs["revisions"] == first.outputs["revisions"]


def test_a_template_change_without_a_rename_is_refused_before_anything_registers():
    first = deploy(hello("v1"))
    error = refused_update("staging", hello("v1", target="changed"), first)
    assert str(error).startswith(
        "services.helloworld-go.revision: the revision template changes (spec.containers[0].env[name=TARGET].value) "
        "but "
        "keeps the name helloworld-go-v1, which the last deployment created; Knative's webhook refuses that")
    assert "Give this template a new revision suffix (for example v2)" in str(error)


def test_a_template_change_with_a_rename_is_accepted():
    capture = deploy(hello("v1"), hello("v2", target="changed"))
    assert listed(capture) == [("helloworld-go-v2", 100, True), ("helloworld-go-v1", 0, False)]


def test_traffic_naming_a_revision_no_deployment_created_is_refused_with_the_ones_that_exist():
    two = deploy(hello("v1"), hello("v2", target="v2"))
    error = refused_update("staging", hello("v3", {"canary": {"stable": "v9", "percent": 10}}, target="v3"), two)
    assert str(error) == (
        "services.helloworld-go.traffic.canary.stable: names revision helloworld-go-v9, which no earlier "
        "deployment of this stack created and this update does not create; helloworld-go's revisions are "
        "helloworld-go-v1, helloworld-go-v2, helloworld-go-v3. Name one of them, or create helloworld-go-v9 "
        "first: deploy it as the service's revision (revision: v9) with traffic: latest, then add this policy")


def test_traffic_may_pin_a_name_knative_generated():
    # kn's flow: the template names no revision; Knative calls them helloworld-go-00001, -00002 ...
    capture = deploy(hello(), hello(target="second"), hello(target="third", traffic={"pin": "helloworld-go-00001"}))
    assert traffic(capture) == [{"percent": 100, "revisionName": "helloworld-go-00001"}]
    assert listed(capture) == [("helloworld-go-00003", 0, True), ("helloworld-go-00002", 0, False),
                               ("helloworld-go-00001", 100, False)]
    # the same revision by its suffix, as the platform's own names are written
    again = run_stack("staging", hello(target="third", traffic={"pin": "00002"}), previous=capture)
    assert traffic(again) == [{"percent": 100, "revisionName": "helloworld-go-00002"}]


def test_a_rollback_goes_to_a_revision_two_deployments_back():
    capture = deploy(hello("v1"), hello("v2", target="v2"), hello("v3", target="v3"),
                     hello("v3", {"rollback": {"to": "v1", "latestTag": "broken"}}, target="v3"))
    assert traffic(capture) == [
        {"percent": 100, "revisionName": "helloworld-go-v1"},
        {"latestRevision": True, "percent": 0, "tag": "broken"},
    ]
    assert listed(capture)[-1] == ("helloworld-go-v1", 100, False)


def test_a_full_revision_name_is_not_prefixed_twice():
    capture = deploy(hello("helloworld-go-v1"), hello("helloworld-go-v2", {"pin": "helloworld-go-v1"}, target="x"))
    assert traffic(capture) == [{"percent": 100, "revisionName": "helloworld-go-v1"}]
    template = k8s_objects(capture)[("Service", HELLO)]["spec"]["template"]
    assert template["metadata"]["name"] == "helloworld-go-v2"


def test_reusing_an_older_revision_name_for_another_template_is_refused():
    two = deploy(hello("v1"), hello("v2", target="v2"))
    error = refused_update("staging", hello("v1", target="v3"), two)
    assert "helloworld-go-v1 is an earlier revision of this stack with another spec; Knative refuses to reuse " \
           "its name" in str(error)


def test_a_corrupted_record_refuses_the_update_before_anything_but_the_read():
    first = deploy(hello("v1"))
    first.outputs["revisions"][HELLO]["list"][0]["generation"] = "inf"  # as a hand edit of the state would
    error = refused_update("staging", hello("v1"), first)
    assert str(error).startswith(f"revisions.{HELLO}.list[0].generation: expected a whole number from 1 to "
                                 "1000000000, got string 'inf': the stack's record of helloworld-go's revisions "
                                 "cannot be read; it was edited or corrupted")


def test_the_reset_setting_of_the_stack_forgets_a_corrupted_record(caplog):
    first = deploy(hello("v1"))
    first.outputs["revisions"][HELLO] = {"list": 5}
    capture = run_stack("staging", {**hello("v2", {"canary": {"stable": "v1", "percent": 20}}, target="v2"),
                                    "resetRevisionHistory": [HELLO]}, previous=first)
    assert listed(capture) == [("helloworld-go-v2", 100, True)]  # recorded afresh; v1 is forgotten
    assert "this update forgets the stack's record of helloworld-go's revisions" in caplog.text
    with pytest.raises(Exception, match=r"resetRevisionHistory\[0\]: no service is called 'helo'"):
        run_stack("staging", {**hello("v1"), "resetRevisionHistory": ["helo"]}, previous=first)
