"""The parts of a GKE cluster's spec: its network, node pools, maintenance window, secrets encryption and DNS.

:class:`~knative_platform.model.cluster.cluster.GkeClusterSpec` holds one of
each; the closed sets only a part uses (disk types, taint effects, weekdays)
live here with it. Every config field carries an attribute docstring, the
source of docs/cluster.md's key table (:mod:`knative_platform.model.key_table`)
and of the stack-file schema's descriptions. Pure Python: no Pulumi import.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.decode import INVALID, Decoder, describe
from ..core.errors import join_path

# -- closed sets --------------------------------------------------------------------------------


class DiskType(enum.StrEnum):
    """Boot disk types GKE node pools accept."""

    PD_STANDARD = "pd-standard"
    PD_BALANCED = "pd-balanced"
    PD_SSD = "pd-ssd"
    HYPERDISK_BALANCED = "hyperdisk-balanced"


class TaintEffect(enum.StrEnum):
    """Kubernetes taint effects, spelled as ``kubectl taint`` spells them."""

    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class Weekday(enum.StrEnum):
    """Days of the week as RFC 5545 (the maintenance window's RRULE) spells them."""

    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"


# -- the parts ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Network:
    """The VPC's address plan: the nodes' subnet, its two secondary ranges (VPC-native) and the control plane's.

    ``master_cidr`` is the /28 GKE peers the control plane into; the firewall
    rule that lets the control plane call admission webhooks on the nodes
    (Knative's listens on 8443) uses it as its source.
    """

    subnet_cidr: str = "10.10.0.0/20"
    """The nodes' subnet (an IPv4 CIDR)."""
    pods_cidr: str = "10.16.0.0/14"
    """The pods' secondary range, ``pods``."""
    services_cidr: str = "10.20.0.0/20"
    """The Services' secondary range, ``services``."""
    master_cidr: str = "172.16.0.0/28"
    """The control plane's /28, and the source of the webhook firewall rule. All four ranges must be IPv4 and
    must not overlap."""


@dataclass(frozen=True, kw_only=True)
class AuthorizedNetwork:
    """A CIDR allowed to reach the control plane's IP endpoints, and a name saying whose it is."""

    cidr: str
    """The range (``0.0.0.0/0`` and ``::/0`` are refused: use the DNS endpoint with IAM)."""
    name: str
    """Whose range it is, shown in the console."""


@dataclass(frozen=True, kw_only=True)
class Taint:
    """A node taint: pods without a matching toleration stay off the pool."""

    key: str
    """A Kubernetes qualified name (``[prefix/]name``)."""
    value: str = ""
    """The taint's value, a label value."""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE
    """What the taint does to pods that do not tolerate it."""


@dataclass(frozen=True, kw_only=True)
class NodePool:
    """One node pool. Sizes are per zone, as GKE counts them (a regional pool spans three zones).

    Every pool runs COS_CONTAINERD with the GKE metadata server, secure boot and
    integrity monitoring, as the cluster's least-privilege node service account;
    none of that is configurable because nothing in the platform needs it off.
    """

    name: str = field(metadata={"from_config": False})
    machine_type: str = "e2-standard-4"
    """The Compute Engine machine type of the pool's nodes."""
    disk_size_gb: int = 100
    """The boot disk's size in GB, at least 10."""
    disk_type: DiskType = DiskType.PD_BALANCED
    """The boot disk's type."""
    min_nodes: int = 1
    """The autoscaler's lower bound, per zone; at most ``maxNodes``."""
    max_nodes: int = 3
    """The autoscaler's upper bound, per zone."""
    spot: bool | None = None
    """Spot VMs for this pool; unset follows the cluster's ``relax.spotNodes``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels on the pool's nodes."""
    taints: tuple[Taint, ...] = ()
    """Taints on the pool's nodes; at least one pool must stay free of NoSchedule/NoExecute taints for the
    platform's own pods."""
    auto_repair: bool = True
    """GKE replaces nodes that fail health checks."""
    auto_upgrade: bool = True
    """Nodes follow the control plane's version; a release channel refuses it off."""
    max_surge: int = 1
    """Extra nodes a surge upgrade may add at once; not 0 together with ``maxUnavailable``."""
    max_unavailable: int = 0
    """Nodes a surge upgrade may take down at once."""




@dataclass(frozen=True, kw_only=True)
class MaintenanceWindow:
    """When GKE may upgrade and repair automatically: ``start`` (UTC, ``HH:MM``) for ``hours`` on ``days``."""

    start: str = "03:00"
    """When the window opens, ``HH:MM`` UTC."""
    hours: int = 4
    """How long it stays open, 4 to 24 hours; GKE needs at least 48 hours in any 32 days."""
    days: tuple[Weekday, ...] = tuple(Weekday)
    """The days it opens on; every day by default."""


@dataclass(frozen=True, kw_only=True)
class SecretsEncryption:
    """Application-layer encryption of Kubernetes Secrets with a Cloud KMS key (CIS GKE 5.3.1).

    By default the component creates a key ring (``key_ring``, default
    ``<cluster name>-gke``) and a key ``secrets`` in the cluster's region,
    rotated every ``rotation_days``, and grants GKE's service agent use of it.
    Set ``key`` to the full resource name of an existing key instead; then grant
    ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on it to
    ``service-<project number>@container-engine-robot.iam.gserviceaccount.com`` yourself.
    """

    key: str | None = None
    """An existing Cloud KMS key in the cluster's region (its full resource name) instead of a created one."""
    key_ring: str | None = None
    """The key ring the component creates, with the key ``secrets``; unset: ``<cluster name>-gke``."""
    rotation_days: int = 90
    """The created key's rotation period in days."""


@dataclass(frozen=True, kw_only=True)
class CloudDns:
    """A Cloud DNS managed zone that gets ``*.<domain>`` pointing at the platform gateway's address."""

    zone: str
    """The Cloud DNS managed zone's name; needs ``knative-platform:domain``."""
    project: str | None = None
    """The zone's project, when it is not the cluster's."""
    ttl: int = 300
    """The record's TTL in seconds."""


def decode_node_pools(raw: Any, path: str, decoder: Decoder) -> Any:
    """``nodePools`` maps a pool's name to its settings, as GKE names pools."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map from node pool name to its settings, got {describe(raw)}")
    pools = [decoder.decode_dataclass(NodePool, spec, join_path(path, str(name)), name=str(name))
             for name, spec in raw.items()]
    return INVALID if any(p is INVALID for p in pools) else tuple(pools)
