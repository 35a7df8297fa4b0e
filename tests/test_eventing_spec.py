"""The Eventing model beyond Knative's own tables: decoding, the cross-object rules, prod, Pub/Sub, and no tracebacks.

The rules the webhook cannot see are stricter than Knative by choice; each
test says which. Generated configs (Hypothesis) show that any input, however
mangled, ends in problems with a config path, never an exception.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest
import trustme
import yaml
from eventing_tables import IMAGE, NS, project_paths, stack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knative_platform.model.cluster.cluster import ClusterProfile
from knative_platform.model.core.decode import INVALID, Decoder, config_fields, config_key
from knative_platform.model.core.errors import SpecError
from knative_platform.model.eventing.eventing import (
    Broker,
    BrokerClass,
    Destination,
    EventingSpec,
    EventSource,
    PubSubBackend,
    PubSubSpec,
    Schedule,
    Trigger,
)
from knative_platform.model.eventing.eventing_checks import EventingCluster, eventing_problems
from knative_platform.model.eventing.eventing_rules import destination_problems
from knative_platform.model.eventing.eventing_source_rules import json_object_problem
from knative_platform.model.platform.platform import build_platform_spec, uses_eventing
from knative_platform.model.service.service import decode_service

LOCAL = EventingCluster()


def problems(config: dict, cluster: EventingCluster = LOCAL) -> list[str]:
    """``path: message`` of every problem, as the platform collects them."""
    decoder = Decoder()
    spec = decoder.decode_dataclass(EventingSpec, config.get("eventing", {}), "eventing")
    services = [decode_service(n, raw, f"services.{n}", decoder) for n, raw in config.get("services", {}).items()]
    found = list(decoder.problems)
    if spec is not INVALID and INVALID not in services:
        found += decoder.relevant(eventing_problems(spec, services, cluster))
    return [str(p) for p in found]


def test_a_trigger_names_a_broker_of_its_namespace_which_is_stricter_than_knative():
    config = stack(service={"triggers": {"t": {"broker": "elsewhere"}}})
    (problem,) = problems(config)
    assert problem.startswith("services.svc.triggers.t.broker: 'elsewhere' is not a broker of this stack in "
                              "namespace test-ns")
    assert "stricter than Knative" in problem
    other = stack({"brokers": {"default": {"namespace": "other"}}}, {"triggers": {"t": {"broker": "default"}}})
    assert [p.split(":")[0] for p in problems(other)] == ["services.svc.triggers.t.broker"]


def test_sinks_name_services_and_brokers_the_stack_declares():
    config = stack({"brokers": {"default": {"namespace": NS, "delivery": {"deadLetterSink": {"service": "dlq"}}}},
                    "sources": {"s": {"namespace": NS, "container": {"image": IMAGE},
                                      "sink": {"broker": "missing"}}}})
    assert [p.split(":")[0] for p in problems(config)] == [
        "eventing.brokers.default.delivery.deadLetterSink.service", "eventing.sources.s.sink.broker"]
    config["services"]["dlq"] = {"image": IMAGE, "namespace": NS}
    config["eventing"]["sources"]["s"]["sink"] = {"broker": "default"}
    assert problems(config) == []
    # a ref or a uri is anyone's: the stack cannot know what exists
    config["eventing"]["sources"]["s"]["sink"] = {"uri": "https://events.example.com/in"}
    assert problems(config) == []


def test_generated_names_fit_a_label_and_never_collide():
    long_key = "k" * 60
    config = stack(service={"triggers": {long_key: {"broker": "default"}}, "schedules": {"ok": {"schedule": "@daily"}}})
    (problem,) = problems(config)
    assert problem.startswith(f"services.svc.triggers.{long_key}: Trigger name")
    assert "the key becomes the Trigger <service>-<key>: shorten it" in problem
    config = stack(service={"triggers": {"b-c": {"broker": "default"}}})
    config["services"]["svc-b"] = {"image": IMAGE, "namespace": NS, "triggers": {"c": {"broker": "default"}}}
    (problem,) = problems(config)
    assert problem == ("services.svc-b.triggers.c: makes the Trigger 'svc-b-c', as services.svc.triggers.b-c does "
                       "in namespace test-ns; rename one key")


def test_an_apiserversource_never_shares_a_services_account():
    config = stack({"sources": {"watch": {"namespace": NS, "sink": {"broker": "default"},
                                          "apiServer": {"resources": [{"apiVersion": "v1", "kind": "Event"}]}}}},
                   {"serviceAccount": {"name": "watch-apiserversource"}})
    (problem,) = problems(config)
    assert problem.startswith("eventing.sources.watch: runs as the ServiceAccount 'watch-apiserversource', which "
                              "services.svc already uses")


@pytest.mark.parametrize(("cluster", "relax", "refused"), [
    (EventingCluster(profile=ClusterProfile.PROD, gke=True, private_endpoint=True), False, True),
    (EventingCluster(profile=ClusterProfile.PROD, gke=True, private_endpoint=True), True, False),
    (EventingCluster(profile=ClusterProfile.STAGING, gke=True, private_endpoint=True), False, False),
    (EventingCluster(profile=ClusterProfile.DEV, gke=True), False, False),
    (EventingCluster(), False, False),
])
def test_prod_refuses_the_in_memory_broker_unless_the_stack_names_the_risk(cluster, relax, refused):
    config = stack({"relax": {"inMemoryBroker": relax}})
    found = problems(config, cluster)
    assert bool(found) == refused
    if refused:
        assert found[0].startswith("eventing.brokers.default.class: MTChannelBasedBroker keeps events in memory")
        assert "eventing.relax.inMemoryBroker: true" in found[0]


def test_a_kafka_broker_needs_its_kafka_and_only_it_has_one():
    kafka = {"bootstrapServers": ["my-cluster-kafka-bootstrap.kafka:9092"], "auth": {"secret": "kafka-sasl"}}
    prod = EventingCluster(profile=ClusterProfile.PROD, gke=True, private_endpoint=True)
    ok = {"brokers": {"default": {"namespace": NS, "class": "Kafka", "kafka": kafka},
                      "test-broker": {"namespace": NS, "class": "Kafka", "kafka": kafka}}}
    assert problems(stack(ok), prod) == []
    bad = {"brokers": {"default": {"namespace": NS, "class": "Kafka"},
                       "test-broker": {"namespace": NS, "kafka": kafka}}}
    assert [p.split(":")[0] for p in problems(stack(bad))] == ["eventing.brokers.default.kafka",
                                                               "eventing.brokers.test-broker.kafka"]
    wrong = {"bootstrapServers": ["kafka", "k:99999", "[::1]:9092"], "auth": {"secret": "Bad_Name"},
             "topic": {"partitions": 0, "replicationFactor": 40000}}
    config = stack({"brokers": {"default": {"namespace": NS, "class": "Kafka", "kafka": wrong}}})
    assert [p.split(":")[0] for p in problems(config) if "kafka" in p] == [
        "eventing.brokers.default.kafka.bootstrapServers[0]", "eventing.brokers.default.kafka.bootstrapServers[1]",
        "eventing.brokers.default.kafka.auth.secret", "eventing.brokers.default.kafka.topic.partitions",
        "eventing.brokers.default.kafka.topic.replicationFactor"]


DEV_GKE = EventingCluster(profile=ClusterProfile.DEV, gke=True, project="p-dev", name="knative-dev")
PROD_GKE = EventingCluster(profile=ClusterProfile.PROD, gke=True, private_endpoint=True, project="p", name="k")
STAGING_GKE = EventingCluster(profile=ClusterProfile.STAGING, gke=True, private_endpoint=True, project="p", name="k")


@pytest.mark.parametrize(("backend", "cluster", "sink", "reason"), [
    ("adapter", DEV_GKE, "broker", "adapter is not available yet"),
    ("eventarc-gke", EventingCluster(), "broker", "needs a GKE cluster the platform creates"),
    # prod: private endpoint, and prod refuses relax.publicEndpoint: the reason and the ways that do work
    ("eventarc-gke", PROD_GKE, "broker", "cannot reach a cluster whose control plane has no public endpoint"),
    ("eventarc-gke", PROD_GKE, "broker", "prod refuses cluster.relax.publicEndpoint"),
    ("eventarc-gke", STAGING_GKE, "broker", "set cluster.relax.publicEndpoint: true"),
    ("eventarc-gke", DEV_GKE, "service", "needs sink: {broker: <name>}"),
    # a cluster the platform creates with a public endpoint: the platform creates the Eventarc trigger
    ("eventarc-gke", DEV_GKE, "broker", None),
])
def test_pubsub_is_offered_where_it_works_and_refused_with_the_reason_elsewhere(backend, cluster, sink, reason):
    target = {"broker": "default"} if sink == "broker" else {"service": "svc"}
    config = stack({"sources": {"orders": {"namespace": NS, "sink": target,
                                           "pubsub": {"topic": "orders", "backend": backend}}}})
    found = problems(config, cluster)
    assert (found == []) if reason is None else any(reason in p for p in found), found


@pytest.mark.parametrize(("topic", "reason"), [
    ("orders", None),
    ("projects/p-dev/topics/orders", None),
    ("or", "is not a Pub/Sub ID"),
    ("goog-orders", "is not a Pub/Sub ID"),
    ("1orders", "is not a Pub/Sub ID"),
    ("orders/x", "is not a Pub/Sub ID"),
    ("projects/p-dev/topics/goog", "is not a Pub/Sub ID"),
    ("projects/other/topics/orders", "is in project other, not the cluster's (p-dev)"),
    ("projects//topics/orders", "is not a Pub/Sub ID"),
])
def test_a_pubsub_topic_is_an_id_or_a_full_name_in_the_clusters_project(topic, reason):
    config = stack({"sources": {"orders": {"namespace": NS, "sink": {"broker": "default"},
                                           "pubsub": {"topic": topic, "backend": "eventarc-gke"}}}})
    found = problems(config, DEV_GKE)
    if reason is None:
        assert found == []
    else:
        (problem,) = found
        assert problem.startswith("eventing.sources.orders.pubsub.topic: ") and reason in problem


def test_eventarc_makes_its_own_subscription_and_the_trigger_name_must_fit():
    config = stack({"sources": {"orders": {"namespace": NS, "sink": {"broker": "default"},
                                           "pubsub": {"topic": "orders", "subscription": "mine",
                                                      "backend": "eventarc-gke"}}}})
    (problem,) = problems(config, DEV_GKE)
    assert problem.startswith("eventing.sources.orders.pubsub.subscription: Eventarc creates and owns")
    long_name = "s" * 60  # a DNS label, but <cluster>-<source> is over 63 characters
    config = stack({"sources": {long_name: {"namespace": NS, "sink": {"broker": "default"},
                                            "pubsub": {"topic": "orders", "backend": "eventarc-gke"}}}})
    (problem,) = problems(config, DEV_GKE)
    assert problem.startswith(f"eventing.sources.{long_name}: the Eventarc trigger knative-dev-{long_name}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=80), topic=st.text(max_size=300), subscription=st.one_of(st.none(), st.text(max_size=20)),
       backend=st.sampled_from(["eventarc-gke", "adapter"]),
       cluster=st.sampled_from([DEV_GKE, PROD_GKE, STAGING_GKE, LOCAL]))
def test_any_pubsub_source_ends_in_problems_with_its_path_never_a_traceback(name, topic, subscription, backend,
                                                                             cluster):
    pubsub = {"topic": topic, "backend": backend, **({"subscription": subscription} if subscription else {})}
    config = stack({"sources": {name: {"namespace": NS, "sink": {"broker": "default"}, "pubsub": pubsub}},
                    "relax": {"inMemoryBroker": True}})  # prod's broker rule is not this test's
    for problem in problems(config, cluster):
        assert problem.startswith("eventing.sources"), problem


def test_a_sinkbinding_never_binds_a_knative_service():
    subject = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "svc"}
    config = stack({"sources": {"b": {"namespace": NS, "sink": {"broker": "default"},
                                      "sinkBinding": {"subject": subject}}}})
    (problem,) = problems(config)
    assert problem.startswith("eventing.sources.b.sinkBinding.subject: is a Knative Service")


def test_a_source_is_exactly_one_kind():
    both = stack({"sources": {"s": {"namespace": NS, "sink": {"broker": "default"}, "container": {"image": IMAGE},
                                    "sinkBinding": {"subject": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                "name": "d"}}}}})
    assert problems(both) == ["eventing.sources.s: sets container and sinkBinding; a source is exactly one of "
                              "apiServer, container, sinkBinding, pubsub"]
    none = stack({"sources": {"s": {"namespace": NS, "sink": {"broker": "default"}}}})
    assert problems(none)[0].startswith("eventing.sources.s: sets no kind")


def test_every_mistake_is_reported_at_once_with_its_path():
    config = stack({"brokers": {"Bad": {"namespace": NS, "delivery": {"retry": -1, "timeout": "PT0S"}},
                                "default": {"namespace": NS}},
                    "features": {"deliveryTimeout": "enabled"}},
                   {"triggers": {"t": {"broker": "default", "filter": {"Type": "x"}, "path": "events"}},
                    "schedules": {"s": {"schedule": "61 * * * *", "timezone": "Mars/Olympus",
                                        "contentType": "application/json", "data": "[]"}}})
    assert [p.split(":")[0] for p in problems(config)] == [
        "eventing.brokers.Bad", "eventing.brokers.Bad.delivery.retry", "eventing.brokers.Bad.delivery.timeout",
        "services.svc.triggers.t.filter.Type", "services.svc.triggers.t.path", "services.svc.schedules.s.timezone",
        "services.svc.schedules.s.data"]


def test_unknown_keys_get_a_suggestion():
    config = stack(service={"triggers": {"t": {"broker": "default", "filtres": {}}}})
    (problem,) = problems(config)
    assert problem.startswith("services.svc.triggers.t.filtres: unknown key (did you mean 'filters'?)")
    assert project_paths(stack({"brokers": {"b": {"clas": "Kafka"}}})) == ["eventing.brokers.b.clas"]


@pytest.mark.parametrize(("text", "ok"), [
    ('{"a": 1}', True), ("null", True), (" {} ", True), ("[]", False), ("1", False), ('"x"', False),
    ('{"a": NaN}', False), ('{"a": 1e400}', False), ('{"a": ' + "1" * 400 + "}", False), ("{", False),
    ("\ufeff{}", False), ('{"a": "\\ud800"}', True), ("[" * 5000 + "]" * 5000, False),
])
def test_json_data_is_judged_as_gos_unmarshal_into_a_map(text, ok):
    assert (json_object_problem(text) is None) == ok


def test_data_size_counts_bytes_as_go_does():
    config = stack({"pingDataMaxSize": 4}, {"schedules": {"p": {"schedule": "@daily", "data": "éé"}}})
    assert problems(config) == []
    config["services"]["svc"]["schedules"]["p"]["data"] = "ééé"
    assert [p.split(":")[0] for p in problems(config)] == ["services.svc.schedules.p.data"]


def test_destinations_follow_knatives_order_of_checks():
    def paths(**dest: Any) -> list[str]:
        return [p.path for p in destination_problems(Destination(**dest), "d")]

    pem = trustme.CA().cert_pem.bytes().decode()
    assert paths(service="a", uri="http://x/") == ["d.uri"]
    assert paths(uri="/relative") == ["d.uri"]
    assert paths(uri="http:///nohost") == ["d.uri"]
    assert paths(uri="https://ok.example.com", ca_certs=pem) == []
    assert paths(uri="https://ok.example.com", ca_certs="junk") == ["d.CACerts"]
    assert paths(uri="https://ok.example.com", ca_certs=pem.replace("CERTIFICATE", "PRIVATE KEY")) == ["d.CACerts"]
    assert paths(service="a", ca_certs="junk") == []  # Go returns the ref's verdict first, CA certs unchecked
    assert paths(service="a", broker="b") == ["d"]
    assert paths() == ["d"]


def test_a_platform_spec_checks_its_services_events_against_its_own_brokers():
    config = {"cluster": {"type": "existing", "ingressAddress": "203.0.113.10"},
              "services": {"api": {"image": IMAGE, "namespace": NS,
                                   "triggers": {"t": {"broker": "default"}},
                                   "schedules": {"s": {"schedule": "not cron"}}}}}
    with pytest.raises(SpecError) as refused:
        build_platform_spec("dev", config)
    assert [p.path for p in refused.value.problems] == ["services.api.triggers.t.broker",
                                                        "services.api.schedules.s.schedule"]
    config["eventing"] = {"brokers": {"default": {"namespace": NS}}}
    config["services"]["api"]["schedules"]["s"]["schedule"] = "@daily"
    spec = build_platform_spec("dev", config)
    assert uses_eventing(spec) and not uses_eventing(dataclasses.replace(spec, eventing=EventingSpec(), services=()))


def test_python_declared_eventing_meets_the_same_rules():
    spec = EventingSpec(brokers=(Broker(name="default", namespace=NS, class_=BrokerClass.KAFKA),),
                        sources=(EventSource(name="o", namespace=NS, sink=Destination(broker="default"),
                                             pubsub=PubSubSpec(topic="goog-x", backend=PubSubBackend.ADAPTER)),))
    found = [p.path for p in eventing_problems(spec, [], EventingCluster())]
    assert found == ["eventing.brokers.default.kafka", "eventing.sources.o.pubsub.topic",
                     "eventing.sources.o.pubsub.backend"]


# -- generated configs --------------------------------------------------------------------------------------

ODD = [None, True, -1, 2**63, 1e400, "", "x" * 300, "\ud800", "@every 1h", "CRON_TZ=", "TZ=UTC", "-", "PT",
       "P0", "0 3 * * *", "Europe/Paris", "application/json", "{}", "default", "svc", "http://x", "/p", [], {},
       [[[[]]]], {"a": {"b": {}}}]
NAMES = ["default", "test-broker", "svc", "t", "Bad", "a" * 70, "", "x.y"]


def _typed(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Config values of type ``tp``, plausible or odd, as a stack file could spell them."""
    odd = st.sampled_from(ODD)
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[_typed(a, depth) for a in get_args(tp) if a is not type(None)])
    if depth > 5:
        return odd
    if origin in (tuple, list) or origin is typing.Sequence:
        return st.one_of(st.lists(_typed(get_args(tp)[0], depth + 1), max_size=3), odd)
    if origin in (dict, Mapping) or origin is typing.Mapping:
        return st.one_of(st.dictionaries(st.sampled_from(NAMES), _typed(get_args(tp)[1], depth + 1), max_size=2), odd)
    if dataclasses.is_dataclass(tp):
        hints = get_type_hints(tp)
        fields = {config_key(f): _typed(hints[f.name], depth + 1) for f in config_fields(tp)}
        if tp is EventingSpec:
            fields.update(brokers=st.dictionaries(st.sampled_from(NAMES), _typed(Broker, depth + 1), max_size=2),
                          sources=st.dictionaries(st.sampled_from(NAMES), _typed(EventSource, depth + 1), max_size=2))
        return st.one_of(st.fixed_dictionaries({}, optional={**fields, "unknown": odd}), odd)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.one_of(st.sampled_from([m.value for m in tp]), odd)
    return odd if tp is not str else st.one_of(odd, st.text(max_size=12))


