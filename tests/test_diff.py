"""The offline diff: two renders (or two git refs) in, a review a pull request can carry out."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS, run_stack

from knative_platform.offline import report
from knative_platform.offline.__main__ import main
from knative_platform.offline.diff import Action, FindingKind, Render, compare, load_renders, redact
from knative_platform.offline.render import render_files, write_tree
from knative_platform.offline.renders import load_render
from knative_platform.offline.rules import knative_minor_skip, replacement_reasons, security_topics
from knative_platform.offline.secrets import PLAIN_TEXT, REDACTED
from knative_platform.offline.stackfile import load_program_config

KSVC = "kubernetes:serving.knative.dev/v1:Service"
CLUSTER = "gcp:container/cluster:Cluster"


def render_all(out: Path, overrides: dict | None = None, secrets: dict | None = None,
               unchanged_from: Path | None = None) -> Path:
    """Every stack rendered into ``out/<stack>``; ``overrides``/``secrets`` map a stack to its changes.

    With ``unchanged_from`` (a render of the committed stacks), stacks without
    changes are copied from it instead of rendered again: renders are
    deterministic, and this keeps the suite fast.
    """
    for stack in STACKS:
        if unchanged_from is not None and stack not in (overrides or {}) and stack not in (secrets or {}):
            shutil.copytree(unchanged_from / stack, out / stack)
            continue
        render_stack(out / stack, stack, (overrides or {}).get(stack), (secrets or {}).get(stack))
    return out


def render_stack(out: Path, stack: str, overrides: dict | None = None, secrets: dict | None = None) -> Path:
    """``stack`` with ``overrides`` and ``secrets`` rendered into ``out``, as ``knative-platform render`` writes it."""
    program = load_program_config(ROOT, stack)
    # as a `secure:` value in the stack file would show: the key, never the value
    keys = {f"knative-platform:{k}": REDACTED for k in secrets or {}}
    program = replace(program, config={**program.config, **keys},
                      secret_keys=tuple(sorted({*program.secret_keys, *keys})))
    write_tree(render_files(run_stack(stack, overrides, secrets=secrets or {}), program), out)
    return out


def staging_services() -> dict:
    return json.loads(load_program_config(ROOT, "staging").config["knative-platform:services"])


def copy(render: Path, to: Path) -> Path:
    shutil.copytree(render, to)
    return to


@functools.cache
def read_clean(clean: Path) -> dict[str, Render]:
    """The committed renders (the session's ``clean`` directory, which no test edits), read once per file."""
    return load_renders(clean)


def review_of(clean: Path, tmp_path: Path, overrides: dict | None = None):
    """The review of the stacks ``overrides`` changes, each rendered into ``tmp_path/head`` and read back.

    The stacks it leaves unchanged are the committed renders as already read: renders are deterministic, so a
    copy of their files would read back the same.
    """
    head = dict(read_clean(clean))
    for stack, changes in (overrides or {}).items():
        head[stack] = load_render(render_stack(tmp_path / "head" / stack, stack, changes), stack)
    return compare(read_clean(clean), head)


def changes_section(summary: str) -> str:
    return summary.split("### Changes", 1)[1].split("\n---\n", 1)[0]


# -- Done when: a canary percent change names exactly that resource and that field ----------------


def test_a_canary_percent_change_names_exactly_that_resource_and_field(clean, tmp_path):
    services = staging_services()
    services["helloworld-go"]["traffic"]["canary"]["percent"] = 50
    review = review_of(clean, tmp_path, {"staging": {"services": services}})

    assert [s.label for s in review.stacks if s.status != "unchanged"] == ["staging"]
    (change,) = review.stack("staging").changes
    assert (change.key, change.action, change.display) == (
        f"{KSVC}::helloworld-go", Action.UPDATE, "Service default/helloworld-go")
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("spec.traffic[0].percent", 80, 50), ("spec.traffic[1].percent", 20, 50)]
    assert review.findings == ()

    text = report.summary(review, title="review", detail="`detail.md`")
    changes = changes_section(text)
    assert changes.count("**~ update**") == 1
    assert "`Service default/helloworld-go`" in changes
    assert "- spec.traffic[0].percent: 80\n+ spec.traffic[0].percent: 50" in changes
    assert "- spec.traffic[1].percent: 20\n+ spec.traffic[1].percent: 50" in changes
    diff_lines = [line for line in changes.splitlines() if line[:2] in ("- ", "+ ")]
    assert diff_lines == ["- spec.traffic[0].percent: 80", "+ spec.traffic[0].percent: 50",
                          "- spec.traffic[1].percent: 20", "+ spec.traffic[1].percent: 50",
                          # the stack's `traffic` output states the same shares
                          "- traffic.helloworld-go[0].percent: 80", "+ traffic.helloworld-go[0].percent: 50",
                          "- traffic.helloworld-go[1].percent: 20", "+ traffic.helloworld-go[1].percent: 50"]
    assert "| `staging` | `KnativeApp helloworld-go` |  | 1 |  |  |" in text


