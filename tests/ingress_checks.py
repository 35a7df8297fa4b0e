"""Checks on what the platform's renderers author for a stack's ingress: defects of our own code, not of a config.

The spec rules (:mod:`knative_platform.model.tls.tls_rules`, :mod:`knative_platform.model.cluster.existing`)
refuse stacks that cannot work; these checks guard the renders themselves
against the classes of defect an audit against upstream found (shared research
``upstream-audit.md``, F2-F7 and S1). They ran in ``Platform`` as user-facing config errors until issue 19; a
finding is a bug of ours, so they are tests now (tests/test_ingress_renders.py runs them over every committed
stack's renders and over generated specs), and a renderer change that brings a defect back fails the suite:

- ``config-gateway`` names no ``service`` (F2, F3);
- Gateway listeners use only ports 80 and 443, the only ones net-gateway-api
  probes through a Gateway's status address (F2, F3);
- when the platform terminates TLS, every public host Knative advertises, and
  every name it exports as served (declared app namespaces: audit 2, N1), has a
  listener that accepts its namespace's routes and serves a certificate that
  covers it (F4), and Knative's own per-host TLS is off on kgateway (F4);
- ``http-protocol: Redirected`` on kgateway comes with a real redirect (S1);
- no GatewayClass that kgateway owns is authored (F5);
- a NodePort gateway really has its node ports (F7), and 443 only when TLS is
  on (audit 2, M1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from knative_platform.manifests.gateway import EXTERNAL_GATEWAY, HTTP_LISTENER, KGATEWAY_OWN_CLASSES
from knative_platform.manifests.gateway_tls import REDIRECT_ROUTE, GatewayTls, gateway_ports
from knative_platform.model.core.errors import Problem
from knative_platform.model.platform.hosts import PublicHost, covers

PROBED_PORTS = frozenset({80, 443})
"""net-gateway-api ``knative-v1.23.0`` ``pkg/reconciler/ingress/lister.go``: without a ``service`` in
``config-gateway``, "we only support listener ports of 80 and 443"."""
CONFIG_GATEWAY_KEYS = frozenset({"class", "gateway", "supported-features"})


def _fix(what: str) -> str:
    return f"{what} (a defect of the renderers)"


def config_gateway_problems(config_gateway: Mapping[str, Any]) -> list[Problem]:
    """``config-gateway`` entries carry only the keys that work with kgateway (no ``service``)."""
    problems = []
    for key in ("external-gateways", "local-gateways"):
        for entry in yaml.safe_load(config_gateway["data"][key]) or []:
            extra = sorted(set(entry) - CONFIG_GATEWAY_KEYS)
            if extra:
                problems.append(Problem(f"ingress.config-gateway.{key}", _fix(
                    f"sets {', '.join(extra)}: with `service`, DomainMappings get an ExternalName Service kgateway "
                    "cannot route and probes pick a port by name kgateway never uses")))
    return problems


def gateway_problems(gateway: Mapping[str, Any]) -> list[Problem]:
    """A Gateway's listeners: probed ports only, unique names, HTTPS listeners complete."""
    name = gateway["metadata"]["name"]
    problems = []
    seen: set[str] = set()
    for listener in gateway["spec"]["listeners"]:
        where = f"ingress.{name}.listeners.{listener['name']}"
        if listener["name"] in seen:
            problems.append(Problem(where, _fix("listener name is used twice")))
        seen.add(listener["name"])
        if listener["port"] not in PROBED_PORTS:
            problems.append(Problem(where, _fix(f"port {listener['port']} is not 80 or 443, the only ports "
                                                "net-gateway-api probes through the Gateway's address")))
        if listener["protocol"] == "HTTPS" and not (listener.get("hostname") and listener.get("tls", {}).get(
                "certificateRefs")):
            problems.append(Problem(where, _fix("an HTTPS listener needs a hostname and a certificate")))
    return problems


def _listener_matches(listener: Mapping[str, Any], name: str) -> bool:
    """Gateway API ``v1.6.1`` ``Listener.hostname``: exact, or ``*.`` matching one label or more in front."""
    pattern = listener.get("hostname")
    return pattern is None or pattern == name or (pattern.startswith("*.") and name.endswith(pattern[1:]))


