"""The split layout: PlatformReference and the examples/team-app project, run under the project's mocks."""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import replace

import pytest
from conftest import ROOT, k8s_objects

from knative_platform.model.platform.reference import (
    REQUIRED_PLATFORM_OUTPUTS,
    missing_output_problems,
    stack_name_problem,
)
from knative_platform.offline.__main__ import main
from knative_platform.offline.engine import RecordingMonitor, run_program
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.render import render_files
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

TEAM_APP = ROOT / "examples" / "team-app"
DEV_PLATFORM = "organization/knative-platform/dev"
KSVC = "kubernetes:serving.knative.dev/v1:Service"


def team_app(stack="dev", stack_outputs=None, config=None, monitor=None):
    program = load_program_config(TEAM_APP, stack)
    if stack_outputs is not None:
        program = replace(program, stack_outputs=stack_outputs)
    if monitor is None:
        monitor = RecordingMonitor(PlatformMocks(stack_outputs=program.stack_outputs))
    return program, run_program(program, extra_config=config, monitor=monitor)


def revisions_of(capture, service, rename=None):
    """What ``capture``'s update recorded for ``service``; ``rename`` pretends it created another name."""
    record = json.loads(json.dumps(capture.outputs["revisions"][service]))
    if rename:
        for row in record["list"]:
            row["name"] = rename
    return record


def platform_outputs(**changes):
    outputs = json.loads((TEAM_APP / "stacks" / "stack-outputs.json").read_text())[DEV_PLATFORM]
    return {k: v for k, v in {**outputs, **changes}.items() if v is not None}


# -- pure contract -------------------------------------------------------------------------


def test_stack_names_must_be_fully_qualified():
    assert stack_name_problem("organization/knative-platform/dev") is None
    assert stack_name_problem("acme/knative-platform/prod") is None
    for bad in ("dev", "knative-platform/dev", "a/b/c/d", "acme/knative platform/dev", "acme//dev"):
        assert "<organization>/<project>/<stack>" in stack_name_problem(bad), bad


def test_missing_outputs_name_each_key_and_its_fix():
    problems = missing_output_problems("acme/knative-platform/dev", ["domain", "gatewayAddress"])
    assert [p.path for p in problems] == ["outputs.clusterIdentifier", "outputs.kubeconfig"]
    assert "pulumi config set --secret" in problems[1].message
    assert missing_output_problems("s", REQUIRED_PLATFORM_OUTPUTS) == []


# -- the team-app example --------------------------------------------------------------------


def test_team_app_deploys_through_the_reference_provider():
    _, capture = team_app()
    (provider,) = capture.by_type("pulumi:providers:kubernetes")
    assert provider.name == "platform-kubernetes"
    assert provider.inputs["clusterIdentifier"] == "gke/knative-platform-dev/europe-west1-b/knative-dev"
    assert provider.inputs["kubeconfig"] == "[secret]"
    reference = capture.named("platform-stack")
    assert reference.inputs["name"] == DEV_PLATFORM
    assert reference.parent == capture.named("platform", "knative-platform:index:PlatformReference").urn
    # the one StackReference: the app stack's own previous outputs are read by an invoke (runtime/history.py)
    assert capture.by_type("pulumi:pulumi:StackReference") == [reference]
    kubernetes = [r for r in capture.registrations if r.custom and r.type.startswith("kubernetes:")]
    assert len(kubernetes) == 4  # the namespace, two Knative Services and inventory's ServiceAccount
    assert all(r.provider.startswith(provider.urn) for r in kubernetes)


