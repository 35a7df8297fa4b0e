"""The install under mocks: what Knative, kgateway, Kourier and TLS register, in which order, with which pins."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml
from conftest import ROOT, STACKS, committed, config_error, run_stack

from knative_platform import versions
from knative_platform.offline.engine import run_program
from knative_platform.offline.render import BUNDLE_TYPES
from knative_platform.offline.stackfile import load_program_config

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
CHART = "kubernetes:helm.sh/v4:Chart"
CM_PATCH = "kubernetes:core/v1:ConfigMapPatch"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
KSVC = "kubernetes:serving.knative.dev/v1:Service"
HTTP01 = {"email": "ops@example.com", "server": "staging"}


@pytest.fixture(scope="module")
def captures():
    return {stack: committed(stack) for stack in STACKS}


def patch(capture, name):
    return capture.named(name, CM_PATCH).inputs["data"]


def urn(capture, name, type_=None):
    return capture.named(name, type_).urn


# -- wiring ---------------------------------------------------------------------------------


def test_kgateway_is_wired_through_net_gateway_api(captures):
    capture = captures["dev"]
    assert patch(capture, "config-network")["ingress-class"] == "gateway-api.ingress.networking.knative.dev"
    gateways = patch(capture, "config-gateway")
    assert sorted(gateways) == ["external-gateways", "local-gateways"]
    external, = yaml.safe_load(gateways["external-gateways"])
    local, = yaml.safe_load(gateways["local-gateways"])
    authored = {(g.inputs["metadata"]["namespace"], g.inputs["metadata"]["name"]): g.inputs
                for g in capture.by_type(GATEWAY)}
    assert sorted(authored) == [("kgateway-system", "knative-external"), ("kgateway-system", "knative-local")]
    for entry, name in ((external, "knative-external"), (local, "knative-local")):
        assert entry["class"] == "kgateway"
        assert entry["gateway"] == f"kgateway-system/{name}"
        assert authored[("kgateway-system", name)]["spec"]["gatewayClassName"] == entry["class"]
        assert "HTTPRouteRequestTimeout" in entry["supported-features"]
    params = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in
              capture.by_type("kubernetes:gateway.kgateway.dev/v1alpha1:GatewayParameters")}
    assert params == {"knative-external": {"kube": {"service": {"type": "LoadBalancer"}}},
                      "knative-local": {"kube": {"service": {"type": "ClusterIP"}}}}


def test_kourier_is_the_fallback_with_the_same_outputs(captures):
    capture = run_stack("dev", {"ingress": "kourier"})
    assert patch(capture, "config-network")["ingress-class"] == "kourier.ingress.networking.knative.dev"
    assert capture.by_type(GATEWAY) == []
    assert [r.name for r in capture.by_type(CM_PATCH) if r.name in ("config-gateway", "config-kourier")] == [
        "config-kourier"]
    kourier = capture.named("net-kourier", CONFIG_FILE)
    assert kourier.inputs["file"] == versions.NET_KOURIER.url
    assert sorted(capture.outputs) == sorted(captures["dev"].outputs)
    knative = versions.KNATIVE_VERSION
    assert capture.outputs["versions"] == {"knative-serving": knative, "net-kourier": knative}
    assert capture.outputs["curl"] == captures["dev"].outputs["curl"]  # the reserved address, whatever the ingress
    unknown_address = run_stack("local", {"domain": "apps.example.com"})
    assert "kourier-system get service kourier" in unknown_address.outputs["curl"]["helloworld-go"]


def test_the_local_stack_demonstrates_kourier(captures):
    assert patch(captures["local"], "config-network")["ingress-class"] == "kourier.ingress.networking.knative.dev"


def test_a_reserved_address_is_requested_by_the_gateway_and_exported():
    capture = run_stack("dev", {"cluster": {"type": "existing", "context": "gke_acme_europe-west1_apps",
                                            "ingressAddress": "203.0.113.7"}, "registry": None})
    external = capture.named("knative-external", GATEWAY).inputs
    assert external["spec"]["addresses"] == [{"type": "IPAddress", "value": "203.0.113.7"}]
    assert "addresses" not in capture.named("knative-local", GATEWAY).inputs["spec"]
    assert capture.outputs["gatewayAddress"] == "203.0.113.7"
    assert capture.outputs["curl"] == {
        "helloworld-go": 'curl -H "Host: helloworld-go.default.dev.knative.example.com" http://203.0.113.7'}


def test_without_a_domain_the_reserved_address_gives_an_sslip_domain():
    program = load_program_config(ROOT, "dev")
    config = {k: v for k, v in program.config.items()
              if k not in ("knative-platform:domain", "knative-platform:registry")}  # an AR needs a gke cluster
    config["knative-platform:cluster"] = json.dumps(
        {"type": "existing", "context": "team-cluster", "ingressAddress": "203.0.113.7"})
    capture = run_program(replace(program, config=config))
    assert patch(capture, "config-domain") == {"203.0.113.7.sslip.io": ""}
    assert capture.outputs["serviceUrls"] == {"helloworld-go": "http://helloworld-go.default.203.0.113.7.sslip.io"}


def test_kourier_requests_the_reserved_address_on_its_gateway_service():
    capture = run_stack("dev", {"ingress": "kourier",
                                "cluster": {"type": "existing", "context": "team-cluster",
                                            "ingressAddress": "203.0.113.7"}, "registry": None})
    service = capture.named("kourier-gateway-address", "kubernetes:core/v1:ServicePatch").inputs
    assert service["metadata"] == {"name": "kourier", "namespace": "kourier-system"}
    assert service["spec"] == {"loadBalancerIP": "203.0.113.7"}


def test_curl_lines_follow_the_recipe(captures):
    local = captures["local"].outputs
    assert local["gatewayAddress"] == "127.0.0.1"
    assert local["curl"] == {"hello": 'curl -H "Host: hello.default.127.0.0.1.sslip.io" http://127.0.0.1',
                             "helloworld-go": 'curl -H "Host: helloworld-go.default.127.0.0.1.sslip.io" '
                                              "http://127.0.0.1"}
    # cluster-local services are not reachable through the gateway: no curl line
    assert sorted(captures["staging"].outputs["curl"]) == ["helloworld-go"]
    # with TLS the name is pinned to the gateway so SNI picks the right certificate
    assert captures["prod"].outputs["curl"]["helloworld-go"].startswith(
        "curl --resolve helloworld-go.default.knative.example.com:443:")


def test_knative_settings_reach_their_config_maps(captures):
    staging = captures["staging"]
    assert patch(staging, "config-autoscaler")["scale-to-zero-grace-period"] == "60s"
    assert patch(staging, "config-gc")["max-non-active-revisions"] == "10"
    assert patch(captures["prod"], "config-autoscaler")["enable-scale-to-zero"] == "false"
    assert patch(captures["dev"], "config-domain") == {"dev.knative.example.com": ""}


# -- TLS ------------------------------------------------------------------------------------


def test_prod_terminates_https_on_the_platforms_own_listeners(captures):
    # issue 14 item 3: net-gateway-api keeps one HTTPS listener per ingress (reconcile_resources.go), so on
    # kgateway Knative's own certificates stay off and the platform's listeners cover every public host.
    capture = captures["prod"]
    network = patch(capture, "config-network")
    assert network["external-domain-tls"] == "Disabled"
    assert network["default-external-scheme"] == "https"
    assert network["http-protocol"] == "Redirected"
    assert [r for r in capture.by_type(CM_PATCH) if r.name == "config-certmanager"] == []
    issuer = capture.named("cluster-issuer").inputs
    assert issuer["spec"]["acme"]["solvers"] == [{"dns01": {"cloudDNS": {"project": "knative-platform-prod"}},
                                                  "selector": {"dnsZones": ["knative.example.com", "example.com"]}}]
    certificates = {name: r.inputs for r in capture.by_type("kubernetes:cert-manager.io/v1:Certificate")
                    for name in r.inputs["spec"]["dnsNames"]}
    # the platform's own namespace, the declared app namespace team-app, and the custom domain
    assert sorted(certificates) == ["*.default.knative.example.com", "*.team-app.knative.example.com",
                                    "hello.example.com"]
    for cert in certificates.values():
        assert cert["metadata"]["namespace"] == "kgateway-system"
        assert cert["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer",
                                             "name": "letsencrypt-production-dns01"}
        assert cert["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    listeners = capture.named("knative-external", GATEWAY).inputs["spec"]["listeners"]
    https = {lst["hostname"]: lst for lst in listeners if lst["protocol"] == "HTTPS"}
    assert sorted(https) == sorted(certificates)  # tls.listeners per-namespace: one listener per name
    for hostname, listener in https.items():
        assert listener["port"] == 443
        assert [ref["name"] for ref in listener["tls"]["certificateRefs"]] == [
            certificates[hostname]["spec"]["secretName"]]
        assert listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == [
            "team-app" if "team-app" in hostname else "default"]
    http = next(lst for lst in listeners if lst["name"] == "http")
    assert http["allowedRoutes"] == {"namespaces": {"from": "Same"}}  # only the redirect answers plain HTTP
    redirect = capture.named("https-redirect").inputs
    assert redirect["spec"]["parentRefs"][0]["sectionName"] == "http"
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 301}
    chart = capture.named("cert-manager", CHART).inputs
    assert chart["values"]["crds"] == {"enabled": True, "keep": True}
    assert chart["values"]["serviceAccount"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "knative-prod-dns01@knative-platform-prod.iam.gserviceaccount.com"}
    outputs = capture.outputs
    assert outputs["serviceUrls"]["helloworld-go"] == "https://helloworld-go.default.knative.example.com"
    assert outputs["tagUrls"]["helloworld-go"] == {"blue": "https://blue-helloworld-go.default.knative.example.com",
                                                   "green": "https://green-helloworld-go.default.knative.example.com"}
    assert outputs["domainUrls"]["helloworld-go"] == {"hello.example.com": "https://hello.example.com"}


def test_apps_wait_for_their_certificates_and_the_redirect(captures):
    capture = captures["prod"]
    app = set(capture.named("helloworld-go", KSVC).dependencies)
    for cert in capture.by_type("kubernetes:cert-manager.io/v1:Certificate"):
        assert cert.urn in app
        assert urn(capture, "cluster-issuer") in cert.dependencies
    assert urn(capture, "https-redirect") in app


def test_without_redirect_knatives_routes_answer_plain_http_too():
    tls = {"email": "ops@example.com", "challenge": "dns01", "httpProtocol": "enabled",
           "cloudDns": {"project": "knative-platform-prod", "dnsZones": ["knative.example.com", "example.com"]}}
    capture = run_stack("prod", {"tls": tls})
    listeners = capture.named("knative-external", GATEWAY).inputs["spec"]["listeners"]
    assert next(lst for lst in listeners if lst["name"] == "http")["allowedRoutes"] == {"namespaces": {"from": "All"}}
    assert [r for r in capture.registrations if r.name == "https-redirect"] == []
    assert patch(capture, "config-network")["http-protocol"] == "Enabled"


def test_http01_with_kourier_answers_through_the_kourier_ingress_class():
    capture = run_stack("staging", {"tls": HTTP01, "ingress": "kourier"})
    issuer = capture.named("cluster-issuer").inputs["spec"]["acme"]
    assert issuer["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert issuer["solvers"] == [{"http01": {"ingress": {"class": "kourier.ingress.networking.knative.dev"}}}]
    network = patch(capture, "config-network")
    assert network["external-domain-tls"] == "Enabled"
    assert "namespace-wildcard-cert-selector" not in network


def test_the_controller_restarts_when_and_only_when_knatives_tls_settings_change():
    def tls_hash(overrides):
        capture = run_stack("staging", {"ingress": "kourier", **overrides})
        restart = capture.named("controller-restart", "kubernetes:apps/v1:DeploymentPatch").inputs
        assert restart["metadata"] == {"name": "controller", "namespace": "knative-serving"}
        return restart["spec"]["template"]["metadata"]["annotations"]["knative-platform/tls-config-hash"]

    first = tls_hash({"tls": HTTP01})
    assert tls_hash({"tls": HTTP01}) == first
    assert tls_hash({"tls": {**HTTP01, "server": "production"}}) != first
    assert tls_hash({"tls": {**HTTP01, "httpProtocol": "enabled"}}) != first
    assert [r for r in committed("staging").registrations if r.name == "controller-restart"] == []
    # on kgateway Knative provisions no certificate, so nothing to restart for
    assert [r for r in committed("prod").registrations if r.name == "controller-restart"] == []


def test_the_cluster_issuer_waits_for_cert_managers_api(captures):
    # issue 14 item 9: Chart v4 runs no Helm hook, so the platform runs cert-manager's own `check api`
    capture = captures["prod"]
    job = capture.named("cert-manager-api-check", "kubernetes:batch/v1:Job")
    assert urn(capture, "cert-manager", CHART) in job.dependencies
    assert job.urn in capture.named("cluster-issuer").dependencies
    assert job.options.get("deleteBeforeReplace") is True
    container = job.inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == versions.CERT_MANAGER_API_CHECK_IMAGE
    assert container["args"][:2] == ["check", "api"]
    role = capture.named("cert-manager-api-check-role").inputs
    assert role["rules"] == [{"apiGroups": ["cert-manager.io"], "resources": ["certificaterequests"],
                              "verbs": ["create"]}]
    assert capture.named("cert-manager", CHART).inputs["values"]["startupapicheck"] == {"enabled": False}


# -- order ----------------------------------------------------------------------------------


def test_knative_order_crds_core_webhook_config_apps(captures):
    for stack, capture in captures.items():
        crds, core = urn(capture, "serving-crds", CONFIG_FILE), urn(capture, "serving-core", CONFIG_FILE)
        assert crds in capture.named("serving-core", CONFIG_FILE).dependencies, stack
        # The core ConfigFile is awaited object by object (the webhook Deployment ready) before config is written.
        patches = [r for r in capture.by_type(CM_PATCH) if r.inputs["metadata"]["namespace"] == "knative-serving"]
        knative_patches = [p for p in patches if p.name not in ("config-gateway", "config-kourier")]
        assert len(knative_patches) >= 7, stack
        for p in knative_patches:
            assert core in p.dependencies, (stack, p.name)
        for app in capture.by_type(KSVC):
            for p in patches:
                assert p.urn in app.dependencies, (stack, app.name, p.name)


def test_ingress_order(captures):
    capture = captures["dev"]
    deps = {r.name: set(r.dependencies) for r in capture.registrations}
    gateway_api = urn(capture, "gateway-api-crds", CONFIG_FILE)
    kgateway_crds, kgateway = urn(capture, "kgateway-crds", CHART), urn(capture, "kgateway", CHART)
    net = urn(capture, "net-gateway-api", CONFIG_FILE)
    assert gateway_api in deps["kgateway-crds"]
    # kgateway's controller creates its own GatewayClass when it starts; the Gateways wait for it
    assert kgateway_crds in deps["kgateway"]
    assert kgateway in deps["knative-external"]
    assert {urn(capture, "serving-core", CONFIG_FILE), gateway_api} <= deps["net-gateway-api"]
    assert net in deps["config-gateway"]
    app = set(capture.named("helloworld-go", KSVC).dependencies)
    assert {urn(capture, "knative-external", GATEWAY), urn(capture, "knative-local", GATEWAY), kgateway, net,
            urn(capture, "config-gateway", CM_PATCH)} <= app


def test_tls_order_crds_before_the_toggle_then_restart():
    capture = run_stack("staging", {"tls": HTTP01, "ingress": "kourier"})
    chart, issuer = urn(capture, "cert-manager", CHART), urn(capture, "cluster-issuer")
    assert chart in capture.named("cluster-issuer").dependencies
    network = capture.named("config-network", CM_PATCH)
    assert {chart, issuer} <= set(network.dependencies)  # cert-manager's CRDs exist before external-domain-tls
    restart = capture.named("controller-restart")
    assert network.urn in restart.dependencies
    assert urn(capture, "config-certmanager", CM_PATCH) in restart.dependencies
    assert restart.urn in capture.named("helloworld-go", KSVC).dependencies


# -- pins -----------------------------------------------------------------------------------


def pinned():
    pins = [v for v in vars(versions).values() if isinstance(v, (versions.ReleaseManifest, versions.HelmChart))]
    files = {p.url for p in pins if isinstance(p, versions.ReleaseManifest)}
    charts = {(p.chart, p.version) for p in pins if isinstance(p, versions.HelmChart)}
    return files, charts


def test_every_upstream_bundle_is_an_exact_pin_on_every_stack(captures):
    files, charts = pinned()
    for stack, capture in captures.items():
        bundles = [r for r in capture.registrations if r.type in BUNDLE_TYPES]
        for bundle in bundles:
            if bundle.type == CONFIG_FILE:
                assert bundle.inputs["file"] in files, (stack, bundle.name)
            else:
                assert (bundle.inputs["chart"], bundle.inputs["version"]) in charts, (stack, bundle.name)
        sources = {b.inputs.get("file") or b.inputs["chart"] for b in bundles}
        expected = {versions.SERVING_CRDS.url, versions.SERVING_CORE.url}
        if stack == "local":
            expected |= {versions.NET_KOURIER.url}
        else:
            expected |= {versions.GATEWAY_API.url, versions.NET_GATEWAY_API.url, versions.KGATEWAY.chart,
                         versions.KGATEWAY_CRDS.chart}
        if stack == "prod":
            expected |= {versions.CERT_MANAGER.chart}
        if stack == "staging":  # its broker, trigger and schedule: Eventing and the in-memory broker
            expected |= {versions.EVENTING_CRDS.url, versions.EVENTING_CORE.url,
                         versions.EVENTING_IN_MEMORY_CHANNEL.url, versions.EVENTING_MT_CHANNEL_BROKER.url}
        assert sources == expected, stack
    cert_manager = captures["prod"].named("cert-manager", CHART).inputs
    assert cert_manager["repositoryOpts"] == {"repo": versions.CERT_MANAGER.repository}


def test_versions_output_lists_what_is_installed(captures):
    assert captures["prod"].outputs["versions"] == {
        "cert-manager": versions.CERT_MANAGER.version, "gateway-api": versions.GATEWAY_API.version,
        "kgateway": versions.KGATEWAY.version, "knative-serving": versions.KNATIVE_VERSION,
        "net-gateway-api": versions.KNATIVE_VERSION}


# -- drift ----------------------------------------------------------------------------------


def test_bad_platform_arguments_are_refused_before_registration():
    from knative_platform.knative import KnativeServing, KnativeServingArgs
    from knative_platform.model.platform.knative import AutoscalerSettings, KnativeSettings
    from knative_platform.offline.engine import RecordingMonitor, run_function
    from knative_platform.offline.mocks import PlatformMocks
    from knative_platform.runtime.errors import ConfigError

    bad = KnativeSettings(autoscaler=replace(AutoscalerSettings(), stable_window="2h"))
    monitor = RecordingMonitor(PlatformMocks())

    def program():
        import pulumi_kubernetes as k8s
        KnativeServing("knative", KnativeServingArgs(provider=k8s.Provider("p", context="x"), domain="a.example.com",
                                                     settings=bad))

    with pytest.raises(ConfigError, match=r"knative\.autoscaler\.stableWindow: is 2h"):
        run_function(program, monitor=monitor)
    assert [r.type for r in monitor.recorded.values()] == ["pulumi:providers:kubernetes"]


def test_prod_dns01_gets_a_keyless_identity_made_for_it(captures):
    prod = captures["prod"]
    account = prod.named("dns01-account", "gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == "knative-prod-dns01"
    dns_admin = prod.named("dns01-dns-admin", "gcp:projects/iAMMember:IAMMember")
    assert (dns_admin.inputs["role"], dns_admin.inputs["project"]) == ("roles/dns.admin", "knative-platform-prod")
    impersonation = prod.named("dns01-workload-identity", "gcp:serviceaccount/iAMMember:IAMMember")
    assert impersonation.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert impersonation.inputs["member"] == (
        "serviceAccount:knative-platform-prod.svc.id.goog[cert-manager/cert-manager]")
    assert not prod.by_type("gcp:iam/serviceAccountKey:ServiceAccountKey")  # keyless
    chart = prod.named("cert-manager", "kubernetes:helm.sh/v4:Chart")
    annotation = chart.inputs["values"]["serviceAccount"]["annotations"]["iam.gke.io/gcp-service-account"]
    assert annotation == "knative-prod-dns01@knative-platform-prod.iam.gserviceaccount.com"
    namespace = prod.named("cert-manager", "kubernetes:core/v1:Namespace")
    assert namespace.urn in chart.dependencies
    assert {dns_admin.urn, impersonation.urn} <= set(namespace.dependencies)  # so the chart waits for the grants
    (provider,) = prod.by_type("pulumi:providers:gcp")
    assert all(r.provider.startswith(provider.urn) for r in (account, dns_admin, impersonation))


def test_a_named_dns01_account_is_used_as_it_is():
    tls = {"email": "ops@example.com", "challenge": "dns01",
           "cloudDns": {"project": "acme-dns", "serviceAccount": "cert-manager@acme-dns.iam.gserviceaccount.com",
                        "dnsZones": ["knative.example.com", "example.com"]}}
    capture = run_stack("prod", {"tls": tls})
    assert not [r for r in capture.registrations if r.name.startswith("dns01")]
    chart = capture.named("cert-manager", "kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["values"]["serviceAccount"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "cert-manager@acme-dns.iam.gserviceaccount.com"}


def test_dns01_on_an_existing_cluster_must_name_its_account():
    tls = {"email": "ops@example.com", "challenge": "dns01", "cloudDns": {"project": "acme-dns"}}
    error = config_error("local", {"tls": tls, "domain": "apps.example.com"})
    assert "tls.cloudDns.serviceAccount: is required on a cluster the platform does not create" in str(error)


def test_the_kgateway_component_keeps_the_state_deployed_as_gloo_through_aliases(captures):
    """Gloo("gloo") became Kgateway("ingress"): one alias to the old type and name, and every child found by it.

    The engine looks a child up by its parent's alias, renaming it where its name starts with the parent's new
    name (pulumi/pulumi v3.259.0 pkg/resource/deploy/step_generator.go ``inheritedChildAlias``; pulumi 3.272.0
    ``pulumi/runtime/resource.py`` ``inherited_child_alias``): the children kept their names, so no child may start
    with the new one, or it would be looked for under a name it never had and replaced.
    """
    for stack in ("dev", "staging", "prod"):
        capture = captures[stack]
        (kgateway,) = capture.by_type("knative-platform:index:Kgateway")
        assert kgateway.name == "ingress"
        assert kgateway.parent == capture.named("platform", "knative-platform:index:Platform").urn
        specs = [alias["spec"] for alias in kgateway.options["aliases"]]
        # No parentUrn and noParent unset: the same parent as now (pulumi/runtime/resource.py create_alias_spec).
        assert {"type": "knative-platform:index:Gloo", "name": "gloo", "parentUrn": ""} in specs
        assert not capture.by_type("knative-platform:index:Gloo")
        children = [r for r in capture.registrations if r.parent == kgateway.urn]
        assert len(children) >= 10
        for child in children:
            new, old = kgateway.name, "gloo"
            inherited = old + child.name[len(new):] if child.name.startswith(new) else child.name
            assert inherited == child.name, f"{child.type} {child.name} would be looked for as {inherited}"
        assert {"kgateway", "kgateway-crds", "kgateway-system"} <= {c.name for c in children}
