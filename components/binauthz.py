"""``BinaryAuthorizationPolicy``: the project's Binary Authorization policy, written by the platform.

A GKE cluster in ``PROJECT_SINGLETON_POLICY_ENFORCE`` mode checks every pod
against its project's policy, and a project whose policy was never written
allows every image. This component writes it from
:mod:`knative_platform.gcp_args.binauthz`: deny by default, admit the platform's own
images, the stack's service images and the registry paths the stack names;
dev and staging run it in dry run (``relax.binaryAuthorizationDryRun``), prod
blocks. The policy is a singleton of the project: one platform stack per
project writes it. Everything on the cluster waits for it, so a new service's
image is admitted before its first pod is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .gcp_args.binauthz import policy_args
from .model.cluster.cluster import GkeClusterSpec


@dataclass(frozen=True)
class BinaryAuthorizationPolicyArgs:
    """The cluster (its project, name and relaxations), the allowlist entries, and the cluster's GCP provider."""

    cluster: GkeClusterSpec
    """The GKE cluster: its project, name and relaxations."""
    patterns: Sequence[str]
    """The image patterns the policy admits besides deny-by-default."""
    gcp_provider: gcp.Provider
    """The cluster's GCP provider."""


class BinaryAuthorizationPolicy(pulumi.ComponentResource):
    """The project's policy; :attr:`ready` is what must exist before any pod is created."""

    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: BinaryAuthorizationPolicyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:BinaryAuthorizationPolicy", name, None, opts)
        policy = gcp.binaryauthorization.Policy(
            f"{name}-policy", **policy_args(args.cluster, args.patterns),
            # like the cluster: a stray `pulumi destroy` must not drop prod's policy; relax.noDeletionProtection
            # lifts it with the cluster's
            opts=pulumi.ResourceOptions(parent=self, provider=args.gcp_provider,
                                        protect=args.cluster.deletion_protection))
        self.ready = [policy]
        self.register_outputs({"allow": list(args.patterns)})