def test_an_app_stack_binds_its_service_identity_in_the_platforms_workload_identity_pool():
    _, capture = team_app()
    (gcp_provider,) = capture.by_type("pulumi:providers:gcp")
    assert (gcp_provider.name, gcp_provider.inputs["project"]) == ("platform-gcp", "knative-platform-dev")
    ksa = k8s_objects(capture)[("ServiceAccount", "inventory")]
    assert ksa["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "ksvc-inventory@knative-platform-dev.iam.gserviceaccount.com"}
    (binding,) = capture.by_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert (binding.inputs["role"], binding.inputs["member"]) == (
        "roles/iam.workloadIdentityUser", "serviceAccount:knative-platform-dev.svc.id.goog[team-app/inventory]")
    (role,) = capture.by_type("gcp:projects/iAMMember:IAMMember")
    assert (role.inputs["project"], role.inputs["role"]) == ("knative-platform-dev", "roles/datastore.user")
    assert all(r.provider.startswith(gcp_provider.urn) for r in (binding, role))
    assert ksa["metadata"]["name"] == k8s_objects(capture)[("Service", "inventory")]["spec"]["template"]["spec"][
        "serviceAccountName"]


def test_an_app_stack_on_a_platform_without_workload_identity_is_told_so(failing_program):
    outputs = platform_outputs(workloadIdentityPool=None)
    with pytest.raises(ConfigError, match=r"services\.inventory\.serviceAccount: a Google identity needs Workload "
                                          r"Identity: the platform stack exports no workloadIdentityPool"):
        team_app(stack_outputs={DEV_PLATFORM: outputs})


def test_team_app_declares_a_canary_and_a_cluster_local_service():
    _, first = team_app()
    # A fresh app stack has no storefront-v2 yet: v3 is storefront's only revision and takes both sides.
    assert k8s_objects(first)[("Service", "storefront")]["spec"]["traffic"] == [
        {"revisionName": "storefront-v3", "percent": 50, "tag": "stable"},
        {"latestRevision": True, "percent": 50, "tag": "canary"},
    ]
    v2 = {"storefront": revisions_of(first, "storefront", rename="storefront-v2")}
    _, capture = team_app(stack_outputs={**load_program_config(TEAM_APP, "dev").stack_outputs,
                                         "organization/team-app/dev": {"revisions": v2}})
    objects = k8s_objects(capture)
    storefront, inventory = objects[("Service", "storefront")], objects[("Service", "inventory")]
    assert storefront["metadata"]["namespace"] == inventory["metadata"]["namespace"] == "team-app"
    assert storefront["spec"]["traffic"] == [
        {"revisionName": "storefront-v2", "percent": 50, "tag": "stable"},
        {"latestRevision": True, "percent": 50, "tag": "canary"},
    ]
    assert inventory["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    namespace = capture.named("namespace-team-app")
    assert namespace.urn in capture.named("storefront", KSVC).dependencies
    assert capture.outputs["serviceUrls"] == {
        "inventory": "http://inventory.team-app.svc.cluster.local",
        "storefront": "http://storefront.team-app.dev.knative.example.com",
    }
    assert capture.outputs["platformVersions"]["knative-serving"] == "knative-v1.23.0"


def test_team_app_prod_references_the_prod_platform_with_a_smaller_canary():
    _, capture = team_app("prod")
    assert capture.named("platform-stack").inputs["name"] == "organization/knative-platform/prod"
    traffic = k8s_objects(capture)[("Service", "storefront")]["spec"]["traffic"]
    assert [t["percent"] for t in traffic] == [90, 10]
    # the prod platform runs TLS, so the app stack reports the https URL Knative gives it
    assert capture.outputs["serviceUrls"]["storefront"] == "https://storefront.team-app.knative.example.com"


def test_the_platform_kubeconfig_stays_secret_even_when_the_platform_forgot_to_mark_it():
    leaky = platform_outputs(kubeconfig="apiVersion: v1\nusers: [{user: {token: PLATFORM-TOKEN}}]\n")
    program, capture = team_app(stack_outputs={DEV_PLATFORM: leaky})
    files = render_files(capture, program)
    assert not any("PLATFORM-TOKEN" in text for text in files.values())
    assert capture.named("platform-kubernetes").inputs["kubeconfig"] == "[secret]"


def test_optional_facts_may_be_missing():
    _, capture = team_app(stack_outputs={DEV_PLATFORM: platform_outputs(gatewayAddress=None, versions=None)})
    assert capture.outputs["platformVersions"] == {}
    reference = capture.named("platform", "knative-platform:index:PlatformReference")
    assert capture.component_outputs[reference.urn].get("gatewayAddress") is None


def test_missing_required_outputs_fail_before_any_app_object_is_created(failing_program):
    outputs = platform_outputs(kubeconfig=None, clusterIdentifier=None)
    monitor = RecordingMonitor(PlatformMocks(stack_outputs={DEV_PLATFORM: outputs}))
    with pytest.raises(ConfigError) as info:
        team_app(stack_outputs={DEV_PLATFORM: outputs}, monitor=monitor)
    message = str(info.value)
    assert f"{DEV_PLATFORM} outputs.clusterIdentifier: stack {DEV_PLATFORM} does not export it" in message
    assert f"{DEV_PLATFORM} outputs.kubeconfig: stack {DEV_PLATFORM} does not export it" in message
    assert "domain" not in message.split("problems")[-1].replace("domain.", "")
    created = sorted(r.type for r in monitor.recorded.values() if r.type.startswith("kubernetes:"))
    assert created == []


def test_a_bare_stack_name_is_refused_before_anything_is_registered():
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(ConfigError) as info:
        team_app(config={"team-app:platformStack": "dev"}, monitor=monitor)
    assert str(info.value).startswith("stack: 'dev' is not a fully qualified stack name")
    assert monitor.recorded == {}


def test_an_unmocked_stack_reference_is_a_clear_render_error(tmp_path, capsys, failing_program):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"organization/knative-platform/prod": platform_outputs()}))
    code = main(["render", "--stack", "dev", "--project", str(TEAM_APP), "--stack-outputs", str(outputs),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"the program reads stack {DEV_PLATFORM}, which has no mocked outputs offline" in err
    assert "stack-outputs.json" in err


def test_the_render_cli_finds_the_projects_mocked_outputs(tmp_path, capsys):
    assert main(["render", "--all", "--project", str(TEAM_APP), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "dev" / "kubernetes" / "team-app" / "Service-storefront.yaml").is_file()
    assert (tmp_path / "prod" / "kubernetes" / "team-app" / "Service-inventory.yaml").is_file()
    assert "rendered prod: 14 resources, 4 Kubernetes objects" in capsys.readouterr().out


def test_team_app_mocks_exactly_what_the_platform_stacks_export():
    """End to end: the team app's mocked references are the platform's own rendered outputs (dev and prod).

    Regenerate after an intended change of the platform's outputs:
    UPDATE_GOLDEN=1 pytest tests/test_reference.py
    """
    from conftest import committed

    path = TEAM_APP / "stacks" / "stack-outputs.json"
    expected = {f"organization/knative-platform/{stack}": committed(stack).outputs for stack in ("dev", "prod")}
    text = json.dumps(expected, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.read_text() == text, "the platform's outputs changed; UPDATE_GOLDEN=1 pytest tests/test_reference.py"
    for stack in ("dev", "prod"):
        _, capture = team_app(stack)
        (provider,) = capture.by_type("pulumi:providers:kubernetes")
        assert provider.inputs["clusterIdentifier"] == committed(stack).outputs["clusterIdentifier"]
        assert provider.inputs["kubeconfig"] == "[secret]"


def test_team_app_refuses_a_forgotten_rename_before_any_provider_or_object(failing_program):
    _, first = team_app()
    previous = json.loads(json.dumps(first.outputs))
    (latest,) = [r for r in previous["revisions"]["storefront"]["list"] if r.get("latest")]
    # the previous deployment applied another image under storefront-v3
    latest["digest"] = "sha256:" + "0" * 32
    image = f"{zlib.crc32(b'spec.containers[0].image') & 0xFFFF:04x}"  # the image field's path hash
    latest["fields"] = "".join(e if not e.startswith(image) else image + "0000"
                               for e in re.findall("........", latest["fields"]))
    outputs = {**load_program_config(TEAM_APP, "dev").stack_outputs, "organization/team-app/dev": previous}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError, match=r"services.storefront.revision: the revision template changes "
                                          r"\(spec.containers\[0\].image\) but keeps the name storefront-v3"):
        team_app(stack_outputs=outputs, monitor=monitor)
    created = sorted(r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference")
    assert created == [], created


def test_a_stack_output_is_secret_exactly_when_the_referenced_stack_marks_it():
    """stack_output keeps StackReference.get_output's secrecy, per output (components/runtime/stack_outputs.py)."""
    import pulumi

    from knative_platform.offline.engine import run_function
    from knative_platform.runtime.stack_outputs import stack_output

    def program():
        reference = pulumi.StackReference("platform", stack_name=DEV_PLATFORM)
        for name in ("kubeconfig", "domain", "absent"):
            for how, output in (("ours", stack_output(reference, name)), ("sdk", reference.get_output(name))):
                pulumi.export(f"{name}-{how}", pulumi.Output.unsecret(output))
                pulumi.export(f"{name}-{how}-secret", pulumi.Output.from_input(output.is_secret()))

    mocks = PlatformMocks(stack_outputs={DEV_PLATFORM: {"kubeconfig": "[secret]", "domain": "dev.example.com"}})
    capture = run_function(program, monitor=RecordingMonitor(mocks), project="team-app", stack="dev")
    ours = {k: (capture.outputs.get(f"{k}-ours"), capture.outputs[f"{k}-ours-secret"]) for k in ("kubeconfig", "domain",
                                                                                               "absent")}
    assert ours == {"kubeconfig": ("[secret]", True), "domain": ("dev.example.com", False), "absent": (None, False)}
    assert ours == {k: (capture.outputs.get(f"{k}-sdk"), capture.outputs[f"{k}-sdk-secret"]) for k in ours}


# -- issue 18 N1: the platform serves every https host an app stack exports ----------------------------------------

PROD_PLATFORM = "organization/knative-platform/prod"


def _listener_admits(listener, namespace):
    selector = listener["allowedRoutes"]["namespaces"]
    if selector["from"] == "All":
        return True
    return selector["from"] == "Selector" and any(
        e["key"] == "kubernetes.io/metadata.name" and e["operator"] == "In" and namespace in e["values"]
        for e in selector["selector"]["matchExpressions"])


def _listener_matches(listener, hostname):
    """Gateway API v1.6.1 Listener.hostname: exact, or ``*.`` as a suffix of one label or more; none matches all."""
    pattern = listener.get("hostname")
    return pattern is None or pattern == hostname or (pattern.startswith("*.") and hostname.endswith(pattern[1:]))


def test_team_app_prod_has_an_https_listener_and_a_certificate_for_every_host_it_exports():
    from urllib.parse import urlsplit

    from conftest import committed

    from knative_platform.model.platform.hosts import covers

    platform = k8s_objects(committed("prod"))
    gateway = platform[("Gateway", "knative-external")]
    certificates = {c["spec"]["secretName"]: c for (kind, _), c in platform.items() if kind == "Certificate"}
    _, app = team_app("prod")
    exported = [*app.outputs["serviceUrls"].values(), *(u for tags in app.outputs["tagUrls"].values()
                                                          for u in tags.values())]
    urls = [u for u in exported if not u.endswith(".svc.cluster.local")]  # inventory is cluster-local
    assert len(urls) == 3 and all(u.startswith("https://") for u in urls)  # storefront, its stable and canary tags
    for url in urls:
        host = urlsplit(url).hostname
        serving = [lst for lst in gateway["spec"]["listeners"] if lst["protocol"] == "HTTPS"
                   and _listener_matches(lst, host) and _listener_admits(lst, "team-app")]
        assert serving, f"no HTTPS listener admits team-app for {host}"
        secrets = [ref["name"] for lst in serving for ref in lst["tls"]["certificateRefs"]]
        assert any(covers(name, host) for s in secrets for name in certificates[s]["spec"]["dnsNames"]), host


def test_an_app_whose_hosts_the_platform_does_not_serve_is_refused_before_anything_is_registered(failing_program):
    outputs = load_program_config(TEAM_APP, "prod").stack_outputs
    platform = json.loads(json.dumps(outputs[PROD_PLATFORM]))
    platform["httpsHosts"]["names"].pop("*.team-app.knative.example.com")
    outputs = {**outputs, PROD_PLATFORM: platform}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError) as info:
        team_app("prod", stack_outputs=outputs, monitor=monitor)
    assert str(info.value).splitlines()[-1].strip() == (
        "services.storefront: https://storefront.team-app.knative.example.com (and its tag URLs) would not answer: "
        f"the platform's gateway serves no HTTPS for namespace team-app; add team-app to "
        f"knative-platform:appNamespaces on stack {PROD_PLATFORM} and run `pulumi up` there")
    created = sorted(r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference")
    assert created == [], created


def test_an_app_stacks_revision_host_and_image_problems_come_out_in_one_error(failing_program):
    """One round once the data is known (the app stack's previous outputs and the platform's): one ConfigError."""
    outputs = load_program_config(TEAM_APP, "prod").stack_outputs
    _, first = team_app("prod")
    previous = json.loads(json.dumps(first.outputs))
    (latest,) = [r for r in previous["revisions"]["storefront"]["list"] if r.get("latest")]
    latest["digest"] = "sha256:" + "0" * 32  # another template was applied under the same revision name
    image = f"{zlib.crc32(b'spec.containers[0].image') & 0xFFFF:04x}"
    latest["fields"] = "".join(e if not e.startswith(image) else image + "0000"
                               for e in re.findall("........", latest["fields"]))
    platform = json.loads(json.dumps(outputs[PROD_PLATFORM]))
    platform["httpsHosts"]["names"].pop("*.team-app.knative.example.com")
    platform["binaryAuthorization"] = {"enforcement": "ENFORCED_BLOCK_AND_AUDIT_LOG", "allow": ["gcr.io/other/*"]}
    outputs = {**outputs, PROD_PLATFORM: platform, "organization/team-app/prod": previous}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError) as info:
        team_app("prod", stack_outputs=outputs, monitor=monitor)
    # the revision round, the hosts the platform does not serve, the images its enforced policy denies
    assert [p.path for p in info.value.problems] == ["services.storefront.revision", "services.storefront",
                                                    "services.inventory.image", "services.storefront.image"]
    created = sorted(r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference")
    assert created == [], created


def test_the_app_stack_round_refuses_under_an_enforced_policy_and_only_warns_under_a_dry_run():
    from knative_platform.manifests.app_stack import PlatformFacts, app_stack_round
    from knative_platform.model.revisions.revisions import Previous
    from knative_platform.model.service.service import Service

    services = [Service(name="api", image="ghcr.io/team/api@sha256:" + "a" * 64)]

    def facts(enforcement):
        return PlatformFacts(domain="example.com", domain_template="{{.Name}}.{{.Namespace}}.{{.Domain}}",
                             tag_template="{{.Tag}}-{{.Name}}", https=False, https_hosts=None,
                             binary_authorization={"enforcement": enforcement, "allow": ["gcr.io/other/*"]})

    enforced = app_stack_round("org/p/dev", services, Previous(), facts("ENFORCED_BLOCK_AND_AUDIT_LOG"))
    dry_run = app_stack_round("org/p/dev", services, Previous(), facts("DRYRUN_AUDIT_LOG_ONLY"))
    assert ([p.path for p in enforced.problems], enforced.warnings) == (["services.api.image"], [])
    assert (dry_run.problems, [p.path for p in dry_run.warnings]) == ([], ["services.api.image"])
    assert list(enforced.plans) == list(dry_run.plans) == ["api"]
