"""Build (or reuse) each source service's image and record its digest: the body of ``knative-platform build``.

Per service, in order: fingerprint the source (:mod:`knative_platform.model.source.fingerprint`); ask
the registry whether ``<repository>:src-<fingerprint>`` exists (:mod:`.oci`) and reuse its digest if so:
the first image pushed for a fingerprint wins, so a rebuild that would not be bit-for-bit identical never
replaces it; otherwise stage exactly the fingerprinted files, build and push them (:mod:`.builders`), and
ask the registry again: the digest recorded is the one the registry serves for the tag, never only the
builder's word. Then every service's ``{source, repository, digest}`` is written to the stack's
``images`` key in one go, or nothing is written when any service failed.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model.source.fingerprint import Fingerprint, fingerprint, list_files, stage
from ..model.source.registry import source_tag, split_prefix
from .builders import Builder, BuildError, BuildRequest
from .credentials import Credentials, find_credentials
from .oci import RegistryClient
from .stackconfig import BuildTarget


@dataclass(frozen=True)
class Outcome:
    """What the build did for one service: the record it made, whether it built, and how long it took."""

    service: str
    fingerprint: str
    repository: str
    digest: str
    built: bool
    seconds: float

    @property
    def record(self) -> dict[str, str]:
        """The service's entry in the stack's ``images`` key."""
        return {"source": self.fingerprint, "repository": self.repository, "digest": self.digest}

    def line(self) -> str:
        """The one line of progress printed for the service."""
        verb = "built " if self.built else "reused"
        return (f"{self.service}: {verb} {self.repository}@{self.digest} "
                f"(source {self.fingerprint[:12]}, {self.seconds:.1f}s)")


Lookup = Callable[[str], Credentials | None]


def _build(target: BuildTarget, directory: Path, expected: Fingerprint, builder: Builder,
           credentials: Credentials | None, tag: str) -> str | None:
    """Stage, check the staged copy is what was fingerprinted, build and push; the builder's digest, if any."""
    with tempfile.TemporaryDirectory(prefix="knative-platform-build-") as scratch:
        context, work = Path(scratch) / "context", Path(scratch) / "work"
        context.mkdir()
        work.mkdir(mode=0o700)
        stage(directory, expected.files, context)
        staged = fingerprint(target.source, context, expected.files)
        if staged.value != expected.value:
            raise BuildError(f"{target.service}: the source in {directory} changed while it was copied; run the "
                             "build again")
        source = target.source
        request = BuildRequest(context=context, dockerfile=source.dockerfile, image=f"{target.repository}:{tag}",
                               platform=source.platform.value, target=source.target, build_args=source.build_args)
        return builder.build(request, credentials, work)


def build_one(target: BuildTarget, project_dir: Path, builder: Builder,
              lookup: Lookup = find_credentials) -> Outcome:
    """Reuse or build ``target``'s image; raises BuildError, RegistryError, SourceError or CredentialError."""
    start = time.monotonic()
    directory = project_dir / target.source.path
    found = fingerprint(target.source, directory, list_files(directory))
    host, name = split_prefix(target.repository)
    credentials = lookup(target.repository)
    registry = RegistryClient(host, credentials)
    tag = source_tag(found.value)

    def outcome(digest: str, built: bool) -> Outcome:
        return Outcome(target.service, found.value, target.repository, digest, built, time.monotonic() - start)

    existing = registry.manifest_digest(name, tag)
    if existing is not None:
        return outcome(existing, built=False)
    try:
        reported = _build(target, directory, found, builder, credentials, tag)
    except BuildError:
        raced = registry.manifest_digest(name, tag)  # pushed meanwhile by another build: that one won
        if raced is not None:
            return outcome(raced, built=False)
        raise
    digest = registry.manifest_digest(name, tag)
    if digest is None:
        raise BuildError(f"{target.service}: the builder finished, but {target.repository} has no tag {tag}; "
                         "check that the builder pushed to this registry")
    if reported and reported != digest:
        raise BuildError(f"{target.service}: the build pushed {reported}, but {tag} names {digest}: another build "
                         "pushed the same source at the same time; run the build again to reuse that image (a "
                         "registry with immutable tags rules this out)")
    return outcome(digest, built=True)
