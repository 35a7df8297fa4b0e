"""The real program, run per stack under the project's mocks: what it registers and exports."""

from __future__ import annotations

import pytest
from conftest import STACKS, committed, k8s_objects, run_stack

from components import versions

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
    urns = {r.urn: r for r in capture.registrations}
    for reg in capture.registrations:
        if reg is platform:
            continue
        parent = reg
        while parent.parent in urns and parent.parent != platform.urn:
            parent = urns[parent.parent]
        assert parent.parent == platform.urn, reg.urn


def test_existing_cluster_provider_has_a_stable_identifier():
    capture = run_stack("local")
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
    objects = k8s_objects(run_stack("dev"))
    service = objects[("Service", "helloworld-go")]
    template = service["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == IMAGE
    assert template["spec"]["containers"][0]["env"] == [{"name": "TARGET", "value": "Knative user"}]
    assert template["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"


def test_local_uses_sslip_io_urls():
    outputs = run_stack("local").outputs
    assert outputs["serviceUrls"] == {"helloworld-go": "http://helloworld-go.default.127.0.0.1.sslip.io"}


def test_staging_shows_a_tagged_canary_and_a_cluster_local_service():
    capture = run_stack("staging")
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
    assert capture.outputs["revisions"] == {"greeter": None, "helloworld-go": "helloworld-go-v2"}


def test_prod_shows_a_tagged_blue_green_and_a_custom_domain():
    capture = run_stack("prod")
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
    services = {"helloworld-go": {
        "image": IMAGE, "revision": "v2", "runAsNonRoot": False,
        "autoscaling": {"minScale": 2},  # prod does not scale to zero
        "traffic": {"blueGreen": {"blue": "v1", "green": "v2", "live": "green"}}}}
    traffic = k8s_objects(run_stack("prod", {"services": services}))[("Service", "helloworld-go")]["spec"]["traffic"]
    assert [(t["tag"], t["percent"]) for t in traffic] == [("blue", 0), ("green", 100)]


def test_services_in_their_own_namespace_get_it_created_first():
    services = {"api": {"image": IMAGE, "namespace": "shop"}}
    capture = run_stack("staging", {"services": services})
    namespace = capture.named("namespace-shop")
    assert namespace.inputs["metadata"]["name"] == "shop"
    assert namespace.urn in capture.named("api", KSVC).dependencies


def test_component_outputs_are_registered():
    capture = run_stack("staging")
    app = capture.named("helloworld-go", "knative-platform:index:KnativeApp")
    assert capture.component_outputs[app.urn] == {
        "domainUrls": {},
        "revisionName": "helloworld-go-v2",
        "tagUrls": {"canary": "http://canary-helloworld-go.default.staging.knative.example.com",
                    "stable": "http://stable-helloworld-go.default.staging.knative.example.com"},
        "url": "http://helloworld-go.default.staging.knative.example.com",
        "traffic": [{"percent": 80, "revisionName": "helloworld-go-v1", "tag": "stable"},
                    {"latestRevision": True, "percent": 20, "tag": "canary"}],
    }
