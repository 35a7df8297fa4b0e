"""Every pinned upstream version and release coordinate of the platform, each with the reason it is pinned.

Each pin carries a ``# renovate:`` comment on the line above it, so Renovate
proposes bumps as pull requests (``renovate.json``); their offline review shows
what each bump changes.

This module is the ONE place a version string may appear (a test scans
``components/``, ``stacks/`` and ``__main__.py`` for strays). An upgrade is a
one-line change here with a readable diff; the offline render then shows
exactly which resources carry the new pin.

Components read these objects **at call time** (``versions.SERVING_CORE``, not
``from .versions import SERVING_CORE``) so a test can swap one pin and re-render.

Upgrade Knative one minor version at a time (``knative-v1.23.x`` ->
``knative-v1.24.x``): Serving, net-gateway-api, net-kourier, Eventing and the
Kafka broker move together, and ``SERVING_POST_INSTALL`` (and, once Eventing is
installed, ``EVENTING_POST_INSTALL`` and ``KAFKA_POST_INSTALL``) must be run by
hand after each upgrade (README, "Upgrading").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReleaseManifest:
    """A YAML bundle published as a release asset, applied with ``kubernetes:yaml/v2:ConfigFile``."""

    component: str
    version: str
    url: str
    reason: str


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart applied with ``kubernetes:helm.sh/v4:Chart``: an OCI reference, or a name in a repository."""

    component: str
    chart: str
    version: str
    reason: str
    repository: str | None = None


# renovate: datasource=github-releases depName=knative/serving versioning=regex:^knative-v(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)$
KNATIVE_VERSION = "knative-v1.23.0"
"""Knative Serving, its networking plugins, Eventing and the Kafka broker share one release train; they are upgraded
together (the offline review refuses a step of more than one minor version: ``knative_minor_skip``)."""

SERVING_CRDS = ReleaseManifest(
    component="knative-serving",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/serving/releases/download/{KNATIVE_VERSION}/serving-crds.yaml",
    reason="Serving 1.23 needs Kubernetes >= 1.34 (GKE REGULAR is 1.35); CRDs go first so the core's webhooks "
           "and controllers find their types",
)
SERVING_CORE = ReleaseManifest(
    component="knative-serving",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/serving/releases/download/{KNATIVE_VERSION}/serving-core.yaml",
    reason="controller, webhook, activator and autoscaler; images are pinned by digest inside the release",
)
SERVING_POST_INSTALL = ReleaseManifest(
    component="knative-serving",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/serving/releases/download/{KNATIVE_VERSION}/serving-post-install-jobs.yaml",
    reason="storage-version migration Job; it uses generateName, which Pulumi's server-side apply refuses, so it "
           "is run with `kubectl create -f` after an upgrade (never applied by the program)",
)
NET_GATEWAY_API = ReleaseManifest(
    component="net-gateway-api",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/net-gateway-api/releases/download/{KNATIVE_VERSION}/net-gateway-api.yaml",
    reason="Knative's Gateway API ingress: turns KIngress into HTTPRoutes on our kgateway Gateways; "
           "same release train as Serving",
)
NET_KOURIER = ReleaseManifest(
    component="net-kourier",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/net-kourier/releases/download/{KNATIVE_VERSION}/kourier.yaml",
    reason="the fallback ingress Knative itself tests end to end; same release train as Serving",
)

