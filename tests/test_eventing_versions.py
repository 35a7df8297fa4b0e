"""Eventing's pins ride Serving's release train, and the one-minor-step upgrade guard covers them."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pytest
from conftest import ROOT

from knative_platform import versions
from knative_platform.offline.rules import knative_minor_skip

EVENTING = {
    "EVENTING_CRDS": "knative/eventing/releases/download/{v}/eventing-crds.yaml",
    "EVENTING_CORE": "knative/eventing/releases/download/{v}/eventing-core.yaml",
    "EVENTING_IN_MEMORY_CHANNEL": "knative/eventing/releases/download/{v}/in-memory-channel.yaml",
    "EVENTING_MT_CHANNEL_BROKER": "knative/eventing/releases/download/{v}/mt-channel-broker.yaml",
    "EVENTING_POST_INSTALL": "knative/eventing/releases/download/{v}/eventing-post-install.yaml",
    "KAFKA_CONTROLLER": "knative-extensions/eventing-kafka-broker/releases/download/{v}/eventing-kafka-controller.yaml",
    "KAFKA_BROKER": "knative-extensions/eventing-kafka-broker/releases/download/{v}/eventing-kafka-broker.yaml",
    "KAFKA_POST_INSTALL": "knative-extensions/eventing-kafka-broker/releases/download/{v}/"
                          "eventing-kafka-post-install.yaml",
}


@pytest.mark.parametrize(("name", "path"), EVENTING.items())
def test_eventing_assets_are_pinned_on_servings_train(name, path):
    pin = getattr(versions, name)
    assert pin.version is versions.KNATIVE_VERSION == "knative-v1.23.0"
    assert pin.url == "https://github.com/" + path.format(v=versions.KNATIVE_VERSION)
    assert pin.component == ("eventing-kafka-broker" if name.startswith("KAFKA") else "knative-eventing")


@pytest.mark.parametrize("name", EVENTING)
def test_an_eventing_upgrade_that_skips_a_minor_is_refused_like_servings(name):
    url = getattr(versions, name).url
    assert knative_minor_skip(url, url.replace("knative-v1.23.0", "knative-v1.24.0")) is None
    assert "skips a minor version" in (knative_minor_skip(url, url.replace("knative-v1.23.0", "knative-v1.25.1"))
                                       or "")
    assert "downgrade" in (knative_minor_skip(url, url.replace("knative-v1.23.0", "knative-v1.22.2")) or "")


def test_the_release_asset_check_asks_for_every_eventing_asset(monkeypatch):
    spec = importlib.util.spec_from_file_location("check_release_assets",
                                                  ROOT / ".github" / "scripts" / "check_release_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    urls = {m.url for m in module.manifests()}
    assert {getattr(versions, name).url for name in EVENTING} <= urls
    bumped = replace(versions.EVENTING_CORE, url="https://example.invalid/eventing-core.yaml")
    monkeypatch.setattr(versions, "EVENTING_CORE", bumped)
    assert bumped.url in {m.url for m in module.manifests()}
