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
hand after each upgrade (docs/knative.md,
"Upgrading").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Image:
    """A container image a pinned bundle runs, named as its pods name it: ``repository`` plus a tag or a digest.

    Binary Authorization admits pods by these names (:mod:`knative_platform.gcp_args.binauthz`), so each pin lists
    the images it runs, read from its source at the pinned tag.
    """

    repository: str
    by_digest: bool
    """True when the release pins the image by digest (``<repository>@sha256:...``), False for a tag."""


@dataclass(frozen=True)
class ReleaseManifest:
    """A YAML bundle published as a release asset, applied with ``kubernetes:yaml/v2:ConfigFile``."""

    component: str
    version: str
    url: str
    reason: str
    images: tuple[Image, ...] = ()
    """The images the bundle's pods run."""


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart applied with ``kubernetes:helm.sh/v4:Chart``: an OCI reference, or a name in a repository."""

    component: str
    chart: str
    version: str
    reason: str
    repository: str | None = None
    image_repositories: tuple[str, ...] = ()
    """The repositories of the images the chart's pods run; the charts tag them with the chart's version."""

    @property
    def images(self) -> tuple[Image, ...]:
        """The images the chart's pods run, each by tag (the chart's version)."""
        return tuple(Image(repository, by_digest=False) for repository in self.image_repositories)


# renovate: datasource=github-releases depName=knative/serving versioning=regex:^knative-v(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)$
KNATIVE_VERSION = "knative-v1.23.0"
"""Knative Serving, its networking plugins, Eventing and the Kafka broker share one release train; they are upgraded
together (the offline review refuses a step of more than one minor version: ``knative_minor_skip``)."""

KNATIVE_RELEASE_REGISTRY = "gcr.io/knative-releases"
"""Where every Knative release YAML points its images, by digest, under the Go import path of each binary.

