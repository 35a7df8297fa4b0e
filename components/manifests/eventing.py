"""Knative Eventing objects: Brokers, the Kafka broker's ConfigMap, and each service's Triggers and PingSources.

Input is a *validated* :class:`~knative_platform.model.eventing.eventing.EventingSpec` or
:class:`~knative_platform.model.service.service.Service`; output is the plain dict Kubernetes
receives, in a fixed field order, so two renders of a stack are byte-identical.

Every object carries what Eventing's defaulting webhook would add to it
(knative.dev/eventing v0.50.0, vendored in knative/operator ``knative-v1.23.0``),
so what Pulumi applies is what the cluster stores and a refresh shows no drift:

* Broker (``pkg/apis/eventing/v1/broker_defaults.go``, ``pkg/apis/eventing/defaults.go``):
  the class annotation, ``spec.config`` and ``spec.delivery`` from
  ``config-br-defaults`` when the stack sets none, the config's namespace;
* Trigger (``trigger_defaults.go``): ``filter: {}``, the subscriber's and the
  dead-letter sink's namespace, and the label ``eventing.knative.dev/broker``;
* PingSource (``pkg/apis/sources/v1/ping_defaults.go``) defaults only an empty
  schedule, which the platform never sends.
"""

from __future__ import annotations

from typing import Any

from ..model.eventing.eventing import (
    BROKER_DEFAULT_DELIVERY,
    Broker,
    BrokerClass,
    Delivery,
    Destination,
    EventFilter,
    Schedule,
    Trigger,
)
from ..model.eventing.eventing_checks import prefixed_name
from ..model.service.service import Service
from .labels import standard_labels

EVENTING_V1 = "eventing.knative.dev/v1"
SOURCES_V1 = "sources.knative.dev/v1"
SERVING_V1 = "serving.knative.dev/v1"
BROKER_CLASS_ANNOTATION = "eventing.knative.dev/broker.class"
"""broker_validation.go ``BrokerClassAnnotationKey``: required, and immutable once set."""
BROKER_LABEL = "eventing.knative.dev/broker"
"""trigger_defaults.go ``brokerLabel``: the defaulter labels each Trigger with its broker's name."""
SYSTEM_NAMESPACE = "knative-eventing"
MT_BROKER_CONFIG = {"kind": "ConfigMap", "namespace": SYSTEM_NAMESPACE, "name": "config-br-default-channel",
                    "apiVersion": "v1"}
"""The config ``config-br-defaults`` gives every broker as released (eventing-core.yaml ``knative-v1.23.0``:
``clusterDefault`` names ConfigMap ``config-br-default-channel``, whose channel is the InMemoryChannel)."""
WAIT_FOR_READY = {"pulumi.com/waitFor": "condition=Ready"}
"""pulumi-kubernetes does not await custom resources by default: a Broker whose Kafka is unreachable, or a
Trigger whose service never resolves, fails ``pulumi up`` instead of passing it."""


def kafka_config_name(broker: Broker) -> str:
    """The ConfigMap the platform writes for a Kafka broker, in the broker's namespace."""
    return f"{broker.name}-kafka-broker-config"


def broker_config(broker: Broker) -> dict[str, str]:
    """``spec.config``: the in-memory channel's, or the broker's own Kafka ConfigMap (the Kafka webhook wants one).

    eventing-kafka-broker ``knative-v1.23.0`` ``control-plane/pkg/apis/eventing/v1/broker_validation.go``
    refuses any other kind for class Kafka; ``config-br-defaults`` would give a Kafka broker the in-memory
    channel's ConfigMap, so it is always rendered.
    """
    if broker.class_ is BrokerClass.KAFKA:
        return {"kind": "ConfigMap", "namespace": broker.namespace, "name": kafka_config_name(broker),
                "apiVersion": "v1"}
    return dict(MT_BROKER_CONFIG)


def broker_manifest(broker: Broker) -> dict[str, Any]:
    """The Broker with its class, config and delivery explicit: replace it to change the first two."""
    return {
        "apiVersion": EVENTING_V1,
        "kind": "Broker",
        "metadata": {"name": broker.name, "namespace": broker.namespace,
                     "labels": standard_labels(broker.name, "broker"),
                     "annotations": {BROKER_CLASS_ANNOTATION: broker.class_.value, **WAIT_FOR_READY}},
        "spec": {"config": broker_config(broker),
                 "delivery": delivery(broker.delivery or BROKER_DEFAULT_DELIVERY, broker.namespace)},
    }


