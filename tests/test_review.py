"""The review a security-minded reviewer reads: every finding, riskiest stack first, trusted code, quiet text.

New stacks get findings like any create; no finding is dropped to fit a
comment; stacks come prod first; lists of named objects diff by name; version
moves say what cannot be seen offline; an app repository renders each ref with
the platform release that ref pins; the comparison runs without the Pulumi SDK
(so the comment workflow computes it with the base branch's code).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, STACKS

from knative_platform.offline import report
from knative_platform.offline.__main__ import main
from knative_platform.offline.diff import Action, FindingKind, Render, compare, flatten, load_renders
from knative_platform.offline.gitrefs import platform_requirement, render_refs

KSVC = "kubernetes:serving.knative.dev/v1:Service"


def without(clean: Path, tmp_path: Path, stack: str) -> Path:
    base = tmp_path / "base"
    shutil.copytree(clean, base)
    shutil.rmtree(base / stack)
    return base


def test_a_new_stack_gets_the_findings_of_everything_it_creates_and_its_relaxations(clean, tmp_path):
    review = compare(load_renders(without(clean, tmp_path, "dev")), load_renders(clean))
    assert review.stack("dev").status == "added"
    found = {(f.resource, f.topic): f.message for f in review.findings if f.stack == "dev"}
    assert found[("Cluster knative-dev-cluster", "private endpoint and nodes")].startswith(
        "created with `privateClusterConfig.enablePrivateEndpoint`: `false`")
    assert found[("Cluster knative-dev-cluster", "deletion protection")] == "created with `deletionProtection`: `false`"
    firewall = found[("Firewall knative-dev-control-plane-webhooks", "firewall")]
    assert firewall.startswith("created with ") and '`direction`: `"INGRESS"`' in firewall
    iam = found[("IAMMember knative-dev-nodes-logging-logWriter", "IAM")]
    assert iam.startswith("created: `roles/logging.logWriter` for `serviceAccount:knative-dev-nodes@")
    assert found[("Service default/helloworld-go", "visibility")] == \
        "a new public service, reachable through the external gateway"
    assert found[("knative-platform:cluster", "relaxations")] == (
        "a new stack whose cluster relaxes `binaryAuthorizationDryRun`, `googleManagedEncryption`, "
        "`noDeletionProtection`, `noGoogleGroups`, `publicEndpoint`, `spotNodes`, `zonalControlPlane`")
    text = report.summary(review, title="t", detail="d")
    assert "### Security-relevant changes" in text and "**`dev`** `Firewall knative-dev-control-plane-webhooks`" in text


def test_a_new_stack_on_its_profiles_relaxations_says_so():
    config = {"knative-platform:cluster": {"type": "gke", "profile": "staging"}}
    review = compare({}, {"qa": Render("qa", "p", "qa", config, {}, {})})
    (finding,) = review.findings
    assert finding.topic == "relaxations"
    assert finding.message == "a new stack whose cluster takes the relaxations of its profile (`staging`)"


def service(i: int, image: str) -> dict:
    metadata = {"name": f"svc-{i}", "namespace": "default",
                "labels": {"networking.knative.dev/visibility": "cluster-local"}}
    return {"type": KSVC, "name": f"svc-{i}", "inputs": {
        "kind": "Service", "metadata": metadata, "spec": {"template": {"spec": {"containers": [{"image": image}]}}}}}


def test_no_finding_is_dropped_silently_under_a_small_limit_messages_are_shortened_and_the_rest_counted():
    base = {f"{KSVC}::svc-{i}": service(i, "a" * 300) for i in range(60)}
    head = {k: {**v, "inputs": {**v["inputs"], "metadata": {"name": v["name"], "namespace": "default"}}}
            for k, v in base.items()}  # every one of them made public: 60 security findings
    review = compare({"s": Render("s", "p", "s", {}, {}, base)}, {"s": Render("s", "p", "s", {}, {}, head)})
    assert len(review.findings) == 60
    text = report.summary(review, title="small", detail="d", limit=4_000)
    assert len(text) <= 4_000
    listed = report.FINDINGS_PER_KIND
    assert all(f"`Service default/svc-{i}`" in text for i in sorted(range(60), key=str)[:listed])
    assert f"… and {60 - listed} more security-relevant changes, all in the full detail: d" in text
    assert "… (whole in the detail file)" in text
    assert "more change block(s) not shown" in text  # the per-field diffs give way, not the findings
    whole = report.summary(review, title="big", detail="d")
    assert "… (whole in the detail file)" not in whole


def test_a_knative_minor_skip_is_said_once_first_for_every_stack_and_bundle():
    def bundles(version: str) -> dict:
        return {f"kubernetes:yaml/v2:ConfigFile::{name}": {
            "type": "kubernetes:yaml/v2:ConfigFile", "name": name, "inputs": {
                "file": f"https://github.com/{repo}/releases/download/knative-v{version}/{name}.yaml"}}
            for name, repo in (("serving-core", "knative/serving"),
                               ("net-gateway-api", "knative-extensions/net-gateway-api"))}
    base = {s: Render(s, "p", s, {}, {}, bundles("1.21.0")) for s in ("dev", "prod")}
    head = {s: Render(s, "p", s, {}, {}, bundles("1.23.0")) for s in ("dev", "prod")}
    review = compare(base, head)
    first, *rest = review.findings
    assert (first.kind, first.stack, first.topic) == (FindingKind.REFUSED, "prod, dev", "upgrade path")
    assert "Knative 1.21 -> 1.23 skips a minor version" in first.message
    assert [f.kind for f in rest] == [FindingKind.UPGRADE] * 4
    assert not any("skips" in f.message for f in rest)
    assert all("not visible offline" in f.message for f in rest)
    text = report.summary(review, title="t", detail="d")
    assert text.count("skips a minor version") == 1


def test_stacks_and_findings_come_in_order_of_risk_prod_first(clean, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(clean, base)
    for stack in STACKS:  # the same deletion in every stack
        services = base / stack / "resources.yaml"
        services.write_text(services.read_text() + (
            f"{KSVC}::old:\n  type: {KSVC}\n  name: old\n  parent: null\n"
            "  inputs: {kind: Service, metadata: {name: old, namespace: default}}\n"))
    review = compare(load_renders(base), load_renders(clean))
    assert [s.label for s in review.stacks] == ["prod", "staging", "dev", "local"]
    assert [f.stack for f in review.findings if f.kind is FindingKind.DELETE] == ["prod", "staging", "dev", "local"]
    text = report.summary(review, title="t", detail="d")
    headings = [text.index(f"#### `{stack}`") for stack in ("prod", "staging", "dev", "local")]
    assert headings == sorted(headings)


def test_lists_of_named_objects_diff_by_name_and_ports_by_number():
    container = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "ports": [{"containerPort": 8080}]}
    added = {"env": [{"name": "NEW", "value": "0"}, *container["env"]],
             "ports": [{"containerPort": 9090}, {"containerPort": 8080}]}
    before, after = flatten(container), flatten(added)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {
        "env[name=NEW].name": "NEW", "env[name=NEW].value": "0", "ports[containerPort=9090].containerPort": 9090}
    quoted = flatten({"env": [{"name": "a b", "value": 1}]})
    assert quoted == {'env[name="a b"].name': "a b", 'env[name="a b"].value': 1}
    # no key on every item, or a repeated one: by index
    assert list(flatten({"x": [{"name": "a"}, {"other": 1}]})) == ["x[0].name", "x[1].other"]
    assert list(flatten({"x": [{"name": "a"}, {"name": "a"}]})) == ["x[0].name", "x[1].name"]


def test_adding_one_environment_variable_is_one_change_in_the_review():
    def ksvc(env: list[dict]) -> dict:
        return {f"{KSVC}::api": {"type": KSVC, "name": "api", "inputs": {
            "kind": "Service", "metadata": {"name": "api", "namespace": "default"},
            "spec": {"template": {"spec": {"containers": [{"image": "i", "env": env}]}}}}}}
    env = [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]
    review = compare({"s": Render("s", "p", "s", {}, {}, ksvc(env))},
                     {"s": Render("s", "p", "s", {}, {}, ksvc([{"name": "A", "value": "1"}, *env]))})
    (change,) = review.stack("s").changes
    assert change.action is Action.UPDATE
    assert [f.path for f in change.fields] == ["spec.template.spec.containers[0].env[name=A].name",
                                               "spec.template.spec.containers[0].env[name=A].value"]


def test_mentions_in_pull_request_text_notify_nobody():
    assert report.no_mentions("ping @alice and @acme/platform-team") == \
        "ping @\u200balice and @\u200bacme/platform-team"
    assert report.no_mentions("ops@example.com image@sha256:abc") == "ops@example.com image@sha256:abc"
    config = {"knative-platform:owner": "@mallory"}
    review = compare({"s": Render("s", "p", "s", {}, {}, {})}, {"s": Render("s", "p", "s", config, {}, {})})
    for text in (report.summary(review, title="by @mallory", detail="d"), report.detail(review, title="@x")):
        assert "@mallory" not in text and "@\u200bmallory" in text


BLOCK_PULUMI = ("import sys; sys.modules['pulumi'] = None; "
                "from knative_platform.offline.__main__ import main; sys.exit(main())")


def test_two_renders_compare_without_the_pulumi_sdk_as_the_comment_workflow_runs_it(clean, tmp_path):
    base = without(clean, tmp_path, "staging")
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", BLOCK_PULUMI, "diff", str(base), str(clean), "--title", "t",
                             "--summary", str(tmp_path / "s.md"), "--detail", str(tmp_path / "d.md")],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "`staging` (new stack" in (tmp_path / "s.md").read_text()


def test_the_summarys_size_is_counted_in_characters_as_github_counts_it():
    config = {f"knative-platform:greeting{i}": "é" * 250 for i in range(20)}
    review = compare({"s": Render("s", "p", "s", {}, {}, {})}, {"s": Render("s", "p", "s", config, {}, {})})
    text = report.summary(review, title="t", detail="d", limit=8_000)
    assert len(text) <= 8_000 < len(text.encode())  # fits in characters, though not in bytes
    assert "not shown" not in text


# -- an app repository: each ref renders with the platform release it pins ----------------------


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env,
                          check=True).stdout


def platform_wheel(tmp: Path, part_of: str) -> Path:
    """A wheel of this repository's package whose renderer labels objects part-of ``part_of``."""
    source = tmp / f"src-{part_of}"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "components", source / "components", ignore=shutil.ignore_patterns("__pycache__"))
    labels = source / "components" / "manifests" / "labels.py"
    labels.write_text(labels.read_text().replace('PART_OF = "knative-platform"', f'PART_OF = "{part_of}"'))
    dist = tmp / f"dist-{part_of}"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(dist), str(source)], check=True, capture_output=True)
    (wheel,) = dist.glob("*.whl")
    return wheel


