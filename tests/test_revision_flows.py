"""Revisions across deployments, as ``pulumi up`` runs them one after another (under the project's mocks).

Each update reads the previous one's outputs through the stack's reference to
itself (:mod:`components.history`): ``run_stack(..., previous=capture)`` answers
that reference with ``capture``'s outputs, as the engine answers it with the
last update's.
"""

from __future__ import annotations

import json

import pytest
from conftest import k8s_objects, refused_update, run_stack

from components import KnativeApp, PlatformReference, PlatformReferenceArgs, Service
from components.errors import ConfigError
from components.offline.engine import RecordingMonitor, run_function
from components.offline.mocks import PlatformMocks
from components.spec.traffic import Canary, Latest, Pin, Rollback
from components.versions import SAMPLE_IMAGE

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


def deploy(*updates):
    """Run each update after the previous one, as successive ``pulumi up`` of the staging stack."""
    capture = None
    for overrides in updates:
        capture = run_stack("staging", overrides, previous=capture)
    return capture


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
    assert record["created"] == "1970-01-01T00:00:00Z"  # the offline render has no clock
    assert record["tags"] == ["stable", "canary"]


def test_a_fresh_prod_stack_deploys_its_blue_green():
    capture = run_stack("prod")
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
        "services.helloworld-go.revision: the revision template changes (spec.containers[0].env[0].value) but "
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


# -- an app stack through PlatformReference ---------------------------------------------------------

PLATFORM = "organization/knative-platform/dev"
APP_STACK = "organization/team-app/dev"


def _platform_outputs():
    from conftest import ROOT

    return json.loads((ROOT / "examples" / "team-app" / "stacks" / "stack-outputs.json").read_text())[PLATFORM]


def web(revision, traffic=None, target="v1"):
    return Service(name="web", namespace="team-app", image=SAMPLE_IMAGE, revision=revision, env={"TARGET": target},
                   traffic=traffic or Latest(), run_as_non_root=False)


def app_update(service, previous=None, monitor=None):
    """One ``pulumi up`` of an app stack that deploys ``service`` through a PlatformReference."""
    outputs = {PLATFORM: _platform_outputs()}
    if previous is not None:
        outputs[APP_STACK] = previous.outputs

    def program():
        import pulumi

        platform = PlatformReference("platform", PlatformReferenceArgs(stack=PLATFORM, services=(service,)))
        app = KnativeApp(service.name, platform.app_args(service))
        pulumi.export("revisions", {service.name: app.revisions})

    return run_function(program, project="team-app", stack="dev",
                        monitor=monitor or RecordingMonitor(PlatformMocks(stack_outputs=outputs)))


def app_deploy(*services):
    capture = None
    for service in services:
        capture = app_update(service, capture)
    return capture


def test_an_app_stack_deploys_fresh_then_adds_a_canary_on_its_first_revision():
    fresh = app_update(web("v2", Canary(stable="v1", percent=10)))
    assert traffic(fresh, "web")[0] == {"percent": 90, "revisionName": "web-v2", "tag": "stable"}
    capture = app_deploy(web("v1"), web("v2", Canary(stable="v1", percent=10), target="v2"))
    assert traffic(capture, "web") == [
        {"percent": 90, "revisionName": "web-v1", "tag": "stable"},
        {"latestRevision": True, "percent": 10, "tag": "canary"},
    ]
    assert listed(capture, "web") == [("web-v2", 10, True), ("web-v1", 90, False)]


def test_an_app_stack_refuses_a_forgotten_rename_before_any_kubernetes_object():
    first = app_deploy(web("v1"))
    outputs = {PLATFORM: _platform_outputs(), APP_STACK: first.outputs}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError) as info:
        app_update(web("v1", target="changed"), first, monitor=monitor)
    assert "services.web.revision: the revision template changes (spec.containers[0].env[0].value)" in str(info.value)
    created = [r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference"]
    assert created == [], created


def test_an_app_stack_accepts_a_rename_pins_a_generated_name_and_rolls_back_two_deployments():
    renamed = app_deploy(web("v1"), web("v2", target="changed"))
    assert listed(renamed, "web")[0] == ("web-v2", 100, True)
    generated = app_deploy(web(None), web(None, target="b"), web(None, Pin(revision="web-00001"), target="b"))
    assert traffic(generated, "web") == [{"percent": 100, "revisionName": "web-00001"}]
    rolled = app_deploy(web("v1"), web("v2", target="2"), web("v3", target="3"),
                        web("v3", Rollback(to="v1"), target="3"))
    assert traffic(rolled, "web") == [{"percent": 100, "revisionName": "web-v1"}]


def test_an_app_stack_refuses_traffic_to_a_revision_it_never_created():
    two = app_deploy(web("v1"), web("v2", target="2"))
    with pytest.raises(ConfigError, match="names revision web-v7, which no earlier deployment"):
        app_update(web("v3", Pin(revision="v7"), target="3"), two)
