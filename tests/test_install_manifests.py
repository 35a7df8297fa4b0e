"""Pure renderers of the install: Knative ConfigMaps, Gateways, config-gateway, Kourier, TLS (no Pulumi)."""

from __future__ import annotations

import yaml

from knative_platform.manifests import gateway, knative_config, kourier, tls
from knative_platform.manifests.knative import render_system_namespace
from knative_platform.model.platform.knative import (
    AutoscalerSettings,
    DefaultsSettings,
    GcSettings,
    Ingress,
    KnativeSettings,
)
from knative_platform.model.tls.tls import Challenge, CloudDnsSolver, TlsSpec

HTTP01 = TlsSpec(email="ops@example.com")
DNS01 = TlsSpec(email="ops@example.com", challenge=Challenge.DNS01,
                cloud_dns=CloudDnsSolver(project="acme-dns",
                                         service_account="cert-manager@acme-dns.iam.gserviceaccount.com"))


def data(manifest):
    assert manifest["apiVersion"] == "v1" and manifest["kind"] == "ConfigMap"
    assert manifest["metadata"]["namespace"] == "knative-serving"
    assert "labels" not in manifest["metadata"]  # a patch never claims Knative's own labels
    assert all(isinstance(v, str) for v in manifest["data"].values())
    return manifest["data"]


def test_config_network_selects_the_gateway_api_class_for_kgateway_and_kourier_for_kourier():
    assert data(knative_config.config_network(KnativeSettings(), Ingress.KGATEWAY, None))["ingress-class"] == \
        "gateway-api.ingress.networking.knative.dev"
    assert data(knative_config.config_network(KnativeSettings(), Ingress.KOURIER, None))["ingress-class"] == \
        "kourier.ingress.networking.knative.dev"


def test_config_network_without_and_with_tls():
    off = data(knative_config.config_network(KnativeSettings(), Ingress.KGATEWAY, None))
    assert off["external-domain-tls"] == "Disabled" and off["http-protocol"] == "Enabled"
    assert off["autocreate-cluster-domain-claims"] == "false"
    assert "certificate-class" not in off
    on = data(knative_config.config_network(KnativeSettings(), Ingress.KOURIER, HTTP01))
    assert on["external-domain-tls"] == "Enabled" and on["http-protocol"] == "Redirected"
    assert on["certificate-class"] == "cert-manager.certificate.networking.knative.dev"
    assert "namespace-wildcard-cert-selector" not in on  # HTTP-01 cannot prove wildcards
    assert "default-external-scheme" not in on  # Knative's own certificates set the scheme per URL


def test_on_kgateway_the_platform_terminates_tls_and_knative_only_reports_https():
    # knative/networking release-1.23 pkg/config/config.go default-external-scheme; serving route.go and
    # domainmapping/reconciler.go use it for every external URL when external-domain-tls is off.
    on = data(knative_config.config_network(KnativeSettings(), Ingress.KGATEWAY, DNS01, ["default"]))
    assert on["external-domain-tls"] == "Disabled"
    assert on["default-external-scheme"] == "https"
    # states the policy; net-gateway-api knative-v1.23.0 neither redirects nor probes HTTPS for it (the
    # platform's https-redirect route redirects; its prober reads an HTTPOption nothing sets: audit 2, N4)
    assert on["http-protocol"] == "Redirected"
    assert "certificate-class" not in on and "namespace-wildcard-cert-selector" not in on


def test_dns01_asks_for_wildcards_in_exactly_the_public_namespaces():
    on = data(knative_config.config_network(KnativeSettings(), Ingress.KOURIER, DNS01, ["shop", "default", "shop"]))
    assert yaml.safe_load(on["namespace-wildcard-cert-selector"]) == {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["default", "shop"]}]}
    assert knative_config.wildcard_namespace_selector([]) == ""


def test_typed_settings_become_knative_keys():
    settings = KnativeSettings(
        autoscaler=AutoscalerSettings(scale_to_zero=False, min_scale=1, stable_window="90s"),
        defaults=DefaultsSettings(max_revision_timeout_seconds=900),
        gc=GcSettings(max_non_active_revisions=None),
    )
    autoscaler = data(knative_config.config_autoscaler(settings))
    assert autoscaler["enable-scale-to-zero"] == "false"
    assert autoscaler["min-scale"] == "1" and autoscaler["stable-window"] == "90s"
    assert data(knative_config.config_defaults(settings))["max-revision-timeout-seconds"] == "900"
    assert data(knative_config.config_gc(settings))["max-non-active-revisions"] == "disabled"
    features = data(knative_config.config_features(settings))
    assert features["kubernetes.podspec-affinity"] == "disabled" and features["multi-container"] == "enabled"
    deployment = data(knative_config.config_deployment(settings))
    assert deployment["registries-skipping-tag-resolving"] == "kind.local,ko.local,dev.local"
    assert "queue-sidecar-image" not in deployment  # Knative's digest-pinned image stays Knative's


def test_config_domain_and_certmanager():
    assert data(knative_config.config_domain("apps.example.com")) == {"apps.example.com": ""}
    assert yaml.safe_load(data(knative_config.config_certmanager(HTTP01))["issuerRef"]) == {
        "kind": "ClusterIssuer", "name": "letsencrypt-production-http01"}


