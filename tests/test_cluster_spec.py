"""The GKE cluster spec: decoding from stack config, profiles and relaxations, and validation (pure)."""

from __future__ import annotations

import pytest

from knative_platform.model.cluster.cluster import PROFILE_RELAXATIONS, ClusterProfile, GkeClusterSpec, Relaxations
from knative_platform.model.cluster.cluster_rules import gke_cluster_problems
from knative_platform.model.cluster.parts import AuthorizedNetwork, NodePool, Taint, TaintEffect
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.platform import build_platform_spec

PROD = {"type": "gke", "project": "acme-prod", "location": "europe-west1", "name": "knative-prod",
        "securityGroup": "gke-security-groups@example.com"}


def spec(**overrides) -> GkeClusterSpec:
    return build_platform_spec("test", {"cluster": {**PROD, **overrides}, "domain": "example.com"}).cluster


def problems(**overrides) -> list[str]:
    with pytest.raises(SpecError) as info:
        build_platform_spec("test", {"cluster": {**PROD, **overrides}, "domain": "example.com"})
    return [str(p) for p in info.value.problems]


def test_minimal_prod_config_is_fully_hardened():
    cluster = spec()
    assert cluster.profile == ClusterProfile.PROD
    assert cluster.relaxations == Relaxations()
    assert cluster.deletion_protection and cluster.private_endpoint and cluster.is_regional
    assert cluster.identifier == "gke/acme-prod/europe-west1/knative-prod"
    assert [p.name for p in cluster.pools] == ["default"]
    assert not cluster.pool_is_spot(cluster.pools[0])


def test_dev_profile_relaxes_what_makes_dev_cheap():
    cluster = spec(profile="dev", location="europe-west1-b", securityGroup=None)
    relax = cluster.relaxations
    assert relax.spot_nodes and relax.zonal_control_plane and relax.no_deletion_protection
    assert not cluster.deletion_protection and not cluster.private_endpoint
    assert cluster.region == "europe-west1" and not cluster.is_regional
    assert cluster.pools[0].machine_type == "e2-standard-2" and cluster.pool_is_spot(cluster.pools[0])


def test_a_relax_map_replaces_the_profile_preset():
    cluster = spec(profile="dev", relax={"spotNodes": True, "noGoogleGroups": True}, securityGroup=None)
    assert cluster.relaxations == Relaxations(spot_nodes=True, no_google_groups=True)
    assert cluster.deletion_protection


def test_a_pool_may_override_the_spot_default():
    cluster = spec(profile="dev", location="europe-west1-b", securityGroup=None,
                   nodePools={"steady": {"spot": False}, "batch": {}})
    assert {p.name: cluster.pool_is_spot(p) for p in cluster.pools} == {"steady": False, "batch": True}


