"""The real program, run per stack under the project's mocks: what it registers and exports."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, STACKS, committed, k8s_objects, run_stack

from knative_platform import versions
from knative_platform.offline.stackfile import load_program_config

IMAGE = versions.SAMPLE_IMAGE
KSVC = "kubernetes:serving.knative.dev/v1:Service"


@pytest.fixture(scope="module", params=STACKS)
def capture(request):
    return committed(request.param)


def test_every_kubernetes_resource_uses_the_platform_provider(capture):
    providers = capture.by_type("pulumi:providers:kubernetes")
    assert len(providers) == 1
    for reg in capture.registrations:
        if reg.custom and reg.type.startswith("kubernetes:"):
            assert reg.provider and reg.provider.startswith(providers[0].urn), reg.urn


def test_every_resource_hangs_off_the_platform_component(capture):
    (platform,) = capture.by_type("knative-platform:index:Platform")
    # The read of the stack's own previous outputs is an invoke before anything registers (runtime/history.py):
    # no resource of its own, and nothing for the platform to wait for.
    assert capture.by_type("pulumi:pulumi:StackReference") == []
    assert platform.dependencies == ()
    urns = {r.urn: r for r in capture.registrations}
    for reg in capture.registrations:
        if reg is platform:
            continue
        parent = reg
        while parent.parent in urns and parent.parent != platform.urn:
            parent = urns[parent.parent]
        assert parent.parent == platform.urn, reg.urn


def test_existing_cluster_provider_has_a_stable_identifier():
    capture = committed("local")
    provider = capture.named("kubernetes", "pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "kind-knative"
    assert provider.inputs["clusterIdentifier"] == "existing/kind-knative"
    assert provider.inputs["enableServerSideApply"] == "true"


def test_kubeconfig_content_stays_a_secret():
    capture = run_stack("local", secrets={"kubeconfig": "apiVersion: v1\nkind: Config\n"})
    provider = capture.named("kubernetes", "pulumi:providers:kubernetes")
    # the provider only ever sees the secret; the mocks cannot show the plaintext
    assert provider.inputs["kubeconfig"] == "[secret]"


def test_dev_deploys_the_classic_sample_scaling_to_zero():
    objects = k8s_objects(committed("dev"))
    service = objects[("Service", "helloworld-go")]
    template = service["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == IMAGE
    assert template["spec"]["containers"][0]["env"] == [{"name": "TARGET", "value": "Knative user"}]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"


def test_local_uses_sslip_io_urls():
    outputs = committed("local").outputs
    assert outputs["serviceUrls"] == {"hello": "http://hello.default.127.0.0.1.sslip.io",
                                      "helloworld-go": "http://helloworld-go.default.127.0.0.1.sslip.io"}


def after_v1(stack):
    """``stack`` as committed, updating a deployment that created helloworld-go-v1 (the worked examples' story)."""
    services = {"helloworld-go": {"image": IMAGE, "revision": "v1", "runAsNonRoot": False,
                                  "autoscaling": {"minScale": 2}}}
    return run_stack(stack, previous=run_stack(stack, {"services": services}))


def test_staging_shows_a_tagged_canary_and_a_cluster_local_service():
    capture = after_v1("staging")
    objects = k8s_objects(capture)
    assert objects[("Service", "helloworld-go")]["spec"]["traffic"] == [
        {"revisionName": "helloworld-go-v1", "percent": 80, "tag": "stable"},
        {"latestRevision": True, "percent": 20, "tag": "canary"},
    ]
    assert objects[("Service", "greeter")]["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    assert capture.outputs["tagUrls"]["helloworld-go"] == {
        "canary": "http://canary-helloworld-go.default.staging.knative.example.com",
        "stable": "http://stable-helloworld-go.default.staging.knative.example.com",
    }
    assert capture.outputs["serviceUrls"]["greeter"] == "http://greeter.default.svc.cluster.local"
    assert [(r["name"], r["percent"]) for r in capture.outputs["revisions"]["helloworld-go"]["list"]] == [
        ("helloworld-go-v2", 20), ("helloworld-go-v1", 80)]
    assert [r["name"] for r in capture.outputs["revisions"]["greeter"]["list"]] == ["greeter-00001"]


def test_prod_shows_a_tagged_blue_green_and_a_custom_domain():
    capture = after_v1("prod")
    objects = k8s_objects(capture)
    assert objects[("Service", "helloworld-go")]["spec"]["traffic"] == [
        {"revisionName": "helloworld-go-v1", "percent": 100, "tag": "blue"},
        {"revisionName": "helloworld-go-v2", "percent": 0, "tag": "green"},
    ]
    assert ("DomainMapping", "hello.example.com") in objects
    assert ("ClusterDomainClaim", "hello.example.com") in objects
    mapping = capture.named("helloworld-go-hello.example.com")
    assert capture.named("helloworld-go", KSVC).urn in mapping.dependencies
    assert capture.named("helloworld-go-hello.example.com-claim").urn in mapping.dependencies


def test_flipping_blue_green_changes_only_the_percents():
    services = json.loads(load_program_config(ROOT, "prod").config["knative-platform:services"])
    services["helloworld-go"]["traffic"]["blueGreen"]["live"] = "green"
    before = after_v1("prod")
    capture = run_stack("prod", {"services": services}, previous=before)  # the same template: no new revision
    assert capture.outputs["revisions"]["helloworld-go"]["generation"] == 2
    traffic = k8s_objects(capture)[("Service", "helloworld-go")]["spec"]["traffic"]
    assert [(t["tag"], t["percent"]) for t in traffic] == [("blue", 0), ("green", 100)]


def test_services_in_their_own_namespace_get_it_created_first():
    services = {"api": {"image": IMAGE, "namespace": "shop"}}
    capture = run_stack("staging", {"services": services})
    namespace = capture.named("namespace-shop")
    assert namespace.inputs["metadata"]["name"] == "shop"
    assert namespace.urn in capture.named("api", KSVC).dependencies


def test_component_outputs_are_registered():
    capture = after_v1("staging")
    app = capture.named("helloworld-go", "knative-platform:index:KnativeApp")
    outputs = dict(capture.component_outputs[app.urn])
    assert "revisions" not in outputs  # the record is the stack's output only (issue 23)
    assert outputs == {
        "domainUrls": {},
        "revisionName": "helloworld-go-v2",
        "tagUrls": {"canary": "http://canary-helloworld-go.default.staging.knative.example.com",
                    "stable": "http://stable-helloworld-go.default.staging.knative.example.com"},
        "url": "http://helloworld-go.default.staging.knative.example.com",
        "traffic": [{"percent": 80, "revisionName": "helloworld-go-v1", "tag": "stable"},
                    {"latestRevision": True, "percent": 20, "tag": "canary"}],
        "events": {  # what its trigger and schedule deliver (the smoke check reads the stack's `events`)
            "triggers": {"helloworld-go-orders": {"broker": "default",
                                                  "filter": {"type": "com.example.order.created"}}},
            "schedules": {"helloworld-go-nightly": {
                "schedule": "0 3 * * *", "timezone": "Europe/Brussels", "type": "dev.knative.sources.ping",
                "source": "/apis/v1/namespaces/default/pingsources/helloworld-go-nightly"}}},
    }
