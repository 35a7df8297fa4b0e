"""Eventing under mocks: the install order, the brokers, the services' triggers and schedules, app stacks.

The resource graph is what Pulumi follows: CRDs -> core -> broker implementation -> config patches -> Brokers
-> (with the Knative Service) Triggers and PingSources; a refusal registers nothing.
"""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import ROOT, committed, config_error, k8s_objects, run_stack

from knative_platform import KnativeApp, PlatformReference, PlatformReferenceArgs, Service
from knative_platform.model.eventing.eventing import Schedule, Trigger
from knative_platform.offline.engine import RecordingMonitor, run_function
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.runtime.errors import ConfigError

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
BROKER = "kubernetes:eventing.knative.dev/v1:Broker"
TRIGGER = "kubernetes:eventing.knative.dev/v1:Trigger"
PING = "kubernetes:sources.knative.dev/v1:PingSource"
KSVC = "kubernetes:serving.knative.dev/v1:Service"
PLATFORM = "organization/knative-platform/dev"
IMAGE = "ghcr.io/knative/helloworld-go@sha256:d2af882a7ae7d49c61ae14a35dac42825ccf455ba616d8e5c1f4fa8fdcf09807"
KAFKA = {"brokers": {"events": {"namespace": "default", "class": "Kafka",
                                "kafka": {"bootstrapServers": ["my-kafka-bootstrap.kafka:9092"],
                                          "auth": {"secret": "kafka-credentials"}}}}}


def urn_of(capture, name, type_):
    return capture.named(name, type_).urn


def test_staging_installs_eventing_in_order_and_its_events_after_their_broker_and_service():
    capture = committed("staging")
    crds, core, imc, mt = (urn_of(capture, n, CONFIG_FILE)
                           for n in ("eventing-crds", "eventing-core", "in-memory-channel", "mt-channel-broker"))
    assert crds in capture.named("eventing-core", CONFIG_FILE).dependencies
    assert core in capture.named("in-memory-channel", CONFIG_FILE).dependencies
    assert imc in capture.named("mt-channel-broker", CONFIG_FILE).dependencies
    patch = capture.named("eventing-config-features")
    assert patch.dependencies == (core,) and patch.inputs["metadata"]["namespace"] == "knative-eventing"
    broker = capture.named("broker-default", BROKER)
    assert {mt, patch.urn} <= set(broker.dependencies)
    assert broker.options["replaceOnChanges"] == ["spec.config", "metadata.annotations"]
    assert broker.options["deleteBeforeReplace"] is True
    for name, type_ in (("helloworld-go-orders", TRIGGER), ("helloworld-go-nightly", PING)):
        event = capture.named(name, type_)
        assert {broker.urn, urn_of(capture, "helloworld-go", KSVC)} <= set(event.dependencies), name
    trigger = capture.named("helloworld-go-orders", TRIGGER)
    assert trigger.options["replaceOnChanges"] == ["spec.broker"] and trigger.options["deleteBeforeReplace"]
    assert trigger.inputs["spec"]["filter"] == {"attributes": {"type": "com.example.order.created"}}
    assert capture.outputs["versions"]["knative-eventing"] == "knative-v1.23.0"
    assert capture.outputs["eventing"]["brokers"] == [{"name": "default", "namespace": "default",
                                                       "class": "MTChannelBasedBroker"}]


def test_a_stack_that_declares_no_events_installs_no_eventing():
    for stack in ("local", "dev", "prod"):
        capture = committed(stack)
        assert capture.by_type("knative-platform:index:KnativeEventing") == [], stack
        assert "knative-eventing" not in capture.outputs["versions"]
        assert capture.outputs.get("eventing") is None