@pytest.mark.e2e  # builds two wheels and installs each into a fresh target: .ci/run's second step runs it
def test_an_app_repository_renders_each_ref_with_the_platform_release_it_pins(tmp_path):
    repo = tmp_path / "team-app"  # a `pulumi new` project is named after its directory (name: ${PROJECT})
    shutil.copytree(ROOT / "examples" / "team-app", repo, ignore=shutil.ignore_patterns("__pycache__", "build"))
    old, new = platform_wheel(tmp_path, "knative-platform"), platform_wheel(tmp_path, "acme-platform")
    requirements = repo / "requirements.txt"
    requirements.write_text(f"knative-platform @ {old.as_uri()}  # the platform release\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    requirements.write_text(f"knative-platform @ {new.as_uri()}  # bumped\n")
    git(repo, "commit", "-q", "-am", "bump the platform")
    assert platform_requirement(repo) == f"knative-platform @ {new.as_uri()}"
    lines: list[str] = []
    render_refs(repo, [("HEAD~1", tmp_path / "base"), ("HEAD", tmp_path / "head")], ["."], ["prod"],
                progress=lines.append)
    review = compare(load_renders(tmp_path / "base"), load_renders(tmp_path / "head"))
    label = 'metadata.labels["app.kubernetes.io/part-of"]'
    moved = {(c.display, f.before, f.after) for c in review.stack("team-app/prod").changes for f in c.fields
             if f.path == label}
    assert moved and all(before == "knative-platform" and after == "acme-platform" for _, before, after in moved)
    # one ref after the other: the head renders as the update after the base
    assert [line.split(" (")[0] for line in lines] == [
        "rendering 1 project(s) of HEAD~1",
        f"rendered project . at HEAD~1 with knative-platform @ {old.as_uri()}",
        "rendering 1 project(s) of HEAD",
        f"rendered project . at HEAD with knative-platform @ {new.as_uri()}"]


def test_a_missing_render_directory_fails_the_diff(tmp_path, capsys, clean):
    assert main(["diff", str(tmp_path / "nope"), str(clean)]) == 2
    assert "no such render directory" in capsys.readouterr().err
