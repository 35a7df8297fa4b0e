"""App namespaces on the TLS platform, the listener and certificate layout at scale, DNS records (issue 18).

N1: the platform declares the namespaces app stacks deploy into, serves them and exports what it serves;
N5: a record per served namespace survives DNS-01; N6: 100 namespaces work, the limits left are refused
with their numbers. Pure: spec, renderers and the app-side check, no Pulumi program.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ingress_checks import ingress_problems

from knative_platform import Canary, Service, Visibility, versions
from knative_platform.manifests.gateway_tls import gateway_tls, https_hosts_output, kgateway_objects
from knative_platform.manifests.knative_config import config_network
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.app_namespaces import public_app_namespaces
from knative_platform.model.platform.hosts import covers, dns_record_names, public_hosts
from knative_platform.model.platform.platform import build_platform_spec, platform_served_names
from knative_platform.model.tls.certificates import WILDCARD_GROUPS, certificate_plan, wildcard_group
from knative_platform.model.tls.coverage import app_host_problems
from knative_platform.model.tls.tls import dns_zones

IMAGE = versions.SAMPLE_IMAGE
DOMAIN = "apps.example.com"
DNS01 = {"email": "ops@example.com", "challenge": "dns01",
         "cloudDns": {"project": "acme-dns", "serviceAccount": "cert-manager@acme-dns.iam.gserviceaccount.com",
                      "dnsZones": [DOMAIN, "example.com"]}}
SHARED = {**DNS01, "listeners": "shared"}
PLATFORM = "acme/knative-platform/prod"


def spec(**config):
    return build_platform_spec("test", {"domain": DOMAIN, **config})


def accepted(**config) -> None:
    """The stack file is valid: the assertion is that ``build_platform_spec`` raises no SpecError."""
    spec(**config)


def problems(**config) -> list[str]:
    with pytest.raises(SpecError) as info:
        spec(**config)
    return [str(p) for p in info.value.problems]


def rendered(s):
    """The gateway objects the platform would author for ``s``, checked by the renderer's own checks."""
    served = platform_served_names(s)
    gateway = gateway_tls(s.tls, s.ingress, served, s.domain)
    objects = kgateway_objects(gateway)
    hosts = public_hosts(s.services, s.domain, s.knative.network.domain_template, s.knative.network.tag_template)
    network = config_network(s.knative, s.ingress, s.tls, public_app_namespaces(s.app_namespaces, s.services))
    assert ingress_problems(objects, network, gateway, hosts, None) == []
    return gateway, objects


def serving(objects, host, namespace):
    """The HTTPS listeners that answer ``host`` for ``namespace``'s routes with a certificate covering it."""
    certificates = {o["spec"]["secretName"]: o["spec"]["dnsNames"] for o in objects.values()
                    if o["kind"] == "Certificate"}
    found = []
    for lst in objects["knative-external"]["spec"]["listeners"]:
        pattern = lst.get("hostname", "")
        matches = pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        admits = lst["protocol"] == "HTTPS" and namespace in lst["allowedRoutes"]["namespaces"]["selector"][
            "matchExpressions"][0]["values"]
        if matches and admits and any(covers(n, host) for ref in lst["tls"]["certificateRefs"]
                                      for n in certificates[ref["name"]]):
            found.append(lst)
    return found


# -- N1: declared app namespaces ------------------------------------------------------------------------------------

def test_a_declared_namespace_gets_a_listener_a_certificate_and_an_export():
    s = spec(tls=DNS01, appNamespaces={"team-app": None, "shop": {"domains": ["shop.example.com"]}})
    assert [(n.name, n.domains) for n in s.app_namespaces] == [("shop", ("shop.example.com",)), ("team-app", ())]
    gateway, objects = rendered(s)
    for host, namespace in [("storefront.team-app.apps.example.com", "team-app"),
                            ("canary-storefront.team-app.apps.example.com", "team-app"),
                            ("cart.shop.apps.example.com", "shop"), ("shop.example.com", "shop")]:
        assert serving(objects, host, namespace), host
    assert not serving(objects, "x.team-app.apps.example.com", "shop")  # per-namespace: isolated
    assert not serving(objects, "shop.example.com", "team-app")
    assert https_hosts_output(s.tls, gateway, dns_zones(s.tls, DOMAIN)) == {
        "terminatedBy": "gateway",
        "names": {"*.shop.apps.example.com": ["shop"], "*.team-app.apps.example.com": ["team-app"],
                  "shop.example.com": ["shop"]},
        "dnsZones": [DOMAIN, "example.com"],
    }