# -- Done when: a prod authorized-network change is in the security section ----------------------


def with_cluster(render_dir: Path, cidrs: list[str]) -> None:
    """Add a GKE cluster as the GKE component registers it (pulumi-gcp input names) to a render."""
    resources = yaml.safe_load((render_dir / "resources.yaml").read_text())
    resources[f"{CLUSTER}::knative"] = {
        "type": CLUSTER, "name": "knative", "parent": "knative-platform:index:Platform::platform",
        "provider": "pulumi:providers:gcp::gcp",
        "inputs": {
            "name": "knative-prod", "location": "europe-west1", "deletionProtection": True,
            "masterAuthorizedNetworksConfig": {"cidrBlocks": [
                {"cidrBlock": cidr, "displayName": f"net-{i}"} for i, cidr in enumerate(cidrs)]},
            "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": False,
                                     "masterIpv4CidrBlock": "172.16.0.0/28"},
        },
    }
    (render_dir / "resources.yaml").write_text(yaml.safe_dump(resources, sort_keys=True))


def test_an_authorized_network_change_in_prod_is_in_the_security_section(clean, tmp_path):
    base, head = copy(clean, tmp_path / "base"), copy(clean, tmp_path / "head")
    with_cluster(base / "prod", ["198.51.100.0/24"])
    with_cluster(head / "prod", ["198.51.100.0/24", "0.0.0.0/0"])
    review = compare(load_renders(base), load_renders(head))

    (finding,) = review.findings
    assert (finding.kind, finding.stack, finding.resource, finding.topic) == (
        FindingKind.SECURITY, "prod", "Cluster knative", "master authorized networks")
    assert '`masterAuthorizedNetworksConfig.cidrBlocks[1].cidrBlock`: `(absent)` -> `"0.0.0.0/0"`' in finding.message
    (change,) = review.stack("prod").changes
    assert change.action is Action.UPDATE  # authorized networks change in place

    text = report.summary(review, title="review", detail="`detail.md`")
    security = text.index("### Security-relevant changes")
    assert security < text.index("### Changes")
    line = text[security:].splitlines()[1]
    assert line.startswith("- **`prod`** `Cluster knative` — master authorized networks: ")
    assert "0.0.0.0/0" in line


def prod_cluster_config(**changes) -> dict:
    cluster = json.loads(load_program_config(ROOT, "prod").config["knative-platform:cluster"])
    return {**cluster, **changes}


def test_a_real_prod_authorized_network_change_is_in_the_security_section(clean, tmp_path):
    # through the real GKE stack config, not a synthetic render
    office = [{"cidr": "198.51.100.0/24", "name": "office"}]
    review = review_of(clean, tmp_path, {"prod": {"cluster": prod_cluster_config(authorizedNetworks=office)}})
    security = [f for f in review.findings if f.kind is FindingKind.SECURITY]
    assert [(f.stack, f.resource, f.topic) for f in security] == [
        ("prod", "Cluster knative-prod-cluster", "master authorized networks")]
    assert "198.51.100.0/24" in security[0].message
    (change,) = review.stack("prod").changes
    assert change.action is Action.UPDATE
    text = report.summary(review, title="review", detail="`detail.md`")
    assert text.index("### Security-relevant changes") < text.index("### Changes")


def test_turning_off_prod_deletion_protection_is_security_relevant(clean, tmp_path):
    # the documented teardown path: prod refuses the relaxation, so the profile goes down to staging first
    cluster = prod_cluster_config(profile="staging", relax={"noDeletionProtection": True})
    review = review_of(clean, tmp_path, {"prod": {"cluster": cluster}})
    topics = {(f.resource, f.topic) for f in review.findings if f.kind is FindingKind.SECURITY}
    assert ("Cluster knative-prod-cluster", "deletion protection") in topics


