"""Binary Authorization: which images a GKE project's policy admits, in Google's pattern syntax. Pure Python.

A cluster in ``PROJECT_SINGLETON_POLICY_ENFORCE`` mode checks every pod
against its project's one policy, and a project that never wrote one allows
every image. So the platform writes the policy (:mod:`knative_platform.binauthz`):
deny by default, admit the images it runs itself, the images of the stack's
services, and the registries the stack names (``cluster.imageRegistries``).

Google's pattern syntax (Binary Authorization API,
``AdmissionWhitelistPattern.name_pattern``): "An image name pattern to
allowlist, in the form registry/path/to/image. This supports a trailing * as a
wildcard, but this is allowed only in text after the registry/ part. * wildcard
does not match /, i.e., gcr.io/nginx* matches gcr.io/nginx@latest, but it does
not match gcr.io/nginx/image. This also supports a trailing ** wildcard which
matches subdirectories, i.e., gcr.io/nginx** matches gcr.io/nginx/image." The
Policy YAML reference adds: "wildcards are valid only at the end of the
pattern". A pattern without a wildcard names a single image. The name matched
is the pod's image, as the pod spec writes it.

How pods name the images of a service: Knative resolves a container's tag to a
digest and runs ``<repository>@sha256:...`` with the repository normalised by
go-containerregistry (``docker.io`` becomes ``index.docker.io``, a one-part
Docker Hub name gets ``library/``); an image given by digest runs as written
(knative/serving knative-v1.23.0 ``pkg/reconciler/revision/resolve.go``
``Resolve``; ``pkg/reconciler/revision/resources/deploy.go``
``BuildUserContainers``; vendored go-containerregistry ``pkg/name/repository.go``
``NewRepository``, ``registry.go`` ``NewRegistry``). Init containers are not
resolved, and a registry in ``deployment.registriesSkippingTagResolving`` keeps
its tag; so a service image is admitted under both spellings.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core.errors import Problem, join_path
from ..service.service import Service
from .cluster import BinaryAuthorization, ClusterProfile, GkeClusterSpec


class Enforcement(enum.StrEnum):
    """What the policy does with an image it does not admit (``enforcementMode``)."""

    ENFORCED = "ENFORCED_BLOCK_AND_AUDIT_LOG"
    DRY_RUN = "DRYRUN_AUDIT_LOG_ONLY"


PROJECT_POLICY_MODES = frozenset({BinaryAuthorization.PROJECT_SINGLETON_POLICY_ENFORCE,
                                  BinaryAuthorization.POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE})
"""The cluster evaluation modes that check pods against the project's policy, the one the platform writes."""

DOCKER_HUB, DOCKER_HUB_API = "docker.io", "index.docker.io"
"""Docker Hub as people write it, and as go-containerregistry names it (``name.DefaultRegistry``)."""

ANY_DIGEST = "sha256:" + "0" * 64
"""Stands for the digest Knative resolves a tag to: no digest contains ``/``, which is all a ``*`` looks at."""

_REGISTRY_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$")


def writes_project_policy(cluster: GkeClusterSpec) -> bool:
    """Whether the cluster's mode checks pods against the project policy, so the platform writes one."""
    return cluster.binary_authorization in PROJECT_POLICY_MODES


def enforcement(cluster: GkeClusterSpec) -> Enforcement:
    """Block what the policy does not admit, unless the stack relaxes ``binaryAuthorizationDryRun``."""
    return Enforcement.DRY_RUN if cluster.relaxations.binary_authorization_dry_run else Enforcement.ENFORCED


# -- Google's pattern syntax ------------------------------------------------------------------


def pattern_problem(pattern: str) -> str | None:
    """Why Binary Authorization would refuse ``pattern`` as an allowlist entry, or None."""
    stem = pattern.removesuffix("**") if pattern.endswith("**") else pattern.removesuffix("*")
    if "*" in stem:
        return f"'{pattern}' has a wildcard before its end; only a trailing * or ** is allowed"
    registry, slash, rest = stem.partition("/")
    if not slash or not registry or not ("." in registry or ":" in registry):
        return f"'{pattern}' names no registry; write registry/path (a wildcard only after the registry/ part)"
    if stem != pattern and not rest:
        return f"'{pattern}' admits a whole registry; name a path inside it"
    return None


def admits(pattern: str, image: str) -> bool:
    """Whether the allowlist entry ``pattern`` admits a pod whose image is named ``image`` (see the module doc)."""
    if pattern.endswith("**"):
        return image.startswith(pattern[:-2])
    if pattern.endswith("*"):
        stem = pattern[:-1]
        return image.startswith(stem) and "/" not in image[len(stem):]
    return image == pattern


# -- image names as pods write them ------------------------------------------------------------


