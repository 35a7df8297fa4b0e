"""Eventing across objects: what Knative's webhook cannot see, and the verdict on a whole stack's events.

:func:`eventing_problems` is the one entry: every webhook rule of
:mod:`knative_platform.model.eventing.eventing_rules` on each broker, source, trigger and
schedule, plus the rules that need the whole stack, each stricter than Knative
by choice and saying so in its message:

* a trigger names a broker the stack declares in the service's namespace
  (Knative accepts any name and leaves the trigger ``BrokerDoesNotExist``:
  ``pkg/reconciler/broker/trigger`` in knative/eventing);
* a ``service:`` or ``broker:`` sink names one the stack declares there;
* generated names (``<service>-<key>``) are DNS-1123 labels: Eventing copies a
  Trigger's name into the label ``eventing.knative.dev/trigger`` of its
  Subscription (knative/eventing 8cf4c4b, ``pkg/reconciler/broker/resources/
  subscription.go``) and a source's into ``eventing.knative.dev/sourceName``
  (``pkg/reconciler/apiserversource/resources/labels.go``), and label values
  are at most 63 characters (a broker's name goes into each Trigger's label
  ``eventing.knative.dev/broker``: ``pkg/apis/eventing/v1/trigger_defaults.go``
  ``setLabels``); and two keys may not make one name;
* prod runs no in-memory broker unless ``eventing.relax.inMemoryBroker``;
* a SinkBinding never binds a Knative Service (docs/eventing.md: the binding
  edits the template Knative names revisions after);
* Google Pub/Sub only where Eventarc's GKE destination works
  (:mod:`knative_platform.model.eventing.pubsub`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..cluster.cluster import ClusterProfile, GkeClusterSpec
from ..cluster.existing import ExistingCluster
from ..core.errors import Problem, join_path
from ..core.names import dns1123_label_problem, dns1123_subdomain_problem
from ..service.service import Service
from ..service.validated import prove, proven
from .eventing import (
    Broker,
    BrokerClass,
    Delivery,
    Destination,
    EventingSpec,
    EventSource,
    KafkaSettings,
)
from .eventing_rules import (
    attribute_names_problems,
    delivery_problems,
    destination_problems,
    filters_problems,
    subscriber_path_problems,
)
from .eventing_source_rules import (
    api_server_problems,
    binding_subject_problems,
    ce_overrides_problems,
    container_problems,
    schedule_problems,
)
from .pubsub import pubsub_problems

KNATIVE_SERVICE_API = "serving.knative.dev/v1"
_HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):([0-9]{1,5})")


@dataclass(frozen=True, kw_only=True)
class EventingCluster:
    """What Eventing's rules need to know of the cluster: its profile, and whether the platform created it."""

    profile: ClusterProfile | None = None
    """None for a cluster the platform does not create (local, kind): judged like dev."""
    gke: bool = False
    """The platform creates the cluster (``cluster.type: gke``): Eventarc can name it as a destination."""
    private_endpoint: bool = False
    """The control plane has no public IP endpoint (:attr:`GkeClusterSpec.private_endpoint`)."""
    project: str | None = None
    """The cluster's project: a Pub/Sub topic named in full must be in it."""
    name: str | None = None
    """The cluster's name: each Pub/Sub source's Eventarc trigger is ``<cluster>-<source>``."""

    @classmethod
    def of(cls, cluster: ExistingCluster | GkeClusterSpec) -> EventingCluster:
        """The facts of a stack's ``cluster``."""
        if isinstance(cluster, GkeClusterSpec):
            return cls(profile=cluster.profile, gke=True, private_endpoint=cluster.private_endpoint,
                       project=cluster.project, name=cluster.name)
        return cls()


def event_namespaces(spec: EventingSpec) -> set[str]:
    """The namespaces the stack's brokers and sources live in: the platform creates them, as its services'.

    A namespace with a platform broker is the platform's: an app stack deploying into it does not create it.
    """
    return {b.namespace for b in spec.brokers} | {s.namespace for s in spec.sources}


