"""The stack's Artifact Registry repository: the ``gcp.artifactregistry`` arguments, from the spec (issue 20).

One Docker repository per environment, created by the platform next to its GKE
cluster. Inputs as pulumi-gcp 10.2.0 takes them (``artifactregistry/repository.py``
``RepositoryArgs``: ``format``, ``repository_id``, ``docker_config.immutable_tags``,
``cleanup_policies`` of ``RepositoryCleanupPolicyArgs(id, action, condition,
most_recent_versions)``, ``cleanup_policy_dry_run``; ``repository_iam_member.py``
``RepositoryIamMemberArgs(member, repository, role, location, project)``).

- Immutable tags: a ``src-<fingerprint>`` tag, once pushed, names one digest for
  good, so the first build of a fingerprint wins (``knative-platform build``).
- Cleanup: *keep* the newest :attr:`ArtifactRegistry.keep` versions of every
  image, *delete* versions older than ``deleteAfterDays``. "If an artifact
  version matches criteria in both a delete policy and a keep policy, Artifact
  Registry applies the keep policy" (cloud.google.com/artifact-registry/docs/
  repositories/cleanup-policy-overview), so an image loses a version only when it
  is old *and* beyond the newest ``keep``. Every build is tagged (``src-...``),
  so ``tagState: ANY`` and ``TAGGED`` match the same versions. A revision the stack
  still routes to may be older than that (a pin kept for months under heavy
  churn): the policies start in dry run (``cleanupDryRun: true``, AR only logs
  what it would delete) and the stack turns deletion on by a named setting.
- Grants on the repository only: ``roles/artifactregistry.writer`` for the
  builder identities (``pushers``), ``roles/artifactregistry.reader`` for the
  nodes' service account (they also hold it project-wide, for the other
  repositories ``cluster.imageRegistries`` may name in the same project).

No Pulumi import here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..model.source.registry import ArtifactRegistry

WRITER_ROLE = "roles/artifactregistry.writer"
READER_ROLE = "roles/artifactregistry.reader"
DOCKER_FORMAT = "DOCKER"
SECONDS_PER_DAY = 86_400


def repository_args(registry: ArtifactRegistry, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``gcp.artifactregistry.Repository`` arguments of the stack's registry."""
    return {
        "project": registry.project,
        "location": registry.location,
        "repository_id": registry.repository,
        "format": DOCKER_FORMAT,
        "description": "knative-platform: images built from the stack's source services (src-<fingerprint> tags)",
        "docker_config": {"immutable_tags": True},
        "cleanup_policy_dry_run": registry.cleanup_dry_run,
        "cleanup_policies": [
            {"id": "keep-recent", "action": "KEEP", "most_recent_versions": {"keep_count": registry.keep}},
            {"id": "delete-old", "action": "DELETE",
             "condition": {"tag_state": "ANY", "older_than": f"{registry.delete_after_days * SECONDS_PER_DAY}s"}},
        ],
        **({"labels": dict(labels)} if labels else {}),
    }


def member_key(member: str) -> str:
    """A short, stable name part for an IAM member: a grant keeps its resource when others are added or removed."""
    return hashlib.sha256(member.encode()).hexdigest()[:8]


def grant_args(registry: ArtifactRegistry, role: str, member: Any) -> dict[str, Any]:
    """A ``gcp.artifactregistry.RepositoryIamMember`` on the stack's repository."""
    return {"project": registry.project, "location": registry.location, "repository": registry.repository,
            "role": role, "member": member}
