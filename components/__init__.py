"""knative-platform: Pulumi components and a typed model for a Knative platform you own.

Import what you need::

    from knative_platform import Canary, KnativeApp, KnativeAppArgs, Service

The package root holds the public API, :data:`PUBLIC_API` (38 names): the
components a user composes, with their arguments; the service model and its
traffic policies; the errors. Everything else is importable from its own module:
the parts only ``Platform`` and ``KnativeApp`` compose
(``knative_platform.identity.ServiceIdentity``, ``knative_platform.dns01.Dns01Identity``,
``knative_platform.binauthz.BinaryAuthorizationPolicy``), the stack-config entry
points (``knative_platform.runtime.config.load_stack_config``,
``knative_platform.model.platform.platform.build_platform_spec``), the typed model
(``knative_platform.model.service.traffic`` ...) and the renderers
(``knative_platform.manifests.knative`` ...). Each name loads on first use (PEP
562), so importing the package needs neither Pulumi nor pulumi-gcp; of the root's
components only ``GkeCluster`` needs pulumi-gcp (the ``gke`` extra,
:data:`NEEDS_GKE_EXTRA`).
Type checkers read ``__init__.pyi``, generated from :data:`PUBLIC_API`
(tests/test_public_api.py).

In the repository the folder is ``components/`` and its one import name is
``knative_platform``: the ``knative_platform`` link at the repository's root
points at it, and ``pip install -e .`` installs it under that name.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

if __name__ != "knative_platform":  # the folder imported by its own name would be a second copy of every class
    raise ImportError(f"import knative_platform, not {__name__}: the folder {__path__[0]} is the knative_platform "
                      "package (the repository's root links knative_platform to it; `pip install -e .` installs it)",
                      name=__name__)

PUBLIC_API: dict[str, tuple[str, ...]] = {
    # the components, each with its arguments
    ".app": ("KnativeApp", "KnativeAppArgs"),
    ".eventing": ("KnativeEventing", "KnativeEventingArgs"),
    ".gke": ("GkeCluster", "GkeClusterArgs"),
    ".kgateway": ("Kgateway", "KgatewayArgs"),
    ".knative": ("KnativeServing", "KnativeServingArgs"),
    ".kourier": ("Kourier", "KourierArgs"),
    ".platform": ("Platform", "PlatformArgs"),
    ".reference": ("PlatformReference", "PlatformReferenceArgs"),
    ".tls": ("AutoTls", "AutoTlsArgs"),
    # the service model: what an app team declares
    ".model.service.service": ("Quantities", "Resources", "Service", "Visibility"),
    ".model.service.autoscaling": ("Autoscaling",),
    ".model.service.identity": ("ServiceAccount",),
    ".model.service.traffic": ("BlueGreen", "Canary", "Colour", "Gradual", "Latest", "Pin", "Rollback", "Split",
                               "Target"),
    ".model.source.source": ("Source",),
    ".model.eventing.eventing": ("Schedule", "Trigger"),
    # the errors bad input raises
    ".model.core.errors": ("SpecError",),
    ".runtime.errors": ("ConfigError",),
}
"""Every public name, by the module it comes from: the one list (``__all__`` and the stub follow it)."""

NEEDS_GKE_EXTRA = frozenset({".gke"})
"""The modules of :data:`PUBLIC_API` that import pulumi-gcp. Without the ``gke`` extra their names are left out
of ``__all__``, so ``from knative_platform import *`` works; imported by name, each says which extra it needs."""

_MODULE_OF = {name: module for module, names in PUBLIC_API.items() for name in names}
_HAVE_GCP = importlib.util.find_spec("pulumi_gcp") is not None

__all__ = sorted(name for name, module in _MODULE_OF.items() if _HAVE_GCP or module not in NEEDS_GKE_EXTRA)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name, __name__)
    except ModuleNotFoundError as exc:
        if exc.name != "pulumi_gcp":
            raise
        from .runtime.gcp_sdk import pulumi_gcp

        pulumi_gcp(name)  # raises: the name, that it creates Google Cloud resources, and the extra to install
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's attributes and every public name, loaded or not."""
    return sorted({*globals(), *__all__})