# Knative Eventing and the Kafka broker ride KNATIVE_VERSION, whose renovate line (knative/serving) moves the whole
# train; the Review workflow's release-assets check asks for each of their URLs before a bump merges.
EVENTING_CRDS = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/eventing-crds.yaml",
    reason="Eventing rides Serving's release train (knative/operator knative-v1.23.0 ships eventing 1.23.0 with "
           "serving 1.23.0); its 17 CRDs go first, as Serving's do",
)
EVENTING_CORE = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/eventing-core.yaml",
    reason="eventing-controller, eventing-webhook and pingsource-mt-adapter; all images pinned by digest inside "
           "the release",
)
EVENTING_IN_MEMORY_CHANNEL = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/in-memory-channel.yaml",
    reason="the channel under MTChannelBasedBroker, the broker for local and dev stacks (best effort: events in "
           "flight are lost when a dispatcher restarts)",
)
EVENTING_MT_CHANNEL_BROKER = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/mt-channel-broker.yaml",
    reason="the multi-tenant channel-based broker (class MTChannelBasedBroker): broker-ingress and broker-filter",
)
EVENTING_POST_INSTALL = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/eventing-post-install.yaml",
    reason="storage-version migration Job; it uses generateName, which Pulumi's server-side apply refuses, so it "
           "is run with `kubectl create -f` after an upgrade (never applied by the program)",
)
KAFKA_CONTROLLER = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-controller.yaml",
    reason="the Kafka broker's control plane (kafka-controller, kafka-webhook-eventing), the production broker "
           "class; same release train as Eventing, against a Kafka the platform does not run",
)
KAFKA_BROKER = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-broker.yaml",
    reason="the Kafka broker's data plane (kafka-broker-receiver, kafka-broker-dispatcher), images by digest",
)
KAFKA_POST_INSTALL = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-post-install.yaml",
    reason="post-install Jobs with fixed names (kafka-controller-post-install, knative-kafka-storage-version-"
           "migrator); run by hand after an upgrade (never applied by the program)",
)

# renovate: datasource=github-releases depName=kubernetes-sigs/gateway-api
GATEWAY_API_VERSION = "v1.6.1"
GATEWAY_API = ReleaseManifest(
    component="gateway-api",
    version=GATEWAY_API_VERSION,
    url=f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_VERSION}/"
        "standard-install.yaml",
    reason="standard channel only (Gateway, HTTPRoute, ReferenceGrant: all net-gateway-api writes); v1.6.1 adds a "
           "ValidatingAdmissionPolicy that refuses experimental-over-standard installs and downgrades",
)

# renovate: datasource=docker depName=cr.kgateway.dev/kgateway-dev/charts/kgateway
KGATEWAY_VERSION = "v2.5.2"
KGATEWAY_CRDS = HelmChart(
    component="kgateway",
    chart="oci://cr.kgateway.dev/kgateway-dev/charts/kgateway-crds",
    version=KGATEWAY_VERSION,
    reason="kgateway's own CRDs (GatewayParameters ...) before its controller; same version as the controller",
)
KGATEWAY = HelmChart(
    component="kgateway",
    chart="oci://cr.kgateway.dev/kgateway-dev/charts/kgateway",
    version=KGATEWAY_VERSION,
    reason="Gloo's open-source successor (CNCF), conformant for every Gateway API feature net-gateway-api uses",
)

CERT_MANAGER = HelmChart(
    component="cert-manager",
    chart="cert-manager",
    # renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
    version="v1.21.2",
    repository="https://charts.jetstack.io",
    reason="newest 1.21 patch in the release records: fixes 1.21.0's dropped Secret informer events and the "
           "Issuer stuck on a late DNS-01 solver Secret (1.21.1), plus HTTP-01 self-check and ACME hardening (1.21.2)",
)
CERT_MANAGER_API_CHECK_IMAGE = f"quay.io/jetstack/cert-manager-startupapicheck:{CERT_MANAGER.version}"
"""cert-manager's own API check (``cmctl check api``), the image of the chart's ``startupapicheck`` Job, at
the chart's release: that Job is a Helm hook, which ``kubernetes:helm.sh/v4:Chart`` never runs, so the platform
runs the same check itself before it creates the ClusterIssuer."""

SAMPLE_IMAGE = ("ghcr.io/knative/helloworld-go"
                "@sha256:d2af882a7ae7d49c61ae14a35dac42825ccf455ba616d8e5c1f4fa8fdcf09807")
"""Knative's helloworld-go sample (prints ``Hello <TARGET>!``), pinned by digest: ``gcr.io/knative-samples`` was
deleted in 2023 (knative/docs#5551), and its ``:latest`` on ghcr.io is rebuilt whenever the sample changes
(knative/docs ``.github/workflows/knative-docs-image.yaml``); the digest is the one knative/docs#5803 shows.
The image has no ``USER`` line (knative/docs ``code-samples/serving/hello-world/helloworld-go/Dockerfile``,
``FROM alpine:3``), so services running it must relax ``runAsNonRoot``."""


def installed(*pins: ReleaseManifest | HelmChart) -> dict[str, str]:
    """``{component: version}`` of the given pins, for the stack's ``versions`` output (sorted, one per component)."""
    return {pin.component: pin.version for pin in sorted(pins, key=lambda p: p.component)}
