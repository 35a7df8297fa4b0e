"""``KnativeEventing``: Knative Eventing at the pinned release, its brokers and the platform's event sources.

Order, explicit in the resource graph (the bundles each broker class needs: :func:`class_bundles`):

1. ``eventing-crds`` (yaml/v2 ConfigFile of the pinned release asset);
2. ``eventing-core``, after the CRDs; yaml/v2 awaits every object it applies,
   so the core is done only when ``eventing-webhook`` is ready;
3. the broker implementation each declared class needs (the in-memory channel
   and ``mt-channel-broker``; the Kafka broker's controller, then its data
   plane), after the core;
4. the ``knative-eventing`` ConfigMap patches, after the core (their writes
   pass Eventing's config webhook);
5. the Brokers (a Kafka broker's ConfigMap first), after all of the above:
   :attr:`KnativeEventing.ready` is what a service's Triggers and PingSources wait for;
6. the platform's event sources (an ApiServerSource's ServiceAccount, Role and
   binding before it). A source whose sink is a service of the stack waits for
   it through its ``pulumi.com/waitFor: condition=Ready`` annotation, not the
   graph: services wait for :attr:`ready`, which sources are not part of. A
   Google Pub/Sub source is an Eventarc trigger into its broker's ingress
   (:class:`knative_platform.pubsub.EventarcPubSub`), after the brokers.

The bundles go through the same field-ownership transform as Serving's, plus
``ignore_changes`` on ``pingsource-mt-adapter``'s ``spec.replicas``
(:func:`knative_platform.manifests.bundles.controller_ignored_fields`).
``eventing-post-install.yaml`` and the Kafka post-install Jobs are never applied
here: docs/knative.md, "Upgrading", runs them by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from . import versions
from .knative import leave_controller_owned_fields
from .manifests.bundles import controller_ignored_fields
from .manifests.eventing import REPLACE_ON_CHANGES, broker_manifest, kafka_broker_config
from .manifests.eventing_install import eventing_config_maps
from .manifests.eventing_sources import source_manifests
from .model.cluster.cluster import GkeClusterSpec
from .model.core.errors import Problem, join_path
from .model.eventing.eventing import Broker, BrokerClass, EventingSpec, EventSource
from .model.eventing.eventing_checks import EventingCluster, declared_event_problems
from .model.service.service import Service
from .model.service.validated import proven
from .runtime.errors import checked
from .versions import ReleaseManifest

if TYPE_CHECKING:
    # pulumi_gcp loads only on a stack with a Pub/Sub source (as Platform's .gke): see platform.py
    import pulumi_gcp as gcp

    from .pubsub import EventarcPubSub


def class_bundles(cls: BrokerClass) -> tuple[tuple[str, ReleaseManifest], ...]:
    """The bundles a broker class needs, in order, each with the name of its ConfigFile resource.

    The in-memory channel first: the MT broker's ``config-br-default-channel`` names an InMemoryChannel. The
    Kafka broker's control plane before its data plane (knative-extensions/eventing-kafka-broker
    ``knative-v1.23.0``: the controller bundle holds the CRDs and the webhook the data plane's objects need).
    """
    if cls is BrokerClass.KAFKA:
        return (("kafka-controller", versions.KAFKA_CONTROLLER), ("kafka-broker", versions.KAFKA_BROKER))
    return (("in-memory-channel", versions.EVENTING_IN_MEMORY_CHANNEL),
            ("mt-channel-broker", versions.EVENTING_MT_CHANNEL_BROKER))


def broker_bundles(spec: EventingSpec) -> list[tuple[str, ReleaseManifest]]:
    """The broker implementations of the classes the stack's brokers use, in install order (none without a broker)."""
    classes = {broker.class_ for broker in spec.brokers}
    return [bundle for cls in BrokerClass if cls in classes for bundle in class_bundles(cls)]


def eventing_pins(spec: EventingSpec) -> tuple[ReleaseManifest, ...]:
    """Every pin whose pods run on the cluster: the ``versions`` output's and Binary Authorization's.

    The post-install Jobs are run by hand after an upgrade (docs/knative.md, "Upgrading"): their images are
    admitted like the rest.
    """
    post = (versions.KAFKA_POST_INSTALL,) if any(b.class_ is BrokerClass.KAFKA for b in spec.brokers) else ()
    return (versions.EVENTING_CORE, versions.EVENTING_POST_INSTALL, *(pin for _, pin in broker_bundles(spec)), *post)