def prefixed_name(owner: str, key: str) -> str:
    """The object a service's trigger or schedule becomes: ``<service>-<key>``."""
    return f"{owner}-{key}"


def apiserver_account_name(source: str) -> str:
    """The ServiceAccount (and Role, RoleBinding) an ApiServerSource runs as: never ``default``."""
    return f"{source}-apiserversource"


def eventing_problems(spec: EventingSpec, services: Sequence[Service], cluster: EventingCluster) -> list[Problem]:
    """Everything Eventing's webhook would refuse in the stack's events, and what the platform refuses besides."""
    problems = declared_event_problems(spec, services, cluster)
    for service in services:
        problems += service_event_problems(spec, service, services)
    return problems + name_collision_problems(services)


def checked_with(spec: EventingSpec) -> tuple[str, int]:
    """The proof context of a service whose events passed :func:`eventing_problems` against ``spec``."""
    return ("eventing", id(spec))


def prove_events(spec: EventingSpec, services: Sequence[Service]) -> None:
    """Record that ``services``' triggers and schedules passed against ``spec`` (a stack found valid)."""
    for service in services:
        prove(service, checked_with(spec))


def service_events_once(spec: EventingSpec, service: Service) -> list[Problem]:
    """The triggers and schedules of ``service`` alone against ``spec``, unless a whole stack's check passed them."""
    if not (service.triggers or service.schedules) or proven(service, checked_with(spec)):
        return []
    return service_event_problems(spec, service, [service]) + name_collision_problems([service])


def declared_event_problems(spec: EventingSpec, services: Sequence[Service],
                            cluster: EventingCluster) -> list[Problem]:
    """The brokers' and sources' problems (``services``: the stack's, which a sink may name)."""
    problems: list[Problem] = []
    for broker in spec.brokers:
        problems += _broker_problems(spec, broker, services, cluster)
    for source in spec.sources:
        problems += _source_problems(spec, source, services, cluster)
    return problems + _account_collisions(spec, services)


def _names_problems(name: str, namespace: str, path: str) -> list[Problem]:
    problems = [Problem(path, p) for p in [dns1123_label_problem(name)] if p]
    problems += [Problem(join_path(path, "namespace"), p) for p in [dns1123_label_problem(namespace, "namespace")]
                 if p]
    return problems


def _broker_problems(spec: EventingSpec, broker: Broker, services: Sequence[Service],
                     cluster: EventingCluster) -> list[Problem]:
    path = join_path("eventing.brokers", broker.name)
    problems = _names_problems(broker.name, broker.namespace, path)
    kafka = broker.class_ is BrokerClass.KAFKA
    if kafka and broker.kafka is None:
        problems.append(Problem(join_path(path, "kafka"), "is required for class Kafka: {bootstrapServers: "
                                                          "[host:port, ...], auth: {secret: <name>}}"))
    elif not kafka and broker.kafka is not None:
        problems.append(Problem(join_path(path, "kafka"), f"is only for class Kafka, not {broker.class_}; remove it "
                                                          "or set class: Kafka"))
    elif broker.kafka is not None:
        problems += _kafka_problems(broker.kafka, join_path(path, "kafka"))
    if (not kafka and cluster.profile is ClusterProfile.PROD and not spec.relax.in_memory_broker):
        problems.append(Problem(join_path(path, "class"), "MTChannelBasedBroker keeps events in memory and loses "
                                                          "them when a pod restarts: prod uses class Kafka, or "
                                                          "names the risk with eventing.relax.inMemoryBroker: true"))
    if broker.delivery is not None:
        problems += _delivery_problems(spec, broker.delivery, broker.namespace, services, join_path(path, "delivery"))
    return problems


def _delivery_problems(spec: EventingSpec, delivery: Delivery, namespace: str, services: Sequence[Service],
                       path: str) -> list[Problem]:
    """The webhook's delivery rules, and a dead-letter ``service:`` or ``broker:`` the stack declares."""
    problems = delivery_problems(delivery, path, spec.features)
    if delivery.dead_letter_sink is not None:
        problems += _sink_exists(spec, delivery.dead_letter_sink, namespace, services,
                                 join_path(path, "deadLetterSink"))
    return problems


