"""Which image a source service deploys, decided before anything registers (issue 20).

A source service's image is ``<repository>@sha256:<digest>``, never a tag, where
``<repository>`` is :func:`~knative_platform.model.source.registry.repository_of`
the stack's registry. The digest comes, in order, from:

1. the build ``knative-platform build`` recorded for this very fingerprint and
   repository (``knative-platform:images``, :class:`Origin.BUILD`);
2. the stack's own revision record: an earlier deployment ran this fingerprint,
   so its image is the one (:class:`Origin.HISTORY`). A rebuild of the same
   source would give another digest (builds are not reproducible bit for bit),
   and a new digest under ``revision: auto``'s unchanged name would be refused by
   Knative; the recorded one keeps the revision;
3. in a preview only (``pulumi preview``, the offline render and review): a
   placeholder digest derived from the fingerprint, marked *pending build*
   (:class:`Origin.PENDING`). ``pulumi up`` refuses it, and a build recorded
   for another fingerprint, with the fix (:func:`resolve_image`). A preview with a
   placeholder therefore never turns into an update that deploys something else:
   the update stops before anything registers.

Everything here is pure: the fingerprints are computed by the program's shell
(:mod:`knative_platform.runtime.sources`) and handed in.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.errors import Problem, join_path
from ..revisions.revision_record import ServiceHistory, canonical_json
from .registry import BuiltImage, ExternalRegistry, RegistrySpec, repository_of

AUTO_REVISION = "auto"
"""``revision: auto``: the revision is named after a digest of its template (:func:`auto_suffix`)."""
AUTO_PREFIX = "r"
AUTO_HEX = 8
PLACEHOLDER_SALT = b"unbuilt:"


class Origin(enum.StrEnum):
    """Where a source service's digest came from."""

    BUILD = "build"
    """``knative-platform:images`` records a build of this fingerprint in this repository."""
    HISTORY = "history"
    """An earlier deployment of this stack ran this fingerprint (the ``revisions`` record)."""
    PENDING = "pending build"
    """Nothing built it yet: a placeholder, in a preview only."""


@dataclass(frozen=True, kw_only=True)
class SourceImage:
    """The image a source service deploys in this run, and where its digest came from."""

    fingerprint: str
    image: str
    origin: Origin

    def row(self, revision: str) -> dict[str, Any]:
        """The service's entry of the stack output ``sources``: what a review shows per source service.

        Where a built digest came from (the build record or the stack's history) is left out: the same image
        either way, so a preview and the update after a build of the same source export the same value.
        """
        row: dict[str, Any] = {"fingerprint": self.fingerprint, "image": self.image, "revision": revision}
        return row | ({"pendingBuild": True} if self.origin is Origin.PENDING else {})


@dataclass(frozen=True, kw_only=True)
class Sources:
    """What the program knows of its source services before it plans them."""

    stack: str
    """The stack's name, for the fix (``knative-platform build --stack <stack>``)."""
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    """Each source service's fingerprint of this checkout, by service name."""
    registry: RegistrySpec | None = None
    images: Mapping[str, BuiltImage] = field(default_factory=dict)
    preview: bool = False
    """A dry run (``pulumi preview``): a missing build is a placeholder instead of a refusal."""


def with_platform_registry(sources: Sources | None, prefix: Any) -> Sources | None:
    """An app stack's sources with the registry its platform stack exports (the ``registry`` output).

    Raises nothing: a platform without a registry leaves ``registry`` None, and
    :func:`platform_registry_problems` says why an app stack's source services cannot be resolved.
    """
    if sources is None:
        return None
    return replace(sources, registry=ExternalRegistry(prefix=prefix) if isinstance(prefix, str) and prefix else None)


def platform_registry_problems(sources: Sources | None, platform: str) -> list[Problem]:
    """The app stack's source services need the platform stack to name a registry they push to."""
    if sources is None or sources.registry is not None:
        return []
    return [Problem(join_path("services", name), (
        f"is built from source, but the platform stack {platform} exports no registry: set "
        "knative-platform:registry on the platform stack ({type: artifactRegistry, ...} on GKE, or {type: external, "
        "prefix: <host>/<path>}) and update it")) for name in sorted(sources.fingerprints)]


