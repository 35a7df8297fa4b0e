"""Revisions across deployments of an app stack: the same flows, through a PlatformReference (under mocks)."""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from conftest import ROOT, k8s_objects

from knative_platform import KnativeApp, KnativeAppArgs, PlatformReference, PlatformReferenceArgs, Service
from knative_platform.model.service.traffic import Canary, Latest, Pin, Rollback
from knative_platform.offline.engine import RecordingMonitor, run_function
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.runtime.errors import ConfigError
from knative_platform.runtime.history import READ_STACK_OUTPUTS
from knative_platform.versions import SAMPLE_IMAGE

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
    assert "services.web.revision: the revision template changes (spec.containers[0].env[name=TARGET].value)" in str(
        info.value)
    created = [r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference"]
    assert created == [], created  # the platform stack's StackReference only


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


class ReadRecordingMocks(PlatformMocks):
    """The project's mocks, keeping the arguments of each read of a stack's outputs (the engine's invoke)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reads: list[dict] = []

    def call(self, args):
        if args.token == READ_STACK_OUTPUTS:
            self.reads.append(dict(args.args))
        return super().call(args)


def bare_apps(*services, previous=None, export=None):
    """A program of KnativeApps with their own provider (no PlatformReference); ``export``: its own revisions."""
    monitor = RecordingMonitor(
        ReadRecordingMocks(stack_outputs={} if previous is None else {APP_STACK: previous.outputs}))

    def program():
        provider = pulumi.ProviderResource("kubernetes", "cluster")
        apps = {s.name: KnativeApp(s.name, KnativeAppArgs(service=s, provider=provider, domain="example.com"))
                for s in services}
        if export is not None:
            pulumi.export("revisions", export(apps))

    return run_function(program, project="team-app", stack="dev", monitor=monitor), monitor


def test_knative_apps_remember_their_revisions_without_any_export():
    api = Service(name="api", namespace="team-app", image=SAMPLE_IMAGE, revision="v1", run_as_non_root=False)
    first, monitor = bare_apps(web("v1"), api)
    # One read of the stack's own outputs, by the first app, for all; by the bare name, which a self-managed
    # backend's legacy layout reads too. An invoke: no resource of its own.
    assert monitor.mocks.reads == [{"name": "dev"}]
    assert first.by_type("pulumi:pulumi:StackReference") == []
    assert sorted(first.outputs["revisions"]) == ["api", "web"]
    assert "revisions" not in first.component_outputs[first.named("web", "knative-platform:index:KnativeApp").urn]
    second, _ = bare_apps(web("v2", Canary(stable="v1", percent=10), target="v2"), api, previous=first)
    assert traffic(second)[0] == {"percent": 90, "revisionName": "web-v1", "tag": "stable"}
    with pytest.raises(ConfigError, match="keeps the name web-v1"):
        bare_apps(web("v1", target="changed"), api, previous=first)


def test_a_program_that_also_exports_revisions_keeps_the_record(caplog):
    first, _ = bare_apps(web("v1"), export=lambda apps: {name: app.revisions for name, app in apps.items()})
    assert first.outputs["revisions"]["web"]["list"][0]["name"] == "web-v1" and "exports its own" not in caplog.text
    other, _ = bare_apps(web("v1"), export=lambda apps: {"web": "something else"})
    assert other.outputs["revisions"] == first.outputs["revisions"]
    assert "the program exports its own 'revisions'; knative-platform records each KnativeApp's revisions there " \
           "itself" in caplog.text


def test_two_apps_of_one_service_name_are_refused_before_the_second_registers():
    with pytest.raises(ConfigError, match=r"services\.web: web is deployed twice by this program"):
        bare_apps(web("v1"), Service(name="web", namespace="other", image=SAMPLE_IMAGE))


def test_the_python_api_example_keeps_its_canary_across_deployments():
    """docs/python-api.md's KnativeApp example, as written, deployed three times: v1, a canary of v2, promote."""
    page = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page.split("<!-- example: knative-app -->", 1)[1], re.S).group(1)
    capture = None
    for config in ({"version": "v1"}, {"version": "v2", "stable": "v1"}, {"version": "v2"}):
        outputs = {} if capture is None else {"organization/api-app/dev": capture.outputs}
        capture = run_function(lambda: exec(compile(code, "python-api.md", "exec"), {"__name__": "__main__"}),
                               project="api-app", stack="dev", config={f"api-app:{k}": v for k, v in config.items()},
                               monitor=RecordingMonitor(PlatformMocks(stack_outputs=outputs)))
        if config.get("stable"):
            assert traffic(capture, "api") == [{"percent": 90, "revisionName": "api-v1", "tag": "stable"},
                                               {"latestRevision": True, "percent": 10, "tag": "canary"}]
    assert traffic(capture, "api") == [{"latestRevision": True, "percent": 100}]
    assert listed(capture, "api") == [("api-v2", 100, True), ("api-v1", 0, False)]


