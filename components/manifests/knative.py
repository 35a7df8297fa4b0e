"""Knative Serving objects for one service: the Service, its DomainMappings and their domain claims.

Input is a *validated* :class:`~knative_platform.model.service.service.Service`; output is the
plain dict Kubernetes receives. Field order and content depend only on the
spec, so two renders of the same stack are byte-identical.
"""

from __future__ import annotations

from typing import Any

from ..model.core.names import revision_full_name
from ..model.service.containers import USER_CONTAINER_NAME, Container, EnvFrom, Probe, Probes, ProbeType
from ..model.service.identity import GKE_SERVICE_ACCOUNT_ANNOTATION
from ..model.service.service import Autoscaling, Metric, Quantities, Service, Visibility
from ..model.service.traffic import Target, compile_traffic
from .labels import standard_labels

SERVING_V1 = "serving.knative.dev/v1"
SERVING_V1BETA1 = "serving.knative.dev/v1beta1"
NETWORKING_INTERNAL_V1ALPHA1 = "networking.internal.knative.dev/v1alpha1"
VISIBILITY_LABEL = "networking.knative.dev/visibility"
AUTOSCALING = "autoscaling.knative.dev/"
HPA_CLASS = "hpa.autoscaling.knative.dev"
WAIT_FOR_READY = {"pulumi.com/waitFor": "condition=Ready"}
"""pulumi-kubernetes does not await custom resources by default; this makes ``pulumi up`` fail
when a revision cannot become ready (bad image, crash loop) instead of reporting success."""


