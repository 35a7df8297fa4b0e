"""Knative event sources the platform declares: ApiServerSource (with its own identity), ContainerSource, SinkBinding.

Input is a *validated* :class:`~knative_platform.model.eventing.eventing.EventSource`; output
the plain dicts Kubernetes receives, byte-identical across renders. What the
defaulting webhook would add is rendered (knative.dev/eventing v0.50.0
``pkg/apis/sources/v1``): an ApiServerSource's ``mode`` and
``serviceAccountName`` (``apiserver_defaults.go``), a ContainerSource's
container name (``container_defaults.go``), a SinkBinding's subject namespace
(``sinkbinding_defaults.go``) and every sink's ref namespace.

An ApiServerSource never runs as its namespace's ``default`` account (the
defaulter's choice): it gets a ServiceAccount of its own and exactly the
``get``, ``list`` and ``watch`` the eventing controller checks before it starts
the adapter (knative/eventing 8cf4c4b ``pkg/reconciler/apiserversource/
apiserversource.go`` ``runAccessCheck``: those verbs, on the resource
``meta.UnsafeGuessKindToResource`` guesses from each kind, in each namespace
watched). A Google Pub/Sub source has no in-cluster object of its own: its
delivery is Eventarc's, a Google Cloud resource.
"""

from __future__ import annotations

from typing import Any

from ..model.eventing.eventing import ApiServerSpec, EventSource, LabelSelector, WatchedResource
from ..model.eventing.eventing_checks import apiserver_account_name
from .eventing import SOURCES_V1, WAIT_FOR_READY, destination, filter_expression
from .knative import restricted_security_context
from .labels import standard_labels

RBAC_V1 = "rbac.authorization.k8s.io/v1"
WATCH_VERBS = ["get", "list", "watch"]
UNPLURALIZED_SUFFIXES = ("endpoints",)
"""k8s.io/apimachinery ``pkg/api/meta/restmapper.go`` ``unpluralizedSuffixes``."""


def guess_resource(kind: str) -> str:
    """k8s.io/apimachinery ``meta.UnsafeGuessKindToResource``: the plural the controller checks access to."""
    singular = kind.lower()
    if not singular or singular.endswith(UNPLURALIZED_SUFFIXES):
        return singular
    if singular.endswith("s"):
        return singular + "es"
    if singular.endswith("y"):
        return singular[:-1] + "ies"
    return singular + "s"


def group_of(api_version: str) -> str:
    """The API group of ``group/version`` (``""`` for the core group's ``v1``): ``schema.ParseGroupVersion``."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def _meta(source: EventSource, component: str, name: str | None = None) -> dict[str, Any]:
    return {"name": name or source.name, "namespace": source.namespace,
            "labels": standard_labels(source.name, component)}


def _selector(selector: LabelSelector) -> dict[str, Any]:
    return {"matchLabels": dict(sorted(selector.match_labels.items()))}


def _source_spec(source: EventSource, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` followed by the SourceSpec every source shares: its sink and its CloudEvent overrides."""
    spec["sink"] = destination(source.sink, source.namespace)
    if source.ce_overrides is not None:
        spec["ceOverrides"] = {"extensions": dict(sorted(source.ce_overrides.extensions.items()))}
    return spec


def watch_rules(spec: ApiServerSpec) -> list[dict[str, Any]]:
    """One RBAC rule per API group: get, list and watch on exactly the resources the source names."""
    groups: dict[str, list[str]] = {}
    for resource in spec.resources:
        plural = resource.resource or guess_resource(resource.kind)
        names = groups.setdefault(group_of(resource.api_version), [])
        if plural not in names:
            names.append(plural)
    return [{"apiGroups": [group], "resources": sorted(names), "verbs": list(WATCH_VERBS)}
            for group, names in sorted(groups.items())]


def api_server_source_manifests(source: EventSource) -> list[dict[str, Any]]:
    """ServiceAccount, Role (ClusterRole when it watches other namespaces), binding, then the ApiServerSource."""
    spec = source.api_server
    assert spec is not None
    account = apiserver_account_name(source.name)
    cluster_wide = spec.namespace_selector is not None
    role_kind = "ClusterRole" if cluster_wide else "Role"
    role_name = f"knative-platform.apiserversource.{source.namespace}.{source.name}" if cluster_wide else account
    role_meta = {"name": role_name, "labels": standard_labels(source.name, "apiserversource")} if cluster_wide \
        else _meta(source, "apiserversource", account)
    binding = {"apiVersion": RBAC_V1, "kind": f"{role_kind}Binding", "metadata": dict(role_meta),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
               "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": source.namespace}]}
    body: dict[str, Any] = {"resources": [_watched(r) for r in spec.resources]}
    if spec.owner is not None:
        body["owner"] = {"apiVersion": spec.owner.api_version, "kind": spec.owner.kind}
    body["mode"] = spec.mode.value
    body["serviceAccountName"] = account
    if spec.namespace_selector is not None:
        body["namespaceSelector"] = _selector(spec.namespace_selector)
    if spec.filters:
        body["filters"] = [filter_expression(e) for e in spec.filters]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(source, "apiserversource", account)},
        {"apiVersion": RBAC_V1, "kind": role_kind, "metadata": role_meta, "rules": watch_rules(spec)},
        binding,
        {"apiVersion": SOURCES_V1, "kind": "ApiServerSource",
         "metadata": {**_meta(source, "apiserversource"), "annotations": dict(WAIT_FOR_READY)},
         "spec": _source_spec(source, body)},
    ]


def _watched(resource: WatchedResource) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": resource.api_version, "kind": resource.kind}
    if resource.selector is not None:
        out["selector"] = _selector(resource.selector)
    return out


def container_source_manifest(source: EventSource) -> dict[str, Any]:
    """The ContainerSource: one container named after the source, hardened, with ``K_SINK`` set by Knative."""
    spec = source.container
    assert spec is not None
    container: dict[str, Any] = {"name": source.name, "image": spec.image}
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if spec.env:
        container["env"] = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    container["securityContext"] = restricted_security_context(spec.run_as_non_root)
    return {"apiVersion": SOURCES_V1, "kind": "ContainerSource",
            "metadata": {**_meta(source, "containersource"), "annotations": dict(WAIT_FOR_READY)},
            "spec": _source_spec(source, {"template": {"spec": {"containers": [container]}}})}


def sink_binding_manifest(source: EventSource) -> dict[str, Any]:
    """The SinkBinding: ``K_SINK`` into a workload's pods, found by name or labels in the binding's namespace."""
    spec = source.sink_binding
    assert spec is not None
    subject: dict[str, Any] = {"apiVersion": spec.subject.api_version, "kind": spec.subject.kind,
                               "namespace": source.namespace}
    if spec.subject.name is not None:
        subject["name"] = spec.subject.name
    if spec.subject.selector is not None:
        subject["selector"] = _selector(spec.subject.selector)
    return {"apiVersion": SOURCES_V1, "kind": "SinkBinding",
            "metadata": {**_meta(source, "sinkbinding"), "annotations": dict(WAIT_FOR_READY)},
            "spec": _source_spec(source, {"subject": subject})}


def source_manifests(source: EventSource) -> list[dict[str, Any]]:
    """The Kubernetes objects of one source (none for Pub/Sub, which Eventarc delivers)."""
    if source.api_server is not None:
        return api_server_source_manifests(source)
    if source.container is not None:
        return [container_source_manifest(source)]
    if source.sink_binding is not None:
        return [sink_binding_manifest(source)]
    return []
