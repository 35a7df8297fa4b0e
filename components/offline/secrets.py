"""Which values are credentials, and their redaction: one rule for the render, the diff, its reports and smoke.

Pulumi secrets are redacted where they are read (:mod:`knative_platform.offline.engine`,
:mod:`knative_platform.offline.stackfile`) and read :data:`REDACTED`. This module is
the second line, for credentials written in plain text (in a stack file, or a
render edited by hand): they read :data:`PLAIN_TEXT`, so a review can tell the
author to make them Pulumi secrets. A value is a credential

- by its *name*: a key, an environment variable or a command-line flag named
  like one (``DB_PASSWORD``, ``githubToken``, ``GITHUB_PAT``, ``PGPASSWORD``,
  ``SENTRY_DSN``, ``SLACK_WEBHOOK_URL``, ``Authorization``, ``--token``). Names are split into
  words (``_``, ``-``, ``.``, ``:`` and camelCase), so ``gcp:accessToken`` reads
  ``gcp access token``;
- by its *shape*, wherever it is: the user and password of a URL
  (``postgres://app:pw@db``), a PEM private key, ``Bearer …``/``Basic …``, a
  JSON Web Token, the well-known prefixes of GitHub, GitLab, Slack, Google and
  AWS tokens, ``--password=…`` in a command line, ``?token=…`` in a URL. Only
  the credential is replaced: ``postgres://[plain-text secret]@db/app``.

It imports nothing from Pulumi, so a diff runs wherever the renders are.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[secret]"
"""What a Pulumi secret reads as in a render (the one definition; the engine and the stack reader import it)."""
PLAIN_TEXT = "[plain-text secret]"
"""What a credential written in plain text reads as: redacted by its name or shape, and worth a review finding."""
_FINGERPRINT = re.compile(r"^\[secret [0-9a-f]{12}\]$")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
CREDENTIAL_WORDS = frozenset({"password", "passwd", "passphrase", "token", "secret", "credential", "credentials",
                              "kubeconfig", "apikey", "privatekey", "accesskey", "secretkey", "pat", "jwt", "dsn",
                              "pwd"})
"""A name with one of these words holds a credential (``DB_PASSWORD``, ``githubToken``, ``GITHUB_PAT``, ``JWT``)."""
CREDENTIAL_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "pwd")
"""A word ending so is a credential word glued to another (``PGPASSWORD``, ``MYSQL_PWD``, ``APITOKEN``)."""
CREDENTIAL_PAIRS = frozenset({("access", "key"), ("private", "key"), ("api", "key"), ("secret", "key"),
                              ("client", "key"), ("signing", "key"), ("encryption", "key"), ("account", "key"),
                              ("auth", "key"), ("master", "key"), ("session", "key"), ("auth", "header"),
                              ("webhook", "url"), ("webhook", "uri")})
"""Two words in a row that name a credential (``AWS_ACCESS_KEY_ID``, ``privateKey``, ``SLACK_WEBHOOK_URL``:
a webhook's URL is its credential)."""
REFERENCE_WORDS = frozenset({"name", "names", "ref", "refs", "namespace", "file", "path", "url", "uri", "endpoint",
                             "type", "kind", "ttl", "audience", "expiry", "expiration", "env", "mode", "template",
                             "version", "enabled", "provider", "length", "size", "selector", "label", "labels"})
"""A last word that makes the name a *reference to* or a property of a credential, not the credential itself
(``secretName``, ``secretKeyRef``, ``TOKEN_URL``, ``passwordFile``): such values are kept, so a review shows them."""


def words(name: str) -> list[str]:
    """``AWS_SECRET_ACCESS_KEY`` -> aws secret access key; ``gcp:accessToken`` -> gcp access token."""
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORDS.findall(part)]


@functools.lru_cache(maxsize=65_536)
def is_credential_name(name: str, *, variable: bool = False) -> bool:
    """Whether a key (or, with ``variable``, an environment variable or flag) named ``name`` holds a credential.

    A key named just ``secret`` names a Secret (``secretEnv: {X: {secret: db, key: password}}``), one named
    just ``pwd`` a directory; a variable named ``SECRET`` holds a secret.
    """
    found = words(name)
    if not found or found in (["pwd"], ["secret"] * (not variable)):
        return False
    if found == ["authorization"] or tuple(found[-2:]) in CREDENTIAL_PAIRS:
        return True  # an HTTP Authorization header's value; a webhook's URL
    if found[-1] in REFERENCE_WORDS:
        return False
    return ("".join(found) in CREDENTIAL_WORDS or any(w in CREDENTIAL_WORDS for w in found)
            or any(w.endswith(CREDENTIAL_ENDINGS) for w in found)
            or any(pair in CREDENTIAL_PAIRS for pair in itertools.pairwise(found)))


