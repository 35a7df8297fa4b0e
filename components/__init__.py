"""knative-platform: Pulumi components and typed specs for a Knative platform you own.

Import what you need::

    from components import Service, Canary, KnativeApp, KnativeAppArgs

The spec layer (``Service``, traffic policies, ``build_platform_spec``) and the
renderers (``render_service`` ...) need no Pulumi and are imported eagerly. The
Pulumi components are imported on first use, so ``components.spec`` and
``components.manifests`` stay usable in tools and tests without the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .manifests.knative import render_domain_mapping, render_namespace, render_service
from .manifests.urls import ServiceUrls, service_urls
from .spec import (
    LATEST,
    Autoscaling,
    BlueGreen,
    Canary,
    Colour,
    ExistingCluster,
    Gradual,
    Latest,
    Metric,
    Pin,
    PlatformSpec,
    PortProtocol,
    Probe,
    Probes,
    ProbeType,
    Problem,
    Quantities,
    Resources,
    Rollback,
    SecretKeyRef,
    Service,
    SpecError,
    Split,
    Target,
    TrafficPolicy,
    Visibility,
    build_platform_spec,
    compile_traffic,
    service_problems,
    validate_service,
)

if TYPE_CHECKING:
    from .app import KnativeApp, KnativeAppArgs
    from .config import StackConfig, load_stack_config
    from .errors import ConfigError
    from .platform import Platform, PlatformArgs
    from .reference import PlatformReference, PlatformReferenceArgs

_LAZY = {
    "KnativeApp": ".app",
    "KnativeAppArgs": ".app",
    "Platform": ".platform",
    "PlatformArgs": ".platform",
    "PlatformReference": ".reference",
    "PlatformReferenceArgs": ".reference",
    "ConfigError": ".errors",
    "StackConfig": ".config",
    "load_stack_config": ".config",
}


def __getattr__(name: str) -> Any:
    """Import Pulumi components on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LATEST",
    "Autoscaling",
    "BlueGreen",
    "Canary",
    "Colour",
    "ConfigError",
    "ExistingCluster",
    "Gradual",
    "KnativeApp",
    "KnativeAppArgs",
    "Latest",
    "Metric",
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
    "Resources",
    "Rollback",
    "SecretKeyRef",
    "Service",
    "ServiceUrls",
    "SpecError",
    "Split",
    "StackConfig",
    "Target",
    "TrafficPolicy",
    "Visibility",
    "build_platform_spec",
    "compile_traffic",
    "load_stack_config",
    "render_domain_mapping",
    "render_namespace",
    "render_service",
    "service_problems",
    "service_urls",
    "validate_service",
]