def test_the_kafka_broker_renders_with_the_users_servers_and_secret_and_its_own_bundles():
    capture = run_stack("dev", {"eventing": KAFKA})
    bundles = {r.name: r for r in capture.by_type(CONFIG_FILE) if r.parent and "KnativeEventing" in r.parent}
    assert sorted(bundles) == ["eventing-core", "eventing-crds", "kafka-broker", "kafka-controller"]
    assert bundles["kafka-controller"].dependencies == (bundles["eventing-core"].urn,)
    assert bundles["kafka-broker"].dependencies == (bundles["kafka-controller"].urn,)
    objects = k8s_objects(capture)
    config = objects[("ConfigMap", "events-kafka-broker-config")]
    assert config["data"] == {"auth.secret.ref.name": "kafka-credentials",
                              "bootstrap.servers": "my-kafka-bootstrap.kafka:9092",
                              "default.topic.partitions": "10", "default.topic.replication.factor": "3"}
    broker = objects[("Broker", "events")]
    assert broker["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "Kafka"
    assert broker["spec"]["config"] == {"kind": "ConfigMap", "namespace": "default",
                                        "name": "events-kafka-broker-config", "apiVersion": "v1"}
    assert capture.named("broker-events-kafka-config").urn in capture.named("broker-events", BROKER).dependencies
    assert capture.outputs["versions"]["eventing-kafka-broker"] == "knative-v1.23.0"


def test_prod_refuses_the_in_memory_broker_unless_the_stack_names_the_relaxation():
    brokers = {"brokers": {"default": {"namespace": "default"}}}
    error = config_error("prod", {"eventing": brokers})
    assert [p.path for p in error.problems] == ["eventing.brokers.default.class"]
    assert "eventing.relax.inMemoryBroker: true" in str(error)
    capture = run_stack("prod", {"eventing": {**brokers, "relax": {"inMemoryBroker": True}}})
    assert capture.named("broker-default", BROKER)
    run_stack("prod", {"eventing": KAFKA})  # the production broker needs no relaxation


def test_a_trigger_on_an_undeclared_broker_is_refused_before_anything_registers():
    error = config_error("dev", {"services": {"api": {"image": IMAGE, "triggers": {"t": {"broker": "nope"}}}}})
    assert [p.path for p in error.problems] == ["services.api.triggers.t.broker"]
    assert "declare it under eventing.brokers" in str(error)


def _platform_outputs(**eventing):
    outputs = json.loads((ROOT / "examples" / "team-app" / "stacks" / "stack-outputs.json").read_text())[PLATFORM]
    outputs = {k: v for k, v in outputs.items() if k != "binaryAuthorization"}
    if eventing:
        outputs["eventing"] = {"brokers": [{"name": "default", "namespace": "team-app", "class": "Kafka"}],
                               "features": {}, "pingDataMaxSize": -1, **eventing}
    return outputs


def _app(service, outputs, listed=True):
    def program():
        platform = PlatformReference("platform", PlatformReferenceArgs(stack=PLATFORM,
                                                                       services=(service,) if listed else ()))
        KnativeApp(service.name, platform.app_args(service))

    monitor = RecordingMonitor(PlatformMocks(stack_outputs={PLATFORM: outputs}))
    return monitor, lambda: run_function(program, project="team-app", stack="dev", monitor=monitor)


def _service(**events):
    return Service(name="orders", namespace="team-app", image=IMAGE, **events)


def test_an_app_stacks_trigger_and_schedule_use_the_platforms_broker():
    service = _service(triggers={"paid": Trigger(broker="default", filter={"type": "com.example.paid"})},
                       schedules={"hourly": Schedule(schedule="@hourly")})
    _, run = _app(service, _platform_outputs(brokers=[{"name": "default", "namespace": "team-app",
                                                        "class": "Kafka"}]))
    capture = run()
    trigger = capture.named("orders-paid", TRIGGER)
    assert trigger.inputs["spec"]["broker"] == "default"
    assert trigger.inputs["spec"]["subscriber"]["ref"]["name"] == "orders"
    assert capture.named("orders-hourly", PING).inputs["spec"]["schedule"] == "@hourly"


@pytest.mark.parametrize("listed", [True, False])
def test_an_app_stacks_trigger_on_a_broker_the_platform_lacks_is_refused(listed, failing_program):
    service = _service(triggers={"paid": Trigger(broker="elsewhere")})
    monitor, run = _app(service, _platform_outputs(pingDataMaxSize=-1), listed=listed)
    with pytest.raises(ConfigError, match=r"services.orders.triggers.paid.broker: 'elsewhere' is not a broker"):
        run()
    created = sorted(r.type for r in monitor.recorded.values() if r.type.startswith("kubernetes:"))
    # Listed in PlatformReferenceArgs.services: refused before the provider; otherwise before its events.
    assert created == ([] if listed else ["kubernetes:serving.knative.dev/v1:Service"]), created


def test_an_app_stacks_schedule_is_refused_on_a_platform_without_eventing(failing_program):
    monitor, run = _app(_service(schedules={"s": Schedule(schedule="@daily")}), _platform_outputs())
    assert "eventing" not in _platform_outputs()  # dev installs no Eventing
    with pytest.raises(ConfigError, match="installs no Knative Eventing"):
        run()
    assert [r for r in monitor.recorded.values() if r.type.startswith("kubernetes:")] == []


def test_a_hand_built_app_with_events_needs_the_platforms_eventing(failing_program):
    from knative_platform import KnativeAppArgs

    def program():
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("k8s")
        KnativeApp("orders", KnativeAppArgs(service=_service(schedules={"s": Schedule(schedule="@daily")}),
                                            provider=provider, domain="example.com"))

    with pytest.raises(ConfigError, match=r"services.orders.schedules: need the platform's brokers"):
        run_function(program)


def test_the_platforms_sources_come_after_their_rbac_and_the_brokers():
    capture = committed("staging")
    objects = [capture.named(f"source-cluster-events-{kind}")
               for kind in ("serviceaccount", "role", "rolebinding", "apiserversource")]
    for before, after in itertools.pairwise(objects):
        assert before.urn in after.dependencies, after.name
    assert capture.named("broker-default", BROKER).urn in objects[0].dependencies
    role = objects[1].inputs
    assert role["rules"] == [{"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]}]
    assert objects[3].inputs["spec"]["serviceAccountName"] == "cluster-events-apiserversource"


def test_container_and_binding_sources_render_and_a_container_image_is_admitted():
    sources = {"ticker": {"sink": {"service": "helloworld-go"},
                          "container": {"image": "europe-docker.pkg.dev/p/r/ticker@sha256:" + "a" * 64}},
               "jobs": {"sink": {"broker": "default"},
                        "sinkBinding": {"subject": {"apiVersion": "batch/v1", "kind": "Job",
                                                    "selector": {"matchLabels": {"app": "report"}}}}}}
    eventing = {"brokers": {"default": {}}, "sources": sources}
    capture = run_stack("staging", {"eventing": eventing})
    objects = k8s_objects(capture)
    container = objects[("ContainerSource", "ticker")]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert objects[("SinkBinding", "jobs")]["spec"]["subject"]["namespace"] == "default"
    assert "europe-docker.pkg.dev/p/r/ticker@*" in capture.outputs["binaryAuthorization"]["allow"]
