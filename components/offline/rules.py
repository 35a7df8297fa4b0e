"""What a reviewer must see first in a diff of two renders: replacements, security, refusals, upgrades.

These are *offline heuristics*. The render knows what the program asks for, not
what the provider will decide, so replacement detection here covers the cases
that are known from the providers' documentation (a Kubernetes object's name,
namespace or kind; GCP fields that force a new resource) and Pulumi's own rules
(a new parent type or provider moves a resource to a new URN). ``pulumi preview``
on a trusted branch is authoritative; this review is what works everywhere.

Field paths are written as in the diff: ``spec.traffic[0].percent``, map keys
that are not identifiers in brackets (``metadata.labels["app.kubernetes.io/name"]``),
items of lists of named objects by their key (``env[name=TARGET].value``,
``ports[containerPort=8080]``). Rules match the path with every list index or
key replaced by ``[*]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .markdown import code

INDEX = re.compile(r'\[(?:\d+|[A-Za-z]+=(?:"(?:[^"\\]|\\.)*"|[^\]"]*))\]')
"""A list index (``[1]``) or a list item's key (``[name=TARGET]``, ``[name="a b"]``)."""


def pattern_path(path: str) -> str:
    """``spec.traffic[1].percent``, ``env[name=TARGET].value`` -> ``[*]`` in their place: the form rules match."""
    return INDEX.sub("[*]", path)


# -- replacements --------------------------------------------------------------------------

KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace", "kind")
"""A Kubernetes object is addressed by kind, namespace and name: a change is a delete and a create."""

