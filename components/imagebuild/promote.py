"""Promotion by digest: ``knative-platform build --stack prod --promote-from staging``.

Staging and prod never rebuild a source: they run the image the earlier
environment built and tested. For each source service of the target stack, the
image the origin stack recorded (its ``knative-platform:images``, for this very
fingerprint) is copied into the target's registry under the same
``src-<fingerprint>`` tag with ``skopeo copy --all --preserve-digests``: image
manifests are content-addressed, so the digest is unchanged (containers/skopeo
v1.16 ``docs/skopeo-copy.1.md``: "--preserve-digests: Preserve the digests
during copying. Fail if the digest cannot be preserved."). The target's
registry is then asked for the tag, and only the digest it serves is recorded.

``--record-only`` writes the records the copy will produce without copying:
``<target repository>@<the origin's digest>``, computed offline. The preview
before an approval gate (which may not push) and the gated ``pulumi up --plan``
after the copy then see the same plain strings.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.source.fingerprint import fingerprint, list_files
from ..model.source.registry import DIGEST, source_tag, split_prefix
from .credentials import Credentials, auth_file, find_credentials
from .oci import RegistryClient, is_loopback
from .stackconfig import StackBuild

SKOPEO = "skopeo"


class PromotionError(Exception):
    """An image that cannot be promoted: no build recorded for this source, or the copy did not keep the digest."""


@dataclass(frozen=True)
class Promotion:
    """One source service's image, from the origin's repository to the target's, by digest."""

    service: str
    fingerprint: str
    origin: str
    """``<origin repository>@<digest>``."""
    repository: str
    digest: str

    @property
    def record(self) -> dict[str, str]:
        """The service's entry in the target stack's ``images`` key."""
        return {"source": self.fingerprint, "repository": self.repository, "digest": self.digest}

    def line(self, copied: bool) -> str:
        """The one line of progress printed for the service."""
        verb = "copied  " if copied else "recorded"
        return f"{self.service}: {verb} {self.repository}@{self.digest} (from {self.origin})"


def promotions(target: StackBuild, origin_stack: str, origin_images: Mapping[str, Any]) -> list[Promotion]:
    """What promoting ``origin_images`` (the origin stack's ``images`` key) into ``target`` copies and records."""
    out = []
    for build in target.targets:
        directory = target.project_dir / build.source.path
        found = fingerprint(build.source, directory, list_files(directory)).value
        record = origin_images.get(build.service)
        fix = f"run `knative-platform build --stack {origin_stack}` on this commit first"
        if not isinstance(record, Mapping) or not isinstance(record.get("digest"), str) or \
                not DIGEST.match(record["digest"]) or not isinstance(record.get("repository"), str):
            raise PromotionError(f"{build.service}: {origin_stack} records no build of it; {fix}")
        if record.get("source") != found:
            raise PromotionError(f"{build.service}: {origin_stack}'s build is of source "
                                 f"{str(record.get('source'))[:12]}…, this checkout is {found[:12]}…; {fix}")
        out.append(Promotion(build.service, found, f"{record['repository']}@{record['digest']}", build.repository,
                             record["digest"]))
    return out


Lookup = Callable[[str], Credentials | None]


def _auth_args(flag: str, repository: str, credentials: Credentials | None, scratch: Path) -> list[str]:
    """``--<flag>-authfile`` (a 0600 file, never argv) and plain HTTP for a loopback registry."""
    host = split_prefix(repository)[0]
    args = [f"--{flag}-tls-verify=false"] if is_loopback(host) else []
    if credentials is not None:
        where = scratch / flag
        where.mkdir(mode=0o700)
        args += [f"--{flag}-authfile", str(auth_file(host, credentials, where))]
    return args


def copy(promotion: Promotion, lookup: Lookup = find_credentials) -> bool:
    """Copy the image into the target's repository unless the tag is there already; True when it copied.

    Raises PromotionError when the target's tag names another digest, or the copy did not keep the digest.
    """
    host, name = split_prefix(promotion.repository)
    credentials = lookup(promotion.repository)
    registry = RegistryClient(host, credentials)
    tag = source_tag(promotion.fingerprint)
    existing = registry.manifest_digest(name, tag)
    copied = existing is None
    if copied:
        with tempfile.TemporaryDirectory(prefix="knative-platform-promote-") as scratch:
            args = [SKOPEO, "copy", "--all", "--preserve-digests",
                    *_auth_args("src", promotion.origin, lookup(promotion.origin.split("@", 1)[0]), Path(scratch)),
                    *_auth_args("dest", promotion.repository, credentials, Path(scratch)),
                    f"docker://{promotion.origin}", f"docker://{promotion.repository}:{tag}"]
            try:
                result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=1800)
            except FileNotFoundError:
                raise PromotionError(f"{SKOPEO} is not installed (apt-get install skopeo)") from None
            if result.returncode != 0:
                raise PromotionError(f"{promotion.service}: skopeo copy failed: {result.stderr.strip()[-2000:]}")
        existing = registry.manifest_digest(name, tag)
    if existing != promotion.digest:
        raise PromotionError(f"{promotion.service}: {promotion.repository}:{tag} names {existing}, not "
                             f"{promotion.digest} (the image of {promotion.origin}); another image holds this "
                             "source's tag there")
    return copied