def kafka_broker_config(broker: Broker) -> dict[str, Any] | None:
    """The Kafka broker's ConfigMap: bootstrap servers, topic shape and the credentials' Secret (by name only).

    eventing-kafka-broker ``knative-v1.23.0``: keys of ``control-plane/pkg/kafka/topic.go`` and
    ``control-plane/pkg/security/config.go`` (``auth.secret.ref.name``); the broker reconciler reads the
    Secret from the ConfigMap's namespace (``pkg/reconciler/broker/broker.go``, ``UseNamespaceInConfigmap:
    false``).
    """
    if broker.kafka is None:
        return None
    kafka = broker.kafka
    data = {"bootstrap.servers": ",".join(kafka.bootstrap_servers),
            "default.topic.partitions": str(kafka.topic.partitions),
            "default.topic.replication.factor": str(kafka.topic.replication_factor)}
    if kafka.auth is not None:
        data["auth.secret.ref.name"] = kafka.auth.secret
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": kafka_config_name(broker), "namespace": broker.namespace,
                         "labels": standard_labels(broker.name, "kafka-broker-config")},
            "data": dict(sorted(data.items()))}


def destination(dest: Destination, namespace: str) -> dict[str, Any]:
    """A Destination as Knative stores it: the ref's namespace defaulted (destination.go ``SetDefaults``)."""
    out: dict[str, Any] = {}
    if dest.service is not None:
        out["ref"] = reference(SERVING_V1, "Service", dest.service, namespace)
    elif dest.broker is not None:
        out["ref"] = reference(EVENTING_V1, "Broker", dest.broker, namespace)
    elif dest.ref is not None:
        out["ref"] = reference(dest.ref.api_version, dest.ref.kind, dest.ref.name, dest.ref.namespace or namespace)
    if dest.uri is not None:
        out["uri"] = dest.uri
    if dest.ca_certs is not None:
        out["CACerts"] = dest.ca_certs
    if dest.audience is not None:
        out["audience"] = dest.audience
    return out


def reference(api_version: str, kind: str, name: str, namespace: str) -> dict[str, str]:
    """A KReference in the order Knative serialises it."""
    return {"kind": kind, "namespace": namespace, "name": name, "apiVersion": api_version}


def delivery(spec: Delivery, namespace: str) -> dict[str, Any]:
    """A DeliverySpec with only what is set (delivery_types.go field names)."""
    out: dict[str, Any] = {}
    if spec.dead_letter_sink is not None:
        out["deadLetterSink"] = destination(spec.dead_letter_sink, namespace)
    for key, value in (("retry", spec.retry), ("timeout", spec.timeout), ("backoffPolicy", spec.backoff_policy),
                       ("backoffDelay", spec.backoff_delay), ("retryAfterMax", spec.retry_after_max),
                       ("format", spec.format)):
        if value is not None:
            out[key] = str(value) if key in ("backoffPolicy", "format") else value
    return out


def filter_expression(expression: EventFilter) -> dict[str, Any]:
    """A SubscriptionsAPIFilter: the one dialect set (trigger_types.go field names)."""
    out: dict[str, Any] = {}
    for key in ("exact", "prefix", "suffix"):
        if getattr(expression, key):
            out[key] = dict(sorted(getattr(expression, key).items()))
    for key in ("all", "any"):
        if getattr(expression, key):
            out[key] = [filter_expression(e) for e in getattr(expression, key)]
    if expression.not_ is not None:
        out["not"] = filter_expression(expression.not_)
    return out


def subscriber(service: Service, path: str | None) -> dict[str, Any]:
    """The service as a Destination, ``path`` resolved against its address."""
    return destination(Destination(service=service.name, uri=path), service.namespace)


def trigger_manifest(service: Service, key: str, trigger: Trigger) -> dict[str, Any]:
    """The Trigger ``<service>-<key>``: the broker's matching events to the service (replace it to move brokers)."""
    name = prefixed_name(service.name, key)
    spec: dict[str, Any] = {"broker": trigger.broker,
                            "filter": {"attributes": dict(sorted(trigger.filter.items()))} if trigger.filter else {}}
    if trigger.filters:
        spec["filters"] = [filter_expression(e) for e in trigger.filters]
    spec["subscriber"] = subscriber(service, trigger.path)
    if trigger.delivery is not None:
        spec["delivery"] = delivery(trigger.delivery, service.namespace)
    return {
        "apiVersion": EVENTING_V1,
        "kind": "Trigger",
        "metadata": {"name": name, "namespace": service.namespace,
                     "labels": {**standard_labels(service.name, "trigger"), BROKER_LABEL: trigger.broker},
                     "annotations": dict(WAIT_FOR_READY)},
        "spec": spec,
    }


