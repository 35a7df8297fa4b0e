"""The spec layer: typed objects, their validation and the config loader. No Pulumi import here.

Everything a stack deploys is first a value of these types. Values come from
stack config (:func:`build_platform_spec`) or from Python declarations, and both
paths meet the same validation, so an app team sees ``services.api.traffic:
percents sum to 90, must be 100`` before anything touches a cloud.
"""

from .errors import Problem, SpecError
from .knative import (
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
from .platform import ClusterType, ExistingCluster, PlatformSpec, build_platform_spec, platform_problems
from .service import (
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
from .tls import AcmeServer, Challenge, CloudDns, HttpProtocol, TlsSpec
from .traffic import (
    LATEST,
    BlueGreen,
    Canary,
    Colour,
    CompiledTraffic,
    Gradual,
    Latest,
    Pin,
    Rollback,
    Split,
    Target,
    TrafficPolicy,
    compile_traffic,
)

__all__ = [
    "LATEST",
    "AcmeServer",
    "AutoscalerSettings",
    "Autoscaling",
    "BlueGreen",
    "Canary",
    "Challenge",
    "CloudDns",
    "ClusterType",
    "Colour",
    "CompiledTraffic",
    "DefaultsSettings",
    "DeploymentSettings",
    "ExistingCluster",
    "FeatureFlag",
    "FeatureSettings",
    "GcSettings",
    "Gradual",
    "HttpProtocol",
    "Ingress",
    "KnativeSettings",
    "Latest",
    "Metric",
    "NetworkSettings",
    "Pin",
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
    "SpecError",
    "Split",
    "Target",
    "TlsSpec",
    "TrafficPolicy",
    "Visibility",
    "build_platform_spec",
    "compile_traffic",
    "platform_problems",
    "service_problems",
    "validate_service",
]
