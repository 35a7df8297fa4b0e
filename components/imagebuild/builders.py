"""The three ways ``knative-platform build`` turns a staged source directory into a pushed image.

Each builder gets one :class:`BuildRequest` (the staged context, its Dockerfile and settings, and the
reference to push: ``<repository>:src-<fingerprint>``), builds one single-platform image and pushes it.
The caller then asks the registry which digest the tag names (:mod:`.oci`): the registry, not the
builder's word, is what gets recorded. A builder that fails raises :class:`BuildError` with its own output.

- ``buildah`` (containers/buildah v1.28.2, Debian's): daemonless, ``--storage-driver vfs`` (``buildah.1.md``:
  works without kernel overlay support) and ``build --isolation chroot`` (``buildah-build.1.md``: no OCI
  runtime needed), in a storage root of its own so it never meets another tool's storage configuration.
  ``push --digestfile`` writes the pushed manifest's digest, ``--authfile`` takes the credentials, and
  ``--tls-verify=false`` is passed for a loopback registry only (``buildah-push.1.md``).
- ``docker`` (docker/buildx v0.36.1 ``docs/reference/buildx_build.md``): ``docker buildx build --push``
  with ``--provenance=false``, so a single-platform build is one image manifest and not an index with an
  attestation, and ``--metadata-file``, whose ``containerimage.digest`` is the pushed digest. Docker uses
  its own logins (``docker login``, ``gcloud auth configure-docker``).
- ``cloudbuild``: ``gcloud builds submit`` of the staged context with a build config of one step, Docker's
  CLI image pinned in ``versions.CLOUD_BUILD_DOCKER``, and ``images:`` so Cloud Build pushes the image and
  records it. It needs no Docker on the machine; Cloud Build pushes as its own service account. The
  upload skips what a ``.gcloudignore`` (or, without one, ``.gitignore``) names unless ``--ignore-file``
  overrides it (docs.cloud.google.com/sdk/gcloud/reference/topic/gcloudignore); an empty one is passed, so
  the upload is exactly the staged, fingerprinted files. (Not run here: no Google account offline.)
"""

from __future__ import annotations

import enum
import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import versions
from .credentials import Credentials, auth_file
from .oci import is_loopback

OUTPUT_LINES = 40
"""How many of a failed builder's last output lines the error shows."""


class BuildError(Exception):
    """A builder failed; the message has the command and the end of its output."""


class BuilderKind(enum.StrEnum):
    """The builders ``--builder`` names."""

    BUILDAH = "buildah"
    DOCKER = "docker"
    CLOUDBUILD = "cloudbuild"


@dataclass(frozen=True)
class BuildRequest:
    """One image to build from a staged context and push as ``image`` (``<repository>:<tag>``)."""

    context: Path
    dockerfile: str
    image: str
    platform: str
    target: str | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """The registry host the image is pushed to."""
        return self.image.split("/", 1)[0]

    def dockerfile_args(self, dockerfile: str) -> list[str]:
        """``--platform``, ``-f``, ``--target`` and ``--build-arg`` (sorted), common to every builder."""
        args = ["--platform", self.platform, "-f", dockerfile]
        if self.target:
            args += ["--target", self.target]
        for name, value in sorted(self.build_args.items()):
            args += ["--build-arg", f"{name}={value}"]
        return args


def run(command: Sequence[str], what: str) -> None:
    """Run a builder command; raise BuildError with its output when it fails."""
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BuildError(f"{what}: {command[0]} is not installed (or not on PATH)") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-OUTPUT_LINES:]
        raise BuildError(f"{what} failed (exit {result.returncode}): {' '.join(command[:3])} ...\n"
                         + "\n".join(f"  | {line}" for line in output))


