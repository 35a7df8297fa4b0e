"""Registry credentials for the build: found where ``buildah login`` and ``docker login`` leave them.

One lookup serves the registry checks (:mod:`.oci`) and the push, so both act as the same identity: the
credentials found here are handed to ``buildah push`` in a private auth file (:func:`auth_file`), never on
a command line, where other users could read them in the process list.

The files are searched in the order containers/image v5.23.0 (buildah 1.28's) searches them
(``pkg/docker/config/config.go`` ``getAuthFilePaths`` and ``findCredentialsInFile``):
``$REGISTRY_AUTH_FILE`` or ``$XDG_RUNTIME_DIR/containers/auth.json``, then
``$XDG_CONFIG_HOME/containers/auth.json``, then ``$DOCKER_CONFIG/config.json`` (``~/.docker/config.json``).
In each, a ``credHelpers`` entry for the host wins, then an ``auths`` entry for the repository, a parent
path of it, or the host. Docker's own ``credsStore`` comes last. A helper is run as the
docker-credential-helpers protocol asks (docker/docker-credential-helpers v0.9.8 ``client/client.go``
``Get``: ``docker-credential-<name> get`` with the host on stdin, JSON ``{Username, Secret}`` on stdout).

Artifact Registry and Container Registry hosts with nothing stored fall back to ``gcloud auth
print-access-token``, with the user name ``oauth2accesstoken`` (what ``gcloud auth configure-docker``'s
helper returns): in CI that is the Workload Identity the job authenticated as. Registries with none of these
are spoken to anonymously; a push that needs credentials then fails with the registry's own answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GOOGLE_HOSTS = ("-docker.pkg.dev", "gcr.io")
"""Artifact Registry (``<location>-docker.pkg.dev``) and Container Registry (``gcr.io``, ``eu.gcr.io`` ...)."""
HELPER_TIMEOUT = 60


class CredentialError(Exception):
    """Stored credentials exist but cannot be read (a broken file, a failing helper); the message says which."""


@dataclass(frozen=True)
class Credentials:
    """A user name and secret for one registry host, and where they were found (for messages only)."""

    username: str
    secret: str
    origin: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, secret=<hidden>, origin={self.origin!r})"


def auth_files(env: Mapping[str, str]) -> list[tuple[Path, bool]]:
    """The auth files to search, in order, each with whether it is Docker's (``credsStore`` applies)."""
    home = Path(env.get("HOME") or Path.home())
    first = env.get("REGISTRY_AUTH_FILE")
    if not first and env.get("XDG_RUNTIME_DIR"):
        first = str(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    elif not first:
        first = f"/run/containers/{os.getuid()}/auth.json"
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    docker = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    return [(Path(first), False), (config_home / "containers" / "auth.json", False), (docker / "config.json", True)]


def _normalized(key: str) -> str:
    """An ``auths`` key as a host: ``https://index.docker.io/v1/`` -> ``index.docker.io`` (``normalizeAuthFileKey``)."""
    stripped = key.removeprefix("http://").removeprefix("https://")
    if stripped != key:
        stripped = stripped.split("/", 1)[0]
    return "index.docker.io" if stripped in ("docker.io", "registry-1.docker.io") else stripped


def _decode_auth(entry: Any, where: str) -> Credentials | None:
    if not isinstance(entry, Mapping) or not entry.get("auth"):
        return None
    try:
        username, _, secret = base64.b64decode(str(entry["auth"]), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise CredentialError(f"{where}: its 'auth' is not base64 of <user>:<password>; log in again") from None
    return Credentials(username, secret, where)


def run_helper(helper: str, host: str) -> Credentials | None:
    """Ask ``docker-credential-<helper>`` for ``host``'s credentials; None when it has none."""
    program = f"docker-credential-{helper}"
    try:
        result = subprocess.run([program, "get"], input=host, capture_output=True, text=True, check=False,
                                timeout=HELPER_TIMEOUT)
    except FileNotFoundError:
        raise CredentialError(f"the credential helper {program} (configured for {host}) is not installed") from None
    except subprocess.TimeoutExpired:
        raise CredentialError(f"the credential helper {program} did not answer within {HELPER_TIMEOUT}s") from None
    if result.returncode != 0:
        if "credentials not found" in result.stdout + result.stderr:
            return None
        raise CredentialError(f"{program} get failed for {host}: {(result.stdout + result.stderr).strip()}")
    try:
        answer = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise CredentialError(f"{program} get answered with something other than JSON") from None
    if not isinstance(answer, Mapping) or not answer.get("Secret"):
        return None
    return Credentials(str(answer.get("Username") or ""), str(answer["Secret"]), program)


def _keys_for(repository: str) -> list[str]:
    """``h/a/b`` -> ``h/a/b``, ``h/a``, ``h``: the repository, its parents, the host (``authKeysForKey``)."""
    parts = repository.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _from_file(path: Path, docker: bool, host: str, repository: str) -> Credentials | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CredentialError(f"{path}: cannot read it as JSON ({exc}); fix or remove it") from None
    if not isinstance(document, Mapping):
        raise CredentialError(f"{path}: expected a JSON object")
    helpers = document.get("credHelpers")
    if isinstance(helpers, Mapping) and isinstance(helpers.get(host), str):
        return run_helper(helpers[host], host)
    auths = document.get("auths")
    if isinstance(auths, Mapping):
        for key in _keys_for(repository):
            if key in auths:
                return _decode_auth(auths[key], f"{path} ({key})")
        for key, entry in auths.items():
            if _normalized(str(key)) == _normalized(host):
                return _decode_auth(entry, f"{path} ({key})")
    store = document.get("credsStore")
    if docker and isinstance(store, str) and store:
        return run_helper(store, host)
    return None


def gcloud_token() -> Credentials:
    """An access token for Google's registries from the active gcloud account (``oauth2accesstoken``)."""
    try:
        result = subprocess.run(["gcloud", "auth", "print-access-token"], capture_output=True, text=True,
                                check=False, timeout=HELPER_TIMEOUT)
    except FileNotFoundError:
        raise CredentialError("no credentials are stored for this Google registry and gcloud is not installed: "
                              "run `gcloud auth configure-docker <host>` or log in with `buildah login`") from None
    except subprocess.TimeoutExpired:
        raise CredentialError(f"gcloud auth print-access-token did not answer within {HELPER_TIMEOUT}s") from None
    if result.returncode != 0 or not result.stdout.strip():
        raise CredentialError(f"gcloud auth print-access-token failed: {result.stderr.strip()}; run "
                              "`gcloud auth login` (or authenticate the CI job with Workload Identity)")
    return Credentials("oauth2accesstoken", result.stdout.strip(), "gcloud auth print-access-token")


def find_credentials(repository: str, env: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials for ``repository`` (``host[:port]/path``), or None to go anonymously."""
    env = os.environ if env is None else env
    host = repository.split("/", 1)[0]
    for path, docker in auth_files(env):
        found = _from_file(path, docker, host, repository)
        if found is not None:
            return found
    if host.endswith(GOOGLE_HOSTS):
        return gcloud_token()
    return None


def auth_file(host: str, credentials: Credentials, directory: Path) -> Path:
    """Write ``credentials`` as a containers auth file readable by its owner only; return its path."""
    token = base64.b64encode(f"{credentials.username}:{credentials.secret}".encode()).decode("ascii")
    path = directory / "auth.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"auths": {host: {"auth": token}}}, handle)
    return path
