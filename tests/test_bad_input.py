"""Bad input of every kind ends in a clear error with its path and fix, never in a traceback (issue 8).

Each case is one of the inputs that used to crash, be accepted and fail later,
or read badly; the assertions are the exact text a user sees. Cases that need
the whole program (nothing registered before the refusal) run it under mocks
through ``config_error``; the rest call the spec directly.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, config_error, k8s_objects, run_stack

from knative_platform import Rollback, Service, versions
from knative_platform.model.core.errors import Problem, SpecError
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.model.service.service import validate_service

IMAGE = versions.SAMPLE_IMAGE
BASE = {"cluster": {"type": "existing", "context": "team-cluster"}, "domain": "example.com"}
HUGE = 10**400


def svc(**fields):
    return {"image": IMAGE, **fields}


def problems_of(config):
    with pytest.raises(SpecError) as info:
        build_platform_spec("test", {**BASE, **config})
    return [str(p) for p in info.value.problems]


CASES = [
    ("quantity with a huge exponent", {"services": {"api": svc(resources={"limits": {"cpu": "1e99999999999"}})}},
     "services.api.resources.limits.cpu: '1e99999999999' is larger than Kubernetes' largest quantity (2^63-1)"
     "; write it like 250m, 1, 512Mi or 1Gi"),
    ("negative quantity", {"services": {"api": svc(resources={"limits": {"cpu": "-1"}})}},
     "services.api.resources.limits.cpu: '-1' is negative; a resource quantity is at least 0"),
    ("duration of thousands of digits", {"services": {"api": svc(autoscaling={"window": "9" * 5000 + "s"})}},
     "services.api.autoscaling.window: '" + "9" * 60 + "…' (5001 characters) is not a duration; "
     "write it like 60s or 1m30s"),
    ("integer past float range in probe seconds",
     {"services": {"api": svc(probes={"readiness": {"periodSeconds": HUGE}})}},
     "services.api.probes.readiness.periodSeconds: is 100000000000… (401 digits), must be at most 2147483647 "
     "(Kubernetes and GKE store it as int32)"),
    ("integer just past int32", {"services": {"api": svc(autoscaling={"maxScale": 2**31})}},
     "services.api.autoscaling.maxScale: is 2147483648, must be at most 2147483647"
     " (Kubernetes and GKE store it as int32)"),
    ("integer below int32", {"services": {"api": svc(port=-(2**31) - 1)}},
     "services.api.port: is -2147483649, must be at least -2147483648 (Kubernetes and GKE store it as int32)"),
    ("integer past float range in a number field", {"services": {"api": svc(autoscaling={"target": HUGE})}},
     "services.api.autoscaling.target: is 100000000000… (401 digits), too large for a number"),
    ("NaN autoscaling target", {"services": {"api": svc(autoscaling={"target": float("nan")})}},
     "services.api.autoscaling.target: is .nan (not a number); give a number"),
    ("infinite autoscaling target", {"services": {"api": svc(autoscaling={"target": float("inf")})}},
     "services.api.autoscaling.target: is .inf; give a finite number"),
    ("lone surrogate in a string", {"services": {"api": svc(env={"A": "x\ud800"})}},
     "services.api.env.A: contains U+D800 at position 1, a lone UTF-16 surrogate"
     " that is not a character and cannot be encoded as UTF-8; remove it or write the character it was meant to be"),
    ("lone surrogate in a key", {"services": {"api": svc(env={"\udfff": "x"})}},
     "services.api.env: the key '\\udfff' contains U+DFFF at position 0, a lone UTF-16 surrogate that is not a "
     "character and cannot be encoded as UTF-8; remove it or write the character it was meant to be"),
    ("string past the length limit", {"services": {"api": svc(env={"A": "x" * 40_000})}},
     "services.api.env.A: is 40000 characters long, must be at most 32768"),
    ("a 10,000-character value is shortened", {"services": {"api": svc(visibility="x" * 10_000)}},
     "services.api.visibility: '" + "x" * 60 + "…' (10000 characters) is not one of 'public', 'cluster-local'"),
    ("non-string cluster type", {"cluster": {"type": 5}},
     "cluster.type: expected a string, one of: existing, gke; got integer 5"),
    ("two services with one custom domain",
     {"services": {"a": svc(domains=["shop.example.com"]), "b": svc(domains=["www.example.com", "shop.example.com"])}},
     "services.b.domains[1]: 'shop.example.com' is also claimed at services.a.domains[0]; a domain maps to one "
     "service: remove it from one of them"),
    ("a service in Knative's namespace", {"services": {"api": svc(namespace="knative-serving")}},
     "services.api.namespace: 'knative-serving' is a platform namespace, home of Knative Serving's control plane"
     " (KnativeServing); an app there would be deleted and upgraded with it: deploy the service in a namespace of its "
     "own"),
    ("a service in kgateway's namespace", {"services": {"api": svc(namespace="kgateway-system")}},
     "services.api.namespace: 'kgateway-system' is a platform namespace"
     ", home of kgateway and net-gateway-api (ingress kgateway); an app there would be deleted and upgraded with it: "
     "deploy the service in a namespace of its own"),
    ("a service in cert-manager's namespace", {"services": {"api": svc(namespace="cert-manager")}},
     "services.api.namespace: 'cert-manager' is a platform namespace"
     ", home of cert-manager (tls); an app there would be deleted and upgraded with it: deploy the service in a "
     "namespace of its own"),
    ("a service in a kube- namespace", {"services": {"api": svc(namespace="kube-system")}},
     "services.api.namespace: 'kube-system': Kubernetes reserves the kube- prefix"
     " for its system namespaces; deploy the service in a namespace of its own"),
    ("a map key that is not a string", {"services": {"api": svc(env={1: "x"})}},
     "services.api.env: keys must be strings, got integer 1; quote it"),
]


@pytest.mark.parametrize(("config", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_values_are_refused_with_the_path_the_limit_and_the_fix(config, expected):
    assert problems_of(config) == [expected]  # the whole list: no second, spurious problem


def test_a_rollback_without_latest_tag_compiles_to_one_target():
    spec = build_platform_spec("test", {**BASE, "services": {"api": svc(revision="v2", traffic={"rollback": "v1"})}})
    assert spec.service("api").traffic == Rollback(to="v1")
    service = Service(name="api", image=IMAGE, revision="v2", traffic=Rollback(to="v1"))
    assert validate_service(service) is service


def test_a_rollback_renders_all_traffic_to_the_older_revision():
    first = run_stack("staging", {"services": {"api": svc(revision="v1")}})
    second = run_stack("staging", {"services": {"api": svc(revision="v2")}}, previous=first)
    capture = run_stack("staging", {"services": {"api": svc(revision="v2", traffic={"rollback": "v1"})}},
                        previous=second)
    traffic = k8s_objects(capture)[("Service", "api")]["spec"]["traffic"]
    assert traffic == [{"revisionName": "api-v1", "percent": 100}]


def test_readme_three_problem_example_is_real_output():
    """A type error no longer hides the semantic problems of the fields that did decode (issue 12)."""
    error = config_error("staging", {"services": {
        "api": svc(imagee="x", port="80"),
        "helloworld-go": svc(autoscaling={"minScale": 11, "maxScale": 10}),
    }})
    readme = (ROOT / "docs" / "services.md").read_text(encoding="utf-8")
    block = readme.split("### Errors", 1)[1].split("```\n", 2)[1]
    assert f"error: {error}\n" == block


def test_a_type_error_and_two_rule_errors_are_reported_in_one_run():
    error = config_error("staging", {"services": {"api": svc(
        port="80", concurrency=5000, autoscaling={"minScale": 11, "maxScale": 10})}})
    assert [str(p) for p in error.problems] == [
        "services.api.port: expected an integer, got string '80'",
        "services.api.autoscaling.minScale: must be <= maxScale (10)",
        "services.api.concurrency: is 5000, must be between 0 (unlimited) and 1000",
    ]


def test_rules_about_a_value_that_failed_to_decode_are_not_reported():
    # the revision did not decode, so "revision is required when traffic names revisions" would be noise
    found = problems_of({"services": {"api": svc(revision=2, traffic={"pin": "v1"})}})
    assert found == ["services.api.revision: expected a string, got integer 2; quote it: '2'"]


def test_a_failed_cluster_keeps_cluster_wide_rules_quiet_but_checks_services():
    found = problems_of({"cluster": {"type": "gke", "project": 5}, "domain": None,
                         "services": {"api": svc(concurrency=5000)}})
    assert "services.api.concurrency: is 5000, must be between 0 (unlimited) and 1000" in found
    assert not any(p.startswith("domain") for p in found), found


def test_disk_size_past_int32_is_refused_before_any_resource():
    """It used to fail while pulumi-gcp serialised the node pool, after 26 resources were registered."""
    pools = {"default": {"machineType": "e2-standard-2", "diskSizeGb": HUGE, "minNodes": 1, "maxNodes": 3}}
    cluster = {"type": "gke", "profile": "dev", "project": "knative-platform-dev", "location": "europe-west1-b",
               "name": "knative-dev", "nodePools": pools}
    error = config_error("dev", {"cluster": cluster})
    assert str(error).startswith("cluster.nodePools.default.diskSizeGb: is 100000000000… (401 digits), must be at "
                                 "most 2147483647 (Kubernetes and GKE store it as int32)")


def test_a_stack_without_cluster_is_an_error_that_says_how_to_name_one():
    error = config_error("local", {"cluster": None})
    assert str(error).startswith("cluster: is required: name the cluster this stack deploys to. For a cluster you "
                                 "already have: `cluster: {type: existing, context: <kubeconfig context>}`")
    assert ROOT.joinpath("stacks", "Pulumi.local.yaml").read_text().count("context: kind-knative") == 1


def test_an_existing_cluster_without_a_context_is_an_error():
    error = config_error("local", {"cluster": {"type": "existing"}})
    assert str(error).startswith("cluster.context: is required for an existing cluster, or the stack would deploy "
                                 "to whatever kubectl's current context is")


def test_a_null_value_reads_as_null_not_as_python_none():
    error = config_error("staging", {"services": {"api": svc(port=None)}})
    assert str(error) == "services.api.port: expected an integer, got null"


def test_a_misspelt_secret_key_gets_a_suggestion():
    error = config_error("local", {}, secrets={"kubeconfg": "apiVersion: v1"})
    assert str(error).startswith("kubeconfg: unknown key (did you mean 'kubeconfig'?) (set as a secret)")


def test_a_value_nested_a_thousand_levels_deep_is_refused():
    deep = "[" * 1000 + "]" * 1000  # as the CLI hands it over: JSON text
    error = config_error("staging", {"services": f'{{"api": {{"image": "{IMAGE}", "env": {deep}}}}}'})
    assert str(error) == "services: nests more than 32 levels deep; no setting is structured like that: check the value"


def test_a_problem_never_has_an_empty_path_or_an_unprintable_message():
    assert str(Problem("", "is wrong")) == "(stack config): is wrong"
    assert str(Problem("services.a", "has '\ud800'")) == "services.a: has '\\ud800'"
