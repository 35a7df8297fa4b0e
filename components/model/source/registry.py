"""Where source services' images are pushed, and the builds recorded for them.

``knative-platform:registry`` names the registry a stack's source services are
pushed to; each service is the repository ``<prefix>/<service>`` in it, and each
build is tagged ``src-<fingerprint>`` there (:func:`source_tag`). The registry is
the record of which fingerprint was built into which image: the first image
pushed for a fingerprint wins, later builds reuse its digest.

``knative-platform:images`` is written by ``knative-platform build``
(:mod:`knative_platform.imagebuild`), never by hand: per source service, the fingerprint
it was built from, the repository and the image's digest. The program deploys
``<repository>@<digest>``, never a tag (a digest is what Knative deploys as is:
knative/serving knative-v1.23.0 ``pkg/reconciler/revision/resolve.go``
``Resolve``, "Already a digest"; and what Binary Authorization attests).

Reference grammar: opencontainers/distribution-spec v1.1.0 ``spec.md``
("Pulling manifests": repository names and tags); a first component that is a
host must contain ``.`` or ``:`` or be ``localhost``, or Docker's parser reads it
as a Docker Hub path (distribution/distribution v2.8.2 ``reference/normalize.go``
``splitDockerDomain``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.decode import Decoder, describe
from ..core.errors import Problem, did_you_mean, join_path, show
from ..revisions.revision_record import KEEP_UNROUTED

REPOSITORY_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
"""One ``/``-separated component of a repository name (distribution-spec v1.1.0 ``spec.md``)."""
HOST = re.compile(r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)"
                  r"(?::(?P<port>[0-9]{1,5}))?$")
"""A registry host: a DNS name or IPv4 address, and an optional port."""
TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
"""A tag (distribution-spec v1.1.0 ``spec.md``): at most 128 characters."""
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
"""A source fingerprint (:func:`knative_platform.model.source.fingerprint.fingerprint`): sha256, hex."""
NAME_TOTAL_MAX = 255
"""distribution/distribution v2.8.2 ``reference/reference.go`` ``NameTotalLengthMax``: host and path together."""
SOURCE_TAG_PREFIX = "src-"


class RegistryType(enum.StrEnum):
    """Who runs the registry: another (kind's local one, any OCI registry), or the platform (Artifact Registry)."""

    EXTERNAL = "external"
    ARTIFACT_REGISTRY = "artifactRegistry"


@dataclass(frozen=True, kw_only=True)
class ExternalRegistry:
    """A registry the platform does not create, named by its prefix: ``<host>[:port][/<path>]``.

    Each source service is the repository ``<prefix>/<service>``. A loopback host
    (``localhost``, ``127.0.0.1``) is spoken to over plain HTTP if it has no TLS,
    as Docker treats it; every other host needs HTTPS with a valid certificate.
    """

    type: RegistryType = RegistryType.EXTERNAL
    prefix: str
    """``<host>[:port][/<path>]``, for example ``localhost:5001/apps`` or ``europe-west1-docker.pkg.dev/p/apps``."""


KEEP_VERSIONS = KEEP_UNROUTED + 20
"""Versions per image the cleanup policy keeps at least: the revision record names up to
:data:`~knative_platform.model.revisions.revision_record.KEEP_UNROUTED` revisions without traffic plus the routed
ones (a handful of traffic targets), each one version; the margin covers routed revisions older than the newest
unrouted ones, and builds recorded but never deployed."""
DELETE_AFTER_DAYS = 90
MAX_PUSHERS = 32
AR_REPOSITORY = re.compile(r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
"""Artifact Registry repository ids: lower-case letters, digits and hyphens, a letter first, at most 63."""
GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
GCP_REGION = re.compile(r"^[a-z]+(?:-[a-z]+)?[0-9]*(?:-[a-z]+[0-9]+)?$")
"""A region (``europe-west1``) or multi-region (``europe``, ``us``) Artifact Registry accepts as a location."""
IAM_MEMBER = re.compile(r"^(?:(?:user|serviceAccount|group|domain):[^\s:]+|principal(?:Set)?://\S+)$")


@dataclass(frozen=True, kw_only=True)
class ArtifactRegistry:
    """A Docker-format Artifact Registry repository the platform creates for the stack (GKE clusters only).

    Tags are immutable, so ``src-<fingerprint>`` names one digest for good (the
    first build wins). The cleanup policies keep the newest ``keep`` versions of
    each image and delete versions older than ``deleteAfterDays``; when both match,
    the keep policy wins (cloud.google.com/artifact-registry/docs/repositories/cleanup-policy-overview).
    ``cleanupDryRun`` (the default) only logs what they would delete: switch it off
    once the logs show nothing the stack still routes to. ``pushers`` are the IAM
    members (``serviceAccount:builder@<project>.iam.gserviceaccount.com``, a
    Workload Identity ``principalSet://...``) granted ``roles/artifactregistry.writer``
    on this repository only; ``readers`` get ``roles/artifactregistry.reader`` (the
    nodes' account gets it without being named).
    """

    type: RegistryType = RegistryType.ARTIFACT_REGISTRY
    project: str
    location: str
    """A region (``europe-west1``): the cluster's, so nodes pull without crossing regions."""
    repository: str = "apps"
    pushers: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()
    """IAM members granted ``roles/artifactregistry.reader`` on this repository: the next environments' builders,
    which copy an image by digest from here into their own registry (promotion without a rebuild)."""
    keep: int = KEEP_VERSIONS
    delete_after_days: int = DELETE_AFTER_DAYS
    cleanup_dry_run: bool = True

    @property
    def prefix(self) -> str:
        """``<location>-docker.pkg.dev/<project>/<repository>``: where its images are named."""
        return f"{self.location}-docker.pkg.dev/{self.project}/{self.repository}"


RegistrySpec = ExternalRegistry | ArtifactRegistry
"""Every kind of registry a stack can name."""

REGISTRY_TYPES: dict[str, type] = {RegistryType.EXTERNAL.value: ExternalRegistry,
                                    RegistryType.ARTIFACT_REGISTRY.value: ArtifactRegistry}


@dataclass(frozen=True, kw_only=True)
class BuiltImage:
    """One source service's recorded build: what it was built from, where it is, and its digest."""

    source: str
    """The source fingerprint the image was built from (64 hex digits)."""
    repository: str
    """``<registry prefix>/<service>``: where the image is."""
    digest: str
    """``sha256:<64 hex digits>``: the image manifest's digest, which the program deploys."""

    @property
    def image(self) -> str:
        """The reference a Knative Service runs: ``<repository>@<digest>``, never a tag."""
        return f"{self.repository}@{self.digest}"


def decode_registry(raw: Any, path: str, decoder: Decoder) -> Any:
    """``registry`` is selected by its ``type`` key, so each kind keeps its own closed set of keys."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map with a type key, got {describe(raw)}")
    kinds = ", ".join(REGISTRY_TYPES)
    if "type" not in raw:
        return decoder.problem(join_path(path, "type"), f"is required; expected one of: {kinds}")
    kind = raw["type"]
    cls = REGISTRY_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        shown = f"'{kind}'" if isinstance(kind, str) else describe(kind)
        hint = did_you_mean(kind, REGISTRY_TYPES) if isinstance(kind, str) else ""
        return decoder.problem(join_path(path, "type"),
                               f"{shown} is not a registry type{hint}; expected one of: {kinds}")
    return decoder.decode_dataclass(cls, raw, path)


def split_prefix(prefix: str) -> tuple[str, str]:
    """``localhost:5001/apps`` -> (``localhost:5001``, ``apps``); the path may be empty."""
    host, _, path = prefix.partition("/")
    return host, path


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` is not ``<host>[:port][/<path>]`` with a lower-case repository path, or None."""
    host, path = split_prefix(prefix)
    example = "for example localhost:5001/apps or europe-west1-docker.pkg.dev/<project>/<repository>"
    match = HOST.match(host)
    if not match or not ("." in host or match.group("port") or match.group("name") == "localhost"):
        return (f"{show(prefix)} does not start with a registry host (a name with a '.', a host:port, or localhost); "
                f"{example}")
    port = match.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        return f"{show(prefix)} has port {port}, must be between 1 and 65535"
    if path and not all(REPOSITORY_COMPONENT.match(part) for part in path.split("/")):
        return (f"{show(prefix)}: the path after the host must be lower-case repository components (letters, "
                f"digits, and '.', '_', '-' between them) joined by '/', with no tag or digest; {example}")
    if len(prefix) + 64 > NAME_TOTAL_MAX:
        return f"{show(prefix)} is {len(prefix)} characters; with a service name it must fit in {NAME_TOTAL_MAX}"
    return None


def registry_problems(registry: RegistrySpec, path: str) -> list[Problem]:
    """What is wrong in a decoded (or Python-built) registry."""
    if isinstance(registry, ArtifactRegistry):
        return artifact_registry_problems(registry, path)
    problem = prefix_problem(registry.prefix)
    return [Problem(join_path(path, "prefix"), problem)] if problem else []


def stack_registry_problems(registry: RegistrySpec | None, creates_gke: bool,
                            building: Iterable[str]) -> list[Problem]:
    """The stack's registry is well formed, fits its cluster, and is there when a service is built from source."""
    building = sorted(building)
    if registry is None:
        return [Problem("registry", (
            f"is required: {', '.join(building)} build from source and push there; set it to {{type: "
            "artifactRegistry, project: <project>, location: <region>} on a gke cluster, or {type: external, "
            "prefix: <host>/<path>}"))] if building else []
    problems = registry_problems(registry, "registry")
    if isinstance(registry, ArtifactRegistry) and not creates_gke:
        problems.append(Problem("registry.type", "artifactRegistry is created with the cluster the platform "
                                                 "creates (cluster type gke); on this cluster, name the registry "
                                                 "you run: {type: external, prefix: <host>/<path>}"))
    return problems


def artifact_registry_problems(registry: ArtifactRegistry, path: str) -> list[Problem]:
    """Artifact Registry's own naming rules, the cleanup bounds and the pushers' member syntax."""
    problems = []
    for key, value, pattern, what in (
            ("project", registry.project, GCP_PROJECT, "a Google Cloud project id (6-30 lower-case letters, "
                                                       "digits and hyphens, a letter first)"),
            ("location", registry.location, GCP_REGION, "a region such as europe-west1"),
            ("repository", registry.repository, AR_REPOSITORY, "a repository id (lower-case letters, digits and "
                                                               "hyphens, a letter first, at most 63)")):
        if not isinstance(value, str) or not pattern.match(value):
            problems.append(Problem(join_path(path, key), f"{show(value)} is not {what}"))
    if not 1 <= registry.keep <= 10_000:
        problems.append(Problem(join_path(path, "keep"), f"is {registry.keep}, must be from 1 to 10000 (at least "
                                                         f"{KEEP_VERSIONS} keeps every revision the stack records)"))
    if not 1 <= registry.delete_after_days <= 3650:
        problems.append(Problem(join_path(path, "deleteAfterDays"),
                                f"is {registry.delete_after_days}, must be from 1 to 3650"))
    for key, members in (("pushers", registry.pushers), ("readers", registry.readers)):
        problems += _member_problems(members, join_path(path, key))
    return problems


def _member_problems(members: tuple[str, ...], path: str) -> list[Problem]:
    """At most :data:`MAX_PUSHERS` IAM members, each well formed."""
    if len(members) > MAX_PUSHERS:
        return [Problem(path, f"has {len(members)} members, at most {MAX_PUSHERS}: grant a group instead")]
    return [Problem(f"{path}[{i}]", (f"{show(member)} is not an IAM member: serviceAccount:<email>, group:<email>, "
                                     "user:<email> or a Workload Identity principal://... / principalSet://..."))
            for i, member in enumerate(members) if not IAM_MEMBER.match(member) or len(member) > 512]


def registry_prefixes(registry: RegistrySpec | None) -> tuple[str, ...]:
    """The stack's registry path for the Binary Authorization allowlist (none without a registry)."""
    return () if registry is None else (registry.prefix,)


def repository_of(registry: RegistrySpec, service: str) -> str:
    """The repository a source service is pushed to: ``<prefix>/<service>``.

    The one place a registry becomes a repository name: an Artifact Registry
    repository's prefix is ``<location>-docker.pkg.dev/<project>/<repository>``
    (cloud.google.com/artifact-registry/docs/docker/names).
    """
    return f"{registry.prefix.rstrip('/')}/{service}"


def source_tag(fingerprint: str) -> str:
    """The immutable tag a build of ``fingerprint`` is pushed under: ``src-<fingerprint>`` (68 characters)."""
    return f"{SOURCE_TAG_PREFIX}{fingerprint}"


def image_problems(name: str, built: BuiltImage, path: str) -> list[Problem]:
    """What is malformed in one recorded build (``images.<name>``)."""
    problems = []
    if not FINGERPRINT.match(built.source):
        problems.append(Problem(join_path(path, "source"), f"{show(built.source)} is not a source fingerprint "
                                                            "(64 lower-case hex digits); run knative-platform build"))
    if not DIGEST.match(built.digest):
        problems.append(Problem(join_path(path, "digest"), f"{show(built.digest)} is not a digest like "
                                                            "sha256:<64 lower-case hex digits); run knative-platform "
                                                            "build"))
    _host, repository_path = split_prefix(built.repository)
    if prefix_problem(built.repository) or not repository_path or repository_path.rsplit("/", 1)[-1] != name:
        problems.append(Problem(join_path(path, "repository"), f"{show(built.repository)} is not a repository "
                                                                f"<registry>/.../{name}; run knative-platform build"))
    return problems


def images_problems(images: Mapping[str, BuiltImage], source_services: Iterable[str]) -> list[Problem]:
    """Each recorded build is well formed and belongs to a service that declares ``source``."""
    declared = set(source_services)
    problems = []
    for name, built in images.items():
        path = join_path("images", name)
        if name not in declared:
            problems.append(Problem(path, f"records a build for '{name}', which is not a service with a source"
                                          f"{did_you_mean(name, declared)}; run knative-platform build, which "
                                          "rewrites this key"))
        problems += image_problems(name, built, path)
    return problems
