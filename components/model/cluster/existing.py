"""A cluster the platform does not create (``cluster.type: existing``): how to reach it and its gateway.

The ``local`` stack runs on such a cluster (kind, minikube, Docker Desktop), and
so can any cluster a platform team already operates. Two things differ from a
cluster the platform creates: how the Kubernetes provider reaches it (a
kubeconfig context or file), and how the gateway is exposed. A cloud gives a
``LoadBalancer`` Service an external address; stock kind does not, so
pulumi-kubernetes would wait ten minutes for one (it awaits a LoadBalancer
Service until an address is allocated: pulumi-kubernetes
``provider/pkg/await/service.go``) and kgateway would publish no Gateway address
for Knative to probe (kgateway ``pkg/kgateway/controller/gw_controller.go``
``getDesiredAddresses`` returns nothing for a LoadBalancer without ingress).
``gatewayService: NodePort`` exposes the gateway on fixed node ports instead,
which ``stacks/kind.yaml`` maps to localhost.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from ..core.errors import Problem, join_path
from .cluster import ClusterType


class GatewayService(enum.StrEnum):
    """How the platform's external gateway is exposed on an existing cluster."""

    LOAD_BALANCER = "LoadBalancer"
    NODE_PORT = "NodePort"


NODE_PORT_RANGE = (30000, 32767)
"""Kubernetes' default ``--service-node-port-range``."""
KIND_CONTEXT_PREFIX = "kind-"
"""kind names every kubeconfig context it writes ``kind-<cluster name>``."""


@dataclass(frozen=True, kw_only=True)
class NodePorts:
    """The fixed node ports of a NodePort gateway: one for plain HTTP (port 80) and one for HTTPS (port 443)."""

    http: int = 31080
    https: int = 31443


@dataclass(frozen=True, kw_only=True)
class ExistingCluster:
    """A cluster the platform does not create (the ``local`` stack: kind, minikube, Docker Desktop).

    ``context`` picks a kubeconfig context; ``kubeconfig`` is a *path* to a
    kubeconfig file. Inline kubeconfig content belongs in the secret config key
    ``knative-platform:kubeconfig`` instead, so it is encrypted in the stack file.
    """

    type: ClusterType = ClusterType.EXISTING
    context: str | None = None
    kubeconfig: str | None = None
    ingress_address: str | None = None
    """A static external IP reserved outside this stack that the platform gateway's load balancer requests
    (for example a regional address reserved for an existing GKE cluster). Without it the load balancer
    gets whatever address the cloud assigns."""
    gateway_service: GatewayService | None = None
    """``LoadBalancer`` (the default) or ``NodePort``; a kind context must say which, since stock kind has no
    load-balancer controller."""
    node_ports: NodePorts | None = field(default=None)
    """With ``gatewayService: NodePort``: the node ports; defaults 31080 (http) and 31443 (https)."""

    @property
    def identifier(self) -> str:
        """A stable name for the Kubernetes provider's ``cluster_identifier``."""
        return f"existing/{self.context or 'current-context'}"

    @property
    def exposure(self) -> GatewayService:
        """How the gateway is exposed, with the default filled in."""
        return self.gateway_service or GatewayService.LOAD_BALANCER

    @property
    def gateway_node_ports(self) -> NodePorts | None:
        """The node ports of a NodePort gateway (defaults filled in), or None for a load balancer."""
        if self.exposure is not GatewayService.NODE_PORT:
            return None
        return self.node_ports or NodePorts()


def existing_cluster_problems(cluster: ExistingCluster, path: str = "cluster") -> list[Problem]:
    """What cannot work as declared for an existing cluster: addresses, exposure, node ports."""
    problems: list[Problem] = []

    def add(key: str, message: str) -> None:
        problems.append(Problem(join_path(path, key), message))

    if cluster.ingress_address is not None:
        try:
            ipaddress.ip_address(cluster.ingress_address)
        except ValueError:
            add("ingressAddress", f"'{cluster.ingress_address}' is not an IP address like 203.0.113.7")
    if cluster.gateway_service is None and (cluster.context or "").startswith(KIND_CONTEXT_PREFIX):
        add("gatewayService", f"context '{cluster.context}' is a kind cluster, which gives LoadBalancer Services no "
                              "address: `pulumi up` would wait 10 minutes for one and Knative could never probe the "
                              "gateway. Set gatewayService: NodePort and create the cluster with stacks/kind.yaml "
                              "(it maps node ports 31080 and 31443 to localhost:80 and :443), or gatewayService: "
                              "LoadBalancer if the cluster runs a load-balancer controller (cloud-provider-kind, "
                              "MetalLB)")
    if cluster.exposure is GatewayService.NODE_PORT:
        if cluster.ingress_address is not None:
            add("ingressAddress", "is an address for a load balancer, but gatewayService is NodePort: remove one")
        ports = cluster.gateway_node_ports or NodePorts()
        low, high = NODE_PORT_RANGE
        for key, port in (("http", ports.http), ("https", ports.https)):
            if not low <= port <= high:
                add(f"nodePorts.{key}", f"is {port}, must be in Kubernetes' node port range {low}-{high}")
        if ports.http == ports.https:
            add("nodePorts", f"http and https are both {ports.http}; give each its own node port")
    elif cluster.node_ports is not None:
        add("nodePorts", "is used only with gatewayService: NodePort; remove it or set gatewayService: NodePort")
    return problems


def gateway_node_ports(cluster: object) -> dict[int, int] | None:
    """``{80: http node port, 443: https node port}`` for a NodePort gateway, else None (any cluster type)."""
    if not isinstance(cluster, ExistingCluster):
        return None
    ports = cluster.gateway_node_ports
    return None if ports is None else {80: ports.http, 443: ports.https}
