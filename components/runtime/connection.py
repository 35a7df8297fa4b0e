"""How the program reaches its cluster: the one Kubernetes provider and what the platform's parts need of it.

``Platform._connect`` makes it, for a GKE cluster the platform creates or an existing cluster reached by a
kubeconfig; everything else running on Kubernetes (Knative, the ingress, the apps, the registry's pull grant)
reads it. A value object of the program's shell: it creates no resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

if TYPE_CHECKING:
    import pulumi_gcp as gcp


@dataclass(frozen=True)
class ClusterConnection:
    """What everything running on Kubernetes needs from the cluster, whichever way the stack gets one.

    ``provider`` is the one Kubernetes provider every Kubernetes resource uses.
    ``kubeconfig`` (a Pulumi secret) is exported for app stacks, when known.
    ``ingress_address`` is the reserved external IP the platform's gateway
    answers on, when the stack has one. ``ready`` lists resources that must
    exist before anything is applied to the cluster (node pools, firewall rules).
    ``outputs`` are stack outputs only this kind of cluster has (GKE:
    ``clusterName``, ``clusterLocation``, ``clusterEndpoint``).
    """

    provider: k8s.Provider
    identifier: str
    kubeconfig: pulumi.Output[str] | None = None
    ingress_address: pulumi.Output[str] | None = None
    ready: tuple[pulumi.Resource, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    gcp_provider: gcp.Provider | None = None
    """The explicit GCP provider of a cluster the platform creates, for the GCP resources around it."""
    node_member: pulumi.Output[str] | None = None
    """``serviceAccount:<email>`` of the nodes of a cluster the platform creates: they pull the stack's images."""
    workload_pool: pulumi.Output[str] | None = None
    """The Workload Identity pool of a cluster the platform creates, read from the cluster: every IAM grant to
    one of its members waits for the cluster, which creates the pool (issue 18, N3)."""
