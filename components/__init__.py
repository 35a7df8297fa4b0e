"""knative-platform: Pulumi components and typed specs for a Knative platform you own.

Import what you need::

    from knative_platform import Service, Canary, KnativeApp, KnativeAppArgs

(Installed, the package is ``knative_platform``; in the platform repository it
is the ``components`` folder, and ``knative_platform`` names the same modules:
see :mod:`components.checkout`.)

The spec layer (``Service``, traffic policies, ``build_platform_spec``) and the
renderers (``render_service`` ...) need no Pulumi and are imported eagerly. The
Pulumi components are imported on first use, so ``components.model`` and
``components.manifests`` stay usable in tools and tests without the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .checkout import alias_checkout
from .manifests.knative import render_domain_mapping, render_namespace, render_service
from .manifests.urls import ServiceUrls, service_urls
from .model.cluster.cluster import (
    AuthorizedNetwork,
    BinaryAuthorization,
    CloudDns,
    ClusterProfile,
    DiskType,
    GkeClusterSpec,
    MaintenanceWindow,
    Network,
    NodePool,
    Relaxations,
    ReleaseChannel,
    SecretsEncryption,
    Taint,
    TaintEffect,
    Weekday,
    gke_cluster_problems,
)
from .model.core.errors import Problem, SpecError
from .model.platform.knative import (
    AutoscalerSettings,
    DefaultsSettings,
    DeploymentSettings,
    FeatureFlag,
    FeatureSettings,
    GcSettings,
    Ingress,
    KnativeSettings,
    NetworkSettings,
)
from .model.platform.platform import ExistingCluster, PlatformSpec, build_platform_spec
from .model.service.containers import Container, EmptyDir, EmptyDirMedium, EnvFrom, Volume
from .model.service.identity import ServiceAccount
from .model.service.service import (
    Autoscaling,
    Metric,
    PortProtocol,
    Probe,
    Probes,
    ProbeType,
    Quantities,
    Resources,
    SecretKeyRef,
    Service,
    Visibility,
    service_problems,
    validate_service,
)
from .model.service.traffic import (
    LATEST,
    BlueGreen,
    Canary,
    Colour,
    Gradual,
    Latest,
    Pin,
    Rollback,
    Split,
    Target,
    TrafficPolicy,
    compile_traffic,
)
from .model.source.source import BuildPlatform, Source
from .model.tls.tls import AcmeServer, Challenge, CloudDnsSolver, HttpProtocol, TlsSpec

alias_checkout(__name__)

if TYPE_CHECKING:
    from .app import KnativeApp, KnativeAppArgs
    from .binauthz import BinaryAuthorizationPolicy, BinaryAuthorizationPolicyArgs
    from .dns01 import Dns01Identity, Dns01IdentityArgs
    from .gke import GkeCluster, GkeClusterArgs
    from .identity import ServiceIdentity, ServiceIdentityArgs
    from .kgateway import Kgateway, KgatewayArgs
    from .knative import KnativeServing, KnativeServingArgs
    from .kourier import Kourier, KourierArgs
    from .platform import Platform, PlatformArgs
    from .reference import PlatformReference, PlatformReferenceArgs
    from .runtime.config import StackConfig, load_stack_config
    from .runtime.errors import ConfigError
    from .tls import AutoTls, AutoTlsArgs

_LAZY = {
    "BinaryAuthorizationPolicy": ".binauthz",
    "BinaryAuthorizationPolicyArgs": ".binauthz",
    "Dns01Identity": ".dns01",
    "Dns01IdentityArgs": ".dns01",
    "GkeCluster": ".gke",
    "GkeClusterArgs": ".gke",
    "KnativeApp": ".app",
    "KnativeAppArgs": ".app",
    "KnativeServing": ".knative",
    "KnativeServingArgs": ".knative",
    "Kgateway": ".kgateway",
    "ServiceIdentity": ".identity",
    "ServiceIdentityArgs": ".identity",
    "KgatewayArgs": ".kgateway",
    "Kourier": ".kourier",
    "KourierArgs": ".kourier",
    "AutoTls": ".tls",
    "AutoTlsArgs": ".tls",
    "Platform": ".platform",
    "PlatformArgs": ".platform",
    "PlatformReference": ".reference",
    "PlatformReferenceArgs": ".reference",
    "ConfigError": ".runtime.errors",
    "StackConfig": ".runtime.config",
    "load_stack_config": ".runtime.config",
}


def __getattr__(name: str) -> Any:
    """Import Pulumi components on first use (PEP 562)."""
    if name in _LAZY:
        try:
            module = importlib.import_module(_LAZY[name], __name__)
        except ModuleNotFoundError as exc:
            if exc.name != "pulumi_gcp":
                raise
            # Only the platform's own components create Google Cloud resources; app stacks skip the 290 MB.
            raise ModuleNotFoundError(f"{name} creates Google Cloud resources and needs pulumi-gcp: install "
                                      "knative-platform[gke] (an app stack needs only KnativeApp and "
                                      "PlatformReference, which do not)", name="pulumi_gcp") from exc
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LATEST",
    "AcmeServer",
    "AuthorizedNetwork",
    "AutoTls",
    "AutoTlsArgs",
    "AutoscalerSettings",
    "Autoscaling",
    "BinaryAuthorization",
    "BinaryAuthorizationPolicy",
    "BinaryAuthorizationPolicyArgs",
    "BlueGreen",
    "BuildPlatform",
    "Canary",
    "Challenge",
    "CloudDns",
    "CloudDnsSolver",
    "ClusterProfile",
    "Colour",
    "ConfigError",
    "Container",
    "DefaultsSettings",
    "DeploymentSettings",
    "DiskType",
    "Dns01Identity",
    "Dns01IdentityArgs",
    "EmptyDir",
    "EmptyDirMedium",
    "EnvFrom",
    "ExistingCluster",
    "FeatureFlag",
    "FeatureSettings",
    "GcSettings",
    "GkeCluster",
    "GkeClusterArgs",
    "GkeClusterSpec",
    "Gradual",
    "HttpProtocol",
    "Ingress",
    "Kgateway",
    "KgatewayArgs",
    "KnativeApp",
    "KnativeAppArgs",
    "KnativeServing",
    "KnativeServingArgs",
    "KnativeSettings",
    "Kourier",
    "KourierArgs",
    "Latest",
    "MaintenanceWindow",
    "Metric",
    "Network",
    "NetworkSettings",
    "NodePool",
    "Pin",
    "Platform",
    "PlatformArgs",
    "PlatformReference",
    "PlatformReferenceArgs",
    "PlatformSpec",
    "PortProtocol",
    "Probe",
    "ProbeType",
    "Probes",
    "Problem",
    "Quantities",
    "Relaxations",
    "ReleaseChannel",
    "Resources",
    "Rollback",
    "SecretKeyRef",
    "SecretsEncryption",
    "Service",
    "ServiceAccount",
    "ServiceIdentity",
    "ServiceIdentityArgs",
    "ServiceUrls",
    "Source",
    "SpecError",
    "Split",
    "StackConfig",
    "Taint",
    "TaintEffect",
    "Target",
    "TlsSpec",
    "TrafficPolicy",
    "Visibility",
    "Volume",
    "Weekday",
    "build_platform_spec",
    "compile_traffic",
    "gke_cluster_problems",
    "load_stack_config",
    "render_domain_mapping",
    "render_namespace",
    "render_service",
    "service_problems",
    "service_urls",
    "validate_service",
]
