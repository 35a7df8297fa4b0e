"""The CrossGuard policy pack (policy/): each policy on the resources it judges, offline.

The hardened base of every case is prod's golden render (which relaxes
nothing); each case breaks one thing and expects exactly that policy to fail.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "policy"))
import platform_policies as pp  # the pack's own directory, as the Pulumi CLI runs it

GOLDEN = ROOT / "tests" / "golden"
DEPLOYED = ["dev", "staging", "prod"]


@functools.cache
def _golden(stack: str) -> dict:
    return yaml.safe_load((GOLDEN / stack / "resources.yaml").read_text())


def golden(stack: str) -> dict:
    """The stack's committed golden render, read once per file; each caller gets a copy of its own."""
    return copy.deepcopy(_golden(stack))


def of_type(stack: str, type_: str) -> dict:
    return copy.deepcopy(next(v["inputs"] for v in _golden(stack).values() if v["type"] == type_))


def stack_config(stack: str) -> dict:
    return json.loads((ROOT / "policy" / "config" / f"{stack}.json").read_text())


def put(props: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    node = props
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return props


DELETE = object()
CLUSTER_CASES = [
    ("gke-private-nodes", "privateClusterConfig.enablePrivateNodes", False),
    ("gke-private-endpoint", "privateClusterConfig.enablePrivateEndpoint", False),
    ("gke-master-authorized-networks", "masterAuthorizedNetworksConfig", DELETE),
    ("gke-master-authorized-networks", "masterAuthorizedNetworksConfig.cidrBlocks",
     [{"cidrBlock": "0.0.0.0/0", "displayName": "all"}]),
    ("gke-workload-identity", "workloadIdentityConfig", DELETE),
    ("gke-shielded-nodes", "enableShieldedNodes", False),
    ("gke-no-legacy-abac", "enableLegacyAbac", True),
    ("gke-no-client-certificate", "masterAuth.clientCertificateConfig.issueClientCertificate", True),
    ("gke-network-policy", "datapathProvider", "LEGACY_DATAPATH"),
    ("gke-secrets-encryption", "databaseEncryption", {"state": "DECRYPTED"}),
    ("gke-deletion-protection", "deletionProtection", False),
    ("gke-regional-control-plane", "location", "europe-west1-b"),
    ("gke-release-channel", "releaseChannel", DELETE),
    ("gke-binary-authorization", "binaryAuthorization.evaluationMode", "DISABLED"),
    ("gke-google-groups", "authenticatorGroupsConfig", DELETE),
    ("gke-node-metadata-server", "nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA"),
    ("gke-node-secure-boot", "nodeConfig.shieldedInstanceConfig.enableSecureBoot", False),
    ("gke-node-service-account", "nodeConfig.serviceAccount", "default"),
    ("gke-node-legacy-metadata", "nodeConfig.metadata.disable-legacy-endpoints", "false"),
]


def test_prods_render_passes_every_policy_with_no_relaxation():
    assert stack_config("prod") == {}
    assert pp.check_resources((v["type"], v.get("inputs") or {}) for v in golden("prod").values()) == []


@pytest.mark.parametrize(("policy", "path", "value"), CLUSTER_CASES, ids=[f"{c[0]}:{c[1]}" for c in CLUSTER_CASES])
def test_each_cluster_policy_fails_the_one_setting_it_guards(policy, path, value):
    props = put(of_type("prod", pp.CLUSTER), path, value)
    assert [name for name, _ in pp.violations(pp.CLUSTER, props)] == [policy]


NODE_POOL_CASES = [
    ("gke-node-metadata-server", "nodeConfig.workloadMetadataConfig", DELETE),
    ("gke-node-secure-boot", "nodeConfig.shieldedInstanceConfig", DELETE),
    ("gke-node-service-account", "nodeConfig.serviceAccount", "123-compute@developer.gserviceaccount.com"),
    ("gke-node-pool-management", "management.autoRepair", False),
    ("gke-node-pool-management", "management.autoUpgrade", False),
]


@pytest.mark.parametrize(("policy", "path", "value"), NODE_POOL_CASES, ids=[f"{c[0]}:{c[1]}" for c in NODE_POOL_CASES])
def test_each_node_pool_policy_fails_the_one_setting_it_guards(policy, path, value):
    props = put(of_type("prod", pp.NODE_POOL), path, value)
    assert [name for name, _ in pp.violations(pp.NODE_POOL, props)] == [policy]


def test_a_firewall_rule_open_to_the_internet_fails_and_the_webhook_rule_passes():
    webhook = of_type("prod", pp.FIREWALL)
    assert pp.violations(pp.FIREWALL, webhook) == []
    opened = {**webhook, "sourceRanges": ["10.0.0.0/8", "0.0.0.0/0"]}
    assert pp.violations(pp.FIREWALL, opened) == [
        ("no-open-ingress-firewall", "an ingress rule open to 0.0.0.0/0: name the sources that need it")]
    assert pp.violations(pp.FIREWALL, {**opened, "direction": "EGRESS"}) == []
    assert pp.violations(pp.FIREWALL, {**opened, "disabled": True}) == []


@pytest.mark.parametrize(("type_", "props", "fails"), [
    ("gcp:projects/iAMMember:IAMMember", {"role": "roles/container.defaultNodeServiceAccount",
                                          "member": "serviceAccount:n@p.iam.gserviceaccount.com"}, False),
    ("gcp:projects/iAMMember:IAMMember", {"role": "roles/editor", "member": "user:a@example.com"}, True),
    ("gcp:projects/iAMBinding:IAMBinding", {"role": "roles/viewer", "members": ["allUsers"]}, True),
    ("gcp:storage/bucketIAMMember:BucketIAMMember", {"role": "roles/storage.objectViewer",
                                                     "member": "allAuthenticatedUsers"}, True),
    ("gcp:serviceaccount/iAMMember:IAMMember", {"role": "roles/owner", "member": "user:a@example.com"}, True),
])
def test_no_public_or_primitive_iam_grant_whatever_the_resource(type_, props, fails):
    assert bool(pp.violations(type_, props)) is fails
    assert all(name == "no-public-or-primitive-iam" for name, _ in pp.violations(type_, props))


def knative_service(revision: str | None, percents: list[object]) -> dict:
    template: dict = {"spec": {"containers": [{"image": "example.com/app@sha256:" + "0" * 64}]}}
    if revision:
        template["metadata"] = {"name": revision}
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "api", "namespace": "d"},
            "spec": {"template": template, "traffic": [{"percent": p, "latestRevision": True} for p in percents]}}


