"""The install settings in the spec layer: ingress, knative, tls and their cross-field rules (pure)."""

from __future__ import annotations

import pytest
from conftest import config_error

from knative_platform import versions
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.knative import Ingress, KnativeSettings
from knative_platform.model.platform.platform import address_in_domain, build_platform_spec
from knative_platform.model.service.service import Service
from knative_platform.model.tls.tls import Challenge

IMAGE = versions.SAMPLE_IMAGE
DNS01 = {"email": "ops@example.com", "challenge": "dns01",
         "cloudDns": {"project": "acme-dns", "serviceAccount": "cert-manager@acme-dns.iam.gserviceaccount.com"}}


def spec(**config):
    return build_platform_spec("test", {"domain": "apps.example.com", **config})


def problems(**config):
    with pytest.raises(SpecError) as info:
        spec(**config)
    return [str(p) for p in info.value.problems]


def test_defaults_are_knative_as_shipped_behind_kgateway_without_tls():
    s = spec()
    assert s.ingress is Ingress.KGATEWAY
    assert s.knative == KnativeSettings()
    assert s.tls is None


def test_every_section_decodes_from_stack_config():
    s = spec(ingress="kourier", knative={
        "autoscaler": {"scaleToZero": False, "minScale": 1, "stableWindow": "90s"},
        "defaults": {"maxRevisionTimeoutSeconds": 900},
        "features": {"podspecAffinity": "enabled"},
        "gc": {"maxNonActiveRevisions": None},
        "deployment": {"registriesSkippingTagResolving": ["registry.internal"]},
        "network": {"domainTemplate": "{{.Name}}-{{.Namespace}}.{{.Domain}}"},
    }, tls=DNS01)
    assert s.ingress is Ingress.KOURIER
    assert s.knative.autoscaler.scale_to_zero is False
    assert s.knative.defaults.max_revision_timeout_seconds == 900
    assert s.knative.features.podspec_affinity.value == "enabled"
    assert s.knative.gc.max_non_active_revisions is None
    assert s.knative.deployment.registries_skipping_tag_resolving == ("registry.internal",)
    assert s.tls is not None and s.tls.challenge is Challenge.DNS01
    assert s.tls.issuer_name == "letsencrypt-production-dns01"


@pytest.mark.parametrize(("config", "expected"), [
    ({"ingress": "gloo"}, "ingress: 'gloo' is spelled kgateway here"
                          ": Gloo's open-source line continues as kgateway (CNCF), which fronts Knative through "
                          "net-gateway-api"),
    ({"ingress": "kourrier"}, "ingress: 'kourrier' is not one of 'kgateway', 'kourier' (did you mean 'kourier'?)"),
    ({"knative": {"autoscaler": {"stableWindow": "2h"}}},
     "knative.autoscaler.stableWindow: is 2h, must be between 6s and 1h"),
    ({"knative": {"autoscaler": {"scaleToZeroGracePeriod": "soon"}}},
     "knative.autoscaler.scaleToZeroGracePeriod: 'soon' is not a duration; write it like 30s, 5m or 48h"),
    ({"knative": {"autoscaler": {"initialScale": 0}}},
     "knative.autoscaler.initialScale: is 0, which Knative refuses unless allowZeroInitialScale is true"),
    ({"knative": {"autoscaler": {"scaleToZero": False}}},
     "knative.autoscaler.minScale: is 0 but scaleToZero is false"
     "; set minScale to 1 or more so the default says what runs"),
    ({"knative": {"autoscaler": {"targetUtilizationPercentage": 0}}},
     "knative.autoscaler.targetUtilizationPercentage: is 0, must be between 1 and 100"),
    ({"knative": {"defaults": {"revisionTimeoutSeconds": 700}}},
     "knative.defaults.revisionTimeoutSeconds: is 700, must be between 1 and maxRevisionTimeoutSeconds (600)"),
    ({"knative": {"gc": {"retainSinceCreateTime": "forever"}}},
     "knative.gc.retainSinceCreateTime: 'forever' is not a duration; write it like 30s, 5m or 48h or disabled"),
    ({"knative": {"gc": {"minNonActiveRevisions": 5, "maxNonActiveRevisions": 2}}},
     "knative.gc.maxNonActiveRevisions: is 2, must be >= minNonActiveRevisions (5) or null for no limit"),
    ({"knative": {"deployment": {"queueSidecarCpuRequest": "lots"}}},
     "knative.deployment.queueSidecarCpuRequest: 'lots' is not a Kubernetes quantity such as 25m or 64Mi"),
    ({"knative": {"network": {"domainTemplate": "{{.Namespace}}.{{.Domain}}"}}},
     "knative.network.domainTemplate: must contain {{.Name}}, or every service would get the same host"),
    ({"knative": {"features": {"podspecAffinity": "on"}}},
     "knative.features.podspecAffinity: 'on' is not one of 'enabled', 'disabled', 'allowed'"),
    ({"knative": {"autoscalr": {}}}, "knative.autoscalr: unknown key (did you mean 'autoscaler'?)"
                                     "; expected one of: autoscaler, defaults, features, gc, deployment, network"),
    ({"tls": {"email": "ops"}, "ingress": "kourier"},
     "tls.email: 'ops' is not an e-mail address; Let's Encrypt sends expiry warnings there"),
    ({"tls": {"email": "ops@example.com", "challenge": "dns01"}}, "tls.cloudDns: is required for challenge dns01"
                                                                  ": {project: <Cloud DNS project>} (plus "
                                                                  "serviceAccount: "
                                                                  "<name>@<project>.iam.gserviceaccount.com on a "
                                                                  "cluster the platform does not create)"),
    ({"tls": {**DNS01, "challenge": "http01"}, "ingress": "kourier"},
     "tls.cloudDns: is only used with challenge dns01; remove it or set challenge: dns01"),
    ({"tls": {**DNS01, "cloudDns": {"project": "acme-dns", "serviceAccount": "me@gmail.com"}}},
     "tls.cloudDns.serviceAccount: 'me@gmail.com' is not a service account e-mail"
     " like cert-manager@my-project.iam.gserviceaccount.com"),
    ({"tls": {"email": "ops@example.com", "server": "prod"}},
     "tls.server: 'prod' is not one of 'production', 'staging'"),
    ({"cluster": {"type": "existing", "ingressAddress": "my-ip"}},
     "cluster.ingressAddress: 'my-ip' is not an IP address like 203.0.113.7"),
])
def test_bad_settings_name_the_key_and_the_fix(config, expected):
    found = problems(**config)
    assert found == [expected]  # the whole list: no second, spurious problem


