"""The GKE cluster as one typed value per environment: secure by default, every relaxation named.

``cluster: {type: gke, ...}`` in stack config (or :class:`GkeClusterSpec` in
Python) describes the cluster the platform creates: project and location, the
VPC ranges, node pools, maintenance window, Binary Authorization, secrets
encryption, Google Groups for RBAC and who may reach the control plane.

Hardened is the default. A ``profile`` (dev, staging, prod) picks which
:class:`Relaxations` are in force unless the stack lists its own under
``relax``; each relaxation is a named flag whose docstring says what it gives up
and why an environment may accept that. Prod refuses the relaxations that would
make it zonal, publicly reachable or deletable by accident.

:func:`gke_cluster_problems` checks everything GKE or GCP would refuse minutes
into a ``pulumi up`` (bad CIDRs, overlapping ranges, a zone where a region is
needed, min nodes above max, an open ``0.0.0.0/0`` authorized network) and
names the config path and the fix. Pure Python: no Pulumi import.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..core.decode import INVALID, Decoder, camel, describe
from ..core.errors import Problem, join_path
from ..core.names import dns1035_problem
from .address_space import PROD_MAX_PUBLIC_IPV4, PROD_MAX_PUBLIC_IPV6, covers_everything, merged, public_addresses

# -- closed sets --------------------------------------------------------------------------------


class ClusterType(enum.StrEnum):
    """Where Knative runs: an existing cluster reached through a kubeconfig, or a GKE cluster we create."""

    EXISTING = "existing"
    GKE = "gke"


class ClusterProfile(enum.StrEnum):
    """Which defaults an environment starts from: see :data:`PROFILE_RELAXATIONS` and :data:`PROFILE_NODE_POOLS`."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class ReleaseChannel(enum.StrEnum):
    """GKE release channels. GKE picks and upgrades the Kubernetes version; the platform pins none."""

    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"


class BinaryAuthorization(enum.StrEnum):
    """Binary Authorization evaluation modes, spelled as GKE spells them.

    ``PROJECT_SINGLETON_POLICY_ENFORCE`` (the default) checks every pod against
    the project's policy, which the platform writes: deny by default, admit the
    platform's own images, the stack's service images and ``imageRegistries``
    (:mod:`knative_platform.model.cluster.binauthz`). ``POLICY_BINDINGS`` uses
    continuous-validation platform policies instead and ``DISABLED`` checks
    nothing: with either, the platform writes no policy and nothing is enforced
    at admission, so profile prod refuses both.
    """

    DISABLED = "DISABLED"
    PROJECT_SINGLETON_POLICY_ENFORCE = "PROJECT_SINGLETON_POLICY_ENFORCE"
    POLICY_BINDINGS = "POLICY_BINDINGS"
    POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE = "POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE"


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


# -- the relaxations ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Relaxations:
    """Every way a cluster may be weaker than the hardened baseline; all off means fully hardened.

    Each flag names what it gives up, and its docstring says why an environment
    may accept it. docs/cluster.md ("Profiles and relaxations") maps each to the GKE checklist item it makes fail.
    """

    spot_nodes: bool = False
    """Node pools run on Spot VMs unless a pool says otherwise: 60-91% cheaper, but GCP may reclaim a node
    with 30 s notice. Fine where a restarted pod is only an annoyance (dev, staging)."""

    zonal_control_plane: bool = False
    """Allow a zone as ``location``: one control-plane replica and nodes in one zone, so control-plane
    upgrades and zone outages take the API down. GKE's free tier pays the management fee of one zonal
    cluster per billing account, which is what makes a dev cluster cheap."""

    public_endpoint: bool = False
    """Keep the control plane's public IP endpoint (still closed to every address not in
    ``authorizedNetworks``). Lets developers reach dev with tools that cannot use the DNS endpoint."""

    no_deletion_protection: bool = False
    """Turn off GKE deletion protection and Pulumi ``protect`` on the cluster, so ``pulumi destroy`` tears
    the environment down in one step. For environments rebuilt at will."""

    google_managed_encryption: bool = False
    """Encrypt Kubernetes Secrets in etcd with Google-managed keys only, with no Cloud KMS key of our own.
    KMS key rings can never be deleted and a destroyed key's name cannot be reused, which clutters
    projects whose clusters are torn down and rebuilt often (dev)."""

    no_google_groups: bool = False
    """Do not use Google Groups for RBAC: it needs a Google Workspace or Cloud Identity group named
    ``gke-security-groups@<your domain>``, which a dev project may not have. RBAC then binds users."""

    binary_authorization_dry_run: bool = False
    """Binary Authorization logs the pods its policy would deny (``DRYRUN_AUDIT_LOG_ONLY``, in Cloud Audit Logs)
    instead of blocking them. The policy is the one prod enforces, so the log shows what prod would refuse,
    while a developer can still run an image from a registry the stack does not name yet."""


