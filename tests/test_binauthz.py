"""Binary Authorization (issue 18, N7): the project policy admits what the platform runs and denies the rest.

Pure rules (Google's pattern syntax, how pods name images), the program under
mocks (prod blocks, dev and staging name their dry run, every image a stack
runs is admitted), and app stacks checked against their platform's policy.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, STACKS, committed, config_error, k8s_objects, run_stack
from hypothesis import given
from hypothesis import strategies as st

from knative_platform import versions
from knative_platform.eventing import eventing_pins
from knative_platform.gcp_args.binauthz import allow_patterns, installed_pins, system_patterns
from knative_platform.model.cluster.binauthz import (
    ANY_DIGEST,
    admission_problems,
    admits,
    image_pattern,
    pattern_problem,
    pod_images,
    registry_patterns,
    registry_problem,
    resolved_repository,
    service_patterns,
)
from knative_platform.model.eventing.eventing import Broker, BrokerClass, EventingSpec
from knative_platform.model.platform.knative import Ingress
from knative_platform.model.service.containers import Container
from knative_platform.model.service.service import Service
from knative_platform.offline.engine import RecordingMonitor, run_program
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

POLICY = "gcp:binaryauthorization/policy:Policy"
TEAM_APP = ROOT / "examples" / "team-app"
DIGEST = "@sha256:" + "a" * 64


def policy_of(capture):
    (policy,) = capture.by_type(POLICY)
    return policy


def allowlist(capture) -> list[str]:
    return [entry["namePattern"] for entry in policy_of(capture).inputs["admissionWhitelistPatterns"]]


def admitted(image: str, patterns) -> bool:
    return any(admits(p, image) for p in patterns)


# -- Google's pattern syntax and matching ------------------------------------------------------


def test_matching_follows_googles_documented_examples():
    # AdmissionWhitelistPattern.name_pattern: "gcr.io/nginx* matches gcr.io/nginx@latest, but it does not match
    # gcr.io/nginx/image ... gcr.io/nginx** matches gcr.io/nginx/image"
    assert admits("gcr.io/nginx*", "gcr.io/nginx@latest")
    assert not admits("gcr.io/nginx*", "gcr.io/nginx/image")
    assert admits("gcr.io/nginx**", "gcr.io/nginx/image")
    assert admits("gcr.io/a/b", "gcr.io/a/b") and not admits("gcr.io/a/b", "gcr.io/a/b:v1")


@pytest.mark.parametrize(("pattern", "problem"), [
    ("gcr.io/my-project/nginx*", None),
    ("europe-docker.pkg.dev/p/r/**", None),
    ("gcr.io/my-project/n*x", "has a wildcard before its end"),
    ("*", "names no registry"),
    ("nginx:*", "names no registry"),
    ("gcr.i*", "names no registry"),
    ("gcr.io/*", "admits a whole registry"),
    ("docker.io/**", "admits a whole registry"),
])
def test_patterns_follow_googles_syntax(pattern, problem):
    found = pattern_problem(pattern)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "local"])
def test_every_entry_a_stack_writes_is_a_valid_pattern(stack):
    patterns = allowlist(committed(stack))
    assert patterns == sorted(set(patterns))
    assert [p for p in patterns if pattern_problem(p)] == []


@pytest.mark.parametrize(("image", "repository"), [
    ("ghcr.io/knative/helloworld-go:v1", "ghcr.io/knative/helloworld-go"),
    ("docker.io/library/nginx:1.27", "index.docker.io/library/nginx"),
    ("docker.io/nginx", "index.docker.io/library/nginx"),
    ("nginx", "index.docker.io/library/nginx"),
    ("acme/app:v1", "index.docker.io/acme/app"),
    ("localhost:5000/app:v1", "localhost:5000/app"),
])
def test_a_tag_resolves_as_go_containerregistry_names_it(image, repository):
    assert resolved_repository(image) == repository
    assert pod_images(image, resolved=True) == (image, f"{repository}@{ANY_DIGEST}")
    assert pod_images(image + DIGEST, resolved=True) == (image + DIGEST,)  # a digest runs as written
    assert pod_images(image, resolved=False) == (image,)  # init containers are not resolved


REGISTRY_HOST = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(io|dev|com)(:[0-9]{2,4})?", fullmatch=True)
SEGMENT = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?", fullmatch=True)
TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True)


@given(host=REGISTRY_HOST, path=st.lists(SEGMENT, min_size=1, max_size=3), tag=st.none() | TAG,
       digest=st.booleans(), init=st.booleans())
def test_a_services_images_are_admitted_however_its_pods_name_them(host, path, tag, digest, init):
    image = f"{host}/{'/'.join(path)}" + (f":{tag}" if tag else "") + (DIGEST if digest else "")
    service = (Service(name="api", image=versions.SAMPLE_IMAGE, init_containers=(Container(name="i", image=image),))
               if init else Service(name="api", image=image))
    patterns = service_patterns([service])
    assert [p for p in patterns if pattern_problem(p)] == []
    assert all(admitted(name, patterns) for name in pod_images(image, resolved=not init))
    assert not admitted(f"{host}/other-{'/'.join(path)}{DIGEST}", patterns)


@given(prefix=st.builds(lambda h, p: f"{h}/{'/'.join(p)}", REGISTRY_HOST, st.lists(SEGMENT, min_size=1, max_size=3)),
       image=SEGMENT)
def test_a_registry_entry_admits_every_image_under_it_and_nothing_beside_it(prefix, image):
    assert registry_problem(prefix) is None
    patterns = registry_patterns(prefix)
    assert admitted(f"{prefix}/{image}{DIGEST}", patterns) and admitted(f"{prefix}/a/{image}:v1", patterns)
    assert not admitted(f"{prefix}-x/{image}{DIGEST}", patterns)


@given(text=st.text(max_size=80), other=st.text(max_size=80))
def test_any_text_as_a_pattern_or_an_image_gets_an_answer_never_a_crash(text, other):
    assert pattern_problem(text) is None or isinstance(pattern_problem(text), str)
    assert isinstance(admits(text, other), bool)
    for name in pod_images(text, resolved=True):
        assert isinstance(image_pattern(name), str)


@pytest.mark.parametrize("policy", [{}, {"allow": "ghcr.io/**"}, {"allow": [5, None]}, {"enforcement": 3}])
def test_a_platform_output_of_the_wrong_shape_admits_nothing_and_never_crashes(policy):
    service = Service(name="api", image=versions.SAMPLE_IMAGE)
    (problem,) = admission_problems([service], policy, "acme/knative-platform/prod")
    assert problem.path == "services.api.image"


def test_a_docker_hub_registry_is_admitted_under_both_of_its_names():
    assert registry_patterns("docker.io/acme") == ("docker.io/acme/**", "index.docker.io/acme/**")


@given(text=st.text(max_size=80))
def test_any_registry_text_gets_a_verdict_never_a_crash(text):
    problem = registry_problem(text)
    if problem is None:
        assert all(pattern_problem(p) is None for p in registry_patterns(text))


# -- what the platform runs ----------------------------------------------------------------


@pytest.mark.parametrize(("stack", "overrides"), [
    ("local", {}), ("dev", {}), ("staging", {}), ("prod", {}), ("dev", {"ingress": "kourier"}),
])
def test_the_pins_the_policy_admits_are_the_ones_the_stack_installs(stack, overrides):
    capture = committed(stack) if not overrides else run_stack(stack, overrides)
    ingress = Ingress(overrides.get("ingress", load_program_config(ROOT, stack).config.get(
        "knative-platform:ingress", "kgateway")))
    config = load_program_config(ROOT, stack).config
    tls = "knative-platform:tls" in config
    eventing = eventing_pins(EventingSpec()) if stack == "staging" else ()  # staging declares a broker
    assert {pin.component for pin in (*installed_pins(ingress, tls), *eventing)} == set(capture.outputs["versions"])


def test_eventing_images_are_admitted_only_where_the_stack_installs_eventing():
    staging, prod = committed("staging").outputs, committed("prod").outputs
    controller = "gcr.io/knative-releases/knative.dev/eventing/cmd/controller" + DIGEST
    assert admitted(controller, staging["binaryAuthorization"]["allow"])
    assert not admitted(controller, prod["binaryAuthorization"]["allow"])
    kafka = eventing_pins(EventingSpec(brokers=(Broker(name="b", class_=BrokerClass.KAFKA),)))
    receiver = "gcr.io/knative-releases/knative-kafka-broker-receiver-loom" + DIGEST
    assert admitted(receiver, system_patterns(kafka)) and not admitted(receiver, system_patterns(eventing_pins(
        EventingSpec(brokers=(Broker(name="b"),)))))


def test_the_real_image_references_of_the_pins_are_admitted():
    patterns = system_patterns(installed_pins(Ingress.KGATEWAY, tls=True)) | system_patterns([versions.NET_KOURIER])
    real = [
        versions.CERT_MANAGER_API_CHECK_IMAGE,
        f"quay.io/jetstack/cert-manager-acmesolver:{versions.CERT_MANAGER.version}",
        f"cr.kgateway.dev/kgateway-dev/envoy-wrapper:{versions.KGATEWAY.version}",
        f"cr.kgateway.dev/kgateway-dev/kgateway:{versions.KGATEWAY.version}",
        "gcr.io/knative-releases/knative.dev/serving/cmd/queue" + DIGEST,
        "gcr.io/knative-releases/knative.dev/net-gateway-api/cmd/webhook" + DIGEST,
        "docker.io/envoyproxy/envoy:v1.37-latest",  # net-kourier knative-v1.23.0 config/300-gateway.yaml
    ]
    assert [image for image in real if not admitted(image, patterns)] == []


def test_prod_writes_a_policy_that_denies_what_it_does_not_name_and_blocks():
    prod = committed("prod")
    policy = policy_of(prod).inputs
    assert policy["defaultAdmissionRule"] == {"evaluationMode": "ALWAYS_DENY",
                                              "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}
    assert policy["globalPolicyEvaluationMode"] == "ENABLE"  # Google's own GKE system images
    assert policy["project"] == "knative-platform-prod"
    assert policy_of(prod).options.get("protect") is True
    patterns = allowlist(prod)
    for denied in ("docker.io/library/nginx:1.27", "index.docker.io/library/nginx" + DIGEST,
                   "gcr.io/knative-releases/knative.dev/eventing/cmd/controller" + DIGEST,
                   "quay.io/jetstack/cert-manager-controller-x:v1", "ghcr.io/knative/other" + DIGEST,
                   "gcr.io/knative-releases/knative.dev/net-kourier/cmd/kourier" + DIGEST):  # prod runs kgateway
        assert not admitted(denied, patterns), denied
    assert prod.outputs["binaryAuthorization"] == {"enforcement": "ENFORCED_BLOCK_AND_AUDIT_LOG", "allow": patterns}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_and_staging_run_prods_policy_as_a_named_dry_run(stack):
    capture = committed(stack)
    assert policy_of(capture).inputs["defaultAdmissionRule"] == {"evaluationMode": "ALWAYS_DENY",
                                                                 "enforcementMode": "DRYRUN_AUDIT_LOG_ONLY"}
    relax = json.loads(load_program_config(ROOT, stack).config["knative-platform:cluster"])["relax"]
    assert relax["binaryAuthorizationDryRun"] is True
    without = {k: v for k, v in relax.items() if k != "binaryAuthorizationDryRun"}
    cluster = {**json.loads(load_program_config(ROOT, stack).config["knative-platform:cluster"]), "relax": without}
    enforced = run_stack(stack, {"cluster": cluster})
    assert policy_of(enforced).inputs["defaultAdmissionRule"]["enforcementMode"] == "ENFORCED_BLOCK_AND_AUDIT_LOG"


def test_a_stack_on_an_existing_cluster_writes_no_policy():
    local = committed("local")
    assert local.by_type(POLICY) == [] and "binaryAuthorization" not in local.outputs


def pod_templates(obj: dict) -> list[dict]:
    """The pod specs inside an authored object (Knative Service templates, Jobs, Deployments)."""
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    return [template["spec"]] if isinstance(template.get("spec"), dict) else []


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "local"])
def test_every_image_a_stack_runs_is_admitted_by_its_own_policy(stack):
    capture = committed(stack)
    patterns = allowlist(capture)
    images = []
    for (kind, _), obj in k8s_objects(capture).items():
        for pod in pod_templates(obj):
            for key, resolved in (("containers", kind == "Service"), ("initContainers", False)):
                images += [name for c in pod.get(key) or () for name in pod_images(c["image"], resolved)]
    assert images, "the stack runs pods"
    assert [image for image in images if not admitted(image, patterns)] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_everything_on_the_cluster_waits_for_the_policy(stack):
    capture = committed(stack)
    policy = policy_of(capture).urn
    by_urn = {r.urn: r for r in capture.registrations}

    def waits(urn, seen):
        reg = by_urn.get(urn)
        for nxt in (*(reg.dependencies if reg else ()), *([reg.parent] if reg and reg.parent else [])):
            if nxt not in seen:
                seen.add(nxt)
                waits(nxt, seen)
        return seen

    on_cluster = [r for r in capture.registrations if r.custom and r.type.startswith("kubernetes:")]
    assert on_cluster
    assert [r.name for r in on_cluster if policy not in waits(r.urn, set())] == []


# -- refused before anything is registered -----------------------------------------------------


def prod_cluster(**changes):
    return {**json.loads(load_program_config(ROOT, "prod").config["knative-platform:cluster"]), **changes}


def test_prod_refuses_a_dry_run_and_a_mode_that_enforces_nothing():
    error = config_error("prod", {"cluster": prod_cluster(relax={"binaryAuthorizationDryRun": True})})
    assert "cluster.relax.binaryAuthorizationDryRun: profile prod does not allow this relaxation" in str(error)
    for mode in ("DISABLED", "POLICY_BINDINGS"):
        error = config_error("prod", {"cluster": prod_cluster(binaryAuthorization=mode)})
        assert f"cluster.binaryAuthorization: is {mode}, which does not check pods against the project policy" \
            in str(error)


def test_registries_the_stack_names_are_admitted_and_bad_ones_refused():
    registry = "europe-west1-docker.pkg.dev/knative-platform-prod/apps"
    capture = run_stack("prod", {"cluster": prod_cluster(imageRegistries=[registry])})
    assert f"{registry}/**" in allowlist(capture)
    error = config_error("prod", {"cluster": prod_cluster(imageRegistries=["gcr.io", "ghcr.io/acme/*", "nginx"])})
    for i in range(3):
        assert f"cluster.imageRegistries[{i}]: " in str(error)


def test_adding_a_registry_is_one_argument():
    base = allow_patterns(Ingress.KGATEWAY, True, [])
    more = allow_patterns(Ingress.KGATEWAY, True, [], ["europe-west1-docker.pkg.dev/p/env"])
    assert sorted(set(more) - set(base)) == ["europe-west1-docker.pkg.dev/p/env/**"]


def test_an_image_without_a_registry_is_refused_where_a_policy_is_written():
    services = json.loads(load_program_config(ROOT, "prod").config["knative-platform:services"])
    services["helloworld-go"]["image"] = "nginx:1.27"
    error = config_error("prod", {"services": services})
    assert ("services.helloworld-go.image: 'nginx:1.27' names no registry, and Binary Authorization admits images "
            "by registry/path: write it in full, e.g. 'docker.io/library/nginx:1.27'") in str(error)


# -- app stacks ------------------------------------------------------------------------------


def team_app(stack, policy=None):
    program = load_program_config(TEAM_APP, stack)
    outputs = json.loads(json.dumps(program.stack_outputs))
    platform = outputs[f"organization/knative-platform/{stack}"]
    if policy is not None:
        platform["binaryAuthorization"] = policy
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    return monitor, lambda: run_program(program, monitor=monitor)


def without_sample(stack, extra=()):
    policy = committed(stack).outputs["binaryAuthorization"]
    return {**policy, "allow": [p for p in policy["allow"] if "helloworld-go" not in p] + list(extra)}


def test_an_app_stack_whose_images_prods_policy_denies_is_refused_before_any_object(failing_program):
    monitor, run = team_app("prod", without_sample("prod"))
    with pytest.raises(ConfigError) as info:
        run()
    message = str(info.value)
    for service in ("inventory", "storefront"):
        assert (f"services.{service}.image: '{versions.SAMPLE_IMAGE}' is not admitted by the Binary Authorization "
                "policy of platform stack organization/knative-platform/prod: add its registry path") in message
    created = sorted(r.type for r in monitor.recorded.values() if r.custom and r.type != "pulumi:pulumi:StackReference")
    assert created == [], created


def test_an_app_stack_deploys_once_its_platform_names_its_registry():
    _, run = team_app("prod", without_sample("prod", registry_patterns("ghcr.io/knative")))
    capture = run()
    assert len(capture.by_type("kubernetes:serving.knative.dev/v1:Service")) == 2


def test_an_app_stack_on_a_dry_run_platform_is_warned_not_refused(caplog):
    _, run = team_app("dev", without_sample("dev"))
    capture = run()
    assert len(capture.by_type("kubernetes:serving.knative.dev/v1:Service")) == 2
    assert "services.storefront.image: " in caplog.text and "dry run" in caplog.text
