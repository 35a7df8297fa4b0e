"""Pure builders for the GKE cluster: GCP resource arguments and the kubeconfig, from a validated spec.

Every function returns plain dicts (snake_case keys, as pulumi-gcp's ``*ArgsDict``
inputs take them) or text, so tests and reviewers can read the hardened
settings without running Pulumi. Values the cloud computes (the network's
self link, the node service account's e-mail, the cluster's endpoint) come in as
arguments; the component passes Pulumi outputs, tests pass strings. No Pulumi
import here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..model.cluster.cluster import GkeClusterSpec
from ..model.cluster.parts import MaintenanceWindow, NodePool, TaintEffect, Weekday
from ..model.service.identity import workload_pool

CONTROL_PLANE_WEBHOOK_PORTS: Mapping[int, str] = {
    8443: "Knative Serving's admission webhook (webhook.knative-serving); without it every Knative Service or "
          "ConfigMap write times out on a private cluster (knative/serving#4868, #13045)",
}
"""Ports the control plane must reach on the nodes beyond GKE's own 443 and 10250, each with its reason.

GKE's firewall rules let the control plane reach nodes only on 443 and 10250.
Admission webhooks that listen elsewhere need a rule of ours. cert-manager's
webhook listens on 10250 for exactly this reason and needs nothing here; add a
port when the platform installs a webhook that listens on another one.
"""

NODE_SERVICE_ACCOUNT_ROLES: tuple[str, ...] = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)
"""What nodes need and nothing more: write logs and metrics, and pull images from Artifact Registry.

Instead of the Compute Engine default account, which has the project-wide
Editor role (CIS GKE 5.2.1). Images in another project's registry need
``roles/artifactregistry.reader`` granted there.
"""

NODE_OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
"""Access is limited by the service account's IAM roles, as Google recommends, not by legacy scopes."""

KMS_ENCRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
PODS_RANGE = "pods"
SERVICES_RANGE = "services"
MAINTENANCE_ANCHOR = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
"""A fixed first day for the recurring maintenance window, so the arguments never change between runs."""
KUBECONFIG_EXEC_API = "client.authentication.k8s.io/v1beta1"
AUTH_PLUGIN = "gke-gcloud-auth-plugin"
AUTH_PLUGIN_HINT = ("Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin); see "
                    "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl")
_GKE_TAINT_EFFECTS = {TaintEffect.NO_SCHEDULE: "NO_SCHEDULE", TaintEffect.PREFER_NO_SCHEDULE: "PREFER_NO_SCHEDULE",
                      TaintEffect.NO_EXECUTE: "NO_EXECUTE"}


@dataclass(frozen=True)
class GcpNames:
    """The physical names of the GCP resources a cluster owns, all derived from the cluster's name."""

    network: str
    subnet: str
    router: str
    nat: str
    webhook_firewall: str
    node_service_account: str
    gateway_address: str
    crypto_key: str = "secrets"


def gcp_names(spec: GkeClusterSpec) -> GcpNames:
    """Explicit, readable names: a reviewer finds each resource in the console by the cluster's name."""
    n = spec.name
    return GcpNames(network=n, subnet=f"{n}-nodes", router=f"{n}-router", nat=f"{n}-nat",
                    webhook_firewall=f"{n}-control-plane-webhooks", node_service_account=f"{n}-nodes",
                    gateway_address=f"{n}-gateway")


def resource_labels(spec: GkeClusterSpec) -> dict[str, str]:
    """The stack's labels plus the platform's own, on the cluster, its nodes and the gateway address."""
    return {**dict(sorted(spec.labels.items())), "managed-by": "pulumi", "platform": "knative-platform",
            "profile": str(spec.profile)}


def gke_service_agent(project_number: str) -> str:
    """GKE's service agent, which needs the KMS key to encrypt Secrets in etcd."""
    return f"serviceAccount:service-{project_number}@container-engine-robot.iam.gserviceaccount.com"


def subnet_args(spec: GkeClusterSpec) -> dict[str, Any]:
    """The nodes' subnet with the pods' and services' secondary ranges (VPC-native)."""
    return {
        "name": gcp_names(spec).subnet,
        "project": spec.project,
        "region": spec.region,
        "ip_cidr_range": spec.network.subnet_cidr,
        "secondary_ip_ranges": [
            {"range_name": PODS_RANGE, "ip_cidr_range": spec.network.pods_cidr},
            {"range_name": SERVICES_RANGE, "ip_cidr_range": spec.network.services_cidr},
        ],
        # private nodes reach Google APIs (Artifact Registry, logging) without the internet
        "private_ip_google_access": True,
    }


