"""What to check, read from a platform stack's outputs (``pulumi stack output --json`` or a file).

The outputs are the ones ``Platform`` exports (components/platform.py): ``gatewayAddress``,
``domain``, ``domainTemplate``, ``serviceUrls``, ``tagUrls``, ``domainUrls``, ``traffic`` (each
service's Knative ``spec.traffic``), ``revisions`` and ``events`` (:mod:`.events`). Only
``serviceUrls`` and a gateway address are required; a missing optional key skips the checks that
need it, with the reason.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..model.core.errors import shorten
from ..model.platform.hosts import CLUSTER_LOCAL_DOMAIN, host
from ..offline.secrets import redact_url

__all__ = ["InputError", "Plan", "Target", "TrafficEntry", "Url", "load_outputs", "plan"]


class InputError(Exception):
    """Bad input or usage: exit status 2, the message says the fix."""


@dataclass(frozen=True)
class Url:
    """One URL to reach through the gateway: a service's main URL, a tag URL or a custom domain."""

    service: str
    kind: str  # "url", "tag <name>" or "domain"
    url: str
    scheme: str
    host: str
    path: str

    @property
    def https(self) -> bool:
        """Whether the gateway must present a certificate for ``host``."""
        return self.scheme == "https"

    @property
    def shown(self) -> str:
        """The URL as a line prints it: credentials in it (``user:password@``, ``?token=``) as ``[secret]``."""
        return redact_url(self.url)


MAX_URL = 2048
_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}"
                       r"[A-Za-z0-9])?\.?$|^[0-9A-Fa-f:.]+$")
"""A DNS name (or an IPv4/IPv6 address): what may go into a ``Host`` header."""
SHOWN = 60


def shown(value: Any) -> str:
    """An output value for a message: its ``repr``, cut at :data:`SHOWN` characters with its length."""
    text = repr(value) if not isinstance(value, str) or len(value) <= 10_000 else repr(value[:SHOWN + 1])
    if len(text) <= SHOWN:
        return text
    size = len(value) if isinstance(value, (str, list, dict)) else len(text)
    return f"{text[:SHOWN]}… ({size:,} {'characters' if isinstance(value, str) else 'long'})"


def _name(value: Any, path: str) -> str:
    """A name from the outputs (a service, tag, revision, domain) that lines print: 1-253 printable characters."""
    text = str(value)
    if not text or len(text) > 253 or not text.isprintable():
        raise InputError(f"{path}: {shown(text)} is not a name (1-253 printable characters); give the platform "
                         "stack's `pulumi stack output --json`")
    return text


def _key(key: Any) -> str:
    """A key of the outputs (a service or tag name) for a config-style path: shortened, escaped when odd."""
    text = str(key)
    return text if len(text) <= SHOWN and text.isprintable() else shown(text)


@dataclass(frozen=True)
class TrafficEntry:
    """One ``spec.traffic`` entry: its target (a revision name, or the latest revision), percent, tag."""

    target: str
    percent: int
    tag: str | None = None


@dataclass(frozen=True)
class Target:
    """A host that must *not* answer 2xx from outside: a cluster-local service's host, or its public twin."""

    service: str
    host: str
    why: str


@dataclass(frozen=True)
class Plan:
    """Everything the smoke run checks, in order."""

    gateway: str
    public: list[Url] = field(default_factory=list)
    cluster_local: list[Target] = field(default_factory=list)
    splits: dict[str, list[TrafficEntry]] = field(default_factory=dict)
    skips: list[tuple[str, str]] = field(default_factory=list)
    """(check, reason) for checks the outputs do not allow: printed as ``skip`` lines."""
    events: list[Any] = field(default_factory=list)
    """(d) the schedules whose delivery is visible from outside (:func:`.events.add_event_checks`)."""


