"""Knative Serving's ConfigMaps, as the platform sets them: pure data, applied as server-side-apply patches.

Serving's release creates every ``config-*`` ConfigMap in ``knative-serving``
with only an ``_example`` block; the platform owns exactly the keys rendered
here (a ``ConfigMapPatch`` per map, so Knative's own keys such as
``queue-sidecar-image`` stay Knative's). Every typed setting is written out,
defaults included, so the rendered map states the whole policy.

Values are strings, as a ConfigMap requires; booleans are ``"true"``/``"false"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from ..model.platform.knative import FEATURE_KEYS, Ingress, KnativeSettings, resolved_features
from ..model.tls.tls import Challenge, HttpProtocol, TlsSpec, platform_terminates_tls

KNATIVE_NAMESPACE = "knative-serving"
GATEWAY_API_INGRESS_CLASS = "gateway-api.ingress.networking.knative.dev"
KOURIER_INGRESS_CLASS = "kourier.ingress.networking.knative.dev"
INGRESS_CLASSES = {Ingress.KGATEWAY: GATEWAY_API_INGRESS_CLASS, Ingress.KOURIER: KOURIER_INGRESS_CLASS}
"""Knative's ``ingress-class`` per networking layer: kgateway is reached through net-gateway-api's class."""
CERT_MANAGER_CERTIFICATE_CLASS = "cert-manager.certificate.networking.knative.dev"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def config_map(name: str, data: Mapping[str, str], namespace: str = KNATIVE_NAMESPACE) -> dict[str, Any]:
    """A ConfigMap (patch) naming only the keys the platform owns, in a stable order.

    No labels: Knative's release already sets ``app.kubernetes.io/*`` on these
    maps, and claiming them in a server-side-apply patch would conflict.
    """
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(sorted(data.items())),
    }


def wildcard_namespace_selector(namespaces: Iterable[str]) -> str:
    """``namespace-wildcard-cert-selector`` picking exactly the namespaces that serve public services."""
    names = sorted(set(namespaces))
    if not names:
        return ""
    selector = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": names}]}
    return yaml.safe_dump(selector, sort_keys=False, default_flow_style=False)


def config_network(settings: KnativeSettings, ingress: Ingress, tls: TlsSpec | None,
                   public_namespaces: Iterable[str] = ()) -> dict[str, Any]:
    """``config-network``: the ingress class, host templates and external-domain TLS.

    ``autocreate-cluster-domain-claims`` stays off: the platform claims each
    custom domain for its namespace itself (ClusterDomainClaim), so one team
    cannot take another team's domain.

    With Kourier, Knative provisions certificates itself (``external-domain-tls:
    Enabled`` with cert-manager). With kgateway the platform's own Gateway
    listeners terminate TLS (:mod:`knative_platform.manifests.gateway_tls`), so
    Knative's provisioning stays off and ``default-external-scheme: https`` only
    makes the URLs it reports say https (knative/networking ``release-1.23``,
    ``pkg/config/config.go``: ``default-external-scheme``). There ``http-protocol``
    changes nothing in net-gateway-api ``knative-v1.23.0``: it neither redirects
    (the platform's own route does: :mod:`knative_platform.manifests.gateway_tls`) nor
    reaches the prober, which always probes plain HTTP (``lister.go`` reads
    ``status.Backends.HTTPOption``, which ``reconcile_resources.go``
    ``probeTargets`` never sets). With Kourier, ``Redirected`` makes Kourier
    redirect plain HTTP itself.
    """
    knative_tls = tls is not None and not platform_terminates_tls(ingress, tls)
    data = {
        "ingress-class": INGRESS_CLASSES[ingress],
        "domain-template": settings.network.domain_template,
        "tag-template": settings.network.tag_template,
        "autocreate-cluster-domain-claims": "false",
        "external-domain-tls": "Enabled" if knative_tls else "Disabled",
        "http-protocol": "Redirected" if tls and tls.http_protocol is HttpProtocol.REDIRECTED else "Enabled",
    }
    if tls is not None and not knative_tls:
        data["default-external-scheme"] = "https"
    if tls is not None and knative_tls:
        data["certificate-class"] = CERT_MANAGER_CERTIFICATE_CLASS
        if tls.challenge is Challenge.DNS01:
            data["namespace-wildcard-cert-selector"] = wildcard_namespace_selector(public_namespaces)
    return config_map("config-network", data)


def config_domain(domain: str) -> dict[str, Any]:
    """``config-domain``: every public route gets ``domain`` (cluster-local ones keep svc.cluster.local)."""
    return config_map("config-domain", {domain: ""})


def config_autoscaler(settings: KnativeSettings) -> dict[str, Any]:
    """``config-autoscaler``: scale to zero, its windows, and the defaults every revision inherits."""
    a = settings.autoscaler
    return config_map("config-autoscaler", {
        "enable-scale-to-zero": _bool(a.scale_to_zero),
        "scale-to-zero-grace-period": a.scale_to_zero_grace_period,
        "stable-window": a.stable_window,
        "container-concurrency-target-default": str(a.target_concurrency),
        "container-concurrency-target-percentage": str(a.target_utilization_percentage),
        "target-burst-capacity": str(a.target_burst_capacity),
        "requests-per-second-target-default": str(a.requests_per_second_target),
        "initial-scale": str(a.initial_scale),
        "allow-zero-initial-scale": _bool(a.allow_zero_initial_scale),
        "min-scale": str(a.min_scale),
        "max-scale": str(a.max_scale),
        "max-scale-limit": str(a.max_scale_limit),
    })


def config_defaults(settings: KnativeSettings) -> dict[str, Any]:
    """``config-defaults``: request timeouts and the concurrency limit a revision gets when it sets none."""
    d = settings.defaults
    return config_map("config-defaults", {
        "revision-timeout-seconds": str(d.revision_timeout_seconds),
        "max-revision-timeout-seconds": str(d.max_revision_timeout_seconds),
        "container-concurrency": str(d.container_concurrency),
    })


def config_features(settings: KnativeSettings) -> dict[str, Any]:
    """``config-features``: which PodSpec extensions and routing features services may use."""
    f = resolved_features(settings.features)  # the platform passes flags its services need already decided
    return config_map("config-features", {key: getattr(f, field).value for field, key in FEATURE_KEYS.items()})


def config_gc(settings: KnativeSettings) -> dict[str, Any]:
    """``config-gc``: how many inactive revisions survive, and for how long (rollback targets)."""
    g = settings.gc
    return config_map("config-gc", {
        "retain-since-create-time": g.retain_since_create_time,
        "retain-since-last-active-time": g.retain_since_last_active_time,
        "min-non-active-revisions": str(g.min_non_active_revisions),
        "max-non-active-revisions": "disabled" if g.max_non_active_revisions is None
        else str(g.max_non_active_revisions),
    })


def config_deployment(settings: KnativeSettings) -> dict[str, Any]:
    """``config-deployment``: rollout deadline, digest resolution, queue-proxy resources.

    Knative's own ``queue-sidecar-image`` key is left alone: the release pins it by digest.
    """
    d = settings.deployment
    data = {
        "progress-deadline": d.progress_deadline,
        "digest-resolution-timeout": d.digest_resolution_timeout,
        "registries-skipping-tag-resolving": ",".join(d.registries_skipping_tag_resolving),
        "queue-sidecar-cpu-request": d.queue_sidecar_cpu_request,
    }
    for key, value in (("queue-sidecar-memory-request", d.queue_sidecar_memory_request),
                       ("queue-sidecar-cpu-limit", d.queue_sidecar_cpu_limit),
                       ("queue-sidecar-memory-limit", d.queue_sidecar_memory_limit)):
        if value is not None:
            data[key] = value
    return config_map("config-deployment", data)


def config_certmanager(tls: TlsSpec) -> dict[str, Any]:
    """``config-certmanager``: external-domain certificates come from the platform's ClusterIssuer."""
    issuer = yaml.safe_dump({"kind": "ClusterIssuer", "name": tls.issuer_name}, sort_keys=False)
    return config_map("config-certmanager", {"issuerRef": issuer})


def knative_config_maps(settings: KnativeSettings, ingress: Ingress, tls: TlsSpec | None,
                        public_namespaces: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every ``config-*`` map the platform sets, except ``config-domain`` (its domain may be known only later)."""
    maps = [
        config_network(settings, ingress, tls, public_namespaces),
        config_autoscaler(settings),
        config_defaults(settings),
        config_features(settings),
        config_gc(settings),
        config_deployment(settings),
    ]
    if tls is not None and not platform_terminates_tls(ingress, tls):
        maps.append(config_certmanager(tls))
    return maps