def placeholder(repository: str, fingerprint: str) -> str:
    """The image a preview shows for a source nobody built: ``<repository>@sha256:<sha256("unbuilt:"+fp)>``."""
    return f"{repository}@sha256:{hashlib.sha256(PLACEHOLDER_SALT + fingerprint.encode()).hexdigest()}"


def auto_suffix(template: Mapping[str, Any]) -> str:
    """``r<8 hex>`` of the rendered revision template (its name left out), for ``revision: auto``.

    A source service's template is rendered with ``source:<fingerprint>`` as its
    image (:func:`source_image_stand_in`), so the name follows the source, not the
    digest: the preview (placeholder) and the update (the built digest) agree.
    """
    metadata = {k: v for k, v in (template.get("metadata") or {}).items() if k != "name"}
    text = canonical_json({"metadata": metadata, "spec": template.get("spec") or {}})
    return AUTO_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:AUTO_HEX]


def source_image_stand_in(fingerprint: str) -> str:
    """What stands for a source service's image in the template ``revision: auto`` digests."""
    return f"source:{fingerprint}"


def _fix(stack: str) -> str:
    return f"run `knative-platform build --stack {stack}` (it builds or reuses the image and records its digest)"


def _recorded(name: str, fingerprint: str, repository: str, sources: Sources,
              path: str) -> tuple[SourceImage | None, list[Problem]]:
    """The build ``images.<name>`` records, when it is of this fingerprint and repository; else why not."""
    built = sources.images.get(name)
    if built is None:
        return None, []
    if built.source == fingerprint and built.repository == repository:
        return SourceImage(fingerprint=fingerprint, image=built.image, origin=Origin.BUILD), []
    what = (f"was built from source {built.source[:12]}…, this checkout is {fingerprint[:12]}…"
            if built.source != fingerprint else f"is in {built.repository}, this stack pushes to {repository}")
    return None, [Problem(join_path("images", name), f"the recorded build {what}; {_fix(sources.stack)}")]


def _from_history(fingerprint: str, repository: str, history: ServiceHistory) -> SourceImage | None:
    """The image an earlier deployment of this stack ran for ``fingerprint`` in ``repository``, newest first.

    A placeholder is never a built image, even in a record (a preview's, read back by an offline review).
    """
    unbuilt = placeholder(repository, fingerprint)
    for record in reversed(history.revisions):
        if record.source == fingerprint and record.image.startswith(f"{repository}@sha256:") \
                and record.image != unbuilt:
            return SourceImage(fingerprint=fingerprint, image=record.image, origin=Origin.HISTORY)
    return None


def resolve_image(name: str, sources: Sources, history: ServiceHistory,
                  path: str) -> tuple[SourceImage | None, list[Problem]]:
    """The image source service ``name`` deploys, or why an update cannot deploy it (see the module docstring).

    ``history`` is the service's record from the stack's last deployment;
    ``path`` its config path (``services.hello``).
    """
    fingerprint = sources.fingerprints.get(name)
    if fingerprint is None or sources.registry is None:  # refused by the checks that read the checkout and registry
        return None, [Problem(join_path(path, "source"), "has no fingerprint or registry to resolve its image; "
                                                         "set knative-platform:registry")]
    repository = repository_of(sources.registry, name)
    found, stale = _recorded(name, fingerprint, repository, sources, path)
    if found is not None:
        return found, []
    found = _from_history(fingerprint, repository, history)
    if found is not None:
        return found, []
    if sources.preview:
        return SourceImage(fingerprint=fingerprint, image=placeholder(repository, fingerprint),
                           origin=Origin.PENDING), []
    if stale:
        return None, stale
    return None, [Problem(join_path(path, "source"), (
        f"no image is built for source {fingerprint[:12]}… (knative-platform:images records none, and no earlier "
        f"deployment of this stack ran it); {_fix(sources.stack)}, then run pulumi up again"))]


def pending_note(name: str, path: str, found: SourceImage) -> str | None:
    """The preview's warning for a placeholder image, or None for a built one."""
    if found.origin is not Origin.PENDING:
        return None
    return (f"{join_path(path, 'source')}: pending build: source {found.fingerprint[:12]}… of {name} is not built "
            f"yet; this preview shows a placeholder digest, and pulumi up refuses it until a build is recorded "
            f"(knative-platform build)")
