"""The rules of a GKE cluster spec: everything GKE or GCP would refuse minutes into a ``pulumi up``.

:func:`gke_cluster_problems` checks a
:class:`~knative_platform.model.cluster.cluster.GkeClusterSpec` (bad CIDRs,
overlapping ranges, a zone where a region is needed, min nodes above max, an
open ``0.0.0.0/0`` authorized network, a relaxation profile prod refuses) and
names the config path and the fix, one small function per part of the spec.
Pure Python: no Pulumi import.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import fields

from ..core.decode import Decoder, camel
from ..core.errors import Problem, join_path
from ..core.names import dns1035_problem, label_value_problem, qualified_name_problem
from .address_space import PROD_MAX_PUBLIC_IPV4, PROD_MAX_PUBLIC_IPV6, covers_everything, merged, public_addresses
from .cluster import (
    PROD_FORBIDDEN_RELAXATIONS,
    REGION,
    ZONE,
    ClusterProfile,
    ClusterType,
    GkeClusterSpec,
)
from .parts import Network, TaintEffect

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
_GCP_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_KMS_KEY = re.compile(r"^projects/([^/]+)/locations/([^/]+)/keyRings/([^/]+)/cryptoKeys/([^/]+)$")
_KEY_RING = re.compile(r"^[a-zA-Z0-9_-]{1,63}$")
_DNS_ZONE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_SECURITY_GROUP = re.compile(r"^gke-security-groups@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
MAX_CLUSTER_NAME = 24
"""GKE allows 40 characters, but the node service account is ``<name>-nodes`` and account ids stop at 30."""
RESERVED_LABELS = frozenset({"managed-by", "platform", "profile"})
"""Resource labels the component sets itself (see :func:`knative_platform.gcp_args.gke.resource_labels`)."""
MIN_MAINTENANCE_HOURS_PER_32_DAYS = 48
"""GKE refuses a maintenance window with less than 48 h of availability in any 32 days."""


def parse_cidr(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, str | None]:
    """A network from ``text``, or the reason it is not one (with the corrected form when host bits are set)."""
    try:
        return ipaddress.ip_network(text, strict=True), None
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, f"'{text}' is not a CIDR range such as '10.0.0.0/20'"
    return None, f"'{text}' has host bits set; the network is '{loose}'"


def _camel_path(path: str, name: str) -> str:
    return join_path(path, camel(name))


def _gcp_label_problems(labels: Mapping[str, str], path: str) -> list[Problem]:
    problems = []
    for key, value in labels.items():
        if not _GCP_LABEL_KEY.match(key):
            problems.append(Problem(join_path(path, key), "GCP label keys are 1-63 lowercase letters, digits, "
                                                          "'_' or '-', starting with a letter"))
        elif key in RESERVED_LABELS:
            problems.append(Problem(join_path(path, key), f"is set by the platform itself; reserved: "
                                                          f"{', '.join(sorted(RESERVED_LABELS))}"))
        if not _GCP_LABEL_VALUE.match(value):
            problems.append(Problem(join_path(path, key), f"value '{value}' must be at most 63 lowercase "
                                                          "letters, digits, '_' or '-'"))
    return problems


def _network_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    problems: list[Problem] = []
    npath = join_path(path, "network")
    ranges: dict[str, ipaddress.IPv4Network] = {}
    for f in fields(Network):
        text = getattr(spec.network, f.name)
        where = _camel_path(npath, f.name)
        net, why = parse_cidr(text)
        if net is None:
            problems.append(Problem(where, str(why)))
            continue
        if not isinstance(net, ipaddress.IPv4Network):
            problems.append(Problem(where, f"'{text}' is IPv6; the VPC ranges are IPv4"))
            continue
        ranges[where] = net
    master = ranges.get(_camel_path(npath, "master_cidr"))
    if master is not None and master.prefixlen != 28:
        problems.append(Problem(_camel_path(npath, "master_cidr"),
                                f"'{master}' is a /{master.prefixlen}; GKE needs a /28 for the control plane"))
    if master is not None and not master.is_private:
        problems.append(Problem(_camel_path(npath, "master_cidr"),
                                f"'{master}' is not a private range; use an RFC 1918 /28 such as '172.16.0.0/28'"))
    limits = {"subnet_cidr": 29, "pods_cidr": 21, "services_cidr": 27}
    for name, longest in limits.items():
        where = _camel_path(npath, name)
        net = ranges.get(where)
        if net is not None and net.prefixlen > longest:
            problems.append(Problem(where, f"'{net}' is too small for GKE; use a /{longest} or larger"))
    items = list(ranges.items())  # declaration order: a later range is reported against an earlier one
    for i, (where_a, a) in enumerate(items):
        for where_b, b in items[i + 1:]:
            if a.overlaps(b):
                problems.append(Problem(where_b, f"'{b}' overlaps {where_a} ('{a}'); the ranges must not overlap"))
    return problems


def _authorized_network_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(spec.authorized_networks):
        where = join_path(join_path(path, "authorizedNetworks"), i)
        net, why = parse_cidr(entry.cidr)
        if net is None:
            problems.append(Problem(join_path(where, "cidr"), str(why)))
            continue
        if net.prefixlen == 0:
            problems.append(Problem(join_path(where, "cidr"),
                                    f"'{entry.cidr}' opens the control plane to the whole internet; list the "
                                    "networks that need it (CI runners, office) or use the DNS endpoint with IAM"))
        if str(net) in seen:
            problems.append(Problem(join_path(where, "cidr"), f"'{net}' is listed twice (also at {seen[str(net)]})"))
        seen[str(net)] = where
        if not entry.name.strip():
            problems.append(Problem(join_path(where, "name"), "say whose network this is, e.g. 'ci-runners'"))
    return problems + _union_problems(spec, path)


def _union_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    """The ranges judged together (:mod:`.address_space`): never every address; in prod, a stated maximum."""
    nets = [net for net in (parse_cidr(e.cidr)[0] for e in spec.authorized_networks) if net is not None]
    where = join_path(path, "authorizedNetworks")
    fix = ("list only the networks that need the control plane (an office, CI runners), or reach it through the DNS "
           "endpoint with IAM")
    if any(net.prefixlen == 0 for net in nets):
        return []  # said of the range itself
    if covers_everything(nets):
        version = next(v for v, merged_nets in merged(nets).items() if merged_nets[0].prefixlen == 0)
        return [Problem(where, f"together these ranges are every IPv{version} address, which opens the control plane "
                               f"to the whole internet; {fix}")]
    if spec.profile != ClusterProfile.PROD:
        return []
    counts = public_addresses(nets)
    return [Problem(where, f"together these ranges admit {counts[v]:,} public IPv{v} addresses; profile prod admits at "
                           f"most {limit:,} (a /{bits}): {fix}")
            for v, limit, bits in ((4, PROD_MAX_PUBLIC_IPV4, 16), (6, PROD_MAX_PUBLIC_IPV6, 48))
            if counts.get(v, 0) > limit]


def _node_pool_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for pool in spec.node_pools:
        ppath = join_path(join_path(path, "nodePools"), pool.name)

        def add(key: str, message: str, ppath: str = ppath) -> None:
            problems.append(Problem(join_path(ppath, key) if key else ppath, message))

        if pool.name in seen:
            add("", "is declared twice; node pool names must be unique")
        seen.add(pool.name)
        name_problem = dns1035_problem(pool.name, "node pool name")
        if name_problem or len(pool.name) > 40:
            add("", name_problem or f"node pool name '{pool.name}' must be at most 40 characters")
        if not _MACHINE_TYPE.match(pool.machine_type):
            add("machineType", f"'{pool.machine_type}' is not a machine type such as 'e2-standard-4'")
        if pool.disk_size_gb < 10:
            add("diskSizeGb", f"is {pool.disk_size_gb}, GKE needs at least 10")
        if pool.min_nodes < 0:
            add("minNodes", f"is {pool.min_nodes}, must be >= 0")
        if pool.max_nodes < 1 or pool.max_nodes > 1000:
            add("maxNodes", f"is {pool.max_nodes}, must be between 1 and 1000")
        if pool.min_nodes > pool.max_nodes:
            add("minNodes", f"must be <= maxNodes ({pool.max_nodes})")
        if pool.max_surge < 0 or pool.max_unavailable < 0:
            add("maxSurge" if pool.max_surge < 0 else "maxUnavailable", "must be >= 0")
        elif pool.max_surge == 0 and pool.max_unavailable == 0:
            add("maxSurge", "maxSurge and maxUnavailable are both 0, so upgrades could never progress; "
                            "use maxSurge: 1")
        if not pool.auto_upgrade:
            add("autoUpgrade", "GKE requires node auto-upgrade in a release channel (the cluster is always in "
                               "one); remove this key, and use the maintenance window to choose when")
        for key, value in pool.labels.items():
            problem = qualified_name_problem(key, "label key") or label_value_problem(value)
            if problem:
                add(join_path("labels", key), problem)
        for i, taint in enumerate(pool.taints):
            problem = qualified_name_problem(taint.key, "taint key") or label_value_problem(taint.value, "taint value")
            if problem:
                add(join_path("taints", i), problem)
    pools = spec.pools
    if pools and all(any(t.effect != TaintEffect.PREFER_NO_SCHEDULE for t in p.taints) for p in pools):
        problems.append(Problem(join_path(path, "nodePools"),
                                "every pool is tainted, so kube-system, Knative and the gateway have nowhere to "
                                "run; leave at least one pool without NoSchedule/NoExecute taints"))
    return problems


def _maintenance_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    window = spec.maintenance_window
    mpath = join_path(path, "maintenanceWindow")
    problems: list[Problem] = []
    if not _HHMM.match(window.start):
        problems.append(Problem(join_path(mpath, "start"), f"'{window.start}' is not a UTC time such as '03:00'"))
    if not 4 <= window.hours <= 24:
        problems.append(Problem(join_path(mpath, "hours"), f"is {window.hours}, must be between 4 and 24"))
    if not window.days:
        problems.append(Problem(join_path(mpath, "days"), "name at least one day, e.g. [SA, SU]"))
    elif len(set(window.days)) != len(window.days):
        problems.append(Problem(join_path(mpath, "days"), "lists a day twice"))
    elif window.hours >= 4 and 4 * len(window.days) * window.hours < MIN_MAINTENANCE_HOURS_PER_32_DAYS:
        # the worst 32 days hold 4 of each weekday
        problems.append(Problem(mpath, f"{len(window.days)} day(s) x {window.hours} h a week gives less than "
                                       f"{MIN_MAINTENANCE_HOURS_PER_32_DAYS} h in 32 days, which GKE refuses; "
                                       "add days or hours"))
    return problems


def _relaxation_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    problems: list[Problem] = []
    relax = spec.relaxations
    if spec.profile == ClusterProfile.PROD:
        for name in PROD_FORBIDDEN_RELAXATIONS:
            if getattr(relax, name):
                problems.append(Problem(_camel_path(join_path(path, "relax"), name),
                                        "profile prod does not allow this relaxation: prod is regional, private, "
                                        "deletion-protected and blocks images its policy does not admit"))
    if not spec.is_regional and ZONE.match(spec.location) and not relax.zonal_control_plane:
        region = spec.location.rsplit("-", 1)[0]
        hint = ("prod runs a regional control plane" if spec.profile == ClusterProfile.PROD
                else "set relax.zonalControlPlane: true to accept a zonal one")
        problems.append(Problem(join_path(path, "location"),
                                f"'{spec.location}' is a zone, but profile {spec.profile} needs a region: use "
                                f"'{region}' ({hint})"))
    if relax.no_google_groups and spec.security_group:
        problems.append(Problem(join_path(path, "securityGroup"),
                                "is set, but relax.noGoogleGroups says not to use Google Groups; drop one"))
    if not relax.no_google_groups and not spec.security_group:
        problems.append(Problem(join_path(path, "securityGroup"),
                                "is required for Google Groups for RBAC: 'gke-security-groups@<your domain>'; or "
                                "set relax.noGoogleGroups: true and bind RBAC to users"))
    encryption = spec.secrets_encryption
    epath = join_path(path, "secretsEncryption")
    if relax.google_managed_encryption and (encryption.key or encryption.key_ring):
        problems.append(Problem(epath, "names a KMS key or key ring, but relax.googleManagedEncryption turns "
                                       "KMS encryption off; drop one"))
    return problems


def _encryption_problems(spec: GkeClusterSpec, path: str) -> list[Problem]:
    encryption = spec.secrets_encryption
    epath = join_path(path, "secretsEncryption")
    problems: list[Problem] = []
    if encryption.key and encryption.key_ring:
        problems.append(Problem(join_path(epath, "keyRing"), "set either key (an existing key) or keyRing (one the "
                                                             "platform creates), not both"))
    if encryption.key:
        match = _KMS_KEY.match(encryption.key)
        if not match:
            problems.append(Problem(join_path(epath, "key"), f"'{encryption.key}' is not a key name such as "
                                    "'projects/<p>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>'"))
        elif match.group(2) != spec.region:
            problems.append(Problem(join_path(epath, "key"), f"the key is in '{match.group(2)}'; GKE needs it in "
                                                             f"the cluster's region '{spec.region}'"))
    if encryption.key_ring and not _KEY_RING.match(encryption.key_ring):
        problems.append(Problem(join_path(epath, "keyRing"), f"'{encryption.key_ring}' must be 1-63 letters, "
                                                             "digits, '_' or '-'"))
    if not 1 <= encryption.rotation_days <= 36500:
        problems.append(Problem(join_path(epath, "rotationDays"),
                                f"is {encryption.rotation_days}, must be between 1 and 36500"))
    return problems


def gke_cluster_problems(spec: GkeClusterSpec, path: str = "cluster", domain: str | None = None) -> list[Problem]:
    """Everything GKE/GCP would refuse in ``spec``, or that weakens it without a named relaxation.

    ``domain`` is the platform's domain: a Cloud DNS record needs one.
    """
    checker = Decoder()
    checker.typecheck(spec, GkeClusterSpec, path)
    if checker.problems:  # the semantic checks below assume the types are right
        return checker.problems
    problems: list[Problem] = []
    if spec.type != ClusterType.GKE:
        problems.append(Problem(join_path(path, "type"), f"is '{spec.type}', a GkeClusterSpec is type 'gke'"))
    if not _PROJECT.match(spec.project):
        problems.append(Problem(join_path(path, "project"), f"'{spec.project}' is not a GCP project id: 6-30 "
                                                            "lowercase letters, digits or '-', starting with a letter"))
    if not REGION.match(spec.location) and not ZONE.match(spec.location):
        problems.append(Problem(join_path(path, "location"), f"'{spec.location}' is neither a region "
                                                             "('europe-west1') nor a zone ('europe-west1-b')"))
    name_problem = dns1035_problem(spec.name, "cluster name")
    if name_problem or len(spec.name) > MAX_CLUSTER_NAME:
        problems.append(Problem(join_path(path, "name"), name_problem or (
            f"cluster name '{spec.name}' is {len(spec.name)} characters, must be at most {MAX_CLUSTER_NAME} "
            "(the node service account '<name>-nodes' must fit GCP's 30)")))
    if spec.security_group and not _SECURITY_GROUP.match(spec.security_group):
        problems.append(Problem(join_path(path, "securityGroup"), f"'{spec.security_group}' must be "
                                "'gke-security-groups@<your domain>': GKE only reads that group"))
    problems += _relaxation_problems(spec, path)
    problems += _network_problems(spec, path)
    problems += _authorized_network_problems(spec, path)
    problems += _node_pool_problems(spec, path)
    problems += _maintenance_problems(spec, path)
    problems += _encryption_problems(spec, path)
    problems += _gcp_label_problems(spec.labels, join_path(path, "labels"))
    return problems + _dns_problems(spec, join_path(path, "dns"), domain)


def _dns_problems(spec: GkeClusterSpec, dpath: str, domain: str | None) -> list[Problem]:
    if spec.dns is None:
        return []
    problems: list[Problem] = []
    if not _DNS_ZONE.match(spec.dns.zone):
        problems.append(Problem(join_path(dpath, "zone"), f"'{spec.dns.zone}' is not a Cloud DNS managed zone "
                                                          "name (lowercase letters, digits and '-')"))
    if spec.dns.project is not None and not _PROJECT.match(spec.dns.project):
        problems.append(Problem(join_path(dpath, "project"), f"'{spec.dns.project}' is not a GCP project id"))
    if not 1 <= spec.dns.ttl <= 86400:
        problems.append(Problem(join_path(dpath, "ttl"), f"is {spec.dns.ttl}, must be between 1 and 86400"))
    if domain is None:
        problems.append(Problem(dpath, "needs the platform's domain: set knative-platform:domain, whose "
                                       "*.<domain> record this zone gets"))
    return problems
