"""Eventing's own validation tables for Trigger, Broker and delivery, ported: the webhook's verdict, our config path.

Ported from knative/eventing ``pkg/apis/eventing/v1/trigger_validation_test.go``,
``broker_validation_test.go`` and ``pkg/apis/duck/v1/delivery_types_test.go``
(main 8cf4c4b = ``knative.dev/eventing v0.50.0``'s ``pkg/apis``, see
tests/eventing_tables.py), every case in file order. Go's ``test_broker`` is
written ``test-broker``: broker names are object names here.
"""

from __future__ import annotations

import pytest
from eventing_tables import NS, OFF, B, Case, T, check, score, stack, trigger

from knative_platform.model.eventing.eventing import BrokerClass, KafkaSettings

NO_ANNOTATIONS = "the platform renders no knative.dev/dependency or eventing.knative.dev/injection annotation"
NO_SUBSCRIBER = "a trigger's subscriber is always its service: it cannot be left out or misnamed"
NO_BROKER_REF = "triggers name a broker of their service's namespace; brokerRef (cross-namespace) is not offered"
RENDERED_CLASS = "the class annotation is always rendered from broker.class"
RENDERED_CONFIG = "spec.config is rendered by the platform (the in-memory channel's, or the broker's Kafka ConfigMap)"
NO_BR_DEFAULTS = "config-br-defaults (disallowDifferentNamespaceConfig) is not configurable; spec.config is rendered"
TV, TSV, TSX, FSV, TIF = ("TestTriggerValidation", "TestTriggerSpecValidation",
                          "TestTriggerSpecValidationWithCrossNamespaceEventLinksFeatureEnabled",
                          "TestFilterSpecValidation", "TestTriggerImmutableFields")
ATTRS = {"type": "other_type", "source": "other_source"}
EXACT = {"exact": {"type": "other_type"}}
BAD_DELAY = trigger(delivery={"backoffDelay": "invalid time"})


def _spec_cases(test: str) -> list[Case]:
    """The cases TestTriggerSpecValidation and its cross-namespace twin share (that flag changes none of them)."""
    return [
        Case(test, "invalid trigger spec", ("broker", "subscriber.ref", "subscriber.uri"),
             trigger(broker=""), (f"{T}.broker",)),
        Case(test, "missing broker", ("broker",), trigger(broker="", filter=ATTRS), (f"{T}.broker",)),
        Case(test, "missing attributes keys, match all", (), trigger(filter={})),
        Case(test, "invalid attribute name, start with number", ("filter.attributes.0invalid",),
             trigger(filter={"0invalid": "my-value"}), (f"{T}.filter.0invalid",)),
        Case(test, "invalid attribute name, capital letters", ("filter.attributes.invALID",),
             trigger(filter={"invALID": "my-value"}), (f"{T}.filter.invALID",)),
        Case(test, "missing subscriber", ("subscriber.ref", "subscriber.uri"), unrepresentable=NO_SUBSCRIBER),
        Case(test, "missing subscriber.ref.name", ("subscriber.ref.name",), unrepresentable=NO_SUBSCRIBER),
        Case(test, "missing broker (again)", ("broker",), trigger(broker="", filter=ATTRS), (f"{T}.broker",)),
        Case(test, "valid empty filter", (), trigger()),
        Case(test, "valid SourceAndType filter", (), trigger(filter=ATTRS)),
        Case(test, "valid Attributes filter", (), trigger(filter=ATTRS)),
        Case(test, "invalid delivery, invalid delay string", ("delivery.backoffDelay",), BAD_DELAY,
             (f"{T}.delivery.backoffDelay",)),
    ]


def _filter(*filters, **extra) -> dict:
    return trigger(filters=list(filters), **extra)


