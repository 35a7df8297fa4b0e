"""The settings installing Knative Eventing writes: the ``knative-eventing`` ConfigMap patches (pure).

The :class:`~knative_platform.eventing.KnativeEventing` component applies them once ``eventing-core.yaml`` is
done (its ``eventing-webhook`` checks every ConfigMap write in ``knative-eventing``); which release bundles it
applies, and in which order, is the component's (it reads the pins of ``versions``).
"""

from __future__ import annotations

from typing import Any

from ..model.eventing.eventing import EVENTING_FEATURE_KEYS, EventingSpec
from .knative_config import config_map

EVENTING_NAMESPACE = "knative-eventing"

def eventing_config_maps(spec: EventingSpec) -> list[dict[str, Any]]:
    """The ``knative-eventing`` ConfigMap patches: the feature flags the stack's validation assumed, the ping limit.

    ``config-features`` keys of knative.dev/eventing v0.50.0 ``pkg/apis/feature/flag_names.go``; ``data-max-size``
    of ``config-ping-defaults`` (``pkg/apis/sources/config/ping_defaults.go``). Both are rendered even at
    Knative's defaults, so what the webhook checks against is what the offline checks assumed.
    """
    features = {key: str(getattr(spec.features, name)) for name, key in EVENTING_FEATURE_KEYS.items()}
    return [config_map("config-features", features, EVENTING_NAMESPACE),
            config_map("config-ping-defaults", {"data-max-size": str(spec.ping_data_max_size)}, EVENTING_NAMESPACE)]
