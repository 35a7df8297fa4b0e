"""What a platform stack tells its app stacks about Eventing, and the app stacks' events checked against it.

The platform stack exports ``eventing`` (:func:`eventing_output`) when it
installs Knative Eventing: its brokers by namespace and name, and the settings
that change what Eventing's webhook accepts. An app stack's
:class:`~knative_platform.reference.PlatformReference` reads it back
(:func:`exported_eventing`) and checks each app service's triggers and
schedules against it (:func:`app_event_problems`), with the rules a platform
stack's own services meet (:func:`~.eventing_checks.service_event_problems`),
before anything of the app registers. Pure Python: no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from ..core.decode import INVALID, Decoder, config_key
from ..core.errors import Problem, join_path
from ..service.service import Service
from .eventing import Broker, BrokerClass, EventingFeatures, EventingSpec
from .eventing_checks import name_collision_problems, service_event_problems, service_events_once

EVENTING_OUTPUT = "eventing"
"""The platform stack's output: present (not null) exactly when the platform installs Knative Eventing."""


def eventing_output(spec: EventingSpec) -> dict[str, Any]:
    """The ``eventing`` output of a platform that installs Eventing: brokers, features, ping body limit."""
    brokers = sorted(spec.brokers, key=lambda b: (b.namespace, b.name))
    return {
        "brokers": [{"name": b.name, "namespace": b.namespace, "class": b.class_.value} for b in brokers],
        "features": {config_key(f): str(getattr(spec.features, f.name)) for f in fields(EventingFeatures)},
        "pingDataMaxSize": spec.ping_data_max_size,
    }


def exported_eventing(value: Any) -> EventingSpec | str:
    """The platform's brokers and settings from its ``eventing`` output, or why the output cannot be read."""
    if not isinstance(value, Mapping):
        return "is not a map of brokers, features and pingDataMaxSize"
    raw_brokers = value.get("brokers", [])
    if not isinstance(raw_brokers, list):
        return "brokers is not a list"
    brokers = []
    for raw in raw_brokers:
        if not (isinstance(raw, Mapping) and isinstance(raw.get("name"), str)
                and isinstance(raw.get("namespace"), str) and raw.get("class") in set(BrokerClass)):
            return f"brokers holds {raw!r}, not {{name, namespace, class}}"
        brokers.append(Broker(name=raw["name"], namespace=raw["namespace"], class_=BrokerClass(raw["class"])))
    decoder = Decoder()
    features = decoder.decode_dataclass(EventingFeatures, value.get("features") or {}, "features")
    max_size = value.get("pingDataMaxSize", -1)  # a number: a float once it went through the engine's JSON
    if (features is INVALID or decoder.problems or not isinstance(max_size, (int, float))
            or isinstance(max_size, bool) or not float(max_size).is_integer()):
        return "features or pingDataMaxSize do not have the shape this version of knative-platform writes"
    return EventingSpec(brokers=tuple(brokers), features=features, ping_data_max_size=int(max_size))


def platform_eventing(exported: Any) -> EventingSpec | None:
    """The platform's Eventing from its ``eventing`` output; None when it installs none.

    A bad output is None too: :func:`app_event_problems` refuses it.
    """
    spec = exported_eventing(exported) if exported is not None else None
    return spec if isinstance(spec, EventingSpec) else None


def app_event_problems(stack: str, services: Sequence[Service], exported: Any) -> list[Problem]:
    """The app services' triggers and schedules against the platform stack's ``eventing`` output."""
    if not any(s.triggers or s.schedules for s in services):
        return []
    spec = exported_eventing(exported) if exported is not None else None
    if isinstance(spec, str):
        return [Problem(f"{stack} outputs.{EVENTING_OUTPUT}", f"{spec}; run `pulumi up` on the platform stack with "
                                                               "this version of knative-platform, then retry")]
    problems: list[Problem] = []
    for service in services:
        problems += events_against(spec, service, services)
    return problems + name_collision_problems(services)


def events_against(spec: EventingSpec | None, service: Service, services: Sequence[Service] = ()) -> list[Problem]:
    """The triggers and schedules of ``service`` against a platform's Eventing (None: it installs none).

    A platform that installs no Eventing exports no ``eventing``: an app's trigger or schedule would never be
    delivered, so it is refused with the fix (the platform declares a broker).
    """
    if not (service.triggers or service.schedules):
        return []
    if spec is None:
        key = "triggers" if service.triggers else "schedules"
        return [Problem(join_path(join_path("services", service.name), key),
                        f"the platform stack installs no Knative Eventing (it exports no {EVENTING_OUTPUT}); ask "
                        "its owners to declare a broker in its knative-platform:eventing.brokers, then retry")]
    return service_event_problems(spec, service, services or [service])


def app_event_problems_once(service: Service, path: str, given: bool, spec: EventingSpec | None) -> list[Problem]:
    """A ``KnativeApp``'s check of its service's triggers and schedules, with what its caller passed.

    ``given``: whether the caller passed the platform's Eventing at all (Platform and PlatformReference.app_args
    do); ``spec``: the Eventing, when it is a plain value (an app stack's comes from the platform stack's outputs
    and is checked when known, before the app's Triggers and PingSources register).
    """
    if not (service.triggers or service.schedules):
        return []
    if not given:
        return [Problem(join_path(path, "triggers" if service.triggers else "schedules"),
                        "need the platform's brokers and Eventing settings: pass eventing (Platform and "
                        "PlatformReference.app_args do)")]
    return service_events_once(spec, service) if spec is not None else []
