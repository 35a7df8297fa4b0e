"""The GitHub workflows and the Renovate config: they run on GitHub, so their structure is checked here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from components.offline import report
from components.offline.__main__ import build_parser
from components.smoke.__main__ import build_parser as smoke_parser
from components.spec.existing import NodePorts

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


@pytest.mark.parametrize("path", all_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_workflow_and_action_parses_and_pins_its_actions(path):
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict) and doc.get("name")
    steps = [s for job in (doc.get("jobs") or {}).values() for s in job.get("steps", [])]
    steps += (doc.get("runs") or {}).get("steps", [])
    for step in steps:
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            ref = uses.split("@", 1)[1]
            assert re.fullmatch(r"v\d+|[0-9a-f]{40}", ref), f"{path.name}: {uses} is not pinned to a release or SHA"
    assert "pull_request_target" not in path.read_text(), "pull_request_target runs fork code with a write token"


def test_the_review_workflow_runs_on_every_pull_request_with_a_read_only_token():
    review = load("review.yml")
    assert "pull_request" in triggers(review)
    assert triggers(review)["pull_request"] in (None, {})  # no branch filter: every pull request, forks included
    assert review["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in review["jobs"].values())
    assert "secrets." not in (WORKFLOWS / "review.yml").read_text()
    assert set(review["jobs"]) == {"test", "offline-review"}
    test_steps = review["jobs"]["test"]["steps"]
    runs = [step.get("run") for step in test_steps]
    assert ".ci/run" in runs
    # actionlint on PATH for .ci/run's test_actionlint_finds_no_error (requirements-lint.txt says why it is apart)
    assert runs.index("python -m pip install -q -r requirements-lint.txt") < runs.index(".ci/run")


def diff_command(run: str) -> list[str]:
    """The ``python -m components.offline diff`` invocation inside a shell step, as argv."""
    joined = run.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if "python -m components.offline diff" in line)
    return shlex.split(line.split("python -m components.offline", 1)[1])


def test_the_review_renders_base_and_head_of_every_stack_and_publishes_the_summary():
    job = load("review.yml")["jobs"]["offline-review"]
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 2  # HEAD^1 is the base the merge commit was made on
    run = next(s["run"] for s in job["steps"] if "components.offline diff" in s.get("run", ""))
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


def test_the_comment_follow_up_never_runs_pull_request_code():
    comment = load("review-comment.yml")
    on = triggers(comment)["workflow_run"]
    assert on["workflows"] == [load("review.yml")["name"]]
    assert on["types"] == ["completed"]
    assert comment["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    (job,) = comment["jobs"].values()
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    assert not steps_using(job, "actions/checkout")
    (download,) = steps_using(job, "actions/download-artifact")
    assert download["with"]["name"] == "offline-review"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    post = next(s for s in job["steps"] if "run" in s)
    assert post["env"]["MARKER"] == report.MARKER
    assert post["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert ".head.sha" in post["run"] and "-gt 65536" in post["run"]
    assert "${{" not in post["run"], "untrusted values reach the script through env, never by interpolation"


def pulumi_step(job: dict) -> dict:
    (step,) = steps_using(job, "pulumi/actions")
    return step


def test_previews_run_for_every_deployed_stack_on_trusted_branches_only():
    preview = load("preview.yml")
    assert "pull_request" in triggers(preview)
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    (job,) = preview["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["strategy"]["matrix"]["stack"] == DEPLOYED
    assert job["strategy"]["fail-fast"] is False
    assert "environment" not in job  # previews need no approval; they use the read-only previewer account
    step = pulumi_step(job)["with"]
    assert step["command"] == "preview"
    assert step["stack-name"] == "${{ matrix.stack }}"
    assert step["diff"] is True and step["comment-on-pr"] is True
    assert step["cloud-url"] == "gs://${{ vars.PULUMI_STATE_BUCKET }}"
    (setup,) = steps_using(job, "./.github/actions/setup-pulumi-gcp")
    assert setup["with"]["service-account"] == "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}"


def test_merges_to_main_deploy_dev_then_staging_and_prod_behind_environments():
    deploy = load("deploy.yml")
    assert triggers(deploy) == {"push": {"branches": ["main"]}}
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    jobs = deploy["jobs"]
    assert list(jobs) == DEPLOYED
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    for stack, job in jobs.items():
        assert job["environment"] == stack  # staging and prod carry required reviewers (README)
        step = pulumi_step(job)["with"]
        assert (step["command"], step["stack-name"]) == ("up", stack)
        assert step["cloud-url"] == "gs://${{ vars.PULUMI_STATE_BUCKET }}"
        (setup,) = steps_using(job, "./.github/actions/setup-pulumi-gcp")
        assert setup["with"]["service-account"] == "${{ vars.GCP_SERVICE_ACCOUNT }}"  # the environment's own


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


# -- E2E on kind ---------------------------------------------------------------------------------

E2E = "e2e-kind.yml"


def e2e_steps() -> list[dict]:
    (job,) = load(E2E)["jobs"].values()
    return job["steps"]


def step_running(text: str) -> tuple[int, dict]:
    (found,) = [(i, s) for i, s in enumerate(e2e_steps()) if text in s.get("run", "")]
    return found


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


def test_e2e_pins_kind_its_node_image_and_the_pulumi_cli_of_the_sdk():
    env = load(E2E)["env"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["KIND_VERSION"])
    image = re.fullmatch(r"kindest/node:v1\.(\d+)\.\d+@sha256:[0-9a-f]{64}", env["KIND_NODE_IMAGE"])
    assert image and int(image.group(1)) >= 34  # Knative Serving 1.23 needs Kubernetes >= 1.34
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert env["PULUMI_VERSION"] == sdk, "bump the CLI in e2e-kind.yml with the SDK in requirements.txt"
    assert env["PULUMI_CONFIG_PASSPHRASE"]
    _, install = step_running("get.pulumi.com")
    assert '--version "$PULUMI_VERSION"' in install["run"]
    _, kind = step_running("kind create cluster")
    assert "--config stacks/kind.yaml" in kind["run"] and '--image "$KIND_NODE_IMAGE"' in kind["run"]
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
    smoke, check = step_running("components.smoke")
    args = smoke_parser().parse_args(shlex.split(check["run"].split("python -m components.smoke", 1)[1]))
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
    assert load(E2E)["jobs"]["e2e"]["steps"][-1]["run"] == f"kind delete cluster --name {config['name']}"
    # The local stack's gateway listens on these node ports (its nodePorts, or the defaults).
    assert cluster["gatewayService"] == "NodePort"
    ports = NodePorts(**cluster.get("nodePorts", {}))
    assert {ports.http: 80, ports.https: 443} == {31080: 80, 31443: 443}


def _actionlint() -> str | None:
    return shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_actionlint_finds_no_error(path):
    actionlint = _actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install -r requirements-lint.txt (the Review workflow does)")
    result = subprocess.run([actionlint, "-no-color", str(path.relative_to(ROOT))], capture_output=True, text=True,
                            cwd=ROOT, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


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


def renovate_matches(text: str) -> list[dict[str, str]]:
    (manager,) = RENOVATE["customManagers"]
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


@pytest.mark.skipif(not (ROOT / "components" / "versions.py").is_file(),
                    reason="components/versions.py arrives with the Knative/kgateway install work")
def test_renovate_sees_every_pin_in_versions_py():
    text = (ROOT / "components" / "versions.py").read_text()
    pins = re.findall(r'^\s*(?:version|[A-Z][A-Z0-9_]*_VERSION)\s*=\s*"([^"]+)"', text, re.M)
    assert pins, "no version pins found in components/versions.py"
    assert sorted(m["currentValue"] for m in renovate_matches(text)) == sorted(pins)


def test_renovate_manages_versions_py_and_every_requirements_file():
    (manager,) = RENOVATE["customManagers"]
    (versions,) = manager["managerFilePatterns"]
    assert js_regex(versions).search("components/versions.py")
    patterns = [js_regex(p) for p in RENOVATE["pip_requirements"]["managerFilePatterns"]]
    files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("requirements*.txt") if ".venv" not in p.parts]
    assert sorted(files) == ["examples/team-app/requirements.txt", "requirements-dev.txt", "requirements-lint.txt",
                             "requirements.txt"]
    assert all(any(p.search(f) for p in patterns) for f in files)
    assert "helpers:pinGitHubActionDigests" in RENOVATE["extends"]
