"""``Platform``: one environment, composed from its validated spec.

It connects to the cluster, creates the namespaces services live in, and
deploys every service as a :class:`~components.app.KnativeApp` through one
explicit Kubernetes provider. ``__main__.py`` builds one Platform per stack and
exports :meth:`Platform.stack_outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .app import KnativeApp, KnativeAppArgs
from .manifests.knative import render_namespace
from .manifests.urls import CLUSTER_LOCAL_DOMAIN
from .spec.platform import ExistingCluster, PlatformSpec


@dataclass(frozen=True)
class PlatformArgs:
    """The stack's spec, and the kubeconfig content (a Pulumi secret) when the stack provides one."""

    spec: PlatformSpec
    kubeconfig: pulumi.Input[str] | None = None


class Platform(pulumi.ComponentResource):
    """The whole environment: cluster connection, namespaces and apps."""

    provider: k8s.Provider
    domain: pulumi.Output[str]
    apps: dict[str, KnativeApp]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:Platform", name, None, opts)
        spec = args.spec
        self.provider = self._existing_cluster_provider(spec.cluster, args.kubeconfig)
        self.domain = pulumi.Output.from_input(spec.domain or CLUSTER_LOCAL_DOMAIN)

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=self.provider)
        namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for ns in sorted({s.namespace for s in spec.services} - {"default"}):
            manifest = render_namespace(ns)
            namespaces[ns] = k8s.core.v1.Namespace(f"namespace-{ns}", metadata=manifest["metadata"], opts=k8s_opts)

        self.apps = {}
        for service in spec.services:
            self.apps[service.name] = KnativeApp(
                service.name,
                KnativeAppArgs(
                    service=service,
                    provider=self.provider,
                    domain=self.domain,
                    depends_on=[namespaces[service.namespace]] if service.namespace in namespaces else [],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(self.stack_outputs())

    def _existing_cluster_provider(
        self, cluster: ExistingCluster, kubeconfig: pulumi.Input[str] | None
    ) -> k8s.Provider:
        """A provider for a cluster we do not create; a stable identifier keeps kubeconfig edits from replacing it."""
        return k8s.Provider(
            "kubernetes",
            kubeconfig=kubeconfig if kubeconfig is not None else cluster.kubeconfig,
            context=cluster.context,
            cluster_identifier=cluster.identifier,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def stack_outputs(self) -> dict[str, Any]:
        """What the stack exports: the domain and, per service, its URL, tag URLs and revision."""
        return {
            "domain": self.domain,
            "serviceUrls": {name: app.url for name, app in sorted(self.apps.items())},
            "tagUrls": {name: app.tag_urls for name, app in sorted(self.apps.items())},
            "revisions": {name: app.revision_name for name, app in sorted(self.apps.items())},
        }
