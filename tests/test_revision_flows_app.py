"""Revisions across deployments of an app stack: the same flows, through a PlatformReference (under mocks)."""

from __future__ import annotations

import json

import pulumi
import pytest
from conftest import ROOT, k8s_objects

from components import KnativeApp, KnativeAppArgs, PlatformReference, PlatformReferenceArgs, Service
from components.errors import ConfigError
from components.offline.engine import RecordingMonitor, run_function
from components.offline.mocks import PlatformMocks
from components.spec.traffic import Canary, Latest, Pin, Rollback
from components.versions import SAMPLE_IMAGE

pytestmark = pytest.mark.usefixtures("failing_program")  # refused updates leave futures nobody awaits

PLATFORM = "organization/knative-platform/dev"
APP_STACK = "organization/team-app/dev"


def traffic(capture, name="web"):
    return k8s_objects(capture)[("Service", name)]["spec"]["traffic"]


def listed(capture, name="web"):
    """The ``kn revision list`` view of the revisions output: (name, percent, latest) newest first."""
    return [(r["name"], r["percent"], r.get("latest", False)) for r in capture.outputs["revisions"][name]["list"]]


def _platform_outputs():
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
    assert traffic(fresh)[0] == {"percent": 90, "revisionName": "web-v2", "tag": "stable"}
    capture = app_deploy(web("v1"), web("v2", Canary(stable="v1", percent=10), target="v2"))
    assert traffic(capture) == [
        {"percent": 90, "revisionName": "web-v1", "tag": "stable"},
        {"latestRevision": True, "percent": 10, "tag": "canary"},
    ]
    assert listed(capture) == [("web-v2", 10, True), ("web-v1", 90, False)]


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
    assert listed(renamed)[0] == ("web-v2", 100, True)
    generated = app_deploy(web(None), web(None, target="b"), web(None, Pin(revision="web-00001"), target="b"))
    assert traffic(generated) == [{"percent": 100, "revisionName": "web-00001"}]
    rolled = app_deploy(web("v1"), web("v2", target="2"), web("v3", target="3"),
                        web("v3", Rollback(to="v1"), target="3"))
    assert traffic(rolled) == [{"percent": 100, "revisionName": "web-v1"}]


def test_an_app_stack_refuses_traffic_to_a_revision_it_never_created():
    two = app_deploy(web("v1"), web("v2", target="2"))
    with pytest.raises(ConfigError, match="names revision web-v7, which no earlier deployment"):
        app_update(web("v3", Pin(revision="v7"), target="3"), two)


def test_a_knative_app_without_a_history_reads_its_stack_itself():
    first = None
    for service in (web("v1"), web("v1", target="changed")):
        outputs = {} if first is None else {APP_STACK: first.outputs}

        def program(service=service):
            provider = pulumi.ProviderResource("kubernetes", "cluster")
            app = KnativeApp(service.name, KnativeAppArgs(service=service, provider=provider, domain="example.com"))
            pulumi.export("revisions", {service.name: app.revisions})

        monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
        if first is None:
            first = run_function(program, project="team-app", stack="dev", monitor=monitor)
            history = first.named("web-history")
            assert history.inputs["name"] == APP_STACK
            assert history.parent == first.named("web", "knative-platform:index:KnativeApp").urn
            continue
        with pytest.raises(ConfigError, match="keeps the name web-v1"):
            run_function(program, project="team-app", stack="dev", monitor=monitor)
        assert not [r for r in monitor.recorded.values() if r.type.startswith("kubernetes:serving")]