INVALID_PREFIX = {"prefix": {"invALID": "abc"}}
CASES: list[Case] = [
    Case(TV, "valid injection", (), unrepresentable=NO_ANNOTATIONS),
    Case(TV, "invalid trigger spec", ("spec.broker", "spec.subscriber.ref", "spec.subscriber.uri"),
         trigger(broker=""), (f"{T}.broker",)),
    *[Case(TV, name, (f"metadata.annotations[knative.dev/dependency]{where}",), unrepresentable=NO_ANNOTATIONS)
      for name, where in (("invalid dependency annotation, not a corev1.ObjectReference", ""),
                          ("invalid dependency annotation, trigger namespace is not equal", ".namespace"),
                          ("invalid dependency annotation, missing kind", ".kind"),
                          ("invalid dependency annotation, missing name", ".name"),
                          ("invalid dependency annotation, missing apiVersion", ".apiVersion"),
                          ("invalid dependency annotation, missing kind, name, apiVersion", ".kind"))],
    Case(TV, "invalid trigger spec, invalid dependency annotation", ("spec.broker", "metadata.annotations"),
         trigger(broker=""), (f"{T}.broker",)),
    Case(TV, "invalid injection annotation value", ("metadata.annotations",), unrepresentable=NO_ANNOTATIONS),
    Case(TV, "invalid trigger spec, invalid dependency annotation and invalid injection", ("metadata.annotations",),
         unrepresentable=NO_ANNOTATIONS),
    Case(TV, "valid injection annotation value, non-default broker specified", ("metadata.annotations",),
         unrepresentable=NO_ANNOTATIONS),
    Case(TV, "invalid delivery, invalid delay string", ("spec.delivery.backoffDelay",), BAD_DELAY,
         (f"{T}.delivery.backoffDelay",)),
    Case("TestTriggerUpdateValidation", "invalid update, broker changed", ("spec.broker",), project=("spec.broker",),
         update=({"broker": "test-broker"}, {"broker": "default"})),
    *_spec_cases(TSV),
    Case(TSV, "empty Broker and empty BrokerRef", ("broker",), trigger(broker="", filter=ATTRS), (f"{T}.broker",)),
    Case(TSV, "BrokerRef has different namespace", ("namespace",), unrepresentable=NO_BROKER_REF),
    *_spec_cases(TSX),
    Case(TSX, "using BrokerRef", (), unrepresentable=NO_BROKER_REF),
    Case(TSX, "non-empty Broker but empty BrokerRef", (), unrepresentable=NO_BROKER_REF),
    Case(TSX, "empty Broker but non-empty BrokerRef", (), unrepresentable=NO_BROKER_REF),
    Case(TSX, "non-empty Broker and BrokerRef", ("broker", "brokerRef"), unrepresentable=NO_BROKER_REF),
    Case(FSV, "missing filters, match all", (), trigger()),
    Case(FSV, "invalid exact filter attribute name, start with number", ("filters[0].exact.0invalid",),
         _filter({"exact": {"0invalid": "some-value"}}), (f"{T}.filters[0].exact.0invalid",)),
    Case(FSV, "invalid exact filter attribute name, capital letters", ("filters[0].exact.invALID",),
         _filter({"exact": {"invALID": "some-value"}}), (f"{T}.filters[0].exact.invALID",)),
    Case(FSV, "valid empty filter", (), trigger(filter={})),
    Case(FSV, "valid SourceAndType filter", (), trigger(filter=ATTRS)),
    Case(FSV, "invalid multiple dialects", ("",), _filter({"exact": {"myext": "abc"}, "suffix": {"myext": "abc"}}),
         (f"{T}.filters[0]",)),
    Case(FSV, "valid Attributes filter", (), trigger(filter=ATTRS)),
    Case(FSV, "valid exact filter containing more than one attribute", (),
         _filter({"exact": {"myext": "abc", "anotherext": "xyz"}})),
    Case(FSV, "valid exact filter", (), _filter({"exact": {"valid": "abc"}})),
    Case(FSV, "valid suffix filter containing more than one attribute", (),
         _filter({"suffix": {"myext": "abc", "anotherext": "xyz"}})),
    Case(FSV, "suffix filter contains invalid attribute name", ("filters[0].suffix.invALID",),
         _filter({"suffix": {"invALID": "abc"}}), (f"{T}.filters[0].suffix.invALID",)),
    Case(FSV, "valid suffix filter", (), _filter({"suffix": {"valid": "abc"}})),
    Case(FSV, "valid prefix filter containing more than one attribute", (),
         _filter({"prefix": {"myext": "abc", "anotherext": "xyz"}})),
    Case(FSV, "prefix filter contains invalid attribute name", ("filters[0].prefix.invALID",),
         _filter(INVALID_PREFIX), (f"{T}.filters[0].prefix.invALID",)),
    Case(FSV, "valid prefix filter", (), _filter({"prefix": {"valid": "abc"}})),
    Case(FSV, "not nested expression is valid", (), _filter({"not": EXACT})),
    Case(FSV, "not nested expression is invalid", ("filters[0].not.prefix.invALID",), _filter({"not": INVALID_PREFIX}),
         (f"{T}.filters[0].not.prefix.invALID",)),
    Case(FSV, "all filter is nil", (), _filter({})),
    Case(FSV, "all filter is valid", (), _filter({"all": [EXACT, {"exact": {"myattr": "myval"}}]})),
    Case(FSV, "all filter sub expression is invalid", ("filters[0].all[2].prefix.invALID",),
         _filter({"all": [EXACT, {"exact": {"myattr": "myval"}}, INVALID_PREFIX]}),
         (f"{T}.filters[0].all[2].prefix.invALID",)),
    Case(FSV, "any filter is valid", (), _filter({"any": [EXACT, {"exact": {"myattr": "myval"}}]})),
    Case(FSV, "any filter sub expression is invalid", ("filters[0].any[2].prefix.invALID",),
         _filter({"any": [EXACT, {"exact": {"myattr": "myval"}}, INVALID_PREFIX]}),
         (f"{T}.filters[0].any[2].prefix.invALID",)),
    Case(FSV, "CE SQL with syntax error", ("filters[0].cesql",), _filter({"cesql": "this is wrong"}),
         (f"{T}.filters[0].cesql",)),
    Case(FSV, "Valid CE SQL expression", (), _filter({"cesql": "type = 'dev.knative' AND ttl < 3"}),
         (f"{T}.filters[0].cesql",), stricter="cesql is refused: no Python port of the CESQL parser"),
    Case(TIF, "good (no change)", (), update=({"broker": "broker"}, {"broker": "broker"})),
    Case(TIF, "new nil is ok", (), update=(None, {"broker": "broker"})),
    Case(TIF, "good (filter change)", (), update=({"broker": "broker", "filter": ATTRS}, {"broker": "broker"})),
    Case(TIF, "bad (broker change)", ("spec.broker",), project=("spec.broker",),
         update=({"broker": "original-broker"}, {"broker": "broker"})),
]

