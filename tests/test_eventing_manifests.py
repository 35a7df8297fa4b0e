"""Eventing renders: what Kubernetes receives equals what Eventing's defaulting webhook would store.

Plus the transform on the real eventing-core bundle's shapes (tests/fixtures/bundles/eventing-core.yaml):
``pingsource-mt-adapter``'s env and replicas are the eventing controller's, as Serving's webhook rules are Knative's.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import yaml
from eventing_tables import IMAGE, NS

from knative_platform.knative import leave_controller_owned_fields
from knative_platform.manifests.bundles import controller_ignored_fields, without_controller_owned_fields
from knative_platform.manifests.eventing import (
    REPLACE_ON_CHANGES,
    broker_manifest,
    immutable_changes,
    kafka_broker_config,
    service_event_manifests,
    trigger_manifest,
)
from knative_platform.manifests.eventing_sources import guess_resource, source_manifests
from knative_platform.model.core.decode import Decoder
from knative_platform.model.eventing.eventing import (
    ApiServerSpec,
    Broker,
    BrokerClass,
    ContainerSpec,
    Delivery,
    Destination,
    EventFilter,
    EventSource,
    KafkaAuth,
    KafkaSettings,
    LabelSelector,
    Trigger,
    WatchedResource,
)
from knative_platform.model.service.service import Service, decode_service

FIXTURE = Path(__file__).parent / "fixtures" / "bundles" / "eventing-core.yaml"
KAFKA = KafkaSettings(bootstrap_servers=("b-1.kafka:9092", "b-2.kafka:9092"), auth=KafkaAuth(secret="kafka-sasl"))


def test_a_broker_renders_what_the_defaulting_webhook_would_add():
    broker = broker_manifest(Broker(name="default", namespace=NS))
    assert broker["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "MTChannelBasedBroker"
    assert broker["spec"] == {
        "config": {"kind": "ConfigMap", "namespace": "knative-eventing", "name": "config-br-default-channel",
                   "apiVersion": "v1"},
        "delivery": {"retry": 10, "backoffPolicy": "exponential", "backoffDelay": "PT0.2S"}}
    own = broker_manifest(Broker(name="b", namespace=NS, delivery=Delivery(retry=3, dead_letter_sink=Destination(
        service="dlq"))))
    assert own["spec"]["delivery"] == {"deadLetterSink": {"ref": {"kind": "Service", "namespace": NS, "name": "dlq",
                                                                  "apiVersion": "serving.knative.dev/v1"}},
                                       "retry": 3}


def test_a_kafka_broker_points_at_its_own_configmap_with_the_users_servers_and_secret():
    broker = Broker(name="events", namespace=NS, class_=BrokerClass.KAFKA, kafka=KAFKA)
    rendered = broker_manifest(broker)
    assert rendered["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "Kafka"
    assert rendered["spec"]["config"] == {"kind": "ConfigMap", "namespace": NS, "name": "events-kafka-broker-config",
                                          "apiVersion": "v1"}
    config = kafka_broker_config(broker)
    assert config is not None and config["metadata"]["namespace"] == NS
    assert config["data"] == {"auth.secret.ref.name": "kafka-sasl",
                              "bootstrap.servers": "b-1.kafka:9092,b-2.kafka:9092",
                              "default.topic.partitions": "10", "default.topic.replication.factor": "3"}
    assert kafka_broker_config(Broker(name="m", namespace=NS)) is None


def _service(raw: dict) -> Service:
    decoder = Decoder()
    service = decode_service("hello", {"image": IMAGE, "namespace": NS, **raw}, "services.hello", decoder)
    assert decoder.problems == []
    return service


def test_a_trigger_is_service_key_with_the_defaulted_filter_ref_namespace_and_broker_label():
    service = _service({"triggers": {"on-ping": {"broker": "default", "path": "/events"}}})
    (trigger,) = service_event_manifests(service)
    assert trigger["metadata"]["name"] == "hello-on-ping"
    assert trigger["metadata"]["labels"]["eventing.knative.dev/broker"] == "default"
    assert trigger["spec"] == {"broker": "default", "filter": {}, "subscriber": {
        "ref": {"kind": "Service", "namespace": NS, "name": "hello", "apiVersion": "serving.knative.dev/v1"},
        "uri": "/events"}}
    filtered = trigger_manifest(service, "orders", Trigger(
        broker="default", filter={"type": "t", "source": "s"},
        filters=(EventFilter(prefix={"type": "com.example."}), EventFilter(not_=EventFilter(exact={"a": "b"})))))
    assert filtered["spec"]["filter"] == {"attributes": {"source": "s", "type": "t"}}
    assert filtered["spec"]["filters"] == [{"prefix": {"type": "com.example."}}, {"not": {"exact": {"a": "b"}}}]


def test_a_schedule_is_a_pingsource_to_the_service():
    service = _service({"schedules": {"nightly": {"schedule": "0 3 * * *", "timezone": "Europe/Paris",
                                                  "contentType": "application/json", "data": '{"job":"nightly"}'}}})
    (ping,) = service_event_manifests(service)
    assert (ping["apiVersion"], ping["kind"], ping["metadata"]["name"]) == ("sources.knative.dev/v1", "PingSource",
                                                                            "hello-nightly")
    assert ping["spec"] == {"schedule": "0 3 * * *", "timezone": "Europe/Paris", "contentType": "application/json",
                            "data": '{"job":"nightly"}', "sink": {"ref": {
                                "kind": "Service", "namespace": NS, "name": "hello",
                                "apiVersion": "serving.knative.dev/v1"}}}


def test_renders_are_keyed_by_name_so_a_reordered_file_renders_the_same():
    a = {"triggers": {"a": {"broker": "default"}, "b": {"broker": "default", "filter": {"x": "1", "y": "2"}}},
         "schedules": {"n": {"schedule": "@daily"}, "m": {"schedule": "@hourly"}}}
    b = {"schedules": {"m": {"schedule": "@hourly"}, "n": {"schedule": "@daily"}},
         "triggers": {"b": {"broker": "default", "filter": {"y": "2", "x": "1"}}, "a": {"broker": "default"}}}
    assert yaml.safe_dump_all(service_event_manifests(_service(a))) == \
        yaml.safe_dump_all(service_event_manifests(_service(b)))


@pytest.mark.parametrize(("kind", "resource"), [("Event", "events"), ("Ingress", "ingresses"), ("Policy", "policies"),
                                                ("Endpoints", "endpoints"), ("NetworkPolicy", "networkpolicies"),
                                                ("Pod", "pods")])
def test_resources_are_guessed_as_kubernetes_guesses_them(kind, resource):
    assert guess_resource(kind) == resource


def test_an_apiserversource_runs_as_its_own_least_privilege_account():
    spec = ApiServerSpec(resources=(WatchedResource(api_version="v1", kind="Event"),
                                    WatchedResource(api_version="apps/v1", kind="Deployment"),
                                    WatchedResource(api_version="v1", kind="Pod",
                                                    selector=LabelSelector(match_labels={"app": "x"}))))
    account, role, binding, source = source_manifests(EventSource(name="k8s", namespace=NS, api_server=spec,
                                                                  sink=Destination(broker="default")))
    assert (account["kind"], account["metadata"]["name"]) == ("ServiceAccount", "k8s-apiserversource")
    assert role["kind"] == "Role" and role["rules"] == [
        {"apiGroups": [""], "resources": ["events", "pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": "k8s-apiserversource"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "k8s-apiserversource", "namespace": NS}]
    assert source["spec"]["serviceAccountName"] == "k8s-apiserversource"
    assert source["spec"]["mode"] == "Reference"
    assert source["spec"]["sink"] == {"ref": {"kind": "Broker", "namespace": NS, "name": "default",
                                              "apiVersion": "eventing.knative.dev/v1"}}
    wide = source_manifests(EventSource(name="k8s", namespace=NS, sink=Destination(broker="default"),
                                        api_server=ApiServerSpec(resources=spec.resources[:1],
                                                                 namespace_selector=LabelSelector())))
    assert [o["kind"] for o in wide] == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ApiServerSource"]
    assert "namespace" not in wide[1]["metadata"] and wide[2]["roleRef"]["kind"] == "ClusterRole"


def test_a_container_source_is_hardened_and_named_after_the_source():
    (source,) = source_manifests(EventSource(name="heartbeat", namespace=NS, sink=Destination(service="hello"),
                                             container=ContainerSpec(image=IMAGE, env={"B": "2", "A": "1"})))
    (container,) = source["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "heartbeat"
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(("before", "after", "changed"), [
    (Broker(name="b", namespace=NS), Broker(name="b", namespace=NS, delivery=Delivery(retry=1)), []),
    (Broker(name="b", namespace=NS), Broker(name="b", namespace=NS, class_=BrokerClass.KAFKA, kafka=KAFKA),
     ["spec.config", "metadata.annotations"]),
    (Broker(name="b", namespace=NS, class_=BrokerClass.KAFKA, kafka=KAFKA),
     Broker(name="b", namespace=NS, class_=BrokerClass.KAFKA, kafka=KafkaSettings(bootstrap_servers=("x:1",))), []),
])
def test_an_immutable_broker_change_is_a_replacement(before, after, changed):
    found = immutable_changes(broker_manifest(before), broker_manifest(after))
    assert found == changed
    assert set(found) <= set(REPLACE_ON_CHANGES["Broker"])


def test_a_triggers_broker_change_is_a_replacement():
    service = Service(name="s", image=IMAGE)
    before, after = (trigger_manifest(service, "t", Trigger(broker=b)) for b in ("one", "two"))
    assert immutable_changes(before, after) == ["spec.broker"] and "spec.broker" in REPLACE_ON_CHANGES["Trigger"]


# -- the eventing-core bundle's transform -----------------------------------------------------------------


def _bundle() -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(FIXTURE.read_text())}


def test_the_pingsource_adapter_is_sent_without_the_env_its_controller_owns():
    adapter = _bundle()["Deployment/pingsource-mt-adapter"]
    sent = without_controller_owned_fields("Deployment", adapter)
    assert sent is not None
    (dispatcher,) = sent["spec"]["template"]["spec"]["containers"]
    assert "env" not in dispatcher
    original = adapter["spec"]["template"]["spec"]["containers"][0]
    assert {k: v for k, v in original.items() if k != "env"} == dispatcher
    assert sent["spec"]["replicas"] == 0  # created at the bundle's 0: no pod before the controller gives it its env
    assert controller_ignored_fields("Deployment", adapter) == ("spec.replicas",)
    assert without_controller_owned_fields("Deployment", sent) is None  # idempotent


def test_the_rest_of_eventing_core_passes_or_is_stripped_as_servings_is():
    bundle = _bundle()
    controller = bundle["Deployment/eventing-controller"]
    assert without_controller_owned_fields("Deployment", controller) is None
    assert controller_ignored_fields("Deployment", controller) == ()
    webhooks = [o for key, o in bundle.items() if key.endswith("WebhookConfiguration/" + o["metadata"]["name"])]
    assert len(webhooks) == 4  # released without rules or caBundle: the webhook writes them, Pulumi never owns them
    assert all(without_controller_owned_fields(o["kind"], o) is None for o in webhooks)
    roles = [o for key, o in bundle.items() if key.startswith("ClusterRole/")]
    assert len(roles) == 5
    for role in roles:
        args = pulumi.ResourceTransformArgs(custom=True, type_="kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
                                            name=role["metadata"]["name"], props=role, opts=pulumi.ResourceOptions())
        result = leave_controller_owned_fields(args)
        assert result is not None and "rules" not in result.props and result.props["aggregationRule"]


def test_the_eventing_transform_leaves_the_adapters_replicas_to_its_controller_once_it_owns_them():
    from knative_platform.eventing import leave_eventing_controller_fields

    def run(obj: dict) -> pulumi.ResourceTransformResult | None:
        return leave_eventing_controller_fields(pulumi.ResourceTransformArgs(
            custom=True, type_="kubernetes:apps/v1:Deployment", name=obj["metadata"]["name"], props=obj,
            opts=pulumi.ResourceOptions(ignore_changes=["metadata.labels"])))

    bundle = _bundle()
    result = run(bundle["Deployment/pingsource-mt-adapter"])
    assert result is not None and result.opts is not None
    assert result.opts.ignore_changes == ["metadata.labels", "spec.replicas"]  # the options it had, and replicas
    assert "env" not in result.props["spec"]["template"]["spec"]["containers"][0]
    assert run(bundle["Deployment/eventing-controller"]) is None  # nothing the controller owns: untouched
