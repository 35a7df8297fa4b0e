"""The same verdict as Knative 1.23's webhook, through stack config (program under mocks).

Ported from knative/serving ``knative-v1.23.0``: ``pkg/apis/serving/k8s_validation_test.go``,
``pkg/apis/autoscaling/annotation_validation_test.go`` and
``pkg/apis/serving/v1/revision_validation_test.go``. Each refused case names the
config path and the message a user sees; each accepted case (once refused here,
accepted there) renders what Knative expects.
"""

from __future__ import annotations

import pytest
from conftest import config_error, k8s_objects, run_stack

from knative_platform import versions

IMAGE = versions.SAMPLE_IMAGE
INT32_MAX = 2**31 - 1
A = "autoscaling.knative.dev/"


def svc(**fields):
    return {"image": IMAGE, **fields}


REFUSED = [
    # k8s_validation.go validateReadinessProbe: periodSeconds 0 is Knative's aggressive probe
    ("readiness failureThreshold without periodSeconds", {"probes": {"readiness": {"failureThreshold": 3}}},
     "services.api.probes.readiness.failureThreshold: failureThreshold is disallowed when periodSeconds is zero"
     " (Knative's aggressive readiness probe); set periodSeconds too, or remove it"),
    ("readiness timeoutSeconds without periodSeconds", {"probes": {"readiness": {"timeoutSeconds": 2}}},
     "services.api.probes.readiness.timeoutSeconds: timeoutSeconds is disallowed when periodSeconds is zero"
     " (Knative's aggressive readiness probe); set periodSeconds too, or remove it"),
    ("readiness thresholds with periodSeconds 0",
     {"probes": {"readiness": {"periodSeconds": 0, "failureThreshold": 3}}},
     "services.api.probes.readiness.failureThreshold: failureThreshold is disallowed when periodSeconds is zero"
     " (Knative's aggressive readiness probe); set periodSeconds too, or remove it"),
    # annotation_validation.go validateMinMaxScale: activation-scale within [min-scale, max-scale]
    ("activationScale below minScale", {"autoscaling": {"minScale": 3, "activationScale": 2}},
     "services.api.autoscaling.activationScale: is 2, below minScale (3); min-scale=3 is greater than "
     "activation-scale=2"),
    ("activationScale above maxScale", {"autoscaling": {"maxScale": 4, "activationScale": 5}},
     "services.api.autoscaling.activationScale: is 5, above maxScale (4); max-scale=4 is less than "
     "activation-scale=5"),
    ("activationScale of 1", {"autoscaling": {"activationScale": 1}},
     "services.api.autoscaling.activationScale: is 1, must be >= 2 (1 is the default behaviour)"),
    # k8s_validation.go reservedPorts: queue-proxy's and the profiling port
    ("port 8008 (profiling)", {"port": 8008},
     "services.api.port: 8008 is a reserved port: Knative's queue-proxy and profiling listen on "
     "8008, 8012, 8013, 8022, 9090, 9091; choose another, for example 8080"),
    ("port 9091 (queue-proxy)", {"port": 9091}, "services.api.port: 9091 is a reserved port"
                                                ": Knative's queue-proxy and profiling listen on 8008, 8012, 8013, "
                                                "8022, 9090, 9091; choose another, for example 8080"),
    # annotation_validation.go getIntGE0: strconv.ParseInt(v, 10, 32)
    ("minScale past int32", {"autoscaling": {"minScale": INT32_MAX + 1}},
     f"services.api.autoscaling.minScale: is {INT32_MAX + 1}, must be at most {INT32_MAX} "
     "(Kubernetes and GKE store it as int32)"),
    ("maxScale past int32", {"autoscaling": {"maxScale": INT32_MAX + 1}},
     f"services.api.autoscaling.maxScale: is {INT32_MAX + 1}, must be at most {INT32_MAX} "
     "(Kubernetes and GKE store it as int32)"),
    ("initialScale past int32", {"autoscaling": {"initialScale": INT32_MAX + 1}},
     f"services.api.autoscaling.initialScale: is {INT32_MAX + 1}, must be at most {INT32_MAX} "
     "(Kubernetes and GKE store it as int32)"),
    ("activationScale past int32", {"autoscaling": {"activationScale": INT32_MAX + 1}},
     f"services.api.autoscaling.activationScale: is {INT32_MAX + 1}, must be at most {INT32_MAX} "
     "(Kubernetes and GKE store it as int32)"),
    # annotation_validation.go validateScaleDownDelay / validateWindow: Go durations, whole seconds
    ("scaleDownDelay above 1h", {"autoscaling": {"scaleDownDelay": "61m"}},
     "services.api.autoscaling.scaleDownDelay: is 61m, must be between 0s and 1h"),
    ("scaleDownDelay below a second", {"autoscaling": {"scaleDownDelay": "1500ms"}},
     "services.api.autoscaling.scaleDownDelay: is 1500ms, must be specified with at most second precision"),
    ("window below a second", {"autoscaling": {"window": "6500ms"}},
     "services.api.autoscaling.window: is 6500ms, must be specified with at most second precision"),
    ("targetBurstCapacity below -1", {"autoscaling": {"targetBurstCapacity": -2}},
     "services.api.autoscaling.targetBurstCapacity: is -2, must be >= 0, or -1"
     " to keep the activator always in the path"),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_what_the_webhook_refuses_is_refused_before_any_cloud_call(fields, expected):
    error = config_error("staging", {"services": {"api": svc(**fields)}})
    assert [str(p) for p in error.problems] == [expected]  # the whole list: no second, spurious problem


def test_a_platform_max_scale_limit_does_not_force_every_service_to_declare_max_scale():
    """annotation_validation.go checks max-scale against max-scale-limit only when the revision sets it; without
    it the autoscaler applies the platform's max-scale (pa_lifecycle.go ScaleBounds), kept within the limit by
    config-autoscaler's own rule (pkg/autoscaler/config/config.go)."""
    knative = {"autoscaler": {"maxScaleLimit": 50, "maxScale": 10}}
    capture = run_stack("local", {"knative": knative, "services": {"api": svc()}})
    annotations = k8s_objects(capture)[("Service", "api")]["spec"]["template"]["metadata"]["annotations"]
    assert A + "max-scale" not in annotations
    autoscaler = k8s_objects(capture)[("ConfigMap", "config-autoscaler")]["data"]
    assert (autoscaler["max-scale"], autoscaler["max-scale-limit"]) == ("10", "50")
    # a declared maxScale above the limit is still refused, as the webhook does
    error = config_error("local", {"knative": knative, "services": {"api": svc(autoscaling={"maxScale": 60})}})
    assert [str(p) for p in error.problems] == [
        "services.api.autoscaling.maxScale: is 60, must be between 1 and the platform's "
        "knative.autoscaler.maxScaleLimit (50); or leave it out to get the platform's maxScale"]


ACCEPTED = [
    # annotation_validation.go validateMetric: the HPA class takes cpu whatever min-scale says
    ("metric cpu without minScale", {"autoscaling": {"metric": "cpu", "target": 70}},
     {A + "class": "hpa.autoscaling.knative.dev", A + "metric": "cpu", A + "min-scale": "0", A + "target": "70"}),
    # validateScaleDownDelay parses with time.ParseDuration, which takes a bare 0
    ("scaleDownDelay 0", {"autoscaling": {"scaleDownDelay": "0"}},
     {A + "min-scale": "0", A + "scale-down-delay": "0"}),
    ("window in Go spelling", {"autoscaling": {"window": "1m30s", "scaleDownDelay": "0.5h"}},
     {A + "min-scale": "0", A + "window": "1m30s", A + "scale-down-delay": "0.5h"}),
    ("activationScale within bounds", {"autoscaling": {"minScale": 2, "maxScale": 5, "activationScale": 2}},
     {A + "min-scale": "2", A + "max-scale": "5", A + "activation-scale": "2"}),
    ("targetBurstCapacity -1", {"autoscaling": {"targetBurstCapacity": -1}},
     {A + "min-scale": "0", A + "target-burst-capacity": "-1"}),
]


@pytest.mark.parametrize(("fields", "annotations"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_what_the_webhook_accepts_renders_the_annotations_knative_reads(fields, annotations):
    capture = run_stack("local", {"services": {"api": svc(**fields)}})
    template = k8s_objects(capture)[("Service", "api")]["spec"]["template"]
    assert template["metadata"]["annotations"] == dict(sorted(annotations.items()))


def test_a_readiness_probe_with_period_seconds_may_set_its_thresholds():
    probe = {"path": "/ready", "periodSeconds": 5, "failureThreshold": 2, "timeoutSeconds": 1}
    capture = run_stack("local", {"services": {"api": svc(probes={"readiness": probe})}})
    (container,) = k8s_objects(capture)[("Service", "api")]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5,
                                           "timeoutSeconds": 1, "failureThreshold": 2}


def test_a_split_target_may_name_the_latest_revision_as_at_latest():
    """The README: ``@latest`` names the latest ready revision wherever a revision is expected."""
    traffic = [{"revision": "v1", "percent": 80}, {"revision": "@latest", "tag": "next"}]
    first = run_stack("local", {"services": {"api": svc(revision="v1")}})  # a deployment that created api-v1
    capture = run_stack("local", {"services": {"api": svc(revision="v2", traffic=traffic, env={"V": "2"})}},
                        previous=first)
    assert k8s_objects(capture)[("Service", "api")]["spec"]["traffic"] == [
        {"revisionName": "api-v1", "percent": 80},
        {"latestRevision": True, "percent": 20, "tag": "next"},
    ]


# -- Knative's verdicts on four cases, as the upstream tests at the pinned tag give them ------------------
# Each row: the upstream test case that decides it (repository, tag, file, test function and the case's name as
# written there), the platform's knative settings, the service, and the complete list of problems a user sees.
SERVING = "knative/serving knative-v1.23.0 "
KN = "knative/client knative-v1.23.0 pkg/traffic/compute_test.go TestComputeErrMsg "
LIMIT = {"autoscaler": {"maxScaleLimit": 10, "maxScale": 1}}
VERDICTS = [
    # LatestRevision: ptr.Bool(false), no RevisionName, under the Service's default configurationName ->
    # `may not set revisionName "" when latestRevision is false` (route_validation.go validateLatestRevision)
    (SERVING + "pkg/apis/serving/v1/route_validation_test.go TestTrafficTargetValidation "
     "'invalid with default configurationName and latestRevision'",
     {}, {"traffic": [{"latest": False, "percent": 100}]},
     ["services.api.traffic[0].latest: is false and the target names no revision; Knative refuses a target that "
      "names neither (may not set revisionName \"\" when latestRevision is false): name one (revision: v1), or "
      "send it to the latest revision (latest: true, or leave latest out)"]),
    (SERVING + "pkg/apis/serving/v1/route_validation_test.go TestTrafficTargetValidation "
     "'invalid with default configurationName and latestRevision' (the latest named as @latest)",
     {}, {"traffic": [{"revision": "@latest", "latest": False, "percent": 100}]},
     ["services.api.traffic[0].latest: is false, but revision '@latest' names the latest revision; write one of "
      "them"]),
    # config.MaxScaleLimit = 10, config.MaxScale = 1, max-scale "0" ->
    # `max-scale=0 (unlimited), must be less than 10` (annotation_validation.go validateMaxScaleWithinLimit)
    (SERVING + "pkg/apis/autoscaling/annotation_validation_test.go TestValidateAnnotations "
     "'maxScale is explicitly set to 0 when MaxScaleLimit and default MaxScale are set'",
     LIMIT, {"autoscaling": {"maxScale": 0}},
     ["services.api.autoscaling.maxScale: is 0 (unlimited), which Knative refuses under the platform's "
      "knative.autoscaler.maxScaleLimit (10): max-scale=0 (unlimited), must be less than 10; set it between 1 and "
      "10, or leave it out to get the platform's maxScale (1)"]),
    # --traffic echo-v1=40 --traffic echo-v1=60 ->
    # `repetition of revision reference echo-v1 is not allowed, use only once with --traffic flag`
    (KN + "'repeatedly splitting traffic to the same revision'",
     {}, {"traffic": [{"revision": "v1", "percent": 40}, {"revision": "api-v1", "percent": 60}]},
     ["services.api.traffic[1]: a second untagged share of api-v1 (also at services.api.traffic[0]); kn refuses "
      "it (repetition of revision reference api-v1 is not allowed) and the platform does too, though Knative "
      "would merge the two: write api-v1 once with their combined percent, or tag one of them"]),
    # --traffic @latest=90,@latest=10 ->
    # `repetition of identifier @latest is not allowed, use only once with --traffic flag`
    (KN + "'repeatedly splitting traffic to @latest revision'",
     {}, {"traffic": [{"latest": True, "percent": 90}, {"revision": "@latest", "percent": 10}]},
     ["services.api.traffic[1]: a second untagged share of the latest revision (also at services.api.traffic[0]); "
      "kn refuses it (repetition of identifier @latest is not allowed) and the platform does too, though Knative "
      "would merge the two: write the latest revision once with their combined percent, or tag one of them"]),
    (KN + "'repeatedly splitting traffic to @latest revision' (a target naming nothing is the latest)",
     {}, {"traffic": [{"percent": 50}, {"latest": True}]},
     ["services.api.traffic[1]: a second untagged share of the latest revision (also at services.api.traffic[0]); "
      "kn refuses it (repetition of identifier @latest is not allowed) and the platform does too, though Knative "
      "would merge the two: write the latest revision once with their combined percent, or tag one of them"]),
]


@pytest.mark.parametrize(("upstream", "knative", "fields", "expected"), VERDICTS,
                         ids=["latest false", "@latest with latest false", "maxScale 0 under a limit",
                              "the same revision twice", "latest twice", "latest twice, once implied"])
def test_knative_and_kn_refuse_these_and_so_does_the_platform(upstream, knative, fields, expected):
    assert "knative-v1.23.0" in upstream
    error = config_error("local", {"knative": knative, "services": {"api": svc(revision="v2", **fields)}})
    assert [str(p) for p in error.problems] == expected


TRAFFIC = [
    # route_validation_test.go "valid with default configurationName and latestRevision": latestRevision true
    ({"traffic": [{"latest": True, "percent": 100}]}, [{"latestRevision": True, "percent": 100}]),
    # route_validation.go validateLatestRevision: a named revision may say latestRevision false
    ({"traffic": [{"revision": "v2", "latest": False, "percent": 100}]}, [{"revisionName": "api-v2", "percent": 100}]),
    # a target that names nothing is the latest one (route_defaults.go TrafficTarget.SetDefaults)
    ({"traffic": [{"percent": 100}]}, [{"latestRevision": True, "percent": 100}]),
    # kn's identifiers are revisions, tags and @latest: two shares of one revision under two tags are not repeated
    ({"traffic": [{"revision": "v2", "percent": 40, "tag": "a"}, {"revision": "v2", "percent": 60}]},
     [{"revisionName": "api-v2", "percent": 40, "tag": "a"}, {"revisionName": "api-v2", "percent": 60}]),
    ({"traffic": [{"latest": True, "percent": 90}, {"latest": True, "percent": 10, "tag": "next"}]},
     [{"latestRevision": True, "percent": 90}, {"latestRevision": True, "percent": 10, "tag": "next"}]),
]


@pytest.mark.parametrize(("fields", "traffic"), TRAFFIC, ids=["latest true", "revision with latest false",
                                                             "neither", "one revision under a tag", "latest tagged"])
def test_what_knative_and_kn_accept_renders_as_written(fields, traffic):
    capture = run_stack("local", {"services": {"api": svc(revision="v2", **fields)}})
    assert k8s_objects(capture)[("Service", "api")]["spec"]["traffic"] == traffic


def test_max_scale_0_is_unlimited_and_overrides_the_platform_default():
    """pa_lifecycle.go ``ScaleBounds``: a revision's max-scale annotation, "0" included, replaces config-autoscaler's
    max-scale; ``validateMaxScaleWithinLimit`` accepts "0" when no MaxScaleLimit is set. Left out, the platform's
    applies."""
    knative = {"autoscaler": {"maxScale": 3}}
    unlimited = run_stack("local", {"knative": knative, "services": {"api": svc(autoscaling={"maxScale": 0})}})
    template = k8s_objects(unlimited)[("Service", "api")]["spec"]["template"]
    assert template["metadata"]["annotations"] == {A + "max-scale": "0", A + "min-scale": "0"}
    default = run_stack("local", {"knative": LIMIT, "services": {"api": svc()}})
    template = k8s_objects(default)[("Service", "api")]["spec"]["template"]
    assert template["metadata"]["annotations"] == {A + "min-scale": "0"}
