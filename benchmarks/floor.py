"""The floors: programs that register the platform's resource graph for N services and do nothing else.

What the *same-graph* floor includes, resource for resource the graph the real
program registers for a ``bench`` stack (an existing cluster, Kourier, sslip.io):

- the read of the stack's own previous outputs (the engine's ``readStackOutputs`` invoke, before anything
  registers);
- the ``Platform`` component and its Kubernetes provider (context, cluster identifier, server-side apply);
- ``KnativeServing`` with Serving's CRDs and core as ``yaml/v2`` ConfigFiles and its seven ConfigMapPatches;
- ``Kourier`` with its release ConfigFile and ``config-kourier`` patch;
- one Namespace per namespace the services use;
- per service, a ``KnativeApp`` component with its Knative Service as a ``CustomResource`` child, which
  depends on its namespace and the nine resources the platform waits for, and the component's outputs;
- the same stack outputs (URLs, tag URLs, traffic, and the revision record the program keeps per service,
  :func:`~benchmarks.shapes.floor_revisions`).

The *minimal* floor (``history=False``) registers the same resources without
any revision history: no read of the stack's own outputs, no revision record
in the stack's outputs. The program against it is what the
whole product costs, history included; against the same-graph floor, what the
program's own work costs.

``tests/test_cost.py`` checks that the same-graph floor's graph is the
program's (the same resources, parents and dependency counts, and outputs of
the same shape) and that the minimal floor's is the program's without the read
and the record.

Every value is a plain dict or string written out here (the release URLs and
version come from ``knative_platform.versions``, so a Knative bump moves the
floor with the program): no decoding, validation, rendering or ``Output.apply``.
The ConfigMaps' data are stand-ins of similar size.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from knative_platform.runtime.history import READ_STACK_OUTPUTS, self_reference_name
from knative_platform.versions import KNATIVE_VERSION, NET_KOURIER, SERVING_CORE, SERVING_CRDS

from .shapes import NAMESPACES, floor_manifest, floor_revisions, name, namespace

CONFIG_MAPS = ("config-autoscaler", "config-defaults", "config-deployment", "config-domain", "config-features",
               "config-gc", "config-network")


def _patch(name: str, ns: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.ConfigMapPatch:
    metadata = {"name": name, "namespace": ns, "annotations": {"pulumi.com/patchForce": "true"}}
    return k8s.core.v1.ConfigMapPatch(name, metadata=metadata, data={"setting": "value"}, opts=opts)


class KnativeServing(pulumi.ComponentResource):
    """Serving's CRDs and core, then its ConfigMaps; ``ready`` is what apps wait for."""

    def __init__(self, provider: k8s.Provider, opts: pulumi.ResourceOptions) -> None:
        super().__init__("knative-platform:index:KnativeServing", "knative", None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        crds = k8s.yaml.v2.ConfigFile("serving-crds", file=SERVING_CRDS.url, opts=child)
        self.core = k8s.yaml.v2.ConfigFile(
            "serving-core", file=SERVING_CORE.url,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[crds])))
        after_core = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.core]))
        self.ready = [_patch(n, "knative-serving", after_core) for n in CONFIG_MAPS]
        self.register_outputs({"version": KNATIVE_VERSION, "configMaps": list(CONFIG_MAPS)})


class Kourier(pulumi.ComponentResource):
    """Kourier's release and its ConfigMap patch."""

    def __init__(self, provider: k8s.Provider, core: pulumi.Resource, opts: pulumi.ResourceOptions) -> None:
        super().__init__("knative-platform:index:Kourier", "kourier", None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[core])
        self.ready = [k8s.yaml.v2.ConfigFile("net-kourier", file=NET_KOURIER.url, opts=child),
                      _patch("config-kourier", "kourier-system", child)]
        self.register_outputs({"ingressClass": "kourier.ingress.networking.knative.dev"})


class App(pulumi.ComponentResource):
    """One service: its Knative Service, written out as a plain dict, and the component's outputs."""

    def __init__(self, i: int, provider: k8s.Provider, depends_on: list[pulumi.Resource], history: bool,
                 opts: pulumi.ResourceOptions) -> None:
        svc = name(i)
        super().__init__("knative-platform:index:KnativeApp", svc, None, opts)
        manifest = floor_manifest(i)
        k8s.apiextensions.CustomResource(
            svc, api_version=manifest["apiVersion"], kind=manifest["kind"], metadata=manifest["metadata"],
            spec=manifest["spec"], opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on))
        host = f"{svc}.{namespace(i)}.127.0.0.1.sslip.io"
        self.outputs = {"url": f"http://{host}",
                        "tagUrls": {"stable": f"http://stable-{host}", "canary": f"http://canary-{host}"},
                        "domainUrls": {}, "revisionName": f"{svc}-v2", "traffic": manifest["spec"]["traffic"]}
        self.register_outputs(self.outputs)
        self.revisions = floor_revisions(i) if history else None


class Platform(pulumi.ComponentResource):
    """The environment: provider, Knative, Kourier, namespaces and one App per service."""

    def __init__(self, services: int, history: bool) -> None:
        if history:  # the read the program's revision checks need; the record is written out below regardless
            pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": self_reference_name()})
        super().__init__("knative-platform:index:Platform", "platform", None, None)
        provider = k8s.Provider("kubernetes", context="kind-knative", cluster_identifier="existing/kind-knative",
                                enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self))
        knative = KnativeServing(provider, pulumi.ResourceOptions(parent=self))
        kourier = Kourier(provider, knative.core, pulumi.ResourceOptions(parent=self))
        ready = [*knative.ready, *kourier.ready]
        ns_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        namespaces = {
            namespace(i): k8s.core.v1.Namespace(f"namespace-{namespace(i)}", metadata={"name": namespace(i)},
                                                opts=ns_opts)
            for i in range(min(services, NAMESPACES))
        }
        apps = {name(i): App(i, provider, [namespaces[namespace(i)], *ready], history,
                             pulumi.ResourceOptions(parent=self))
                for i in range(services)}
        keys = (("serviceUrls", "url"), ("tagUrls", "tagUrls"), ("domainUrls", "domainUrls"), ("traffic", "traffic"))
        by_app = {key: {svc: app.outputs[out_key] for svc, app in apps.items()} for key, out_key in keys}
        if history:
            by_app["revisions"] = {svc: app.revisions for svc, app in apps.items()}
        curl = {svc: f'curl -H "Host: {app.outputs["url"][len("http://"):]}" http://127.0.0.1'
                for svc, app in apps.items()}
        self.stack_outputs: dict[str, Any] = {
            "clusterIdentifier": "existing/kind-knative", "domain": "127.0.0.1.sslip.io", "https": False,
            "domainTemplate": "{{.Name}}.{{.Namespace}}.{{.Domain}}", "tagTemplate": "{{.Tag}}-{{.Name}}",
            "gatewayAddress": "127.0.0.1",
            "versions": {"knative-serving": KNATIVE_VERSION, "net-kourier": KNATIVE_VERSION}, **by_app,
            "curl": curl,
        }
        self.register_outputs({k: v for k, v in self.stack_outputs.items() if k != "revisions"})


def program(services: int, history: bool = True) -> None:
    """Register the graph for ``services`` services (see the module docstring) and export the stack outputs.

    ``history``: the same-graph floor; without it, the minimal floor.
    """
    platform = Platform(services, history)
    for key, value in platform.stack_outputs.items():
        pulumi.export(key, value)
