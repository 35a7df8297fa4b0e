"""Eventing's own validation tables for PingSource, ApiServerSource, SinkBinding and ContainerSource, ported.

Ported from knative/eventing ``pkg/apis/sources/v1/ping_validation_test.go``,
``apiserver_validation_test.go``, ``sinkbinding_validation_test.go`` and
``container_validation_test.go`` (main 8cf4c4b = ``knative.dev/eventing
v0.50.0``'s ``pkg/apis``, see tests/eventing_tables.py), every case in file
order. A PingSource is a service's schedule here, so its sink is the service.
"""

from __future__ import annotations

import base64

import pytest
from eventing_tables import OFF, Case, P, S, check, schedule, score, source

SINK_IS_THE_SERVICE = "a schedule's sink is always its service: it cannot be left out"
SUBJECT_NAMESPACE = ("a SinkBinding's subject is always in the binding's namespace (the defaulter fills it, the "
                     "webhook refuses any other); it is not a key")
ONE_CONTAINER = "a ContainerSource has exactly one container, the source's: it cannot have none"
PV = "TestPingSourceValidation"
BIG = '"' + "a" * 4998 + '"'
BAD_EXTENSION = {"extensions": {"Invalid_type": "any value"}}

PING_CASES: list[Case] = [
    Case(PV, "valid spec", (), schedule()),
    Case(PV, "valid spec with schedule every 5 seconds", (), schedule(schedule="0/5 * * * * *")),
    Case(PV, "valid spec with schedule including seconds", (), schedule(schedule="10 0/5 * * * ?")),
    Case(PV, "valid spec with timezone", (), schedule(timezone="Europe/Paris")),
    Case(PV, "valid spec with invalid timezone", ("spec.timezone",), schedule(timezone="Knative/Land"),
         (f"{P}.timezone",)),
    Case(PV, "empty sink", ("spec.sink.ref", "spec.sink.uri"), unrepresentable=SINK_IS_THE_SERVICE),
    Case(PV, "invalid schedule", ("spec.schedule",), schedule(schedule="2"), (f"{P}.schedule",)),
    Case(PV, "valid spec with data", (), schedule(contentType="application/json", data='{"msg": "Hello World"}')),
    Case(PV, "valid spec with dataBase64", (), schedule(contentType="text/plain", dataBase64="SGVsbG8gV29ybGQu")),
    Case(PV, "invalid spec with data and dataBase64 both set", ("spec.data", "spec.dataBase64"),
         schedule(contentType="text/plain", data="Hello world", dataBase64="SGVsbG8gV29ybGQu"), (f"{P}.data",)),
    Case(PV, "invalid spec: dataBase64 is invalid base64 string", ("spec.dataBase64",),
         schedule(contentType="text/plain", dataBase64="$$$ invalid base64 string $$$"), (f"{P}.dataBase64",)),
    Case(PV, "invalid spec: contentType=application/json, data is invalid JSON format", ("spec.data",),
         schedule(contentType="application/json", data="Invalid JSON"), (f"{P}.data",)),
    Case(PV, "invalid spec: contentType=application/json, decoded dataBase64 is invalid JSON format",
         ("spec.dataBase64",), schedule(contentType="application/json",
                                        dataBase64=base64.b64encode(b"Invalid JSON").decode()), (f"{P}.dataBase64",)),
    Case(PV, "invalid DataBase64 is to big", ("spec.dataBase64",),
         schedule(4096, contentType="text/plain", dataBase64=base64.b64encode(BIG.encode()).decode()),
         (f"{P}.dataBase64",)),
    Case(PV, "invalid Data is to big", ("spec.data",), schedule(4096, contentType="text/plain", data=BIG),
         (f"{P}.data",)),
    Case(PV, "big data ok", (), schedule(-1, contentType="text/plain", data=BIG)),
    Case(PV, "big data still ok", (), schedule(contentType="text/plain", data=BIG)),
    Case(PV, "unsupported @every descriptor", ("spec.schedule",), schedule(schedule="@every 2h"), (f"{P}.schedule",)),
    Case(PV, "unsupported @every descriptor with TZ", ("spec.schedule",),
         schedule(schedule="@every 2h", timezone="Europe/Paris"), (f"{P}.schedule",)),
    Case(PV, "invalid spec ceOverrides validation", ("spec.ceOverrides.extensions",),
         schedule(timezone="Europe/Paris", ceOverrides=BAD_EXTENSION), (f"{P}.ceOverrides.extensions.Invalid_type",)),
]

AV, AF = "TestAPIServerValidation", "TestAPIServerFiltersValidation"
A = f"{S}.apiServer"
FOO = [{"apiVersion": "v1", "kind": "Foo"}]


def _api(resources=None, features=None, **spec) -> dict:
    body = {"mode": "Resource", "resources": FOO if resources is None else resources, **spec}
    return source("apiServer", body, features=OFF if features is None else features)