def _kafka_problems(kafka: KafkaSettings, path: str) -> list[Problem]:
    """eventing-kafka-broker ``control-plane/pkg/kafka/topic.go`` ``validateTopicConfig``, before it runs."""
    problems = []
    if not kafka.bootstrap_servers:
        problems.append(Problem(join_path(path, "bootstrapServers"), "is empty; list the Kafka brokers as host:port"))
    for i, server in enumerate(kafka.bootstrap_servers):
        match = _HOST_PORT.fullmatch(server)
        if not match or not 1 <= int(match.group(2)) <= 65535:
            problems.append(Problem(join_path(join_path(path, "bootstrapServers"), i),
                                    f"'{server}' is not host:port (my-cluster-kafka-bootstrap.kafka:9092)"))
    if kafka.auth is not None:
        problem = dns1123_subdomain_problem(kafka.auth.secret, "secret name")
        if problem:
            problems.append(Problem(join_path(path, "auth.secret"), problem))
    for key, value, top in (("partitions", kafka.topic.partitions, 2**31 - 1),
                            ("replicationFactor", kafka.topic.replication_factor, 2**15 - 1)):
        if not 1 <= value <= top:  # topic.go keeps the replication factor as an int16
            problems.append(Problem(join_path(path, f"topic.{key}"), f"is {value}, must be between 1 and {top}"))
    return problems


def _sink_exists(spec: EventingSpec, dest: Destination, namespace: str, services: Sequence[Service],
                 path: str) -> list[Problem]:
    """A ``service:`` or ``broker:`` target is one the stack declares in ``namespace`` (stricter than Knative)."""
    if dest.service is not None and not any(s.name == dest.service and s.namespace == namespace for s in services):
        return [Problem(join_path(path, "service"), f"'{dest.service}' is not a service of this stack in namespace "
                                                    f"{namespace} (Knative would accept it and deliver nowhere); "
                                                    "declare it, or use ref or uri for one the stack does not own")]
    if dest.broker is not None and spec.broker(dest.broker, namespace) is None:
        return [Problem(join_path(path, "broker"), f"'{dest.broker}' is not a broker of this stack in namespace "
                                                   f"{namespace}; declare it under eventing.brokers")]
    return []


def _source_problems(spec: EventingSpec, source: EventSource, services: Sequence[Service],
                     cluster: EventingCluster) -> list[Problem]:
    path = join_path("eventing.sources", source.name)
    problems = _names_problems(source.name, source.namespace, path)
    kinds = source.kinds
    if len(kinds) != 1:
        problems.append(Problem(path, f"sets {' and '.join(kinds) or 'no kind'}; a source is exactly one of "
                                      "apiServer, container, sinkBinding, pubsub"))
    problems += destination_problems(source.sink, join_path(path, "sink"))
    problems += _sink_exists(spec, source.sink, source.namespace, services, join_path(path, "sink"))
    if source.ce_overrides is not None:
        problems += ce_overrides_problems(source.ce_overrides, join_path(path, "ceOverrides"))
    if source.api_server is not None:
        problems += api_server_problems(source.api_server, join_path(path, "apiServer"), spec.features)
    if source.container is not None:
        problems += container_problems(source.container, join_path(path, "container"))
    if source.sink_binding is not None:
        subject = source.sink_binding.subject
        spath = join_path(path, "sinkBinding.subject")
        problems += binding_subject_problems(subject, spath)
        if subject.api_version == KNATIVE_SERVICE_API and subject.kind == "Service":
            problems.append(Problem(spath, "is a Knative Service: a SinkBinding edits its template, which Knative "
                                           "refuses without a new revision name; give the service the broker's "
                                           "address in env instead, or bind a Deployment, Job or CronJob"))
    if source.pubsub is not None:
        problems += pubsub_problems(source.pubsub, source.sink, join_path(path, "pubsub"), source.name, cluster)
    return problems


