"""Knative Eventing as typed values: brokers and sources for the platform, triggers and schedules for a service.

The vocabulary is ``kn``'s and Cloud Run's (docs/eventing.md):

* ``knative-platform:eventing: {brokers: {<name>: ...}}`` is ``kn broker create``: a
  :class:`Broker`, in-memory (``MTChannelBasedBroker``, local and dev) or Kafka
  (production), with its :class:`Delivery` (retries, backoff, a dead-letter sink);
* ``services.<svc>.triggers: {<key>: ...}`` is ``kn trigger create`` or an
  Eventarc trigger with a Cloud Run destination: a :class:`Trigger` delivering a
  broker's events that match its filters to the service, rendered as the Trigger
  ``<svc>-<key>``;
* ``services.<svc>.schedules: {<key>: ...}`` is ``kn source ping`` or Cloud
  Scheduler: a :class:`Schedule` rendered as the PingSource ``<svc>-<key>``;
* ``knative-platform:eventing: {sources: {<name>: ...}}`` is ``kn source
  apiserver|container|binding``: an :class:`EventSource` of one kind.

Everything is keyed by name, never by position, so reordering a stack file
changes nothing. Field names and nesting follow the Knative objects
(``pkg/apis/eventing/v1`` and ``pkg/apis/sources/v1`` of knative.dev/eventing
v0.50.0, the Go module of Eventing ``knative-v1.23.0``), so each webhook rule in
:mod:`knative_platform.model.eventing.eventing_rules` reads the value it checks under the name
Knative gives it. Pure Python: no Pulumi import.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.decode import INVALID, Decoder, describe
from ..core.errors import join_path
from ..platform.knative import FeatureFlag


class BrokerClass(enum.StrEnum):
    """The broker implementations the platform installs (annotation ``eventing.knative.dev/broker.class``)."""

    MT_CHANNEL_BASED = "MTChannelBasedBroker"
    """Knative's multi-tenant broker over the in-memory channel: "for development use only"."""
    KAFKA = "Kafka"
    """knative-extensions/eventing-kafka-broker, against a Kafka you run."""


class BackoffPolicy(enum.StrEnum):
    """delivery_types.go ``BackoffPolicyType``."""

    LINEAR = "linear"
    EXPONENTIAL = "exponential"


class DeliveryFormat(enum.StrEnum):
    """delivery_types.go ``FormatType``: how events are sent to the subscriber."""

    JSON = "json"
    BINARY = "binary"


class EventMode(enum.StrEnum):
    """apiserver_validation.go: what an ApiServerSource event carries, a reference or the whole resource."""

    REFERENCE = "Reference"
    RESOURCE = "Resource"


class PubSubBackend(enum.StrEnum):
    """How Google Pub/Sub messages reach a broker (docs/eventing.md, "Google Pub/Sub")."""

    EVENTARC_GKE = "eventarc-gke"
    """Eventarc's GKE destination: built where the cluster's control plane has a public endpoint."""
    ADAPTER = "adapter"
    """A platform-owned pull adapter in the cluster: not built, refused."""


@dataclass(frozen=True, kw_only=True)
class KReference:
    """knative.dev/pkg ``duck/v1.KReference``: an object by apiVersion, kind, name (and namespace)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None
    """Default: the namespace of the object that holds the reference."""


@dataclass(frozen=True, kw_only=True)
class Destination:
    """Where events go (knative.dev/pkg ``duck/v1.Destination``): a service, a broker, any reference, or a URI.

    ``service`` and ``broker`` name a Knative Service or a Broker this stack
    declares in the same namespace; ``ref`` names any addressable object.
    ``uri`` alone is an absolute URL; next to a target it is a path relative to
    the target's address.
    """

    service: str | None = None
    broker: str | None = None
    ref: KReference | None = None
    uri: str | None = None
    ca_certs: str | None = field(default=None, metadata={"key": "CACerts"})
    """PEM CA certificates appended to the target's (Knative's ``CACerts``)."""
    audience: str | None = None
    """The OIDC audience, for a target that is not addressable."""


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """delivery_types.go ``DeliverySpec``: retries, their backoff, timeouts and a dead-letter sink."""

    dead_letter_sink: Destination | None = None
    retry: int | None = None
    timeout: str | None = None
    """ISO-8601 duration (``PT30S``), needs ``features.deliveryTimeout`` (on by default)."""
    backoff_policy: BackoffPolicy | None = None
    backoff_delay: str | None = None
    """ISO-8601 duration (``PT0.2S``)."""
    retry_after_max: str | None = None
    """ISO-8601 duration, needs ``features.deliveryRetryAfter`` (off by default)."""
    format: DeliveryFormat | None = None


@dataclass(frozen=True, kw_only=True)
class EventFilter:
    """One expression of the Subscriptions API filters (``filters:``), exactly one dialect per expression.

    trigger_types.go ``SubscriptionsAPIFilter``. ``cesql`` is in the model so a
    stack file that uses it is answered with the reason it is refused
    (:func:`knative_platform.model.eventing.eventing_rules.cesql_problems`), not "unknown key".
    """

    exact: Mapping[str, str] = field(default_factory=dict)
    prefix: Mapping[str, str] = field(default_factory=dict)
    suffix: Mapping[str, str] = field(default_factory=dict)
    all: tuple[EventFilter, ...] = ()
    any: tuple[EventFilter, ...] = ()
    not_: EventFilter | None = field(default=None, metadata={"key": "not"})
    cesql: str | None = None


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """A service's subscription to a broker: ``kn trigger create <svc>-<key> --broker ... --sink ksvc:<svc>``.

    ``filter`` matches attributes exactly (``kn --filter type=...``, Eventarc's
    ``--event-filters``); ``filters`` takes the Subscriptions API dialects. The
    subscriber is always the service; ``path`` is appended to its address.
    """

    broker: str
    """A broker this stack declares in the service's namespace."""
    filter: Mapping[str, str] = field(default_factory=dict)
    filters: tuple[EventFilter, ...] = ()
    path: str | None = None
    delivery: Delivery | None = None