@pytest.mark.parametrize(("bumped", "skips"), [("knative-v1.24.0", False), ("knative-v1.25.0", True)])
def test_a_knative_upgrade_is_listed_with_its_upstream_versions(clean, tmp_path, monkeypatch, bumped, skips):
    from knative_platform import versions

    for name in ("SERVING_CRDS", "SERVING_CORE", "NET_GATEWAY_API", "NET_KOURIER"):
        pin = getattr(versions, name)
        monkeypatch.setattr(versions, name, replace(pin, version=bumped, url=pin.url.replace(
            versions.KNATIVE_VERSION, bumped)))
    review = review_of(clean, tmp_path, {"dev": {}})
    upgrades = {f.resource: f.message for f in review.findings if f.kind is FindingKind.UPGRADE}
    assert sorted(upgrades) == ["ConfigFile net-gateway-api", "ConfigFile serving-core", "ConfigFile serving-crds"]
    assert all(bumped in message for message in upgrades.values())
    assert all("not visible offline" in message for message in upgrades.values())
    links = {f.resource: dict(f.links) for f in review.findings if f.kind is FindingKind.UPGRADE}
    assert links["ConfigFile serving-core"][f"all changes knative-v1.23.0...{bumped}"] == \
        f"https://github.com/knative/serving/compare/knative-v1.23.0...{bumped}"
    assert links["ConfigFile net-gateway-api"][f"release notes of {bumped}"] == \
        f"https://github.com/knative-extensions/net-gateway-api/releases/tag/{bumped}"
    text = report.summary(review, title="t", detail="d")
    assert f"(https://github.com/knative/serving/compare/knative-v1.23.0...{bumped})" in text
    assert not any("skips a minor version" in message for message in upgrades.values())
    # A skipped minor is said once, in the first tier, however many bundles and stacks carry it.
    paths = [f for f in review.findings if f.topic == "upgrade path"]
    assert len(paths) == (1 if skips else 0)
    if skips:
        assert paths[0].kind is FindingKind.REFUSED and paths[0].stack == "dev"
        assert "Knative 1.23 -> 1.25 skips a minor version" in paths[0].message


def test_gke_fields_that_force_a_new_cluster_are_replacements(clean, tmp_path):
    base, head = copy(clean, tmp_path / "base"), copy(clean, tmp_path / "head")
    with_cluster(base / "prod", ["198.51.100.0/24"])
    with_cluster(head / "prod", ["198.51.100.0/24"])
    resources = yaml.safe_load((head / "prod" / "resources.yaml").read_text())
    cluster = resources[f"{CLUSTER}::knative"]["inputs"]
    cluster["privateClusterConfig"]["masterIpv4CidrBlock"] = "172.16.0.16/28"
    cluster["deletionProtection"] = False
    (head / "prod" / "resources.yaml").write_text(yaml.safe_dump(resources))
    review = compare(load_renders(base), load_renders(head))
    kinds = {(f.kind, f.topic) for f in review.findings}
    assert (FindingKind.REPLACE, "replace") in kinds
    assert (FindingKind.SECURITY, "deletion protection") in kinds
    assert (FindingKind.SECURITY, "private endpoint and nodes") in kinds
    (change,) = review.stack("prod").changes
    assert change.action is Action.REPLACE
    assert change.reasons == ("`privateClusterConfig.masterIpv4CidrBlock`: forces a new resource in pulumi-gcp",)


# -- Done when: a secret value never appears in any render or diff output ------------------------