@dataclass(frozen=True)
class Buildah:
    """Daemonless builds with buildah, in their own vfs storage under ``storage``."""

    storage: Path
    executable: str = "buildah"

    def _global(self) -> list[str]:
        return [self.executable, "--storage-driver", "vfs", "--root", str(self.storage / "root"),
                "--runroot", str(self.storage / "run")]

    def commands(self, request: BuildRequest, authfile: Path | None, digestfile: Path) -> list[list[str]]:
        """The build, push and clean-up commands, in order."""
        build = [*self._global(), "build", "--isolation", "chroot",
                 *request.dockerfile_args(str(request.context / request.dockerfile)),
                 "--tag", request.image, str(request.context)]
        push = [*self._global(), "push", "--digestfile", str(digestfile)]
        if authfile is not None:
            push += ["--authfile", str(authfile)]
        if is_loopback(request.host):
            push.append("--tls-verify=false")
        push += [request.image, f"docker://{request.image}"]
        return [build, push, [*self._global(), "rmi", request.image]]

    def build(self, request: BuildRequest, credentials: Credentials | None, workdir: Path) -> str:
        """Build and push; return the digest buildah reports for the pushed manifest."""
        authfile = auth_file(request.host, credentials, workdir) if credentials is not None else None
        digestfile = workdir / "digest"
        build, push, clean = self.commands(request, authfile, digestfile)
        run(build, "buildah build")
        try:
            run(push, "buildah push")
        finally:
            # The local vfs copy is no cache worth keeping (the registry has the image); failing to remove it
            # costs disk space, not the build, so its outcome is not checked.
            subprocess.run(clean, capture_output=True, check=False)
        return digestfile.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Docker:
    """Builds with ``docker buildx build --push``, with Docker's own logins."""

    executable: str = "docker"

    def command(self, request: BuildRequest, metadata: Path) -> list[str]:
        """The one command that builds and pushes."""
        return [self.executable, "buildx", "build",
                *request.dockerfile_args(str(request.context / request.dockerfile)),
                "--provenance=false", "--tag", request.image, "--push", "--metadata-file", str(metadata),
                str(request.context)]

    def build(self, request: BuildRequest, credentials: Credentials | None, workdir: Path) -> str:
        """Build and push; return the digest buildx reports (``containerimage.digest``)."""
        del credentials  # docker pushes with its own logins
        metadata = workdir / "metadata.json"
        run(self.command(request, metadata), "docker buildx build")
        try:
            return str(json.loads(metadata.read_text(encoding="utf-8"))["containerimage.digest"])
        except (OSError, ValueError, KeyError, TypeError):
            raise BuildError(f"docker buildx build wrote no containerimage.digest to {metadata}") from None


@dataclass(frozen=True)
class CloudBuild:
    """Builds on Google Cloud Build (``gcloud builds submit``), which pushes the image itself."""

    project: str | None = None
    region: str | None = None
    executable: str = "gcloud"

    def config(self, request: BuildRequest) -> dict[str, object]:
        """The build config: one docker step building the context, and ``images`` to push and record."""
        args = ["build", *request.dockerfile_args(request.dockerfile), "--tag", request.image, "."]
        return {"steps": [{"name": versions.CLOUD_BUILD_DOCKER, "args": args}], "images": [request.image]}

    def command(self, request: BuildRequest, config: Path) -> list[str]:
        """The submit command; the context is uploaded as it is staged (an empty ignore file: nothing left out)."""
        command = [self.executable, "builds", "submit", str(request.context), "--config", str(config),
                   "--ignore-file", str(config.with_name("empty.gcloudignore"))]
        if self.project:
            command += ["--project", self.project]
        if self.region:
            command += ["--region", self.region]
        return command

    def build(self, request: BuildRequest, credentials: Credentials | None, workdir: Path) -> None:
        """Submit and wait; Cloud Build reports no digest here, the registry is asked afterwards."""
        del credentials  # Cloud Build pushes as its own service account
        config = workdir / "cloudbuild.json"
        config.write_text(json.dumps(self.config(request), indent=2), encoding="utf-8")
        config.with_name("empty.gcloudignore").write_text("", encoding="utf-8")
        run(self.command(request, config), "gcloud builds submit")


Builder = Buildah | Docker | CloudBuild


def make_builder(kind: BuilderKind, storage: Path, project: str | None = None,
                 region: str | None = None) -> Builder:
    """The builder ``--builder`` names, checked to be installed."""
    builder: Builder
    if kind is BuilderKind.BUILDAH:
        builder = Buildah(storage=storage)
    elif kind is BuilderKind.DOCKER:
        builder = Docker()
    else:
        builder = CloudBuild(project=project, region=region)
    if shutil.which(builder.executable) is None:
        raise BuildError(f"--builder {kind.value} needs {builder.executable}, which is not installed (or not on "
                         "PATH)")
    return builder