def service_event_problems(spec: EventingSpec, service: Service, services: Sequence[Service]) -> list[Problem]:
    """The triggers and schedules of ``service`` against the brokers and settings of ``spec``.

    ``services`` are the others a dead-letter ``service:`` sink may name (the stack's).
    """
    path = join_path("services", service.name)
    problems: list[Problem] = []
    for key, trigger in service.triggers.items():
        tpath = join_path(join_path(path, "triggers"), key)
        problems += _prefixed_name_problems(service.name, key, tpath, "Trigger")
        if not trigger.broker:  # trigger_validation.go TriggerSpec.Validate: ErrMissingField("broker")
            problems.append(Problem(join_path(tpath, "broker"), "is required: name a broker of eventing.brokers"))
        elif spec.broker(trigger.broker, service.namespace) is None:
            problems.append(Problem(join_path(tpath, "broker"),
                                    f"'{trigger.broker}' is not a broker of this stack in namespace "
                                    f"{service.namespace}; declare it under eventing.brokers (stricter than "
                                    "Knative, which accepts the trigger and leaves it waiting for the broker)"))
        problems += attribute_names_problems(trigger.filter, join_path(tpath, "filter"))
        problems += filters_problems(trigger.filters, join_path(tpath, "filters"))
        if trigger.path is not None:
            problems += subscriber_path_problems(trigger.path, join_path(tpath, "path"))
        if trigger.delivery is not None:
            problems += _delivery_problems(spec, trigger.delivery, service.namespace, services,
                                           join_path(tpath, "delivery"))
    for key, schedule in service.schedules.items():
        spath = join_path(join_path(path, "schedules"), key)
        problems += _prefixed_name_problems(service.name, key, spath, "PingSource")
        problems += schedule_problems(schedule, spath, spec.ping_data_max_size)
        if schedule.path is not None:
            problems += subscriber_path_problems(schedule.path, join_path(spath, "path"))
        if schedule.ce_overrides is not None:
            problems += ce_overrides_problems(schedule.ce_overrides, join_path(spath, "ceOverrides"))
    return problems


def _prefixed_name_problems(service: str, key: str, path: str, kind: str) -> list[Problem]:
    problem = dns1123_label_problem(prefixed_name(service, key), f"{kind} name")
    if problem:
        return [Problem(path, f"{problem}; the key becomes the {kind} <service>-<key>: shorten it")]
    return []


def name_collision_problems(services: Iterable[Service]) -> list[Problem]:
    """Two keys that make one object name in one namespace (``a`` + ``b-c`` and ``a-b`` + ``c``)."""
    owners: dict[tuple[str, str, str], str] = {}
    problems = []
    for service in sorted(services, key=lambda s: s.name):
        for field_name, kind in (("triggers", "Trigger"), ("schedules", "PingSource")):
            for key in sorted(getattr(service, field_name)):
                name = prefixed_name(service.name, key)
                where = f"services.{service.name}.{field_name}.{key}"
                owner = owners.setdefault((service.namespace, kind, name), where)
                if owner != where:
                    problems.append(Problem(where, f"makes the {kind} '{name}', as {owner} does in namespace "
                                                   f"{service.namespace}; rename one key"))
    return problems


def _account_collisions(spec: EventingSpec, services: Sequence[Service]) -> list[Problem]:
    """An ApiServerSource's own ServiceAccount is not a service's."""
    taken = {(s.namespace, s.service_account_name): s.name for s in services if s.service_account_name}
    problems = []
    for source in spec.sources:
        account = apiserver_account_name(source.name)
        owner = taken.get((source.namespace, account))
        if source.api_server is not None and owner is not None:
            problems.append(Problem(join_path("eventing.sources", source.name),
                                    f"runs as the ServiceAccount '{account}', which services.{owner} already uses "
                                    f"in namespace {source.namespace}; rename the source or the account"))
    return problems