def nat_args(spec: GkeClusterSpec) -> dict[str, Any]:
    """Cloud NAT for the whole region: private nodes have no public IP and need it to pull public images."""
    return {
        "name": gcp_names(spec).nat,
        "project": spec.project,
        "region": spec.region,
        "nat_ip_allocate_option": "AUTO_ONLY",
        "source_subnetwork_ip_ranges_to_nat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
        "log_config": {"enable": True, "filter": "ERRORS_ONLY"},
    }


def webhook_firewall_args(spec: GkeClusterSpec) -> dict[str, Any]:
    """Let the control plane call admission webhooks on the nodes (:data:`CONTROL_PLANE_WEBHOOK_PORTS`).

    The target is the node service account rather than a network tag: GKE
    generates the nodes' tags, while the account is ours and known up front.
    """
    ports = sorted(CONTROL_PLANE_WEBHOOK_PORTS)
    return {
        "name": gcp_names(spec).webhook_firewall,
        "project": spec.project,
        "description": "GKE control plane to admission webhooks on the nodes: "
                       + ", ".join(f"{p} ({CONTROL_PLANE_WEBHOOK_PORTS[p].split(';')[0]})" for p in ports),
        "direction": "INGRESS",
        "source_ranges": [spec.network.master_cidr],
        "allows": [{"protocol": "tcp", "ports": [str(p) for p in ports]}],
    }