def test_kourier_issues_wildcards_for_declared_namespaces_too():
    s = spec(tls=DNS01, ingress="kourier", appNamespaces={"team-app": {}},
             services={"api": {"image": IMAGE}})
    network = config_network(s.knative, s.ingress, s.tls, public_app_namespaces(s.app_namespaces, s.services))
    assert "- team-app" in network["data"]["namespace-wildcard-cert-selector"]
    assert https_hosts_output(s.tls, None, dns_zones(s.tls, DOMAIN)) == {
        "terminatedBy": "knative", "dnsZones": [DOMAIN, "example.com"]}
    assert https_hosts_output(None, None, ()) is None


@pytest.mark.parametrize(("config", "expected"), [
    ({"appNamespaces": ["team-app"]}, "appNamespaces: expected a map from namespace to its settings, got a list"),
    ({"appNamespaces": {"Team_App": {}}}, "appNamespaces.Team_App: namespace 'Team_App' must be a DNS-1123 label"
                                          ": lowercase letters, digits and '-', starting and ending with a letter or "
                                          "digit"),
    ({"appNamespaces": {"knative-serving": {}}}, "appNamespaces.knative-serving: 'knative-serving' is a platform "
                                                 "namespace, home of Knative Serving's control plane "
                                                 "(KnativeServing); an app there would be deleted and upgraded "
                                                 "with it: use a namespace of its own"),
    ({"appNamespaces": {"kube-apps": {}}}, "appNamespaces.kube-apps: 'kube-apps': Kubernetes reserves the kube- "
                                           "prefix for its system namespaces; use a namespace of its own"),
    ({"appNamespaces": {"a": {"domain": ["x.example.com"]}}}, "appNamespaces.a.domain: unknown key (did you mean "
                                                             "'domains'?); expected one of: domains"),
    ({"appNamespaces": {"a": {"domains": ["not a domain"]}}}, "appNamespaces.a.domains[0]: domain 'not a domain' "
                                                             "must be a DNS-1123 subdomain: lowercase labels of "
                                                             "letters, digits and '-', joined by '.'"),
    ({"appNamespaces": {"a": {"domains": ["x.example.com"]}, "b": {"domains": ["x.example.com"]}}},
     "appNamespaces.b.domains[0]: 'x.example.com' is also claimed at appNamespaces.a.domains[0]"
     "; a domain is served for one namespace: remove it from one of them"),
    ({"appNamespaces": {"a": {"domains": ["x.example.com"]}}, "services": {"api": {"image": IMAGE,
                                                                                    "domains": ["x.example.com"]}}},
     "appNamespaces.a.domains[0]: 'x.example.com' is also claimed at services.api.domains[0]"
     "; a domain is served for one namespace: remove it from one of them"),
    ({"appNamespaces": {"a": {"domains": ["x.example.org"]}}, "tls": DNS01},
     "appNamespaces.a.domains[0]: 'x.example.org' is in none of the Cloud DNS zones cert-manager may write in"
     " (tls.cloudDns.dnsZones: apps.example.com, example.com); add the zone that holds it, a managed zone in project "
     "acme-dns, to tls.cloudDns.dnsZones, or use a name under one of them"),
    ({"appNamespaces": {"a": {}}, "tls": DNS01,
      "knative": {"network": {"domainTemplate": "{{.Namespace}}.{{.Name}}.{{.Domain}}"}}},
     "appNamespaces: needs a knative.network.domainTemplate whose first label holds {{.Name}}"
     " (like {{.Name}}.{{.Namespace}}.{{.Domain}}), not '{{.Namespace}}.{{.Name}}.{{.Domain}}': the platform serves a "
     "declared namespace with one wildcard certificate, which covers one label"),
    ({"tls": SHARED, "ingress": "kourier"}, "tls.listeners: shared is used only with ingress kgateway"
                                            ", where the platform owns the HTTPS listeners; remove it"),
])
def test_bad_app_namespaces_are_refused_with_the_path_and_the_fix(config, expected):
    found = problems(**config)
    assert found == [expected]  # the whole list: no second, spurious problem


