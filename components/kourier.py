"""``Kourier``: Knative's own ingress, the proven fallback to kgateway, with the same outputs.

Knative tests Kourier end to end on every release; choose it with
``knative-platform:ingress: kourier`` when the kgateway pairing (untested by
Knative) is not a risk you want. Kourier installs after Serving's core (its
controller lives in ``knative-serving``); its gateway Service
``kourier-system/kourier`` requests the stack's reserved IP, if any, or is
exposed on fixed node ports on a cluster without load balancers (kind).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .knative import leave_controller_owned_fields
from .manifests.bundles import as_node_port_service
from .manifests.knative_config import KOURIER_INGRESS_CLASS
from .manifests.kourier import (
    KOURIER_NAMESPACE,
    KOURIER_SERVICE,
    address_command,
    config_kourier,
    kourier_service_patch,
)


@dataclass(frozen=True)
class KourierArgs:
    """The cluster, the reserved IP or the node ports of the gateway, and Serving's core.

    ``node_ports`` maps the gateway Service's ports (80, 443) to fixed node
    ports; without it the Service stays Kourier's LoadBalancer.
    """

    provider: k8s.Provider
    """The Kubernetes provider of the cluster."""
    address: pulumi.Input[str] | None = None
    """The reserved external IP the gateway's load balancer takes, if any."""
    knative: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Knative Serving's core, which Kourier's release needs first."""
    node_ports: Mapping[int, int] | None = None
    """Fixed node ports for the gateway's ports 80 and 443; unset: a LoadBalancer Service."""


def _node_port_transform(node_ports: Mapping[int, int]) -> pulumi.ResourceTransform:
    """A transform that turns Kourier's gateway Service into a NodePort Service before it is applied."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        metadata: Any = args.props.get("metadata") or {}
        if (args.type_ == "kubernetes:core/v1:Service" and metadata.get("name") == KOURIER_SERVICE
                and metadata.get("namespace") == KOURIER_NAMESPACE):
            return pulumi.ResourceTransformResult(props=as_node_port_service(args.props, node_ports), opts=args.opts)
        return None

    return transform


class Kourier(pulumi.ComponentResource):
    """Kourier wired into Knative; :attr:`ready` is what apps must wait for."""

    ingress_class: str = KOURIER_INGRESS_CLASS
    address_command: str
    versions: dict[str, str]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KourierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:Kourier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        transforms: list[pulumi.ResourceTransform] = [leave_controller_owned_fields]
        if args.node_ports:
            transforms.append(_node_port_transform(args.node_ports))
        kourier = k8s.yaml.v2.ConfigFile(
            "net-kourier",
            file=versions.NET_KOURIER.url,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=list(args.knative), transforms=transforms)),
        )
        after = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[kourier]))
        settings = config_kourier()
        config = k8s.core.v1.ConfigMapPatch("config-kourier", metadata=settings["metadata"], data=settings["data"],
                                            opts=after)
        self.ready = [kourier, config]
        if args.address is not None:
            service = pulumi.Output.from_input(args.address).apply(kourier_service_patch)
            self.ready.append(k8s.core.v1.ServicePatch(
                "kourier-gateway-address",
                metadata=service.apply(lambda s: s["metadata"]),
                spec=service.apply(lambda s: s["spec"]),
                opts=after,
            ))
        self.address_command = address_command()
        self.versions = versions.installed(versions.NET_KOURIER)
        self.register_outputs({"ingressClass": self.ingress_class, "versions": self.versions})