PROFILE_RELAXATIONS: Mapping[ClusterProfile, Relaxations] = {
    # dev is cheap and disposable: one zone, Spot nodes, tear down in one step, no KMS key rings left
    # behind, no dependency on a Workspace group. It stays private-node, Workload-Identity, shielded.
    ClusterProfile.DEV: Relaxations(
        spot_nodes=True, zonal_control_plane=True, public_endpoint=True, no_deletion_protection=True,
        google_managed_encryption=True, no_google_groups=True, binary_authorization_dry_run=True,
    ),
    # staging runs prod's security settings on cheaper capacity: Spot nodes in one zone, and prod's image
    # policy in dry run, so its audit log shows what prod would refuse before a release reaches prod.
    ClusterProfile.STAGING: Relaxations(spot_nodes=True, zonal_control_plane=True, binary_authorization_dry_run=True),
    # prod relaxes nothing.
    ClusterProfile.PROD: Relaxations(),
}
"""The relaxations each profile starts from when the stack does not list its own under ``relax``."""

PROD_FORBIDDEN_RELAXATIONS = ("zonal_control_plane", "public_endpoint", "no_deletion_protection",
                              "binary_authorization_dry_run")
"""What prod never accepts: prod is regional, private, deletion-protected and blocks images it does not admit."""


# -- the parts ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Network:
    """The VPC's address plan: the nodes' subnet, its two secondary ranges (VPC-native) and the control plane's.

    ``master_cidr`` is the /28 GKE peers the control plane into; the firewall
    rule that lets the control plane call admission webhooks on the nodes
    (Knative's listens on 8443) uses it as its source.
    """

    subnet_cidr: str = "10.10.0.0/20"
    pods_cidr: str = "10.16.0.0/14"
    services_cidr: str = "10.20.0.0/20"
    master_cidr: str = "172.16.0.0/28"


@dataclass(frozen=True, kw_only=True)
class AuthorizedNetwork:
    """A CIDR allowed to reach the control plane's IP endpoints, and a name saying whose it is."""

    cidr: str
    name: str


@dataclass(frozen=True, kw_only=True)
class Taint:
    """A node taint: pods without a matching toleration stay off the pool."""

    key: str
    value: str = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE


@dataclass(frozen=True, kw_only=True)
class NodePool:
    """One node pool. Sizes are per zone, as GKE counts them (a regional pool spans three zones).

    Every pool runs COS_CONTAINERD with the GKE metadata server, secure boot and
    integrity monitoring, as the cluster's least-privilege node service account;
    none of that is configurable because nothing in the platform needs it off.
    """

    name: str = field(metadata={"from_config": False})
    machine_type: str = "e2-standard-4"
    disk_size_gb: int = 100
    disk_type: DiskType = DiskType.PD_BALANCED
    min_nodes: int = 1
    max_nodes: int = 3
    spot: bool | None = None
    """None follows the cluster's ``relax.spotNodes``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    auto_repair: bool = True
    auto_upgrade: bool = True
    max_surge: int = 1
    max_unavailable: int = 0


PROFILE_NODE_POOLS: Mapping[ClusterProfile, tuple[NodePool, ...]] = {
    # Knative Serving, kgateway and cert-manager fit on one e2-standard-2; autoscale to 3 for app pods.
    ClusterProfile.DEV: (NodePool(name="default", machine_type="e2-standard-2", disk_size_gb=50,
                                  min_nodes=1, max_nodes=3),),
    ClusterProfile.STAGING: (NodePool(name="default", machine_type="e2-standard-4", min_nodes=1, max_nodes=3),),
    # per zone: a regional prod cluster starts with 3 nodes and grows to 15.
    ClusterProfile.PROD: (NodePool(name="default", machine_type="e2-standard-4", min_nodes=1, max_nodes=5),),
}
"""The node pools a profile gets when the stack declares none."""


@dataclass(frozen=True, kw_only=True)
class MaintenanceWindow:
    """When GKE may upgrade and repair automatically: ``start`` (UTC, ``HH:MM``) for ``hours`` on ``days``."""

    start: str = "03:00"
    hours: int = 4
    days: tuple[Weekday, ...] = tuple(Weekday)


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
    key_ring: str | None = None
    rotation_days: int = 90


@dataclass(frozen=True, kw_only=True)
class CloudDns:
    """A Cloud DNS managed zone that gets ``*.<domain>`` pointing at the platform gateway's address."""

    zone: str
    project: str | None = None
    """The zone's project, when it is not the cluster's."""
    ttl: int = 300


def decode_node_pools(raw: Any, path: str, decoder: Decoder) -> Any:
    """``nodePools`` maps a pool's name to its settings, as GKE names pools."""
    if not isinstance(raw, Mapping):
        return decoder.problem(path, f"expected a map from node pool name to its settings, got {describe(raw)}")
    pools = [decoder.decode_dataclass(NodePool, spec, join_path(path, str(name)), name=str(name))
             for name, spec in raw.items()]
    return INVALID if any(p is INVALID for p in pools) else tuple(pools)