@settings(max_examples=80, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(eventing=_typed(EventingSpec), triggers=_typed(typing.Mapping[str, Trigger]),
       schedules=_typed(typing.Mapping[str, Schedule]), profile=st.sampled_from([None, *ClusterProfile]))
def test_any_eventing_config_ends_in_problems_with_a_path_never_a_traceback(eventing, triggers, schedules, profile):
    config = {"eventing": eventing, "services": {"svc": {"image": IMAGE, "namespace": NS, "triggers": triggers,
                                                         "schedules": schedules}}}
    cluster = EventingCluster(profile=profile, gke=profile is not None, private_endpoint=profile is ClusterProfile.PROD)
    for problem in problems(config, cluster):
        assert problem.startswith(("eventing", "services.svc")), problem


def test_the_examples_of_docs_eventing_md_are_valid_together():
    text = (Path(__file__).parents[1] / "docs" / "eventing.md").read_text(encoding="utf-8")
    eventing: dict = {}
    services: dict = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        doc = yaml.safe_load(block)
        for key, value in (doc.get("knative-platform:eventing") or {}).items():
            eventing[key] = {**eventing.get(key, {}), **value} if isinstance(value, dict) else value
        for name, spec in (doc.get("knative-platform:services") or {}).items():
            services.setdefault(name, {}).update(spec)
    assert set(eventing) == {"brokers", "relax", "sources"} and set(services["hello"]) >= {"triggers", "schedules"}
    assert set(eventing["brokers"]) == {"default", "events"}  # the in-memory and the Kafka broker
    # on dev's kind of cluster: the Pub/Sub example needs a GKE cluster with a public endpoint
    assert problems({"eventing": eventing, "services": services}, DEV_GKE) == []