def maintenance_policy(window: MaintenanceWindow) -> dict[str, Any]:
    """A recurring window: ``hours`` from ``start`` UTC on ``days``, counted from a fixed first day."""
    hour, minute = (int(part) for part in window.start.split(":"))
    start = MAINTENANCE_ANCHOR.replace(hour=hour, minute=minute)
    end = start + datetime.timedelta(hours=window.hours)
    days = [d for d in Weekday if d in window.days]
    recurrence = "FREQ=DAILY" if len(days) == len(Weekday) else f"FREQ=WEEKLY;BYDAY={','.join(days)}"
    return {"recurring_window": {"start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 "recurrence": recurrence}}


def _node_config(spec: GkeClusterSpec, service_account: Any) -> dict[str, Any]:
    """What every node runs with, in every pool: the hardening is not per pool.

    Each hardened setting carries its why and, in brackets, the policy-pack rule (policy/platform_policies.py)
    that fails a render without it; ``[no rule]`` where nothing but this file and the golden renders hold it.
    """
    return {
        # Container-Optimized OS: a minimal, read-only root file system that GKE patches [no rule]
        "image_type": "COS_CONTAINERD",
        # the cluster's own least-privilege account, never the Compute Engine default (Editor on the project)
        # [gke-node-service-account]
        "service_account": service_account,
        # scopes are a legacy second gate; the account's IAM roles are the real limit [no rule]
        "oauth_scopes": list(NODE_OAUTH_SCOPES),
        # pods see the GKE metadata server, not the node's credentials; Workload Identity needs it
        # [gke-node-metadata-server]
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        # verified boot chain and integrity measurements against boot-level rootkits [gke-node-secure-boot]
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        # the legacy metadata endpoints answer without the Metadata-Flavor header, so a server-side request
        # forgery in any pod could read the node's secrets [gke-node-legacy-metadata]
        "metadata": {"disable-legacy-endpoints": "true"},
        "resource_labels": resource_labels(spec),
    }


def _control_plane_access(spec: GkeClusterSpec) -> dict[str, Any]:
    """Who reaches the nodes and the control plane: private nodes, a private or IAM-gated endpoint, named networks."""
    return {
        "private_cluster_config": {
            # nodes have no public IP: nothing on the internet reaches a kubelet or a NodePort [gke-private-nodes]
            "enable_private_nodes": True,
            # the control plane's IP endpoint is private, unless relax.publicEndpoint [gke-private-endpoint]
            "enable_private_endpoint": spec.private_endpoint,
            "master_ipv4_cidr_block": spec.network.master_cidr,
        },
        # the DNS endpoint is IAM-gated: CI and laptops reach the API without opening an IP range [no rule]
        "control_plane_endpoints_config": {"dns_endpoint_config": {"allow_external_traffic": spec.dns_endpoint}},
        "master_authorized_networks_config": {
            # only the networks the stack names reach the IP endpoints (0.0.0.0/0 is refused)
            # [gke-master-authorized-networks]
            "cidr_blocks": [{"cidr_block": n.cidr, "display_name": n.name} for n in spec.authorized_networks],
            # and not every Google Cloud public address besides them [gke-master-authorized-networks]
            "gcp_public_cidrs_access_enabled": False,
        },
        # client certificates cannot be revoked; users authenticate through IAM [gke-no-client-certificate]
        "master_auth": {"client_certificate_config": {"issue_client_certificate": False}},
        # RBAC only: legacy ABAC grants broad, unauditable rights [gke-no-legacy-abac]
        "enable_legacy_abac": False,
    }


def _workload_security(spec: GkeClusterSpec, kms_key: Any | None) -> dict[str, Any]:
    """What protects workloads and their data: identities, network policy, admitted images, encrypted Secrets."""
    return {
        # pods act as Google service accounts without keys to leak or rotate [gke-workload-identity]
        "workload_identity_config": {"workload_pool": workload_pool(spec.project)},
        # Dataplane V2 (eBPF) enforces NetworkPolicy; without it a policy is silently ignored [gke-network-policy]
        "datapath_provider": "ADVANCED_DATAPATH",
        # pod-to-pod traffic on one node goes through the VPC too, so flow logs and firewall rules see it [no rule]
        "enable_intranode_visibility": True,
        # a node proves its identity when it joins, so a stolen bootstrap credential cannot add a rogue node
        # [gke-shielded-nodes]
        "enable_shielded_nodes": True,
        # pods run only images the project's policy admits [gke-binary-authorization]
        "binary_authorization": {"evaluation_mode": str(spec.binary_authorization)},
        # Secrets in etcd encrypted with our Cloud KMS key, unless relax.googleManagedEncryption
        # [gke-secrets-encryption]
        "database_encryption": ({"state": "ENCRYPTED", "key_name": kms_key} if kms_key is not None
                                else {"state": "DECRYPTED"}),
    }


def _operations(spec: GkeClusterSpec) -> dict[str, Any]:
    """How the cluster is kept current, observed and kept from deletion."""
    return {
        # GKE picks and patches the control plane's and nodes' Kubernetes versions; none is pinned here
        # [gke-release-channel]
        "release_channel": {"channel": str(spec.release_channel)},
        # automatic upgrades and repairs happen in a window the team knows [no rule]
        "maintenance_policy": maintenance_policy(spec.maintenance_window),
        # system and workload logs, and metrics, for incident response and the audit trail [no rule]
        "logging_config": {"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS"]},
        "monitoring_config": {"enable_components": ["SYSTEM_COMPONENTS"], "managed_prometheus": {"enabled": True}},
        # a mistaken `pulumi destroy` or console click cannot delete the cluster, unless
        # relax.noDeletionProtection [gke-deletion-protection]
        "deletion_protection": spec.deletion_protection,
    }


def cluster_args(spec: GkeClusterSpec, *, network: Any, subnetwork: Any, node_service_account: Any,
                 kms_key: Any | None) -> dict[str, Any]:
    """The ``gcp.container.Cluster`` arguments: a hardened GKE Standard cluster whose default pool is removed.

    ``kms_key`` is the key that encrypts Secrets, or None with
    ``relax.googleManagedEncryption``. The throwaway default pool GKE creates
    first already runs as the least-privilege node account, so no node ever
    uses the Compute Engine default account (which orgs often disable).

    Each hardened setting carries its why and, in brackets, the policy-pack rule
    (policy/platform_policies.py) that fails a render without it, ``[no rule]``
    where only this file and the golden renders hold it: the safer-cluster
    habit. The relaxations that may soften one are named flags
    (:class:`~knative_platform.model.cluster.cluster.Relaxations`).
    """
    args: dict[str, Any] = {
        "name": spec.name,
        "project": spec.project,
        # a region: three control-plane replicas, so upgrades and a zone outage keep the API up, unless
        # relax.zonalControlPlane [gke-regional-control-plane]
        "location": spec.location,
        "network": network,
        "subnetwork": subnetwork,
        "networking_mode": "VPC_NATIVE",
        "ip_allocation_policy": {"cluster_secondary_range_name": PODS_RANGE,
                                 "services_secondary_range_name": SERVICES_RANGE},
        # GKE's default pool cannot be changed without replacing the cluster; ours can be replaced one by one
        # [no rule]
        "remove_default_node_pool": True,
        "initial_node_count": 1,
        "node_config": {**_node_config(spec, node_service_account), "machine_type": "e2-medium",
                        "disk_size_gb": 20},
        **_control_plane_access(spec),
        **_workload_security(spec, kms_key),
        **_operations(spec),
        "resource_labels": resource_labels(spec),
        # the platform installs pinned Gateway API CRDs; GKE's managed ones would collide with them
        "gateway_api_config": {"channel": "CHANNEL_DISABLED"},
    }
    if not spec.relaxations.no_google_groups:  # RBAC binds Google Groups, not users one by one [gke-google-groups]
        args["authenticator_groups_config"] = {"security_group": spec.security_group}
    return args


def node_pool_args(spec: GkeClusterSpec, pool: NodePool, *, cluster: Any, node_service_account: Any) -> dict[str, Any]:
    """The ``gcp.container.NodePool`` arguments for one pool of ``spec``."""
    spot = spec.pool_is_spot(pool)
    return {
        "name": pool.name,
        "project": spec.project,
        "cluster": cluster,
        "location": spec.location,
        # GKE creates this many per zone, then the autoscaler owns the size
        "initial_node_count": max(pool.min_nodes, 1),
        "autoscaling": {"min_node_count": pool.min_nodes, "max_node_count": pool.max_nodes,
                        # Spot capacity comes and goes per zone: take it wherever it is
                        "location_policy": "ANY" if spot else "BALANCED"},
        # unhealthy nodes are replaced and nodes follow the control plane's version [gke-node-pool-management]
        "management": {"auto_repair": pool.auto_repair, "auto_upgrade": pool.auto_upgrade},
        "upgrade_settings": {"strategy": "SURGE", "max_surge": pool.max_surge,
                             "max_unavailable": pool.max_unavailable},
        "node_config": {
            **_node_config(spec, node_service_account),
            "machine_type": pool.machine_type,
            "disk_size_gb": pool.disk_size_gb,
            "disk_type": str(pool.disk_type),
            "spot": spot,
            "labels": dict(sorted(pool.labels.items())),
            "taints": [{"key": t.key, "value": t.value, "effect": _GKE_TAINT_EFFECTS[t.effect]} for t in pool.taints],
        },
    }


def wildcard_record_name(domain: str) -> str:
    """``*.<domain>.``: every ``<service>.<namespace>.<domain>`` resolves to the gateway (DNS wildcards span labels)."""
    return f"*.{domain}."


def kubeconfig_context(spec: GkeClusterSpec) -> str:
    """The context name ``gcloud container clusters get-credentials`` would write."""
    return f"gke_{spec.project}_{spec.location}_{spec.name}"


def api_server(spec: GkeClusterSpec, endpoint: str, dns_endpoint: str | None) -> str:
    """The URL clients use: the DNS-based endpoint when the cluster has one, else the IP endpoint.

    The DNS endpoint is reachable wherever Google APIs are, gated by IAM, so CI
    reaches a private control plane without a bastion. GKE always reports it
    for clusters created with it; the IP endpoint is the answer for the rest.
    """
    if spec.dns_endpoint and dns_endpoint:
        return f"https://{dns_endpoint}"
    return f"https://{endpoint}"


def kubeconfig(spec: GkeClusterSpec, *, endpoint: str, ca_certificate: str | None, dns_endpoint: str | None) -> str:
    """A kubeconfig that authenticates with ``gke-gcloud-auth-plugin`` (short-lived tokens, no stored secret).

    The DNS endpoint presents a publicly trusted certificate, so the cluster's
    own CA is given only for the IP endpoint.
    """
    server = api_server(spec, endpoint, dns_endpoint)
    cluster: dict[str, Any] = {"server": server}
    if server == f"https://{endpoint}" and ca_certificate:
        cluster["certificate-authority-data"] = ca_certificate
    context = kubeconfig_context(spec)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "users": [{"name": context, "user": {"exec": {
            "apiVersion": KUBECONFIG_EXEC_API,
            "command": AUTH_PLUGIN,
            "installHint": AUTH_PLUGIN_HINT,
            "provideClusterInfo": True,
        }}}],
    }
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=10_000)