def test_the_set_of_config_maps_follows_tls():
    names = [m["metadata"]["name"] for m in knative_config.knative_config_maps(KnativeSettings(), Ingress.KGATEWAY,
                                                                                None)]
    assert names == ["config-network", "config-autoscaler", "config-defaults", "config-features", "config-gc",
                     "config-deployment"]
    with_tls = knative_config.knative_config_maps(KnativeSettings(), Ingress.KOURIER, HTTP01)
    assert with_tls[-1]["metadata"]["name"] == "config-certmanager"
    platform_tls = knative_config.knative_config_maps(KnativeSettings(), Ingress.KGATEWAY, DNS01)
    assert "config-certmanager" not in [m["metadata"]["name"] for m in platform_tls]


def test_config_gateway_has_exactly_one_external_and_one_local_kgateway_entry():
    gateways = data(gateway.config_gateway())
    assert sorted(gateways) == ["external-gateways", "local-gateways"]
    external, = yaml.safe_load(gateways["external-gateways"])
    local, = yaml.safe_load(gateways["local-gateways"])
    assert external == {"class": "kgateway", "gateway": "kgateway-system/knative-external",
                        "supported-features": ["HTTPRouteRequestTimeout"]}
    assert local["gateway"] == "kgateway-system/knative-local" and local["class"] == "kgateway"


def test_gateways_point_at_their_parameters_and_listener():
    external = gateway.render_gateway("knative-external", "203.0.113.7")
    assert external["spec"]["gatewayClassName"] == "kgateway"
    assert external["spec"]["addresses"] == [{"type": "IPAddress", "value": "203.0.113.7"}]
    assert external["spec"]["infrastructure"]["parametersRef"] == {
        "group": "gateway.kgateway.dev", "kind": "GatewayParameters", "name": "knative-external"}
    assert [lst["name"] for lst in external["spec"]["listeners"]] == ["http"]
    assert "addresses" not in gateway.render_gateway("knative-local")["spec"]


def test_local_gateway_parameters_make_a_cluster_ip_proxy():
    params = gateway.render_gateway_parameters("knative-local", "ClusterIP")
    assert params["apiVersion"] == "gateway.kgateway.dev/v1alpha1"
    assert params["spec"] == {"kube": {"service": {"type": "ClusterIP"}}}


def test_kourier_config_and_reserved_address():
    assert data(kourier.config_kourier()) == {"enable-service-access-logging": "true"}
    assert kourier.kourier_service_patch("203.0.113.7")["spec"] == {"loadBalancerIP": "203.0.113.7"}


def test_cluster_issuers():
    http = tls.render_cluster_issuer(HTTP01, "gateway-api.ingress.networking.knative.dev")
    assert http["metadata"]["name"] == "letsencrypt-production-http01"
    acme = http["spec"]["acme"]
    assert acme["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert acme["solvers"] == [{"http01": {"ingress": {"class": "gateway-api.ingress.networking.knative.dev"}}}]
    dns = tls.render_cluster_issuer(DNS01, "unused")["spec"]["acme"]
    assert dns["solvers"] == [{"dns01": {"cloudDNS": {"project": "acme-dns"}}}]
    zoned = tls.render_cluster_issuer(DNS01, "unused", ["apps.example.com", "example.org"])["spec"]["acme"]
    assert zoned["solvers"][0]["selector"] == {"dnsZones": ["apps.example.com", "example.org"]}


def test_cert_manager_values_install_crds_and_use_workload_identity_for_dns01():
    assert tls.cert_manager_values(HTTP01) == {"crds": {"enabled": True, "keep": True},
                                               "startupapicheck": {"enabled": False}}
    assert tls.cert_manager_values(DNS01)["serviceAccount"] == {
        "annotations": {"iam.gke.io/gcp-service-account": "cert-manager@acme-dns.iam.gserviceaccount.com"}}


def test_tls_hash_changes_with_the_settings_and_only_then():
    one = knative_config.knative_config_maps(KnativeSettings(), Ingress.KOURIER, HTTP01)
    two = knative_config.knative_config_maps(KnativeSettings(), Ingress.KOURIER, DNS01, ["default"])
    assert tls.tls_config_hash(one) == tls.tls_config_hash(list(one))
    assert tls.tls_config_hash(one) != tls.tls_config_hash(two)
    patch = tls.controller_restart_patch("abc")
    assert patch["spec"]["template"]["metadata"]["annotations"] == {"knative-platform/tls-config-hash": "abc"}


def test_system_namespaces_enforce_baseline_pod_security():
    labels = render_system_namespace("kgateway-system", "ingress")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_install_renderers_and_versions_import_without_pulumi():
    import subprocess
    import sys

    from conftest import ROOT

    code = ("import sys, knative_platform.versions, knative_platform.manifests.knative_config, "
            "knative_platform.manifests.gateway, knative_platform.manifests.kourier, knative_platform.manifests.tls, "
            "knative_platform.model.platform.knative, knative_platform.model.tls.tls; "
            "loaded = sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')); "
            "print(loaded); sys.exit(1 if loaded else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
