"""The pack's checks of Google Cloud resources: the GKE cluster and its node pools, firewall rules, IAM grants.

Each check takes a resource's inputs as the plan has them (pulumi-gcp's
camelCase names) and returns a violation message or None. A value the plan
does not know yet (computed by the cloud) never fails a check. Sources: the
pulumi-gcp 10.2.0 SDK's own documentation of each field (``pulumi_gcp/...``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
IAM_TYPES = re.compile(r"^gcp:[^:]+:\w*(?:IAM|Iam)(Member|Binding|Policy)$")
"""Every IAM member, binding and policy resource of pulumi-gcp, by its naming pattern.

The pattern, not a list: the pack runs in its own environment, without
pulumi-gcp (policy/requirements.txt), and a new pulumi-gcp release's new
``*IamMember`` types are covered the day they ship. tests/test_policy.py reads
every resource type of the installed SDK with its inputs and holds the pattern
to exactly the types that grant a role to a ``member``, to ``members`` or
through ``policyData`` (474 of its 1,495 resource types at pulumi-gcp 10.2.0, 158 of each; ``*IamMemberRemove``, which
takes a member away, is not one), and components/offline/rules.py uses the same.
"""
ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
OPEN = ("0.0.0.0/0", "::/0")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
PRIMITIVE_ROLES = ("roles/owner", "roles/editor")
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                     "100.64.0.0/10", "fc00::/7"))
"""RFC 1918, RFC 6598 and RFC 4193 ranges: no internet host has these (as in model/cluster/address_space.py)."""
MAX_PUBLIC_IPV4 = 2**16
"""The default most public IPv4 addresses a cluster's authorized networks may admit together: prod's (a /16).
A stack whose policy config says ``{"gke-master-authorized-networks": {"maxPublicIpv4Addresses": N}}`` gets N."""
MAX_PUBLIC_IPV6 = 2**80

Check = Callable[[Mapping[str, Any]], str | None]


def get(props: Mapping[str, Any], path: str) -> Any:
    """``props["a"]["b"]`` for ``"a.b"``; None when any step is missing or not a map."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


# -- the cluster -----------------------------------------------------------------------------------------


def private_nodes(p: Mapping[str, Any]) -> str | None:
    if get(p, "privateClusterConfig.enablePrivateNodes") is not True:
        return "nodes must have no public IP: set privateClusterConfig.enablePrivateNodes (CKV_GCP_64)"
    return None


def private_endpoint(p: Mapping[str, Any]) -> str | None:
    # pulumi-gcp container/_inputs.py ClusterPrivateClusterConfigArgs.enable_private_endpoint: "When `false`,
    # either endpoint can be used"; unset is false, so a cluster that leaves it out has a public endpoint.
    if get(p, "privateClusterConfig.enablePrivateEndpoint") is not True:
        return ("the control plane has a public endpoint: set privateClusterConfig.enablePrivateEndpoint, or relax "
                "publicEndpoint for this stack (GKE_CIS_5.6.4)")
    return None


