"""The spec layer: decoding rules, units, and that it needs no Pulumi (pure)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

import pytest
from conftest import ROOT

from knative_platform import versions
from knative_platform.model.core.decode import INVALID, Decoder, camel
from knative_platform.model.core.errors import SpecError, did_you_mean
from knative_platform.model.core.units import parse_duration, parse_quantity, quantity_problem
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.model.service.service import Autoscaling, Service, Visibility
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


@pytest.mark.parametrize("text", ["-1", "-0", "9223372036854775807", "9223372036854775808", "8Ei", "7Ei",
                                  "9.3e18", "1e19", "1e-50", "1" * 64, "1" * 65, "0.5m", "+1Ki"])
def test_a_quantity_parses_exactly_when_it_has_no_problem(text):
    assert (parse_quantity(text) is None) == (quantity_problem(text) is not None)


AUTOSCALING_KEYS = ("minScale, maxScale, initialScale, target, targetUtilizationPercentage, metric, window, "
                    "scaleDownDelay, activationScale, targetBurstCapacity")


@pytest.mark.parametrize(("tp", "raw", "value", "problems", "substituted"), [
    (int | None, None, None, [], []),
    (int | None, "8080", INVALID, ["x: expected an integer, got string '8080'"], []),
    (str, 8080, INVALID, ["x: expected a string, got integer 8080; quote it: '8080'"], []),
    (float, float("nan"), INVALID, ["x: is .nan (not a number); give a number"], []),
    (float, 2, 2.0, [], []),
    (bool, 1, INVALID, ["x: expected true or false, got integer 1"], []),
    (tuple[int, ...], "a", INVALID, ["x: expected a list, got string 'a'"], []),
    (tuple[int, ...], [1, "a", True], INVALID, ["x[1]: expected an integer, got string 'a'",
                                                "x[2]: expected an integer, got boolean true"], []),
    (Sequence[str], ("a",), ("a",), [], []),
    (tuple[bytes, ...], [], (), [], []),  # an unsupported item type fails only on an item
    (dict[str, int], {1: 2, "a": "b", "c": 3}, INVALID, ["x: keys must be strings, got integer 1; quote it",
                                                         "x.a: expected an integer, got string 'b'"], []),
    (Mapping[str, Any], {"a": [1]}, {"a": [1]}, [], []),
    (Visibility, "cluster_local", INVALID,
     ["x: 'cluster_local' is not one of 'public', 'cluster-local' (did you mean 'cluster-local'?)"], []),
    (Visibility, 3, INVALID, ["x: expected one of 'public', 'cluster-local', got integer 3"], []),
    (Autoscaling | None, None, None, [], []),
    (Autoscaling, [], INVALID, ["x: expected a map, got a list"], []),
    (Autoscaling, {"minScale": "1", "maxScale": 3, "bogus": 1}, Autoscaling(max_scale=3),
     [f"x.bogus: unknown key; expected one of: {AUTOSCALING_KEYS}", "x.minScale: expected an integer, got string '1'"],
     ["x.minScale"]),
    (Canary, {"percent": "x", "rolloutDuration": 5}, INVALID,
     ["x.stable: is required", "x.percent: expected an integer, got string 'x'",
      "x.rolloutDuration: expected a string, got integer 5; quote it: '5'"], ["x.rolloutDuration"]),
    (int | str | None, None, None, [], []),  # null needs no decoder, even for a union that needs a custom one
])
def test_the_decoder_gives_each_kind_of_type_hint_its_verdict(tp, raw, value, problems, substituted):
    """Each kind of hint decodes as it did before its plan was cached (issue 23): same value, problems, order."""
    decoder = Decoder()
    for _ in range(2):  # the second time from the cached plans
        decoder.problems, decoder.substituted = [], []
        assert decoder.decode(tp, raw, "x") == value
        assert [str(p) for p in decoder.problems] == problems
        assert decoder.substituted == substituted


@pytest.mark.parametrize(("tp", "raw", "message"), [
    (int | str, 1, "x: union int | str needs a custom decoder"),
    (bytes, b"", "x: no decoder for <class 'bytes'>"),
    (Annotated[int, {}], 1, r"x: no decoder for typing.Annotated\[int, \{\}\]"),  # unhashable: no cache for it
    (tuple[bytes, ...], [b""], r"x\[0\]: no decoder for <class 'bytes'>"),
    (dict[str, int | str], {"a": 1}, "x.a: union int | str needs a custom decoder"),
])
def test_a_type_hint_the_decoder_cannot_decode_is_a_programming_error(tp, raw, message):
    for _ in range(2):
        with pytest.raises(TypeError, match=f"^{message}$"):
            Decoder().decode(tp, raw, "x")


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
