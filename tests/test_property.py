"""Property: any stack file, however mangled, renders or is refused with a path; never a traceback (issue 8).

Stack files are generated from the typed model itself (every config key of
:class:`~knative_platform.Service` and its parts, with values of the declared
types), then mutated the ways real files go wrong: wrong types, unknown keys,
YAML oddities, huge numbers, deep nesting, secure values, duplicates, long and
unencodable strings. Each one goes through the stack-file reader and the real
program under mocks. The outcome must be a render, a ``ConfigError`` whose every
problem has a config path, or a ``StackFileError`` naming the file and line, and
nothing may be registered before a refusal. Every render must hold what the
platform promises of any stack: each Knative Service's traffic sums to 100, and
the policy pack (policy/) passes with every relaxation granted, so the settings
no relaxation may weaken hold whatever the file says. Half the generated
services are plausible rather than mangled, and a minimum share of the cases
must render: a regression that refused every valid file, with a path, fails.

The budget is fixed and the run derandomised (profile ``ci``, the default), so
the suite stays fast and every run tests the same examples;
``HYPOTHESIS_PROFILE=explore`` searches wider and at random.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import os
import re
import sys
import tempfile
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from knative_platform import versions
from knative_platform.model.cluster.cluster import ClusterProfile, Relaxations
from knative_platform.model.core.decode import config_fields, config_key
from knative_platform.model.eventing.eventing import Broker, EventSource
from knative_platform.model.service.service import Service
from knative_platform.offline.engine import Capture, RecordingMonitor, run_program
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.stackfile import StackFileError, load_program_config
from knative_platform.runtime.errors import ConfigError

sys.path.insert(0, str(ROOT / "policy"))
import platform_policies as pp

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

WORDS = ["v1", "v2", "@latest", "60s", "10m", "0", "250m", "1Gi", "/healthz", "api", "stable", "x", "",
         versions.SAMPLE_IMAGE, "a.example.com", "default", "team-a", "blue"]


def _from_type(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Config values of type ``tp``, mostly plausible, as a stack file spells them."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[_from_type(a, depth) for a in get_args(tp) if a is not type(None)])
    if origin in (tuple, list) or origin is typing.Sequence:
        return st.lists(_from_type(get_args(tp)[0], depth + 1), max_size=2)
    if origin in (dict, Mapping) or origin is typing.Mapping:
        return st.dictionaries(st.sampled_from(["LOG_LEVEL", "TARGET", "A_B"]), _from_type(get_args(tp)[1], depth + 1),
                               max_size=2)
    if dataclasses.is_dataclass(tp) and depth < 4:
        hints = get_type_hints(tp)
        fields = [f for f in config_fields(tp) if not f.metadata.get("decode")]
        required = {config_key(f): _from_type(hints[f.name], depth + 1) for f in fields
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        optional = {config_key(f): _from_type(hints[f.name], depth + 1) for f in fields
                    if config_key(f) not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([m.value for m in tp])
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-1, 70_000)
    if tp is float:
        return st.floats(0, 1000, allow_nan=False)
    return st.sampled_from(WORDS)


TRAFFIC = st.one_of(
    st.none(),
    st.fixed_dictionaries({"latest": st.just(True)}),
    st.fixed_dictionaries({"pin": st.sampled_from(["v1", "v2"])}),
    st.fixed_dictionaries({"rollback": st.one_of(st.just("v1"), st.fixed_dictionaries(
        {"to": st.just("v1")}, optional={"latestTag": st.sampled_from(["broken", "Bad_Tag"])}))}),
    st.fixed_dictionaries({"canary": st.fixed_dictionaries(
        {"stable": st.just("v1"), "percent": st.integers(-5, 105)})}),
    st.fixed_dictionaries({"blueGreen": st.fixed_dictionaries(
        {"blue": st.just("v1"), "green": st.just("v2"), "live": st.sampled_from(["blue", "green", "red"])})}),
    st.fixed_dictionaries({"gradual": st.sampled_from(["10m", "soon", "0"])}),
    st.lists(st.fixed_dictionaries({}, optional={"revision": st.just("v1"), "latest": st.booleans(),
                                                  "percent": st.integers(0, 100), "tag": st.sampled_from(["a", "b"])}),
             max_size=3),
)
MANGLED_SERVICE = st.tuples(_from_type(Service), TRAFFIC).map(
    lambda p: {**p[0], **({"traffic": p[1]} if p[1] else {})})
VALID_TRAFFIC = st.one_of(
    st.fixed_dictionaries({"latest": st.just(True)}),
    st.fixed_dictionaries({"canary": st.fixed_dictionaries({"stable": st.just("v1"), "percent": st.integers(0, 100)})}),
    st.fixed_dictionaries({"blueGreen": st.fixed_dictionaries(
        {"blue": st.just("v1"), "green": st.just("v2"), "live": st.sampled_from(["blue", "green"])})}),
    st.lists(st.integers(0, 100), min_size=2, max_size=2).map(
        lambda p: [{"revision": "v1", "percent": min(p), "tag": "a"}, {"latest": True, "percent": 100 - min(p)}]),
)
PLAUSIBLE_SERVICE = st.fixed_dictionaries({"image": st.just(versions.SAMPLE_IMAGE)}, optional={
    "revision": st.just("v2"),
    "port": st.sampled_from([8080, 3000]),
    "env": st.dictionaries(st.sampled_from(["LOG_LEVEL", "TARGET"]), st.sampled_from(["debug", "x", ""]), max_size=2),
    "concurrency": st.integers(0, 100),
    "timeoutSeconds": st.integers(1, 600),
    "visibility": st.sampled_from(["public", "cluster-local"]),
    "traffic": VALID_TRAFFIC,
})
SERVICE = st.one_of(PLAUSIBLE_SERVICE, MANGLED_SERVICE)
APP_NAMESPACES = st.dictionaries(
    st.sampled_from(["team-app", "shop", "Bad_NS", "kube-apps", "knative-serving"]),
    st.one_of(st.none(), st.fixed_dictionaries({}, optional={"domains": st.lists(
        st.sampled_from(["shop.example.com", "example", "a.example.com", "x" * 300]), max_size=2)})),
    max_size=2)
# knative-platform:eventing: brokers and sources are maps keyed by name (decoded by decode_named, which
# _from_type skips); a service's triggers name one of these brokers, or another.
EVENTING = st.fixed_dictionaries({}, optional={
    "brokers": st.dictionaries(st.sampled_from(["default", "v1", "Bad_Broker"]), _from_type(Broker), max_size=2),
    "sources": st.dictionaries(st.sampled_from(["events", "x" * 70]), _from_type(EventSource), max_size=1),
    "relax": st.fixed_dictionaries({}, optional={"inMemoryBroker": st.booleans()}),
})

BAD_VALUES = st.one_of(
    st.none(), st.booleans(), st.just([]), st.just({}), st.just("8080"),
    st.integers(min_value=2**31, max_value=10**30), st.just(10**400), st.just(-(2**63)),
    st.just({"secure": "v1:Y2lwaGVydGV4dA=="}),
    st.just("x" * 40_000), st.text(max_size=8),
    st.just(1e308), st.just("1e99999999999"), st.just("9" * 5000 + "s"),
    st.recursive(st.just([]), lambda inner: st.lists(inner, min_size=1, max_size=1), max_leaves=60),
)
YAML_ODDITIES = [
    "  team:day: 2026-01-01\n", "  team:set: !!set {a, b}\n", "  team:bin: !!binary aGVsbG8=\n",
    "  team:n: !!int abc\n", "  team:flag: yes\n", "  team:m: {1: a, true: b}\n", "  team:n: .nan\n",
    "  knative-platform:domain: example.com\n",  # a duplicate of a key every file has
    "  team:deep: " + "[" * 50 + "]" * 50 + "\n", "  knative-platform:servces: {}\n",
    "  knative-platform:kubeconfig:\n    secure: v1:a3ViZWNvbmZpZw==\n",
]


def _mutate(data: st.DataObject, config: dict[str, Any]) -> None:
    """Change one leaf of ``config`` (or add a key) the way real files go wrong."""
    node: Any = config
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys or data.draw(st.booleans(), label="stop here"):
            break
        key = data.draw(st.sampled_from(keys), label="descend")
        if not isinstance(node[key], (dict, list)) or not node[key]:
            node[key] = data.draw(BAD_VALUES, label="bad value")
            return
        node = node[key]
    if isinstance(node, dict):
        node[data.draw(st.sampled_from(["imagee", "minscale", "extra", "image"]), label="key")] = data.draw(
            BAD_VALUES, label="value")


def _stack_text(config: dict[str, Any], oddities: list[str]) -> str:
    body = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True, width=10_000)
    return body + "".join(oddities)


@pytest.fixture(scope="module")
def project_dir():
    with tempfile.TemporaryDirectory(prefix="property-") as tmp:
        out = Path(tmp)
        for name in ("Pulumi.yaml", "__main__.py"):
            (out / name).write_text((ROOT / name).read_text())
        (out / "stacks").mkdir()
        for name in ("services.py", "__init__.py"):
            (out / "stacks" / name).write_text((ROOT / "stacks" / name).read_text())
        yield out


ALL_RELAXED = {policy: {flag: True} for flag, policy in pp.RELAXATIONS.items()}
"""The policy config that waives every relaxable rule: what is left must hold in any render."""
KNATIVE_SERVICE = "kubernetes:serving.knative.dev/v1:Service"
MIN_RENDERED = {"services": 0.15, "cluster": 0.25}
"""The least share of generated stack files that must render, per property (the ``ci`` profile's fixed examples)."""


def _holds_for_every_render(capture: Capture) -> None:
    """What the platform promises of every stack it renders, whatever the file said."""
    services = [r for r in capture.registrations if r.type == KNATIVE_SERVICE]
    for service in services:
        percents = [t["percent"] for t in service.inputs["spec"]["traffic"]]
        assert sum(percents) == 100, (service.name, percents)
    resources = [(r.type, r.inputs) for r in capture.registrations]
    assert pp.check_resources(resources, ALL_RELAXED) == []


_PATH = re.compile(r"^[A-Za-z(]")
_PYTHON_REPR = re.compile(r"object at 0x|<class |Traceback|got None\b|is None\b|a Python ")
"""Python's words where the user's belong (``null`` not ``None``)."""


def _outcome(project: Path, text: str) -> str:
    """Run the stack file through the reader and the program; fail the test on anything but the three outcomes."""
    (project / "stacks" / "Pulumi.qa.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        program = load_program_config(project, "qa")
    except StackFileError as error:
        assert re.search(r"Pulumi\.qa\.yaml(:\d+)?: ", str(error)), str(error)
        return "stack file refused"
    monitor = RecordingMonitor(PlatformMocks())
    try:
        capture = run_program(program, monitor=monitor)
    except ConfigError as error:
        assert monitor.recorded == {}, f"registered before failing: {sorted(monitor.recorded)[:5]}"
        for problem in error.problems:
            assert problem.path and _PATH.match(problem.path), problem
            assert not _PYTHON_REPR.search(problem.message), problem
            assert len(str(problem)) < 1200, problem
        return "refused"
    _holds_for_every_render(capture)
    return "rendered"


def _rendered_share(outcomes: list[str]) -> float:
    return outcomes.count("rendered") / len(outcomes)


def test_any_stack_file_renders_or_is_refused_with_a_path(project_dir):
    outcomes: list[str] = []

    @given(data=st.data())
    def one_file(data: st.DataObject) -> None:
        services = data.draw(st.dictionaries(st.sampled_from(["api", "web", "Bad_Name"]), SERVICE, min_size=1,
                                             max_size=2), label="services")
        config: dict[str, Any] = {
            "knative-platform:cluster": {"type": "existing", "context": "team-cluster"},
            "knative-platform:domain": "example.com",
            "knative-platform:services": services,
        }
        if data.draw(st.booleans(), label="app namespaces"):
            config["knative-platform:appNamespaces"] = data.draw(APP_NAMESPACES, label="appNamespaces")
        if data.draw(st.booleans(), label="eventing"):
            config["knative-platform:eventing"] = data.draw(EVENTING, label="eventing")
        if data.draw(st.booleans(), label="mutate"):
            _mutate(data, config)
        oddities = data.draw(st.lists(st.sampled_from(YAML_ODDITIES), max_size=2, unique=True), label="oddities")
        outcomes.append(_outcome(project_dir, _stack_text(config, oddities)))
        event(outcomes[-1])

    one_file()
    assert _rendered_share(outcomes) >= MIN_RENDERED["services"], {o: outcomes.count(o) for o in set(outcomes)}


CLUSTER_EDITS = st.one_of(
    st.tuples(st.just("relax"), st.sampled_from([config_key(f) for f in config_fields(Relaxations)]),
              st.booleans()),
    st.tuples(st.just("profile"), st.just(""), st.sampled_from([p.value for p in ClusterProfile])),
)


def test_any_cluster_renders_or_is_refused_before_anything_is_registered(project_dir):
    dev = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    outcomes: list[str] = []

    @given(data=st.data())
    def one_cluster(data: st.DataObject) -> None:
        config = copy.deepcopy({"knative-platform:cluster": dev["knative-platform:cluster"],
                                "knative-platform:domain": dev["knative-platform:domain"]})
        if data.draw(st.booleans(), label="plausible edit"):  # a relaxation or profile the model may accept
            section, key, value = data.draw(CLUSTER_EDITS, label="edit")
            cluster = config["knative-platform:cluster"]
            if key:
                cluster[section][key] = value
            else:
                cluster[section] = value
        else:
            _mutate(data, config)
        outcomes.append(_outcome(project_dir, _stack_text(config, [])))
        event(outcomes[-1])

    one_cluster()
    assert _rendered_share(outcomes) >= MIN_RENDERED["cluster"], {o: outcomes.count(o) for o in set(outcomes)}


@given(raw=SERVICE, mutate=st.data())
def test_a_decoded_service_has_its_declared_types(raw, mutate):
    """The decoder's output type-checks clean, which lets validation skip the type check of a decoded service.

    ``platform_problems`` checks the types only of services built in Python
    (the ``DECODED`` proof of :mod:`knative_platform.model.service.validated`); a decoded one whose fields
    did not match its type hints would skip a check it needs, so this holds on generated config, bad values included.
    """
    from knative_platform.model.core.decode import INVALID, Decoder
    from knative_platform.model.service.service import decode_service

    config = copy.deepcopy(raw)
    if mutate.draw(st.booleans(), label="mutate"):
        _mutate(mutate, config)
    decoder = Decoder()
    service = decode_service("svc", config, "services.svc", decoder)
    if service is INVALID or decoder.problems or decoder.substituted:
        return
    checker = Decoder()
    checker.typecheck(service, Service, "services.svc")
    assert checker.problems == []