def _networks(texts: Iterable[Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for text in texts:
        try:
            out.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError:
            continue  # not known yet, or GKE refuses it itself
    return out


def covers_everything(cidrs: Iterable[Any]) -> bool:
    """Whether the ranges together are every address of an IP version (0.0.0.0/1 + 128.0.0.0/1 = 0.0.0.0/0)."""
    nets = _networks(cidrs)
    return any(net.prefixlen == 0 for version in (4, 6)
               for net in ipaddress.collapse_addresses(n for n in nets if n.version == version))


def public_addresses(cidrs: Iterable[Any], version: int) -> int:
    """How many public addresses of one IP version the ranges admit together, each counted once."""
    merged = ipaddress.collapse_addresses(n for n in _networks(cidrs) if n.version == version)
    private = [p for p in NOT_PUBLIC if p.version == version]
    return sum(n.num_addresses - sum(min(n.num_addresses, p.num_addresses) for p in private if n.overlaps(p))
               for n in merged)


def public_ipv4_addresses(cidrs: Iterable[Any]) -> int:
    """:func:`public_addresses` of IPv4."""
    return public_addresses(cidrs, 4)


def authorized_networks(p: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    mans = p.get("masterAuthorizedNetworksConfig")
    if not isinstance(mans, Mapping):
        return "masterAuthorizedNetworksConfig must be set: who may reach the control plane (CKV_GCP_20)"
    if mans.get("gcpPublicCidrsAccessEnabled") is True:
        return ("masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled admits every Google Cloud public "
                "address, anyone's VM included: turn it off and name the networks")
    cidrs = [b.get("cidrBlock") for b in mans.get("cidrBlocks") or () if isinstance(b, Mapping)]
    if any(c in OPEN for c in cidrs) or covers_everything(cidrs):
        return "masterAuthorizedNetworksConfig admits the whole internet (together, its ranges are 0.0.0.0/0) " \
               "(CKV_GCP_18)"
    for version, key, default in ((4, "maxPublicIpv4Addresses", MAX_PUBLIC_IPV4), (6, None, MAX_PUBLIC_IPV6)):
        limit = config.get(key, default) if key else default
        count = public_addresses(cidrs, version)
        if isinstance(limit, int) and count > limit:
            return (f"masterAuthorizedNetworksConfig admits {count:,} public IPv{version} addresses together, more "
                    f"than {limit:,}: name only the networks that need the control plane")
    return None


def workload_identity(p: Mapping[str, Any]) -> str | None:
    if not get(p, "workloadIdentityConfig.workloadPool"):
        return "Workload Identity must be on: set workloadIdentityConfig.workloadPool (GKE_CIS_5.2.2)"
    return None


def shielded(p: Mapping[str, Any]) -> str | None:
    return "enableShieldedNodes must not be false (CKV_GCP_71)" if p.get("enableShieldedNodes") is False else None


def legacy_abac(p: Mapping[str, Any]) -> str | None:
    return "legacy ABAC must be off: enableLegacyAbac (CKV_GCP_7)" if p.get("enableLegacyAbac") is True else None


def client_certificate(p: Mapping[str, Any]) -> str | None:
    if get(p, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        return "client certificates must not be issued (CKV_GCP_13)"
    return None


def network_policy(p: Mapping[str, Any]) -> str | None:
    if p.get("datapathProvider") == "ADVANCED_DATAPATH" or get(p, "networkPolicy.enabled") is True:
        return None
    return "network policy must be enforced: Dataplane V2 (datapathProvider ADVANCED_DATAPATH) (CKV_GCP_12)"


def secrets_encryption(p: Mapping[str, Any]) -> str | None:
    if get(p, "databaseEncryption.state") == "ENCRYPTED" and get(p, "databaseEncryption.keyName"):
        return None
    return ("Secrets must be encrypted with a Cloud KMS key (databaseEncryption), or relax googleManagedEncryption "
            "for this stack (GKE_CIS_5.3.1)")


def deletion_protection(p: Mapping[str, Any]) -> str | None:
    if p.get("deletionProtection") is False:
        return "deletionProtection is off; relax noDeletionProtection for this stack to allow it (GKE_OPS_1)"
    return None


def regional(p: Mapping[str, Any]) -> str | None:
    location = p.get("location")
    if isinstance(location, str) and ZONE.match(location):
        return f"the control plane is zonal ({location}); use a region, or relax zonalControlPlane (GKE_OPS_2)"
    return None


def release_channel(p: Mapping[str, Any]) -> str | None:
    if get(p, "releaseChannel.channel") in (None, "UNSPECIFIED"):
        return "a release channel must be set: releaseChannel.channel (CKV_GCP_70)"
    return None


def binary_authorization(p: Mapping[str, Any]) -> str | None:
    if get(p, "binaryAuthorization.evaluationMode") != "PROJECT_SINGLETON_POLICY_ENFORCE":
        return ("Binary Authorization must check pods against the project policy: evaluationMode "
                "PROJECT_SINGLETON_POLICY_ENFORCE (CKV_GCP_66); whether that policy blocks is binauthz-enforced")
    return None


def google_groups(p: Mapping[str, Any]) -> str | None:
    if not get(p, "authenticatorGroupsConfig.securityGroup"):
        return ("Google Groups for RBAC: set authenticatorGroupsConfig.securityGroup, or relax noGoogleGroups "
                "(CKV_GCP_65)")
    return None


# -- nodes: a node pool's nodeConfig, or the cluster's default pool --------------------------------------------


def node_configs(props: Mapping[str, Any], type_: str) -> list[Mapping[str, Any]]:
    """The node configs a resource brings nodes up with; ``{}`` (every default) when it brings nodes and says none.

    A node pool always has nodes. A cluster has its default pool unless
    ``removeDefaultNodePool`` (the platform's clusters remove it, and their
    ``nodeConfig`` shapes only that short-lived pool).
    """
    config = props.get("nodeConfig")
    if isinstance(config, Mapping):
        return [config]
    if type_ == NODE_POOL or props.get("removeDefaultNodePool") is not True:
        return [{}]
    return []


def metadata_server(n: Mapping[str, Any]) -> str | None:
    if get(n, "workloadMetadataConfig.mode") != "GKE_METADATA":
        return "nodes must run the GKE metadata server: workloadMetadataConfig.mode GKE_METADATA (CKV_GCP_69)"
    return None


def secure_boot(n: Mapping[str, Any]) -> str | None:
    shielded_config = n.get("shieldedInstanceConfig")
    if not isinstance(shielded_config, Mapping) or shielded_config.get("enableSecureBoot") is not True \
            or shielded_config.get("enableIntegrityMonitoring") is False:
        return "nodes need Secure Boot and integrity monitoring: nodeConfig.shieldedInstanceConfig (CKV_GCP_68/72)"
    return None


def node_service_account(n: Mapping[str, Any]) -> str | None:
    account = n.get("serviceAccount")
    if not account or account == "default" or str(account).endswith("-compute@developer.gserviceaccount.com"):
        return "nodes must use a dedicated service account, not the Compute Engine default (GKE_CIS_5.2.1)"
    return None


def legacy_metadata(n: Mapping[str, Any]) -> str | None:
    if str(get(n, "metadata.disable-legacy-endpoints")).lower() == "false":
        return "legacy metadata endpoints must stay disabled (GKE_CIS_5.4.1)"
    return None


def pool_management(p: Mapping[str, Any]) -> str | None:
    if get(p, "management.autoRepair") is False or get(p, "management.autoUpgrade") is False:
        return "node auto-repair and auto-upgrade must stay on: management (CKV_GCP_9/10)"
    return None


# -- firewall and IAM --------------------------------------------------------------------------------------


def open_ingress(p: Mapping[str, Any]) -> str | None:
    if p.get("direction", "INGRESS") != "INGRESS" or p.get("disabled") is True or not p.get("allows"):
        return None
    ranges = [r for r in p.get("sourceRanges") or () if r in OPEN]
    if ranges:
        return f"an ingress rule open to {ranges[0]}: name the sources that need it"
    # pulumi-gcp compute/firewall.py: "For INGRESS traffic, one of source_ranges, source_tags or
    # source_service_accounts is required"; without one a rule names no source it is limited to.
    if not any(p.get(key) for key in ("sourceRanges", "sourceTags", "sourceServiceAccounts")):
        return "an ingress rule with no source (sourceRanges, sourceTags or sourceServiceAccounts): name the sources"
    return None


def iam_field(type_: str) -> str | None:
    """The input an IAM type names its grantees in: ``member``, ``members`` or ``policyData``; None: not IAM."""
    match = IAM_TYPES.match(type_)
    return {"Member": "member", "Binding": "members", "Policy": "policyData"}[match.group(1)] if match else None


def _grants(type_: str, p: Mapping[str, Any]) -> list[tuple[Any, list[Any]]]:
    """(role, members) of each grant a member, binding or policy resource makes."""
    field = iam_field(type_)
    if field == "member":
        return [(p.get("role"), [p.get("member")])]
    if field == "members":
        members = p.get("members")
        return [(p.get("role"), list(members) if isinstance(members, list) else [])]
    try:
        policy = json.loads(p.get("policyData") or "") if isinstance(p.get("policyData"), str) else {}
    except ValueError:
        return []  # not known until apply: the API judges it
    bindings = policy.get("bindings") if isinstance(policy, Mapping) else None
    return [(b.get("role"), list(b.get("members") or [])) for b in bindings or [] if isinstance(b, Mapping)]


def public_iam(type_: str, p: Mapping[str, Any]) -> str | None:
    for role, members in _grants(type_, p):
        public = [m for m in members if m in PUBLIC_MEMBERS]
        if public:
            return f"an IAM grant of {role} to {public[0]}: anyone on the internet"
        if role in PRIMITIVE_ROLES:
            return f"a primitive role ({role}): grant the predefined roles the member needs"
    return None
