"""The transforms on the release bundles, on the real objects' shapes (tests/fixtures/bundles, audit F6 and F7)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import yaml

from knative_platform.knative import leave_controller_owned_fields
from knative_platform.kourier import _node_port_transform
from knative_platform.manifests.bundles import as_node_port_service, without_controller_owned_fields

FIXTURES = Path(__file__).parent / "fixtures" / "bundles"
GROUPS = {"MutatingWebhookConfiguration": "admissionregistration.k8s.io/v1",
          "ValidatingWebhookConfiguration": "admissionregistration.k8s.io/v1",
          "ClusterRole": "rbac.authorization.k8s.io/v1", "Service": "core/v1"}


def objects(name: str) -> list[dict]:
    return list(yaml.safe_load_all((FIXTURES / name).read_text()))


def transform(fn, obj: dict) -> pulumi.ResourceTransformResult | None:
    type_ = f"kubernetes:{GROUPS[obj['kind']]}:{obj['kind']}"
    return fn(pulumi.ResourceTransformArgs(custom=True, type_=type_, name=f"bundle:{obj['metadata']['name']}",
                                           props=obj, opts=pulumi.ResourceOptions()))


@pytest.mark.parametrize("obj", objects("serving-core-webhooks.yaml"), ids=lambda o: o["metadata"]["name"])
def test_knatives_webhook_configurations_are_sent_without_the_fields_its_webhook_rewrites(obj):
    result = transform(leave_controller_owned_fields, obj)
    sent = result.props if result is not None else obj
    for webhook in sent["webhooks"]:
        assert "rules" not in webhook
        assert "caBundle" not in webhook["clientConfig"]
        # everything else is still Pulumi's: the service, policies, selectors
        original = next(w for w in obj["webhooks"] if w["name"] == webhook["name"])
        assert {k: v for k, v in original.items() if k != "rules"}.keys() == webhook.keys()
        assert webhook["clientConfig"]["service"] == original["clientConfig"]["service"]
    assert sent["metadata"] == obj["metadata"]


def test_a_webhook_configuration_without_runtime_fields_is_left_alone():
    config = next(o for o in objects("serving-core-webhooks.yaml")
                  if o["metadata"]["name"] == "config.webhook.serving.knative.dev")
    assert transform(leave_controller_owned_fields, config) is None


def test_the_transform_is_idempotent():
    for obj in objects("serving-core-webhooks.yaml"):
        once = without_controller_owned_fields(obj["kind"], obj) or obj
        assert without_controller_owned_fields(obj["kind"], once) is None


def test_aggregated_cluster_roles_are_sent_without_rules_and_plain_roles_keep_theirs():
    admin, serving_admin, core = objects("aggregated-clusterroles.yaml")
    result = transform(leave_controller_owned_fields, admin)
    assert result is not None and "rules" not in result.props
    assert result.props["aggregationRule"] == admin["aggregationRule"]
    assert transform(leave_controller_owned_fields, serving_admin) is None  # ships no rules at all
    assert transform(leave_controller_owned_fields, core) is None


def test_other_kinds_pass_through():
    kourier, _internal = objects("kourier-services.yaml")
    assert transform(leave_controller_owned_fields, kourier) is None


def test_kourier_gateway_becomes_a_node_port_service_on_the_fixed_ports():
    kourier, internal = objects("kourier-services.yaml")
    fn = _node_port_transform({80: 31080, 443: 31443})
    result = transform(fn, kourier)
    assert result is not None
    spec = result.props["spec"]
    assert spec["type"] == "NodePort"
    assert [(p["port"], p["nodePort"], p["targetPort"]) for p in spec["ports"]] == [(80, 31080, 8080),
                                                                                    (443, 31443, 8443)]
    assert spec["selector"] == kourier["spec"]["selector"]
    assert transform(fn, internal) is None  # the cluster-local gateway stays ClusterIP


def test_node_ports_survive_numbers_that_crossed_the_wire_as_doubles():
    kourier, _internal = objects("kourier-services.yaml")
    wire = {**kourier, "spec": {**kourier["spec"], "ports": [{**p, "port": float(p["port"])}
                                                             for p in kourier["spec"]["ports"]]}}
    ports = as_node_port_service(wire, {80: 31080, 443: 31443})["spec"]["ports"]
    assert [p["nodePort"] for p in ports] == [31080, 31443]