# -- N6: 100 namespaces, and the limits that remain -----------------------------------------------------------------

def namespaces(count: int, prefix: str = "team") -> dict[str, dict]:
    return {f"{prefix}-{i:03d}": {} for i in range(count)}


def test_a_hundred_app_namespaces_share_one_listener_and_at_most_sixteen_certificates():
    s = spec(tls=SHARED, appNamespaces=namespaces(100), services={"api": {"image": IMAGE,
                                                                          "domains": ["api.example.com"]}})
    _gateway, objects = rendered(s)
    https = [lst for lst in objects["knative-external"]["spec"]["listeners"] if lst["protocol"] == "HTTPS"]
    assert sorted(lst["hostname"] for lst in https) == ["*.apps.example.com", "api.example.com"]
    (shared,) = [lst for lst in https if lst["hostname"] == "*.apps.example.com"]
    assert len(shared["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"]) == 101
    certificates = [o for o in objects.values() if o["kind"] == "Certificate"]
    assert len(shared["tls"]["certificateRefs"]) == len(certificates) - 1 <= WILDCARD_GROUPS
    assert max(len(c["spec"]["dnsNames"]) for c in certificates) <= 100
    for i in (0, 57, 99):
        assert serving(objects, f"blue-web.team-{i:03d}.apps.example.com", f"team-{i:03d}")
    assert serving(objects, "api.default.apps.example.com", "default")
    assert not serving(objects, "api.example.com", "team-000")  # a custom domain keeps its own listener


def test_adding_a_namespace_re_issues_exactly_one_certificate():
    before = {c.name: c.dns_names for c in certificate_plan(platform_served_names(
        spec(tls=SHARED, appNamespaces=namespaces(100))))}
    after = {c.name: c.dns_names for c in certificate_plan(platform_served_names(
        spec(tls=SHARED, appNamespaces=namespaces(101))))}
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    assert len(changed) == 1 and "*.team-100.apps.example.com" in after[changed[0]]


@pytest.mark.parametrize(("count", "refused"), [(63, False), (64, True)])
def test_per_namespace_listeners_stop_at_63_and_name_the_shared_layout(count, refused):
    config = {"tls": DNS01, "appNamespaces": namespaces(count)}
    if not refused:
        gateway, _ = rendered(spec(**config))
        assert len(gateway.listeners) == 63
        return
    assert problems(**config) == [
        "tls: needs 64 HTTPS listeners on the external Gateway (one per namespace wildcard and per custom domain), "
        "more than the 63 it holds next to its HTTP listener; set tls.listeners: shared (one listener for every "
        "namespace; a route of one namespace may then answer for another's hosts), or spread the services over "
        "fewer namespaces or custom domains"]
    accepted(tls=SHARED, appNamespaces=namespaces(count))


@pytest.mark.parametrize(("count", "refused"), [(62, False), (63, True)])
def test_shared_listeners_stop_at_62_custom_domains(count, refused):
    config = {"tls": {**SHARED, "server": "staging"},
              "appNamespaces": {"a": {"domains": [f"d{i}.example.com" for i in range(count)]}}}
    if not refused:
        accepted(**config)
        return
    assert problems(**config) == [
        "tls: needs 64 HTTPS listeners on the external Gateway (one shared by the namespaces and one per custom "
        "domain: 63), more than the 63 it holds next to its HTTP listener; serve fewer custom domains from this "
        "platform"]


@pytest.mark.parametrize(("count", "refused"), [(49, False), (50, True)])
def test_lets_encrypt_issues_50_new_certificates_per_registered_domain(count, refused):
    # one wildcard group for namespace a, plus a certificate per custom domain, all under example.com
    config = {"tls": DNS01, "appNamespaces": {"a": {"domains": [f"d{i}.example.com" for i in range(count)]}}}
    if not refused:
        accepted(**config)
        return
    assert problems(**config) == [
        "tls: needs 51 certificates under example.com, more than the 50 new certificates Let's Encrypt issues per "
        "registered domain in a week (each custom domain has its own); serve fewer custom domains under it"]
    accepted(**{**config, "tls": {**DNS01, "server": "staging"}})  # staging's limits are higher


