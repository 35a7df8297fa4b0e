"""What installing Knative Eventing applies for a stack: which release bundles, in which order, and its settings.

Pure: the :class:`~knative_platform.eventing.KnativeEventing` component wires
these into resources. The order follows the release (knative/eventing
``hack/generate-yamls.sh``; research part B6): ``eventing-crds.yaml``, then
``eventing-core.yaml`` (whose ``eventing-webhook`` must serve before any
ConfigMap of ``knative-eventing`` or any Eventing object is written), then the
broker implementation each declared broker class needs, then the ConfigMap
patches. The Kafka broker's control plane goes before its data plane
(knative-extensions/eventing-kafka-broker ``knative-v1.23.0``: the controller
bundle holds the CRDs and the webhook the data plane's objects are checked by).
"""

from __future__ import annotations

from typing import Any

from .. import versions
from ..model.eventing.eventing import EVENTING_FEATURE_KEYS, BrokerClass, EventingSpec
from ..versions import ReleaseManifest
from .knative_config import config_map

EVENTING_NAMESPACE = "knative-eventing"

def class_bundles(cls: BrokerClass) -> tuple[tuple[str, ReleaseManifest], ...]:
    """The bundles a broker class needs, in order, each with the name of its ConfigFile resource.

    The in-memory channel first: the MT broker's ``config-br-default-channel`` names an InMemoryChannel.
    """
    if cls is BrokerClass.KAFKA:
        return (("kafka-controller", versions.KAFKA_CONTROLLER), ("kafka-broker", versions.KAFKA_BROKER))
    return (("in-memory-channel", versions.EVENTING_IN_MEMORY_CHANNEL),
            ("mt-channel-broker", versions.EVENTING_MT_CHANNEL_BROKER))


def broker_bundles(spec: EventingSpec) -> list[tuple[str, ReleaseManifest]]:
    """The broker implementations of the classes the stack's brokers use, in install order (none without a broker)."""
    classes = {broker.class_ for broker in spec.brokers}
    return [bundle for cls in BrokerClass if cls in classes for bundle in class_bundles(cls)]


def eventing_pins(spec: EventingSpec) -> tuple[ReleaseManifest, ...]:
    """Every pin whose pods run on the cluster: the ``versions`` output's and Binary Authorization's.

    The post-install Jobs are run by hand after an upgrade (docs/knative.md, "Upgrading"): their images are
    admitted like the rest.
    """
    post = (versions.KAFKA_POST_INSTALL,) if any(b.class_ is BrokerClass.KAFKA for b in spec.brokers) else ()
    return (versions.EVENTING_CORE, versions.EVENTING_POST_INSTALL, *(pin for _, pin in broker_bundles(spec)), *post)


def eventing_config_maps(spec: EventingSpec) -> list[dict[str, Any]]:
    """The ``knative-eventing`` ConfigMap patches: the feature flags the stack's validation assumed, the ping limit.

    ``config-features`` keys of knative.dev/eventing v0.50.0 ``pkg/apis/feature/flag_names.go``; ``data-max-size``
    of ``config-ping-defaults`` (``pkg/apis/sources/config/ping_defaults.go``). Both are rendered even at
    Knative's defaults, so what the webhook checks against is what the offline checks assumed.
    """
    features = {key: str(getattr(spec.features, name)) for name, key in EVENTING_FEATURE_KEYS.items()}
    return [config_map("config-features", features, EVENTING_NAMESPACE),
            config_map("config-ping-defaults", {"data-max-size": str(spec.ping_data_max_size)}, EVENTING_NAMESPACE)]