def _number(value: float) -> str:
    """Annotation values are strings; ``10.0`` is written ``10`` as Knative's docs write it."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def autoscaling_annotations(a: Autoscaling) -> dict[str, str]:
    """The ``autoscaling.knative.dev/*`` annotations of a revision template; only what the spec sets."""
    out = {AUTOSCALING + "min-scale": str(a.min_scale)}
    if a.max_scale is not None:  # 0 too: unlimited, whatever config-autoscaler's max-scale says
        out[AUTOSCALING + "max-scale"] = str(a.max_scale)
    if a.initial_scale is not None:
        out[AUTOSCALING + "initial-scale"] = str(a.initial_scale)
    if a.metric is not Metric.CONCURRENCY:
        out[AUTOSCALING + "metric"] = a.metric.value
    if a.metric in (Metric.CPU, Metric.MEMORY):
        out[AUTOSCALING + "class"] = HPA_CLASS
    if a.target is not None:
        out[AUTOSCALING + "target"] = _number(a.target)
    if a.target_utilization_percentage is not None:
        out[AUTOSCALING + "target-utilization-percentage"] = str(a.target_utilization_percentage)
    if a.window is not None:
        out[AUTOSCALING + "window"] = a.window
    if a.scale_down_delay is not None:
        out[AUTOSCALING + "scale-down-delay"] = a.scale_down_delay
    if a.activation_scale is not None:
        out[AUTOSCALING + "activation-scale"] = str(a.activation_scale)
    if a.target_burst_capacity is not None:
        out[AUTOSCALING + "target-burst-capacity"] = _number(a.target_burst_capacity)
    return dict(sorted(out.items()))


def _quantities(q: Quantities) -> dict[str, str]:
    pairs = (("cpu", q.cpu), ("memory", q.memory), ("ephemeral-storage", q.ephemeral_storage))
    return {k: v for k, v in pairs if v is not None}


def _probe(probe: Probe, port: int | None) -> dict[str, Any]:
    """One probe; ``port`` is the serving container's port, or None for a sidecar (which names its own)."""
    target = probe.port if probe.port is not None else port
    if probe.type is ProbeType.EXEC:
        out: dict[str, Any] = {"exec": {"command": list(probe.command)}}
    elif probe.type is ProbeType.HTTP:
        out = {"httpGet": {"path": probe.path, "port": target}}
    elif probe.type is ProbeType.TCP:
        out = {"tcpSocket": {"port": target}}
    else:
        out = {"grpc": {"port": target}}
    for key, value in (
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("failureThreshold", probe.failure_threshold),
    ):
        if value is not None:
            out[key] = value
    return out


def security_context(service: Service) -> dict[str, Any]:
    """Restricted-profile defaults Knative accepts in a revision: no escalation, no capabilities, seccomp."""
    return restricted_security_context(service.run_as_non_root)


def restricted_security_context(run_as_non_root: bool) -> dict[str, Any]:
    """The Pod Security Standard "restricted" container settings (``runAsNonRoot`` unless relaxed)."""
    ctx: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if run_as_non_root:
        ctx["runAsNonRoot"] = True
    return ctx


def _env_from(sources: tuple[EnvFrom, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for source in sources:
        entry: dict[str, Any] = {}
        if source.prefix is not None:
            entry["prefix"] = source.prefix
        if source.secret_ref is not None:
            entry["secretRef"] = {"name": source.secret_ref}
        if source.config_map_ref is not None:
            entry["configMapRef"] = {"name": source.config_map_ref}
        out.append(entry)
    return out


def _mounts(service: Service, mounts: Any) -> list[dict[str, Any]]:
    """``volumeMounts``; Secret and ConfigMap mounts read-only, as Knative requires (``validateVolumeMounts``)."""
    return [
        {"name": name, "mountPath": path, **({} if service.volumes[name].writable else {"readOnly": True})}
        for name, path in mounts.items()
    ]


def _probes(probes: Probes, port: int | None) -> dict[str, Any]:
    return {f"{kind}Probe": _probe(getattr(probes, kind), port)
            for kind in ("readiness", "liveness", "startup") if getattr(probes, kind) is not None}


def container(service: Service) -> dict[str, Any]:
    """The serving container of a revision: the only one with a port."""
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in service.env.items()]
    env += [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
        for k, ref in service.secret_env.items()
    ]
    out: dict[str, Any] = {}
    if service.sidecars:  # Knative's own default name, stated so sidecar names are checked against it
        out["name"] = USER_CONTAINER_NAME
    out["image"] = service.image
    if service.command:
        out["command"] = list(service.command)
    if service.args:
        out["args"] = list(service.args)
    out["ports"] = [{"name": service.protocol.value, "containerPort": service.port}]
    if env:
        out["env"] = env
    if service.env_from:
        out["envFrom"] = _env_from(service.env_from)
    resources = {
        side: q for side, q in (("requests", _quantities(service.resources.requests)),
                                ("limits", _quantities(service.resources.limits))) if q
    }
    if resources:
        out["resources"] = resources
    out |= _probes(service.probes, service.port)
    if service.volume_mounts:
        out["volumeMounts"] = _mounts(service, service.volume_mounts)
    out["securityContext"] = security_context(service)
    return out


def extra_container(service: Service, spec: Container) -> dict[str, Any]:
    """A sidecar or init container: no port, the same restricted security context as the serving container."""
    out: dict[str, Any] = {"name": spec.name, "image": spec.image}
    if spec.command:
        out["command"] = list(spec.command)
    if spec.args:
        out["args"] = list(spec.args)
    if spec.env:
        out["env"] = [{"name": k, "value": v} for k, v in spec.env.items()]
    if spec.env_from:
        out["envFrom"] = _env_from(spec.env_from)
    out |= _probes(spec.probes, None)
    if spec.volume_mounts:
        out["volumeMounts"] = _mounts(service, spec.volume_mounts)
    out["securityContext"] = security_context(service)
    return out


def volumes(service: Service) -> list[dict[str, Any]]:
    """The revision's ``volumes``: Secret, ConfigMap and size-limited emptyDir sources."""
    out: list[dict[str, Any]] = []
    for name, volume in service.volumes.items():
        if volume.secret is not None:
            out.append({"name": name, "secret": {"secretName": volume.secret}})
        elif volume.config_map is not None:
            out.append({"name": name, "configMap": {"name": volume.config_map}})
        elif volume.empty_dir is not None:
            empty: dict[str, Any] = {"sizeLimit": volume.empty_dir.size_limit}
            if volume.empty_dir.medium.value:
                empty["medium"] = volume.empty_dir.medium.value
            out.append({"name": name, "emptyDir": empty})
    return out


def pod_spec(service: Service) -> dict[str, Any]:
    """``spec.template.spec``: the revision's PodSpec subset Knative allows, and its timeouts."""
    out: dict[str, Any] = {"containerConcurrency": service.concurrency}
    for key, value in (("timeoutSeconds", service.timeout_seconds),
                       ("responseStartTimeoutSeconds", service.response_start_timeout_seconds),
                       ("idleTimeoutSeconds", service.idle_timeout_seconds)):
        if value is not None:
            out[key] = value
    if service.service_account_name:
        out["serviceAccountName"] = service.service_account_name
    if service.image_pull_secrets:
        out["imagePullSecrets"] = [{"name": name} for name in service.image_pull_secrets]
    if service.init_containers:
        out["initContainers"] = [extra_container(service, c) for c in service.init_containers]
    out["containers"] = [container(service), *(extra_container(service, c) for c in service.sidecars)]
    if service.volumes:
        out["volumes"] = volumes(service)
    return out


def render_service_account(service: Service, google_email: Any = None) -> dict[str, Any]:
    """The service's own Kubernetes ServiceAccount; ``google_email`` binds it to a Google service account.

    The annotation is how GKE Workload Identity maps the Kubernetes account to
    the Google one; the grant that allows it is the ``roles/iam.workloadIdentityUser``
    binding :class:`knative_platform.identity.ServiceIdentity` creates.
    """
    assert service.service_account_name is not None
    metadata: dict[str, Any] = {
        "name": service.service_account_name,
        "namespace": service.namespace,
        "labels": standard_labels(service.name, "identity"),
    }
    if google_email is not None:
        metadata["annotations"] = {GKE_SERVICE_ACCOUNT_ANNOTATION: google_email}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


def traffic_entry(service: Service, target: Target) -> dict[str, Any]:
    """One ``spec.traffic`` item: revision suffixes become full revision names."""
    out: dict[str, Any] = (
        {"latestRevision": True} if target.latest else {"revisionName": revision_full_name(service.name,
                                                                                          str(target.revision))}
    )
    out["percent"] = target.percent
    if target.tag:
        out["tag"] = target.tag
    return out


def render_traffic(service: Service) -> list[dict[str, Any]]:
    """The Service's ``spec.traffic``: what ``kn service describe`` shows of its policy."""
    return [traffic_entry(service, t) for t in compile_traffic(service.traffic).targets]


def render_service(service: Service) -> dict[str, Any]:
    """The ``serving.knative.dev/v1`` Service for a validated spec."""
    compiled = compile_traffic(service.traffic)
    labels = standard_labels(service.name, "app")
    if service.visibility is Visibility.CLUSTER_LOCAL:
        labels[VISIBILITY_LABEL] = Visibility.CLUSTER_LOCAL.value
    template_meta: dict[str, Any] = {}
    if service.revision_name:
        template_meta["name"] = service.revision_name
    template_meta["labels"] = standard_labels(service.name, "app")
    template_meta["annotations"] = autoscaling_annotations(service.autoscaling)
    template_spec = pod_spec(service)
    return {
        "apiVersion": SERVING_V1,
        "kind": "Service",
        "metadata": {
            "name": service.name,
            "namespace": service.namespace,
            "labels": dict(sorted(labels.items())),
            "annotations": dict(sorted({**WAIT_FOR_READY, **compiled.annotations}.items())),
        },
        "spec": {
            "template": {"metadata": template_meta, "spec": template_spec},
            "traffic": [traffic_entry(service, t) for t in compiled.targets],
        },
    }


def render_domain_claim(service: Service, domain: str) -> dict[str, Any]:
    """The ClusterDomainClaim that lets ``service``'s namespace map ``domain``.

    Knative refuses a DomainMapping whose domain is not claimed for its namespace
    (unless ``autocreate-cluster-domain-claims`` is on, which lets any namespace
    take any domain). Claiming explicitly keeps domains under the platform's control.
    """
    return {
        "apiVersion": NETWORKING_INTERNAL_V1ALPHA1,
        "kind": "ClusterDomainClaim",
        "metadata": {"name": domain, "labels": standard_labels(service.name, "domain")},
        "spec": {"namespace": service.namespace},
    }


def render_domain_mapping(service: Service, domain: str) -> dict[str, Any]:
    """The ``serving.knative.dev/v1beta1`` DomainMapping of ``domain`` to ``service`` (named after the domain)."""
    return {
        "apiVersion": SERVING_V1BETA1,
        "kind": "DomainMapping",
        "metadata": {
            "name": domain,
            "namespace": service.namespace,
            "labels": standard_labels(service.name, "domain"),
            "annotations": dict(WAIT_FOR_READY),
        },
        "spec": {"ref": {"apiVersion": SERVING_V1, "kind": "Service", "name": service.name}},
    }


def render_namespace(name: str) -> dict[str, Any]:
    """A namespace for services that do not live in ``default``."""
    metadata = {"name": name, "labels": standard_labels(name, "apps")}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def render_system_namespace(name: str, component: str) -> dict[str, Any]:
    """A namespace for platform software (kgateway, cert-manager), with Pod Security admission labels.

    ``baseline`` is enforced (no privileged pods, host namespaces or unsafe
    sysctls: what these controllers and proxies need is allowed); ``restricted``
    is warned about and audited, so drift towards weaker pods shows up.
    """
    labels = standard_labels(name, component) | {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(sorted(labels.items()))}}
