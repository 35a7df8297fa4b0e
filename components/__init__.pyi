"""Generated from ``PUBLIC_API`` in ``__init__.py``, for type checkers: do not edit.

Regenerate with ``UPDATE_STUB=1 pytest tests/test_public_api.py``.
"""

from .app import KnativeApp as KnativeApp
from .app import KnativeAppArgs as KnativeAppArgs
from .eventing import KnativeEventing as KnativeEventing
from .eventing import KnativeEventingArgs as KnativeEventingArgs
from .gke import GkeCluster as GkeCluster
from .gke import GkeClusterArgs as GkeClusterArgs
from .kgateway import Kgateway as Kgateway
from .kgateway import KgatewayArgs as KgatewayArgs
from .knative import KnativeServing as KnativeServing
from .knative import KnativeServingArgs as KnativeServingArgs
from .kourier import Kourier as Kourier
from .kourier import KourierArgs as KourierArgs
from .model.core.errors import SpecError as SpecError
from .model.eventing.eventing import Schedule as Schedule
from .model.eventing.eventing import Trigger as Trigger
from .model.service.autoscaling import Autoscaling as Autoscaling
from .model.service.identity import ServiceAccount as ServiceAccount
from .model.service.service import Quantities as Quantities
from .model.service.service import Resources as Resources
from .model.service.service import Service as Service
from .model.service.service import Visibility as Visibility
from .model.service.traffic import BlueGreen as BlueGreen
from .model.service.traffic import Canary as Canary
from .model.service.traffic import Colour as Colour
from .model.service.traffic import Gradual as Gradual
from .model.service.traffic import Latest as Latest
from .model.service.traffic import Pin as Pin
from .model.service.traffic import Rollback as Rollback
from .model.service.traffic import Split as Split
from .model.service.traffic import Target as Target
from .model.source.source import Source as Source
from .platform import Platform as Platform
from .platform import PlatformArgs as PlatformArgs
from .reference import PlatformReference as PlatformReference
from .reference import PlatformReferenceArgs as PlatformReferenceArgs
from .runtime.errors import ConfigError as ConfigError
from .tls import AutoTls as AutoTls
from .tls import AutoTlsArgs as AutoTlsArgs

PUBLIC_API: dict[str, tuple[str, ...]]
__all__ = [
    "AutoTls",
    "AutoTlsArgs",
    "Autoscaling",
    "BlueGreen",
    "Canary",
    "Colour",
    "ConfigError",
    "GkeCluster",
    "GkeClusterArgs",
    "Gradual",
    "Kgateway",
    "KgatewayArgs",
    "KnativeApp",
    "KnativeAppArgs",
    "KnativeEventing",
    "KnativeEventingArgs",
    "KnativeServing",
    "KnativeServingArgs",
    "Kourier",
    "KourierArgs",
    "Latest",
    "Pin",
    "Platform",
    "PlatformArgs",
    "PlatformReference",
    "PlatformReferenceArgs",
    "Quantities",
    "Resources",
    "Rollback",
    "Schedule",
    "Service",
    "ServiceAccount",
    "Source",
    "SpecError",
    "Split",
    "Target",
    "Trigger",
    "Visibility",
]
