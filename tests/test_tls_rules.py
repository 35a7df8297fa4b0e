"""TLS, exposure and zone rules across the stack: each refusal names the path and the fix (issue 14, items 3-8)."""

from __future__ import annotations

import pytest
from conftest import config_error

from knative_platform import versions
from knative_platform.manifests.gateway_tls import TlsListener, gateway_tls
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.hosts import HostKind, certificate_names, covers, public_hosts
from knative_platform.model.platform.platform import build_platform_spec, platform_served_names
from knative_platform.model.tls.tls_rules import GATEWAY_MAX_LISTENERS

IMAGE = versions.SAMPLE_IMAGE
EMAIL = "ops@example.com"
DNS01 = {"email": EMAIL, "challenge": "dns01",
         "cloudDns": {"project": "acme-dns", "serviceAccount": "cert-manager@acme-dns.iam.gserviceaccount.com"}}
CANARY = {"revision": "v2", "traffic": {"canary": {"stable": "v1", "percent": 10}}}


def spec(**config):
    return build_platform_spec("test", {"domain": "apps.example.com", **config})


def problems(**config) -> list[str]:
    with pytest.raises(SpecError) as info:
        spec(**config)
    return [str(p) for p in info.value.problems]


def accepted(**config) -> None:
    """The stack file is valid: the assertion is that ``build_platform_spec`` raises no SpecError."""
    spec(**config)


def svc(**fields):
    return {"image": IMAGE, **fields}


# -- item 3: TLS with traffic tags on kgateway --------------------------------------------------------------------

def test_http01_on_kgateway_is_refused_with_the_fix():
    # net-gateway-api knative-v1.23.0 reconcile_resources.go: one listener name per ingress, so tags lose TLS
    found = problems(tls={"email": EMAIL}, services={"api": svc(**CANARY)})
    assert found == ["tls.challenge: http01 does not work with ingress kgateway: net-gateway-api keeps only one "
                     "HTTPS listener per service, so its tag URLs would get no certificate; use challenge dns01 "
                     "(the platform then terminates TLS on its own listeners with wildcard certificates) or ingress "
                     "kourier"]


def test_http01_with_kourier_is_knatives_own_tls():
    accepted(tls={"email": EMAIL}, ingress="kourier", services={"api": svc(**CANARY)})


def test_dns01_on_kgateway_covers_every_public_host_with_the_platforms_listeners():
    s = spec(tls={**DNS01, "cloudDns": {**DNS01["cloudDns"], "dnsZones": ["apps.example.com", "example.org"]}},
             services={"api": svc(**CANARY, domains=["api.example.org"]), "shop": svc(namespace="shop"),
                       "inner": svc(visibility="cluster-local")})
    hosts = public_hosts(s.services, "apps.example.com", s.knative.network.domain_template,
                         s.knative.network.tag_template)
    assert [(h.host, h.kind) for h in hosts] == [
        ("api.default.apps.example.com", HostKind.SERVICE),
        ("canary-api.default.apps.example.com", HostKind.TAG),
        ("stable-api.default.apps.example.com", HostKind.TAG),
        ("api.example.org", HostKind.DOMAIN),
        ("shop.shop.apps.example.com", HostKind.SERVICE),
    ]
    assert certificate_names(hosts) == {"*.default.apps.example.com": ("default",),
                                        "*.shop.apps.example.com": ("shop",), "api.example.org": ("default",)}
    gateway = gateway_tls(s.tls, s.ingress, platform_served_names(s), s.domain)
    assert gateway is not None and gateway.redirect and gateway.issuer_name == "letsencrypt-production-dns01"
    certificates = {c.name: c.dns_names for c in gateway.certificates}
    for h in hosts:
        assert any(covers(lst.dns_name, h.host) and h.namespace in lst.namespaces
                   and any(covers(n, h.host) for secret in lst.certificates for n in certificates[secret])
                   for lst in gateway.listeners)


def test_a_wildcard_covers_exactly_one_label():
    assert covers("*.default.apps.example.com", "blue-api.default.apps.example.com")
    assert not covers("*.default.apps.example.com", "a.b.default.apps.example.com")
    assert not covers("*.default.apps.example.com", "default.apps.example.com")
    assert covers("api.example.org", "api.example.org") and not covers("api.example.org", "x.api.example.org")


def test_listener_names_are_stable_labels():
    lst = TlsListener("*.default.knative.example.com", ("default",))
    assert lst.name == "https-wildcard-default-knative-example-com-" + lst.name.rsplit("-", 1)[1]
    long = TlsListener("*." + "x" * 60 + ".example.com", ("default",))
    assert len(long.name) <= 63 and long.name != lst.name


