"""``Kourier``: Knative's own ingress, the proven fallback to Gloo (kgateway), with the same outputs.

Knative tests Kourier end to end on every release; choose it with
``knative-platform:ingress: kourier`` when the kgateway pairing (untested by
Knative) is not a risk you want. Kourier installs after Serving's core (its
controller lives in ``knative-serving``); its gateway Service
``kourier-system/kourier`` requests the stack's reserved IP, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .manifests.knative_config import KOURIER_INGRESS_CLASS
from .manifests.kourier import address_command, config_kourier, kourier_service_patch


@dataclass(frozen=True)
class KourierArgs:
    """The cluster, the reserved IP, and Serving's core."""

    provider: k8s.Provider
    address: pulumi.Input[str] | None = None
    knative: Sequence[pulumi.Resource] = field(default_factory=tuple)


class Kourier(pulumi.ComponentResource):
    """Kourier wired into Knative; :attr:`ready` is what apps must wait for."""

    ingress_class: str = KOURIER_INGRESS_CLASS
    address_command: str
    versions: dict[str, str]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KourierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:Kourier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        kourier = k8s.yaml.v2.ConfigFile(
            "net-kourier",
            file=versions.NET_KOURIER.url,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(args.knative))),
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