def _in_one_group(count: int) -> dict[str, dict]:
    group = wildcard_group(f"*.ns-0.{DOMAIN}")
    names = (f"ns-{i}" for i in range(100_000))
    return {n: {} for n in [n for n in names if wildcard_group(f"*.{n}.{DOMAIN}") == group][:count]}


@pytest.mark.parametrize(("count", "refused"), [(100, False), (101, True)])
def test_a_certificate_holds_at_most_100_names(count, refused):
    config = {"tls": SHARED, "appNamespaces": _in_one_group(count)}
    if not refused:
        accepted(**config)
        return
    (problem,) = problems(**config)
    assert problem.startswith("tls: https-wildcards-") and problem.endswith(
        " would hold 101 names, more than the 100 Let's Encrypt puts in one certificate; serve fewer namespaces "
        "from this platform")


# -- N5: records that a DNS-01 challenge cannot hide ------------------------------------------------------------------

def test_each_served_namespace_and_custom_domain_under_the_domain_gets_its_own_record():
    s = spec(tls=DNS01, appNamespaces={"team-app": {"domains": ["www.apps.example.com", "shop.example.com"]}},
             services={"api": {"image": IMAGE}, "inner": {"image": IMAGE, "namespace": "private",
                                                           "visibility": "cluster-local"}})
    assert dns_record_names(platform_served_names(s), DOMAIN) == (
        "*.default.apps.example.com", "*.team-app.apps.example.com", "www.apps.example.com")
    flat = spec(appNamespaces={"team-app": {}}, knative={"network": {"domainTemplate": "{{.Name}}-{{.Namespace}}."
                                                                                       "{{.Domain}}"}})
    assert dns_record_names(platform_served_names(flat), DOMAIN) == ()  # *.<domain> itself is the base record


# -- the app stack's side: PlatformReference refuses what the platform does not serve -------------------------------

def storefront(**fields) -> Service:
    return Service(name="storefront", namespace="team-app", image=IMAGE, revision="v3",
                   traffic=Canary(stable="v2", percent=10), **fields)


def outputs_of(**config):
    s = spec(**config)
    gateway = gateway_tls(s.tls, s.ingress, platform_served_names(s), s.domain)
    zones = dns_zones(s.tls, DOMAIN) if s.tls and s.tls.challenge.value == "dns01" else ()
    return https_hosts_output(s.tls, gateway, zones)


def check(services, https_hosts, https=True):
    return [str(p) for p in app_host_problems(PLATFORM, services, DOMAIN, "{{.Name}}.{{.Namespace}}.{{.Domain}}",
                                              "{{.Tag}}-{{.Name}}", https, https_hosts)]


def test_a_declared_namespace_and_domain_pass_the_app_check():
    hosts = outputs_of(tls=DNS01, appNamespaces={"team-app": {"domains": ["shop.example.com"]}})
    assert check([storefront(domains=("shop.example.com",))], hosts) == []


def test_undeclared_hosts_are_refused_with_the_fix_on_the_platform_stack():
    hosts = outputs_of(tls=DNS01, appNamespaces={"other": {"domains": ["shop.example.com"]}})
    assert check([storefront(domains=("shop.example.com", "new.example.com"))], hosts) == [
        "services.storefront: https://storefront.team-app.apps.example.com (and its tag URLs) would not answer: the "
        "platform's gateway serves no HTTPS for namespace team-app; add team-app to knative-platform:appNamespaces "
        f"on stack {PLATFORM} and run `pulumi up` there",
        "services.storefront.domains[0]: https://shop.example.com would not answer: the platform's gateway serves it "
        "for namespace other, not team-app; map it from there, or ask the platform team to move it to "
        f"knative-platform:appNamespaces.team-app.domains on stack {PLATFORM} and run `pulumi up` there",
        "services.storefront.domains[1]: https://new.example.com would not answer: the platform's gateway serves no "
        f"HTTPS for it; add it to knative-platform:appNamespaces.team-app.domains on stack {PLATFORM} and run "
        "`pulumi up` there",
    ]


