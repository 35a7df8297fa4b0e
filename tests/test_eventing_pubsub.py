"""Google Pub/Sub sources under mocks: Eventarc's GKE destination into the broker's ingress, its IAM, its order.

dev (a GKE cluster the platform creates, with a public control-plane endpoint) gets an Eventarc trigger per
source; prod (private endpoint) and a cluster the platform does not create refuse the source with the reason,
before anything registers.
"""

from __future__ import annotations

import pytest
from conftest import config_error, run_stack
from test_workload_identity import waits_for

from knative_platform.gcp_args.eventarc import trigger_account_id
from knative_platform.offline.mocks import project_number

TRIGGER = "gcp:eventarc/trigger:Trigger"
IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
CLUSTER = "gcp:container/cluster:Cluster"
BROKER = "kubernetes:eventing.knative.dev/v1:Broker"
PROJECT = "knative-platform-dev"


def pubsub(topic="orders", broker="default", namespace="default", cls=None, **extra):
    """A stack's eventing with one broker and the Pub/Sub source ``orders`` into it."""
    spec = {"namespace": namespace, **({"class": "Kafka", "kafka": {"bootstrapServers": ["k.kafka:9092"]}}
                                        if cls == "Kafka" else {})}
    return {"eventing": {"brokers": {broker: spec},
                         "sources": {"orders": {"namespace": namespace, "sink": {"broker": broker},
                                                "pubsub": {"topic": topic, "backend": "eventarc-gke", **extra}}}}}


@pytest.fixture(scope="module")
def dev():
    return run_stack("dev", pubsub())


def test_dev_gets_an_eventarc_trigger_from_the_topic_to_the_brokers_ingress(dev):
    trigger = dev.named("pubsub-orders", TRIGGER)
    inputs = trigger.inputs
    assert inputs["name"] == "knative-dev-orders" and inputs["project"] == PROJECT
    assert inputs["location"] == "europe-west1"  # the zonal dev cluster's region; the destination names the zone
    assert inputs["matchingCriterias"] == [{"attribute": "type",
                                            "value": "google.cloud.pubsub.topic.v1.messagePublished"}]
    assert inputs["transport"] == {"pubsub": {"topic": f"projects/{PROJECT}/topics/orders"}}
    assert inputs["destination"] == {"gke": {"cluster": "knative-dev", "location": "europe-west1-b",
                                             "namespace": "knative-eventing", "service": "broker-ingress",
                                             "path": "/default/default"}}
    account = trigger_account_id("knative-dev", "orders")
    assert inputs["serviceAccount"] == f"{account}@{PROJECT}.iam.gserviceaccount.com"
    assert trigger.provider and "knative-dev-gcp" in trigger.provider  # the cluster's explicit GCP provider
    assert inputs["labels"]["platform"] == "knative-platform" and inputs["labels"]["profile"] == "dev"


def test_the_trigger_account_and_the_eventarc_agent_get_exactly_the_documented_roles(dev):
    grants = {(g.inputs["role"], g.inputs["member"]) for g in dev.by_type(IAM_MEMBER) if "pubsub" in g.name}
    account = f"serviceAccount:{trigger_account_id('knative-dev', 'orders')}@{PROJECT}.iam.gserviceaccount.com"
    agent = f"serviceAccount:service-{project_number(PROJECT)}@gcp-sa-eventarc.iam.gserviceaccount.com"
    assert grants == {("roles/monitoring.metricWriter", account), ("roles/pubsub.subscriber", account),
                      ("roles/compute.viewer", agent), ("roles/container.developer", agent),
                      ("roles/iam.serviceAccountAdmin", agent)}
    assert all(g.inputs["project"] == PROJECT for g in dev.by_type(IAM_MEMBER) if "pubsub" in g.name)
    (identity,) = dev.by_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert identity.inputs["service"] == "eventarc.googleapis.com"
    # the agent exists (ServiceIdentity) before any role is granted to it
    assert all(identity.urn in g.dependencies for g in dev.by_type(IAM_MEMBER) if "pubsub-agent" in g.name)
    assert not any("svc.id.goog" in str(g.inputs["member"]) for g in dev.by_type(IAM_MEMBER) if "pubsub" in g.name)


def test_the_trigger_waits_for_its_grants_the_cluster_and_the_broker(dev):
    trigger = dev.named("pubsub-orders", TRIGGER)
    waited = waits_for(dev, trigger.urn)
    grants = {g.urn for g in dev.by_type(IAM_MEMBER) if "pubsub" in g.name}
    assert len(grants) == 5 and grants <= set(trigger.dependencies)
    assert dev.named("broker-default", BROKER).urn in waited
    assert {c.urn for c in dev.by_type(CLUSTER)} <= waited


def test_a_kafka_brokers_ingress_and_a_full_topic_name():
    capture = run_stack("dev", pubsub(topic=f"projects/{PROJECT}/topics/orders-1", broker="events", namespace="shop",
                                      cls="Kafka"))
    inputs = capture.named("pubsub-orders", TRIGGER).inputs
    assert inputs["transport"] == {"pubsub": {"topic": f"projects/{PROJECT}/topics/orders-1"}}
    assert inputs["destination"]["gke"] | {"cluster": None, "location": None} == {
        "cluster": None, "location": None, "namespace": "knative-eventing", "service": "kafka-broker-ingress",
        "path": "/shop/events"}


def test_prod_refuses_eventarc_with_the_reason_and_the_alternatives_before_anything_registers():
    error = config_error("prod", pubsub() | {"eventing": {**pubsub()["eventing"], "relax": {"inMemoryBroker": True}}})
    assert [p.path for p in error.problems] == ["eventing.sources.orders.pubsub.backend"]
    message = str(error)
    assert "no public endpoint" in message and "prod refuses cluster.relax.publicEndpoint" in message
    assert "internal HTTP endpoint" in message


def test_a_cluster_the_platform_does_not_create_refuses_eventarc():
    error = config_error("local", pubsub())
    assert [p.path for p in error.problems] == ["eventing.sources.orders.pubsub.backend"]
    assert "needs a GKE cluster the platform creates" in str(error)


def test_a_stack_without_pubsub_sources_creates_no_eventarc_resource():
    capture = run_stack("dev", {"eventing": {"brokers": {"default": {}}}})
    assert capture.by_type(TRIGGER) == [] and capture.by_type("gcp:projects/serviceIdentity:ServiceIdentity") == []
