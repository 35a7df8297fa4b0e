"""The program's own cost stays small on large stacks (issue 9): work done once, imports only what is used.

The figures themselves come from ``python -m benchmarks.scale`` (README "Performance");
these tests pin the behaviour behind them, so a change that validates a service
three times again, or imports pulumi_gcp for a stack on an existing cluster, fails here.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import Counter

import pytest
import yaml
from conftest import ROOT, run_stack

import knative_platform.model.core.decode as decode
import knative_platform.model.platform.platform as spec_platform
import knative_platform.model.service.validated as validated
from knative_platform import KnativeApp, KnativeAppArgs, Platform, PlatformArgs, Service
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.offline.engine import RecordingMonitor, run_function
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.runtime.errors import ConfigError

CONFIG = {"cluster": {"type": "existing", "context": "kind"}, "domain": "apps.example.com"}


def _services(n: int) -> dict[str, dict]:
    return {f"svc-{i}": {"image": "ghcr.io/example/app:1.0", "revision": "v2",
                         "traffic": {"canary": {"stable": "v1", "percent": 10}}} for i in range(n)}


@pytest.fixture
def counted(monkeypatch):
    """Count the calls of service_problems (by config path) and platform_problems in a run."""
    calls: Counter[str] = Counter()
    service_problems, platform_problems = spec_platform.service_problems, spec_platform.platform_problems

    def count_service(service, path, *args, **kwargs):
        calls[path] += 1
        return service_problems(service, path, *args, **kwargs)

    def count_platform(spec):
        calls["platform"] += 1
        return platform_problems(spec)

    monkeypatch.setattr(spec_platform, "service_problems", count_service)
    monkeypatch.setattr(validated, "service_problems", count_service)
    monkeypatch.setattr(spec_platform, "platform_problems", count_platform)
    return calls


def test_a_stack_validates_each_service_and_the_platform_once(counted):
    capture = run_stack("staging", {"services": _services(3)})
    apps = [r.name for r in capture.by_type("knative-platform:index:KnativeApp")]
    assert len(apps) >= 3
    assert counted == {"platform": 1, **{f"services.{name}": 1 for name in apps}}


def test_a_knative_app_built_by_hand_is_still_validated(counted):
    monitor = RecordingMonitor(PlatformMocks())

    def program():
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("kubernetes")
        KnativeApp("bad", KnativeAppArgs(service=Service(name="bad", image="ghcr.io/x/y:1", port=8012),
                                         provider=provider, domain="apps.example.com"))

    with pytest.raises(ConfigError, match=r"services.bad.port: 8012 is a reserved port"):
        run_function(program, monitor=monitor)
    assert [r.type for r in monitor.recorded.values()] == ["pulumi:providers:kubernetes"]
    assert counted == {"services.bad": 1}


def test_a_spec_changed_after_validation_is_checked_again():
    spec = build_platform_spec("test", {**CONFIG, "services": _services(1)})
    broken_service = dataclasses.replace(spec.services[0], port=8012)
    for changed, message in ((dataclasses.replace(spec, domain="not a domain"), r"^domain: "),
                             (dataclasses.replace(spec, services=(broken_service,)), r"services.svc-0.port: 8012")):
        monitor = RecordingMonitor(PlatformMocks())
        with pytest.raises(ConfigError, match=message):
            run_function(lambda changed=changed: Platform("platform", PlatformArgs(spec=changed)), monitor=monitor)
        assert monitor.recorded == {}


def test_a_valid_service_is_proven_only_for_the_timeout_it_was_checked_with():
    spec = build_platform_spec("test", {**CONFIG, "services": {"api": {"image": "ghcr.io/x/y:1",
                                                                       "timeoutSeconds": 900}},
                                        "knative": {"defaults": {"maxRevisionTimeoutSeconds": 900}}})
    assert validated.service_problems_once(spec.services[0], "services.api", 900) == []
    assert [p.path for p in validated.service_problems_once(spec.services[0], "services.api", 600)] == [
        "services.api.timeoutSeconds"]


def test_the_decoder_reads_each_class_type_hints_once(monkeypatch):
    calls: Counter[type] = Counter()
    get_type_hints = decode.get_type_hints

    def count(cls):
        calls[cls] += 1
        return get_type_hints(cls)

    monkeypatch.setattr(decode, "get_type_hints", count)
    decode.type_hints.cache_clear()
    decode.field_plans.cache_clear()  # each class's field plans (issue 23) are made from its hints
    try:
        build_platform_spec("test", {**CONFIG, "services": _services(20)})
    finally:
        decode.type_hints.cache_clear()  # the next user recomputes them with the real function
    assert calls and set(calls.values()) == {1}


def test_an_existing_cluster_stack_does_not_import_pulumi_gcp():
    code = ("import sys\n"
            "from knative_platform.offline.engine import run_program\n"
            "from knative_platform.offline.stackfile import load_program_config\n"
            "run_program(load_program_config('.', 'local'))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi_gcp'))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_stack_files_are_parsed_by_libyaml():
    from knative_platform.offline import stackyaml

    assert issubclass(stackyaml.Loader, yaml.CSafeLoader)


def _shape(value):
    """A value with every leaf replaced by its type: two outputs of one shape differ only in their leaves."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _apps(capture):
    return {urn.rsplit("::", 1)[1]: outputs for urn, outputs in capture.component_outputs.items()
            if "KnativeApp" in urn}