KAFKA = {"class_": BrokerClass.KAFKA, "kafka": KafkaSettings(bootstrap_servers=("k:9092",))}
BV = "TestValidate"
BROKER_CASES: list[Case] = [
    Case("TestBrokerImmutableFields", "nil original", (), update=(None, KAFKA)),
    Case("TestBrokerImmutableFields", "no BrokerClassAnnotation mutation", (), update=(KAFKA, KAFKA)),
    Case("TestBrokerImmutableFields", "BrokerClassAnnotation mutated", ("annotations",),
         project=("spec.config", "metadata.annotations"), update=({}, KAFKA)),
    Case(BV, "missing annotation", ("eventing.knative.dev/broker.class",), unrepresentable=RENDERED_CLASS),
    Case(BV, "empty annotation", ("eventing.knative.dev/broker.class",), unrepresentable=RENDERED_CLASS),
    Case(BV, "valid empty", (), stack({"brokers": {"b": {"namespace": NS}}})),
    Case(BV, "valid config", (), unrepresentable=RENDERED_CONFIG),
    Case(BV, "valid config, no namespace", (), unrepresentable=RENDERED_CONFIG),
    Case(BV, "invalid config, missing name", ("spec.config.name",), unrepresentable=RENDERED_CONFIG),
    Case(BV, "invalid config, missing apiVersion", ("spec.config.apiVersion",), unrepresentable=RENDERED_CONFIG),
    Case(BV, "invalid config, missing kind", ("spec.config.kind",), unrepresentable=RENDERED_CONFIG),
    Case(BV, "invalid delivery, invalid delay string", ("spec.delivery.backoffDelay",),
         stack({"brokers": {"b": {"namespace": NS, "delivery": {"backoffDelay": "invalid time"}}}}),
         (f"{B}.delivery.backoffDelay",)),
    Case(BV, "invalid config, cross namespace disallowed, cluster wide", ("spec.config.namespace",),
         unrepresentable=NO_BR_DEFAULTS),
    Case(BV, "invalid config, cross namespace disallowed, namespace wide", ("spec.config.namespace",),
         unrepresentable=NO_BR_DEFAULTS),
    Case(BV, "valid config, cross namespace allowed, namespace wide", (), unrepresentable=NO_BR_DEFAULTS),
    Case("TestValidateUpdate", "invalid config change, spec.config", ("spec",), unrepresentable=RENDERED_CONFIG),
    Case("TestValidateUpdate", "invalid config change, broker.class", ("annotations",),
         project=("spec.config", "metadata.annotations"), update=({}, KAFKA)),
    Case("TestValidSpec", "valid empty", (), stack({"brokers": {"b": {"namespace": NS}}})),
    Case("TestValidSpec", "valid config", (), unrepresentable=RENDERED_CONFIG),
    Case("TestValidSpec", "valid delivery", (),
         stack({"brokers": {"b": {"namespace": NS, "delivery": {"backoffPolicy": "exponential"}}}})),
    Case("TestValidSpec", "{}", (), stack({"brokers": {"b": {"namespace": NS}}})),
]