def test_too_many_listeners_for_one_gateway():
    limit = GATEWAY_MAX_LISTENERS - 1
    services = {f"s{i}": svc(namespace=f"ns{i}") for i in range(limit + 1)}
    found = problems(tls=DNS01, services=services)
    assert found == [f"tls: needs {limit + 1} HTTPS listeners on the external Gateway (one per namespace wildcard and "
                     f"per custom domain), more than the {limit} it holds next to its HTTP listener; set "
                     "tls.listeners: shared (one listener for every namespace; a route of one namespace may then "
                     "answer for another's hosts), or spread the services over fewer namespaces or custom domains"]
    services.pop(f"s{limit}")
    accepted(tls=DNS01, services=services)


# -- item 8: custom domains need a zone DNS-01 can write in -------------------------------------------------------

def test_a_custom_domain_outside_every_zone_is_refused():
    found = problems(tls=DNS01, services={"api": svc(domains=["hello.example.org"])})
    assert found == ["services.api.domains[0]: 'hello.example.org' is in none of the Cloud DNS zones cert-manager "
                     "may write in (tls.cloudDns.dnsZones: apps.example.com); add the zone that holds it, a managed "
                     "zone in project acme-dns, to tls.cloudDns.dnsZones, or use a name under one of them"]


@pytest.mark.parametrize("domains", [["www.apps.example.com"], ["hello.example.org"]])
def test_a_custom_domain_inside_a_declared_zone_is_accepted(domains):
    tls = {**DNS01, "cloudDns": {**DNS01["cloudDns"], "dnsZones": ["apps.example.com", "example.org"]}}
    accepted(tls=tls, services={"api": svc(domains=domains)})
    accepted(tls=tls, ingress="kourier", services={"api": svc(domains=domains)})


def test_declared_zones_must_hold_the_platform_domain():
    tls = {**DNS01, "cloudDns": {**DNS01["cloudDns"], "dnsZones": ["example.org"]}}
    assert "tls.cloudDns.dnsZones: none of the zones (example.org) holds the platform's domain 'apps.example.com'; " \
           "add its zone" in problems(tls=tls)


def test_a_zone_is_a_dns_name():
    tls = {**DNS01, "cloudDns": {**DNS01["cloudDns"], "dnsZones": ["knative-example-com."]}}
    assert any(p.startswith("tls.cloudDns.dnsZones[0]: zone 'knative-example-com.' must be a DNS-1123 subdomain")
               and "name the zone's DNS name, not its resource name" in p for p in problems(tls=tls))


def test_http01_needs_no_zone():
    assert spec(tls={"email": EMAIL}, ingress="kourier", services={"api": svc(domains=["a.example.org"])}).tls


# -- item 7: kind has no load balancer ----------------------------------------------------------------------------

KIND = {"type": "existing", "context": "kind-knative"}


@pytest.mark.parametrize(("cluster", "expected"), [
    (KIND, "cluster.gatewayService: context 'kind-knative' is a kind cluster, which gives LoadBalancer Services no "
           "address: `pulumi up` would wait 10 minutes for one and Knative could never probe the gateway. Set "
           "gatewayService: NodePort and create the cluster with stacks/kind.yaml (it maps node ports 31080 and "
           "31443 to localhost:80 and :443), or gatewayService: LoadBalancer if the cluster runs a load-balancer "
           "controller (cloud-provider-kind, MetalLB)"),
    ({**KIND, "gatewayService": "NodePort", "ingressAddress": "203.0.113.7"},
     "cluster.ingressAddress: is an address for a load balancer, but gatewayService is NodePort: remove one"),
    ({**KIND, "gatewayService": "NodePort", "nodePorts": {"http": 80}},
     "cluster.nodePorts.http: is 80, must be in Kubernetes' node port range 30000-32767"),
    ({**KIND, "gatewayService": "NodePort", "nodePorts": {"http": 31000, "https": 31000}},
     "cluster.nodePorts: http and https are both 31000; give each its own node port"),
    ({"type": "existing", "context": "minikube", "nodePorts": {"http": 31000}},
     "cluster.nodePorts: is used only with gatewayService: NodePort; remove it or set gatewayService: NodePort"),
    ({**KIND, "gatewayService": "Ingress"}, "cluster.gatewayService: 'Ingress' is not one of 'LoadBalancer', "
                                           "'NodePort'"),
])
def test_exposure_rules(cluster, expected):
    found = problems(cluster=cluster)
    assert found == [expected]  # the whole list: no second, spurious problem


@pytest.mark.parametrize("cluster", [{**KIND, "gatewayService": "NodePort"}, {**KIND, "gatewayService": "LoadBalancer"},
                                     {"type": "existing", "context": "minikube"}])
def test_exposures_that_work(cluster):
    assert spec(cluster=cluster).cluster.context == cluster["context"]


def test_the_local_stack_reaching_kind_without_node_ports_is_refused_before_registration():
    error = config_error("local", {"cluster": KIND})
    assert [p.path for p in error.problems] == ["cluster.gatewayService"]