def leave_eventing_controller_fields(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Serving's transform, plus ``ignore_changes`` on the fields Eventing's controllers take over after creation.

    pulumi-kubernetes sends an ignored field only while it still owns it, and
    drops it from the apply once another field manager does
    (pulumi/pulumi-kubernetes ``provider/pkg/await/await.go`` ``handleSSAIgnoreFields``,
    read at v4.32.0, the snapshot's newest tag; the project pins 4.34.2): the
    eventing controller's ``replicas: 1`` is neither reverted nor a conflict.
    """
    result = leave_controller_owned_fields(args)
    props = result.props if result is not None else args.props
    ignored = controller_ignored_fields(args.type_.rsplit(":", 1)[-1], props)
    if not ignored:
        return result
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(ignore_changes=list(ignored)))
    return pulumi.ResourceTransformResult(props=props, opts=opts)


@dataclass(frozen=True)
class EventarcCluster:
    """The GKE cluster the platform creates, as Eventarc's GKE destinations name it (for Pub/Sub sources)."""

    spec: GkeClusterSpec
    """The cluster's validated spec: its project and region hold the Eventarc triggers."""
    name: pulumi.Input[str]
    """The cluster's name as GKE reports it: a trigger naming it waits for the cluster."""
    location: pulumi.Input[str]
    """The cluster's location as GKE reports it."""
    gcp_provider: gcp.Provider
    """The explicit GCP provider of the cluster's project."""


def pubsub_cluster_problems(spec: EventingSpec, eventarc: EventarcCluster | None) -> list[Problem]:
    """A Pub/Sub source without the GKE cluster Eventarc sends into is refused, never accepted and ignored."""
    return [Problem(join_path(join_path("eventing.sources", s.name), "pubsub"),
                    "needs the GKE cluster the platform creates (KnativeEventingArgs.eventarc; Platform passes it)")
            for s in spec.sources if s.pubsub is not None and eventarc is None]


@dataclass(frozen=True)
class KnativeEventingArgs:
    """What Eventing needs: the cluster, the stack's brokers and sources, and what must exist first."""

    provider: k8s.Provider
    """The Kubernetes provider of the cluster to install on; required, never the ambient kubeconfig."""
    spec: EventingSpec
    """The stack's brokers, sources and Eventing settings (``knative-platform:eventing``), validated first."""
    cluster: EventingCluster = field(default_factory=EventingCluster)
    """The cluster's profile, for the prod rules (an in-memory broker needs ``eventing.relax.inMemoryBroker``)."""
    services: Sequence[Service] = ()
    """The stack's services, which a source's ``service:`` sink may name."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist first: the cluster's node pools and image policy, the brokers' and sources' namespaces."""
    eventarc: EventarcCluster | None = None
    """The GKE cluster the platform creates, which Pub/Sub sources' Eventarc triggers deliver into."""


class KnativeEventing(pulumi.ComponentResource):
    """Eventing's CRDs, core, broker implementations, settings, brokers and sources; ``ready`` for triggers."""

    crds: k8s.yaml.v2.ConfigFile
    core: k8s.yaml.v2.ConfigFile
    bundles: dict[str, k8s.yaml.v2.ConfigFile]
    config: dict[str, k8s.core.v1.ConfigMapPatch]
    brokers: dict[str, k8s.apiextensions.CustomResource]
    sources: dict[str, list[pulumi.Resource]]
    pubsub: pulumi.ComponentResource | None
    """The Pub/Sub sources' :class:`~knative_platform.pubsub.EventarcPubSub`, when the stack declares any (typed as
    its base: Pulumi reads a component's annotations at run time, and pulumi_gcp loads only where it is used)."""
    ready: list[pulumi.Resource]
    versions: dict[str, str]

    def __init__(self, name: str, args: KnativeEventingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Brokers and sources only: the services' triggers are checked with their services (Platform, KnativeApp).
        # A spec of a validated PlatformSpec is not checked again.
        checked(([] if proven(args.spec) else declared_event_problems(args.spec, args.services, args.cluster))
                + pubsub_cluster_problems(args.spec, args.eventarc))
        super().__init__("knative-platform:index:KnativeEventing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        installed = self._install(args, child)
        self.config = {m["metadata"]["name"]: k8s.core.v1.ConfigMapPatch(
            f"eventing-{m['metadata']['name']}", metadata=m["metadata"], data=m["data"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.core])))
            for m in eventing_config_maps(args.spec)}
        after = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
            depends_on=[*installed, *(self.config[n] for n in sorted(self.config))]))
        self.brokers = {b.name: self._broker(b, after) for b in args.spec.brokers}
        self.ready = [*installed, *(self.config[n] for n in sorted(self.config)),
                      *(self.brokers[n] for n in sorted(self.brokers))]
        self.sources = {s.name: self._source(s, pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(
            depends_on=self.ready))) for s in args.spec.sources}
        self.pubsub = self._pubsub(args) if any(s.pubsub is not None for s in args.spec.sources) else None
        self.versions = versions.installed(*eventing_pins(args.spec))
        self.register_outputs({"versions": self.versions, "brokers": sorted(self.brokers),
                               "sources": sorted(self.sources)})

    def _install(self, args: KnativeEventingArgs, child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The release bundles in order; returns the last of each chain (what the settings and brokers wait for)."""
        self.crds = k8s.yaml.v2.ConfigFile("eventing-crds", file=versions.EVENTING_CRDS.url,
                                           opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                                               depends_on=list(args.depends_on))))
        self.core = k8s.yaml.v2.ConfigFile("eventing-core", file=versions.EVENTING_CORE.url,
                                           opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                                               depends_on=[self.crds], transforms=[leave_eventing_controller_fields])))
        self.bundles = {}
        previous: pulumi.Resource = self.core
        for bundle_name, pin in broker_bundles(args.spec):
            previous = self.bundles[bundle_name] = k8s.yaml.v2.ConfigFile(
                bundle_name, file=pin.url, opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=[previous], transforms=[leave_eventing_controller_fields])))
        return [self.core, *self.bundles.values()]

    def _broker(self, broker: Broker, opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
        """The Broker, replaced (same name, deleted first) when its class or config changes: Eventing refuses those."""
        config = kafka_broker_config(broker)
        depends: list[pulumi.Resource] = []
        if config is not None:
            depends.append(k8s.core.v1.ConfigMap(f"broker-{broker.name}-kafka-config", metadata=config["metadata"],
                                                 data=config["data"], opts=opts))
        manifest = broker_manifest(broker)
        return k8s.apiextensions.CustomResource(
            f"broker-{broker.name}", api_version=manifest["apiVersion"], kind=manifest["kind"],
            metadata=manifest["metadata"], spec=manifest["spec"],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=depends, replace_on_changes=list(REPLACE_ON_CHANGES["Broker"]),
                delete_before_replace=True)))

    def _pubsub(self, args: KnativeEventingArgs) -> EventarcPubSub:
        """The Pub/Sub sources' Eventarc triggers, after the brokers they deliver to (and the GCP grants)."""
        from .pubsub import EventarcPubSub, EventarcPubSubArgs  # imports pulumi_gcp: see TYPE_CHECKING above

        eventarc = args.eventarc
        assert eventarc is not None  # pubsub_cluster_problems refuses a Pub/Sub source without it
        return EventarcPubSub("pubsub", EventarcPubSubArgs(
            sources=[s for s in args.spec.sources if s.pubsub is not None], eventing=args.spec,
            cluster=eventarc.spec, cluster_name=eventarc.name, cluster_location=eventarc.location,
            gcp_provider=eventarc.gcp_provider, depends_on=self.ready), opts=pulumi.ResourceOptions(parent=self))

    def _source(self, source: EventSource, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """A source's objects in order, each after the one before (the RBAC before the ApiServerSource)."""
        made: list[pulumi.Resource] = []
        for manifest in source_manifests(source):
            after = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=made[-1:]))
            made.append(kubernetes_object(f"source-{source.name}-{manifest['kind'].lower()}", manifest, after))
        return made


def _snake(key: str) -> str:
    """A top-level field as a resource argument (``roleRef`` -> ``role_ref``); nested keys stay camelCase."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def kubernetes_object(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """The typed resource for a core or RBAC object, a CustomResource for anything else."""
    kind = manifest["kind"]
    rest = {_snake(k): v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    if kind == "ServiceAccount":
        return k8s.core.v1.ServiceAccount(name, **rest, opts=opts)
    if kind == "Role":
        return k8s.rbac.v1.Role(name, **rest, opts=opts)
    if kind == "ClusterRole":
        return k8s.rbac.v1.ClusterRole(name, **rest, opts=opts)
    if kind == "RoleBinding":
        return k8s.rbac.v1.RoleBinding(name, **rest, opts=opts)
    if kind == "ClusterRoleBinding":
        return k8s.rbac.v1.ClusterRoleBinding(name, **rest, opts=opts)
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=kind, **rest, opts=opts)