def test_without_a_domain_the_cluster_must_reserve_an_address():
    with pytest.raises(SpecError, match="domain: is required when the cluster has no reserved ingress address"):
        build_platform_spec("test", {})
    reserved = build_platform_spec("test", {"cluster": {"type": "existing", "ingressAddress": "203.0.113.7"}})
    assert reserved.domain is None


def test_tls_needs_a_real_domain():
    with pytest.raises(SpecError, match="tls: needs a domain you control"):
        build_platform_spec("test", {"domain": "203.0.113.7.sslip.io", "tls": {"email": "ops@example.com"}})


def svc(name, **fields):
    return {"image": IMAGE, **fields} | ({"revision": "v2"} if "traffic" in fields else {})


def test_service_timeouts_follow_the_platform_maximum():
    raised = spec(knative={"defaults": {"maxRevisionTimeoutSeconds": 900}},
                  services={"slow": svc("slow", timeoutSeconds=800)})
    assert raised.service("slow").timeout_seconds == 800
    assert "services.slow.timeoutSeconds: is 800, must be between 0 (the platform's default) and 600" in " ".join(
        problems(services={"slow": svc("slow", timeoutSeconds=800)}))


def test_services_meet_the_platform_autoscaler_rules():
    found = problems(knative={"autoscaler": {"scaleToZero": False, "minScale": 1, "maxScaleLimit": 10,
                                             "maxScale": 5}},
                     services={"api": svc("api", autoscaling={"initialScale": 0})})
    assert found == [
        "services.api.autoscaling.minScale: is 0 but the platform disables scale to zero "
        "(knative.autoscaler.scaleToZero: false); set minScale to 1 or more",
        "services.api.autoscaling.initialScale: is 0, which Knative refuses unless "
        "knative.autoscaler.allowZeroInitialScale is true",
    ]


@pytest.mark.parametrize(("domain", "address"), [
    ("127.0.0.1.sslip.io", "127.0.0.1"), ("apps.203.0.113.7.sslip.io", "203.0.113.7"),
    ("app-10-0-0-1.nip.io", "10.0.0.1"), ("apps.example.com", None), ("1.2.3.sslip.io", None),
])
def test_address_in_domain(domain, address):
    assert address_in_domain(domain) == address


def test_bad_install_settings_stop_the_program_before_anything_is_registered():
    error = config_error("staging", {"ingress": "envoy", "knative": {"gc": {"minNonActiveRevisions": "five"}}})
    assert [p.path for p in error.problems] == ["ingress", "knative.gc.minNonActiveRevisions"]


def test_python_declarations_meet_the_platform_rules_too():
    slow = Service(name="slow", image=IMAGE, timeout_seconds=700)
    with pytest.raises(SpecError,
                       match=r"services\.slow\.timeoutSeconds: is 700, must be between 0 \(the platform's default\) "
                             r"and 600"):
        build_platform_spec("dev", {"domain": "apps.example.com"}, [slow])
