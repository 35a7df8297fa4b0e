"""What a real cluster does at the pinned versions, as tests (issue 14; shared/research/upstream-audit.md).

Each test names the upstream source it relies on (repository, tag, path). The
renderers and the validation cite the same source where they rely on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS, committed, k8s_objects

from components import versions
from components.manifests import gateway, knative_config, kourier
from components.spec.knative import KnativeSettings

SAMPLE_REPOSITORY = "ghcr.io/knative/helloworld-go"


def _stack_images() -> list[str]:
    images = []
    for stack in STACKS:
        for reg in committed(stack).registrations:
            if reg.inputs.get("kind") == "Service" and reg.inputs.get("apiVersion") == "serving.knative.dev/v1":
                images += [c["image"] for c in reg.inputs["spec"]["template"]["spec"]["containers"]]
    return images


def test_the_sample_image_is_the_ghcr_one_pinned_by_digest():
    # knative/docs#5551: gcr.io/knative-samples was deleted in 2023; the sample moved to ghcr.io/knative
    # (knative/docs, .github/workflows/knative-docs-image.yaml builds code-samples/serving/hello-world/helloworld-go).
    assert versions.SAMPLE_IMAGE.startswith(f"{SAMPLE_REPOSITORY}@sha256:")
    images = _stack_images()
    assert images and set(images) == {versions.SAMPLE_IMAGE}


def test_no_shipped_file_names_the_deleted_registry():
    shipped = [*ROOT.glob("stacks/*"), *ROOT.glob("examples/team-app/stacks/*"), ROOT / "README.md",
               ROOT / "examples/team-app/README.md", *ROOT.glob("docs/*.md")]
    hits = [str(p.relative_to(ROOT)) for p in shipped if p.is_file() and "gcr.io/knative-samples" in p.read_text()]
    assert hits == []


def test_examples_use_the_pinned_sample_image():
    text = (ROOT / "examples/team-app/stacks/services.py").read_text()
    assert "versions.SAMPLE_IMAGE" in text


def _gateway_entries() -> list[dict]:
    data = gateway.config_gateway()["data"]
    return [*yaml.safe_load(data["external-gateways"]), *yaml.safe_load(data["local-gateways"])]


def test_config_gateway_names_no_service():
    # net-gateway-api knative-v1.23.0 pkg/reconciler/ingress/ingress.go (collectLBIngressStatus): with `service`
    # the KIngress address is a DNS name, so serving pkg/reconciler/route/resources/service.go makes the
    # placeholder Service an ExternalName, which kgateway cannot route (audit F2); lister.go matches probe ports
    # by name, and kgateway's are listener-80/listener-443 (audit F3).
    for entry in _gateway_entries():
        assert "service" not in entry
        assert set(entry) == {"class", "gateway", "supported-features"}


def test_gateway_listeners_use_only_the_ports_the_prober_supports():
    # net-gateway-api knative-v1.23.0 pkg/reconciler/ingress/lister.go: without `service` the prober uses the
    # Gateway's status address and "only support[s] listener ports of 80 and 443".
    for stack in STACKS:
        for (kind, _name), obj in k8s_objects(committed(stack)).items():
            if kind == "Gateway":
                assert {lst["port"] for lst in obj["spec"]["listeners"]} <= {80, 443}


def test_the_platform_authors_no_gateway_class_kgateway_owns():
    # kgateway (v2.5.0 line, chandler-solo/kgateway 48460f7f) pkg/kgateway/controller/gatewayclass.go
    # force-applies its own classes (`kgateway`, `kgateway-waypoint`) with Force: true on every generation
    # change, and re-creates them when deleted: authoring one conflicts on the first refresh (audit F5).
    for stack in STACKS:
        kinds = [kind for (kind, _name) in k8s_objects(committed(stack))]
        assert "GatewayClass" not in kinds
    assert not hasattr(gateway, "render_gateway_class")


def test_kourier_keeps_its_own_stream_idle_timeout():
    # net-kourier knative-v1.23.0 pkg/reconciler/ingress/config/kourier.go: IdleTimeout defaults to 0s, which
    # Envoy reads as no timeout; setting one would cut long-lived streams (audit S2).
    assert "stream-idle-timeout" not in kourier.config_kourier()["data"]


def test_config_features_sets_no_removed_flag():
    # knative/serving knative-v1.20.0 removed kubernetes.podspec-dryrun ("Change dry-run behavior", #16008);
    # knative-v1.23.0 pkg/apis/config/features.go has no parser for it (audit S3).
    assert "kubernetes.podspec-dryrun" not in knative_config.config_features(KnativeSettings())["data"]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("stacks/Pulumi.*.yaml")))
def test_stack_files_parse(path: str):
    assert isinstance(yaml.safe_load(Path(ROOT / path).read_text()), dict)
