"""Edits to objects of the upstream release bundles, before Pulumi applies them (pure; used by transforms).

The bundles (``serving-core.yaml``, ``net-gateway-api.yaml``, ``kourier.yaml``,
``eventing-core.yaml``) are applied with server-side apply, which makes Pulumi
the owner of every field it sends. These fields are rewritten by upstream controllers at
run time, so owning them makes the next apply (a Knative upgrade changes the
``app.kubernetes.io/version`` label on every object) fail with a field-manager
conflict:

- ``webhooks[*].rules`` (and ``clientConfig.caBundle``) of Knative's webhook
  configurations: Knative's webhook computes them and writes them with an
  Update (knative.dev/pkg ``webhook/resourcesemantics/defaulting/defaulting.go``
  and ``validation``, ``webhook/configmaps/configmaps.go``; vendored in
  knative/serving ``knative-v1.23.0``);
- ``rules`` of an aggregated ClusterRole (one with ``aggregationRule``): the
  kube-controller-manager's clusterrole-aggregation controller owns them
  (net-gateway-api ``config/200-clusterrole.yaml``: ``rules: [] # Rules are
  automatically filled in by the controller manager``; knative/operator#2283);
- ``pingsource-mt-adapter``'s ``spec.replicas`` and its ``dispatcher``
  container's ``env`` (Eventing's ``eventing-core.yaml``): the eventing
  controller sets the whole ``env`` it expects and raises ``replicas`` from 0
  to 1 with an Update once a PingSource exists (knative/eventing
  ``pkg/reconciler/pingsource/pingsource.go`` ``reconcileReceiveAdapter`` and
  ``resources/receive_adapter.go`` ``MakeReceiveAdapterEnvVar``; main 8cf4c4b,
  the same file at ``knative-v1.22.2``: the snapshot has no 1.23 tag). See
  :func:`controller_ignored_fields` for ``replicas``.

``ignore_changes`` does not help for list items: pulumi-kubernetes splits
ignore paths on ``.`` and drops ``[*]`` paths when it builds the applied object
(``provider/pkg/await/await.go``), so the field is still sent. Leaving the
field out of what Pulumi applies is what keeps Pulumi from ever owning it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PINGSOURCE_ADAPTER = ("knative-eventing", "pingsource-mt-adapter")
"""The namespace and name of Eventing's PingSource adapter Deployment (``mtadapterName`` in pingsource.go)."""
PINGSOURCE_ADAPTER_CONTAINER = "dispatcher"
"""pingsource.go ``containerName``: the container whose ``env`` the controller replaces."""
WEBHOOK_CONFIGURATION_KINDS = frozenset({"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"})
WEBHOOK_RUNTIME_FIELDS = ("rules",)
"""Per-webhook fields Knative's webhook writes when it starts (``clientConfig.caBundle`` is handled apart)."""


def _webhook(entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    out = {k: v for k, v in entry.items() if k not in WEBHOOK_RUNTIME_FIELDS}
    client = out.get("clientConfig")
    if isinstance(client, Mapping) and "caBundle" in client:
        out["clientConfig"] = {k: v for k, v in client.items() if k != "caBundle"}
    return out


def without_controller_owned_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """``obj`` without the fields upstream controllers own, or None when it has none of them."""
    if kind in WEBHOOK_CONFIGURATION_KINDS and isinstance(obj.get("webhooks"), list):
        webhooks = [_webhook(w) for w in obj["webhooks"]]
        if webhooks == obj["webhooks"]:
            return None
        return {**obj, "webhooks": webhooks}
    if kind == "ClusterRole" and obj.get("aggregationRule") and "rules" in obj:
        return {k: v for k, v in obj.items() if k != "rules"}
    if kind == "Deployment" and _is_pingsource_adapter(obj):
        return _adapter_without_env(obj)
    return None


def _is_pingsource_adapter(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata")
    return isinstance(meta, Mapping) and (meta.get("namespace"), meta.get("name")) == PINGSOURCE_ADAPTER


def _adapter_without_env(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The adapter Deployment without its dispatcher's ``env``: the controller writes all of it.

    Until a PingSource exists the Deployment keeps the bundle's ``replicas: 0``,
    so no pod runs without the variables the controller will give it.
    """
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    pod = template.get("spec") if isinstance(template, Mapping) else None
    containers = pod.get("containers") if isinstance(pod, Mapping) else None
    if not isinstance(containers, list):
        return None
    edited = [{k: v for k, v in c.items() if k != "env"}
              if isinstance(c, Mapping) and c.get("name") == PINGSOURCE_ADAPTER_CONTAINER else c for c in containers]
    if edited == containers:
        return None
    assert isinstance(spec, Mapping) and isinstance(template, Mapping) and isinstance(pod, Mapping)
    return {**obj, "spec": {**spec, "template": {**template, "spec": {**pod, "containers": edited}}}}


def controller_ignored_fields(kind: str, obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``ignore_changes`` paths of a bundle object whose field a controller takes over after creation.

    ``pingsource-mt-adapter``'s ``spec.replicas`` is created at the bundle's 0 and
    raised to 1 by the eventing controller (pingsource.go ``reconcileReceiveAdapter``,
    ``zero(d.Spec.Replicas)``). Leaving it out instead would create the Deployment
    with Kubernetes' default of 1 replica and no ``env`` (a crash loop until the first
    PingSource). With ``ignore_changes``, pulumi-kubernetes sends the field only while
    it still owns it and drops it once another field manager does (pulumi-kubernetes
    ``provider/pkg/await/await.go`` ``handleSSAIgnoreFields``, which handles a plain
    path such as this one, not list items): no conflict, no scale-down.
    """
    if kind == "Deployment" and _is_pingsource_adapter(obj):
        return ("spec.replicas",)
    return ()


def as_node_port_service(obj: Mapping[str, Any], node_ports: Mapping[int, int]) -> dict[str, Any]:
    """A copy of Service ``obj`` exposed on fixed node ports: ``node_ports`` maps a Service port to its node port.

    Pulumi waits for a LoadBalancer Service until it has an address
    (pulumi-kubernetes ``provider/pkg/await/service.go``), which a cluster
    without a load-balancer controller (stock kind) never gives: a NodePort
    Service is ready at once, and fixed ports let ``stacks/kind.yaml`` map them.
    """
    spec = dict(obj.get("spec") or {})
    ports = []
    for port in spec.get("ports") or []:
        entry = dict(port)
        number = entry.get("port")
        # Transform props cross the wire as protobuf values, where every number is a double (80.0).
        if isinstance(number, (int, float)) and not isinstance(number, bool) and int(number) in node_ports:
            entry["nodePort"] = node_ports[int(number)]
        ports.append(entry)
    spec["ports"] = ports
    spec["type"] = "NodePort"
    return {**obj, "spec": spec}