def test_secret_values_never_appear_in_renders_or_in_the_diff(clean, tmp_path, capsys):
    base = clean
    head = render_all(tmp_path / "head", secrets={"local": {"kubeconfig": "users: [{token: HEAD-SECRET-VALUE}]"}},
                      unchanged_from=clean)
    # A render from elsewhere (an older tool, a hand edit) that carries plain credentials: the diff redacts them.
    resources = yaml.safe_load((head / "staging" / "resources.yaml").read_text())
    resources["kubernetes:core/v1:Secret::db"] = {
        "type": "kubernetes:core/v1:Secret", "name": "db", "parent": None,
        "inputs": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default"},
                   "stringData": {"password": "STRINGDATA-SECRET-VALUE"}, "data": {"key": "REFSBS1TRUNSRVQ="}},
    }
    service = resources[f"{KSVC}::helloworld-go"]["inputs"]["spec"]["template"]["spec"]["containers"][0]
    service["env"].append({"name": "DB_PASSWORD", "value": "ENV-SECRET-VALUE"})
    (provider,) = [k for k in resources if k.startswith("pulumi:providers:kubernetes::")]
    resources[provider]["inputs"]["kubeconfig"] = "KUBECONFIG-SECRET-VALUE"
    (head / "staging" / "resources.yaml").write_text(yaml.safe_dump(resources))

    summary, detail = tmp_path / "summary.md", tmp_path / "detail.md"
    assert main(["diff", str(base), str(head), "--summary", str(summary), "--detail", str(detail)]) == 0
    assert main(["diff", str(base), str(head), "--detail", str(tmp_path / "detail2.md")]) == 0
    outputs = [summary.read_text(), detail.read_text(), capsys.readouterr().out]
    renders = [p.read_text() for side in (base, head) for p in side.rglob("*.yaml") if p.parent.name != "staging"
               or p.name != "resources.yaml"]
    secrets = ("HEAD-SECRET-VALUE", "STRINGDATA-SECRET-VALUE",
               "REFSBS1TRUNSRVQ=", "ENV-SECRET-VALUE", "KUBECONFIG-SECRET-VALUE")
    for text in outputs + renders:
        for secret in secrets:
            assert secret not in text
    assert "`knative-platform:kubeconfig` is now set as a secret" in outputs[0]
    assert '+ stringData.password: "[secret]"' in outputs[1]
    assert "`Secret default/db`" in outputs[0]  # still reviewed, as a security-relevant creation


