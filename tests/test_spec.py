"""The spec layer: decoding rules, units, and that it needs no Pulumi (pure)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import ROOT

from knative_platform import versions
from knative_platform.model.core.decode import Decoder, camel
from knative_platform.model.core.errors import SpecError, did_you_mean
from knative_platform.model.core.units import parse_duration, parse_quantity
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.model.service.service import Autoscaling, Service
from knative_platform.model.service.traffic import Canary

IMAGE = versions.SAMPLE_IMAGE


def test_spec_and_manifests_import_without_pulumi():
    code = ("import importlib, pkgutil, sys, knative_platform.model, knative_platform.manifests.knative, "
            "knative_platform.manifests.urls; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(knative_platform.model.__path__, "
            "'knative_platform.model.')]; "
            "loaded = sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')); "
            "print(loaded); sys.exit(1 if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_camel_case_keys():
    assert camel("scale_down_delay") == "scaleDownDelay"
    assert camel("image") == "image"


def test_did_you_mean_catches_case_and_separator_slips():
    assert did_you_mean("min_scale", ["minScale", "maxScale"]) == " (did you mean 'minScale'?)"
    assert did_you_mean("zzz", ["minScale"]) == ""


@pytest.mark.parametrize(("text", "seconds"), [("6s", 6), ("1m30s", 90), ("1h", 3600), ("0s", 0)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "1.5s", "500ms", "1d", "s"])
def test_malformed_durations(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("100m", Decimal("0.1")), ("1", Decimal(1)), ("1.5", Decimal("1.5")), ("128Mi", Decimal(128 * 2**20)),
    ("1G", Decimal(10**9)), ("1e3", Decimal(1000)),
])
def test_quantities(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["lots", "1 Gi", "Mi", "1.2.3"])
def test_malformed_quantities(text):
    assert parse_quantity(text) is None


def test_bool_is_not_an_integer():
    decoder = Decoder()
    assert decoder.decode(int, True, "x") is not True
    assert [str(p) for p in decoder.problems] == ["x: expected an integer, got boolean true"]


def test_config_and_python_declarations_build_equal_objects():
    from_config = build_platform_spec("staging", {"domain": "example.com", "services": {"api": {
        "image": IMAGE, "revision": "v2",
        "autoscaling": {"minScale": 1, "maxScale": 5},
        "traffic": {"canary": {"stable": "v1", "percent": 10}},
    }}}).service("api")
    in_python = Service(name="api", image=IMAGE, revision="v2",
                        autoscaling=Autoscaling(min_scale=1, max_scale=5), traffic=Canary(stable="v1", percent=10))
    assert from_config == in_python


def test_python_declarations_are_validated_like_config():
    bad = Service(name="api", image=IMAGE,
                  autoscaling=Autoscaling(min_scale=5, max_scale=2))
    with pytest.raises(SpecError, match=r"services.api.autoscaling.minScale: must be <= maxScale \(2\)"):
        build_platform_spec("dev", {}, [bad])


def test_two_python_declarations_with_one_name_are_an_error():
    svc = Service(name="api", image=IMAGE)
    with pytest.raises(SpecError, match=r"services\.api: is declared twice in Python"):
        build_platform_spec("dev", {}, [svc, svc])


def test_services_are_ordered_by_name_whatever_the_declaration_order():
    a = Service(name="a", image=IMAGE)
    b = Service(name="b", image=IMAGE)
    config = {"domain": "example.com"}
    assert build_platform_spec("dev", config, [b, a]) == build_platform_spec("dev", config, [a, b])