def _admits(listener: Mapping[str, Any], namespace: str) -> bool:
    return namespace in listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"]


def _served_by(objects: Mapping[str, Mapping[str, Any]], listeners: Sequence[Mapping[str, Any]], name: str,
               namespace: str) -> bool:
    """Whether an HTTPS listener admitting ``namespace`` answers for ``name`` with a certificate covering it."""
    certificates = {o["spec"]["secretName"]: o["spec"]["dnsNames"] for o in objects.values()
                    if o["kind"] == "Certificate"}
    return any(_listener_matches(lst, name) and _admits(lst, namespace) and any(
        covers(dns_name, name) for ref in lst["tls"]["certificateRefs"]
        for dns_name in certificates.get(ref["name"], ())) for lst in listeners)


def tls_coverage_problems(tls: GatewayTls, objects: Mapping[str, Mapping[str, Any]],
                          hosts: Sequence[PublicHost]) -> list[Problem]:
    """An HTTPS listener admitting its namespace, with a certificate covering it, for every host and served name.

    The names the platform says it serves include the declared app namespaces'.
    """
    gateway = objects[EXTERNAL_GATEWAY]
    listeners = [lst for lst in gateway["spec"]["listeners"] if lst["protocol"] == "HTTPS"]
    problems = []
    for h in hosts:
        if not _served_by(objects, listeners, h.host, h.namespace):
            problems.append(Problem(f"services.{h.service}", _fix(
                f"no HTTPS listener on the external Gateway serves '{h.host}', so its https URL would not answer")))
    for served in tls.served:
        for namespace in served.namespaces:
            own = any(h.namespace == namespace and covers(served.name, h.host) for h in hosts)  # reported above
            if not own and not _served_by(objects, listeners, served.name, namespace):
                problems.append(Problem(f"appNamespaces.{namespace}", _fix(
                    f"no HTTPS listener on the external Gateway serves '{served.name}' for namespace {namespace}")))
    http = next(lst for lst in gateway["spec"]["listeners"] if lst["name"] == HTTP_LISTENER)
    if tls.redirect and http["allowedRoutes"]["namespaces"]["from"] != "Same":
        problems.append(Problem("tls.httpProtocol", _fix("redirected, but Knative's routes still answer plain HTTP")))
    return problems


def ingress_problems(objects: Mapping[str, Mapping[str, Any]], config_network: Mapping[str, Any],
                     tls: GatewayTls | None, hosts: Sequence[PublicHost],
                     node_ports: Mapping[int, int] | None) -> list[Problem]:
    """All checks on the objects the kgateway component authors (:func:`kgateway_objects`) for a stack."""
    problems = config_gateway_problems(objects["config-gateway"])
    for obj in objects.values():
        if obj["kind"] == "Gateway":
            problems += gateway_problems(obj)
        if obj["kind"] == "GatewayClass" and obj["metadata"]["name"] in KGATEWAY_OWN_CLASSES:
            problems.append(Problem("ingress", _fix(f"authors GatewayClass {obj['metadata']['name']}, which kgateway "
                                                    "force-applies itself")))
    data = config_network["data"]
    if data.get("external-domain-tls") == "Enabled":
        problems.append(Problem("tls", _fix("Knative's own certificates on kgateway: net-gateway-api keeps one "
                                            "HTTPS listener per service, so tag hosts get none")))
    if data.get("http-protocol") == "Redirected" and (tls is None or REDIRECT_ROUTE not in objects):
        problems.append(Problem("tls.httpProtocol", _fix("net-gateway-api does not redirect by itself")))
    if tls is not None:
        problems += tls_coverage_problems(tls, objects, hosts)
    if node_ports:
        service = objects[f"{EXTERNAL_GATEWAY}-parameters"]["spec"]["kube"]["service"]
        declared = {p["port"]: p["nodePort"] for p in service.get("ports", [])}
        if service["type"] != "NodePort" or declared != gateway_ports(node_ports, tls):
            problems.append(Problem("cluster.nodePorts", _fix("the external gateway is not on the node ports")))
    return problems
