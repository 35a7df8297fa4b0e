"""Authorized networks judged by their union: the whole internet in two halves is still the whole internet (issue 22).

The spec refuses ranges that together cover every address in any profile, and
holds prod to a stated maximum of public addresses; the policy pack, which
cannot import the spec, counts the same way (checked here on generated ranges).
"""

from __future__ import annotations

import ipaddress
import sys

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from knative_platform.model.cluster.address_space import PROD_MAX_PUBLIC_IPV4, covers_everything, public_addresses
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.platform import build_platform_spec

sys.path.insert(0, str(ROOT / "policy"))
import policy_gcp  # the pack's own module, as the Pulumi CLI loads it

CLUSTER = {"type": "gke", "project": "acme-prod", "location": "europe-west1", "name": "knative-prod",
           "securityGroup": "gke-security-groups@example.com"}


def problems(profile: str, cidrs: list[str]) -> list[str]:
    networks = [{"cidr": c, "name": f"net-{i}"} for i, c in enumerate(cidrs)]
    cluster = {**CLUSTER, "profile": profile, "authorizedNetworks": networks}
    if profile == "dev":  # dev's profile relaxes Google Groups
        del cluster["securityGroup"]
    try:
        build_platform_spec("test", {"cluster": cluster, "domain": "example.com"})
    except SpecError as error:
        return [str(p) for p in error.problems]
    return []


@pytest.mark.parametrize("profile", ["prod", "dev"])
@pytest.mark.parametrize("cidrs", [["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
                                   ["::/1", "8000::/1"]])
def test_ranges_that_together_are_the_whole_internet_are_refused_in_every_profile(profile, cidrs):
    (problem,) = problems(profile, cidrs)
    assert problem.startswith("cluster.authorizedNetworks: together these ranges are every IPv")
    assert "whole internet" in problem and "DNS endpoint" in problem


def test_prod_admits_at_most_the_stated_number_of_public_addresses():
    (problem,) = problems("prod", ["8.0.0.0/16", "9.0.0.0/16"])
    assert problem == (
        "cluster.authorizedNetworks: together these ranges admit 131,072 public IPv4 addresses; profile prod admits "
        "at most 65,536 (a /16): list only the networks that need the control plane (an office, CI runners), or "
        "reach it through the DNS endpoint with IAM")
    assert problems("prod", ["8.0.0.0/16"]) == []
    assert problems("prod", ["10.0.0.0/8", "172.16.0.0/12", "198.51.100.0/24"]) == []  # private space is not counted
    assert problems("dev", ["8.0.0.0/8"]) == []  # the maximum is prod's


def test_the_count_merges_overlaps_and_skips_private_space():
    nets = [ipaddress.ip_network(c) for c in ("8.0.0.0/16", "8.0.0.0/24", "10.0.0.0/8", "9.255.0.0/16")]
    assert public_addresses(nets) == {4: 2 * 2**16}
    assert covers_everything([ipaddress.ip_network("0.0.0.0/1"), ipaddress.ip_network("128.0.0.0/1")])
    assert PROD_MAX_PUBLIC_IPV4 == policy_gcp.MAX_PUBLIC_IPV4


ranges = st.lists(st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False),
                            st.integers(0, 2**32 - 1), st.integers(0, 32)), max_size=6)


@settings(max_examples=200, derandomize=True, deadline=None, database=None)
@given(ranges)
def test_the_policy_pack_counts_as_the_spec_does(nets):
    assert policy_gcp.public_ipv4_addresses([str(n) for n in nets]) == public_addresses(nets).get(4, 0)
    assert policy_gcp.covers_everything([str(n) for n in nets]) == covers_everything(nets)
