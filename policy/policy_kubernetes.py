"""The pack's checks of Kubernetes objects: what the platform itself never does, nobody's resources may do.

The platform exposes services only through its gateway, runs no privileged
pod, binds no role to anonymous users and gives every ``emptyDir`` a size
(components/model/service/containers.py). The same holds for objects a team adds
outside the components, and for every object of the upstream bundles the
provider expands into the plan; these were checked against the pinned
releases (knative/serving ``config/core``, net-kourier ``config``,
net-gateway-api ``config`` at knative-v1.23.0; cert-manager's chart at v1.21.1;
kgateway's chart on its v2.5 development line): none has a privileged or
host-namespace pod, an ``emptyDir`` (outside CRD schemas), an anonymous binding,
or a LoadBalancer Service but Kourier's gateway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

KUBERNETES_SERVICE = "kubernetes:core/v1:Service"
PLATFORM_GATEWAYS = frozenset({("kourier-system", "kourier")})
"""The LoadBalancer Services the platform's own ingress brings: net-kourier ``config/300-gateway.yaml``
(knative-v1.23.0) Service ``kourier``. kgateway's proxies are made by its controller at run time, not in a plan."""
POD_TEMPLATES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^kubernetes:core/v1:Pod(Patch)?$"), ("spec",)),
    (re.compile(r"^kubernetes:core/v1:PodTemplate(Patch)?$"), ("template", "spec")),
    (re.compile(r"^kubernetes:(apps/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch/v1:Job|"
                r"core/v1:ReplicationController)(Patch)?$"), ("spec", "template", "spec")),
    (re.compile(r"^kubernetes:batch/v1:CronJob(Patch)?$"), ("spec", "jobTemplate", "spec", "template", "spec")),
    (re.compile(r"^kubernetes:serving\.knative\.dev/v1:(Service|Configuration)$"), ("spec", "template", "spec")),
    (re.compile(r"^kubernetes:serving\.knative\.dev/v1:Revision$"), ("spec",)),
)
"""Where each kind of object keeps the pod it runs."""
POD_TYPES = re.compile("|".join(pattern.pattern for pattern, _ in POD_TEMPLATES))
BINDING_TYPES = re.compile(r"^kubernetes:rbac\.authorization\.k8s\.io/v1:(Cluster)?RoleBinding(Patch)?$")
ANONYMOUS = frozenset({"system:anonymous", "system:unauthenticated"})
ADMIN_ROLES = frozenset({"cluster-admin"})


def _pod_spec(type_: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for pattern, path in POD_TEMPLATES:
        if pattern.match(type_):
            value: Any = props
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            return value if isinstance(value, Mapping) else None
    return None


def _containers(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(key) or ():
            if isinstance(container, Mapping):
                yield container


def load_balancer(props: Mapping[str, Any]) -> str | None:
    spec, metadata = props.get("spec"), props.get("metadata")
    if not isinstance(spec, Mapping) or spec.get("type") != "LoadBalancer":
        return None
    where = (metadata.get("namespace") or "default", metadata.get("name")) if isinstance(metadata, Mapping) else None
    if where in PLATFORM_GATEWAYS:
        return None
    return ("a LoadBalancer Service puts its pods on the internet past the gateway (no TLS, no routing, no "
            "Knative): expose the service through the platform (a public Knative service or a DomainMapping)")


def privileged_pod(type_: str, props: Mapping[str, Any]) -> str | None:
    pod = _pod_spec(type_, props)
    if pod is None:
        return None
    shared = [key for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key) is True]
    if shared:
        return f"the pod shares the node's namespaces ({', '.join(shared)}): it can see and reach the node"
    for container in _containers(pod):
        context = container.get("securityContext")
        if isinstance(context, Mapping) and context.get("privileged") is True:
            return (f"container {container.get('name')!r} is privileged: it is root on the node; grant the one "
                    "capability it needs instead")
    return None


def empty_dir_size(type_: str, props: Mapping[str, Any]) -> str | None:
    pod = _pod_spec(type_, props)
    for volume in (pod or {}).get("volumes") or ():
        if isinstance(volume, Mapping) and isinstance(volume.get("emptyDir"), Mapping) \
                and volume["emptyDir"].get("sizeLimit") in (None, ""):
            return (f"emptyDir volume {volume.get('name')!r} has no sizeLimit: it can fill the node's disk (or "
                    "memory) and evict its neighbours; set emptyDir.sizeLimit")
    return None


def anonymous_binding(props: Mapping[str, Any]) -> str | None:
    role = props.get("roleRef")
    role_name = role.get("name") if isinstance(role, Mapping) else None
    for subject in props.get("subjects") or ():
        if not isinstance(subject, Mapping) or subject.get("kind") not in ("User", "Group"):
            continue
        name = subject.get("name")
        if name in ANONYMOUS:
            return f"{role_name} is bound to {name}: anyone who reaches the API server, signed in or not"
        if name == "system:authenticated" and role_name in ADMIN_ROLES:
            return (f"{role_name} is bound to system:authenticated: on GKE that is every Google account; bind "
                    "named users or groups")
    return None
