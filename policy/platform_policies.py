"""The platform's rules, enforced by Pulumi CrossGuard on the real plan of every stack.

The components already build hardened resources; this pack holds *every*
resource of a plan to the same bar, including ones a team adds outside the
components. The GKE items are the checklist docs/cluster.md's profile table ("Profiles and relaxations")
refers to (checkov's ``CKV_GCP_*`` ids and the CIS GKE benchmark items); the Knative
items mirror what Knative Serving's webhook refuses at ``pulumi up``
(knative/serving, tag knative-v1.23.0):

- a revision name must start with ``<service name>-``
  (``pkg/apis/serving/v1/revision_validation.go``: "%q must have prefix %q");
- traffic percents must sum to 100 (``pkg/apis/serving/v1/route_validation.go``:
  "Traffic targets sum to %d, want 100").

A Binary Authorization project policy must deny (or require attestations for)
every image it does not name, with no allowlist entry that admits a whole
registry, and must block rather than only log (``enforcementMode``), unless the
stack relaxes ``binaryAuthorizationDryRun``.

A relaxation the platform allows per stack (``relax`` in the stack file) waives
the one rule it gives up, and only when that stack's policy config says so:
``policy/config/<stack>.json`` sets ``{"<policy>": {"<relaxation>": true}}``.
Values the plan does not know yet (computed by the cloud) never fail a rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PACK_NAME = "knative-platform"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
KNATIVE_SERVICE = "kubernetes:serving.knative.dev/v1:Service"
BINAUTHZ_POLICY = "gcp:binaryauthorization/policy:Policy"
DENYING = ("ALWAYS_DENY", "REQUIRE_ATTESTATION")
BLOCKING = "ENFORCED_BLOCK_AND_AUDIT_LOG"
IAM_TYPES = re.compile(r"^gcp:[^:]+:[A-Za-z]*IAM(Member|Binding)$")
"""Every IAM member or binding resource of pulumi-gcp (project, service account, bucket, ...)."""
ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
OPEN = ("0.0.0.0/0", "::/0")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
PRIMITIVE_ROLES = ("roles/owner", "roles/editor")

Check = Callable[[Mapping[str, Any]], str | None]


def get(props: Mapping[str, Any], path: str) -> Any:
    """``props["a"]["b"]`` for ``"a.b"``; None when any step is missing or not a map."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class Rule:
    """One policy: the types it applies to, its check, and the named relaxation that waives it (if any)."""

    name: str
    description: str
    types: tuple[str, ...] | re.Pattern[str]
    check: Check
    relaxation: str | None = None

    def applies(self, type_: str) -> bool:
        """Whether a resource of ``type_`` is held to this rule."""
        return bool(self.types.match(type_)) if isinstance(self.types, re.Pattern) else type_ in self.types

    def violation(self, type_: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
        """The violation message for one resource (None: it passes, the rule does not apply, or it is relaxed)."""
        if not self.applies(type_) or (self.relaxation and config.get(self.relaxation) is True):
            return None
        return self.check(props)


def _node_configs(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    config = props.get("nodeConfig")
    return [config] if isinstance(config, Mapping) else []


def _every_node_config(check: Callable[[Mapping[str, Any]], str | None]) -> Check:
    def run(props: Mapping[str, Any]) -> str | None:
        return next((m for m in map(check, _node_configs(props)) if m), None)
    return run


def _private_nodes(p: Mapping[str, Any]) -> str | None:
    if get(p, "privateClusterConfig.enablePrivateNodes") is not True:
        return "nodes must have no public IP: set privateClusterConfig.enablePrivateNodes (CKV_GCP_64)"
    return None


def _private_endpoint(p: Mapping[str, Any]) -> str | None:
    if get(p, "privateClusterConfig.enablePrivateEndpoint") is False:
        return ("the control plane has a public endpoint: set privateClusterConfig.enablePrivateEndpoint, or relax "
                "publicEndpoint for this stack (GKE_CIS_5.6.4)")
    return None


def _authorized_networks(p: Mapping[str, Any]) -> str | None:
    config = p.get("masterAuthorizedNetworksConfig")
    if not isinstance(config, Mapping):
        return "masterAuthorizedNetworksConfig must be set: who may reach the control plane (CKV_GCP_20)"
    blocks = config.get("cidrBlocks") or []
    if any(isinstance(b, Mapping) and b.get("cidrBlock") in OPEN for b in blocks):
        return "masterAuthorizedNetworksConfig admits the whole internet (0.0.0.0/0) (CKV_GCP_18)"
    return None


def _workload_identity(p: Mapping[str, Any]) -> str | None:
    if "workloadIdentityConfig" in p and not get(p, "workloadIdentityConfig.workloadPool"):
        return "Workload Identity must be on: workloadIdentityConfig.workloadPool (GKE_CIS_5.2.2)"
    if "workloadIdentityConfig" not in p:
        return "Workload Identity must be on: set workloadIdentityConfig.workloadPool (GKE_CIS_5.2.2)"
    return None


def _shielded(p: Mapping[str, Any]) -> str | None:
    return "enableShieldedNodes must not be false (CKV_GCP_71)" if p.get("enableShieldedNodes") is False else None


def _legacy_abac(p: Mapping[str, Any]) -> str | None:
    return "legacy ABAC must be off: enableLegacyAbac (CKV_GCP_7)" if p.get("enableLegacyAbac") is True else None


def _client_certificate(p: Mapping[str, Any]) -> str | None:
    if get(p, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        return "client certificates must not be issued (CKV_GCP_13)"
    return None


def _network_policy(p: Mapping[str, Any]) -> str | None:
    if p.get("datapathProvider") == "ADVANCED_DATAPATH" or get(p, "networkPolicy.enabled") is True:
        return None
    return "network policy must be enforced: Dataplane V2 (datapathProvider ADVANCED_DATAPATH) (CKV_GCP_12)"


def _secrets_encryption(p: Mapping[str, Any]) -> str | None:
    if get(p, "databaseEncryption.state") == "ENCRYPTED" and get(p, "databaseEncryption.keyName"):
        return None
    return ("Secrets must be encrypted with a Cloud KMS key (databaseEncryption), or relax googleManagedEncryption "
            "for this stack (GKE_CIS_5.3.1)")


def _deletion_protection(p: Mapping[str, Any]) -> str | None:
    if p.get("deletionProtection") is False:
        return "deletionProtection is off; relax noDeletionProtection for this stack to allow it (GKE_OPS_1)"
    return None


def _regional(p: Mapping[str, Any]) -> str | None:
    location = p.get("location")
    if isinstance(location, str) and ZONE.match(location):
        return f"the control plane is zonal ({location}); use a region, or relax zonalControlPlane (GKE_OPS_2)"
    return None


def _release_channel(p: Mapping[str, Any]) -> str | None:
    if get(p, "releaseChannel.channel") in (None, "UNSPECIFIED"):
        return "a release channel must be set: releaseChannel.channel (CKV_GCP_70)"
    return None


def _binary_authorization(p: Mapping[str, Any]) -> str | None:
    if get(p, "binaryAuthorization.evaluationMode") != "PROJECT_SINGLETON_POLICY_ENFORCE":
        return ("Binary Authorization must check pods against the project policy: evaluationMode "
                "PROJECT_SINGLETON_POLICY_ENFORCE (CKV_GCP_66); whether that policy blocks is binauthz-enforced")
    return None


def _admission_rules(p: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The policy's default rule and its per-cluster rules, each with where it is."""
    rules = [("defaultAdmissionRule", p.get("defaultAdmissionRule"))]
    rules += [(f"clusterAdmissionRules[{i}]", r) for i, r in enumerate(p.get("clusterAdmissionRules") or ())]
    return [(where, rule) for where, rule in rules if isinstance(rule, Mapping)]


def _whole_registry(pattern: Any) -> bool:
    """An allowlist entry whose wildcard starts at (or before) the registry's first path segment."""
    text = str(pattern)
    stem = text.removesuffix("**") if text.endswith("**") else text.removesuffix("*")
    return stem != text and "/" not in stem.rstrip("/")


def _denies_by_default(p: Mapping[str, Any]) -> str | None:
    # Binary Authorization: an image no allowlist entry admits meets the admission rule, and a project that
    # never wrote its policy has ALWAYS_ALLOW there (Google's "Example policies": the default policy)
    for where, rule in _admission_rules(p):
        mode = rule.get("evaluationMode")
        if mode is not None and mode not in DENYING:
            return (f"{where}.evaluationMode is {mode}: images the policy does not name must be denied "
                    "(ALWAYS_DENY) or attested (REQUIRE_ATTESTATION)")
    for entry in p.get("admissionWhitelistPatterns") or ():
        pattern = entry.get("namePattern") if isinstance(entry, Mapping) else None
        if pattern is not None and _whole_registry(pattern):
            return f"the allowlist entry {pattern!r} admits a whole registry: name a path inside it"
    return None


def _blocks(p: Mapping[str, Any]) -> str | None:
    for where, rule in _admission_rules(p):
        mode = rule.get("enforcementMode")
        if mode is not None and mode != BLOCKING:
            return (f"{where}.enforcementMode is {mode}: denied images are only logged; set {BLOCKING}, or relax "
                    "binaryAuthorizationDryRun for this stack")
    return None


def _google_groups(p: Mapping[str, Any]) -> str | None:
    if not get(p, "authenticatorGroupsConfig.securityGroup"):
        return ("Google Groups for RBAC: set authenticatorGroupsConfig.securityGroup, or relax noGoogleGroups "
                "(CKV_GCP_65)")
    return None


def _metadata_server(n: Mapping[str, Any]) -> str | None:
    if get(n, "workloadMetadataConfig.mode") != "GKE_METADATA":
        return "nodes must run the GKE metadata server: workloadMetadataConfig.mode GKE_METADATA (CKV_GCP_69)"
    return None


def _secure_boot(n: Mapping[str, Any]) -> str | None:
    shielded = n.get("shieldedInstanceConfig")
    if not isinstance(shielded, Mapping) or shielded.get("enableSecureBoot") is not True \
            or shielded.get("enableIntegrityMonitoring") is False:
        return "nodes need Secure Boot and integrity monitoring: nodeConfig.shieldedInstanceConfig (CKV_GCP_68/72)"
    return None


def _node_service_account(n: Mapping[str, Any]) -> str | None:
    account = n.get("serviceAccount")
    if not account or account == "default" or str(account).endswith("-compute@developer.gserviceaccount.com"):
        return "nodes must use a dedicated service account, not the Compute Engine default (GKE_CIS_5.2.1)"
    return None


def _legacy_metadata(n: Mapping[str, Any]) -> str | None:
    if str(get(n, "metadata.disable-legacy-endpoints")).lower() == "false":
        return "legacy metadata endpoints must stay disabled (GKE_CIS_5.4.1)"
    return None


def _pool_management(p: Mapping[str, Any]) -> str | None:
    if get(p, "management.autoRepair") is False or get(p, "management.autoUpgrade") is False:
        return "node auto-repair and auto-upgrade must stay on: management (CKV_GCP_9/10)"
    return None


def _open_ingress(p: Mapping[str, Any]) -> str | None:
    if p.get("direction", "INGRESS") != "INGRESS" or p.get("disabled") is True or not p.get("allows"):
        return None
    ranges = [r for r in p.get("sourceRanges") or () if r in OPEN]
    if ranges:
        return f"an ingress rule open to {ranges[0]}: name the sources that need it"
    return None


def _public_iam(p: Mapping[str, Any]) -> str | None:
    members = [p.get("member"), *(p.get("members") or ())]
    public = [m for m in members if m in PUBLIC_MEMBERS]
    if public:
        return f"an IAM grant to {public[0]}: anyone on the internet"
    if p.get("role") in PRIMITIVE_ROLES:
        return f"a primitive role ({p['role']}): grant the predefined roles the member needs"
    return None


def _revision_name(p: Mapping[str, Any]) -> str | None:
    name, revision = get(p, "metadata.name"), get(p, "spec.template.metadata.name")
    if isinstance(name, str) and isinstance(revision, str) and not revision.startswith(f"{name}-"):
        return f"revision name {revision!r} must start with {name + '-'!r}: Knative's webhook refuses it"
    return None


def _traffic_sum(p: Mapping[str, Any]) -> str | None:
    traffic = get(p, "spec.traffic")
    if not isinstance(traffic, list) or not traffic:
        return None
    percents = [t.get("percent") for t in traffic if isinstance(t, Mapping)]
    if not all(isinstance(x, int) for x in percents):
        return None  # unknown until apply: Knative decides
    total = sum(percents)
    return None if total == 100 else f"traffic percents sum to {total}, must be 100: Knative's webhook refuses it"


RULES: tuple[Rule, ...] = (
    Rule("gke-private-nodes", "GKE nodes have no public IP", (CLUSTER,), _private_nodes),
    Rule("gke-private-endpoint", "The control plane has no public endpoint", (CLUSTER,), _private_endpoint,
         "publicEndpoint"),
    Rule("gke-master-authorized-networks", "The control plane admits only named networks", (CLUSTER,),
         _authorized_networks),
    Rule("gke-workload-identity", "Pods reach Google APIs through Workload Identity", (CLUSTER,), _workload_identity),
    Rule("gke-shielded-nodes", "Shielded GKE nodes", (CLUSTER,), _shielded),
    Rule("gke-no-legacy-abac", "Legacy ABAC off", (CLUSTER,), _legacy_abac),
    Rule("gke-no-client-certificate", "No client certificate authentication", (CLUSTER,), _client_certificate),
    Rule("gke-network-policy", "Network policy enforced (Dataplane V2)", (CLUSTER,), _network_policy),
    Rule("gke-secrets-encryption", "Kubernetes Secrets encrypted with a Cloud KMS key", (CLUSTER,),
         _secrets_encryption, "googleManagedEncryption"),
    Rule("gke-deletion-protection", "The cluster is protected from deletion", (CLUSTER,), _deletion_protection,
         "noDeletionProtection"),
    Rule("gke-regional-control-plane", "A regional (highly available) control plane", (CLUSTER,), _regional,
         "zonalControlPlane"),
    Rule("gke-release-channel", "The cluster follows a release channel", (CLUSTER,), _release_channel),
    Rule("gke-binary-authorization", "Binary Authorization checks pods against the project policy", (CLUSTER,),
         _binary_authorization),
    Rule("gke-google-groups", "Google Groups for RBAC", (CLUSTER,), _google_groups, "noGoogleGroups"),
    Rule("binauthz-deny-by-default", "The Binary Authorization policy denies images it does not name",
         (BINAUTHZ_POLICY,), _denies_by_default),
    Rule("binauthz-enforced", "The Binary Authorization policy blocks denied images (not a dry run)",
         (BINAUTHZ_POLICY,), _blocks, "binaryAuthorizationDryRun"),
    Rule("gke-node-metadata-server", "Nodes run the GKE metadata server", (CLUSTER, NODE_POOL),
         _every_node_config(_metadata_server)),
    Rule("gke-node-secure-boot", "Nodes boot verified and are integrity-monitored", (CLUSTER, NODE_POOL),
         _every_node_config(_secure_boot)),
    Rule("gke-node-service-account", "Nodes use a dedicated service account", (CLUSTER, NODE_POOL),
         _every_node_config(_node_service_account)),
    Rule("gke-node-legacy-metadata", "Legacy metadata endpoints disabled", (CLUSTER, NODE_POOL),
         _every_node_config(_legacy_metadata)),
    Rule("gke-node-pool-management", "Node auto-repair and auto-upgrade on", (NODE_POOL,), _pool_management),
    Rule("no-open-ingress-firewall", "No firewall rule admits the whole internet", (FIREWALL,), _open_ingress),
    Rule("no-public-or-primitive-iam", "No IAM grant to allUsers, allAuthenticatedUsers, owner or editor",
         IAM_TYPES, _public_iam),
    Rule("knative-revision-name-prefix", "A revision name starts with its service's name", (KNATIVE_SERVICE,),
         _revision_name),
    Rule("knative-traffic-sums-to-100", "A service's traffic percents sum to 100", (KNATIVE_SERVICE,),
         _traffic_sum),
)
"""Every policy of the pack, in the order a report lists them."""

RELAXATIONS: dict[str, str] = {rule.relaxation: rule.name for rule in RULES if rule.relaxation}
"""Each named relaxation and the one policy it waives."""


def violations(type_: str, props: Mapping[str, Any],
               config: Mapping[str, Mapping[str, Any]] | None = None) -> list[tuple[str, str]]:
    """``(policy, message)`` for every rule one resource breaks under ``config`` (a policy config file's content)."""
    config = config or {}
    found = []
    for rule in RULES:
        message = rule.violation(type_, props, config.get(rule.name) or {})
        if message:
            found.append((rule.name, message))
    return found


def check_resources(resources: Iterable[tuple[str, Mapping[str, Any]]],
                    config: Mapping[str, Mapping[str, Any]] | None = None) -> list[tuple[str, str]]:
    """Every violation of a set of ``(type, inputs)`` pairs (an offline render's resources, say)."""
    return [v for type_, props in resources for v in violations(type_, props, config)]


def resource_policies() -> list[Any]:
    """The rules as CrossGuard ``ResourceValidationPolicy`` objects (imports pulumi_policy)."""
    from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy

    def validator(rule: Rule) -> Callable[[Any, Callable[..., None]], None]:
        def validate(args: Any, report_violation: Callable[..., None]) -> None:
            message = rule.violation(args.resource_type, args.props, args.get_config() or {})
            if message:
                report_violation(message)
        return validate

    policies = []
    for rule in RULES:
        schema = None
        if rule.relaxation:
            schema = PolicyConfigSchema(properties={rule.relaxation: {
                "type": "boolean", "default": False,
                "description": f"the stack relaxes {rule.relaxation} (its stack file's relax list)"}})
        policies.append(ResourceValidationPolicy(name=rule.name, description=rule.description,
                                                 validate=validator(rule), config_schema=schema))
    return policies
