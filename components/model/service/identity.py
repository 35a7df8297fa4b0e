"""A service's own identity: a Kubernetes service account and, on GKE, a Google one through Workload Identity.

Without ``serviceAccount`` a revision runs as its namespace's ``default``
Kubernetes service account, shared by everything there. With it the platform
creates a dedicated Kubernetes service account (``name``, by default the
service's name) and, on a GKE cluster with Workload Identity:

* ``googleServiceAccount: <email>`` binds an existing Google service account:
  the Kubernetes account is annotated ``iam.gke.io/gcp-service-account`` and
  granted ``roles/iam.workloadIdentityUser`` on the Google account for
  ``serviceAccount:<project>.svc.id.goog[<namespace>/<name>]``;
* ``roles: [...]`` creates a Google service account for the service, grants it
  those roles on the cluster's project, and binds it the same way.

Never a key, never the node's account. (GKE docs, "Authenticate to Google Cloud
APIs from GKE workloads": the annotation plus the workloadIdentityUser grant.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.errors import Problem, join_path
from ..core.names import dns1123_subdomain_problem

GKE_SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"
WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser"
_GOOGLE_ACCOUNT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]@(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])"
                             r"\.iam\.gserviceaccount\.com$")
_ROLE = re.compile(r"^(?:roles/[A-Za-z0-9_.]+|(?:projects|organizations)/[A-Za-z0-9_.:-]+/roles/[A-Za-z0-9_.]+)$")
_ACCOUNT_ID_PREFIX = "ksvc-"
_ACCOUNT_ID_MAX = 30


@dataclass(frozen=True, kw_only=True)
class ServiceAccount:
    """The identity a service runs as. Set at most one of ``google_service_account`` and ``roles``."""

    name: str | None = None
    """The Kubernetes service account's name in the service's namespace; default: the service's name."""
    google_service_account: str | None = None
    """An existing Google service account (``name@project.iam.gserviceaccount.com``) to act as."""
    roles: tuple[str, ...] = ()
    """Roles a Google service account created for this service gets on the cluster's project."""

    @property
    def wants_google(self) -> bool:
        """Whether the service acts as a Google service account (GKE Workload Identity)."""
        return self.google_service_account is not None or bool(self.roles)


def service_account_problems(account: ServiceAccount, service: str, path: str, problems: list[Problem]) -> None:
    """The name rule Knative checks, and the shape of the Google side.

    k8s_validation.go ``ValidatePodSpec``: ``serviceAccountName`` is a DNS-1123 subdomain.
    """
    name = account.name or service
    problem = dns1123_subdomain_problem(name, "service account name")
    if problem:
        problems.append(Problem(join_path(path, "name"), problem))
    if name == "default":
        problems.append(Problem(join_path(path, "name"), "'default' is the namespace's shared account; name the "
                                                         "service's own, or remove serviceAccount"))
    email = account.google_service_account
    if email is not None and not _GOOGLE_ACCOUNT.match(email):
        problems.append(Problem(join_path(path, "googleServiceAccount"),
                                f"'{email}' is not a user-managed Google service account like "
                                "name@project.iam.gserviceaccount.com (never a node or default compute account)"))
    if email is not None and account.roles:
        problems.append(Problem(join_path(path, "roles"),
                                "grants roles to an account the platform creates; an existing googleServiceAccount "
                                "keeps the roles it is given where it is managed. Set one of the two"))
    for i, role in enumerate(account.roles):
        if not _ROLE.match(role):
            problems.append(Problem(join_path(path, f"roles[{i}]"),
                                    f"'{role}' is not an IAM role like roles/cloudsql.client or "
                                    "projects/<project>/roles/<custom>"))
        elif role in account.roles[:i]:
            problems.append(Problem(join_path(path, f"roles[{i}]"), f"'{role}' is listed twice"))


def google_account_id(service: str) -> str:
    """The account id of the Google service account created for ``service``: 6-30 characters, stable.

    ``ksvc-<service>``, or a cut name plus a hash of the whole when that is too long.
    """
    candidate = _ACCOUNT_ID_PREFIX + service
    if len(candidate) <= _ACCOUNT_ID_MAX:
        return candidate
    digest = hashlib.sha256(service.encode()).hexdigest()[:6]
    head = candidate[: _ACCOUNT_ID_MAX - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def google_account_resource(email: str) -> str:
    """``projects/<project>/serviceAccounts/<email>``: how IAM names an existing account.

    Its project is the e-mail's domain.
    """
    match = _GOOGLE_ACCOUNT.match(email)
    project = match["project"] if match else "-"
    return f"projects/{project}/serviceAccounts/{email}"


def workload_identity_member(pool: str, namespace: str, name: str) -> str:
    """The IAM member of a Kubernetes service account under Workload Identity: ``serviceAccount:POOL[NS/KSA]``.

    ``pool`` is the cluster's workload pool, ``<project>.svc.id.goog``.
    """
    return f"serviceAccount:{pool}[{namespace}/{name}]"


POOL_SUFFIX = ".svc.id.goog"
"""What a GKE cluster's Workload Identity pool ends with: ``<project>.svc.id.goog``."""


def workload_pool(project: str) -> str:
    """The Workload Identity pool of a GKE cluster in ``project`` (what ``workload_identity_config`` sets)."""
    return f"{project}{POOL_SUFFIX}"


def google_identity_problems(account: ServiceAccount | None, path: str, wired: bool) -> list[Problem]:
    """A service account acting as a Google one needs its cluster's Workload Identity pool and a GCP provider.

    ``wired``: the caller passed both (Platform and PlatformReference.app_args do); ``path`` is the service's.
    """
    if account is None or not account.wants_google or wired:
        return []
    return [Problem(join_path(path, "serviceAccount"), "a Google identity needs Workload Identity on a GKE cluster: "
                                                       "pass workload_pool and gcp_provider (Platform and "
                                                       "PlatformReference.app_args do)")]


def workload_pool_problems(pool: str | None, path: str) -> list[Problem]:
    """An app stack learns the pool from the platform stack; a platform that is not GKE exports none."""
    if not pool or not pool.endswith(POOL_SUFFIX):
        return [Problem(path, "a Google identity needs Workload Identity: the platform stack exports no "
                              "workloadIdentityPool (only cluster type gke does)")]
    return []


def role_resource_names(name: str, roles: Sequence[str]) -> dict[str, str]:
    """A stable, unique Pulumi name per role (``api-identity-cloudsql-client``); a hash keeps look-alikes apart."""
    out: dict[str, str] = {}
    for role in roles:
        slug = f"{name}-{re.sub(r'[^a-z0-9]+', '-', role.removeprefix('roles/').lower()).strip('-')}"
        if slug in out.values():
            slug += "-" + hashlib.sha256(role.encode()).hexdigest()[:6]
        out[role] = slug
    return out