def test_the_benchmark_floors_register_the_programs_graph(tmp_path, monkeypatch):
    """The scale benchmark's ratios mean something only if its floors register what the program does."""
    from benchmarks.shapes import STACK, write_projects
    from knative_platform.offline.engine import run_program
    from knative_platform.offline.stackfile import load_program_config
    from knative_platform.runtime.history import READ_STACK_OUTPUTS

    reads: Counter[str] = Counter()
    answer = PlatformMocks.call

    def counting(self, args):
        reads[args.token] += 1
        return answer(self, args)

    monkeypatch.setattr(PlatformMocks, "call", counting)
    projects = write_projects(3, tmp_path)

    def run(kind):
        reads.clear()
        return run_program(load_program_config(projects[kind], STACK)), reads[READ_STACK_OUTPUTS]

    (program, program_reads), (floor, floor_reads), (minimal, minimal_reads) = map(run, ("program", "floor", "minimal"))
    assert (program_reads, floor_reads, minimal_reads) == (1, 1, 0)  # the read of its own outputs: not the minimal's

    def graph(capture):
        return sorted((r.type, r.name, r.parent_type, r.custom, len(r.dependencies)) for r in capture.registrations)

    assert graph(floor) == graph(program)
    assert graph(minimal) == graph(program)
    def release_files(capture):
        return sorted(r.inputs["file"] for r in capture.by_type("kubernetes:yaml/v2:ConfigFile"))

    assert release_files(floor) == release_files(program)  # the same Knative release (versions.py), not a copy
    services = [r for r in program.by_type("kubernetes:serving.knative.dev/v1:Service")]
    assert len(services) == 3
    for service in services:
        assert floor.named(service.name, service.type).inputs == service.inputs
    apps = _apps(program)
    assert len(apps) == 3 and {k: _shape(v) for k, v in _apps(floor).items()} == {k: _shape(v) for k, v in apps.items()}
    assert _apps(minimal) == _apps(floor)
    assert _shape(floor.outputs) == _shape(program.outputs)
    assert _shape(minimal.outputs) == {k: v for k, v in _shape(program.outputs).items() if k != "revisions"}


def test_a_service_costs_the_program_no_output(monkeypatch):
    """Its plan is made before anything registers (a plain read of the stack's history): no Output for its traffic,
    none for its URLs under a domain, no Output.all, one record for the stack (issue 23)."""
    own = (str(ROOT / "components"), str(ROOT / "knative_platform"))  # the folder, by either path to it
    calls: Counter[str] = Counter()

    def counting(name, method):
        def wrapper(*args, **kwargs):
            if sys._getframe(1).f_code.co_filename.startswith(own):
                calls[name] += 1
            return method(*args, **kwargs)
        return wrapper

    from pulumi import Output
    monkeypatch.setattr(Output, "apply", counting("apply", Output.apply))
    monkeypatch.setattr(Output, "all", staticmethod(counting("all", Output.all)))
    monkeypatch.setattr(Output, "from_input", staticmethod(counting("from_input", Output.from_input)))
    counts = []
    for n in (2, 12):
        calls.clear()
        services = {name: {**service, "autoscaling": {"minScale": 1}} for name, service in _services(n).items()}
        run_stack("local", {"services": services})
        counts.append(dict(calls))
    per_service = {k: (counts[1].get(k, 0) - counts[0].get(k, 0)) / 10 for k in ("apply", "all", "from_input")}
    assert per_service == {"apply": 0, "all": 0, "from_input": 0}


def test_an_update_reads_each_services_previous_revisions_once(monkeypatch):
    """An update of a deployed stack parses each service's record once, not once per service (quadratic)."""
    import knative_platform.model.revisions.revision_record as record

    services = {name: {**service, "autoscaling": {"minScale": 1}} for name, service in _services(12).items()}
    first = run_stack("local", {"services": services})
    records = sum(len(r["list"]) for r in first.outputs["revisions"].values())
    calls = Counter()
    parse = record._row

    def count(*args):
        calls["records"] += 1
        return parse(*args)

    monkeypatch.setattr(record, "_row", count)
    run_stack("local", {"services": services}, previous=first)
    assert records >= 12 and calls["records"] == records


def test_an_app_stack_does_not_pay_for_the_platforms_other_services(monkeypatch):
    """Reading a platform stack's outputs costs the same whether it runs ten services or a thousand."""
    import json

    from pulumi import Output

    from knative_platform import PlatformReference, PlatformReferenceArgs
    from knative_platform.versions import SAMPLE_IMAGE

    platform = "organization/knative-platform/dev"
    base = json.loads((ROOT / "examples" / "team-app" / "stacks" / "stack-outputs.json").read_text())[platform]
    web = Service(name="web", namespace="team-app", image=SAMPLE_IMAGE, revision="v1", run_as_non_root=False)
    calls: Counter[int] = Counter()
    gather = Output.all

    def counting(*args, **kwargs):
        calls[size] += 1
        return gather(*args, **kwargs)

    monkeypatch.setattr(Output, "all", staticmethod(counting))
    for size in (10, 200):
        outputs = {**base, **{key: {f"svc-{i}": {"url": "http://x", "list": [{"name": f"svc-{i}-v1"}]}
                                    for i in range(size)} for key in ("serviceUrls", "tagUrls", "revisions")}}

        def program():
            reference = PlatformReference("platform", PlatformReferenceArgs(stack=platform, services=(web,)))
            KnativeApp("web", reference.app_args(web))

        run_function(program, monitor=RecordingMonitor(PlatformMocks(stack_outputs={platform: outputs})),
                     project="team-app", stack="dev")
    assert calls[10] == calls[200]
