"""Where a service answers: computed from the platform's domain and Knative's templates.

Knative builds hostnames from ``config-network``'s ``domain-template``
(``{{.Name}}.{{.Namespace}}.{{.Domain}}``) and ``tag-template``
(``{{.Tag}}-{{.Name}}``). Computing them here gives stack outputs and a ``curl``
line before the cluster exists; they match what Knative writes to ``status.url``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..model.platform.hosts import CLUSTER_LOCAL_DOMAIN, host, tag_hosts
from ..model.platform.knative import DEFAULT_DOMAIN_TEMPLATE, DEFAULT_TAG_TEMPLATE
from ..model.service.service import Service, Visibility

__all__ = ["CLUSTER_LOCAL_DOMAIN", "DEFAULT_DOMAIN_TEMPLATE", "DEFAULT_TAG_TEMPLATE", "ServiceUrls", "curl_line",
           "curl_lines", "service_urls"]


@dataclass(frozen=True)
class ServiceUrls:
    """A service's main URL, one URL per traffic tag, and one per custom domain."""

    url: str
    tag_urls: Mapping[str, str] = field(default_factory=dict)
    domain_urls: Mapping[str, str] = field(default_factory=dict)


def service_urls(
    service: Service,
    domain: str,
    *,
    https: bool = False,
    domain_template: str = DEFAULT_DOMAIN_TEMPLATE,
    tag_template: str = DEFAULT_TAG_TEMPLATE,
) -> ServiceUrls:
    """The URLs of ``service`` on a platform serving ``domain`` (cluster-local services use the cluster domain).

    Cluster-local URLs are always ``http``: external-domain TLS does not cover them.
    """
    local = service.visibility is Visibility.CLUSTER_LOCAL
    scheme = "https" if https and not local else "http"
    base = CLUSTER_LOCAL_DOMAIN if local else domain
    url = f"{scheme}://{host(service.name, service.namespace, base, domain_template)}"
    tagged = tag_hosts(service, base, domain_template, tag_template)
    tags = {tag: f"{scheme}://{tag_host}" for tag, tag_host in tagged.items()}
    domains = {d: f"{'https' if https else 'http'}://{d}" for d in service.domains}
    return ServiceUrls(url=url, tag_urls=tags, domain_urls=domains)


def curl_line(service: Service, domain: str, address: str, https: bool, domain_template: str,
              tag_template: str) -> str:
    """The command that reaches ``service`` through the gateway before DNS exists: the recipe's curl line.

    Over HTTPS the Host header alone would not select the certificate (SNI), so
    the name is pinned to the gateway's address with ``--resolve`` instead.
    """
    url = service_urls(service, domain, https=https, domain_template=domain_template, tag_template=tag_template).url
    host = url.split("://", 1)[1]
    if https:
        return f"curl --resolve {host}:443:{address} {url}"
    return f'curl -H "Host: {host}" http://{address}'


def curl_lines(services: Sequence[Service], domain: str, address: str, https: bool, domain_template: str,
               tag_template: str) -> dict[str, str]:
    """The curl line of each public service, by name (the stack output ``curl``)."""
    return {s.name: curl_line(s, domain, address, https, domain_template, tag_template)
            for s in sorted(services, key=lambda s: s.name) if s.visibility is Visibility.PUBLIC}
