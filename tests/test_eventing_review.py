"""Eventing in the offline review: brokers, triggers and schedules are changes like any service's.

Immutable fields (a Trigger's broker, a Broker's class and config) show as replacements, because the components
set ``replaceOnChanges`` on them; keys, not positions, name the objects, so a reorder changes nothing; an
Eventing upgrade that skips a minor is refused as Serving's is.
"""

from __future__ import annotations

import json
from dataclasses import replace

from conftest import ROOT, committed_files, run_stack
from test_diff import review_of, staging_services

from knative_platform.offline.diff import Action, FindingKind
from knative_platform.offline.render import render_files
from knative_platform.offline.stackfile import load_program_config

TRIGGER = "kubernetes:eventing.knative.dev/v1:Trigger"


def staging_eventing() -> dict:
    return json.loads(load_program_config(ROOT, "staging").config["knative-platform:eventing"])


def test_moving_a_trigger_to_another_broker_is_a_replacement(clean, tmp_path):
    eventing, services = staging_eventing(), staging_services()
    eventing["brokers"]["audit"] = {"namespace": "default"}
    services["helloworld-go"]["triggers"]["orders"]["broker"] = "audit"
    review = review_of(clean, tmp_path, {"staging": {"eventing": eventing, "services": services}})
    changes = {c.display: c for c in review.stack("staging").changes}
    trigger = changes["Trigger default/helloworld-go-orders"]
    assert trigger.action is Action.REPLACE
    assert trigger.reasons == ("`spec.broker`: listed in the resource's replaceOnChanges (`spec.broker`)",)
    assert changes["Broker default/audit"].action is Action.CREATE


def test_changing_a_brokers_class_is_a_replacement(clean, tmp_path):
    eventing = staging_eventing()
    eventing["brokers"]["default"] |= {"class": "Kafka", "kafka": {"bootstrapServers": ["kafka.kafka:9092"]}}
    review = review_of(clean, tmp_path, {"staging": {"eventing": eventing}})
    changes = {c.display: c for c in review.stack("staging").changes}
    broker = changes["Broker default/default"]
    assert broker.action is Action.REPLACE
    assert {r.split(": ", 1)[0] for r in broker.reasons} == {
        '`metadata.annotations["eventing.knative.dev/broker.class"]`', "`spec.config.name`"}
    assert changes["ConfigFile kafka-controller"].action is Action.CREATE


def test_reordering_triggers_and_schedules_changes_nothing():
    def with_events(order: list[str]) -> dict[str, str]:
        services = staging_services()
        service = services["helloworld-go"]
        triggers = {**service["triggers"], "audit": {"broker": "default"}}
        schedules = {**service["schedules"], "hourly": {"schedule": "@hourly"}}
        service["triggers"] = {k: triggers[k] for k in sorted(triggers, key=order.index)}
        service["schedules"] = {k: schedules[k] for k in sorted(schedules, key=order.index)}
        program = load_program_config(ROOT, "staging")
        files = render_files(run_stack("staging", {"services": services}), program)
        return {k: v for k, v in files.items() if k != "stack.yaml"}  # stack.yaml echoes the config as written

    forward = with_events(["audit", "orders", "hourly", "nightly"])
    assert forward == with_events(["orders", "audit", "nightly", "hourly"])
    assert "kubernetes/default/Trigger-helloworld-go-audit.yaml" in forward
    assert forward["kubernetes/default/Broker-default.yaml"] == committed_files("staging")[
        "kubernetes/default/Broker-default.yaml"]


def test_an_eventing_upgrade_that_skips_a_minor_is_refused_like_servings(clean, tmp_path, monkeypatch):
    from knative_platform import versions

    for name in ("EVENTING_CRDS", "EVENTING_CORE", "EVENTING_IN_MEMORY_CHANNEL", "EVENTING_MT_CHANNEL_BROKER"):
        pin = getattr(versions, name)
        monkeypatch.setattr(versions, name, replace(pin, version="knative-v1.25.0", url=pin.url.replace(
            versions.KNATIVE_VERSION, "knative-v1.25.0")))
    review = review_of(clean, tmp_path, {"staging": {}})
    upgrades = sorted(f.resource for f in review.findings if f.kind is FindingKind.UPGRADE)
    assert upgrades == ["ConfigFile eventing-core", "ConfigFile eventing-crds", "ConfigFile in-memory-channel",
                        "ConfigFile mt-channel-broker"]
    (path,) = [f for f in review.findings if f.topic == "upgrade path"]
    assert path.kind is FindingKind.REFUSED and path.stack == "staging"
    assert "Knative 1.23 -> 1.25 skips a minor version" in path.message
