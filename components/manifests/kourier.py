"""Kourier, Knative's own ingress: the proven fallback to kgateway, with the same outputs.

Kourier's release creates its gateway Service ``kourier-system/kourier``
(LoadBalancer) and its settings map ``knative-serving/config-kourier``; the
platform patches only the keys it owns.
"""

from __future__ import annotations

from typing import Any

from .knative_config import config_map

KOURIER_NAMESPACE = "kourier-system"
KOURIER_SERVICE = "kourier"


def config_kourier() -> dict[str, Any]:
    """``config-kourier``: access logs on; Kourier's own stream idle timeout left alone.

    Kourier's ``stream-idle-timeout`` defaults to ``0s``, which Envoy reads as no
    idle timeout (net-kourier ``knative-v1.23.0``,
    ``pkg/reconciler/ingress/config/kourier.go`` and
    ``pkg/envoy/api/http_connection_manager.go``), so requests up to Knative's
    ``max-revision-timeout-seconds`` and long-lived streams (WebSocket, SSE,
    gRPC streaming) are never cut by the gateway; the platform does not set one.
    """
    return config_map("config-kourier", {"enable-service-access-logging": "true"})


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
