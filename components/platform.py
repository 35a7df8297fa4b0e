"""``Platform``: one environment, composed from its validated spec.

It connects to the cluster, creates the namespaces services live in, and
deploys every service as a :class:`~components.app.KnativeApp` through one
explicit Kubernetes provider. ``__main__.py`` builds one Platform per stack and
exports :meth:`Platform.stack_outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .app import KnativeApp, KnativeAppArgs
from .gke import GkeCluster, GkeClusterArgs
from .manifests.knative import render_namespace
from .manifests.urls import CLUSTER_LOCAL_DOMAIN
from .spec.cluster import GkeClusterSpec
from .spec.platform import ExistingCluster, PlatformSpec


@dataclass(frozen=True)
class ClusterConnection:
    """What everything running on Kubernetes needs from the cluster, whichever way the stack gets one.

    ``provider`` is the one Kubernetes provider every Kubernetes resource uses.
    ``kubeconfig`` (a Pulumi secret) is exported for app stacks, when known.
    ``ingress_address`` is the reserved external IP the platform's gateway
    answers on, when the stack has one. ``ready`` lists resources that must
    exist before anything is applied to the cluster (node pools, firewall rules).
    ``outputs`` are stack outputs only this kind of cluster has (GKE:
    ``clusterName``, ``clusterLocation``, ``clusterEndpoint``).
    """

    provider: k8s.Provider
    identifier: str
    kubeconfig: pulumi.Output[str] | None = None
    ingress_address: pulumi.Output[str] | None = None
    ready: tuple[pulumi.Resource, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)


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
        self.cluster = self._connect(spec, args.kubeconfig)
        self.provider = self.cluster.provider
        self.domain = pulumi.Output.from_input(spec.domain or CLUSTER_LOCAL_DOMAIN)

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(self.cluster.ready))
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
                    depends_on=[*self.cluster.ready,
                                *([namespaces[service.namespace]] if service.namespace in namespaces else [])],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(self.stack_outputs())

    def _connect(self, spec: PlatformSpec, kubeconfig: pulumi.Input[str] | None) -> ClusterConnection:
        """Reach the stack's cluster: a GKE cluster the platform creates, or an existing one through a kubeconfig."""
        if isinstance(spec.cluster, GkeClusterSpec):
            gke = GkeCluster(spec.cluster.name, GkeClusterArgs(spec=spec.cluster, domain=spec.domain),
                             opts=pulumi.ResourceOptions(parent=self))
            return ClusterConnection(
                provider=gke.provider,
                identifier=gke.identifier,
                kubeconfig=gke.kubeconfig,
                ingress_address=gke.ingress_address,
                ready=(*gke.node_pools.values(), gke.webhook_firewall),
                outputs={"clusterName": gke.cluster_name, "clusterLocation": gke.cluster_location,
                         "clusterEndpoint": gke.endpoint},
            )
        cluster: ExistingCluster = spec.cluster
        # A stable identifier keeps a kubeconfig edit from previewing as a replacement of every object.
        provider = k8s.Provider(
            "kubernetes",
            kubeconfig=kubeconfig if kubeconfig is not None else cluster.kubeconfig,
            context=cluster.context,
            cluster_identifier=cluster.identifier,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret = pulumi.Output.secret(kubeconfig) if kubeconfig is not None else None
        return ClusterConnection(provider=provider, identifier=cluster.identifier, kubeconfig=secret)

    def stack_outputs(self) -> dict[str, Any]:
        """What the stack exports for people and for app stacks (see PlatformReference).

        ``kubeconfig`` is a secret and present only when the platform knows the
        cluster's credentials; ``clusterIdentifier`` lets app stacks give their
        own Kubernetes provider the same stable identity.
        """
        outputs: dict[str, Any] = {"clusterIdentifier": self.cluster.identifier, **self.cluster.outputs}
        if self.cluster.kubeconfig is not None:
            outputs["kubeconfig"] = self.cluster.kubeconfig
        return outputs | {
            "domain": self.domain,
            "serviceUrls": {name: app.url for name, app in sorted(self.apps.items())},
            "tagUrls": {name: app.tag_urls for name, app in sorted(self.apps.items())},
            "revisions": {name: app.revision_name for name, app in sorted(self.apps.items())},
        }