def test_prod_never_accepts_the_relaxations_that_define_it():
    assert {f"cluster.relax.{k}" for k in ("zonalControlPlane", "publicEndpoint", "noDeletionProtection")} == {
        p.split(":")[0] for p in problems(relax={"zonalControlPlane": True, "publicEndpoint": True,
                                                 "noDeletionProtection": True})}


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"location": "europe-west1-b"},
     "cluster.location: 'europe-west1-b' is a zone, but profile prod needs a region: use 'europe-west1' (prod "
     "runs a regional control plane)"),
    ({"location": "europe-west1-b", "profile": "staging", "relax": {}},
     "cluster.location: 'europe-west1-b' is a zone, but profile staging needs a region: use 'europe-west1' (set "
     "relax.zonalControlPlane: true to accept a zonal one)"),
    ({"location": "mars"}, "cluster.location: 'mars' is neither a region ('europe-west1') nor a zone "
                           "('europe-west1-b')"),
    ({"project": "Acme"}, "cluster.project: 'Acme' is not a GCP project id: 6-30 lowercase letters, digits or "
                          "'-', starting with a letter"),
    ({"name": "knative-production-cluster"}, "cluster.name: cluster name 'knative-production-cluster' is 26 "
                                             "characters, must be at most 24 (the node service account "
                                             "'<name>-nodes' must fit GCP's 30)"),
    ({"authorizedNetworks": [{"cidr": "0.0.0.0/0", "name": "everyone"}]},
     "cluster.authorizedNetworks[0].cidr: '0.0.0.0/0' opens the control plane to the whole internet; list the "
     "networks that need it (CI runners, office) or use the DNS endpoint with IAM"),
    ({"authorizedNetworks": [{"cidr": "::/0", "name": "everyone"}]},
     "cluster.authorizedNetworks[0].cidr: '::/0' opens the control plane to the whole internet; list the networks "
     "that need it (CI runners, office) or use the DNS endpoint with IAM"),
    ({"authorizedNetworks": [{"cidr": "203.0.113.7/24", "name": "office"}]},
     "cluster.authorizedNetworks[0].cidr: '203.0.113.7/24' has host bits set; the network is '203.0.113.0/24'"),
    ({"authorizedNetworks": [{"cidr": "office"}]}, "cluster.authorizedNetworks[0].name: is required"),
    ({"network": {"subnetCidr": "10.300.0.0/20"}},
     "cluster.network.subnetCidr: '10.300.0.0/20' is not a CIDR range such as '10.0.0.0/20'"),
    ({"network": {"podsCidr": "10.10.0.0/16"}},
     "cluster.network.podsCidr: '10.10.0.0/16' overlaps cluster.network.subnetCidr ('10.10.0.0/20'); the ranges "
     "must not overlap"),
    ({"network": {"masterCidr": "172.16.0.0/24"}},
     "cluster.network.masterCidr: '172.16.0.0/24' is a /24; GKE needs a /28 for the control plane"),
    ({"network": {"servicesCidr": "fd00::/108"}}, "cluster.network.servicesCidr: 'fd00::/108' is IPv6; the VPC "
                                                  "ranges are IPv4"),
    ({"nodePools": {"default": {"minNodes": 4, "maxNodes": 3}}},
     "cluster.nodePools.default.minNodes: must be <= maxNodes (3)"),
    ({"nodePools": {"default": {"maxNodes": 0}}}, ["cluster.nodePools.default.maxNodes: is 0, must be between 1 "
                                                   "and 1000",
                                                   "cluster.nodePools.default.minNodes: must be <= maxNodes (0)"]),
    ({"nodePools": {"Default": {}}}, "cluster.nodePools.Default: node pool name 'Default' must be a DNS-1035 "
                                     "label: lowercase letters, digits and '-', starting with a letter and ending "
                                     "with a letter or digit"),
    ({"nodePools": {"default": {"autoUpgrade": False}}},
     "cluster.nodePools.default.autoUpgrade: GKE requires node auto-upgrade in a release channel (the cluster is "
     "always in one); remove this key, and use the maintenance window to choose when"),
    ({"nodePools": {"default": {"maxSurge": 0}}}, "cluster.nodePools.default.maxSurge: maxSurge and "
                                                  "maxUnavailable are both 0, so upgrades could never progress; use "
                                                  "maxSurge: 1"),
    ({"nodePools": {"default": {"diskSizeGb": 5}}}, "cluster.nodePools.default.diskSizeGb: is 5, GKE needs at "
                                                    "least 10"),
    ({"nodePools": {"default": {"machineType": "big"}}}, "cluster.nodePools.default.machineType: 'big' is not a "
                                                         "machine type such as 'e2-standard-4'"),
    ({"nodePools": {"default": {"labels": {"tier/": "x"}}}}, "cluster.nodePools.default.labels.tier/: label key "
                                                             "'tier/' must end in a name of at most 63 letters, "
                                                             "digits, '-', '_' and '.', starting and ending with a "
                                                             "letter or digit"),
    ({"nodePools": {"gpu": {"taints": [{"key": "gpu"}]}}}, "cluster.nodePools: every pool is tainted, so "
                                                           "kube-system, Knative and the gateway have nowhere to "
                                                           "run; leave at least one pool without "
                                                           "NoSchedule/NoExecute taints"),
    ({"nodePools": {"default": {"taints": [{"key": "gpu", "effect": "NoSchedul"}]}}},
     "cluster.nodePools.default.taints[0].effect: 'NoSchedul' is not one of 'NoSchedule', 'PreferNoSchedule', "
     "'NoExecute' (did you mean 'NoSchedule'?)"),
    ({"maintenanceWindow": {"start": "3am"}}, "cluster.maintenanceWindow.start: '3am' is not a UTC time such as "
                                              "'03:00'"),
    ({"maintenanceWindow": {"days": ["SU"]}}, "cluster.maintenanceWindow: 1 day(s) x 4 h a week gives less than "
                                              "48 h in 32 days, which GKE refuses; add days or hours"),
    ({"maintenanceWindow": {"hours": 2}}, "cluster.maintenanceWindow.hours: is 2, must be between 4 and 24"),
    ({"securityGroup": None}, "cluster.securityGroup: is required for Google Groups for RBAC: "
                              "'gke-security-groups@<your domain>'; or set relax.noGoogleGroups: true and bind RBAC "
                              "to users"),
    ({"securityGroup": "admins@example.com"}, "cluster.securityGroup: 'admins@example.com' must be "
                                              "'gke-security-groups@<your domain>': GKE only reads that group"),
    ({"relax": {"noGoogleGroups": True}}, "cluster.securityGroup: is set, but relax.noGoogleGroups says not to "
                                          "use Google Groups; drop one"),
    ({"secretsEncryption": {"key": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k"}},
     "cluster.secretsEncryption.key: the key is in 'us-east1'; GKE needs it in the cluster's region 'europe-west1'"),
    ({"secretsEncryption": {"key": "my-key"}}, "cluster.secretsEncryption.key: 'my-key' is not a key name such as "
                                               "'projects/<p>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>'"),
    ({"secretsEncryption": {"keyRing": "r", "key": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"}},
     "cluster.secretsEncryption.keyRing: set either key (an existing key) or keyRing (one the platform creates), "
     "not both"),
    ({"relax": {"googleManagedEncryption": True}, "secretsEncryption": {"keyRing": "r"}},
     "cluster.secretsEncryption: names a KMS key or key ring, but relax.googleManagedEncryption turns KMS "
     "encryption off; drop one"),
    ({"labels": {"Team": "x"}}, "cluster.labels.Team: GCP label keys are 1-63 lowercase letters, digits, '_' or "
                                "'-', starting with a letter"),
    ({"labels": {"managed-by": "me"}}, "cluster.labels.managed-by: is set by the platform itself; reserved: "
                                       "managed-by, platform, profile"),
    ({"releaseChannel": "UNSPECIFIED"}, "cluster.releaseChannel: 'UNSPECIFIED' is not one of 'RAPID', 'REGULAR', "
                                        "'STABLE', 'EXTENDED'"),
    ({"binaryAuthorization": "enforce"}, "cluster.binaryAuthorization: 'enforce' is not one of 'DISABLED', "
                                         "'PROJECT_SINGLETON_POLICY_ENFORCE', 'POLICY_BINDINGS', "
                                         "'POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE'"),
    ({"dns": {"zone": "Example.com"}}, "cluster.dns.zone: 'Example.com' is not a Cloud DNS managed zone name "
                                       "(lowercase letters, digits and '-')"),
    ({"nodepools": {}}, "cluster.nodepools: unknown key (did you mean 'nodePools'?); expected one of: type, "
                        "project, location, name, profile, relax, releaseChannel, network, authorizedNetworks, "
                        "nodePools, maintenanceWindow, binaryAuthorization, imageRegistries, secretsEncryption, "
                        "securityGroup, labels, dns, dnsEndpoint"),
])
def test_bad_cluster_config_names_the_path_and_the_fix(overrides, expected):
    assert problems(**overrides) == ([expected] if isinstance(expected, str) else expected)


def test_a_dns_record_needs_the_platform_domain():
    with pytest.raises(SpecError) as info:
        build_platform_spec("test", {"cluster": {**PROD, "dns": {"zone": "example-com"}}})
    assert str(info.value) == ("cluster.dns: needs the platform's domain: set knative-platform:domain, whose "
                               "*.<domain> record this zone gets")


def test_a_gke_stack_refuses_a_kubeconfig_of_its_own():
    with pytest.raises(SpecError) as info:
        build_platform_spec("test", {"cluster": PROD, "kubeconfig": None}, secret_keys=["kubeconfig"])
    assert str(info.value) == ("kubeconfig: a gke cluster writes its own kubeconfig (a stack output); "
                               "remove this key")


def test_python_built_specs_meet_the_same_rules():
    cluster = GkeClusterSpec(
        project="acme-prod", location="europe-west1", name="knative-prod",
        security_group="gke-security-groups@example.com",
        authorized_networks=(AuthorizedNetwork(cidr="0.0.0.0/0", name="all"),),
        node_pools=(NodePool(name="gpu", taints=(Taint(key="gpu", effect=TaintEffect.NO_EXECUTE),)),
                    NodePool(name="web", min_nodes="1")),  # type: ignore[arg-type]
    )
    assert [str(p) for p in gke_cluster_problems(cluster)] == [
        "cluster.nodePools[1].minNodes: expected an integer, got string '1'"]
    fixed = GkeClusterSpec(**{**cluster.__dict__, "node_pools": cluster.node_pools[:1]})
    assert [p.path for p in gke_cluster_problems(fixed)] == ["cluster.authorizedNetworks[0].cidr", "cluster.nodePools"]


def test_the_defaults_are_valid_for_every_profile():
    for profile in ClusterProfile:
        group = None if PROFILE_RELAXATIONS[profile].no_google_groups else "gke-security-groups@example.com"
        location = "europe-west1-b" if PROFILE_RELAXATIONS[profile].zonal_control_plane else "europe-west1"
        cluster = GkeClusterSpec(project="acme-dev", location=location, name="knative", profile=profile,
                                 security_group=group)
        assert gke_cluster_problems(cluster) == [], profile
