"""``AutoTls``: cert-manager and a Let's Encrypt ClusterIssuer for the platform's certificates.

cert-manager is installed from its pinned chart with ``crds.enabled=true``, so
its CRDs exist before Knative's ``config-network`` turns
``external-domain-tls`` on (the Serving controller exits at start without
them): :class:`~knative_platform.knative.KnativeServing` waits for :attr:`AutoTls.ready`
before writing its ConfigMaps, then restarts its controller. On kgateway the
platform's own Certificates (:class:`~knative_platform.kgateway.Kgateway`) wait for it too.

The ClusterIssuer is created only once cert-manager's API answers through its
webhook: a Job runs cert-manager's own ``check api`` first
(:func:`~knative_platform.manifests.tls.api_check_objects`), since the chart's hook
that does it is never run by a Chart v4 and the webhook's CA arrives late.

cert-manager's webhook is called by the API server on port 10250 of the
nodes, which GKE's control plane already reaches; no extra firewall rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .manifests.knative import render_system_namespace
from .manifests.tls import (
    API_CHECK,
    CERT_MANAGER_NAMESPACE,
    api_check_objects,
    cert_manager_values,
    render_cluster_issuer,
)
from .model.tls.tls import TlsSpec, tls_problems
from .runtime.errors import checked


@dataclass(frozen=True)
class AutoTlsArgs:
    """The cluster, the TLS settings, and the Knative ingress class HTTP-01 challenges are answered through."""

    provider: k8s.Provider
    """The Kubernetes provider of the cluster."""
    tls: TlsSpec
    """The stack's TLS settings: issuer, challenge, e-mail."""
    ingress_class: str
    """The Knative ingress class HTTP-01 challenges are answered through."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before cert-manager's namespace."""
    dns_service_account: pulumi.Input[str] | None = None
    """The Google service account cert-manager acts as for DNS-01, when the platform created it."""
    dns_zones: Sequence[str] = ()
    """The zones the DNS-01 solver may answer for (its ``selector.dnsZones``)."""


class AutoTls(pulumi.ComponentResource):
    """cert-manager plus the ClusterIssuer; :attr:`ready` holds the issuer (and so cert-manager's CRDs)."""

    issuer_name: str
    versions: dict[str, str]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: AutoTlsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        checked(tls_problems(args.tls))
        super().__init__("knative-platform:index:AutoTls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = render_system_namespace(CERT_MANAGER_NAMESPACE, "tls")
        ns = k8s.core.v1.Namespace(CERT_MANAGER_NAMESPACE, metadata=namespace["metadata"],
                                   opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                                       depends_on=list(args.depends_on))))
        pin = versions.CERT_MANAGER
        chart = k8s.helm.v4.Chart(
            "cert-manager",
            chart=pin.chart,
            version=pin.version,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repository),
            namespace=CERT_MANAGER_NAMESPACE,
            values=cert_manager_values(args.tls, args.dns_service_account),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ns])),
        )
        after_chart = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[chart]))
        account, role, binding, job = api_check_objects(versions.CERT_MANAGER_API_CHECK_IMAGE)
        check_account = k8s.core.v1.ServiceAccount(f"{API_CHECK}-account", metadata=account["metadata"],
                                                   opts=after_chart)
        check_role = k8s.rbac.v1.Role(f"{API_CHECK}-role", metadata=role["metadata"], rules=role["rules"],
                                      opts=after_chart)
        check_binding = k8s.rbac.v1.RoleBinding(f"{API_CHECK}-binding", metadata=binding["metadata"],
                                                role_ref=binding["roleRef"], subjects=binding["subjects"],
                                                opts=after_chart)
        # A Job's template is immutable: a new cert-manager version replaces it, and its fixed name needs the
        # old one gone first. The replacement runs the check again after an upgrade, which is what we want.
        api_check = k8s.batch.v1.Job(API_CHECK, metadata=job["metadata"], spec=job["spec"],
                                     opts=pulumi.ResourceOptions.merge(after_chart, pulumi.ResourceOptions(
                                         depends_on=[check_account, check_role, check_binding],
                                         delete_before_replace=True)))
        issuer = render_cluster_issuer(args.tls, args.ingress_class, args.dns_zones)
        cluster_issuer = k8s.apiextensions.CustomResource(
            "cluster-issuer",
            api_version=issuer["apiVersion"],
            kind=issuer["kind"],
            metadata=issuer["metadata"],
            spec=issuer["spec"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[chart, api_check])),
        )
        self.issuer_name = args.tls.issuer_name
        self.versions = versions.installed(pin)
        self.ready = [chart, cluster_issuer]
        self.register_outputs({"issuer": self.issuer_name, "versions": self.versions})
