"""``GkeCluster``: a secure-by-default GKE Standard cluster, its network, and a Kubernetes provider for it.

The component only wires: every argument comes from
:mod:`knative_platform.gcp_args.gke`, built from a validated
:class:`~knative_platform.model.cluster.cluster.GkeClusterSpec`. It creates, through one
explicit ``gcp.Provider`` (never the ambient ``gcp:*`` config):

* a VPC, the nodes' subnet with secondary ranges for pods and services, and a
  Cloud Router with Cloud NAT, so private nodes can pull public images;
* a firewall rule from the control plane's range to the nodes on the webhook
  ports (Knative's 8443), without which Knative's webhook times out;
* a least-privilege node service account and its IAM roles;
* optionally a Cloud KMS key ring and key for Secrets, usable by GKE's agent;
* the cluster and its node pools, which wait for NAT, firewall and IAM;
* a reserved regional IP for the platform gateway, and optionally ``*.<domain>``
  in Cloud DNS pointing at it;
* a kubeconfig (``gke-gcloud-auth-plugin``; a Pulumi secret) and a Kubernetes
  provider with a stable ``cluster_identifier``, created after the node pools.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from .gcp_args import gke as build
from .model.cluster.cluster import GkeClusterSpec
from .model.cluster.cluster_rules import gke_cluster_problems
from .model.service.identity import workload_pool
from .runtime.errors import checked


@dataclass(frozen=True)
class GkeClusterArgs:
    """The cluster's spec, and the platform's domain (for the optional ``*.<domain>`` DNS record).

    ``dns_records`` are names below the domain that get an address record of
    their own too (:func:`~knative_platform.model.platform.hosts.dns_record_names`): each served
    namespace's ``*.<ns>.<domain>`` and each custom domain under the domain.
    """

    spec: GkeClusterSpec
    """The validated cluster spec."""
    domain: str | None = None
    """The platform's domain; with ``spec.dns``, ``*.<domain>`` points at the gateway's address."""
    dns_records: tuple[str, ...] = ()
    """Names below the domain that get an address record of their own."""


class GkeCluster(pulumi.ComponentResource):
    """One GKE cluster, ready for Knative: its outputs are what :class:`~knative_platform.Platform` connects to."""

    provider: k8s.Provider
    gcp_provider: gcp.Provider
    identifier: str
    cluster_name: pulumi.Output[str]
    cluster_location: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    ingress_address: pulumi.Output[str]
    workload_pool: pulumi.Output[str]
    node_pools: dict[str, gcp.container.NodePool]
    webhook_firewall: gcp.compute.Firewall

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = args.spec
        checked(gke_cluster_problems(spec, "cluster", args.domain))
        super().__init__("knative-platform:index:GkeCluster", name, None, opts)
        names = build.gcp_names(spec)
        self.identifier = spec.identifier
        self.gcp_provider = gcp.Provider(f"{name}-gcp", project=spec.project, region=spec.region,
                                         opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=self.gcp_provider)
        network, subnet, nat = self._network(name, spec, names, child)
        node_account, node_roles = self._node_identity(name, spec, names, network, child)
        kms_key, kms_ready = self._secrets_key(name, spec, child)
        cluster = self._cluster(name, spec, network, subnet, node_account, kms_key, kms_ready)
        self.node_pools = self._node_pools(name, spec, cluster, node_account, [nat, self.webhook_firewall, *node_roles])
        self.ingress_address = self._gateway_address(name, spec, names, args, child)
        self._connection(name, spec, cluster)
        self.register_outputs({
            "clusterName": self.cluster_name,
            "clusterLocation": self.cluster_location,
            "clusterEndpoint": self.endpoint,
            "kubeconfig": self.kubeconfig,
            "ingressAddress": self.ingress_address,
            "workloadIdentityPool": self.workload_pool,
            "nodeServiceAccount": node_account.email,
        })

    @staticmethod
    def _network(name: str, spec: GkeClusterSpec, names: build.GcpNames, child: pulumi.ResourceOptions,
                 ) -> tuple[gcp.compute.Network, gcp.compute.Subnetwork, gcp.compute.RouterNat]:
        """The VPC, the nodes' subnet (with secondary ranges for pods and services) and Cloud NAT."""
        network = gcp.compute.Network(f"{name}-network", name=names.network, project=spec.project,
                                      auto_create_subnetworks=False, routing_mode="REGIONAL", opts=child)
        subnet = gcp.compute.Subnetwork(f"{name}-subnet", network=network.id, **build.subnet_args(spec), opts=child)
        router = gcp.compute.Router(f"{name}-router", name=names.router, project=spec.project, network=network.id,
                                    region=spec.region, opts=child)
        nat = gcp.compute.RouterNat(f"{name}-nat", router=router.name, **build.nat_args(spec), opts=child)
        return network, subnet, nat

    def _node_identity(self, name: str, spec: GkeClusterSpec, names: build.GcpNames, network: gcp.compute.Network,
                       child: pulumi.ResourceOptions) -> tuple[gcp.serviceaccount.Account, list[pulumi.Resource]]:
        """The nodes' least-privilege account, its roles, and the webhook firewall rule to the nodes it runs."""
        node_account = gcp.serviceaccount.Account(
            f"{name}-nodes", account_id=names.node_service_account, project=spec.project,
            display_name=f"GKE nodes of {spec.name} (logging, monitoring, Artifact Registry read)", opts=child)
        node_roles: list[pulumi.Resource] = [
            gcp.projects.IAMMember(f"{name}-nodes-{role.removeprefix('roles/').replace('.', '-')}",
                                   project=spec.project, role=role, member=node_account.member, opts=child)
            for role in build.NODE_SERVICE_ACCOUNT_ROLES
        ]
        self.webhook_firewall = gcp.compute.Firewall(
            f"{name}-control-plane-webhooks", network=network.id, target_service_accounts=[node_account.email],
            **build.webhook_firewall_args(spec), opts=child)
        return node_account, node_roles

    def _cluster(self, name: str, spec: GkeClusterSpec, network: gcp.compute.Network,
                 subnet: gcp.compute.Subnetwork, node_account: gcp.serviceaccount.Account,
                 kms_key: pulumi.Input[str] | None, kms_ready: list[pulumi.Resource]) -> gcp.container.Cluster:
        """The cluster itself (its default pool is throwaway: the node pools are separate resources)."""
        return gcp.container.Cluster(
            f"{name}-cluster",
            **build.cluster_args(spec, network=network.id, subnetwork=subnet.id,
                                 node_service_account=node_account.email, kms_key=kms_key),
            # protect: a stray `pulumi destroy` must not delete prod; flip relax.noDeletionProtection first
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.gcp_provider, protect=spec.deletion_protection, depends_on=kms_ready,
                # only the throwaway default pool reads these; editing them must not replace the cluster
                ignore_changes=["nodeConfig", "initialNodeCount"]),
        )

    def _node_pools(self, name: str, spec: GkeClusterSpec, cluster: gcp.container.Cluster,
                    node_account: gcp.serviceaccount.Account,
                    ready: list[pulumi.Resource]) -> dict[str, gcp.container.NodePool]:
        """Each node pool, by name, after ``ready`` (NAT, the webhook firewall, the nodes' roles)."""
        return {
            pool.name: gcp.container.NodePool(
                f"{name}-{pool.name}",
                **build.node_pool_args(spec, pool, cluster=cluster.id, node_service_account=node_account.email),
                # private nodes pull images through NAT, Knative's webhook needs the firewall from the first pod,
                # and nodes must be able to write logs and pull images as soon as they boot
                opts=pulumi.ResourceOptions(parent=self, provider=self.gcp_provider, depends_on=ready,
                                            ignore_changes=["initialNodeCount"]),
            )
            for pool in spec.pools
        }

    @staticmethod
    def _gateway_address(name: str, spec: GkeClusterSpec, names: build.GcpNames, args: GkeClusterArgs,
                         child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """The platform gateway's reserved address, and the stack's DNS records pointing at it."""
        address = gcp.compute.Address(
            f"{name}-gateway", name=names.gateway_address, project=spec.project, region=spec.region,
            address_type="EXTERNAL", network_tier="PREMIUM", labels=build.resource_labels(spec),
            description=f"External address of the Knative platform gateway on {spec.name}", opts=child)
        if spec.dns is not None and args.domain is not None:
            gcp.dns.RecordSet(
                f"{name}-wildcard-dns", name=build.wildcard_record_name(args.domain), type="A", ttl=spec.dns.ttl,
                managed_zone=spec.dns.zone, project=spec.dns.project or spec.project, rrdatas=[address.address],
                opts=child)
            # A DNS-01 challenge record _acme-challenge.<ns>.<domain> makes <ns>.<domain> an empty non-terminal,
            # which *.<domain> no longer matches (RFC 4592 2.2.2, cert-manager/cert-manager#806): each served
            # namespace (and custom domain) below the domain answers from a record of its own.
            for record in args.dns_records:
                gcp.dns.RecordSet(
                    f"{name}-dns-{record.replace('*', 'wildcard')}", name=f"{record}.", type="A", ttl=spec.dns.ttl,
                    managed_zone=spec.dns.zone, project=spec.dns.project or spec.project, rrdatas=[address.address],
                    opts=child)
        reserved: pulumi.Output[str] = address.address  # pulumi-gcp is not type-checked (pyproject.toml)
        return reserved

    def _connection(self, name: str, spec: GkeClusterSpec, cluster: gcp.container.Cluster) -> None:
        """How everything else reaches the cluster: its names, endpoint, pool, kubeconfig and Kubernetes provider."""
        dns_endpoint = cluster.control_plane_endpoints_config.apply(
            lambda c: c.dns_endpoint_config.endpoint if c and c.dns_endpoint_config else None)
        ca_certificate = cluster.master_auth.apply(lambda m: m.cluster_ca_certificate if m else None)
        self.cluster_name = cluster.name
        self.cluster_location = cluster.location
        # The Workload Identity pool <project>.svc.id.goog exists only once a cluster with Workload Identity
        # exists in the project; an IAM grant to one of its members made earlier fails with "Error 400: Identity
        # Pool does not exist" (terraform-google-kubernetes-engine #916, fixed there by PR #301 "tying identity
        # namespace output to successful cluster creation"). Read from the cluster's own output, the pool carries
        # the dependency on the cluster to every grant built from it.
        self.workload_pool = cluster.workload_identity_config.apply(
            lambda c: c.workload_pool if c is not None and c.workload_pool else workload_pool(spec.project))
        self.endpoint = pulumi.Output.all(cluster.endpoint, dns_endpoint).apply(
            lambda parts: build.api_server(spec, parts[0], parts[1]))
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.endpoint, ca_certificate, dns_endpoint).apply(
                lambda parts: build.kubeconfig(spec, endpoint=parts[0], ca_certificate=parts[1],
                                               dns_endpoint=parts[2])))
        # The identifier, not the kubeconfig, tells Pulumi which cluster this is: a new kubeconfig (endpoint,
        # CA rotation) then updates the provider instead of replacing every Kubernetes object (pulumi-kubernetes#2745).
        self.provider = k8s.Provider(
            f"{name}-kubernetes", kubeconfig=self.kubeconfig, cluster_identifier=self.identifier,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.node_pools.values())))

    def _secrets_key(self, name: str, spec: GkeClusterSpec,
                     child: pulumi.ResourceOptions) -> tuple[pulumi.Input[str] | None, list[pulumi.Resource]]:
        """The KMS key for Secrets (created, or the stack's own) and what must exist before the cluster uses it."""
        if spec.relaxations.google_managed_encryption:
            return None, []
        if spec.secrets_encryption.key:
            return spec.secrets_encryption.key, []
        key_ring = gcp.kms.KeyRing(f"{name}-key-ring", name=spec.kms_key_ring, project=spec.project,
                                   location=spec.region, opts=child)
        key = gcp.kms.CryptoKey(
            f"{name}-secrets-key", name=build.gcp_names(spec).crypto_key, key_ring=key_ring.id,
            purpose="ENCRYPT_DECRYPT", rotation_period=f"{spec.secrets_encryption.rotation_days * 86400}s",
            labels=build.resource_labels(spec),
            # destroying the key makes every Secret in etcd unreadable: protected like the cluster
            opts=pulumi.ResourceOptions(parent=self, provider=self.gcp_provider, protect=spec.deletion_protection))
        project = gcp.organizations.get_project_output(
            project_id=spec.project, opts=pulumi.InvokeOutputOptions(provider=self.gcp_provider, parent=self))
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-key-gke-agent", crypto_key_id=key.id, role=build.KMS_ENCRYPTER_ROLE,
            member=project.number.apply(build.gke_service_agent), opts=child)
        return key.id, [grant]
