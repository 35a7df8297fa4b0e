"""How much of the internet a set of CIDR ranges admits, taken together.

A limit on each range alone is no limit: ``0.0.0.0/1`` and ``128.0.0.0/1`` are
the whole internet in two halves. So the ranges are merged first
(:func:`ipaddress.collapse_addresses`) and their *public* addresses counted:
every address but the ones no internet host can have (private RFC 1918 space,
RFC 6598 shared space and RFC 4193 unique-local IPv6), which stand for a
company's own network reaching the control plane over a VPN or interconnect.

The policy pack (``policy/policy_gcp.py``, which runs in its own environment
and cannot import this package) counts the same way; tests/test_policy.py holds
the two to the same verdicts on generated ranges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                     "100.64.0.0/10", "fc00::/7"))
"""RFC 1918 private, RFC 6598 shared (carrier-grade NAT) and RFC 4193 unique-local ranges: not on the internet."""
PROD_MAX_PUBLIC_IPV4 = 2**16
"""The most public IPv4 addresses prod's authorized networks may admit together: a /16, far more than an office
or a fleet of CI runners needs, and 1/65,536 of the internet."""
PROD_MAX_PUBLIC_IPV6 = 2**80
"""The IPv6 counterpart: a /48, one site's allocation."""


def merged(networks: Iterable[Network]) -> dict[int, list[Network]]:
    """The ranges per IP version (4, 6), overlaps and neighbours merged."""
    by_version: dict[int, list[Network]] = {}
    for network in networks:
        by_version.setdefault(network.version, []).append(network)
    return {v: list(ipaddress.collapse_addresses(nets)) for v, nets in by_version.items()}  # type: ignore[type-var]


def public_addresses(networks: Iterable[Network]) -> dict[int, int]:
    """Per IP version, how many public addresses the ranges admit together (each address counted once)."""
    out: dict[int, int] = {}
    for version, nets in merged(networks).items():
        private = [p for p in NOT_PUBLIC if p.version == version]
        # CIDR ranges either nest or do not meet: a merged range and a private one share the smaller of the two
        out[version] = sum(n.num_addresses - sum(min(n.num_addresses, p.num_addresses) for p in private
                                                 if n.overlaps(p)) for n in nets)
    return out


def covers_everything(networks: Iterable[Network]) -> bool:
    """Whether the ranges together are every address of an IP version (``0.0.0.0/0`` or ``::/0``)."""
    return any(net.prefixlen == 0 for nets in merged(networks).values() for net in nets)
