"""Pure builders for the GKE cluster: kubeconfig, maintenance window, node pools, firewall (no Pulumi)."""

from __future__ import annotations

import yaml

from knative_platform.gcp_args import gke as build
from knative_platform.model.cluster.cluster import GkeClusterSpec
from knative_platform.model.cluster.parts import MaintenanceWindow, NodePool, Taint, TaintEffect, Weekday

SPEC = GkeClusterSpec(project="acme-prod", location="europe-west1", name="knative-prod",
                      security_group="gke-security-groups@example.com")


def test_kubeconfig_uses_the_dns_endpoint_and_the_auth_plugin():
    text = build.kubeconfig(SPEC, endpoint="10.0.0.2", ca_certificate="Q0E=",
                            dns_endpoint="gke-1.europe-west1.gke.goog")
    config = yaml.safe_load(text)
    context = "gke_acme-prod_europe-west1_knative-prod"
    assert config["current-context"] == context
    # the DNS endpoint has a publicly trusted certificate: the cluster CA would break TLS verification
    assert config["clusters"] == [{"name": context, "cluster": {"server": "https://gke-1.europe-west1.gke.goog"}}]
    assert config["users"][0]["user"] == {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "gke-gcloud-auth-plugin",
        "installHint": build.AUTH_PLUGIN_HINT,
        "provideClusterInfo": True,
    }}
    assert "token" not in text and "client-key" not in text


def test_kubeconfig_falls_back_to_the_ip_endpoint_with_the_cluster_ca():
    for spec, dns in ((SPEC, None), (GkeClusterSpec(**{**SPEC.__dict__, "dns_endpoint": False}), "gke-1.gke.goog")):
        config = yaml.safe_load(build.kubeconfig(spec, endpoint="10.0.0.2", ca_certificate="Q0E=", dns_endpoint=dns))
        assert config["clusters"][0]["cluster"] == {"server": "https://10.0.0.2", "certificate-authority-data": "Q0E="}


def test_maintenance_window_is_a_fixed_recurring_window():
    assert build.maintenance_policy(MaintenanceWindow()) == {"recurring_window": {
        "start_time": "2025-01-01T03:00:00Z", "end_time": "2025-01-01T07:00:00Z", "recurrence": "FREQ=DAILY"}}
    weekend = MaintenanceWindow(start="22:30", hours=8, days=(Weekday.SU, Weekday.SA))
    assert build.maintenance_policy(weekend) == {"recurring_window": {
        "start_time": "2025-01-01T22:30:00Z", "end_time": "2025-01-02T06:30:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU"}}


def test_node_pool_args_carry_the_hardening_and_the_pool_settings():
    pool = NodePool(name="batch", machine_type="n2-standard-8", min_nodes=0, max_nodes=10, spot=True,
                    labels={"workload": "batch"}, taints=(Taint(key="batch", value="true"),))
    args = build.node_pool_args(SPEC, pool, cluster="projects/p/clusters/c", node_service_account="sa@p.iam")
    node = args["node_config"]
    assert node["image_type"] == "COS_CONTAINERD"
    assert node["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert node["shielded_instance_config"] == {"enable_secure_boot": True, "enable_integrity_monitoring": True}
    assert node["service_account"] == "sa@p.iam"
    assert node["spot"] is True and node["machine_type"] == "n2-standard-8"
    assert node["taints"] == [{"key": "batch", "value": "true", "effect": "NO_SCHEDULE"}]
    assert node["labels"] == {"workload": "batch"}
    assert args["autoscaling"] == {"min_node_count": 0, "max_node_count": 10, "location_policy": "ANY"}
    assert args["initial_node_count"] == 1
    assert args["management"] == {"auto_repair": True, "auto_upgrade": True}
    assert args["upgrade_settings"] == {"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0}


def test_taint_effects_are_translated_to_gke_names():
    pool = NodePool(name="p", taints=tuple(Taint(key=f"k{i}", effect=e) for i, e in enumerate(TaintEffect)))
    args = build.node_pool_args(SPEC, pool, cluster="c", node_service_account="sa")
    assert [t["effect"] for t in args["node_config"]["taints"]] == ["NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE"]


def test_webhook_firewall_opens_only_the_webhook_ports_from_the_control_plane():
    args = build.webhook_firewall_args(SPEC)
    assert args["source_ranges"] == ["172.16.0.0/28"]
    assert args["allows"] == [{"protocol": "tcp", "ports": ["8443"]}]
    assert args["direction"] == "INGRESS"


def test_node_service_account_roles_are_least_privilege():
    roles = set(build.NODE_SERVICE_ACCOUNT_ROLES)
    assert "roles/artifactregistry.reader" in roles
    assert not any(r in roles for r in ("roles/editor", "roles/owner", "roles/container.admin"))
    assert all(r.split("/")[1].split(".")[0] in {"logging", "monitoring", "stackdriver", "artifactregistry"}
               for r in roles)


def test_wildcard_record_and_service_agent():
    assert build.wildcard_record_name("knative.example.com") == "*.knative.example.com."
    assert build.gke_service_agent("123") == "serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com"
