"""Google Pub/Sub into a broker: where Eventarc's GKE destination works, and the names the platform gives it.

knative-gcp (``CloudPubSubSource``) is archived and its images are gone, so the
platform delivers Pub/Sub messages with Eventarc instead (docs/eventing.md,
"Google Pub/Sub"): an Eventarc trigger on ``type=google.cloud.pubsub.topic.v1.
messagePublished`` whose transport is the user's topic and whose destination is
the broker's ingress Service in the cluster. Eventarc runs an event forwarder in
the cluster that pulls from a subscription it creates and POSTs each message as
a CloudEvent.

Eventarc's GKE destinations reach "services running in (public or private) GKE
clusters with public endpoints. To target services in GKE clusters with private
endpoints, route events to internal HTTP endpoints" (Google Cloud, Eventarc
Standard, "Route Cloud Pub/Sub events to GKE",
docs.cloud.google.com/eventarc/standard/docs/gke/route-trigger-cloud-pubsub), so
the backend ``eventarc-gke`` is accepted only on a cluster the platform creates
(``cluster.type: gke``, always with Workload Identity, which the event forwarder
needs) whose control plane keeps its public IP endpoint
(``GkeClusterSpec.private_endpoint`` is false: ``cluster.relax.publicEndpoint``,
which prod refuses). Pure: no Pulumi import.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..cluster.cluster import ClusterProfile
from ..core.errors import Problem, join_path
from ..core.names import dns1123_label_problem
from .eventing import Destination, PubSubBackend, PubSubSpec

if TYPE_CHECKING:
    from .eventing_checks import EventingCluster

MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
"""The CloudEvents type of a message published to a topic: the one filter a Pub/Sub Eventarc trigger has, and the
``type`` the broker's triggers filter on (Eventarc's list of direct events)."""
_PUBSUB_ID = re.compile(r"[A-Za-z][-A-Za-z0-9_.~+%]{2,254}")
"""Pub/Sub topic and subscription IDs: 3-255 characters, a letter first, not ``goog...``
(cloud.google.com/pubsub/docs/admin, "Resource names")."""
_TOPIC_NAME = re.compile(r"projects/([^/]*)/topics/([^/]*)")


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a Pub/Sub topic or subscription ID (None: it is one)."""
    if _PUBSUB_ID.fullmatch(value) and not value.lower().startswith("goog"):
        return None
    return f"'{value}' is not a Pub/Sub ID: 3-255 letters, digits and -_.~+%, starting with a letter, not with goog"


def topic_name(topic: str, project: str) -> str:
    """The topic's full name, ``projects/<project>/topics/<id>``: a bare ID is a topic of the cluster's project."""
    return topic if _TOPIC_NAME.fullmatch(topic) else f"projects/{project}/topics/{topic}"


def eventarc_trigger_name(cluster: str, source: str) -> str:
    """The Eventarc trigger of a Pub/Sub source: ``<cluster>-<source>``, one per cluster in a shared project."""
    return f"{cluster}-{source}"


def _topic_problem(topic: str, project: str | None) -> str | None:
    """A bare ID, or the full name of a topic in the cluster's project (the trigger's account reads it there)."""
    full = _TOPIC_NAME.fullmatch(topic)
    if full is None:
        return id_problem(topic)
    owner, topic_id = full.groups()
    if not owner or id_problem(topic_id):
        return f"'{topic}' is not a Pub/Sub ID or a topic name projects/<project>/topics/<id>"
    if project is not None and owner != project:
        return (f"is in project {owner}, not the cluster's ({project}): the Eventarc trigger, its subscription "
                "and its account's roles live in the cluster's project; publish to a topic there (stricter than "
                "Eventarc, which would need grants in the other project the platform does not make)")
    return None


def pubsub_problems(pubsub: PubSubSpec, sink: Destination, path: str, source: str,
                    cluster: EventingCluster) -> list[Problem]:
    """What the platform can build for Google Pub/Sub on ``cluster``, and every input it cannot use.

    ``path`` is the source's ``pubsub`` key; ``source`` the source's name.
    """
    problems = [Problem(join_path(path, "topic"), p) for p in [_topic_problem(pubsub.topic, cluster.project)] if p]
    problems += _backend_problems(pubsub, path, cluster)
    if pubsub.backend is PubSubBackend.EVENTARC_GKE and pubsub.subscription is not None:
        problems.append(Problem(join_path(path, "subscription"), "Eventarc creates and owns the subscription it "
                                                                 "pulls from (the trigger's transport); remove "
                                                                 "subscription"))
    elif pubsub.subscription is not None and (problem := id_problem(pubsub.subscription)):
        problems.append(Problem(join_path(path, "subscription"), problem))
    if sink.broker is None:
        problems.append(Problem(path, "needs sink: {broker: <name>}: Eventarc delivers Pub/Sub messages to a "
                                      "broker's ingress, and triggers route them from there"))
    if pubsub.backend is PubSubBackend.EVENTARC_GKE and cluster.gke and cluster.name is not None:
        trigger = eventarc_trigger_name(cluster.name, source)
        if dns1123_label_problem(trigger):
            problems.append(Problem(path.rsplit(".", 1)[0], f"the Eventarc trigger {trigger} (<cluster>-<source>) "
                                                            "is not a DNS-1123 label of at most 63 characters "
                                                            "(the platform's choice of trigger names); shorten "
                                                            "the source's name"))
    return problems


def _backend_problems(pubsub: PubSubSpec, path: str, cluster: EventingCluster) -> list[Problem]:
    """The backend's verdict on this cluster: built (``eventarc-gke`` on a public endpoint), or why not."""
    where = join_path(path, "backend")
    if pubsub.backend is PubSubBackend.ADAPTER:
        return [Problem(where, "adapter is not available yet: the pull adapter is a ContainerSource whose image "
                               "the platform's source builds (issue 20) produce; use eventarc-gke on a cluster "
                               "with a public endpoint")]
    if not cluster.gke:
        return [Problem(where, "eventarc-gke needs a GKE cluster the platform creates (cluster type gke, with "
                               "Workload Identity): Eventarc names the destination by cluster, location and "
                               "Service, and its event forwarder runs under Workload Identity")]
    if not cluster.private_endpoint:
        return []
    reason = ("eventarc-gke cannot reach a cluster whose control plane has no public endpoint (Eventarc's GKE "
              "destinations need one; Google routes private clusters to internal HTTP endpoints instead)")
    if cluster.profile is ClusterProfile.PROD:
        return [Problem(where, f"{reason}; prod refuses cluster.relax.publicEndpoint, so remove this source and "
                               "create an Eventarc trigger to an internal HTTP endpoint in the VPC in front of the "
                               "broker's ingress, or publish to the broker from a workload in the cluster "
                               "(docs/eventing.md, \"Google Pub/Sub\")")]
    return [Problem(where, f"{reason}; set cluster.relax.publicEndpoint: true (the endpoint stays closed to "
                           "all but authorizedNetworks), or remove this source")]
