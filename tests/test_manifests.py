"""Specs render to the Knative objects Kubernetes receives (pure)."""

from __future__ import annotations

from knative_platform import versions
from knative_platform.manifests.knative import render_domain_claim, render_domain_mapping, render_service
from knative_platform.manifests.urls import service_urls
from knative_platform.model.service.service import (
    Autoscaling,
    Metric,
    Probe,
    Probes,
    ProbeType,
    Quantities,
    Resources,
    SecretKeyRef,
    Service,
    Visibility,
)
from knative_platform.model.service.traffic import BlueGreen, Canary, Colour, Gradual

IMAGE = versions.SAMPLE_IMAGE


def template(service):
    return render_service(service)["spec"]["template"]


def test_minimal_service_scales_to_zero_with_restricted_security_defaults():
    manifest = render_service(Service(name="hello", image=IMAGE))
    assert manifest["apiVersion"] == "serving.knative.dev/v1"
    assert manifest["kind"] == "Service"
    assert manifest["metadata"]["name"] == "hello"
    assert manifest["metadata"]["namespace"] == "default"
    assert manifest["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    assert "name" not in template(Service(name="hello", image=IMAGE))["metadata"]
    assert template(Service(name="hello", image=IMAGE))["metadata"]["annotations"] == {
        "autoscaling.knative.dev/min-scale": "0"}
    (container,) = template(Service(name="hello", image=IMAGE))["spec"]["containers"]
    assert container["ports"] == [{"name": "http1", "containerPort": 8080}]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsNonRoot": True,
    }
    assert manifest["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]


def test_run_as_root_is_an_explicit_relaxation():
    (container,) = template(Service(name="hello", image=IMAGE, run_as_non_root=False))["spec"]["containers"]
    assert "runAsNonRoot" not in container["securityContext"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_autoscaling_becomes_template_annotations():
    svc = Service(name="hello", image=IMAGE, autoscaling=Autoscaling(
        min_scale=1, max_scale=10, initial_scale=2, target=50, window="90s", scale_down_delay="5m",
        activation_scale=3, metric=Metric.RPS, target_utilization_percentage=70))
    assert template(svc)["metadata"]["annotations"] == {
        "autoscaling.knative.dev/activation-scale": "3",
        "autoscaling.knative.dev/initial-scale": "2",
        "autoscaling.knative.dev/max-scale": "10",
        "autoscaling.knative.dev/metric": "rps",
        "autoscaling.knative.dev/min-scale": "1",
        "autoscaling.knative.dev/scale-down-delay": "5m",
        "autoscaling.knative.dev/target": "50",
        "autoscaling.knative.dev/target-utilization-percentage": "70",
        "autoscaling.knative.dev/window": "90s",
    }
    assert "autoscaling.knative.dev/min-scale" not in render_service(svc)["metadata"].get("annotations", {})


def test_cpu_metric_selects_the_hpa_class_and_fractional_targets_keep_their_fraction():
    svc = Service(name="hello", image=IMAGE, autoscaling=Autoscaling(min_scale=1, metric=Metric.CPU, target=0.5))
    annotations = template(svc)["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/class"] == "hpa.autoscaling.knative.dev"
    assert annotations["autoscaling.knative.dev/target"] == "0.5"


def test_container_settings_are_rendered():
    svc = Service(
        name="api", image=IMAGE, namespace="shop", revision="v3", port=9000, concurrency=80, timeout_seconds=30,
        env={"B": "2", "A": "1"}, secret_env={"TOKEN": SecretKeyRef(secret="api-creds", key="token")},
        resources=Resources(requests=Quantities(cpu="100m", memory="64Mi"), limits=Quantities(memory="128Mi")),
        probes=Probes(readiness=Probe(path="/ready", period_seconds=5), liveness=Probe(type=ProbeType.TCP),
                      startup=Probe(type=ProbeType.GRPC, failure_threshold=30)),
    )
    tpl = template(svc)
    assert tpl["metadata"]["name"] == "api-v3"
    assert tpl["spec"]["containerConcurrency"] == 80
    assert tpl["spec"]["timeoutSeconds"] == 30
    (container,) = tpl["spec"]["containers"]
    assert container["env"] == [
        {"name": "B", "value": "2"},
        {"name": "A", "value": "1"},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-creds", "key": "token"}}},
    ]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    assert container["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 9000}, "periodSeconds": 5}
    assert container["livenessProbe"] == {"tcpSocket": {"port": 9000}}
    assert container["startupProbe"] == {"grpc": {"port": 9000}, "failureThreshold": 30}


def test_cluster_local_visibility_is_a_label():
    manifest = render_service(Service(name="hello", image=IMAGE, visibility=Visibility.CLUSTER_LOCAL))
    assert manifest["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    public = render_service(Service(name="h", image=IMAGE))
    assert "networking.knative.dev/visibility" not in public["metadata"]["labels"]


def test_traffic_uses_full_revision_names():
    svc = Service(name="hello", image=IMAGE, revision="v2", traffic=Canary(stable="v1", percent=10))
    assert render_service(svc)["spec"]["traffic"] == [
        {"revisionName": "hello-v1", "percent": 90, "tag": "stable"},
        {"latestRevision": True, "percent": 10, "tag": "canary"},
    ]


def test_gradual_rollout_annotates_the_service():
    svc = Service(name="hello", image=IMAGE, traffic=Gradual(duration="15m"))
    assert render_service(svc)["metadata"]["annotations"]["serving.knative.dev/rollout-duration"] == "15m"


def test_domain_mapping_is_named_after_the_domain_and_claimed():
    svc = Service(name="hello", image=IMAGE, namespace="web", domains=("hello.example.com",))
    mapping = render_domain_mapping(svc, "hello.example.com")
    assert mapping["apiVersion"] == "serving.knative.dev/v1beta1"
    assert mapping["metadata"]["name"] == "hello.example.com"
    assert mapping["metadata"]["namespace"] == "web"
    assert mapping["spec"]["ref"] == {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "hello"}
    claim = render_domain_claim(svc, "hello.example.com")
    assert claim["kind"] == "ClusterDomainClaim"
    assert claim["metadata"]["name"] == "hello.example.com"
    assert claim["spec"] == {"namespace": "web"}


def test_urls_follow_knatives_domain_and_tag_templates():
    svc = Service(name="hello", image=IMAGE, revision="v2", namespace="web",
                  traffic=BlueGreen(blue="v1", green="v2", live=Colour.BLUE), domains=("hello.example.com",))
    urls = service_urls(svc, "apps.example.com")
    assert urls.url == "http://hello.web.apps.example.com"
    assert urls.tag_urls == {"blue": "http://blue-hello.web.apps.example.com",
                             "green": "http://green-hello.web.apps.example.com"}
    assert urls.domain_urls == {"hello.example.com": "http://hello.example.com"}
    assert service_urls(svc, "apps.example.com", https=True).url == "https://hello.web.apps.example.com"
    custom = service_urls(svc, "apps.example.com", domain_template="{{.Name}}-{{.Namespace}}.{{.Domain}}")
    assert custom.url == "http://hello-web.apps.example.com"


def test_cluster_local_urls_use_the_cluster_domain_and_plain_http():
    svc = Service(name="hello", image=IMAGE, visibility=Visibility.CLUSTER_LOCAL)
    assert service_urls(svc, "apps.example.com", https=True).url == "http://hello.default.svc.cluster.local"
