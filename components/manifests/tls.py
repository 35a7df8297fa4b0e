"""Automatic TLS: cert-manager's Helm values, the Let's Encrypt ClusterIssuer, and the controller-restart hash.

Knative's cert-manager integration has been built into Serving since 1.15: with
``external-domain-tls: Enabled`` the Serving controller asks cert-manager for a
certificate per route (HTTP-01) or a wildcard per namespace (DNS-01). It exits
at start when cert-manager's CRDs are missing, and reads the toggle only at
start; :func:`tls_config_hash` lets the platform restart it when TLS settings change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..model.service.identity import workload_identity_member
from ..model.tls.tls import ACME_DIRECTORIES, Challenge, TlsSpec
from .knative_config import KNATIVE_NAMESPACE
from .labels import standard_labels

CERT_MANAGER_API = "cert-manager.io/v1"
CERT_MANAGER_NAMESPACE = "cert-manager"
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
TLS_HASH_ANNOTATION = "knative-platform/tls-config-hash"


def cert_manager_values(tls: TlsSpec, service_account: Any = None) -> dict[str, Any]:
    """cert-manager chart values: its CRDs installed and kept by the chart; Workload Identity for DNS-01.

    ``crds.keep`` leaves the CRDs (and so every Certificate) in place if the
    release is ever uninstalled by mistake. ``service_account`` is the Google
    service account cert-manager acts as when the platform created it (an
    e-mail known after apply); otherwise the one the spec names.
    """
    # The chart's startupapicheck Job is a Helm hook (post-install), which Chart v4 never applies
    # (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go); the platform runs the check itself
    # (api_check_objects), so the chart renders no hook objects that would never run.
    values: dict[str, Any] = {"crds": {"enabled": True, "keep": True}, "startupapicheck": {"enabled": False}}
    if tls.challenge is Challenge.DNS01 and tls.cloud_dns is not None:
        account = service_account if service_account is not None else tls.cloud_dns.service_account
        values["serviceAccount"] = {"annotations": {WORKLOAD_IDENTITY_ANNOTATION: account}}
    return values


def render_cluster_issuer(tls: TlsSpec, ingress_class: str, zones: Sequence[str] = ()) -> dict[str, Any]:
    """The ACME ClusterIssuer the platform's certificates come from.

    HTTP-01 answers through Knative itself: cert-manager's solver names the
    Knative ingress class, and Knative routes ``/.well-known/acme-challenge``
    to the solver. DNS-01 writes TXT records in Cloud DNS with the ambient
    (Workload Identity) credentials of cert-manager's service account, and only
    for names in ``zones`` (the solver's ``selector.dnsZones``), so a name the
    stack did not declare fails at once instead of probing other zones.
    """
    if tls.challenge is Challenge.DNS01 and tls.cloud_dns is not None:
        solver: dict[str, Any] = {"dns01": {"cloudDNS": {"project": tls.cloud_dns.project}}}
        if zones:
            solver["selector"] = {"dnsZones": list(zones)}
    else:
        solver = {"http01": {"ingress": {"class": ingress_class}}}
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "ClusterIssuer",
        "metadata": {"name": tls.issuer_name, "labels": standard_labels(tls.issuer_name, "tls")},
        "spec": {
            "acme": {
                "email": tls.email,
                "server": ACME_DIRECTORIES[tls.server],
                "privateKeySecretRef": {"name": f"{tls.issuer_name}-account-key"},
                "solvers": [solver],
            },
        },
    }


def tls_config_hash(config_maps: Sequence[Mapping[str, Any]]) -> str:
    """A short, stable digest of the ConfigMaps the Serving controller reads TLS settings from at start."""
    canonical = json.dumps([dict(m) for m in config_maps], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def controller_restart_patch(config_hash: str) -> dict[str, Any]:
    """A pod-template annotation on Serving's controller: a new hash rolls the controller (a restart)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "controller", "namespace": KNATIVE_NAMESPACE},
        "spec": {"template": {"metadata": {"annotations": {TLS_HASH_ANNOTATION: config_hash}}}},
    }


DNS_ADMIN_ROLE = "roles/dns.admin"
"""What cert-manager's Cloud DNS solver needs on the zone's project (cert-manager's documented role)."""
WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser"


def dns01_account_id(cluster_name: str) -> str:
    """The Google service account cert-manager acts as on a platform-made cluster (fits the 30-character limit)."""
    return f"{cluster_name}-dns01"


def cert_manager_workload_identity(pool: str) -> str:
    """The member that lets the Kubernetes service account ``cert-manager/cert-manager`` act as a Google one.

    ``pool`` is the cluster's Workload Identity pool, ``<project>.svc.id.goog``.
    """
    return workload_identity_member(pool, CERT_MANAGER_NAMESPACE, "cert-manager")


API_CHECK = "cert-manager-api-check"
API_CHECK_TIMEOUT = "5m"


def api_check_objects(image: str) -> list[dict[str, Any]]:
    """A Job that waits until cert-manager's API (and so its webhook) answers, with the least RBAC it needs.

    The API server calls cert-manager's webhook for every cert-manager object,
    and the webhook's CA bundle is injected by cainjector some time after the
    chart's Deployments are ready; a ClusterIssuer created in that window fails
    with an x509 error, which pulumi-kubernetes does not retry (it retries only
    NotFound/NoMatch: provider/pkg/await/await.go). ``cmctl check api --wait``
    (the chart's own startupapicheck) dry-run-creates a CertificateRequest until
    that works; pulumi-kubernetes waits for a Job to complete
    (provider/pkg/await/job.go), and the ClusterIssuer waits for the Job.
    """
    labels = standard_labels(API_CHECK, "tls")
    meta = {"name": API_CHECK, "namespace": CERT_MANAGER_NAMESPACE, "labels": labels}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
            # cert-manager v1.21 chart, templates/startupapicheck-rbac.yaml: exactly this rule.
            "rules": [{"apiGroups": ["cert-manager.io"], "resources": ["certificaterequests"], "verbs": ["create"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": API_CHECK},
               "subjects": [{"kind": "ServiceAccount", "name": API_CHECK, "namespace": CERT_MANAGER_NAMESPACE}]}
    container = {
        "name": "check",
        "image": image,
        "args": ["check", "api", f"--wait={API_CHECK_TIMEOUT}", "-v"],
        "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True},
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {**meta, "annotations": {"pulumi.com/timeoutSeconds": "600"}},
        "spec": {
            "backoffLimit": 4,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": API_CHECK,
                    "enableServiceLinks": False,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    return [account, role, binding, job]