@pytest.mark.parametrize(("revision", "percents", "expected"), [
    ("api-v2", [80, 20], []),
    (None, [100], []),
    ("v2", [100], ["knative-revision-name-prefix"]),
    ("apiv2", [100], ["knative-revision-name-prefix"]),
    ("api-v2", [80, 10], ["knative-traffic-sums-to-100"]),
    ("api-v2", [80, "(known after apply)"], []),  # unknown until apply: Knative decides
])
def test_knative_services_are_held_to_the_webhooks_rules(revision, percents, expected):
    found = pp.violations(pp.KNATIVE_SERVICE, knative_service(revision, percents))
    assert [name for name, _ in found] == expected


def test_a_revision_and_a_traffic_violation_say_what_knative_says():
    ((_, prefix),) = pp.violations(pp.KNATIVE_SERVICE, knative_service("v2", [100]))
    assert prefix == "revision name 'v2' must start with 'api-': Knative's webhook refuses it"
    ((_, traffic),) = pp.violations(pp.KNATIVE_SERVICE, knative_service("api-v2", [90]))
    assert traffic == "traffic percents sum to 90, must be 100: Knative's webhook refuses it"


@pytest.mark.parametrize("stack", DEPLOYED)
def test_each_stack_passes_with_its_own_policy_config_and_needs_every_relaxation_in_it(stack):
    resources = [(v["type"], v.get("inputs") or {}) for v in golden(stack).values()]
    config = stack_config(stack)
    assert pp.check_resources(resources, config) == []
    for policy, relaxed in config.items():
        (flag,) = relaxed
        assert pp.RELAXATIONS[flag] == policy  # each named relaxation waives exactly its own policy
        without = {k: v for k, v in config.items() if k != policy}
        assert [name for name, _ in pp.check_resources(resources, without)] == [policy]