def _filters(flag: str, filters: list) -> dict:
    return _api(features={**OFF, "newApiServerSourceFilters": flag}, filters=filters)


APISERVER_CASES: list[Case] = [
    Case(AV, "valid spec", (), _api()),
    Case(AV, "empty sink", ("sink.ref", "sink.uri"),
         source("apiServer", {"mode": "Resource", "resources": FOO}, sink={}), (f"{S}.sink",)),
    Case(AV, "invalid mode", ("mode",), _api(mode="Test"), (f"{A}.mode",)),
    Case(AV, "invalid apiVersion", ("resources[0].apiVersion",), _api([{"apiVersion": "v1/v2/v3", "kind": "Foo"}]),
         (f"{A}.resources[0].apiVersion",)),
    Case(AV, "missing kind", ("resources[0].kind",), _api([{"apiVersion": "v1"}]), (f"{A}.resources[0].kind",)),
    Case(AV, "owner - invalid apiVersion", ("owner.apiVersion",),
         _api([{"apiVersion": "v1", "kind": "Bar"}], owner={"apiVersion": "v1/v2/v3", "kind": "Foo"}),
         (f"{A}.owner.apiVersion",)),
    Case(AV, "missing kind (owner)", ("owner.kind",),
         _api([{"apiVersion": "v1", "kind": "Bar"}], owner={"apiVersion": "v1", "kind": ""}), (f"{A}.owner.kind",)),
    Case(AV, "empty resources", ("resources",), _api([]), (f"{A}.resources",)),
    Case(AV, "nil resources", ("resources",), source("apiServer", {"mode": "Resource"}), (f"{A}.resources",)),
    Case(AV, "invalid spec ceOverrides validation", ("ceOverrides.extensions",),
         source("apiServer", {"mode": "Resource", "resources": FOO}, ceOverrides=BAD_EXTENSION),
         (f"{S}.ceOverrides.extensions.Invalid_type",)),
    Case("TestAPIServerValidationCallsSpecValidation", "nil resources", ("spec.resources",),
         source("apiServer", {"mode": "Resource"}), (f"{A}.resources",)),
    Case(AF, "an error is raised if the feature is disabled but filters are specified", ("",),
         _filters("disabled", [{"prefix": {"invALID": "abc"}}]), (f"{A}.filters",)),
    Case(AF, "filters are validated when the feature is enabled", ("filters[0].prefix.invALID",),
         _filters("enabled", [{"prefix": {"invALID": "abc"}}]), (f"{A}.filters[0].prefix.invALID",)),
    Case(AF, "validation works for valid filters", (), _filters("enabled", [{"exact": {"myattr": "myval"}}])),
    Case(AF, "validation works for empty filters", (), _filters("enabled", [])),
    Case(AF, "validation does not work for empty filters", (), _filters("disabled", [])),
]

SB, CV = "TestSinkBindingValidation", "TestContainerSourceValidation"
JEANNE = {"subject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "jeanne"}}
GEMMA = {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "gemma", "namespace": "namespace"}}
BINDING_CASES: list[Case] = [
    Case(SB, "missing subject namespace", ("spec.subject.namespace",), unrepresentable=SUBJECT_NAMESPACE),
    Case(SB, "invalid subject namespace", ("spec.subject.namespace",), unrepresentable=SUBJECT_NAMESPACE),
    Case(SB, "missing sink information", ("spec.sink.ref", "spec.sink.uri"), source("sinkBinding", JEANNE, sink={}),
         (f"{S}.sink",)),
    Case(SB, "invalid spec ceOverrides validation", ("spec.ceOverrides.extensions",),
         source("sinkBinding", JEANNE, sink=GEMMA, ceOverrides=BAD_EXTENSION),
         (f"{S}.ceOverrides.extensions.Invalid_type",)),
]
CONTAINER_CASES: list[Case] = [
    Case(CV, "missing container", ("containers",), unrepresentable=ONE_CONTAINER),
    Case(CV, "missing container image", ("containers[0].image",), source("container", {}), (f"{S}.container.image",)),
    Case(CV, "empty sink", ("sink.ref", "sink.uri"), source("container", {"image": "image"}, sink={}),
         (f"{S}.sink",)),
    Case(CV, "invalid spec ceOverrides validation", ("ceOverrides.extensions",),
         source("container", {"image": "image"}, ceOverrides=BAD_EXTENSION),
         (f"{S}.ceOverrides.extensions.Invalid_type",)),
]

ALL = PING_CASES + APISERVER_CASES + BINDING_CASES + CONTAINER_CASES


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_the_webhook_verdict_and_the_config_path(case):
    check(case)


def test_the_score():
    """Every case of the four Go files is here, written as config or counted as unrepresentable."""
    assert score(ALL) == {"cases": 44, "representable": 40, "unrepresentable": 4, "same verdict": 40,
                          "stricter by choice": 0}
    assert (len(PING_CASES), len(APISERVER_CASES), len(BINDING_CASES), len(CONTAINER_CASES)) == (20, 16, 4, 4)