def test_redaction_keeps_names_and_references_but_not_values():
    obj = {"kind": "Secret", "data": {"a": "x"}, "metadata": {"name": "s"},
           "spec": {"env": [{"name": "API_TOKEN", "value": "t"}, {"name": "TARGET", "value": "world"},
                            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                    "auth": {"password": "p", "username": "u", "kubeconfig": None}}}
    assert redact(obj, "Secret") == {
        "kind": "Secret", "data": {"a": "[secret]"}, "metadata": {"name": "s"},
        "spec": {"env": [{"name": "API_TOKEN", "value": PLAIN_TEXT}, {"name": "TARGET", "value": "world"},
                         {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                 "auth": {"password": PLAIN_TEXT, "username": "u", "kubeconfig": None}}}


# -- the other things a reviewer must see first ----------------------------------------------


def test_a_template_change_that_keeps_its_revision_name_is_flagged_as_refused(clean, tmp_path):
    services = staging_services()
    services["helloworld-go"]["env"]["TARGET"] = "changed without a new revision"
    review = review_of(clean, tmp_path, {"staging": {"services": services}})
    (finding,) = [f for f in review.findings if f.kind is FindingKind.REFUSED]
    assert finding.resource == "Service default/helloworld-go"
    assert "keeps its name `helloworld-go-v2`; Knative's webhook refuses that update" in finding.message
    text = report.summary(review, title="t", detail="d")
    assert text.index("### Refused by Knative") < text.index("### Changes")


def test_a_template_change_with_a_new_revision_is_fine(clean, tmp_path):
    services = staging_services()
    services["helloworld-go"]["env"]["TARGET"] = "v3"
    services["helloworld-go"]["revision"] = "v3"
    services["helloworld-go"]["traffic"]["canary"]["stable"] = "v2"
    review = review_of(clean, tmp_path, {"staging": {"services": services}})
    assert review.findings == ()
    (change,) = review.stack("staging").changes
    assert change.action is Action.UPDATE


def test_deleting_a_service_is_listed_under_deletions(clean, tmp_path):
    services = staging_services()
    del services["greeter"]
    review = review_of(clean, tmp_path, {"staging": {"services": services}})
    deleted = sorted((f.resource, f.kind) for f in review.findings)
    assert deleted == [("KnativeApp greeter", FindingKind.DELETE), ("Service default/greeter", FindingKind.DELETE)]
    text = report.summary(review, title="t", detail="d")
    assert "| `staging` | `KnativeApp greeter` |  |  |  | 2 |" in text
    assert "**- delete** `Service default/greeter`" in text


def test_moving_a_service_to_another_namespace_is_a_replacement(clean, tmp_path):
    services = staging_services()
    services["greeter"]["namespace"] = "internal"
    review = review_of(clean, tmp_path, {"staging": {"services": services}})
    replaced = [c for c in review.stack("staging").changes if c.action is Action.REPLACE]
    assert [c.display for c in replaced] == ["Service internal/greeter"]
    assert replaced[0].reasons == ("`metadata.namespace`: a Kubernetes object's identity (kind, namespace, name) "
                                   "cannot change in place",)
    created = [c.display for c in review.stack("staging").changes if c.action is Action.CREATE]
    assert created == ["Namespace internal"]


def test_making_a_service_public_is_security_relevant(clean, tmp_path):
    services = staging_services()
    services["greeter"]["visibility"] = "public"
    review = review_of(clean, tmp_path, {"staging": {"services": services}})
    (finding,) = review.findings
    assert (finding.kind, finding.topic, finding.resource) == (
        FindingKind.SECURITY, "visibility", "Service default/greeter")
    assert finding.message.endswith("(the service becomes reachable from outside the cluster)")


def test_a_new_cluster_identity_replaces_every_kubernetes_object(clean, tmp_path):
    review = review_of(clean, tmp_path, {"local": {"cluster": {"type": "existing", "context": "another-cluster"}}})
    replaced = [f for f in review.findings if f.kind is FindingKind.REPLACE]
    assert [f.resource for f in replaced] == ["kubernetes provider kubernetes"]
    managed = sum(1 for r in yaml.safe_load((clean / "local" / "resources.yaml").read_text()).values()
                  if r.get("provider") == "pulumi:providers:kubernetes::kubernetes")
    assert managed > 10  # the whole platform install and the apps
    assert f"Pulumi replaces every Kubernetes object this provider manages ({managed} in this stack)" in (
        replaced[0].message)
    assert {f.topic for f in review.findings if f.kind is FindingKind.SECURITY} == {"Kubernetes credentials"}


def _render(resources: dict) -> Render:
    return Render("s", "p", "s", {}, {}, resources)


def test_a_renamed_resource_is_a_replacement_that_suggests_aliases():
    entry = {"type": KSVC, "name": "api", "parent": "knative-platform:index:KnativeApp::api",
             "inputs": {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                        "metadata": {"name": "api", "namespace": "default"}}}
    renamed = {**entry, "name": "api-service"}
    review = compare({"s": _render({f"{KSVC}::api": entry})}, {"s": _render({f"{KSVC}::api-service": renamed})})
    (change,) = review.stack("s").changes
    assert change.action is Action.REPLACE
    assert "give the resource `aliases` to keep it" in change.reasons[0]



def _rename(new_name: str, aliases: list):
    """The review of Gloo("gloo") with a namespace child becoming Kgateway(``new_name``): it and each key's action."""
    child = {"type": "kubernetes:core/v1:Namespace", "name": "kgateway-system",
             "inputs": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kgateway-system"}}}
    before = {"knative-platform:index:Gloo::gloo": {"type": "knative-platform:index:Gloo", "name": "gloo",
                                                    "inputs": {}, "parent": "knative-platform:index:Platform::p"},
              "kubernetes:core/v1:Namespace::kgateway-system": {**child, "parent": "knative-platform:index:Gloo::gloo"}}
    parent = f"knative-platform:index:Kgateway::{new_name}"
    after = {parent: {"type": "knative-platform:index:Kgateway", "name": new_name, "inputs": {},
                      "parent": "knative-platform:index:Platform::p", "options": {"aliases": aliases}},
             "kubernetes:core/v1:Namespace::kgateway-system": {**child, "parent": parent}}
    review = compare({"s": _render(before)}, {"s": _render(after)})
    return review, {c.key: c.action for c in review.stack("s").changes}


GLOO_ALIAS = {"spec": {"name": "gloo", "parentUrn": "", "type": "knative-platform:index:Gloo"}}


def test_a_component_renamed_with_an_alias_keeps_itself_and_its_children():
    """Pulumi finds the component by its alias and each child by the alias its parent's implies: nothing replaced."""
    review, actions = _rename("ingress", [GLOO_ALIAS])
    assert actions == {"knative-platform:index:Kgateway::ingress": Action.UPDATE,
                       "kubernetes:core/v1:Namespace::kgateway-system": Action.UPDATE}
    assert not [f for f in review.findings if f.kind in (FindingKind.REPLACEMENT, FindingKind.DELETION)]


def test_an_alias_that_does_not_reach_a_child_still_replaces_it():
    """A child whose name starts with its parent's new name is looked for under the old one: "gloo-system"."""
    review, actions = _rename("kgateway", [GLOO_ALIAS])
    assert actions == {"knative-platform:index:Kgateway::kgateway": Action.UPDATE,
                       "kubernetes:core/v1:Namespace::kgateway-system": Action.REPLACE}
    (change,) = [c for c in review.stack("s").changes if c.action is Action.REPLACE]
    assert "gloo-system" in change.reasons[0]


def test_without_the_alias_a_renamed_component_is_deleted_and_its_children_replaced():
    assert _rename("ingress", [])[1] == {"knative-platform:index:Gloo::gloo": Action.DELETE,
                                         "knative-platform:index:Kgateway::ingress": Action.CREATE,
                                         "kubernetes:core/v1:Namespace::kgateway-system": Action.REPLACE}


def test_upstream_bundle_moves_are_listed_with_knative_upgrade_rules():
    def bundle(version: str) -> dict:
        url = f"https://github.com/knative/serving/releases/download/knative-v{version}/serving-core.yaml"
        return {"kubernetes:yaml/v2:ConfigFile::serving-core": {
            "type": "kubernetes:yaml/v2:ConfigFile", "name": "serving-core", "inputs": {"file": url}}}
    review = compare({"s": _render(bundle("1.21.0"))}, {"s": _render(bundle("1.23.0"))})
    skip, upgrade = review.findings
    assert (skip.kind, upgrade.kind) == (FindingKind.REFUSED, FindingKind.UPGRADE)
    assert "skips a minor version; Knative supports upgrading one minor version at a time" in skip.message
    assert knative_minor_skip("knative-v1.23.0", "knative-v1.24.0") is None
    assert "downgrade" in knative_minor_skip("knative-v1.23.0", "knative-v1.22.1")


def test_rules_for_fields_outside_this_branch():
    assert replacement_reasons("gcp:container/nodePool:NodePool", ["nodeConfig.oauthScopes[0]"])
    assert replacement_reasons("gcp:container/nodePool:NodePool", ["autoscaling.maxNodeCount"]) == []
    assert security_topics(CLUSTER, "nodeConfig.serviceAccount") == ["node service account"]
    assert security_topics("gcp:container/nodePool:NodePool", "nodeConfig.serviceAccount") == ["node service account"]
    assert security_topics("gcp:compute/firewall:Firewall", "sourceRanges[0]") == ["firewall"]
    assert security_topics("kubernetes:core/v1:ConfigMap", 'data["external-domain-tls"]') == ["TLS"]
    assert security_topics("pulumi:providers:kubernetes", "(options) protect") == ["deletion protection"]
    assert security_topics(KSVC, "spec.traffic[0].percent") == []


# -- size, output files and the command line --------------------------------------------------


def test_a_large_review_stays_within_the_comment_limit_and_points_to_the_detail():
    def services(image: str) -> dict:
        return {f"{KSVC}::svc-{i}": {
            "type": KSVC, "name": f"svc-{i}",
            "inputs": {"kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "default"},
                       "spec": {"template": {"spec": {"containers": [{"image": image + "x" * 400}]}}}}}
            for i in range(400)}
    review = compare({"s": _render(services("a"))}, {"s": _render(services("b"))})
    text = report.summary(review, title="big", detail="the `offline-review` artifact")
    assert len(text) <= report.DEFAULT_LIMIT < report.GITHUB_COMMENT_LIMIT
    assert "more change block(s) not shown" in text
    assert text.rstrip().endswith("Full detail: the `offline-review` artifact.")
    assert "(103 more characters in the detail file)" in text
    full = report.detail(review, title="big")
    assert "`Service default/svc-399`" in full and "x" * 400 in full


def test_no_changes_says_so(clean, tmp_path):
    review = compare(read_clean(clean), load_renders(clean))  # read twice: two equal trees, not one object
    assert not review.changed
    assert "No changes: the renders of 4 stack(s) are identical." in report.summary(review, title="t", detail="d")


def test_a_new_stack_is_summarised_in_one_line(clean, tmp_path):
    base, head = copy(clean, tmp_path / "base"), clean
    shutil.rmtree(base / "staging")
    review = compare(load_renders(base), load_renders(head))
    assert review.stack("staging").status == "added"
    text = report.summary(review, title="t", detail="d")
    count = len(yaml.safe_load((clean / "staging" / "resources.yaml").read_text()))
    assert f"#### `staging`\na new stack: {count} resources, listed in the detail file" in text
    assert "**+ create** `Service default/greeter`" in report.detail(review, title="t")


def test_cli_requires_two_renders_or_a_ref(tmp_path, capsys):
    assert main(["diff", str(tmp_path)]) == 2
    assert "give two render directories (diff BASE HEAD) or a git ref" in capsys.readouterr().err
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "no renders (directories with a stack.yaml)" in capsys.readouterr().err


def test_a_missing_render_directory_is_an_error_not_every_resource_deleted(clean, tmp_path, capsys):
    assert main(["diff", str(clean), str(tmp_path / "typo")]) == 2
    assert f"{tmp_path / 'typo'}: no such render directory" in capsys.readouterr().err


# -- git refs: each side rendered with its own code --------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env,
                          check=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A repository holding this project; its second commit changes a canary and a renderer."""
    repo = tmp_path_factory.mktemp("repo")
    for name in ("Pulumi.yaml", "__main__.py", "components", "knative_platform", "stacks", "examples"):
        source = ROOT / name
        if source.is_symlink():  # knative_platform -> components, as git keeps it
            (repo / name).symlink_to(source.readlink())
        elif source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "build"))
        else:
            shutil.copy(source, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    staging = repo / "stacks" / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace("      percent: 20", "      percent: 50"))
    labels = repo / "components" / "manifests" / "labels.py"
    labels.write_text(labels.read_text().replace('PART_OF = "knative-platform"', 'PART_OF = "acme-platform"'))
    git(repo, "commit", "-q", "-am", "head")
    return repo


def test_each_git_ref_renders_an_app_project_with_that_refs_own_code(repo, tmp_path):
    """The default run's share of the test below (which runs as an ``e2e`` test): one project, two refs."""
    assert main(["diff", "--base-ref", "HEAD~1", "--head-ref", "HEAD", "--repo", str(repo), "--project",
                 "examples/team-app", "--stack", "prod", "--detail", str(tmp_path / "detail.md"),
                 "--keep-renders", str(tmp_path / "renders")]) == 0
    base, head = load_renders(tmp_path / "renders" / "base"), load_renders(tmp_path / "renders" / "head")
    assert sorted(base) == sorted(head) == ["team-app/prod"]
    label = 'metadata.labels["app.kubernetes.io/part-of"]'
    moved = {(f.before, f.after) for c in compare(base, head).stack("team-app/prod").changes for f in c.fields
             if f.path == label}
    assert moved == {("knative-platform", "acme-platform")}  # each ref rendered with its own renderer


@pytest.mark.e2e  # four fresh interpreters, two of them loading pulumi-gcp: .ci/run's second step runs it
def test_git_refs_are_each_rendered_with_their_own_code_and_the_working_tree_is_the_default_head(repo, tmp_path):
    # HEAD~1 -> the working tree: HEAD changed a canary and a renderer; the working tree flips prod's blue-green.
    prod = repo / "stacks" / "Pulumi.prod.yaml"
    original = prod.read_text()
    prod.write_text(original.replace("live: blue", "live: green"))
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "knative_platform.offline", "diff", "--base-ref", "HEAD~1", "--project", ".",
             "--project", "examples/team-app", "--stack", "staging", "--stack", "prod", "--summary", str(summary),
             "--detail", str(tmp_path / "detail.md"), "--keep-renders", str(tmp_path / "renders")],
            cwd=repo, env=env, capture_output=True, text=True, check=False)
    finally:
        prod.write_text(original)
    assert result.returncode == 0, result.stderr
    base = load_renders(tmp_path / "renders" / "base")
    head = load_renders(tmp_path / "renders" / "head")
    assert sorted(head) == ["knative-platform/prod", "knative-platform/staging", "team-app/prod"]
    label = 'metadata.labels["app.kubernetes.io/part-of"]'
    review = compare(base, head)
    service = next(c for c in review.stack("knative-platform/staging").changes if c.key == f"{KSVC}::helloworld-go")
    changed = {f.path: (f.before, f.after) for f in service.fields}
    assert changed[label] == ("knative-platform", "acme-platform")  # the base used its own renderer
    assert changed["spec.traffic[1].percent"] == (20, 50)
    text = summary.read_text()
    assert text.startswith(report.MARKER)
    assert "## Offline review: HEAD~1 (" in text
    assert "→ the working tree" in text
    assert "- spec.traffic[0].percent: 100\n+ spec.traffic[0].percent: 0" in text
    assert "| `team-app/prod` | `KnativeApp storefront` |" in text