def ping_source_manifest(service: Service, key: str, schedule: Schedule) -> dict[str, Any]:
    """The PingSource ``<service>-<key>``: ``schedule`` in ``timezone``, its body, to the service."""
    spec: dict[str, Any] = {"schedule": schedule.schedule}
    for field, value in (("timezone", schedule.timezone), ("contentType", schedule.content_type),
                         ("data", schedule.data), ("dataBase64", schedule.data_base64)):
        if value is not None:
            spec[field] = value
    spec["sink"] = subscriber(service, schedule.path)
    if schedule.ce_overrides is not None:
        spec["ceOverrides"] = {"extensions": dict(sorted(schedule.ce_overrides.extensions.items()))}
    return {
        "apiVersion": SOURCES_V1,
        "kind": "PingSource",
        "metadata": {"name": prefixed_name(service.name, key), "namespace": service.namespace,
                     "labels": standard_labels(service.name, "schedule"), "annotations": dict(WAIT_FOR_READY)},
        "spec": spec,
    }


def service_event_manifests(service: Service) -> list[dict[str, Any]]:
    """Every Trigger and PingSource of ``service``, by key (a reordered stack file renders the same)."""
    return ([trigger_manifest(service, key, service.triggers[key]) for key in sorted(service.triggers)]
            + [ping_source_manifest(service, key, service.schedules[key]) for key in sorted(service.schedules)])


PING_EVENT_TYPE = "dev.knative.sources.ping"
"""The type of a PingSource's events (knative/eventing ``pkg/apis/sources/v1/ping_lifecycle.go``
``PingSourceEventType``; knative-v1.22.2, the snapshot's newest tag, the same in v0.50.0)."""


def ping_event_source(namespace: str, name: str) -> str:
    """A PingSource's CloudEvent ``source`` (ping_lifecycle.go ``PingSourceSource``)."""
    return f"/apis/v1/namespaces/{namespace}/pingsources/{name}"


def service_events_output(service: Service) -> dict[str, Any] | None:
    """The service's entry of the stack output ``events``: what its triggers and schedules deliver, by object name.

    The smoke check reads it to know which events to look for (docs/eventing.md, "Checking delivery").
    """
    if not (service.triggers or service.schedules):
        return None
    triggers = {prefixed_name(service.name, key): {"broker": t.broker, "filter": dict(sorted(t.filter.items()))}
                for key, t in sorted(service.triggers.items())}
    schedules = {}
    for key, schedule in sorted(service.schedules.items()):
        name = prefixed_name(service.name, key)
        schedules[name] = {"schedule": schedule.schedule, "timezone": schedule.timezone or "UTC",
                           "type": PING_EVENT_TYPE, "source": ping_event_source(service.namespace, name)}
    return {"triggers": triggers, "schedules": schedules}


REPLACE_ON_CHANGES = {
    "Broker": ("spec.config", "metadata.annotations"),
    "Trigger": ("spec.broker",),
}
"""Fields Eventing's webhook refuses to change in place (broker_validation.go ``CheckImmutableFields``: the
spec but ``delivery``, and the class annotation; trigger_validation.go ``CheckImmutableFields``:
``spec.broker``); the component replaces the object instead (``replace_on_changes`` with
``delete_before_replace``: the name stays the same)."""


def immutable_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields an update from ``before`` to ``after`` changes that Eventing's webhook refuses to update.

    broker_validation.go ``Broker.CheckImmutableFields``: ``spec`` but ``delivery``
    (``cmpopts.IgnoreFields(BrokerSpec{}, "Delivery")``), then the class annotation;
    trigger_validation.go ``Trigger.CheckImmutableFields``: ``spec.broker``. Each
    path is one :data:`REPLACE_ON_CHANGES` lists, so the change is a replacement.
    """
    kind = after.get("kind")
    old_spec, new_spec = before.get("spec") or {}, after.get("spec") or {}
    if kind == "Trigger":
        return ["spec.broker"] if old_spec.get("broker") != new_spec.get("broker") else []
    if kind != "Broker":
        return []
    changed = []
    if {k: v for k, v in old_spec.items() if k != "delivery"} != {k: v for k, v in new_spec.items() if k != "delivery"}:
        changed.append("spec.config")
    classes = [(o.get("metadata") or {}).get("annotations", {}).get(BROKER_CLASS_ANNOTATION) for o in (before, after)]
    if classes[0] != classes[1]:
        changed.append("metadata.annotations")
    return changed