def load_outputs(*, stack: str | None, outputs_file: str | None, project: str | None,
                 timeout: float = 120.0) -> dict[str, Any]:
    """The stack's outputs: from ``outputs_file`` (JSON) or from ``pulumi stack output --json`` (within ``timeout``)."""
    if outputs_file is not None:
        try:
            text = Path(outputs_file).read_text(encoding="utf-8")
        except OSError as e:
            raise InputError(f"--outputs {outputs_file}: {e.strerror}; give a readable JSON file") from None
        source = f"--outputs {outputs_file}"
    else:
        # values joined to their flags: a stack or directory that starts with '-' is never read as a flag
        command = ["pulumi", "stack", "output", "--json", f"--stack={stack}"]
        if project is not None:
            command += [f"--cwd={project}"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
        except FileNotFoundError:
            raise InputError("the Pulumi CLI is not on PATH: install it, or pass --outputs FILE "
                             "(the JSON of `pulumi stack output --json`)") from None
        except subprocess.TimeoutExpired:
            raise InputError(f"`{shorten(' '.join(command), 200)}` took over {timeout:g} s: check `pulumi login`, "
                             "or pass --outputs FILE") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            said = shown(detail[-1]) if detail else "no message"
            raise InputError(f"`{shorten(' '.join(command), 200)}` failed: {said}; "
                             "select the right backend (`pulumi login`) and project (--project DIR)")
        text, source = result.stdout, f"stack {stack}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: not JSON ({e.msg} at line {e.lineno}); give `pulumi stack output --json`"
                         ) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object of outputs, got {type(data).__name__}")
    return data


def _mapping(outputs: Mapping[str, Any], key: str, skips: list[tuple[str, str]], check: str) -> dict[str, Any]:
    value = outputs.get(key)
    if value is None:
        skips.append((check, f"no `{key}` output"))
        return {}
    if not isinstance(value, dict):
        raise InputError(f"outputs.{key}: expected an object, got {type(value).__name__}; "
                         "give the platform stack's `pulumi stack output --json`")
    return value


