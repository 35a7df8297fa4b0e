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

The rules over these values are in :mod:`knative_platform.model.cluster.cluster_rules`
(:func:`~knative_platform.model.cluster.cluster_rules.gke_cluster_problems`), as
the TLS settings' are in :mod:`knative_platform.model.tls.tls_rules`. Pure
Python: no Pulumi import.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .parts import (
    AuthorizedNetwork,
    CloudDns,
    MaintenanceWindow,
    Network,
    NodePool,
    SecretsEncryption,
    decode_node_pools,
)

REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
"""A GCP region (``europe-west1``): a regional cluster's ``location``."""
ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")
"""A GCP zone (``europe-west1-b``): a zonal cluster's ``location``."""

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


# -- the default node pools ----------------------------------------------------------------------

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
class GkeClusterSpec:
    """A GKE Standard cluster the platform creates, with its network, node pools and gateway address.

    ``location`` is a region (regional control plane, the default expectation)
    or a zone (only with ``relax.zonalControlPlane``). ``node_pools`` empty means
    the profile's default pool. ``relax`` None means the profile's relaxations;
    a ``relax`` map replaces them entirely, so the stack file shows every
    relaxation in force.
    """

    type: ClusterType = ClusterType.GKE
    """Selects this cluster kind (``existing`` is the other)."""
    project: str
    """The GCP project id every GCP resource of the cluster lives in."""
    location: str
    """A region (``europe-west1``: a regional control plane) or a zone (``europe-west1-b``: only with
    ``relax.zonalControlPlane``)."""
    name: str
    """The cluster's name, a DNS-1035 label of at most 24 characters; it names the VPC (``<name>``), subnet and
    node service account (``<name>-nodes``), router, NAT, firewall, gateway address (``<name>-gateway``) and key
    ring (``<name>-gke``)."""
    profile: ClusterProfile = ClusterProfile.PROD
    """Which relaxations apply and which default node pool (see "Profiles and relaxations")."""
    relax: Relaxations | None = None
    """The relaxations in force, each a named flag; unset: the profile's. A ``relax`` map replaces the
    profile's, so a stack file lists all of them."""
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    """GKE picks and upgrades the Kubernetes version; none is pinned."""
    network: Network = field(default_factory=Network)
    """The VPC's address plan."""
    authorized_networks: tuple[AuthorizedNetwork, ...] = ()
    """Who may reach the control plane's IP endpoints."""
    node_pools: tuple[NodePool, ...] = field(default=(), metadata={"decode": decode_node_pools})
    """A map from pool name to its settings; unset: the profile's default pool."""
    maintenance_window: MaintenanceWindow = field(default_factory=MaintenanceWindow)
    """When GKE may upgrade and repair automatically."""
    binary_authorization: BinaryAuthorization = BinaryAuthorization.PROJECT_SINGLETON_POLICY_ENFORCE
    """The evaluation mode. The two ``PROJECT_SINGLETON`` modes check pods against the project policy the
    platform writes; with ``DISABLED`` or ``POLICY_BINDINGS`` nothing is checked at admission, and prod refuses
    them."""
    image_registries: tuple[str, ...] = ()
    """Registry paths (``europe-west1-docker.pkg.dev/<project>/<repository>``) whose images the project's
    Binary Authorization policy admits besides the platform's own and the stack's service images: where app
    stacks' images come from."""
    secrets_encryption: SecretsEncryption = field(default_factory=SecretsEncryption)
    """Application-layer encryption of Kubernetes Secrets with a Cloud KMS key."""
    security_group: str | None = None
    """Google Groups for RBAC: must be ``gke-security-groups@<your domain>``; required unless
    ``relax.noGoogleGroups``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """GCP resource labels on the cluster, nodes, address and key; ``managed-by``, ``platform`` and ``profile``
    are the platform's."""
    dns: CloudDns | None = None
    """A Cloud DNS zone that gets ``*.<domain>`` pointing at the gateway's address."""
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
        return bool(REGION.match(self.location))

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