``ko resolve -P`` keeps the import path (knative/serving knative-v1.23.0 ``hack/generate-yamls.sh``:
``KO_YAML_FLAGS="-P"`` for a gcr.io ``KO_DOCKER_REPO``; net-gateway-api and net-kourier knative-v1.23.0 build
with ``vendor/knative.dev/hack/release.sh``'s ``KO_FLAGS="-P --platform=all"``), and the release job publishes
to ``gcr.io/knative-releases`` (``release.sh``: ``--release-gcr`` sets ``KO_DOCKER_REPO``; ``RELEASE_GCR``).
So ``ko://knative.dev/serving/cmd/queue`` becomes ``gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:...``
in ``serving-core.yaml``; the assets themselves are in no snapshot here."""


def _knative_image(import_path: str) -> Image:
    return Image(f"{KNATIVE_RELEASE_REGISTRY}/{import_path}", by_digest=True)


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
    # knative/serving knative-v1.23.0 config/core/deployments/{controller,webhook,activator,autoscaler}.yaml, and
    # the queue-proxy sidecar of every revision: config/core/configmaps/deployment.yaml queue-sidecar-image
    images=tuple(_knative_image(f"knative.dev/serving/cmd/{cmd}")
                 for cmd in ("controller", "webhook", "activator", "autoscaler", "queue")),
)
SERVING_POST_INSTALL = ReleaseManifest(
    component="knative-serving",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/serving/releases/download/{KNATIVE_VERSION}/serving-post-install-jobs.yaml",
    reason="storage-version migration Job; it uses generateName, which Pulumi's server-side apply refuses, so it "
           "is run with `kubectl create -f` after an upgrade (never applied by the program)",
    # hack/generate-yamls.sh: serving-post-install-jobs.yaml = config/post-install/storage-version-migration.yaml
    # (knative.dev/pkg/apiextensions/storageversion/cmd/migrate) + cleanup.yaml (pkg/cleanup/cmd/cleanup)
    images=(_knative_image("knative.dev/pkg/apiextensions/storageversion/cmd/migrate"),
            _knative_image("knative.dev/serving/pkg/cleanup/cmd/cleanup")),
)
NET_GATEWAY_API = ReleaseManifest(
    component="net-gateway-api",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/net-gateway-api/releases/download/{KNATIVE_VERSION}/net-gateway-api.yaml",
    reason="Knative's Gateway API ingress: turns KIngress into HTTPRoutes on our kgateway Gateways; "
           "same release train as Serving",
    # net-gateway-api knative-v1.23.0 config/300-controller.yaml, config/400-webhook-deployment.yaml
    images=(_knative_image("knative.dev/net-gateway-api/cmd/controller"),
            _knative_image("knative.dev/net-gateway-api/cmd/webhook")),
)
NET_KOURIER = ReleaseManifest(
    component="net-kourier",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/net-kourier/releases/download/{KNATIVE_VERSION}/kourier.yaml",
    reason="the fallback ingress Knative itself tests end to end; same release train as Serving",
    # net-kourier knative-v1.23.0 config/300-controller.yaml (ko://knative.dev/net-kourier/cmd/kourier) and
    # config/300-gateway.yaml, whose Envoy is Docker Hub's envoyproxy/envoy by tag (not resolved by ko)
    images=(_knative_image("knative.dev/net-kourier/cmd/kourier"),
            Image("docker.io/envoyproxy/envoy", by_digest=False)),
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
    # knative/operator knative-v1.23.0 cmd/operator/kodata/knative-eventing/1.23.0/2-eventing-core.yaml: the
    # Deployments' and the StatefulSet's images, and the adapters the controller starts (apiserver_receive_adapter
    # for ApiServerSources, auth_proxy beside it); not the Integration* images (the platform creates none)
    images=tuple(_knative_image(f"knative.dev/eventing/cmd/{cmd}") for cmd in (
        "apiserver_receive_adapter", "auth_proxy", "controller", "jobsink", "mtping", "requestreply", "webhook")),
)
EVENTING_IN_MEMORY_CHANNEL = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/in-memory-channel.yaml",
    reason="the channel under MTChannelBasedBroker, the broker for local and dev stacks (best effort: events in "
           "flight are lost when a dispatcher restarts)",
    # knative/operator knative-v1.23.0 cmd/operator/kodata/knative-eventing/1.23.0/4-in-memory-channel.yaml
    images=(_knative_image("knative.dev/eventing/cmd/in_memory/channel_controller"),
            _knative_image("knative.dev/eventing/cmd/in_memory/channel_dispatcher")),
)
EVENTING_MT_CHANNEL_BROKER = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/mt-channel-broker.yaml",
    reason="the multi-tenant channel-based broker (class MTChannelBasedBroker): broker-ingress and broker-filter",
    # knative/operator knative-v1.23.0 cmd/operator/kodata/knative-eventing/1.23.0/5-mt-channel-broker.yaml
    images=tuple(_knative_image(f"knative.dev/eventing/cmd/{cmd}")
                 for cmd in ("broker/filter", "broker/ingress", "mtchannel_broker")),
)
EVENTING_POST_INSTALL = ReleaseManifest(
    component="knative-eventing",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative/eventing/releases/download/{KNATIVE_VERSION}/eventing-post-install.yaml",
    reason="storage-version migration Job; it uses generateName, which Pulumi's server-side apply refuses, so it "
           "is run with `kubectl create -f` after an upgrade (never applied by the program)",
    images=(_knative_image("knative.dev/pkg/apiextensions/storageversion/cmd/migrate"),),
)
KAFKA_CONTROLLER = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-controller.yaml",
    reason="the Kafka broker's control plane (kafka-controller, kafka-webhook-eventing), the production broker "
           "class; same release train as Eventing, against a Kafka the platform does not run",
    # eventing-kafka-broker knative-v1.23.0 control-plane/config (ko:// paths), as released in knative/operator
    # knative-v1.23.0 cmd/operator/kodata/eventing-source/1.23/kafka/eventing-kafka-controller.yaml
    images=(_knative_image("knative.dev/eventing-kafka-broker/control-plane/cmd/kafka-controller"),
            _knative_image("knative.dev/eventing-kafka-broker/control-plane/cmd/webhook-kafka")),
)
KAFKA_BROKER = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-broker.yaml",
    reason="the Kafka broker's data plane (kafka-broker-receiver, kafka-broker-dispatcher), images by digest",
    # eventing-kafka-broker knative-v1.23.0 hack/data-plane.sh: Jib images ${KO_DOCKER_REPO}/knative-kafka-broker-
    # {receiver,dispatcher}-loom by digest (the dispatcher as released in knative/operator knative-v1.23.0
    # cmd/operator/kodata/eventing-source/1.23/kafka/eventing-kafka-source.yaml)
    images=(Image(f"{KNATIVE_RELEASE_REGISTRY}/knative-kafka-broker-dispatcher-loom", by_digest=True),
            Image(f"{KNATIVE_RELEASE_REGISTRY}/knative-kafka-broker-receiver-loom", by_digest=True)),
)
KAFKA_POST_INSTALL = ReleaseManifest(
    component="eventing-kafka-broker",
    version=KNATIVE_VERSION,
    url=f"https://github.com/knative-extensions/eventing-kafka-broker/releases/download/{KNATIVE_VERSION}/"
        "eventing-kafka-post-install.yaml",
    reason="post-install Jobs with fixed names (kafka-controller-post-install, knative-kafka-storage-version-"
           "migrator); run by hand after an upgrade (never applied by the program)",
    # eventing-kafka-broker knative-v1.23.0 control-plane/config/post-install (ko:// paths)
    images=(_knative_image("knative.dev/eventing-kafka-broker/control-plane/cmd/post-install"),
            _knative_image("knative.dev/pkg/apiextensions/storageversion/cmd/migrate")),
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
    # The controller (install/helm/kgateway/templates/deployment.yaml: image.registry cr.kgateway.dev/kgateway-dev
    # + controller.image.repository kgateway, tag the chart's appVersion = its version: Makefile
    # HELM_PACKAGE_ARGS --app-version) and the Envoy proxy it deploys per Gateway (pkg/deployer/gateway_parameters.go:
    # EnvoyContainer image repository wellknown.EnvoyWrapperImage "envoy-wrapper", same registry and tag through
    # KGW_DEFAULT_IMAGE_REGISTRY/TAG). The "sds" container runs only with the Istio integration, which is off.
    # Read on chandler-solo/kgateway main 48460f7f (v2.5.0-main); the kgateway-dev snapshot stops at v2.0.0-beta.
    image_repositories=("cr.kgateway.dev/kgateway-dev/kgateway", "cr.kgateway.dev/kgateway-dev/envoy-wrapper"),
)

CERT_MANAGER = HelmChart(
    component="cert-manager",
    chart="cert-manager",
    # renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
    version="v1.21.2",
    repository="https://charts.jetstack.io",
    reason="newest 1.21 patch in the release records: fixes 1.21.0's dropped Secret informer events and the "
           "Issuer stuck on a late DNS-01 solver Secret (1.21.1), plus HTTP-01 self-check and ACME hardening (1.21.2)",
    # deploy/charts/cert-manager/values.yaml (read at v1.21.1): imageRegistry quay.io, imageNamespace jetstack,
    # image names cert-manager-{controller,webhook,cainjector,acmesolver,startupapicheck}, tag the chart's
    # appVersion (templates/_helpers.tpl "cert-manager.image"), which the release sets to its version
    # (make/manifests.mk). acmesolver runs HTTP-01 challenge pods (templates/deployment.yaml
    # --acme-http01-solver-image); startupapicheck is the platform's own API check Job below.
    image_repositories=tuple(f"quay.io/jetstack/cert-manager-{name}"
                             for name in ("controller", "webhook", "cainjector", "acmesolver", "startupapicheck")),
)
CERT_MANAGER_API_CHECK_IMAGE = "{}:{}".format(
    next(r for r in CERT_MANAGER.image_repositories if r.endswith("-startupapicheck")), CERT_MANAGER.version)
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

# renovate: datasource=docker depName=docker
CLOUD_BUILD_DOCKER_VERSION = "29.7.2-cli"
CLOUD_BUILD_DOCKER = f"docker.io/library/docker:{CLOUD_BUILD_DOCKER_VERSION}"
"""The step ``knative-platform build --builder cloudbuild`` runs on Cloud Build: Docker's own CLI image (with
buildx), which Cloud Build's team recommends in place of ``gcr.io/cloud-builders/docker`` because that one
has no "historical pinned versions" (GoogleCloudPlatform/cloud-builders ``docker/README.md``, read at
b70cb2a). The newest ``-cli`` tag in docker-library/official-images ``library/docker`` (read at 37079fb,
2026-08); no digest was readable offline, so it is pinned by version until Renovate pins its digest."""


def installed(*pins: ReleaseManifest | HelmChart) -> dict[str, str]:
    """``{component: version}`` of the given pins, for the stack's ``versions`` output (sorted, one per component)."""
    return {pin.component: pin.version for pin in sorted(pins, key=lambda p: p.component)}
