"""The Binary Authorization project policy's rules: deny what it does not name, and block, not only log.

An image no allowlist entry admits meets the admission rule, and a project that
never wrote its policy has ``ALWAYS_ALLOW`` there (Google's "Example policies":
the default policy), so a policy must deny (or require attestations for) every
image it does not name, with no allowlist entry that admits a whole registry,
and must block rather than only log (``enforcementMode``), unless the stack
relaxes ``binaryAuthorizationDryRun``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BINAUTHZ_POLICY = "gcp:binaryauthorization/policy:Policy"
DENYING = ("ALWAYS_DENY", "REQUIRE_ATTESTATION")
BLOCKING = "ENFORCED_BLOCK_AND_AUDIT_LOG"


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


def denies_by_default(p: Mapping[str, Any]) -> str | None:
    """Images the policy does not name are denied or attested, and no allowlist entry admits a whole registry."""
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


def blocks(p: Mapping[str, Any]) -> str | None:
    """Denied images are blocked, not only logged (a dry run is the relaxation ``binaryAuthorizationDryRun``)."""
    for where, rule in _admission_rules(p):
        mode = rule.get("enforcementMode")
        if mode is not None and mode != BLOCKING:
            return (f"{where}.enforcementMode is {mode}: denied images are only logged; set {BLOCKING}, or relax "
                    "binaryAuthorizationDryRun for this stack")
    return None
