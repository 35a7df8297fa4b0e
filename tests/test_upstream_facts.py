"""What a real cluster does at the pinned versions, as tests (issue 14; shared/research/upstream-audit.md).

Each test names the upstream source it relies on (repository, tag, path). The
renderers and the validation cite the same source where they rely on it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS, committed, k8s_objects

from knative_platform import versions
from knative_platform.manifests import gateway, knative_config, kourier
from knative_platform.model.platform.knative import KnativeSettings

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


# -- the checks on the renders refuse each class of defect, before anything is registered ----------------------------

def _prod_ingress():
    from knative_platform.manifests.gateway_tls import gateway_tls, kgateway_objects
    from knative_platform.manifests.knative_config import config_network
    from knative_platform.model.platform.hosts import public_hosts
    from knative_platform.model.platform.platform import build_platform_spec, platform_served_names
    from knative_platform.offline.stackfile import load_program_config

    program = load_program_config(ROOT, "prod")
    config = {k.split(":", 1)[1]: json.loads(v) if v[:1] in "[{" else v for k, v in program.config.items()
              if k.startswith("knative-platform:")}
    spec = build_platform_spec("prod", config)
    hosts = public_hosts(spec.services, spec.domain, spec.knative.network.domain_template,
                         spec.knative.network.tag_template)
    gateway = gateway_tls(spec.tls, spec.ingress, platform_served_names(spec), spec.domain)
    network = config_network(spec.knative, spec.ingress, spec.tls, ["default", "team-app"])
    return kgateway_objects(gateway, None), network, gateway, hosts


def _paths(objects, network, gateway, hosts, node_ports=None):
    from ingress_checks import ingress_problems

    return [p.path for p in ingress_problems(objects, network, gateway, hosts, node_ports)]


def test_the_committed_renders_pass_the_checks():
    assert _paths(*_prod_ingress()) == []


def test_a_config_gateway_with_service_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    data = dict(objects["config-gateway"]["data"])
    entry = yaml.safe_load(data["external-gateways"])[0] | {"service": "kgateway-system/knative-external"}
    data["external-gateways"] = yaml.safe_dump([entry])
    objects = {**objects, "config-gateway": {**objects["config-gateway"], "data": data}}
    assert _paths(objects, network, gateway, hosts) == ["ingress.config-gateway.external-gateways"]


def test_a_listener_on_another_port_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    external = copy.deepcopy(objects["knative-external"])
    external["spec"]["listeners"][0]["port"] = 8080
    assert _paths({**objects, "knative-external": external}, network, gateway, hosts) == [
        "ingress.knative-external.listeners.http"]


def test_a_public_host_without_a_listener_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    external = copy.deepcopy(objects["knative-external"])
    external["spec"]["listeners"] = [lst for lst in external["spec"]["listeners"]
                                     if lst.get("hostname") != "*.default.knative.example.com"]
    # the service and both tag hosts lose their certificate
    assert _paths({**objects, "knative-external": external}, network, gateway, hosts) == [
        "services.helloworld-go"] * 3


def test_knatives_own_tls_on_kgateway_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    network = {**network, "data": {**network["data"], "external-domain-tls": "Enabled"}}
    assert _paths(objects, network, gateway, hosts) == ["tls"]


def test_redirected_without_a_redirect_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    objects = {k: v for k, v in objects.items() if k != "https-redirect"}
    assert _paths(objects, network, gateway, hosts) == ["tls.httpProtocol"]


def test_authoring_kgateways_own_class_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    cls = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "kgateway"},
           "spec": {"controllerName": "kgateway.dev/kgateway"}}
    assert _paths({**objects, "gatewayclass": cls}, network, gateway, hosts) == ["ingress"]


def test_a_node_port_gateway_without_its_node_ports_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    assert _paths(objects, network, gateway, hosts, {80: 31080, 443: 31443}) == ["cluster.nodePorts"]


def test_a_declared_app_namespace_without_its_listener_is_refused():
    # audit 2 N1: kgateway rejects a route no listener admits (query/route.go NotAllowedByListeners)
    objects, network, gateway, hosts = _prod_ingress()
    external = copy.deepcopy(objects["knative-external"])
    external["spec"]["listeners"] = [lst for lst in external["spec"]["listeners"]
                                     if lst.get("hostname") != "*.team-app.knative.example.com"]
    assert _paths({**objects, "knative-external": external}, network, gateway, hosts) == ["appNamespaces.team-app"]


def test_a_listener_whose_certificate_does_not_cover_its_hosts_is_refused():
    objects, network, gateway, hosts = _prod_ingress()
    certificates = {k: v for k, v in objects.items() if v["kind"] == "Certificate"}
    (name,) = [k for k, v in certificates.items() if "*.default.knative.example.com" in v["spec"]["dnsNames"]]
    wrong = copy.deepcopy(certificates[name])
    wrong["spec"]["dnsNames"] = ["*.other.knative.example.com"]
    assert _paths({**objects, name: wrong}, network, gateway, hosts) == ["services.helloworld-go"] * 3


def test_a_node_port_gateway_without_tls_exposes_no_https_port():
    # audit 2 M1: kgateway pkg/deployer/values_helpers.go GetPortsValues adds every GatewayParameters port to the
    # proxy Service, listener or not: 443 without TLS would be a node port with nothing behind it.
    from knative_platform.manifests.gateway_tls import kgateway_objects

    plain = kgateway_objects(None, {80: 31080, 443: 31443})["knative-external-parameters"]["spec"]["kube"]["service"]
    assert plain == {"type": "NodePort", "ports": [{"port": 80, "nodePort": 31080}]}
    _objects, network, gateway, hosts = _prod_ingress()
    tls = kgateway_objects(gateway, {80: 31080, 443: 31443})
    ports = tls["knative-external-parameters"]["spec"]["kube"]["service"]["ports"]
    assert ports == [{"port": 80, "nodePort": 31080}, {"port": 443, "nodePort": 31443}]
    assert _paths(tls, network, gateway, hosts, {80: 31080, 443: 31443}) == []
