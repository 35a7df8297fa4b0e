"""The offline render of the install: a version bump changes only the resources that carry the pin."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from conftest import ROOT, committed_files, run_stack

from knative_platform import versions
from knative_platform.offline.render import render_files
from knative_platform.offline.stackfile import load_program_config


def render(stack):
    return render_files(run_stack(stack), load_program_config(ROOT, stack))


def changed(before, after):
    files = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    resources = (yaml.safe_load(before["resources.yaml"]), yaml.safe_load(after["resources.yaml"]))
    keys = sorted(k for k in resources[0] if resources[0][k] != resources[1].get(k))
    return files, keys


def test_bumping_kgateway_changes_only_its_chart_and_the_versions_output(monkeypatch):
    before = committed_files("dev")  # the same inputs: the session's render
    monkeypatch.setattr(versions, "KGATEWAY", replace(versions.KGATEWAY, version="v2.5.3"))
    after = render("dev")
    files, keys = changed(before, after)
    assert files == ["bundles.yaml", "resources.yaml", "stack.yaml"]
    assert keys == ["kubernetes:helm.sh/v4:Chart::kgateway"]
    old, new = yaml.safe_load(before["bundles.yaml"]), yaml.safe_load(after["bundles.yaml"])
    assert [k for k in old if old[k] != new[k]] == ["kgateway"]
    assert new["kgateway"]["version"] == "v2.5.3"
    outputs = yaml.safe_load(after["stack.yaml"])["outputs"]
    assert outputs["versions"]["kgateway"] == "v2.5.3"
    assert {k: v for k, v in outputs.items() if k != "versions"} == {
        k: v for k, v in yaml.safe_load(before["stack.yaml"])["outputs"].items() if k != "versions"}


@pytest.mark.parametrize(("pin", "resource"), [
    ("GATEWAY_API", "kubernetes:yaml/v2:ConfigFile::gateway-api-crds"),
    ("NET_GATEWAY_API", "kubernetes:yaml/v2:ConfigFile::net-gateway-api"),
    ("SERVING_CRDS", "kubernetes:yaml/v2:ConfigFile::serving-crds"),
])
def test_bumping_a_release_bundle_changes_only_that_bundle(monkeypatch, pin, resource):
    before = committed_files("dev")  # the same inputs: the session's render
    old = getattr(versions, pin)
    monkeypatch.setattr(versions, pin, replace(old, version="v9.9.9", url=old.url.replace(old.version, "v9.9.9")))
    after = render("dev")
    files, keys = changed(before, after)
    assert keys == [resource]
    assert set(files) <= {"bundles.yaml", "resources.yaml", "stack.yaml"}
