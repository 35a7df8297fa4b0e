"""``KnativeServing``: Knative Serving at the pinned release, configured by the platform's typed settings.

Order, explicit in the resource graph:

1. ``serving-crds`` (yaml/v2 ConfigFile of the pinned release asset);
2. ``serving-core``, after the CRDs. yaml/v2 awaits every object it applies,
   so the core is done only when the ``webhook`` Deployment is ready;
3. the ``config-*`` ConfigMap patches, after the core: a ConfigMap write in
   ``knative-serving`` passes Knative's config webhook, which must be serving
   (and after ``config_after``, e.g. cert-manager, when TLS needs it);
4. when Knative provisions certificates (Kourier with TLS), a restart of the
   Serving controller (it reads ``external-domain-tls`` only at start);
5. apps, which the Platform makes depend on :attr:`KnativeServing.ready`.

Knative rewrites its webhook configurations at run time (``caBundle``,
``rules``) and Kubernetes fills aggregated ClusterRoles' ``rules``; a transform
leaves those fields out of what Pulumi applies, so server-side apply never
makes Pulumi their owner (:mod:`knative_platform.manifests.bundles`).
``serving-post-install-jobs.yaml`` is never applied here: it uses
``generateName``, which server-side apply refuses (docs/knative.md, "Upgrading").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .manifests.bundles import without_controller_owned_fields
from .manifests.knative_config import config_domain, knative_config_maps
from .manifests.tls import controller_restart_patch, tls_config_hash
from .model.platform.knative import Ingress, KnativeSettings, knative_problems
from .model.tls.tls import TlsSpec, platform_terminates_tls, tls_problems
from .runtime.errors import checked


def leave_controller_owned_fields(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Resource transform on the release bundles: never send fields upstream controllers own at run time.

    Server-side apply would make Pulumi their owner and the next apply would
    conflict with Knative's webhook or Kubernetes' role aggregation; see
    :mod:`knative_platform.manifests.bundles`. The transform runs on every child of
    a yaml/v2 ConfigFile (Pulumi ``transforms`` reach the children of
    provider-side components).
    """
    kind = args.type_.rsplit(":", 1)[-1]
    props = without_controller_owned_fields(kind, args.props)
    if props is None:
        return None
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


@dataclass(frozen=True)
class KnativeServingArgs:
    """What Knative Serving needs: the cluster, the settings, the platform's domain and networking choices.

    ``domain`` may be known only after apply (``<reserved ip>.sslip.io``).
    ``config_after`` holds resources the ConfigMaps must wait for, such as
    cert-manager's ClusterIssuer: ``external-domain-tls`` needs its CRDs first.
    """

    provider: k8s.Provider
    """The Kubernetes provider of the cluster."""
    domain: pulumi.Input[str]
    """The platform's domain (config-domain); may be known only after apply."""
    settings: KnativeSettings = field(default_factory=KnativeSettings)
    """Knative's ConfigMap settings from the stack's ``knative`` key."""
    ingress: Ingress = Ingress.KGATEWAY
    """The networking layer: kgateway (Gateway API) or Kourier."""
    tls: TlsSpec | None = None
    """Automatic TLS, when the stack turns it on."""
    public_namespaces: tuple[str, ...] = ()
    """The namespaces with public services: with DNS-01 TLS, Knative requests a wildcard certificate for each
    (``namespace-wildcard-cert-selector``)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before Serving's CRDs and core."""
    config_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the ConfigMaps wait for, such as cert-manager's ClusterIssuer."""


class KnativeServing(pulumi.ComponentResource):
    """Serving's CRDs, core and ConfigMaps; :attr:`ready` is what apps must wait for."""

    crds: k8s.yaml.v2.ConfigFile
    core: k8s.yaml.v2.ConfigFile
    config: dict[str, k8s.core.v1.ConfigMapPatch]
    controller_restart: k8s.apps.v1.DeploymentPatch | None
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KnativeServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        checked(knative_problems(args.settings) + (tls_problems(args.tls) if args.tls else []))
        super().__init__("knative-platform:index:KnativeServing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        self.crds = k8s.yaml.v2.ConfigFile(
            "serving-crds",
            file=versions.SERVING_CRDS.url,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(args.depends_on))),
        )
        self.core = k8s.yaml.v2.ConfigFile(
            "serving-core",
            file=versions.SERVING_CORE.url,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=[self.crds], transforms=[leave_controller_owned_fields])),
        )

        after_core = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
            depends_on=[self.core, *args.config_after]))
        maps = knative_config_maps(args.settings, args.ingress, args.tls, args.public_namespaces)
        self.config = {}
        for manifest in maps:
            self.config[manifest["metadata"]["name"]] = self._patch(manifest, after_core)
        domain_map = pulumi.Output.from_input(args.domain).apply(config_domain)
        self.config["config-domain"] = k8s.core.v1.ConfigMapPatch(
            "config-domain",
            metadata=domain_map.apply(lambda m: m["metadata"]),
            data=domain_map.apply(lambda m: m["data"]),
            opts=after_core,
        )

        self.controller_restart = None
        if args.tls is not None and not platform_terminates_tls(args.ingress, args.tls):
            # The controller reads external-domain-tls and config-certmanager only at start
            # (knative/serving knative-v1.23.0 cmd/controller/main.go); on kgateway neither is used.
            tls_maps = [m for m in maps if m["metadata"]["name"] in ("config-network", "config-certmanager")]
            restart = controller_restart_patch(tls_config_hash(tls_maps))
            self.controller_restart = k8s.apps.v1.DeploymentPatch(
                "controller-restart",
                metadata=restart["metadata"],
                spec=restart["spec"],
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=[self.config[n] for n in sorted(self.config)])),
            )
        self.ready = [self.config[n] for n in sorted(self.config)]
        if self.controller_restart is not None:
            self.ready.append(self.controller_restart)
        self.register_outputs({"version": versions.SERVING_CORE.version, "configMaps": sorted(self.config)})

    def _patch(self, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> k8s.core.v1.ConfigMapPatch:
        """A server-side-apply patch owning exactly the rendered keys of one of Knative's ConfigMaps."""
        return k8s.core.v1.ConfigMapPatch(
            manifest["metadata"]["name"],
            metadata=manifest["metadata"],
            data=manifest["data"],
            opts=opts,
        )
