"""Ask an OCI distribution registry which manifest a tag names: the build's only question to a registry.

The registry HTTP API (opencontainers/distribution-spec v1.1.0 ``spec.md``): ``HEAD
/v2/<name>/manifests/<reference>`` is 200 when the tag exists and 404 when it does not (endpoint end-3);
the client says in ``Accept`` which manifest types it takes, so the registry answers with the manifest as
it was pushed, not a conversion. The answer carries the manifest's digest in ``Docker-Content-Digest``
(distribution/distribution v2.8.2 ``registry/handlers/manifests.go`` ``GetManifest`` sets it on GET and
HEAD; the spec only says a client "MAY encounter" it), so without the header the manifest is fetched and
hashed: a manifest's digest is the sha256 of its bytes. Knative resolves a tag the same way, by a HEAD
(knative/serving knative-v1.23.0 ``pkg/reconciler/revision/resolve.go`` ``Resolve``, ``remote.Head``).

Authentication follows the token protocol (distribution/distribution v2.8.2 ``docs/spec/auth/token.md``):
a 401 names a ``Bearer`` realm, service and scope; the token comes from the realm, with the user's
credentials as Basic auth when there are any; a ``Basic`` challenge takes the credentials directly.

Transport: HTTPS with certificate verification, except for a loopback host (``localhost``, 127.0.0.0/8,
::1), which Docker treats as insecure by default (moby/moby ``api/swagger.yaml``,
``RegistryServiceConfig.InsecureRegistryCIDRs``: "By default, local registries (::1/128 and 127.0.0.0/8)
are configured as insecure"): there HTTPS is tried without verification, then plain HTTP, as
containers/image does with ``--tls-verify=false`` (v5.23.0 ``docker/docker_client.go``
``detectPropertiesHelper``). Only a loopback registry is ever spoken to without TLS.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from ..model.source.registry import DIGEST
from .credentials import Credentials

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
TIMEOUT = 30.0
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """The registry could not be reached or refused the request; the message names the registry and why."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``name[:port]``) is this machine: ``localhost``, 127.0.0.0/8 or ::1."""
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0] if ":" in host else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def api_host(host: str) -> str:
    """Docker Hub's API is served by ``registry-1.docker.io``; every other registry serves its own."""
    return "registry-1.docker.io" if host in ("docker.io", "index.docker.io") else host


@dataclass
class RegistryClient:
    """One registry host, with the credentials to use there (None: anonymous)."""

    host: str
    credentials: Credentials | None = None
    timeout: float = TIMEOUT
    _base: str | None = field(default=None, repr=False)
    _context: ssl.SSLContext | None = field(default=None, repr=False)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def _contexts(self) -> list[tuple[str, ssl.SSLContext | None]]:
        if not is_loopback(self.host):
            return [("https", ssl.create_default_context())]
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        return [("https", unverified), ("http", None)]

    def _send(self, request: urllib.request.Request, context: ssl.SSLContext | None) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout, context=context)
        except urllib.error.HTTPError as exc:
            return exc  # the status and headers are the answer
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryError(f"cannot reach the registry {self.host}: {reason}") from None

    def base_url(self) -> str:
        """``<scheme>://<host>``, found once by asking ``/v2/`` (200, or 401 asking for credentials)."""
        if self._base is not None:
            return self._base
        failures = []
        for scheme, context in self._contexts():
            url = f"{scheme}://{api_host(self.host)}"
            try:
                response = self._send(urllib.request.Request(f"{url}/v2/", method="GET"), context)
            except RegistryError as exc:
                failures.append(f"{scheme}: {exc}")
                continue
            response.close()
            if response.status in (200, 401):
                self._base, self._context = url, context
                return url
            failures.append(f"{scheme}: /v2/ answered {response.status}")
        raise RegistryError(f"{self.host} does not answer as an OCI registry ({'; '.join(failures)})")

    def _basic(self) -> str | None:
        if self.credentials is None:
            return None
        text = f"{self.credentials.username}:{self.credentials.secret}".encode()
        return "Basic " + base64.b64encode(text).decode("ascii")

    def _token(self, challenge: str, name: str) -> str:
        """A bearer token for pulling ``name``, from the realm the 401 named."""
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise RegistryError(f"{self.host} asked for a token without naming a realm: {challenge}")
        params.setdefault("scope", f"repository:{name}:pull")
        url = f"{realm}{'&' if '?' in realm else '?'}{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, method="GET")
        basic = self._basic()
        if basic:
            request.add_header("Authorization", basic)
        response = self._send(request, ssl.create_default_context() if url.startswith("https:") else None)
        with response:
            if response.status != 200:
                raise RegistryError(f"{self.host}: the token service refused {self._who()} ({response.status}); "
                                    "log in to the registry (buildah login, docker login, gcloud auth)")
            answer = json.loads(response.read() or b"{}")
        token = (answer.get("token") or answer.get("access_token")) if isinstance(answer, dict) else None
        if not token:
            raise RegistryError(f"{self.host}: the token service answered without a token")
        return str(token)

    def _who(self) -> str:
        return "anonymous access" if self.credentials is None else f"the credentials from {self.credentials.origin}"

    def _answer(self, challenge: str, name: str) -> str:
        """The ``Authorization`` a 401's challenge asks for."""
        if challenge.lower().startswith("bearer"):
            return "Bearer " + self._token(challenge, name)
        authorization = self._basic()
        if authorization is None:
            raise RegistryError(f"{self.host} needs credentials for {name}; log in to it (buildah login, docker "
                                "login, gcloud auth configure-docker)")
        return authorization

    def _request(self, method: str, name: str, reference: str) -> Any:
        """``method`` on the manifest, answering one 401 (or a cached token's expiry) with fresh authorization."""
        url = f"{self.base_url()}/v2/{name}/manifests/{urllib.parse.quote(reference, safe=':')}"
        authorization = self._tokens.get(name)
        fresh = authorization is None
        while True:
            request = urllib.request.Request(url, method=method, headers={"Accept": ", ".join(MANIFEST_TYPES)})
            if authorization:
                request.add_header("Authorization", authorization)
            response = self._send(request, self._context)
            if response.status != 401:
                return response
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            if authorization is not None and fresh:
                raise RegistryError(f"{self.host} refused {self._who()} for {name} (401); log in to it again")
            authorization, fresh = self._answer(challenge, name), True
            self._tokens[name] = authorization

    def manifest_digest(self, name: str, reference: str) -> str | None:
        """The digest of the manifest ``<name>:<reference>`` names, or None when the registry has no such tag."""
        response = self._request("HEAD", name, reference)
        with response:
            status, digest = response.status, str(response.headers.get("Docker-Content-Digest") or "")
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(f"{self.host}: HEAD {name}:{reference} answered {status}; {self._who()}")
        if digest and DIGEST.match(digest):
            return digest
        response = self._request("GET", name, reference)  # no usable header: hash the manifest itself
        with response:
            if response.status != 200:
                raise RegistryError(f"{self.host}: GET {name}:{reference} answered {response.status}")
            return "sha256:" + hashlib.sha256(response.read()).hexdigest()
