"""Bad stack configuration stops the real program before it registers anything (program under mocks).

Each case feeds one mistake through ``knative-platform:*`` stack config and
checks the ConfigError's config path and message: the exact text a user sees.
"""

from __future__ import annotations

import pulumi
import pytest
from conftest import config_error

from knative_platform import versions

IMAGE = versions.SAMPLE_IMAGE


def svc(**fields):
    return {"image": IMAGE, **fields}


CASES = [
    # wrong types
    ("port as a string", {"api": svc(port="8080")}, "services.api.port: expected an integer, got string '8080'"),
    ("env value as a number", {"api": svc(env={"WORKERS": 4})},
     "services.api.env.WORKERS: expected a string, got integer 4; quote it: '4'"),
    ("autoscaling not a map", {"api": svc(autoscaling=3)}, "services.api.autoscaling: expected a map, got integer 3"),
    ("domains not a list", {"api": svc(domains="a.example.com")},
     "services.api.domains: expected a list, got string 'a.example.com'"),
    ("services not a map", ["api"], "services: expected a map from service name to its spec, got a list"),
    ("visibility not in the enum", {"api": svc(visibility="private")},
     "services.api.visibility: 'private' is not one of 'public', 'cluster-local'"),
    ("missing image", {"api": {"port": 8080}}, "services.api: needs image (a prebuilt image"
                                               ", registry/repository@sha256:<digest>) or source (a directory of this "
                                               "project to build, source: {path: apps/<name>})"),
    ("image and source", {"api": svc(source={"path": "apps/api"})},
     "services.api: sets both image and source; keep one"
     ": image runs a prebuilt image, source builds this project's directory (knative-platform build)"),
    # unknown keys, with suggestions
    ("unknown service key", {"api": svc(imagee="x")}, "services.api.imagee: unknown key (did you mean 'image'?)"
                                                      "; expected one of: image, source, namespace, revision, "
                                                      "command, args, env, secretEnv, envFrom, port, protocol, "
                                                      "resources, probes, volumes, volumeMounts, sidecars, "
                                                      "initContainers, autoscaling, concurrency, timeoutSeconds, "
                                                      "responseStartTimeoutSeconds, idleTimeoutSeconds, visibility, "
                                                      "domains, traffic, imagePullSecrets, serviceAccount, "
                                                      "runAsNonRoot, triggers, schedules"),
    ("unknown autoscaling key", {"api": svc(autoscaling={"minscale": 1})},
     "services.api.autoscaling.minscale: unknown key (did you mean 'minScale'?)"
     "; expected one of: minScale, maxScale, initialScale, target, targetUtilizationPercentage, metric, window, "
     "scaleDownDelay, activationScale, targetBurstCapacity"),
    ("unknown traffic policy", {"api": svc(revision="v2", traffic={"canery": {"stable": "v1", "percent": 5}})},
     "services.api.traffic.canery: unknown traffic policy (did you mean 'canary'?)"
     "; expected one of: latest, pin, rollback, split, canary, blueGreen, gradual"),
    ("configurationName in a target",
     {"api": svc(revision="v2", traffic=[{"configurationName": "api", "percent": 100}])},
     "services.api.traffic[0].configurationName: unknown key; expected one of: revision, latest, percent, tag"),
    # traffic
    ("percents do not sum to 100",
     {"api": svc(revision="v2", traffic=[{"revision": "v1", "percent": 50}, {"latest": True, "percent": 40}])},
     "services.api.traffic: percents sum to 90, must be 100"),
    ("percent above 100", {"api": svc(revision="v2", traffic=[{"revision": "v1", "percent": 101}])},
     "services.api.traffic[0].percent: is 101, must be between 0 and 100"),
    ("duplicate tags",
     {"api": svc(revision="v2", traffic=[{"revision": "v1", "percent": 50, "tag": "a"},
                                         {"latest": True, "percent": 50, "tag": "a"}])},
     "services.api.traffic[1].tag: tag 'a' is used twice (also at services.api.traffic[0].tag); tags must be unique"),
    ("tag not a DNS-1035 label", {"api": svc(traffic=[{"latest": True, "percent": 100, "tag": "9lives"}])},
     "services.api.traffic[0].tag: tag '9lives' must be a DNS-1035 label"
     ": lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"),
    ("both revision and latest",
     {"api": svc(revision="v2", traffic=[{"revision": "v1", "latest": True, "percent": 100}])},
     "services.api.traffic[0]: set either revision or latest: true, not both"),
    ("canary percent out of range", {"api": svc(revision="v2", traffic={"canary": {"stable": "v1", "percent": 150}})},
     "services.api.traffic.canary.percent: is 150, must be between 0 and 100"),
    ("canary on another service's generated revision",
     {"api": svc(traffic={"canary": {"stable": "web-00001", "percent": 10}})},
     "services.api.traffic.canary.stable: 'web-00001' is written like a Knative-generated revision name"
     " but does not start with 'api-'; a service's traffic can only name its own revisions (write 'api-<suffix>' or "
     "just the suffix)"),
    ("blue-green live colour unknown",
     {"api": svc(revision="v2", traffic={"blueGreen": {"blue": "v1", "green": "v2", "live": "red"}})},
     "services.api.traffic.blueGreen.live: 'red' is not one of 'blue', 'green'"),
    ("rollback to the current revision", {"api": svc(revision="v2", traffic={"rollback": "v2"})},
     "services.api.traffic.rollback.to: 'v2' is the current revision; a rollback pins an older one"),
    ("two policies at once", {"api": svc(revision="v2", traffic={"pin": "v1", "latest": True})},
     "services.api.traffic: name exactly one policy"
     " (latest, pin, rollback, split, canary, blueGreen, gradual), got pin, latest"),
    ("gradual duration malformed", {"api": svc(traffic={"gradual": "soon"})},
     "services.api.traffic.gradual.duration: 'soon' is not a duration; write it like 90s, 10m or 1h"),
    # names
    ("service name not DNS-1035", {"Api_Server": svc()},
     "services.Api_Server: service name 'Api_Server' must be a DNS-1035 label"
     ": lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"),
    ("service name too long", {"a" * 64: svc()},
     f"services.{'a' * 64}: service name '{'a' * 64}' is 64 characters, must be at most 63"),
    ("namespace not DNS-1123", {"api": svc(namespace="Team_A")},
     "services.api.namespace: namespace 'Team_A' must be a DNS-1123 label"
     ": lowercase letters, digits and '-', starting and ending with a letter or digit"),
    ("revision name too long", {"checkout-service": svc(revision="release-2026-11-26-build-000123456789-hotfix-12")},
     "services.checkout-service.revision: revision name "
     "'checkout-service-release-2026-11-26-build-000123456789-hotfix-12' is 64 characters, must be at most 63; "
     "use a shorter suffix or service name"),
    ("revision suffix not DNS-1035", {"api": svc(revision="V2")},
     "services.api.revision: revision name 'api-V2' must be a DNS-1035 label"
     ": lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"),
    ("image not a reference", {"api": svc(image="Not An Image")},
     "services.api.image: 'Not An Image' is not an image reference like registry/repository:tag or @sha256:<digest>"),
    ("env name invalid", {"api": svc(env={"1BAD": "x"})}, "services.api.env.1BAD: is not a valid environment variable"
                                                          " name (letters, digits, '_', '-', '.', not starting with a "
                                                          "digit)"),
    ("env name reserved", {"api": svc(env={"PORT": "9000"})}, "services.api.env.PORT: is set by Knative itself"
                                                              " (K_CONFIGURATION, K_REVISION, K_SERVICE, PORT); "
                                                              "choose another name"),
    ("secret env secret name", {"api": svc(secretEnv={"TOKEN": {"secret": "Bad_Name", "key": "t"}})},
     "services.api.secretEnv.TOKEN.secret: secret name 'Bad_Name' must be a DNS-1123 subdomain"
     ": lowercase labels of letters, digits and '-', joined by '.'"),
    ("custom domain invalid", {"api": svc(domains=["not_a_domain"])},
     "services.api.domains[0]: domain 'not_a_domain' must be a DNS-1123 subdomain"
     ": lowercase labels of letters, digits and '-', joined by '.'"),
    ("custom domain on a cluster-local service", {"api": svc(visibility="cluster-local", domains=["a.example.com"])},
     "services.api.domains: a cluster-local service cannot have public domains; remove them or set visibility: public"),
    # autoscaling
    ("min above max", {"helloworld-go": svc(autoscaling={"minScale": 11, "maxScale": 10})},
     "services.helloworld-go.autoscaling.minScale: must be <= maxScale (10)"),
    ("negative min", {"api": svc(autoscaling={"minScale": -1})},
     "services.api.autoscaling.minScale: is -1, must be >= 0"),
    ("negative initial scale", {"api": svc(autoscaling={"initialScale": -1})},
     "services.api.autoscaling.initialScale: is -1, must be >= 0"),
    ("target too small", {"api": svc(autoscaling={"target": 0.001})},
     "services.api.autoscaling.target: is 0.001, must be >= 0.01"),
    ("utilization above 100", {"api": svc(autoscaling={"targetUtilizationPercentage": 120})},
     "services.api.autoscaling.targetUtilizationPercentage: is 120, must be between 1 and 100"),
    ("activation scale below 2", {"api": svc(autoscaling={"activationScale": 1})},
     "services.api.autoscaling.activationScale: is 1, must be >= 2 (1 is the default behaviour)"),
    ("window below 6s", {"api": svc(autoscaling={"window": "5s"})},
     "services.api.autoscaling.window: is 5s, must be between 6s and 1h"),
    ("window above 1h", {"api": svc(autoscaling={"window": "61m"})},
     "services.api.autoscaling.window: is 61m, must be between 6s and 1h"),
    ("scale-down delay malformed", {"api": svc(autoscaling={"scaleDownDelay": "5 minutes"})},
     "services.api.autoscaling.scaleDownDelay: '5 minutes' is not a duration; write it like 0s or 15m"),
    # container
    ("concurrency above 1000", {"api": svc(concurrency=1001)},
     "services.api.concurrency: is 1001, must be between 0 (unlimited) and 1000"),
    ("timeout above 600", {"api": svc(timeoutSeconds=601)},
     "services.api.timeoutSeconds: is 601, must be between 0 (the platform's default) and 600"
     " (the platform's max-revision-timeout-seconds)"),
    ("reserved port", {"api": svc(port=8012)}, "services.api.port: 8012 is a reserved port"
                                               ": Knative's queue-proxy and profiling listen on 8008, 8012, 8013, "
                                               "8022, 9090, 9091; choose another, for example 8080"),
    ("bad quantity", {"api": svc(resources={"limits": {"memory": "lots"}})},
     "services.api.resources.limits.memory: 'lots' is not a Kubernetes quantity; write it like 250m, 1, 512Mi or 1Gi"),
    ("request above limit", {"api": svc(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}})},
     "services.api.resources.requests.cpu: must be <= limits.cpu"),
    ("probe path relative", {"api": svc(probes={"readiness": {"path": "healthz"}})},
     "services.api.probes.readiness.path: 'healthz' must start with '/'"),
]


