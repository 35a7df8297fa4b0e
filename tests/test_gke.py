"""The GKE stacks under mocks: prod's hardened settings, dev's named relaxations, and the dependency edges.

These assert the inputs GKE checklists read (checkov's CKV_GCP_*, CIS GKE):
prod must pass every item, dev may fail only where a relaxation says so.
"""

from __future__ import annotations

import json

import pulumi
import pytest
from conftest import ROOT, committed, config_error, run_stack

from knative_platform.gke import GkeCluster, GkeClusterArgs
from knative_platform.model.cluster.cluster import GkeClusterSpec
from knative_platform.offline.engine import RecordingMonitor, run_function
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.render import render_files
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
GKE_STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def captures():
    return {stack: committed(stack) for stack in GKE_STACKS}


def only(capture, type_):
    (reg,) = capture.by_type(type_)
    return reg


def test_prod_cluster_is_hardened(captures):
    prod = captures["prod"]
    cluster = only(prod, CLUSTER)
    c = cluster.inputs
    assert c["location"] == "europe-west1"  # regional control plane
    assert c["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": True,
                                         "masterIpv4CidrBlock": "172.16.0.0/28"}
    assert c["controlPlaneEndpointsConfig"] == {"dnsEndpointConfig": {"allowExternalTraffic": True}}
    assert c["masterAuthorizedNetworksConfig"] == {"cidrBlocks": [], "gcpPublicCidrsAccessEnabled": False}
    assert c["deletionProtection"] is True
    assert cluster.options["protect"] is True
    key = only(prod, "gcp:kms/cryptoKey:CryptoKey")
    assert c["databaseEncryption"] == {
        "state": "ENCRYPTED",
        "keyName": "projects/knative-platform-prod/locations/europe-west1/keyRings/knative-prod-gke/cryptoKeys/secrets"}
    assert key.urn in cluster.dependencies
    assert key.options["protect"] is True and key.inputs["rotationPeriod"] == "7776000s"
    assert c["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert c["authenticatorGroupsConfig"] == {"securityGroup": "gke-security-groups@example.com"}
    assert c["maintenancePolicy"]["recurringWindow"]["recurrence"] == "FREQ=WEEKLY;BYDAY=SA,SU"
    assert c["resourceLabels"] == {"managed-by": "pulumi", "platform": "knative-platform", "profile": "prod",
                                   "team": "platform"}
    pool = only(prod, NODE_POOL).inputs
    assert pool["nodeConfig"]["spot"] is False
    assert pool["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 5, "locationPolicy": "BALANCED"}


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_gke_stack_keeps_the_baseline(captures, stack):
    """What no profile relaxes: GKE Standard, VPC-native, private nodes, Workload Identity, shielded COS nodes."""
    capture = captures[stack]
    c = only(capture, CLUSTER).inputs
    assert "enableAutopilot" not in c
    assert c["removeDefaultNodePool"] is True
    assert c["networkingMode"] == "VPC_NATIVE"
    assert c["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["workloadIdentityConfig"] == {"workloadPool": f"knative-platform-{stack}.svc.id.goog"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableShieldedNodes"] is True and c["enableIntranodeVisibility"] is True
    assert c["enableLegacyAbac"] is False
    assert c["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_DISABLED"}
    assert "cidrBlocks" in c["masterAuthorizedNetworksConfig"]
    assert c["loggingConfig"] == {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}
    assert c["monitoringConfig"]["enableComponents"] == ["SYSTEM_COMPONENTS"]
    assert "maintenancePolicy" in c and c["resourceLabels"]["managed-by"] == "pulumi"
    account = capture.named(f"knative-{stack}-nodes", "gcp:serviceaccount/account:Account")
    email = f"knative-{stack}-nodes@knative-platform-{stack}.iam.gserviceaccount.com"
    assert account.inputs["accountId"] == f"knative-{stack}-nodes"
    assert c["nodeConfig"]["serviceAccount"] == email  # even the throwaway default pool
    for pool in capture.by_type(NODE_POOL):
        node = pool.inputs["nodeConfig"]
        assert node["imageType"] == "COS_CONTAINERD"
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
        assert node["metadata"] == {"disable-legacy-endpoints": "true"}
        assert node["serviceAccount"] == email
        assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
        assert pool.inputs["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
        assert pool.inputs["autoscaling"]["maxNodeCount"] > pool.inputs["autoscaling"]["minNodeCount"]
    roles = sorted(r.inputs["role"] for r in capture.by_type("gcp:projects/iAMMember:IAMMember")
                   if r.parent_type == "knative-platform:index:GkeCluster")
    assert roles == ["roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter",
                     "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"]


def test_dev_relaxes_exactly_its_named_relaxations(captures):
    dev = captures["dev"]
    cluster = only(dev, CLUSTER)
    c = cluster.inputs
    assert c["location"] == "europe-west1-b"  # relax.zonalControlPlane (GKE_OPS_2)
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is False  # relax.publicEndpoint (GKE_CIS_5.6.4)
    assert c["deletionProtection"] is False  # relax.noDeletionProtection (GKE_OPS_1)
    assert "protect" not in cluster.options
    assert c["databaseEncryption"] == {"state": "DECRYPTED"}  # relax.googleManagedEncryption (GKE_CIS_5.3.1)
    assert dev.by_type("gcp:kms/keyRing:KeyRing") == []
    assert "authenticatorGroupsConfig" not in c  # relax.noGoogleGroups (CKV_GCP_65)
    pool = only(dev, NODE_POOL).inputs
    assert pool["nodeConfig"]["spot"] is True  # relax.spotNodes
    assert pool["nodeConfig"]["machineType"] == "e2-standard-2"
    assert pool["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 3, "locationPolicy": "ANY"}
    # what dev does not relax
    assert c["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert c["masterAuthorizedNetworksConfig"]["cidrBlocks"] == []


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_nodes_wait_for_nat_firewall_and_their_service_account(captures, stack):
    capture = captures[stack]
    nat = only(capture, "gcp:compute/routerNat:RouterNat")
    firewall = only(capture, "gcp:compute/firewall:Firewall")
    account = capture.named(f"knative-{stack}-nodes", "gcp:serviceaccount/account:Account")
    grants = [g for g in capture.by_type("gcp:projects/iAMMember:IAMMember")
              if g.parent_type == "knative-platform:index:GkeCluster"]
    cluster = only(capture, CLUSTER)
    for pool in capture.by_type(NODE_POOL):
        deps = set(pool.dependencies)
        assert {nat.urn, firewall.urn, account.urn, cluster.urn} <= deps
        assert {g.urn for g in grants} <= deps
    assert account.urn in firewall.dependencies  # the rule targets the node service account


def test_the_cluster_waits_for_the_kms_grant(captures):
    prod = captures["prod"]
    grant = only(prod, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert grant.urn in only(prod, CLUSTER).dependencies
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["member"].startswith("serviceAccount:service-")
    assert grant.inputs["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_kubernetes_resources_use_the_cluster_provider_after_the_nodes(captures, stack):
    capture = captures[stack]
    (provider,) = capture.by_type("pulumi:providers:kubernetes")
    (gke,) = capture.by_type("knative-platform:index:GkeCluster")
    assert provider.parent == gke.urn
    assert provider.inputs["clusterIdentifier"] == f"gke/knative-platform-{stack}/" + (
        "europe-west1" if stack == "prod" else "europe-west1-b") + f"/knative-{stack}"
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.inputs["enableServerSideApply"] == "true"
    pools = {p.urn for p in capture.by_type(NODE_POOL)}
    firewall = only(capture, "gcp:compute/firewall:Firewall")
    assert pools <= set(provider.dependencies)
    objects = [r for r in capture.registrations if r.custom and r.type.startswith("kubernetes:")]
    assert objects
    by_urn = {r.urn: r for r in capture.registrations}

    def waits_for(reg):
        """Everything ``reg`` waits for: its dependencies, theirs, and its provider's, transitively."""
        seen, todo = set(), [*reg.dependencies, reg.provider.rsplit("::", 1)[0]]
        while todo:
            urn = todo.pop()
            if urn in seen or urn not in by_urn:
                continue
            seen.add(urn)
            todo.extend(by_urn[urn].dependencies)
        return seen

    for reg in objects:
        assert reg.provider.startswith(provider.urn), reg.urn
        assert pools | {firewall.urn} <= waits_for(reg), reg.urn


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_gcp_resource_uses_the_explicit_gcp_provider(captures, stack):
    capture = captures[stack]
    (provider,) = capture.by_type("pulumi:providers:gcp")
    assert provider.inputs == {"project": f"knative-platform-{stack}",
                               "region": "europe-west1"}
    for reg in capture.registrations:
        if reg.custom and reg.type.startswith("gcp:"):
            assert reg.provider and reg.provider.startswith(provider.urn), reg.urn


def test_network_nat_and_webhook_firewall(captures):
    prod = captures["prod"]
    subnet = only(prod, "gcp:compute/subnetwork:Subnetwork").inputs
    assert subnet["secondaryIpRanges"] == [{"rangeName": "pods", "ipCidrRange": "10.16.0.0/14"},
                                           {"rangeName": "services", "ipCidrRange": "10.20.0.0/20"}]
    assert subnet["privateIpGoogleAccess"] is True
    network = only(prod, "gcp:compute/network:Network").inputs
    assert network["autoCreateSubnetworks"] is False
    nat = only(prod, "gcp:compute/routerNat:RouterNat").inputs
    assert nat["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    assert nat["router"] == "knative-prod-router"
    firewall = only(prod, "gcp:compute/firewall:Firewall").inputs
    assert firewall["sourceRanges"] == ["172.16.0.0/28"]
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["8443"]}]
    assert firewall["targetServiceAccounts"] == ["knative-prod-nodes@knative-platform-prod.iam.gserviceaccount.com"]


def test_gateway_address_dns_record_and_stack_outputs(captures):
    prod = captures["prod"]
    address = only(prod, "gcp:compute/address:Address")
    assert address.inputs["addressType"] == "EXTERNAL" and address.inputs["region"] == "europe-west1"
    (gke,) = prod.by_type("knative-platform:index:GkeCluster")
    ip = prod.component_outputs[gke.urn]["ingressAddress"]
    assert ip.startswith("203.0.113.")
    records = {r.inputs["name"]: r.inputs for r in prod.by_type("gcp:dns/recordSet:RecordSet")}
    assert records["*.knative.example.com."] == {"name": "*.knative.example.com.", "type": "A", "ttl": 300,
                                                 "managedZone": "knative-example-com",
                                                 "project": "knative-platform-prod", "rrdatas": [ip]}
    # dev writes its own wildcard, in its own zone and project (issue 18, M2)
    dev_records = {r.inputs["name"]: r.inputs for r in captures["dev"].by_type("gcp:dns/recordSet:RecordSet")}
    dev_record = dev_records["*.dev.knative.example.com."]
    assert (dev_record["managedZone"], dev_record["project"]) == ("dev-knative-example-com", "knative-platform-dev")
    outputs = prod.outputs
    assert outputs["clusterName"] == "knative-prod"
    assert outputs["clusterLocation"] == "europe-west1"
    assert outputs["clusterEndpoint"].startswith("https://") and outputs["clusterEndpoint"].endswith(".gke.goog")
    assert outputs["clusterIdentifier"] == "gke/knative-platform-prod/europe-west1/knative-prod"
    assert outputs["kubeconfig"] == "[secret]"


def test_each_served_namespace_has_a_wildcard_record_that_a_dns01_challenge_cannot_hide(captures):
    """Issue 18 N5: _acme-challenge.<ns>.<domain> makes <ns>.<domain> an empty non-terminal, which *.<domain> no
    longer matches (RFC 4592 2.2.2), so every namespace the platform serves answers from *.<ns>.<domain>."""
    prod = captures["prod"]
    ip = prod.component_outputs[prod.by_type("knative-platform:index:GkeCluster")[0].urn]["ingressAddress"]
    records = {r.inputs["name"]: r.inputs for r in prod.by_type("gcp:dns/recordSet:RecordSet")}
    # the platform's own public namespace and the declared app namespace; hello.example.com is not in the zone
    assert sorted(records) == ["*.default.knative.example.com.", "*.knative.example.com.",
                               "*.team-app.knative.example.com."]
    for record in records.values():
        assert (record["type"], record["rrdatas"], record["managedZone"]) == ("A", [ip], "knative-example-com")


def test_the_kubeconfig_never_appears_in_a_render(captures):
    files = render_files(captures["prod"], load_program_config(ROOT, "prod"))
    assert "kubeconfig: '[secret]'" in files["stack.yaml"]
    assert not any("gke-gcloud-auth-plugin" in text or "certificate-authority-data" in text
                   for text in files.values())


def test_an_existing_kms_key_is_used_without_creating_one():
    key = "projects/knative-platform-prod/locations/europe-west1/keyRings/shared/cryptoKeys/gke"
    cluster = {**prod_cluster(), "secretsEncryption": {"key": key}}
    capture = run_stack("prod", {"cluster": cluster})
    assert only(capture, CLUSTER).inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key}
    assert capture.by_type("gcp:kms/keyRing:KeyRing") == []
    assert capture.by_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember") == []


def test_authorized_networks_and_binary_authorization_mode_are_passed_through():
    # prod refuses a mode that does not check the project policy; staging may choose one (and writes no policy)
    cluster = {**stack_cluster("staging"), "authorizedNetworks": [{"cidr": "198.51.100.0/24", "name": "ci-runners"}],
               "binaryAuthorization": "POLICY_BINDINGS"}
    capture = run_stack("staging", {"cluster": cluster})
    c = only(capture, CLUSTER).inputs
    assert c["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "198.51.100.0/24", "displayName": "ci-runners"}]
    assert c["binaryAuthorization"] == {"evaluationMode": "POLICY_BINDINGS"}
    assert capture.by_type("gcp:binaryauthorization/policy:Policy") == []
    assert "binaryAuthorization" not in capture.outputs


def test_local_creates_no_gcp_resources():
    capture = committed("local")
    assert not [r for r in capture.registrations if r.type.startswith(("gcp:", "pulumi:providers:gcp"))]
    assert "clusterName" not in capture.outputs


def stack_cluster(stack):
    config = load_program_config(ROOT, stack).config
    return json.loads(config["knative-platform:cluster"])


def prod_cluster():
    return stack_cluster("prod")


# -- bad cluster config stops the program before anything is registered -------------------------

BAD_CLUSTER_CASES = [
    ("0.0.0.0/0 authorized network", {"authorizedNetworks": [{"cidr": "0.0.0.0/0", "name": "anyone"}]},
     "cluster.authorizedNetworks[0].cidr: '0.0.0.0/0' opens the control plane to the whole internet"
     "; list the networks that need it (CI runners, office) or use the DNS endpoint with IAM"),
    ("min nodes above max", {"nodePools": {"default": {"minNodes": 6, "maxNodes": 5}}},
     "cluster.nodePools.default.minNodes: must be <= maxNodes (5)"),
    ("a zone for the regional prod profile", {"location": "europe-west1-c"},
     "cluster.location: 'europe-west1-c' is a zone, but profile prod needs a region: use 'europe-west1'"
     " (prod runs a regional control plane)"),
    ("invalid CIDR", {"network": {"subnetCidr": "10.10.0.0/33"}},
     "cluster.network.subnetCidr: '10.10.0.0/33' is not a CIDR range such as '10.0.0.0/20'"),
    ("prod relaxing deletion protection", {"relax": {"noDeletionProtection": True}},
     "cluster.relax.noDeletionProtection: profile prod does not allow this relaxation"
     ": prod is regional, private, deletion-protected and blocks images its policy does not admit"),
    ("unknown cluster key", {"nodePool": {}}, "cluster.nodePool: unknown key (did you mean 'nodePools'?)"
                                              "; expected one of: type, project, location, name, profile, relax, "
                                              "releaseChannel, network, authorizedNetworks, nodePools, "
                                              "maintenanceWindow, binaryAuthorization, imageRegistries, "
                                              "secretsEncryption, securityGroup, labels, dns, dnsEndpoint"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in BAD_CLUSTER_CASES],
                         ids=[c[0] for c in BAD_CLUSTER_CASES])
def test_bad_cluster_config_is_rejected_before_anything_is_registered(change, expected):
    error = config_error("prod", {"cluster": {**prod_cluster(), **change}})
    assert isinstance(error, pulumi.RunError)
    assert [str(p) for p in error.problems] == [expected]  # the whole list: no second, spurious problem


def test_the_component_validates_its_own_args_before_registering():
    monitor = RecordingMonitor(PlatformMocks())
    spec = GkeClusterSpec(project="acme-prod", location="europe-west1-b", name="knative-prod",
                          security_group="gke-security-groups@example.com")
    with pytest.raises(ConfigError) as info:
        run_function(lambda: GkeCluster("knative-prod", GkeClusterArgs(spec=spec)), monitor=monitor)
    assert str(info.value).startswith("cluster.location: 'europe-west1-b' is a zone")
    assert monitor.recorded == {}