def _url(service: str, kind: str, url: Any, path: str) -> Url:
    if not isinstance(url, str):
        raise InputError(f"{path}: expected a URL string, got {shown(url)}")
    if len(url) > MAX_URL or not url.isascii() or not url.isprintable() or any(c.isspace() for c in url):
        raise InputError(f"{path}: {shown(redact_url(url))} is not a URL the smoke check sends: at most {MAX_URL} "
                         "printable ASCII characters, no spaces")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise InputError(f"{path}: {shown(redact_url(url))} has a port that is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not _HOSTNAME.match(parts.hostname):
        raise InputError(f"{path}: {shown(redact_url(url))} is not an http(s) URL with a host name")
    return Url(service=service, kind=kind, url=url, scheme=parts.scheme, host=parts.hostname,
               path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def _is_cluster_local(hostname: str) -> bool:
    return hostname.endswith("." + CLUSTER_LOCAL_DOMAIN)


def _traffic(service: str, entries: Any, revisions: Mapping[str, Any]) -> list[TrafficEntry]:
    if not isinstance(entries, list):
        raise InputError(f"outputs.traffic.{_key(service)}: expected a list of Knative traffic entries")
    latest = revisions.get(service)
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"outputs.traffic.{_key(service)}[{i}]: expected an object like Knative's spec.traffic")
        percent = entry.get("percent") or 0
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise InputError(f"outputs.traffic.{_key(service)}[{i}].percent: expected an integer from 0 to 100, got "
                             f"{shown(percent)}")
        if entry.get("revisionName"):
            target = _name(entry["revisionName"], f"outputs.traffic.{_key(service)}[{i}].revisionName")
        elif entry.get("latestRevision"):
            # `revisions` names the latest revision when the platform pins its name; then an entry on the
            # latest revision and one on that name are one target, as they are for Knative.
            target = (_name(latest, f"outputs.revisions.{_key(service)}") if isinstance(latest, str) and latest
                      else "the latest revision")
        else:
            raise InputError(f"outputs.traffic.{_key(service)}[{i}]: neither revisionName nor latestRevision")
        tag = _name(entry["tag"], f"outputs.traffic.{_key(service)}[{i}].tag") if entry.get("tag") else None
        out.append(TrafficEntry(target=target, percent=percent, tag=tag))
    return out


def plan(outputs: Mapping[str, Any], *, gateway_address: str | None = None) -> Plan:
    """The checks the outputs call for; :class:`InputError` when they cannot be run at all."""
    urls = outputs.get("serviceUrls")
    if not isinstance(urls, dict):
        raise InputError("the outputs have no `serviceUrls`: give the platform stack (`--stack NAME`) or its "
                         "`pulumi stack output --json` (`--outputs FILE`), not an app-only stack")
    gateway = gateway_address or outputs.get("gatewayAddress")
    if not gateway:
        raise InputError("the outputs have no `gatewayAddress` (the platform did not know the gateway's address): "
                         "pass --gateway-address ADDRESS, e.g. the external IP of the gateway's Service "
                         "(kubectl get service -A | grep LoadBalancer), or 127.0.0.1 on kind")
    address = str(gateway)
    if len(address) > 253 or not _HOSTNAME.match(address):
        raise InputError(f"{'--gateway-address' if gateway_address else 'outputs.gatewayAddress'}: {shown(address)} "
                         "is not a host name or IP address")
    result = Plan(gateway=address)
    skips = result.skips
    tags = _mapping(outputs, "tagUrls", skips, "tag URLs")
    domains = _mapping(outputs, "domainUrls", skips, "custom-domain URLs")
    traffic = _mapping(outputs, "traffic", skips, "traffic splits")
    revisions: dict[str, Any] = outputs["revisions"] if isinstance(outputs.get("revisions"), dict) else {}
    template, domain = outputs.get("domainTemplate"), outputs.get("domain")
    for service, url in sorted(urls.items()):
        _name(service, f"outputs.serviceUrls.{_key(service)}")
        if url is None:
            skips.append((f"reach {service}", "its URL is null in the outputs (not deployed yet?)"))
            continue
        main = _url(service, "url", url, f"outputs.serviceUrls.{_key(service)}")
        service_tags = tags.get(service) or {}
        if not isinstance(service_tags, dict):
            raise InputError(f"outputs.tagUrls.{_key(service)}: expected an object {{tag: url}}")
        tagged = [_url(service, f"tag {_name(tag, f'outputs.tagUrls.{_key(service)}.{_key(tag)}')}", u,
                       f"outputs.tagUrls.{_key(service)}.{_key(tag)}")
                  for tag, u in sorted(service_tags.items())]
        if _is_cluster_local(main.host):
            result.cluster_local.extend(_local_targets(service, main.host, tagged, template, domain, skips))
            continue
        result.public.append(main)
        result.public.extend(tagged)
        service_domains = domains.get(service) or {}
        if not isinstance(service_domains, dict):
            raise InputError(f"outputs.domainUrls.{_key(service)}: expected an object {{domain: url}}")
        result.public.extend(_url(service, "domain", u, f"outputs.domainUrls.{_key(service)}.{_key(d)}")
                             for d, u in sorted(service_domains.items()))
        if service in traffic:
            entries = _traffic(service, traffic[service], revisions)
            # More than one target: a split, or a blue-green at 100/0 (the live colour must get it all).
            if len({e.target for e in entries}) > 1:
                result.splits[service] = entries
    return result


def _local_targets(service: str, local_host: str, tagged: list[Url], template: Any, domain: Any,
                   skips: list[tuple[str, str]]) -> list[Target]:
    """A cluster-local service's hosts: its ``.svc.cluster.local`` ones and the public one it would have."""
    namespace = local_host.removesuffix("." + CLUSTER_LOCAL_DOMAIN).rsplit(".", 1)[-1]
    targets = [Target(service, local_host, "its cluster-local host")]
    targets += [Target(service, t.host, f"its cluster-local {t.kind} host") for t in tagged
                if _is_cluster_local(t.host)]
    if isinstance(template, str) and isinstance(domain, str) and domain:
        public = host(service, namespace, domain, template)
        targets.append(Target(service, public, "the public host domainTemplate would give it"))
    else:
        skips.append((f"unreachable {service} on its public host", "no `domainTemplate` or `domain` output"))
    return targets
