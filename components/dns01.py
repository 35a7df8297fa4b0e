"""``Dns01Identity``: the Google identity cert-manager uses to answer DNS-01 challenges in Cloud DNS.

With ``tls.challenge: dns01`` on a cluster the platform creates, nobody has to
make this account by hand: the component creates a dedicated Google service
account, grants it ``roles/dns.admin`` on the Cloud DNS project, and lets the
Kubernetes service account ``cert-manager/cert-manager`` act as it through
Workload Identity. No key is ever created. cert-manager's chart is annotated
with the account's e-mail and waits for both grants, so the first certificate
request already has its permissions.

The Workload Identity grant names a member of the cluster's pool
(``<project>.svc.id.goog``), which GKE creates with the first Workload
Identity cluster of the project: on a fresh project a grant made before the
cluster fails with ``Error 400: Identity Pool does not exist``
(terraform-google-kubernetes-engine #916; its PR #301 ties the pool to the
cluster's creation the same way). So the member is built from the cluster's
``workload_identity_config.workload_pool`` output and the grant waits for the
cluster; the account and its DNS role do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .manifests.tls import DNS_ADMIN_ROLE, WORKLOAD_IDENTITY_USER_ROLE, cert_manager_workload_identity, dns01_account_id
from .model.cluster.cluster import GkeClusterSpec


@dataclass(frozen=True)
class Dns01IdentityArgs:
    """The cluster cert-manager runs on, the project holding the DNS zones, and the GCP provider to use.

    ``workload_pool`` is the cluster's Workload Identity pool as the cluster
    reports it (:attr:`knative_platform.gke.GkeCluster.workload_pool`), so the grant
    waits for the cluster that creates the pool.
    """

    cluster: GkeClusterSpec
    """The GKE cluster cert-manager runs on."""
    dns_project: str
    """The project holding the Cloud DNS zones the solver writes in."""
    gcp_provider: gcp.Provider
    """The GCP provider the account and its grants are created with."""
    workload_pool: pulumi.Input[str]
    """The cluster's Workload Identity pool, as the cluster reports it."""


class Dns01Identity(pulumi.ComponentResource):
    """A keyless Google service account for cert-manager's DNS-01 solver; :attr:`ready` holds its grants."""

    email: pulumi.Output[str]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: Dns01IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:Dns01Identity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.gcp_provider)
        cluster = args.cluster
        account = gcp.serviceaccount.Account(
            f"{name}-account",
            account_id=dns01_account_id(cluster.name),
            project=cluster.project,
            display_name=f"cert-manager DNS-01 on {cluster.name} (Cloud DNS, via Workload Identity)",
            opts=child,
        )
        dns_admin = gcp.projects.IAMMember(
            f"{name}-dns-admin", project=args.dns_project, role=DNS_ADMIN_ROLE, member=account.member, opts=child,
        )
        impersonation = gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            service_account_id=account.name,
            role=WORKLOAD_IDENTITY_USER_ROLE,
            member=pulumi.Output.from_input(args.workload_pool).apply(cert_manager_workload_identity),
            opts=child,
        )
        self.email = account.email
        self.ready = [dns_admin, impersonation]
        self.register_outputs({"email": self.email})
