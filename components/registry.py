"""``ArtifactRegistryRepository``: the stack's Docker repository for images built from source (issue 20).

The arguments come from :mod:`knative_platform.gcp_args.registry`: a DOCKER
repository with immutable tags and cleanup policies (dry run until the stack
says otherwise), the builder identities' ``roles/artifactregistry.writer`` and
the nodes' ``roles/artifactregistry.reader`` on this repository only. The
platform creates it when ``knative-platform:registry`` is ``{type:
artifactRegistry, ...}``, on the cluster's GCP provider; ``knative-platform build``
pushes to :attr:`prefix`, which the ``registry`` stack output carries to app stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .gcp_args.registry import READER_ROLE, WRITER_ROLE, grant_args, member_key, repository_args
from .model.source.registry import ArtifactRegistry


@dataclass(frozen=True)
class ArtifactRegistryRepositoryArgs:
    """The registry's spec, the GCP provider, the nodes' account (they pull) and whether to protect it."""

    registry: ArtifactRegistry
    """The stack's ``knative-platform:registry`` of type ``artifactRegistry``: names, grants, cleanup."""
    gcp_provider: gcp.Provider
    """The cluster's explicit GCP provider: the repository and its grants live in the cluster's project setup."""
    node_member: pulumi.Input[str] | None = None
    """``serviceAccount:<the nodes' account>``: granted the reader role on the repository."""
    protect: bool = True
    """Deleting the repository deletes every image a revision runs: protected like the cluster."""


class ArtifactRegistryRepository(pulumi.ComponentResource):
    """The repository and its grants; :attr:`prefix` is ``<location>-docker.pkg.dev/<project>/<repository>``."""

    prefix: str
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: ArtifactRegistryRepositoryArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:ArtifactRegistryRepository", name, None, opts)
        registry = args.registry
        child = pulumi.ResourceOptions(parent=self, provider=args.gcp_provider)
        repository = gcp.artifactregistry.Repository(
            f"{name}-repository", **repository_args(registry),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.protect)))
        after = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[repository]))
        grants = [gcp.artifactregistry.RepositoryIamMember(f"{name}-push-{member_key(member)}",
                                                           **grant_args(registry, WRITER_ROLE, member), opts=after)
                  for member in registry.pushers]
        grants += [gcp.artifactregistry.RepositoryIamMember(f"{name}-pull-{member_key(member)}",
                                                            **grant_args(registry, READER_ROLE, member), opts=after)
                   for member in registry.readers]
        if args.node_member is not None:
            grants.append(gcp.artifactregistry.RepositoryIamMember(
                f"{name}-pull-nodes", **grant_args(registry, READER_ROLE, args.node_member), opts=after))
        self.prefix = registry.prefix
        self.ready = [repository, *grants]
        self.register_outputs({"prefix": self.prefix})