@dataclass(frozen=True, kw_only=True)
class CloudEventOverrides:
    """knative.dev/pkg ``duck/v1.CloudEventOverrides``: extension attributes set on every event of a source."""

    extensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A cron schedule that sends the service an event (a PingSource ``<svc>-<key>``; Cloud Scheduler's role).

    ``schedule`` is robfig/cron syntax (five fields, or six with seconds first,
    or ``@daily``-style names); ``timezone`` an IANA name. ``data`` (text) or
    ``dataBase64`` is the event's body; with ``contentType: application/json``
    it must be a JSON object. ``schedule`` is required, stricter than Knative,
    whose defaulter makes an empty one every minute (``ping_defaults.go``).
    """

    schedule: str
    timezone: str | None = None
    content_type: str | None = None
    data: str | None = None
    data_base64: str | None = field(default=None, metadata={"key": "dataBase64"})
    path: str | None = None
    ce_overrides: CloudEventOverrides | None = None


@dataclass(frozen=True, kw_only=True)
class LabelSelector:
    """A Kubernetes label selector, by labels only (``matchLabels``)."""

    match_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class WatchedResource:
    """apiserver_types.go ``APIVersionKindSelector``: a kind to watch, optionally by label.

    ``resource`` is the plural the Role grants (``events``); left out, it is
    guessed from the kind as Kubernetes guesses it.
    """

    api_version: str
    kind: str
    selector: LabelSelector | None = None
    resource: str | None = None


@dataclass(frozen=True, kw_only=True)
class ResourceOwner:
    """apiserver_types.go ``APIVersionKind``: only events of objects owned by this kind."""

    api_version: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class ApiServerSpec:
    """An ApiServerSource: Kubernetes API events as CloudEvents, run as a ServiceAccount of its own.

    The platform renders the ServiceAccount with a Role granting get, list and
    watch on exactly ``resources`` (a ClusterRole when ``namespaceSelector``
    watches other namespaces); never the namespace's ``default`` account.
    """

    resources: tuple[WatchedResource, ...] = ()
    mode: EventMode = EventMode.REFERENCE
    owner: ResourceOwner | None = None
    namespace_selector: LabelSelector | None = None
    filters: tuple[EventFilter, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ContainerSpec:
    """A ContainerSource: your image, run as a Deployment with ``K_SINK`` set to the sink's address."""

    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    run_as_non_root: bool = True
    """Refuse to start the container if its image runs as root. Turning it off is a relaxation: say why."""


@dataclass(frozen=True, kw_only=True)
class BindingSubject:
    """knative.dev/pkg ``tracker.Reference``: the workload a SinkBinding injects ``K_SINK`` into."""

    api_version: str
    kind: str
    name: str | None = None
    selector: LabelSelector | None = None


@dataclass(frozen=True, kw_only=True)
class SinkBindingSpec:
    """A SinkBinding, for workloads that are not Knative Services (Deployments, Jobs, CronJobs)."""

    subject: BindingSubject


@dataclass(frozen=True, kw_only=True)
class PubSubSpec:
    """Google Pub/Sub messages into a broker: see docs/eventing.md for what each backend needs and its status."""

    topic: str
    """Your existing topic: its ID (a topic of the cluster's project) or ``projects/<project>/topics/<id>`` in the
    cluster's project. The platform never creates or deletes it."""
    backend: PubSubBackend
    """``eventarc-gke``: an Eventarc trigger into the broker's ingress (a GKE cluster with a public endpoint);
    ``adapter``: a pull adapter in the cluster (not built yet, refused)."""
    subscription: str | None = None
    """Only for ``adapter``: Eventarc creates and owns the subscription it pulls from."""


@dataclass(frozen=True, kw_only=True)
class EventSource:
    """A platform-level event source: exactly one of ``apiServer``, ``container``, ``sinkBinding``, ``pubsub``."""

    name: str = field(metadata={"from_config": False})
    namespace: str = "default"
    sink: Destination
    ce_overrides: CloudEventOverrides | None = None
    api_server: ApiServerSpec | None = None
    container: ContainerSpec | None = None
    sink_binding: SinkBindingSpec | None = None
    pubsub: PubSubSpec | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The config keys of the source kinds set (exactly one in a valid source)."""
        return tuple(key for key, value in (("apiServer", self.api_server), ("container", self.container),
                                            ("sinkBinding", self.sink_binding), ("pubsub", self.pubsub))
                     if value is not None)


@dataclass(frozen=True, kw_only=True)
class KafkaAuth:
    """The Kafka credentials: a Secret in the broker's namespace (protocol, sasl.mechanism, user, password...)."""

    secret: str


@dataclass(frozen=True, kw_only=True)
class KafkaTopic:
    """The broker topic's shape (``default.topic.*`` of eventing-kafka-broker's ``kafka-broker-config``)."""

    partitions: int = 10
    replication_factor: int = 3


@dataclass(frozen=True, kw_only=True)
class KafkaSettings:
    """Where a Kafka broker's Kafka is (``host:port`` each) and how to log in; the platform does not run Kafka."""

    bootstrap_servers: tuple[str, ...]
    auth: KafkaAuth | None = None
    topic: KafkaTopic = field(default_factory=KafkaTopic)


@dataclass(frozen=True, kw_only=True)
class Broker:
    """A Broker: events in at its address, out to the triggers that match (``kn broker create``)."""

    name: str = field(metadata={"from_config": False})
    namespace: str = "default"
    class_: BrokerClass = field(default=BrokerClass.MT_CHANNEL_BASED, metadata={"key": "class"})
    delivery: Delivery | None = None
    """Left out, the platform's ``config-br-defaults`` delivery (:data:`BROKER_DEFAULT_DELIVERY`)."""
    kafka: KafkaSettings | None = None


@dataclass(frozen=True, kw_only=True)
class EventingFeatures:
    """The ``config-features`` flags of Eventing that change what its webhook accepts (Knative's defaults)."""

    delivery_timeout: FeatureFlag = FeatureFlag.ENABLED
    delivery_retry_after: FeatureFlag = field(default=FeatureFlag.DISABLED, metadata={"key": "deliveryRetryAfter"})
    new_apiserversource_filters: FeatureFlag = field(default=FeatureFlag.DISABLED,
                                                     metadata={"key": "newApiServerSourceFilters"})


EVENTING_FEATURE_KEYS = {"delivery_timeout": "delivery-timeout", "delivery_retry_after": "delivery-retryafter",
                         "new_apiserversource_filters": "new-apiserversource-filters"}
"""knative.dev/eventing v0.50.0 ``pkg/apis/feature/flag_names.go``: each field's key in ``config-features``."""


@dataclass(frozen=True, kw_only=True)
class EventingRelaxations:
    """Ways Eventing may be weaker than production needs; each named, each refused by default in prod."""

    in_memory_broker: bool = False
    """Allow ``MTChannelBasedBroker`` brokers on a prod cluster. Their in-memory channel loses every event in
    flight when a dispatcher pod restarts ("In-memory channels ... should NOT be used in Production",
    knative.dev/docs eventing/channels/channels-crds). Dev and staging clusters allow it without this flag."""


def decode_named(cls: type) -> Any:
    """A decoder for a config map from name to ``cls``, the name going into its ``name`` field."""
    def decode(raw: Any, path: str, decoder: Decoder) -> Any:
        if not isinstance(raw, Mapping):
            return decoder.problem(path, f"expected a map from name to its settings, got {describe(raw)}")
        items = {}
        for key, value in raw.items():
            if not isinstance(key, str):
                decoder.problem(path, f"keys must be strings, got {describe(key)}; quote it")
                continue
            item = decoder.decode_dataclass(cls, value, join_path(path, key), name=key)
            if item is not INVALID:
                items[key] = item
        return tuple(items.values())  # the others are reported and checked in the same round
    return decode


@dataclass(frozen=True, kw_only=True)
class EventingSpec:
    """``knative-platform:eventing``: the brokers and sources a stack declares, and what Eventing accepts."""

    brokers: tuple[Broker, ...] = field(default=(), metadata={"decode": decode_named(Broker)})
    sources: tuple[EventSource, ...] = field(default=(), metadata={"decode": decode_named(EventSource)})
    features: EventingFeatures = field(default_factory=EventingFeatures)
    ping_data_max_size: int = -1
    """``config-ping-defaults`` ``data-max-size``: the largest schedule body in bytes; -1 is unlimited."""
    relax: EventingRelaxations = field(default_factory=EventingRelaxations)

    def broker(self, name: str, namespace: str) -> Broker | None:
        """The broker called ``name`` in ``namespace``, if the stack declares it."""
        return next((b for b in self.brokers if b.name == name and b.namespace == namespace), None)


BROKER_DEFAULT_DELIVERY = Delivery(retry=10, backoff_policy=BackoffPolicy.EXPONENTIAL, backoff_delay="PT0.2S")
"""The delivery Eventing's defaulting webhook gives a Broker that sets none: ``config-br-defaults``
``clusterDefault.delivery`` as released (eventing-core.yaml of ``knative-v1.23.0``), applied by
``pkg/apis/eventing/v1/broker_defaults.go`` ``BrokerSpec.SetDefaults`` for any class."""

