"""The platform's rules, enforced by Pulumi CrossGuard on the real plan of every stack.

The components already build hardened resources; this pack holds *every*
resource of a plan to the same bar, including ones a team adds outside the
components and the objects of the upstream bundles the provider expands. The
GKE items are the checklist docs/cluster.md's profile table ("Profiles and relaxations") refers to (checkov's
``CKV_GCP_*`` ids and the CIS GKE benchmark items; :mod:`policy_gcp`, with the
firewall and every IAM member, binding and policy type); the Kubernetes items
are the rules the platform itself follows (:mod:`policy_kubernetes`); the Knative
items mirror what Knative Serving's webhook refuses at ``pulumi up``
(knative/serving, tag knative-v1.23.0):

- a revision name must start with ``<service name>-``
  (``pkg/apis/serving/v1/revision_validation.go``: "%q must have prefix %q");
- traffic percents must sum to 100 (``pkg/apis/serving/v1/route_validation.go``:
  "Traffic targets sum to %d, want 100");
- a Broker is not the in-memory ``MTChannelBasedBroker`` unless the stack relaxes ``inMemoryBroker``
  (the program's own rule for prod clusters, ``eventing.relax.inMemoryBroker``).

A Binary Authorization project policy must deny (or require attestations for)
every image it does not name and block rather than only log
(:mod:`policy_binauthz`).

A relaxation the platform allows per stack (``relax`` in the stack file) waives
the one rule it gives up, and only when that stack's policy config says so:
``policy/config/<stack>.json`` sets ``{"<policy>": {"<relaxation>": true}}``.
A rule with a setting reads it from the same place (``{"gke-master-authorized-networks":
{"maxPublicIpv4Addresses": 1048576}}``); its default is prod's.
Values the plan does not know yet (computed by the cloud) never fail a rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import policy_binauthz as binauthz
import policy_gcp as gcp
import policy_kubernetes as k8s
from policy_binauthz import BINAUTHZ_POLICY
from policy_gcp import CLUSTER, FIREWALL, IAM_TYPES, NODE_POOL, get, iam_field

__all__ = ["CLUSTER", "FIREWALL", "IAM_TYPES", "KNATIVE_SERVICE", "NODE_POOL", "PACK_NAME", "RELAXATIONS", "RULES",
           "Rule", "check_resources", "iam_field", "resource_policies", "violations"]

PACK_NAME = "knative-platform"
KNATIVE_SERVICE = "kubernetes:serving.knative.dev/v1:Service"
BROKER = "kubernetes:eventing.knative.dev/v1:Broker"
BROKER_CLASS = "eventing.knative.dev/broker.class"

Check = Callable[..., str | None]


@dataclass(frozen=True)
class Rule:
    """One policy: the types it applies to, its check, the relaxation that waives it and the settings it reads.

    ``check`` takes the resource's inputs, and with ``per_type`` the type before
    them, and with ``settings`` the rule's policy config after them.
    """

    name: str
    description: str
    types: tuple[str, ...] | re.Pattern[str]
    check: Check
    relaxation: str | None = None
    settings: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Each setting's description and default (an integer), served as the rule's policy config."""
    per_type: bool = False

    def applies(self, type_: str) -> bool:
        """Whether a resource of ``type_`` is held to this rule."""
        return bool(self.types.match(type_)) if isinstance(self.types, re.Pattern) else type_ in self.types

    def violation(self, type_: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
        """The violation message for one resource (None: it passes, the rule does not apply, or it is relaxed)."""
        if not self.applies(type_) or (self.relaxation and config.get(self.relaxation) is True):
            return None
        args: list[Any] = [type_, props] if self.per_type else [props]
        return self.check(*args, config) if self.settings else self.check(*args)


def _nodes(check: Callable[[Mapping[str, Any]], str | None]) -> Check:
    """A node check applied to every node config a cluster or node pool brings nodes up with."""
    def run(type_: str, props: Mapping[str, Any]) -> str | None:
        return next((m for m in map(check, gcp.node_configs(props, type_)) if m), None)
    return run


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


def _durable_broker(p: Mapping[str, Any]) -> str | None:
    """A Broker is not in-memory: ``MTChannelBasedBroker`` (over the in-memory channel) loses events in flight.

    Knative's documentation: "In-memory channels ... should NOT be used in Production" (docs/eventing.md).
    """
    annotations = get(p, "metadata.annotations")
    value = annotations.get(BROKER_CLASS) if isinstance(annotations, Mapping) else None
    if not isinstance(value, str):
        return None  # unknown until apply (Knative defaults MTChannelBasedBroker: the program always sets it)
    return None if value != "MTChannelBasedBroker" else (
        "MTChannelBasedBroker keeps events in memory and loses them when a pod restarts: use class Kafka")


NODES = (CLUSTER, NODE_POOL)
RULES: tuple[Rule, ...] = (
    Rule("gke-private-nodes", "GKE nodes have no public IP", (CLUSTER,), gcp.private_nodes),
    Rule("gke-private-endpoint", "The control plane has no public endpoint", (CLUSTER,), gcp.private_endpoint,
         "publicEndpoint"),
    Rule("gke-master-authorized-networks", "The control plane admits only named networks", (CLUSTER,),
         gcp.authorized_networks, settings={"maxPublicIpv4Addresses": (
             "the most public IPv4 addresses the authorized networks may admit together", gcp.MAX_PUBLIC_IPV4)}),
    Rule("gke-workload-identity", "Pods reach Google APIs through Workload Identity", (CLUSTER,),
         gcp.workload_identity),
    Rule("gke-shielded-nodes", "Shielded GKE nodes", (CLUSTER,), gcp.shielded),
    Rule("gke-no-legacy-abac", "Legacy ABAC off", (CLUSTER,), gcp.legacy_abac),
    Rule("gke-no-client-certificate", "No client certificate authentication", (CLUSTER,), gcp.client_certificate),
    Rule("gke-network-policy", "Network policy enforced (Dataplane V2)", (CLUSTER,), gcp.network_policy),
    Rule("gke-secrets-encryption", "Kubernetes Secrets encrypted with a Cloud KMS key", (CLUSTER,),
         gcp.secrets_encryption, "googleManagedEncryption"),
    Rule("gke-deletion-protection", "The cluster is protected from deletion", (CLUSTER,), gcp.deletion_protection,
         "noDeletionProtection"),
    Rule("gke-regional-control-plane", "A regional (highly available) control plane", (CLUSTER,), gcp.regional,
         "zonalControlPlane"),
    Rule("gke-release-channel", "The cluster follows a release channel", (CLUSTER,), gcp.release_channel),
    Rule("gke-binary-authorization", "Binary Authorization checks pods against the project policy", (CLUSTER,),
         gcp.binary_authorization),
    Rule("gke-google-groups", "Google Groups for RBAC", (CLUSTER,), gcp.google_groups, "noGoogleGroups"),
    Rule("binauthz-deny-by-default", "The Binary Authorization policy denies images it does not name",
         (BINAUTHZ_POLICY,), binauthz.denies_by_default),
    Rule("binauthz-enforced", "The Binary Authorization policy blocks denied images (not a dry run)",
         (BINAUTHZ_POLICY,), binauthz.blocks, "binaryAuthorizationDryRun"),
    Rule("gke-node-metadata-server", "Nodes run the GKE metadata server", NODES, _nodes(gcp.metadata_server),
         per_type=True),
    Rule("gke-node-secure-boot", "Nodes boot verified and are integrity-monitored", NODES, _nodes(gcp.secure_boot),
         per_type=True),
    Rule("gke-node-service-account", "Nodes use a dedicated service account", NODES,
         _nodes(gcp.node_service_account), per_type=True),
    Rule("gke-node-legacy-metadata", "Legacy metadata endpoints disabled", NODES, _nodes(gcp.legacy_metadata),
         per_type=True),
    Rule("gke-node-pool-management", "Node auto-repair and auto-upgrade on", (NODE_POOL,), gcp.pool_management),
    Rule("no-open-ingress-firewall", "No firewall rule admits the whole internet or names no source", (FIREWALL,),
         gcp.open_ingress),
    Rule("no-public-or-primitive-iam", "No IAM grant to allUsers, allAuthenticatedUsers, owner or editor",
         IAM_TYPES, gcp.public_iam, per_type=True),
    Rule("k8s-no-loadbalancer-service", "Services reach the internet only through the platform's gateway",
         (k8s.KUBERNETES_SERVICE,), k8s.load_balancer),
    Rule("k8s-no-privileged-pods", "No privileged pod, and none in the node's namespaces", k8s.POD_TYPES,
         k8s.privileged_pod, per_type=True),
    Rule("k8s-emptydir-size-limit", "Every emptyDir volume has a sizeLimit", k8s.POD_TYPES, k8s.empty_dir_size,
         per_type=True),
    Rule("k8s-no-anonymous-bindings", "No role bound to anonymous users, nor cluster-admin to every signed-in one",
         k8s.BINDING_TYPES, k8s.anonymous_binding),
    Rule("knative-revision-name-prefix", "A revision name starts with its service's name", (KNATIVE_SERVICE,),
         _revision_name),
    Rule("knative-traffic-sums-to-100", "A service's traffic percents sum to 100", (KNATIVE_SERVICE,),
         _traffic_sum),
    Rule("knative-durable-broker", "Brokers keep events through a pod restart (not the in-memory broker)",
         (BROKER,), _durable_broker, "inMemoryBroker"),
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
        properties: dict[str, dict[str, Any]] = {
            name: {"type": "integer", "minimum": 0, "default": default, "description": description}
            for name, (description, default) in rule.settings.items()}
        if rule.relaxation:
            properties[rule.relaxation] = {"type": "boolean", "default": False,
                                           "description": f"the stack relaxes {rule.relaxation} (its stack file's "
                                                          "relax list)"}
        schema = PolicyConfigSchema(properties=properties) if properties else None
        policies.append(ResourceValidationPolicy(name=rule.name, description=rule.description,
                                                 validate=validator(rule), config_schema=schema))
    return policies