def test_what_needs_nothing_from_the_platform():
    inner = Service(name="inner", namespace="team-app", image=IMAGE, visibility=Visibility.CLUSTER_LOCAL)
    gateway_hosts = outputs_of(tls=DNS01)
    assert check([inner], gateway_hosts) == []  # cluster-local: no public host
    assert check([storefront()], None, https=False) == []  # no TLS: the HTTP listener admits every namespace
    kourier = outputs_of(tls=DNS01, ingress="kourier")
    assert check([storefront()], kourier) == []  # Knative issues per route, in any namespace
    assert check([storefront(domains=("x.example.org",))], kourier) == [
        "services.storefront.domains[0]: https://x.example.org would get no certificate: it is in none of the DNS "
        "zones the platform's cert-manager answers DNS-01 challenges in (apps.example.com, example.com); ask the "
        f"platform team to add its zone to tls.cloudDns.dnsZones on stack {PLATFORM}"]


def test_a_platform_that_predates_the_output_is_named():
    assert check([storefront()], None) == [
        f"{PLATFORM} outputs.httpsHosts: stack {PLATFORM} serves HTTPS but does not say for which hosts; run "
        "`pulumi up` on it with this version of knative-platform, then retry"]


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                       lambda inner: st.one_of(st.lists(inner, max_size=3),
                                               st.dictionaries(st.text(max_size=30), inner, max_size=3)),
                       max_leaves=12)
HTTPS_HOSTS = st.one_of(JSONISH, st.fixed_dictionaries({
    "terminatedBy": st.sampled_from(["gateway", "knative", 3]),
    "names": st.one_of(JSONISH, st.dictionaries(st.sampled_from(["*.team-app.apps.example.com", "shop.example.com",
                                                                 "*"]), JSONISH, max_size=2)),
    "dnsZones": st.one_of(JSONISH, st.lists(st.sampled_from(["example.com", "apps.example.com"]), max_size=2)),
}))


@given(https_hosts=HTTPS_HOSTS, https=st.booleans())
def test_any_https_hosts_output_gives_problems_with_paths_never_a_traceback(https_hosts, https):
    for problem in app_host_problems(PLATFORM, [storefront(domains=("shop.example.com",))], DOMAIN,
                                     "{{.Name}}.{{.Namespace}}.{{.Domain}}", "{{.Tag}}-{{.Name}}", https,
                                     https_hosts):
        assert (problem.path.startswith(("services.storefront", PLATFORM)) and "pulumi up" in problem.message) \
            or "tls.cloudDns.dnsZones" in problem.message


def test_every_wildcard_group_fits_one_listener():
    names = platform_served_names(spec(tls=SHARED, appNamespaces=namespaces(1000)))
    assert len({c.name for c in certificate_plan(names)}) == WILDCARD_GROUPS <= 64


@pytest.mark.parametrize(("challenge", "count", "refused"), [("dns01", 49, False), ("dns01", 50, True),
                                                             ("http01", 50, False), ("http01", 51, True)])
def test_knatives_own_certificates_on_kourier_meet_the_same_limit(challenge, count, refused):
    # knative/serving knative-v1.23.0 route/resources/certificate.go: one certificate per host outside a
    # wildcard namespace; DNS-01: one wildcard per selected namespace (here: default, and `count` app namespaces)
    tls = DNS01 if challenge == "dns01" else {"email": "ops@example.com"}
    services = {f"s{i:02d}": {"image": IMAGE} for i in range(count)} if challenge == "http01" else {
        "api": {"image": IMAGE}}
    config = {"tls": tls, "ingress": "kourier", "services": services,
              "appNamespaces": namespaces(count) if challenge == "dns01" else {}}
    if not refused:
        accepted(**config)
        return
    (problem,) = problems(**config)
    assert problem.startswith(f"tls: needs {count + 1 if challenge == 'dns01' else count} certificates under "
                              "example.com, more than the 50 new certificates Let's Encrypt issues per registered "
                              "domain in a week")
