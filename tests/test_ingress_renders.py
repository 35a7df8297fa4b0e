"""The ingress renderers author no known class of defect, for every committed stack and for generated specs.

The checks (tests/ingress_checks.py) describe defects of our own renderers, so they are tests, not config
errors: here they run over exactly what ``Platform`` hands the kgateway component and Knative (issue 19 item 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingress_checks import ingress_problems

from knative_platform.manifests.gateway_tls import gateway_tls, kgateway_objects
from knative_platform.manifests.knative_config import config_network
from knative_platform.model.cluster.existing import gateway_node_ports
from knative_platform.model.platform.app_namespaces import public_app_namespaces
from knative_platform.model.platform.hosts import public_hosts
from knative_platform.model.platform.knative import Ingress
from knative_platform.model.platform.platform import PlatformSpec, build_platform_spec, platform_served_names
from knative_platform.offline.stackfile import load_program_config

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
IMAGE = "ghcr.io/knative/helloworld-go@sha256:" + "d2af882a7ae7d49c61ae14a35dac42825ccf455ba616d8e5c1f4fa8fdcf09807"


def _problems(spec: PlatformSpec) -> list[str]:
    """What the checks find in the objects Platform has rendered for ``spec`` (as Platform passes them on)."""
    network = spec.knative.network
    served = platform_served_names(spec)
    gateway = gateway_tls(spec.tls, spec.ingress, served, spec.domain or "")
    node_ports = gateway_node_ports(spec.cluster)
    hosts = public_hosts(spec.services, spec.domain or "", network.domain_template, network.tag_template)
    config = config_network(spec.knative, spec.ingress, spec.tls, public_app_namespaces(spec.app_namespaces,
                                                                                        spec.services))
    return [f"{p.path}: {p.message}" for p in ingress_problems(kgateway_objects(gateway, node_ports), config,
                                                                 gateway, hosts, node_ports)]


def _stack_spec(stack: str, ingress: str | None = None) -> PlatformSpec:
    program = load_program_config(ROOT, stack)
    config = {k.split(":", 1)[1]: json.loads(v) if v[:1] in "[{" else v for k, v in program.config.items()
              if k.startswith("knative-platform:")}
    if ingress is not None:
        config["ingress"] = ingress
    return build_platform_spec(stack, config)


def test_every_committed_stack_is_covered():
    assert STACKS == ["dev", "local", "prod", "staging"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_renders_of_every_committed_stack_pass_the_ingress_checks(stack):
    spec = _stack_spec(stack)
    if spec.ingress is not Ingress.KGATEWAY:
        # local runs Kourier; its file documents the switch to kgateway, which must render cleanly too
        spec = _stack_spec(stack, "kgateway")
    assert spec.ingress is Ingress.KGATEWAY
    assert _problems(spec) == []


_names = st.text("abcdefghij", min_size=1, max_size=6)
_namespaces = st.sampled_from(["default", "team-a", "team-b"])


@st.composite
def _configs(draw):
    tls = draw(st.sampled_from([None, "dns01", "dns01-enabled"]))
    services = {}
    for name in draw(st.lists(_names, min_size=1, max_size=3, unique=True)):
        service = {"image": IMAGE, "namespace": draw(_namespaces)}
        if draw(st.booleans()):
            service |= {"revision": "v2", "traffic": {"canary": {"stable": "v1", "candidate": "v2", "percent": 10}}}
        if draw(st.booleans()):
            service["visibility"] = "cluster-local"
        elif draw(st.booleans()):
            service["domains"] = [f"{name}.example.com"]  # a public service's own domain
        services[name] = service
    config = {
        "cluster": draw(st.sampled_from([{"type": "existing", "context": "kind"},
                                         {"type": "existing", "context": "kind", "gatewayService": "NodePort"}])),
        "domain": draw(st.sampled_from(["knative.example.com", "apps.example.org"])),
        "services": services,
        "appNamespaces": {ns: {} for ns in draw(st.lists(st.sampled_from(["team-a", "team-c"]), unique=True))},
    }
    if tls is not None:
        config["tls"] = {"email": "ops@example.com", "challenge": "dns01",
                         "httpProtocol": "enabled" if tls == "dns01-enabled" else "redirected",
                         "cloudDns": {"project": "dns-project", "dnsZones": [config["domain"], "example.com"],
                                      "serviceAccount": "cert-manager@dns-project.iam.gserviceaccount.com"}}
    return config


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_configs())
def test_generated_specs_render_without_an_ingress_defect(config):
    # every generated config is a valid one (no SpecError), so the checks run on every example
    assert _problems(build_platform_spec("generated", config)) == []