BINAUTHZ_CASES = [
    ("binauthz-deny-by-default", "defaultAdmissionRule.evaluationMode", "ALWAYS_ALLOW"),
    ("binauthz-deny-by-default", "clusterAdmissionRules",
     [{"cluster": "europe-west1.knative-prod", "evaluationMode": "ALWAYS_ALLOW",
       "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}]),
    ("binauthz-deny-by-default", "admissionWhitelistPatterns", [{"namePattern": "docker.io/**"}]),
    ("binauthz-deny-by-default", "admissionWhitelistPatterns", [{"namePattern": "*"}]),
    ("binauthz-enforced", "defaultAdmissionRule.enforcementMode", "DRYRUN_AUDIT_LOG_ONLY"),
]


@pytest.mark.parametrize(("policy", "path", "value"), BINAUTHZ_CASES,
                         ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in BINAUTHZ_CASES])
def test_each_binary_authorization_policy_fails_the_one_setting_it_guards(policy, path, value):
    props = put(of_type("prod", pp.BINAUTHZ_POLICY), path, value)
    assert [name for name, _ in pp.violations(pp.BINAUTHZ_POLICY, props)] == [policy]


def test_prods_image_policy_denies_by_default_and_blocks():
    props = of_type("prod", pp.BINAUTHZ_POLICY)
    assert props["defaultAdmissionRule"] == {"evaluationMode": "ALWAYS_DENY",
                                             "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}
    assert pp.violations(pp.BINAUTHZ_POLICY, props) == []
    ((_, message),) = pp.violations(pp.BINAUTHZ_POLICY, put(props, "defaultAdmissionRule.enforcementMode",
                                                            "DRYRUN_AUDIT_LOG_ONLY"))
    assert "relax binaryAuthorizationDryRun" in message
    assert pp.violations(pp.BINAUTHZ_POLICY, props, {"binauthz-enforced": {"binaryAuthorizationDryRun": True}}) == []


def test_a_relaxation_waives_only_its_own_policy():
    props = put(put(of_type("prod", pp.CLUSTER), "deletionProtection", False), "enableLegacyAbac", True)
    relaxed = {"gke-deletion-protection": {"noDeletionProtection": True},
               "gke-no-legacy-abac": {"noDeletionProtection": True}}
    assert [name for name, _ in pp.violations(pp.CLUSTER, props, relaxed)] == ["gke-no-legacy-abac"]


def test_the_pack_serves_every_rule_with_its_relaxation_as_policy_config():
    policies = {p.name: p for p in pp.resource_policies()}
    assert list(policies) == [rule.name for rule in pp.RULES]
    for rule in pp.RULES:
        schema = policies[rule.name].config_schema
        if rule.relaxation:
            assert schema.properties[rule.relaxation]["type"] == "boolean"
        for setting, (_, default) in rule.settings.items():
            assert schema.properties[setting] == {**schema.properties[setting], "type": "integer", "default": default}
        if not rule.relaxation and not rule.settings:
            assert schema is None
    main = (ROOT / "policy" / "__main__.py").read_text()
    assert "PolicyPack(name=PACK_NAME" in main and "resource_policies()" in main
    pulumi_policy = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert pulumi_policy["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}


def test_the_pack_pins_the_programs_pulumi_sdk():
    pins = dict(line.split("==") for line in (ROOT / "policy" / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    program = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                   if "==" in line and not line.startswith("#"))
    assert pins["pulumi"] == program["pulumi"]
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert f"pulumi-policy=={pins['pulumi-policy']}" in dev  # the tests use the pack's own release


def test_the_policy_configs_name_only_real_policies_and_relaxations():
    for path in sorted((ROOT / "policy" / "config").glob("*.json")):
        assert Path(path).stem in DEPLOYED
        for policy, relaxed in json.loads(path.read_text()).items():
            assert policy in {r.name for r in pp.RULES}, f"{path.name}: unknown policy {policy}"
            settings = {s for rule in pp.RULES if rule.name == policy for s in rule.settings}
            assert set(relaxed) <= set(pp.RELAXATIONS) | settings, f"{path.name}: unknown relaxation in {policy}"


# -- issue 22, item 11: what the pack passed and must refuse ---------------------------------------------


def test_a_node_pool_with_no_node_config_gets_the_defaults_the_pack_refuses():
    pool = of_type("prod", pp.NODE_POOL)
    del pool["nodeConfig"]
    found = {name for name, _ in pp.violations(pp.NODE_POOL, pool)}
    assert {"gke-node-metadata-server", "gke-node-secure-boot", "gke-node-service-account"} <= found


def test_a_cluster_that_keeps_its_default_pool_without_a_node_config_is_refused():
    cluster = put(put(of_type("prod", pp.CLUSTER), "nodeConfig", DELETE), "removeDefaultNodePool", DELETE)
    assert "gke-node-service-account" in {name for name, _ in pp.violations(pp.CLUSTER, cluster)}
    # the platform's own cluster removes the default pool: its nodeConfig only shapes that short-lived pool
    removed = put(of_type("prod", pp.CLUSTER), "nodeConfig", DELETE)
    assert pp.violations(pp.CLUSTER, removed) == []


@pytest.mark.parametrize("path", ["privateClusterConfig.enablePrivateEndpoint", "privateClusterConfig"])
def test_a_private_endpoint_left_to_its_default_is_a_public_endpoint(path):
    cluster = put(of_type("prod", pp.CLUSTER), path, DELETE)
    assert "gke-private-endpoint" in {name for name, _ in pp.violations(pp.CLUSTER, cluster)}


@pytest.mark.parametrize("change", [{"sourceRanges": DELETE}, {"sourceRanges": []}])
def test_an_ingress_rule_with_no_source_is_refused(change):
    rule = of_type("prod", pp.FIREWALL)
    for key, value in change.items():
        put(rule, key, value)
    assert [name for name, _ in pp.violations(pp.FIREWALL, rule)] == ["no-open-ingress-firewall"]
    assert pp.violations(pp.FIREWALL, {**rule, "sourceTags": ["ci"]}) == []
    assert pp.violations(pp.FIREWALL, {**rule, "direction": "EGRESS"}) == []


@pytest.mark.parametrize(("type_", "props"), [
    ("gcp:cloudrun/iamMember:IamMember", {"role": "roles/run.invoker", "member": "allUsers"}),
    ("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", {"role": "roles/run.invoker", "member": "allUsers"}),
    ("gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
     {"role": "roles/run.invoker", "members": ["user:a@example.com", "allAuthenticatedUsers"]}),
    ("gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
     {"policyData": json.dumps({"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]})}),
    ("gcp:projects/iAMPolicy:IAMPolicy",
     {"policyData": json.dumps({"bindings": [{"role": "roles/owner", "members": ["user:a@example.com"]}]})}),
    ("gcp:secretmanager/secretIamMember:SecretIamMember", {"role": "roles/editor", "member": "user:a@example.com"}),
])
def test_a_public_or_primitive_grant_is_refused_on_every_iam_type(type_, props):
    assert [name for name, _ in pp.violations(type_, props)] == ["no-public-or-primitive-iam"]


def test_an_iam_policy_not_known_until_apply_passes():
    assert pp.violations("gcp:projects/iAMPolicy:IAMPolicy", {"policyData": "(known after apply)"}) == []
    assert pp.violations("gcp:projects/iAMPolicy:IAMPolicy", {"policyData": None}) == []


def deployment(pod: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
            "spec": {"template": {"spec": pod}}}


CONTAINER = {"name": "c", "image": "example.com/app@sha256:" + "0" * 64}


@pytest.mark.parametrize(("type_", "props", "policy"), [
    ("kubernetes:core/v1:Service", {"metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "LoadBalancer"}},
     "k8s-no-loadbalancer-service"),
    ("kubernetes:apps/v1:Deployment",
     deployment({"containers": [{**CONTAINER, "securityContext": {"privileged": True}}]}), "k8s-no-privileged-pods"),
    ("kubernetes:apps/v1:DaemonSet", deployment({"hostNetwork": True, "containers": [CONTAINER]}),
     "k8s-no-privileged-pods"),
    ("kubernetes:core/v1:Pod", {"spec": {"initContainers": [{**CONTAINER, "securityContext": {"privileged": True}}],
                                         "containers": [CONTAINER]}}, "k8s-no-privileged-pods"),
    ("kubernetes:batch/v1:CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "hostPID": True, "containers": [CONTAINER]}}}}}}, "k8s-no-privileged-pods"),
    ("kubernetes:serving.knative.dev/v1:Service", {"metadata": {"name": "api"}, "spec": {"template": {"spec": {
        "containers": [CONTAINER], "volumes": [{"name": "tmp", "emptyDir": {}}]}}}}, "k8s-emptydir-size-limit"),
    ("kubernetes:apps/v1:StatefulSet", deployment({"containers": [CONTAINER],
                                                   "volumes": [{"name": "t", "emptyDir": {"medium": "Memory"}}]}),
     "k8s-emptydir-size-limit"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
     {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "User", "name": "system:anonymous"}]}, "k8s-no-anonymous-bindings"),
    ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
     {"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "Group", "name": "system:unauthenticated"}]},
     "k8s-no-anonymous-bindings"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
     {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "Group", "name": "system:authenticated"}]}, "k8s-no-anonymous-bindings"),
])
def test_kubernetes_objects_the_platform_would_never_author_are_refused(type_, props, policy):
    assert [name for name, _ in pp.violations(type_, props)] == [policy]


def test_the_kubernetes_rules_pass_what_the_platform_and_its_gateways_use():
    kourier = {"metadata": {"name": "kourier", "namespace": "kourier-system"}, "spec": {"type": "LoadBalancer"}}
    assert pp.violations("kubernetes:core/v1:Service", kourier) == []  # net-kourier's gateway Service
    limited = deployment({"containers": [CONTAINER], "volumes": [{"name": "t", "emptyDir": {"sizeLimit": "1Gi"}}]})
    assert pp.violations("kubernetes:apps/v1:Deployment", limited) == []
    binding = {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "ServiceAccount", "name": "ops", "namespace": "ops"}]}
    assert pp.violations("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", binding) == []
    for stack in [*DEPLOYED, "local"]:
        assert [v for v in pp.check_resources((v["type"], v.get("inputs") or {}) for v in golden(stack).values())
                if v[0].startswith("k8s-")] == []


# -- issue 22, item 12: the whole internet in two halves -----------------------------------------------------


@pytest.mark.parametrize("cidrs", [["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
                                   ["8.0.0.0/8"], ["1.2.0.0/15"], ["::/1", "8000::/1"]])
def test_authorized_networks_are_judged_by_their_union(cidrs):
    blocks = [{"cidrBlock": c, "displayName": f"n{i}"} for i, c in enumerate(cidrs)]
    cluster = put(of_type("prod", pp.CLUSTER), "masterAuthorizedNetworksConfig.cidrBlocks", blocks)
    assert [name for name, _ in pp.violations(pp.CLUSTER, cluster)] == ["gke-master-authorized-networks"]


@pytest.mark.parametrize("cidrs", [["198.51.100.0/24", "203.0.113.0/24"], ["10.0.0.0/8", "172.16.0.0/12"],
                                   ["1.2.0.0/16"]])
def test_named_networks_within_the_maximum_pass(cidrs):
    blocks = [{"cidrBlock": c, "displayName": f"n{i}"} for i, c in enumerate(cidrs)]
    cluster = put(of_type("prod", pp.CLUSTER), "masterAuthorizedNetworksConfig.cidrBlocks", blocks)
    assert pp.violations(pp.CLUSTER, cluster) == []


def test_google_clouds_public_addresses_are_not_authorized_networks():
    cluster = put(of_type("prod", pp.CLUSTER), "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", True)
    assert [name for name, _ in pp.violations(pp.CLUSTER, cluster)] == ["gke-master-authorized-networks"]


# -- IAM coverage, derived from the pulumi-gcp SDK ----------------------------------------------------------


def sdk_resources() -> dict[str, set[str]]:
    """Every resource type of the installed pulumi-gcp, with the names of its inputs, read from the SDK's source.

    The SDK registers each type as ``super(<Class>, __self__).__init__('<token>', ...)`` after a
    ``_internal_init`` whose parameters are the inputs; reading the files (1,500 types) is much faster
    than importing every module.
    """
    import pulumi_gcp

    found: dict[str, set[str]] = {}
    token = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(gcp:[^']+)'")
    init = re.compile(r"def _internal_init\(__self__,(.*?)\):", re.S)
    for path in Path(pulumi_gcp.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        match, params = token.search(text), init.search(text)
        if match and params:
            found[match.group(1)] = set(re.findall(r"(\w+):", params.group(1)))
    return found


def test_the_iam_rule_covers_exactly_the_sdks_grant_types_by_pattern():
    resources = sdk_resources()
    assert len(resources) > 1000
    shapes = {"member": {"role", "member"}, "members": {"role", "members"}, "policyData": {"policy_data"}}
    grants = {t: next(k for k, needed in shapes.items() if needed <= inputs) for t, inputs in resources.items()
              if any(needed <= inputs for needed in shapes.values())
              and not t.endswith("Remove")}  # *IamMemberRemove takes a member away: it grants nothing
    assert len(grants) > 400
    matched = {t for t in resources if pp.IAM_TYPES.match(t)}
    assert matched == set(grants)  # every member, binding and policy type of the SDK, and nothing else
    for type_, field in grants.items():  # the field the rule reads is the one the type has
        assert pp.iam_field(type_) == field, type_
        props = {"role": "roles/viewer", "member": "allUsers", "members": ["allUsers"],
                 "policyData": json.dumps({"bindings": [{"role": "roles/viewer", "members": ["allUsers"]}]})}
        assert pp.violations(type_, {"role": props["role"], field: props[field]}), type_


def test_the_offline_review_reads_iam_grants_by_the_same_pattern():
    from knative_platform.offline.rules import IAM_GRANT_TYPES, security_topics

    assert IAM_GRANT_TYPES.pattern == pp.IAM_TYPES.pattern
    for type_ in ("gcp:cloudrunv2/serviceIamMember:ServiceIamMember", "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
                  "gcp:secretmanager/secretIamBinding:SecretIamBinding"):
        assert "IAM" in security_topics(type_, None)


def test_a_broker_must_not_be_in_memory_unless_the_stack_relaxes_it():
    from conftest import committed

    (broker,) = committed("staging").by_type(pp.BROKER)  # staging's in-memory broker, relaxed in its config
    assert [name for name, _ in pp.violations(pp.BROKER, broker.inputs, {})] == ["knative-durable-broker"]
    assert pp.violations(pp.BROKER, broker.inputs, {"knative-durable-broker": {"inMemoryBroker": True}}) == []
    kafka = {"metadata": {"annotations": {"eventing.knative.dev/broker.class": "Kafka"}}}
    assert pp.violations(pp.BROKER, kafka, {}) == []
    assert pp.violations(pp.BROKER, {"metadata": {}}, {}) == []  # unknown until apply


def test_every_hardened_gke_setting_names_the_pack_rule_that_checks_it():
    """gcp_args/gke.py gives each hardened setting a why and ``[rule-id]`` (or ``[no rule]``): the ids are the
    pack's, and every pack rule on the cluster or its node pools is named there, beside the setting it checks."""
    text = (ROOT / "components" / "gcp_args" / "gke.py").read_text(encoding="utf-8")
    named = set(re.findall(r"#.*\[([a-z0-9-]+)\]", text))  # "[no rule]" has a space: never an id
    rules = {rule.name for rule in pp.RULES}
    assert named - rules == set()
    gke_rules = {rule.name for rule in pp.RULES if any(rule.applies(t) for t in (pp.CLUSTER, pp.NODE_POOL))}
    assert gke_rules - named == set()