def test_the_python_api_offline_test_example_runs_and_its_assertions_hold():
    """docs/python-api.md's "Testing a program offline" example, as written: the Capture assertion API."""
    page = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page.split("<!-- example: offline-test -->", 1)[1], re.S).group(1)
    scope: dict[str, object] = {"__name__": "python_api_example"}
    exec(compile(code, "python-api.md", "exec"), scope)  # its own asserts are the check
    assert scope["service"].inputs["metadata"]["name"] == "api"


def test_an_app_stack_forgets_a_corrupted_record_with_the_same_setting():
    first = app_deploy(web("v1"))
    first.outputs["revisions"]["web"]["list"] = 5
    with pytest.raises(ConfigError, match=r"revisions\.web\.list: expected a list of at most 10000 revisions"):
        app_update(web("v1"), first)
    outputs = {PLATFORM: _platform_outputs(), APP_STACK: first.outputs}

    def program():
        platform = PlatformReference("platform", PlatformReferenceArgs(stack=PLATFORM, services=(web("v2"),)))
        KnativeApp("web", platform.app_args(web("v2")))

    capture = run_function(program, project="team-app", stack="dev",
                           config={"knative-platform:resetRevisionHistory": '["web"]'},
                           monitor=RecordingMonitor(PlatformMocks(stack_outputs=outputs)))
    assert listed(capture) == [("web-v2", 100, True)]
    with pytest.raises(ConfigError, match=r"knative-platform:resetRevisionHistory: expected a list of service names"):
        run_function(program, project="team-app", stack="dev",
                     config={"knative-platform:resetRevisionHistory": "web"},
                     monitor=RecordingMonitor(PlatformMocks(stack_outputs=outputs)))


def test_the_record_is_what_the_language_host_registers_too():
    """The Python SDK massages the stack's outputs before registering them (runtime/stack.py Stack._finish)."""
    from pulumi.runtime.stack import massage

    def program():
        provider = pulumi.ProviderResource("kubernetes", "cluster")
        KnativeApp("web", KnativeAppArgs(service=web("v1"), provider=provider, domain="example.com"))
        root = pulumi.runtime.get_root_resource()
        pulumi.export("massaged", massage({"revisions": root.outputs["revisions"]}, []))

    capture = run_function(program, project="team-app", stack="dev",
                           monitor=RecordingMonitor(PlatformMocks(stack_outputs={})))
    assert capture.outputs["massaged"] == {"revisions": capture.outputs["revisions"]}
    assert list(capture.outputs["revisions"]) == ["web"]


def test_the_offline_engine_answers_a_stack_read_as_the_sdks_mock_monitor_would():
    """RecordingMonitor builds the read's answer with protobuf (as the engine answers it in Go), not value by value
    through the SDK's serializer: the program must receive the same values either way."""
    from pulumi.runtime.mocks import MockMonitor

    outputs = {"revisions": {"api": {"generation": 3, "list": [{"name": "api-v1", "percent": 100, "tags": []}],
                                     "namespace": None}},
               "kubeconfig": "[secret]", "nested": {"empty": {}, "values": [None, 1.5, 2, True, "x"]},
               "gatewayAddress": None}
    class SdkAnswers(RecordingMonitor):
        def Invoke(self, request):  # noqa: N802 - gRPC method name
            return MockMonitor.Invoke(self, request)

    answers = []
    for monitor_class in (SdkAnswers, RecordingMonitor):
        monitor = monitor_class(PlatformMocks(stack_outputs={APP_STACK: outputs}))

        def program():
            answers.append(pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": "dev"}).value)

        run_function(program, project="team-app", stack="dev", monitor=monitor)
    assert answers[0] == answers[1]
    assert answers[1]["outputs"]["revisions"]["api"]["list"][0]["name"] == "api-v1"
