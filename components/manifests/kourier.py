"""Kourier, Knative's own ingress: the proven fallback to kgateway, with the same outputs.

Kourier's release creates its gateway Service ``kourier-system/kourier``
(LoadBalancer) and its settings map ``knative-serving/config-kourier``; the
platform patches only the keys it owns.
"""

from __future__ import annotations

from typing import Any

from ..spec.knative import KnativeSettings
from .knative_config import config_map

KOURIER_NAMESPACE = "kourier-system"
KOURIER_SERVICE = "kourier"
KOURIER_IDLE_TIMEOUT_FLOOR = 300
"""Kourier's default ``stream-idle-timeout`` in seconds."""


def config_kourier(settings: KnativeSettings) -> dict[str, Any]:
    """``config-kourier``: access logs on, and an idle timeout no shorter than the longest allowed request.

    Kourier cuts a stream idle for ``stream-idle-timeout`` (300 s by default);
    when the platform allows longer requests (``max-revision-timeout-seconds``)
    the gateway must not cut them first.
    """
    idle = max(KOURIER_IDLE_TIMEOUT_FLOOR, settings.defaults.max_revision_timeout_seconds)
    return config_map("config-kourier", {
        "enable-service-access-logging": "true",
        "stream-idle-timeout": f"{idle}s",
    })


def kourier_service_patch(address: str) -> dict[str, Any]:
    """The gateway Service requests the stack's reserved static IP."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": KOURIER_SERVICE, "namespace": KOURIER_NAMESPACE},
        "spec": {"loadBalancerIP": address},
    }


def address_command() -> str:
    """The shell that prints Kourier's external address, for stacks that reserve none."""
    return (f"$(kubectl -n {KOURIER_NAMESPACE} get service {KOURIER_SERVICE} "
            "-o jsonpath='{.status.loadBalancer.ingress[0].ip}')")