D = f"{T}.delivery"
DV = "TestDeliverySpecValidation"
ON = {**OFF, "deliveryTimeout": "enabled"}
RETRY_AFTER = {**OFF, "deliveryRetryAfter": "enabled"}


def _delivery(features: dict[str, str] | None = None, **delivery) -> dict:
    return trigger(features=OFF if features is None else features, delivery=delivery)


DELIVERY_CASES: list[Case] = [
    Case(DV, "nil is valid", (), trigger(features=OFF)),
    Case(DV, "invalid time format", ("backoffDelay",), _delivery(backoffDelay="invalid time"), (f"{D}.backoffDelay",)),
    Case(DV, "invalid deadLetterSink", ("deadLetterSink.ref", "deadLetterSink.uri"), _delivery(deadLetterSink={}),
         (f"{D}.deadLetterSink",)),
    Case(DV, "valid timeout", (), _delivery(ON, timeout="PT2S")),
    Case(DV, "invalid timeout", ("timeout",), _delivery(ON, timeout="1985-04-12T23:20:50.52Z"), (f"{D}.timeout",)),
    Case(DV, "zero timeout", ("timeout",), _delivery(ON, timeout="PT0S"), (f"{D}.timeout",)),
    Case(DV, "disabled timeout", ("timeout",), _delivery(timeout="PT2S"), (f"{D}.timeout",)),
    Case(DV, "valid backoffPolicy", (), _delivery(backoffPolicy="exponential")),
    Case(DV, "valid backoffDelay", (), _delivery(backoffDelay="PT2S")),
    Case(DV, "invalid backoffDelay", ("backoffDelay",), _delivery(backoffDelay="1985-04-12T23:20:50.52Z"),
         (f"{D}.backoffDelay",)),
    Case(DV, "negative retry", ("retry",), _delivery(retry=-1), (f"{D}.retry",)),
    Case(DV, "valid retry 0", (), _delivery(retry=0)),
    Case(DV, "valid retry 1", (), _delivery(retry=1)),
    Case(DV, "valid retryAfterMax", (), _delivery(RETRY_AFTER, retryAfterMax="PT2S")),
    Case(DV, "zero retryAfterMax", (), _delivery(RETRY_AFTER, retryAfterMax="PT0S")),
    Case(DV, "empty retryAfterMax", ("retryAfterMax",), _delivery(RETRY_AFTER, retryAfterMax=""),
         (f"{D}.retryAfterMax",)),
    Case(DV, "invalid retryAfterMax", ("retryAfterMax",),
         _delivery(RETRY_AFTER, retryAfterMax="1985-04-12T23:20:50.52Z"), (f"{D}.retryAfterMax",)),
    Case(DV, "disabled feature with retryAfterMax", ("retryAfterMax",), _delivery(retryAfterMax="PT2S"),
         (f"{D}.retryAfterMax",)),
    Case(DV, "valid format JSON", (), _delivery(format="json")),
    Case(DV, "vaalid format binary", (), _delivery(format="binary")),
    Case(DV, "invalid format", ("format",), _delivery(format="invalid"), (f"{D}.format",)),
]

ALL = CASES + BROKER_CASES + DELIVERY_CASES


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_the_webhook_verdict_and_the_config_path(case):
    check(case)


def test_the_score():
    """Every case of the three Go files is here, written as config or counted as unrepresentable."""
    assert score(ALL) == {"cases": 114, "representable": 83, "unrepresentable": 31, "same verdict": 82,
                          "stricter by choice": 1}
    assert len(CASES) == 72 and len(BROKER_CASES) == 21 and len(DELIVERY_CASES) == 21
