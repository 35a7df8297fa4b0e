"""Eventarc's GKE destination for a Pub/Sub source: the trigger's arguments and the roles it needs, from the spec.

The destination is the broker's ingress Service, which serves every broker of
its class by path ``/<namespace>/<broker>``:

* ``MTChannelBasedBroker``: Service ``broker-ingress`` in ``knative-eventing``
  (knative/operator ``knative-v1.23.0``
  ``cmd/operator/kodata/knative-eventing/1.23.0/5-mt-channel-broker.yaml``, port
  ``80`` → ``8080``); the broker's address is that Service with path
  ``/<namespace>/<name>`` (knative/eventing ``pkg/reconciler/broker/broker.go``
  ``httpAddress``, and ``pkg/broker/ingress/ingress_handler.go`` ``ServeHTTP``
  splits the request URI into exactly those two parts; read at 8cf4c4b and
  ``knative-v1.22.2``, the newest stored refs: the snapshot has no 1.23 tag);
* ``Kafka``: Service ``kafka-broker-ingress`` in ``knative-eventing``, port 80
  (knative-extensions/eventing-kafka-broker ``knative-v1.23.0``
  ``data-plane/config/broker/500-receiver.yaml``), path
  ``/<namespace>/<name>`` (``control-plane/pkg/receiver/routing.go`` ``Path``).

Eventarc's GKE destination names a Kubernetes Service by cluster, location,
namespace and name, and a relative path (pulumi-gcp 10.2.0
``eventarc/_inputs.py`` ``TriggerDestinationGkeArgs``); it sends no port, so
the Service's port 80 (``http``) is what its forwarder reaches.

IAM, from Google Cloud's Eventarc Standard documentation:

* the Eventarc service agent (``service-<number>@gcp-sa-eventarc``) gets what
  ``gcloud eventarc gke-destinations init`` binds once per project, "to allow
  Eventarc to manage resources in the GKE cluster" (it runs an event forwarder
  per trigger and binds the forwarder's Kubernetes account to the trigger's
  Google account): ``roles/compute.viewer``, ``roles/container.developer``,
  ``roles/iam.serviceAccountAdmin`` ("Migrate Pub/Sub triggers from Events for
  Cloud Run for Anthos to Eventarc", docs.cloud.google.com/eventarc/standard/
  docs/gke/migrating-event-triggers, "Enable GKE destinations"; Google's Terraform docs
  sample ``[START terraform_eventarc_gke_initialize]`` grants the same three, to
  ``service-<number>@gcp-sa-eventarc``, after ``google_project_service_identity``);
* the trigger's service account: ``roles/pubsub.subscriber`` ("allows your
  Eventarc trigger to consume messages from Pub/Sub and to attach subscriptions
  to a topic") and ``roles/monitoring.metricWriter`` ("allows Eventarc's event
  forwarder to write metrics"); ``roles/eventarc.eventReceiver`` is not needed
  ("You don't need to grant the role if you are routing direct events from
  Cloud Pub/Sub"): "Roles and permissions for Google Kubernetes Engine (GKE)
  targets", cloud.google.com/eventarc/docs/gke/roles-permissions.

No Pulumi import.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..manifests.eventing import SYSTEM_NAMESPACE
from ..model.cluster.cluster import GkeClusterSpec
from ..model.eventing.eventing import Broker, BrokerClass, EventSource
from ..model.eventing.pubsub import MESSAGE_PUBLISHED, eventarc_trigger_name, topic_name

EVENTARC_SERVICE = "eventarc.googleapis.com"
"""The API whose service agent the platform makes sure exists before granting it roles."""
AGENT_ROLES = ("roles/compute.viewer", "roles/container.developer", "roles/iam.serviceAccountAdmin")
"""What ``gcloud eventarc gke-destinations init`` binds to the Eventarc service agent, project-wide."""
TRIGGER_ROLES = ("roles/monitoring.metricWriter", "roles/pubsub.subscriber")
"""The trigger service account's project roles for direct Pub/Sub events to a GKE destination."""
INGRESS_SERVICES = {BrokerClass.MT_CHANNEL_BASED: "broker-ingress", BrokerClass.KAFKA: "kafka-broker-ingress"}
"""The Service in ``knative-eventing`` that receives the events of every broker of a class."""
_ACCOUNT_ID_MAX = 30


def eventarc_service_agent(project_number: str) -> str:
    """The Eventarc service agent of a project, as an IAM member (Eventarc "Access control with IAM")."""
    return f"serviceAccount:service-{project_number}@gcp-sa-eventarc.iam.gserviceaccount.com"


def trigger_account_id(cluster: str, source: str) -> str:
    """The trigger's Google service account: ``ea-<cluster>-<source>``, cut with a hash to 30 characters."""
    candidate = f"ea-{cluster}-{source}"
    if len(candidate) <= _ACCOUNT_ID_MAX:
        return candidate
    digest = hashlib.sha256(candidate.encode()).hexdigest()[:6]
    return f"{candidate[: _ACCOUNT_ID_MAX - len(digest) - 1].rstrip('-')}-{digest}"


def broker_destination(broker: Broker) -> dict[str, str]:
    """The broker's ingress as Eventarc's GKE destination names it (without cluster and location)."""
    return {"namespace": SYSTEM_NAMESPACE, "service": INGRESS_SERVICES[broker.class_],
            "path": f"/{broker.namespace}/{broker.name}"}


def role_slug(role: str) -> str:
    """A role as a resource-name part: ``roles/pubsub.subscriber`` -> ``pubsub-subscriber``."""
    return role.removeprefix("roles/").replace(".", "-")


def trigger_args(source: EventSource, broker: Broker, spec: GkeClusterSpec, *, cluster_name: Any,
                 cluster_location: Any, service_account: Any) -> dict[str, Any]:
    """The ``gcp.eventarc.Trigger`` arguments of a Pub/Sub source (``cluster_*`` are the cluster's outputs).

    The trigger lives in the cluster's region (a zonal cluster's too: ``destination.gke.location`` says where
    the cluster is). The transport is the user's topic, which Eventarc never deletes.
    """
    assert source.pubsub is not None  # only Pub/Sub sources have a trigger
    return {
        "name": eventarc_trigger_name(spec.name, source.name),
        "project": spec.project,
        "location": spec.region,
        "matching_criterias": [{"attribute": "type", "value": MESSAGE_PUBLISHED}],
        "transport": {"pubsub": {"topic": topic_name(source.pubsub.topic, spec.project)}},
        "destination": {"gke": {"cluster": cluster_name, "location": cluster_location,
                                **broker_destination(broker)}},
        "service_account": service_account,
    }