@pytest.mark.parametrize(("services", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_service_config_names_the_path_and_the_fix(services, expected):
    error = config_error("staging", {"services": services})
    assert isinstance(error, pulumi.RunError)
    assert [str(p) for p in error.problems] == [expected]  # the whole list: no second, spurious problem


def test_every_problem_is_reported_at_once():
    error = config_error("staging", {"services": {
        "api": svc(port="80", imagee="x"),
        "web": svc(autoscaling={"minScale": "1"}),
    }})
    assert [str(p) for p in error.problems] == [
        "services.api.imagee: unknown key (did you mean 'image'?); expected one of: image, source, namespace, "
        "revision, command, args, env, secretEnv, envFrom, port, protocol, resources, probes, volumes, volumeMounts, "
        "sidecars, initContainers, autoscaling, concurrency, timeoutSeconds, responseStartTimeoutSeconds, "
        "idleTimeoutSeconds, visibility, domains, traffic, imagePullSecrets, serviceAccount, runAsNonRoot, triggers, "
        "schedules",
        "services.api.port: expected an integer, got string '80'",
        "services.web.autoscaling.minScale: expected an integer, got string '1'",
    ]
    assert str(error).startswith("3 problems in the configuration:")


def test_unknown_top_level_key_suggests_the_right_one():
    error = config_error("staging", {"servces": {"api": svc()}})
    assert "servces: unknown key (did you mean 'services'?)" in str(error)


def test_bad_domain_is_rejected():
    error = config_error("staging", {"domain": "localhost"})
    assert "domain: domain 'localhost' must be fully qualified" in str(error)


def test_unknown_cluster_type_suggests_the_right_one():
    error = config_error("local", {"cluster": {"type": "existng"}})
    assert "cluster.type: 'existng' is not a cluster type (did you mean 'existing'?)" in str(error)


def test_a_service_declared_in_python_and_in_config_is_an_error():
    # dev declares helloworld-go in stacks/services.py
    error = config_error("dev", {"services": {"helloworld-go": svc()}})
    assert str(error) == ("services.helloworld-go: is declared twice: in stack config and in Python (stacks/); "
                          "keep one")


def test_secrets_inside_plain_keys_are_refused():
    error = config_error("staging", {}, secrets={"services": "{}"})
    assert str(error).startswith("services: holds a secret value, but this key is stored in plain text")


def test_kubeconfig_must_be_a_secret():
    error = config_error("local", {"kubeconfig": "apiVersion: v1"})
    assert "kubeconfig: holds credentials; set it with `pulumi config set --secret kubeconfig ...`" in str(error)


def test_python_declared_services_meet_the_same_type_checks():
    from knative_platform import Service
    from knative_platform.model.core.errors import SpecError
    from knative_platform.model.platform.platform import build_platform_spec

    with pytest.raises(SpecError) as info:
        build_platform_spec("dev", {"domain": "example.com"}, [Service(name="api", image=IMAGE, port="8080")])  # type: ignore[arg-type]
    assert str(info.value) == "services.api.port: expected an integer, got string '8080'"
