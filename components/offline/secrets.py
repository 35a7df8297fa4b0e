"""Which values are credentials, and their redaction: one rule for the render, the diff and its reports.

Pulumi secrets are redacted where they are read (:mod:`components.offline.engine`,
:mod:`components.offline.stackfile`). This module is the second line: a value
is also redacted when its *name* says it is a credential, so a plain-text
credential (a stack-config key ``gcp:accessToken``, an environment variable
``AWS_SECRET_ACCESS_KEY``, a render edited by hand) never reaches a render, a
summary or a detail file. Names are split into words (``_``, ``-``, ``.``, ``:``
and camelCase), so the rule sees ``gcp:accessToken`` as ``gcp access token``.
It imports nothing from Pulumi, so a diff runs wherever the renders are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[secret]"
"""What a secret value reads as; kept in step with :data:`components.offline.stackfile.REDACTED`."""
_FINGERPRINT = re.compile(r"^\[secret [0-9a-f]{12}\]$")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
CREDENTIAL_WORDS = frozenset({"password", "passwd", "passphrase", "token", "secret", "credential", "credentials",
                              "kubeconfig", "apikey", "privatekey", "accesskey", "secretkey"})
"""A name with one of these words holds a credential (``DB_PASSWORD``, ``githubToken``, ``CLIENT_SECRET``)."""
CREDENTIAL_PAIRS = frozenset({("access", "key"), ("private", "key"), ("api", "key"), ("secret", "key"),
                              ("client", "key"), ("signing", "key"), ("encryption", "key"), ("account", "key"),
                              ("auth", "key"), ("master", "key"), ("session", "key")})
"""Two words in a row that name a key which is a credential (``AWS_ACCESS_KEY_ID``, ``privateKey``)."""
REFERENCE_WORDS = frozenset({"name", "names", "ref", "refs", "namespace", "file", "path", "url", "uri", "endpoint",
                             "type", "kind", "ttl", "audience", "expiry", "expiration", "env", "mode", "template",
                             "version", "enabled", "provider", "length", "size", "selector", "label", "labels"})
"""A last word that makes the name a *reference to* or a property of a credential, not the credential itself
(``secretName``, ``secretKeyRef``, ``TOKEN_URL``, ``passwordFile``): such values are kept, so a review shows them."""


def words(name: str) -> list[str]:
    """``AWS_SECRET_ACCESS_KEY`` -> aws secret access key; ``gcp:accessToken`` -> gcp access token."""
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORDS.findall(part)]


def is_credential_name(name: str, *, variable: bool = False) -> bool:
    """Whether a key (or, with ``variable``, an environment variable) named ``name`` holds a credential.

    A key named just ``secret`` names a Secret (``secretEnv: {X: {secret: db, key: password}}``); a
    variable named ``SECRET`` holds one.
    """
    found = words(name)
    if not found or found[-1] in REFERENCE_WORDS or (found == ["secret"] and not variable):
        return False
    if "".join(found) in CREDENTIAL_WORDS or any(w in CREDENTIAL_WORDS for w in found):
        return True
    return any(pair in CREDENTIAL_PAIRS for pair in itertools.pairwise(found))


def is_redacted(value: Any) -> bool:
    """``[secret]`` or a secret's fingerprint ``[secret 1a2b3c4d5e6f]``."""
    return isinstance(value, str) and (value == REDACTED or bool(_FINGERPRINT.match(value)))


def redact(value: Any, kind: str | None = None) -> Any:
    """``value`` with every credential replaced by ``[secret]``.

    Redacted: the value of any key named like a credential (``kubeconfig``,
    ``password``, ``gcp:accessToken`` ...), a Kubernetes Secret's ``data`` and
    ``stringData``, and the ``value`` of an environment variable whose name
    looks like a credential (``DB_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``).
    A secret's fingerprint is kept: it is no value, and it shows a rotation.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if kind == "Secret" and key in ("data", "stringData") and isinstance(item, Mapping):
                out[key] = dict.fromkeys(item, REDACTED)
            elif (is_credential_name(str(key)) and not isinstance(item, (Mapping, list)) and item is not None
                  and not is_redacted(item)):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        name = value.get("name")
        if (isinstance(name, str) and "value" in out and out["value"] is not None
                and is_credential_name(name, variable=True)):
            out["value"] = REDACTED
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@")
_QUERY_PARAMETER = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s]+)=(?P<value>[^&;#\s]*)")


def redact_url(url: str) -> str:
    """``url`` with its credentials shown as ``[secret]``: the user and password, and query parameters named so.

    ``postgres://app:pw@db/app`` -> ``postgres://[secret]@db/app``;
    ``https://h/x?token=t&page=2`` -> ``https://h/x?token=[secret]&page=2``.
    The whole user part goes: a token is often the user name itself (``https://<token>@github.com``).
    """
    url = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", url)
    if "?" not in url:
        return url
    return _QUERY_PARAMETER.sub(lambda m: f"{m['lead']}{m['name']}={REDACTED}" if m["value"] and
                                is_credential_name(m["name"], variable=True) else m.group(0), url)