def is_redacted(value: Any) -> bool:
    """``[secret]``, a secret's fingerprint ``[secret 1a2b3c4d5e6f]``, or ``[plain-text secret]``."""
    return isinstance(value, str) and (value in (REDACTED, PLAIN_TEXT) or bool(_FINGERPRINT.match(value)))


def is_secret(value: Any) -> bool:
    """A Pulumi secret: ``[secret]`` or its fingerprint (not a plain-text credential redacted here)."""
    return isinstance(value, str) and (value == REDACTED or bool(_FINGERPRINT.match(value)))


def holds_plain_text(value: Any) -> bool:
    """Whether ``value`` (a leaf) is or contains a plain-text credential this module redacted."""
    return isinstance(value, str) and PLAIN_TEXT in value


_TOKEN = r"[A-Za-z0-9._~+/=-]"
_SHAPES = re.compile(
    r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*))"
    r"|(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@"
    rf"|(?P<auth>\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC)\s+){_TOKEN}{{8,}}"
    r"|\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
    r"|\b(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-|ya29\.|AKIA|ASIA|sk_live_|rk_live_)[A-Za-z0-9_.-]{10,}"
    r"|(?P<flag>(?<![\w-])-{1,2}(?P<flagname>[A-Za-z][A-Za-z0-9_.-]*)=)"
    r"(?P<flagvalue>(?:(?:[Bb]earer|[Bb]asic)\s+)?[^\s&]+)"
    r"|(?P<lead>[?&;])(?P<param>[^=&;#\s/]+)=(?P<paramvalue>[^&;#\s]+)",
    re.DOTALL,
)
"""Every shape of a credential this module knows, in one pass over a string."""
_FLAG = re.compile(r"^-{1,2}([A-Za-z][A-Za-z0-9_.-]*)$")


def _shape(match: re.Match[str]) -> str:
    if match["scheme"]:
        return f"{match['scheme']}{PLAIN_TEXT}@"
    if match["auth"]:
        return f"{match['auth']}{PLAIN_TEXT}"
    if match["flag"]:
        named = is_credential_name(match["flagname"], variable=True)
        return f"{match['flag']}{PLAIN_TEXT}" if named else f"{match['flag']}{redact_text(match['flagvalue'])}"
    if match["lead"]:
        named = is_credential_name(match["param"], variable=True)
        return f"{match['lead']}{match['param']}={PLAIN_TEXT}" if named else match.group(0)
    return PLAIN_TEXT


def redact_text(text: str) -> str:
    """``text`` with every credential of a known shape replaced by :data:`PLAIN_TEXT` (the rest kept)."""
    return _SHAPES.sub(_shape, text) if _SHAPES.search(text) else text


def redact_url(url: str) -> str:
    """``url`` with its credentials redacted: ``postgres://[plain-text secret]@db/app?token=[plain-text secret]``.

    The whole user part goes: a token is often the user name itself (``https://<token>@github.com``).
    """
    return redact_text(url)


def _redact_list(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for i, item in enumerate(items):
        flag = _FLAG.match(items[i - 1]) if i and isinstance(items[i - 1], str) else None
        if flag and isinstance(item, str) and not item.startswith("-") and not is_redacted(item) and \
                is_credential_name(flag.group(1), variable=True):
            out.append(PLAIN_TEXT)  # ["--token", "<the token>"]
        else:
            out.append(redact(item))
    return out


def redact(value: Any, kind: str | None = None) -> Any:
    """``value`` with every credential replaced: a Pulumi secret stays ``[secret]``, plain text is :data:`PLAIN_TEXT`.

    Redacted: the value of any key named like a credential (``kubeconfig``,
    ``password``, ``gcp:accessToken`` ...), the ``value`` of an environment
    variable whose name looks like a credential (``DB_PASSWORD``), the item
    after a credential flag (``["--token", "…"]``), every credential of a
    known shape in any string (:func:`redact_text`), and a Kubernetes Secret's
    ``data`` and ``stringData`` (as ``[secret]``: a Secret is where credentials belong).
    A secret's fingerprint is kept: it is no value, and it shows a rotation.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if kind == "Secret" and key in ("data", "stringData") and isinstance(item, Mapping):
                out[key] = dict.fromkeys(item, REDACTED)
            elif (is_credential_name(str(key)) and not isinstance(item, (Mapping, list)) and item is not None
                  and not is_redacted(item)):
                out[key] = PLAIN_TEXT
            else:
                out[key] = redact(item)
        name = value.get("name")
        if (isinstance(name, str) and "value" in out and out["value"] is not None and not is_redacted(out["value"])
                and is_credential_name(name, variable=True)):
            out["value"] = PLAIN_TEXT
        return out
    if isinstance(value, list):
        return _redact_list(value)
    if isinstance(value, str):
        return redact_text(value)
    return value
