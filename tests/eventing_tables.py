"""Shared by the ported Eventing webhook tables: a case's shape, the stack it becomes, and the project's verdict.

Each case is one case of a ``*_validation_test.go`` table of knative/eventing
(``pkg/apis``, read at main 8cf4c4b, whose ``pkg/apis`` is byte-identical to the
``knative.dev/eventing v0.50.0`` that knative/operator ``knative-v1.23.0`` vendors
as Eventing 1.23.0; the snapshot has no 1.23 tag). ``webhook`` holds the paths of
the webhook's FieldError, ``()`` when it accepts; ``project`` the config paths
the project reports for the same intent written as stack config. A case whose
object cannot be written in the typed model says why (``unrepresentable``);
one where the project is stricter by a named choice says which (``stricter``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knative_platform.manifests.eventing import broker_manifest, immutable_changes, trigger_manifest
from knative_platform.model.core.decode import INVALID, Decoder
from knative_platform.model.eventing.eventing import Broker, EventingSpec, Trigger
from knative_platform.model.eventing.eventing_checks import EventingCluster, eventing_problems
from knative_platform.model.service.service import Service, decode_service

IMAGE = "ghcr.io/knative/helloworld-go@sha256:" + "0" * 64
NS = "test-ns"
T = "services.svc.triggers.t"
P = "services.svc.schedules.p"
S = "eventing.sources.src"
B = "eventing.brokers.b"
OFF = {"deliveryTimeout": "disabled", "deliveryRetryAfter": "disabled", "newApiServerSourceFilters": "disabled"}
"""Go's tests validate under a context without feature flags (``context.TODO()``): every feature off."""


@dataclass(frozen=True)
class Case:
    """One ported case."""

    test: str
    name: str
    webhook: tuple[str, ...]
    config: dict[str, Any] | None = None
    project: tuple[str, ...] = ()
    unrepresentable: str = ""
    stricter: str = ""
    update: tuple[dict[str, Any] | None, dict[str, Any]] | None = field(default=None)

    @property
    def id(self) -> str:
        return f"{self.test}/{self.name}"


def stack(eventing: dict[str, Any] | None = None, service: dict[str, Any] | None = None,
          features: dict[str, str] | None = None) -> dict[str, Any]:
    """Brokers ``default`` and ``test-broker`` in ``test-ns`` (Go's ``test_broker`` is not a valid name), a service
    ``svc`` there, plus ``eventing`` and ``service`` overrides."""
    base = {"brokers": {"default": {"namespace": NS}, "test-broker": {"namespace": NS}}}
    if features is not None:
        base["features"] = features
    return {"eventing": {**base, **(eventing or {})},
            "services": {"svc": {"image": IMAGE, "namespace": NS, **(service or {})}}}


def trigger(features: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """``svc`` with the one trigger ``t``."""
    return stack(service={"triggers": {"t": {"broker": "test-broker", **spec}}}, features=features)


def schedule(max_size: int | None = None, **spec: Any) -> dict[str, Any]:
    """``svc`` with the one schedule ``p``."""
    eventing = {} if max_size is None else {"pingDataMaxSize": max_size}
    return stack(eventing, service={"schedules": {"p": {"schedule": "*/2 * * * *", **spec}}})


GO_SINK = {"ref": {"apiVersion": "v1", "kind": "broker", "name": "default"}}
"""The sink most of Go's source tests use, written as it is there."""


def source(kind: str, spec: dict[str, Any], sink: dict[str, Any] | None = None,
           features: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """One source ``src`` in ``test-ns``."""
    body = {"namespace": NS, "sink": GO_SINK if sink is None else sink, kind: spec, **extra}
    return stack({"sources": {"src": body}}, features=features)


def project_paths(config: dict[str, Any]) -> list[str]:
    """The config paths of every problem the project reports for ``config``, as the platform collects them."""
    decoder = Decoder()
    spec = decoder.decode_dataclass(EventingSpec, config.get("eventing", {}), "eventing")
    services = [decode_service(name, raw, f"services.{name}", decoder) for name, raw in config["services"].items()]
    problems = list(decoder.problems)
    if spec is not INVALID and INVALID not in services:
        problems += decoder.relevant(eventing_problems(spec, services, EventingCluster()))
    return sorted(p.path for p in problems)


def updated_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The immutable fields an update changes (a create changes none): of trigger ``t`` when the values hold a
    trigger's fields (``broker``), else of broker ``b`` (Broker's fields)."""
    if before is None:
        return []
    if "broker" in after:
        service = Service(name="svc", image=IMAGE, namespace=NS)
        render = [trigger_manifest(service, "t", Trigger(**t)) for t in (before, after)]
    else:
        render = [broker_manifest(Broker(name="b", namespace=NS, **b)) for b in (before, after)]
    return sorted(immutable_changes(*render))


def check(case: Case) -> None:
    """The project's verdict on ``case``: the webhook's, or refused where it is stricter by choice."""
    assert case.unrepresentable or case.config is not None or case.update is not None, case.id
    if case.unrepresentable:
        return
    got = updated_fields(*case.update) if case.update is not None else project_paths(case.config or {})
    assert got == sorted(case.project), (case.id, got)
    if case.stricter:
        assert not case.webhook and got, case.id
    else:
        assert bool(got) == bool(case.webhook), case.id


def score(cases: list[Case]) -> dict[str, int]:
    """How many cases are ported, written as config, and given the webhook's verdict."""
    written = [c for c in cases if not c.unrepresentable]
    return {"cases": len(cases), "representable": len(written), "unrepresentable": len(cases) - len(written),
            "same verdict": sum(not c.stricter for c in written), "stricter by choice": sum(bool(c.stricter)
                                                                                          for c in written)}