def split_image(image: str) -> tuple[str, str]:
    """``(name, suffix)``: the name without its tag or digest, and the ``:tag``, ``@digest`` or both (or '')."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.find(":", slash + 1)
    if colon != -1:
        return name[:colon], name[colon:] + at + digest
    return name, at + digest


def names_registry(image: str) -> bool:
    """Whether ``image`` starts with a registry host: go-containerregistry reads one iff it has '.' or ':'."""
    first, slash, _ = image.partition("/")
    return bool(slash) and ("." in first or ":" in first)


def resolved_repository(image: str) -> str:
    """The repository Knative writes for a resolved tag (go-containerregistry ``Repository.String``)."""
    name, _ = split_image(image)
    if names_registry(name):
        registry, _, repository = name.partition("/")
    else:
        registry, repository = DOCKER_HUB_API, name
    if registry == DOCKER_HUB:
        registry = DOCKER_HUB_API
    if registry == DOCKER_HUB_API and "/" not in repository:
        repository = f"library/{repository}"
    return f"{registry}/{repository}"


def pod_images(image: str, resolved: bool) -> tuple[str, ...]:
    """The names a pod may give a container's image: as written, and Knative's digest form of a tag.

    ``resolved`` is False for init containers, which Knative runs as written.
    """
    if not resolved or "@" in image:
        return (image,)
    return image, f"{resolved_repository(image)}@{ANY_DIGEST}"


def image_pattern(pod_image: str) -> str:
    """The narrowest allowlist entry for one repository under the way a pod names it.

    By digest: ``<name>@*`` (any digest of that repository); by tag:
    ``<name>:*``; a bare name is a single image, matched exactly.
    """
    if "@" in pod_image:
        return pod_image.rsplit("@", 1)[0] + "@*"
    name, suffix = split_image(pod_image)
    return f"{name}:*" if suffix else name


def service_images(service: Service, path: str) -> list[tuple[str, str, bool]]:
    """``(config path, image, resolved by Knative)`` for every container of ``service``.

    A service built from its source has no image until ``knative-platform build`` records one: its registry is
    admitted as a whole (issue 20), so only the images a service names are listed.
    """
    found = [(join_path(path, "image"), service.image, True)] if service.image is not None else []
    for key, containers, resolved in (("sidecars", service.sidecars, True),
                                      ("initContainers", service.init_containers, False)):
        for i, container in enumerate(containers):
            found.append((join_path(join_path(path, key) + f"[{i}]", "image"), container.image, resolved))
    return found


def service_patterns(services: Iterable[Service]) -> set[str]:
    """Allowlist entries that admit every container of ``services``, however their pods name the images."""
    return {image_pattern(name) for service in services for _, image, resolved in service_images(service, "")
            for name in pod_images(image, resolved)}


# -- registries the stack names ------------------------------------------------------------


def registry_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be a registry entry (``<host>/<path>``, no tag, no wildcard), or None."""
    if not _REGISTRY_PREFIX.match(prefix) or not names_registry(prefix):
        return (f"'{prefix}' is not a registry path such as 'europe-west1-docker.pkg.dev/my-project/apps': a host "
                "with a '.', then at least one lowercase path segment, no tag, digest or wildcard")
    return None


def registry_patterns(prefix: str) -> tuple[str, ...]:
    """``<prefix>/**``: every image under the path; Docker Hub also under the name Knative resolves it to."""
    patterns = [f"{prefix}/**"]
    registry, _, path = prefix.partition("/")
    if registry in (DOCKER_HUB, DOCKER_HUB_API):
        other = DOCKER_HUB_API if registry == DOCKER_HUB else DOCKER_HUB
        patterns.append(f"{other}/{path}/**")
    return tuple(sorted(patterns))


# -- validation ------------------------------------------------------------------------------


def image_policy_problems(cluster: GkeClusterSpec, services: Sequence[Service], path: str = "cluster"
                          ) -> list[Problem]:
    """What keeps the platform from writing a policy that admits exactly the stack's images."""
    problems: list[Problem] = []
    if cluster.profile == ClusterProfile.PROD and not writes_project_policy(cluster):
        problems.append(Problem(join_path(path, "binaryAuthorization"), (
            f"is {cluster.binary_authorization}, which does not check pods against the project policy the "
            "platform writes; profile prod enforces it: use PROJECT_SINGLETON_POLICY_ENFORCE")))
    if not writes_project_policy(cluster):
        return problems
    for i, prefix in enumerate(cluster.image_registries):
        problem = registry_problem(prefix)
        if problem:
            problems.append(Problem(join_path(path, "imageRegistries") + f"[{i}]", problem))
    for service in services:
        for where, image, _ in service_images(service, join_path("services", service.name)):
            if not names_registry(image):
                problems.append(Problem(where, (
                    f"'{image}' names no registry, and Binary Authorization admits images by registry/path: "
                    f"write it in full, e.g. 'docker.io/library/{image}'")))
    return problems


def admission_problems(services: Iterable[Service], policy: Mapping[str, Any], stack: str) -> list[Problem]:
    """Each container image of ``services`` that the platform's policy (its ``binaryAuthorization`` output) denies.

    Used by app stacks (:class:`knative_platform.reference.PlatformReference`): their images must be admitted by the
    platform stack's policy, or their revisions never start.
    """
    listed = policy.get("allow")
    allow = [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
    problems = []
    for service in services:
        for where, image, resolved in service_images(service, join_path("services", service.name)):
            denied = [name for name in pod_images(image, resolved) if not any(admits(p, name) for p in allow)]
            if denied:
                problems.append(Problem(where, (
                    f"'{image}' is not admitted by the Binary Authorization policy of platform stack {stack}: add "
                    "its registry path to that stack's cluster.imageRegistries and run `pulumi up` there first")))
    return problems