@dataclass(frozen=True, kw_only=True)
class GkeClusterSpec:
    """A GKE Standard cluster the platform creates, with its network, node pools and gateway address.

    ``location`` is a region (regional control plane, the default expectation)
    or a zone (only with ``relax.zonalControlPlane``). ``node_pools`` empty means
    the profile's default pool. ``relax`` None means the profile's relaxations;
    a ``relax`` map replaces them entirely, so the stack file shows every
    relaxation in force.
    """

    type: ClusterType = ClusterType.GKE
    project: str
    location: str
    name: str
    profile: ClusterProfile = ClusterProfile.PROD
    relax: Relaxations | None = None
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    network: Network = field(default_factory=Network)
    authorized_networks: tuple[AuthorizedNetwork, ...] = ()
    node_pools: tuple[NodePool, ...] = field(default=(), metadata={"decode": decode_node_pools})
    maintenance_window: MaintenanceWindow = field(default_factory=MaintenanceWindow)
    binary_authorization: BinaryAuthorization = BinaryAuthorization.PROJECT_SINGLETON_POLICY_ENFORCE
    image_registries: tuple[str, ...] = ()
    """Registry paths (``europe-west1-docker.pkg.dev/<project>/<repository>``) whose images the project's
    Binary Authorization policy admits besides the platform's own and the stack's service images: where app
    stacks' images come from."""
    secrets_encryption: SecretsEncryption = field(default_factory=SecretsEncryption)
    security_group: str | None = None
    """Google Groups for RBAC: must be ``gke-security-groups@<your domain>``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    dns: CloudDns | None = None
    dns_endpoint: bool = True
    """GKE's DNS-based control-plane endpoint, open to callers with IAM permission (CI, laptops) wherever
    they are, while the IP endpoints stay private or closed. The kubeconfig uses it when on."""

    # -- what the settings mean, once the profile is applied --

    @property
    def relaxations(self) -> Relaxations:
        """The relaxations in force: the stack's own list, else the profile's."""
        return self.relax if self.relax is not None else PROFILE_RELAXATIONS[self.profile]

    @property
    def pools(self) -> tuple[NodePool, ...]:
        """The node pools to create: the stack's, else the profile's default pool."""
        return self.node_pools or PROFILE_NODE_POOLS[self.profile]

    @property
    def is_regional(self) -> bool:
        """True when ``location`` is a region (a highly available control plane)."""
        return bool(_REGION.match(self.location))

    @property
    def region(self) -> str:
        """The region of ``location`` (a zone's region for a zonal cluster): subnet, NAT, address, KMS."""
        return self.location if self.is_regional else self.location.rsplit("-", 1)[0]

    @property
    def deletion_protection(self) -> bool:
        """GKE deletion protection and Pulumi ``protect``, unless ``relax.noDeletionProtection``."""
        return not self.relaxations.no_deletion_protection

    @property
    def private_endpoint(self) -> bool:
        """The control plane has no public IP endpoint, unless ``relax.publicEndpoint``."""
        return not self.relaxations.public_endpoint

    @property
    def kms_key_ring(self) -> str:
        """The name of the key ring the component creates for secrets encryption."""
        return self.secrets_encryption.key_ring or f"{self.name}-gke"

    @property
    def identifier(self) -> str:
        """The Kubernetes provider's stable ``cluster_identifier``: the cluster's identity, not its credentials."""
        return f"gke/{self.project}/{self.location}/{self.name}"

    def pool_is_spot(self, pool: NodePool) -> bool:
        """Whether ``pool`` runs on Spot VMs: its own setting, else the cluster's ``relax.spotNodes``."""
        return self.relaxations.spot_nodes if pool.spot is None else pool.spot


# -- validation ------------------------------------------------------------------------------

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
_GCP_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_K8S_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_K8S_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
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


def _k8s_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Kubernetes label or taint key (``[prefix/]name``), or None."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _K8S_PREFIX.match(prefix)):
        return f"key '{key}' has an invalid prefix; it must be a DNS subdomain such as 'example.com'"
    if not name or len(name) > 63 or not _K8S_NAME.match(name):
        return (f"key '{key}' must be at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit (optionally prefixed 'example.com/')")
    return None


def _k8s_value_problem(value: str) -> str | None:
    if len(value) > 63 or not _K8S_NAME.match(value):
        return (f"value '{value}' must be at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit")
    return None


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
            problem = _k8s_key_problem(key) or _k8s_value_problem(value)
            if problem:
                add(join_path("labels", key), problem)
        for i, taint in enumerate(pool.taints):
            problem = _k8s_key_problem(taint.key) or (_k8s_value_problem(taint.value) if taint.value else None)
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
    if not spec.is_regional and _ZONE.match(spec.location) and not relax.zonal_control_plane:
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
    if not _REGION.match(spec.location) and not _ZONE.match(spec.location):
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
    if spec.dns is not None:
        dpath = join_path(path, "dns")
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