KUBERNETES_IMMUTABLE: dict[str, tuple[str, ...]] = {
    "apps/v1:Deployment": ("spec.selector",),
    "apps/v1:StatefulSet": ("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
    "apps/v1:DaemonSet": ("spec.selector",),
    "batch/v1:Job": ("spec.selector", "spec.template"),
    "core/v1:Service": ("spec.clusterIP", "spec.clusterIPs"),
    "core/v1:PersistentVolumeClaim": ("spec.storageClassName", "spec.accessModes", "spec.volumeName"),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
}
"""Fields the API server refuses to change in place; pulumi-kubernetes replaces the object instead."""

GCP_FORCE_NEW_ANY = ("name", "project", "location", "region", "zone")
"""Identity fields of (almost) every pulumi-gcp resource: changing one creates a new resource."""

GCP_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "gcp:container/cluster:Cluster": (
        "network", "subnetwork", "ipAllocationPolicy", "networkingMode", "enableAutopilot", "datapathProvider",
        "privateClusterConfig.masterIpv4CidrBlock", "initialNodeCount", "defaultMaxPodsPerNode",
        "clusterIpv4Cidr", "enableKubernetesAlpha", "description",
    ),
    "gcp:container/nodePool:NodePool": (
        "cluster", "namePrefix", "initialNodeCount", "maxPodsPerNode", "networkConfig",
        "nodeConfig.serviceAccount", "nodeConfig.oauthScopes", "nodeConfig.spot", "nodeConfig.preemptible",
        "nodeConfig.localSsdCount", "nodeConfig.guestAccelerators",
    ),
    "gcp:compute/address:Address": ("address", "addressType", "networkTier", "purpose", "subnetwork", "ipVersion"),
    "gcp:compute/globalAddress:GlobalAddress": ("address", "addressType", "purpose", "ipVersion", "network"),
    "gcp:compute/firewall:Firewall": ("network", "direction"),
    "gcp:compute/subnetwork:Subnetwork": ("network",),
    "gcp:compute/router:Router": ("network",),
    "gcp:compute/routerNat:RouterNat": ("router",),
    "gcp:serviceaccount/account:Account": ("accountId",),
    "gcp:projects/iAMMember:IAMMember": ("role", "member", "condition"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("serviceAccountId", "role", "member", "condition"),
    "gcp:kms/cryptoKey:CryptoKey": ("keyRing", "purpose"),
}
"""GCP fields the provider marks as forcing a new resource (Terraform's ForceNew), for the types we create."""


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def replacement_reasons(type_: str, changed_paths: Iterable[str], replace_on_changes: Iterable[str] = ()) -> list[str]:
    """Why a change of ``changed_paths`` in a resource of ``type_`` replaces it (empty: updated in place)."""
    paths = sorted(set(changed_paths))
    reasons: list[str] = []

    def hit(prefixes: Iterable[str], why: str) -> None:
        for prefix in prefixes:
            touched = [p for p in paths if _under(p, prefix)]
            if touched:
                reasons.append(f"{code(touched[0])}: {why}")

    if type_.startswith("kubernetes:") and not type_.startswith("kubernetes:yaml") and ":helm" not in type_:
        hit(KUBERNETES_IDENTITY, "a Kubernetes object's identity (kind, namespace, name) cannot change in place")
        token = type_.split(":", 1)[1]
        hit(KUBERNETES_IMMUTABLE.get(token, ()), "immutable in the Kubernetes API")
    if type_.startswith("gcp:"):
        hit(GCP_FORCE_NEW_ANY + GCP_FORCE_NEW.get(type_, ()), "forces a new resource in pulumi-gcp")
    for pattern in replace_on_changes:
        prefix = pattern.removesuffix(".*").removesuffix("[*]")
        if pattern == "*":
            if paths:
                reasons.append(f"{code(paths[0])}: the resource sets replaceOnChanges: `['*']`")
        else:
            hit([prefix], f"listed in the resource's replaceOnChanges ({code(pattern)})")
    return list(dict.fromkeys(reasons))


# -- security-relevant changes -------------------------------------------------------------


@dataclass(frozen=True)
class SecurityRule:
    """A field (or a whole kind of resource) whose change a security reviewer must see."""

    topic: str
    path: re.Pattern[str] | None = None
    """Matches the field path (indexes as ``[*]``); None: any field of the matching types."""
    types: re.Pattern[str] | None = None
    """Matches the resource type token; None: any type."""

    def matches(self, type_: str, path: str | None) -> bool:
        """Whether a change of ``path`` (None: the resource was created or deleted) concerns this rule."""
        if self.types is not None and not self.types.search(type_):
            return False
        if self.path is None:
            return True
        return path is not None and bool(self.path.search(pattern_path(path)))


def _rule(topic: str, path: str | None = None, types: str | None = None) -> SecurityRule:
    return SecurityRule(topic, re.compile(path) if path else None, re.compile(types) if types else None)


IAM_GRANT_TYPES = re.compile(r"^gcp:[^:]+:\w*(?:IAM|Iam)(Member|Binding|Policy)$")
"""Every IAM member, binding and policy resource of pulumi-gcp: the policy pack's pattern (policy/policy_gcp.py
``IAM_TYPES``), which tests/test_policy.py holds to exactly the SDK's grant types."""
VISIBILITY_LABEL = 'metadata.labels["networking.knative.dev/visibility"]'
GKE = r"^gcp:container/"

SECURITY_RULES: tuple[SecurityRule, ...] = (
    _rule("visibility", r'^metadata\.labels\["networking\.knative\.dev/visibility"\]$'),
    _rule("master authorized networks", r"^masterAuthorizedNetworksConfig\b", GKE),
    _rule("private endpoint and nodes", r"^privateClusterConfig\b", GKE),
    _rule("deletion protection", r"^deletionProtection$"),
    _rule("deletion protection", r"^\(options\) (protect|retainOnDelete)$"),
    _rule("node service account", r"(^|\.)nodeConfig\.(serviceAccount|oauthScopes)$", GKE),
    _rule("workload identity", r"^(workloadIdentityConfig\b|(.*\.)?nodeConfig\.workloadMetadataConfig\b)", GKE),
    _rule("network policy", r"^(networkPolicy\b|datapathProvider$)", GKE),
    _rule("shielded nodes", r"(^enableShieldedNodes$|shieldedInstanceConfig\b)", GKE),
    _rule("client certificate and basic auth", r"^masterAuth\.(clientCertificateConfig|username|password)\b", GKE),
    _rule("legacy access", r"^(enableLegacyAbac$|(.*\.)?nodeConfig\.metadata\b)", GKE),
    _rule("secrets encryption", r"^(databaseEncryption|binaryAuthorization)\b", GKE),
    _rule("firewall", r"^(sourceRanges|sourceTags|targetTags|allows|denies|direction|disabled|priority)\b",
          r"^gcp:compute/firewall:"),
    _rule("IAM", None, IAM_GRANT_TYPES.pattern),
    _rule("IAM", None, r"^gcp:(iam/|[^:]+:\w*(IAM|Iam)(CustomRole|AuditConfig)$)"),
    _rule("KMS", None, r"^gcp:kms/"),
    _rule("TLS", r"(?i)(tls|certificate|issuer|https|http-protocol)"),
    _rule("TLS", None, r"^kubernetes:cert-manager\.io/"),
    _rule("exposure", r"^spec\.(type|loadBalancerSourceRanges|loadBalancerIP|externalTrafficPolicy)$",
          r"^kubernetes:core/v1:Service$"),
    _rule("exposure", r"^spec\.(listeners|addresses)\b", r"^kubernetes:gateway\.networking\.k8s\.io/"),
    _rule("exposure", r"^spec\.kube\.service\b", r"^kubernetes:gateway\.kgateway\.dev/"),
    _rule("container security context", r"(^|\.)securityContext\b"),
    _rule("container security context", r'^data\["secure-pod-defaults"\]$'),
    _rule("secrets", r"(^|\.)(secretKeyRef|secretRef|envFrom|imagePullSecrets)\b"),
    _rule("secrets", r"(^|\.)volumes\[\*\]\.secret\b"),
    _rule("secrets", None, r"^kubernetes:core/v1:Secret$"),
    _rule("service account", r"(^|\.)serviceAccountName$"),
    _rule("service account", None, r"^(kubernetes:core/v1:ServiceAccount|gcp:serviceaccount/account:Account)$"),
    _rule("workload identity", r'iam\.gke\.io/gcp-service-account'),
    _rule("RBAC", None, r"^kubernetes:rbac\.authorization\.k8s\.io/"),
    _rule("network policy", None, r"^kubernetes:networking\.k8s\.io/v1:NetworkPolicy$"),
    _rule("Kubernetes credentials", r"^(clusterIdentifier|context|kubeconfig)$", r"^pulumi:providers:kubernetes$"),
)
"""Each rule's topic heads the line a reviewer reads in the security section."""

EXPOSING_TYPES = re.compile(r"^kubernetes:(serving\.knative\.dev/v1beta1:DomainMapping|"
                            r"networking\.internal\.knative\.dev/v1alpha1:ClusterDomainClaim)$")
"""Creating or deleting one of these maps or unmaps a public domain."""


def security_topics(type_: str, path: str | None) -> list[str]:
    """The topics of every rule a change of ``path`` in a resource of ``type_`` concerns."""
    return list(_topics(type_, path))


@functools.lru_cache(maxsize=65_536)
def _topics(type_: str, path: str | None) -> tuple[str, ...]:
    # Every service of a large stack has the same field paths: each pair is matched against the rules once.
    return tuple(dict.fromkeys(rule.topic for rule in SECURITY_RULES if rule.matches(type_, path)))


# -- Knative-specific ----------------------------------------------------------------------

KNATIVE_SERVICE = "kubernetes:serving.knative.dev/v1:Service"
KNATIVE_MINOR = re.compile(r"knative-v(\d+)\.(\d+)")


def knative_minor_skip(before: str, after: str) -> str | None:
    """A warning when a Knative release pin moves by more than one minor version, or backwards."""
    old, new = KNATIVE_MINOR.search(before), KNATIVE_MINOR.search(after)
    if not old or not new:
        return None
    (old_major, old_minor), (new_major, new_minor) = map(int, old.groups()), map(int, new.groups())
    if (new_major, new_minor) < (old_major, old_minor):
        return (f"Knative {old_major}.{old_minor} -> {new_major}.{new_minor} is a downgrade, which Knative does "
                "not support")
    if new_major == old_major and new_minor - old_minor > 1:
        return (f"Knative {old_major}.{old_minor} -> {new_major}.{new_minor} skips a minor version; Knative "
                "supports upgrading one minor version at a time")
    return None


# -- where a pinned upstream release's notes are ------------------------------------------------

_RELEASE_ASSET = re.compile(r"^https://github\.com/(?P<repo>[^/]+/[^/]+)/releases/download/(?P<tag>[^/]+)/")
_TAG = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
CHART_SOURCES: dict[str, str] = {
    "cert-manager": "cert-manager/cert-manager",
    "oci://cr.kgateway.dev/kgateway-dev/charts/kgateway": "kgateway-dev/kgateway",
    "oci://cr.kgateway.dev/kgateway-dev/charts/kgateway-crds": "kgateway-dev/kgateway",
}
"""The GitHub repository whose releases tag each Helm chart the platform pins (chart version = release tag)."""
RELEASE_REPOSITORIES = frozenset({"knative/serving", "knative-extensions/net-gateway-api",
                                  "knative-extensions/net-kourier", "kubernetes-sigs/gateway-api",
                                  "knative/eventing", "knative-extensions/eventing-kafka-broker",
                                  *CHART_SOURCES.values()})
"""The upstream projects whose releases the platform pins (components/versions.py): the only ones a review links to.

A pin in a render is the pull request's to write; a link to any other
repository, or to a tag that is not a plain release name, is not made.
"""


def release_links(before: str, after: str, chart: str | None = None) -> tuple[tuple[str, str], ...]:
    """Where to read what a pin move changes: ``(label, URL)`` of the release notes and the compare view.

    ``before``/``after`` are the two release-asset URLs of a bundle, or, with
    ``chart``, the chart's two versions. Empty when the project is not one the
    platform pins (:data:`RELEASE_REPOSITORIES`) or a tag is not a plain name.
    """
    old, new = _RELEASE_ASSET.match(before), _RELEASE_ASSET.match(after)
    if old and new and old["repo"] == new["repo"]:
        repo, old_tag, new_tag = new["repo"], old["tag"], new["tag"]
    elif chart in CHART_SOURCES:
        repo, old_tag, new_tag = CHART_SOURCES[chart], before, after
    else:
        return ()
    if repo not in RELEASE_REPOSITORIES or not _TAG.match(old_tag) or not _TAG.match(new_tag):
        return ()
    base = f"https://github.com/{repo}"
    notes = (f"release notes of {new_tag}", f"{base}/releases/tag/{new_tag}")
    if old_tag == new_tag:
        return (notes,)
    return (notes, (f"all changes {old_tag}...{new_tag}", f"{base}/compare/{old_tag}...{new_tag}"))


# -- how risky a stack is ------------------------------------------------------------------------

_RISK = (
    (re.compile(r"(^|[-_/])prod(uction)?($|[-_])"), 0),
    (re.compile(r"(^|[-_/])(stag(e|ing)|preprod|uat)($|[-_])"), 1),
    (re.compile(r"(^|[-_/])(dev(elopment)?|test|ci|sandbox)($|[-_])"), 3),
    (re.compile(r"(^|[-_/])local($|[-_])"), 4),
)


def stack_risk(stack: str) -> int:
    """0 for prod, 1 staging, 2 a stack of unknown purpose, 3 dev, 4 local: the order a reviewer reads stacks in."""
    return next((rank for pattern, rank in _RISK if pattern.search(stack)), 2)
