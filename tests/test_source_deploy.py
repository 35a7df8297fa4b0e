"""A source service deployed by digest: the recorded build, the stack's history, a preview's placeholder, refusals.

The program runs under the offline engine in a project made from the fixture
(tests/fixtures/source/hello), as ``pulumi preview`` and as ``pulumi up`` do.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from buildtools import STACK, make_program

from knative_platform.manifests.service_plan import named_revision, plan_of
from knative_platform.model.revisions.revision_record import RevisionRecord, ServiceHistory, read_service_history
from knative_platform.model.revisions.revisions import Previous
from knative_platform.model.service.service import Service
from knative_platform.model.source.fingerprint import fingerprint
from knative_platform.model.source.registry import BuiltImage, ExternalRegistry
from knative_platform.model.source.resolve import Origin, Sources, placeholder, resolve_image
from knative_platform.model.source.source import Source
from knative_platform.offline.engine import Capture, Mode, RecordingMonitor, own_stack_name, run_program
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

PREFIX = "localhost:5001/apps"
REPOSITORY = f"{PREFIX}/hello"
OTHER_FP, DIGEST, DIGEST2 = "e" * 64, "sha256:" + "a" * 64, "sha256:" + "b" * 64


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_program(tmp_path / "project", PREFIX)


def fp_of(project: Path) -> str:
    return fingerprint(Source(path="apps/hello"), project / "apps" / "hello").value


def images(fp: str, digest: str = DIGEST, repository: str = REPOSITORY) -> dict[str, str]:
    return {"knative-platform:images": json.dumps({"hello": {"source": fp, "repository": repository,
                                                             "digest": digest}})}


def run(project: Path, mode: Mode, extra: dict[str, str] | None = None, previous: Capture | None = None,
        monitor: RecordingMonitor | None = None) -> Capture:
    program = load_program_config(project, STACK)
    if previous is not None:
        program = replace(program, stack_outputs={**program.stack_outputs, own_stack_name(program): previous.outputs})
    return run_program(program, mode=mode, extra_config=extra, monitor=monitor)


def refused(project: Path, extra: dict[str, str] | None = None, previous: Capture | None = None) -> str:
    """An update that must stop before anything registers (the read of the stack's own outputs is an invoke)."""
    outputs = {own_stack_name(load_program_config(project, STACK)): previous.outputs} if previous else {}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError) as info:
        run(project, Mode.UPDATE, extra, previous, monitor)
    assert monitor.recorded == {}, f"registered before failing: {sorted(monitor.recorded)}"
    return str(info.value)


def template(capture: Capture) -> dict[str, Any]:
    return capture.named("hello", "kubernetes:serving.knative.dev/v1:Service").inputs["spec"]["template"]


def image(capture: Capture) -> str:
    return template(capture)["spec"]["containers"][0]["image"]


def test_a_preview_without_any_build_shows_a_placeholder_marked_pending_build(project, capsys):
    fp = fp_of(project)
    capture = run(project, Mode.PREVIEW)
    assert image(capture) == placeholder(REPOSITORY, fp)
    assert capture.outputs["sources"] == {"hello": {"fingerprint": fp, "image": placeholder(REPOSITORY, fp),
                                                    "pendingBuild": True,
                                                    "revision": template(capture)["metadata"]["name"]}}
    assert "services.hello.source: pending build" in capsys.readouterr().err
    assert capture.outputs["registry"] == PREFIX


def test_an_update_without_a_build_is_refused_before_anything_registers_with_the_fix(project):
    message = refused(project)
    assert "services.hello.source: no image is built for source" in message
    assert f"run `knative-platform build --stack {STACK}`" in message


def test_an_update_deploys_the_recorded_digest_and_agrees_with_its_preview(project):
    extra = images(fp_of(project))
    preview, update = run(project, Mode.PREVIEW, extra), run(project, Mode.UPDATE, extra)
    assert image(update) == f"{REPOSITORY}@{DIGEST}" == image(preview)
    assert template(update) == template(preview)
    assert update.outputs["sources"] == preview.outputs["sources"]
    assert "pendingBuild" not in update.outputs["sources"]["hello"]
    assert update.outputs["revisions"]["hello"]["list"][0]["source"] == fp_of(project)


@pytest.mark.parametrize(("record", "says"), [
    ({"source": OTHER_FP}, "the recorded build was built from source eeeeeeeeeeee…, this checkout is"),
    ({"repository": "localhost:5001/elsewhere/hello"},
     "the recorded build is in localhost:5001/elsewhere/hello, this stack pushes to"),
])
def test_a_stale_recorded_build_is_refused_at_up_with_the_fix(project, record, says):
    built = {"source": fp_of(project), "repository": REPOSITORY, "digest": DIGEST, **record}
    message = refused(project, {"knative-platform:images": json.dumps({"hello": built})})
    assert f"images.hello: {says}" in message and f"knative-platform build --stack {STACK}" in message


def test_the_stacks_history_keeps_the_image_of_an_unchanged_source_without_a_build_record(project):
    first = run(project, Mode.UPDATE, images(fp_of(project)))
    second = run(project, Mode.UPDATE, previous=first)  # CI's images record is gone; the source is unchanged
    assert image(second) == f"{REPOSITORY}@{DIGEST}"
    assert template(second) == template(first)
    assert second.outputs["sources"] == first.outputs["sources"]  # history or build: the same image, one value


def test_a_changed_source_gets_a_new_revision_name_under_auto_and_is_refused_under_an_explicit_one(project):
    first = run(project, Mode.UPDATE, images(fp_of(project)))
    (project / "apps" / "hello" / "greeting.txt").write_text("Hello from a changed source\n")
    changed = fp_of(project)
    second = run(project, Mode.UPDATE, images(changed, DIGEST2), previous=first)
    assert template(second)["metadata"]["name"] != template(first)["metadata"]["name"]
    assert template(second)["metadata"]["name"].startswith("hello-r")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().replace("revision: auto", "revision: v1"))
    (project / "apps" / "hello" / "greeting.txt").write_text("Hello again\n")
    pinned = run(project, Mode.UPDATE, images(fp_of(project), DIGEST))
    (project / "apps" / "hello" / "greeting.txt").write_text("Hello, changed under v1\n")
    message = refused(project, images(fp_of(project), DIGEST2), previous=pinned)
    assert "services.hello.revision: the revision template changes (spec.containers" in message
    assert "keeps the name hello-v1" in message


def test_the_source_must_exist_in_the_checkout(project):
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().replace("{path: apps/hello}", "{path: apps/missing}"))
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(ConfigError, match=r"services\.hello\.source\.path: 'apps/missing' does not exist"):
        run(project, Mode.PREVIEW, monitor=monitor)
    assert monitor.recorded == {}


# -- the pure core ---------------------------------------------------------------------------------------------


SERVICE = Service(name="hello", source=Source(path="apps/hello"), revision="auto")
FP = "1" * 64
SOURCES = Sources(stack="dev", fingerprints={"hello": FP}, registry=ExternalRegistry(prefix=PREFIX))


def history(image: str, source: str) -> ServiceHistory:
    return ServiceHistory(revisions=(RevisionRecord(name="hello-r00000000", image=image, source=source,
                                                    generation=1),), latest="hello-r00000000", generation=1)


@pytest.mark.parametrize(("sources", "past", "origin", "expected"), [
    (replace(SOURCES, images={"hello": BuiltImage(source=FP, repository=REPOSITORY, digest=DIGEST)}),
     history(f"{REPOSITORY}@{DIGEST2}", FP), Origin.BUILD, f"{REPOSITORY}@{DIGEST}"),
    (SOURCES, history(f"{REPOSITORY}@{DIGEST2}", FP), Origin.HISTORY, f"{REPOSITORY}@{DIGEST2}"),
    (replace(SOURCES, preview=True), history(f"{REPOSITORY}@{DIGEST2}", OTHER_FP), Origin.PENDING,
     placeholder(REPOSITORY, FP)),
])
def test_the_image_comes_from_the_build_then_the_history_then_a_preview_placeholder(sources, past, origin, expected):
    found, problems = resolve_image("hello", sources, past, "services.hello")
    assert problems == [] and found is not None
    assert (found.origin, found.image, found.fingerprint) == (origin, expected, FP)


def test_the_placeholder_is_a_digest_reference_and_never_a_tag():
    assert placeholder(REPOSITORY, FP).startswith(f"{REPOSITORY}@sha256:") and len(placeholder(REPOSITORY, FP)) == \
        len(REPOSITORY) + 1 + 7 + 64


def test_revision_auto_follows_the_fingerprint_not_the_digest():
    a, b = named_revision(SERVICE, FP), named_revision(SERVICE, "2" * 64)
    assert a.revision != b.revision and a.revision == named_revision(SERVICE, FP).revision
    assert a.revision is not None and len(a.revision) == 9 and a.revision.startswith("r")
    built = replace(SOURCES, images={"hello": BuiltImage(source=FP, repository=REPOSITORY, digest=DIGEST)})
    other = replace(SOURCES, images={"hello": BuiltImage(source=FP, repository=REPOSITORY, digest=DIGEST2)})
    plans = [plan_of(SERVICE, Previous(), s)[0] for s in (built, other, replace(SOURCES, preview=True))]
    assert len({p.revision for p in plans if p is not None}) == 1


def test_an_image_service_can_take_revision_auto_too():
    service = Service(name="api", image="registry.example.com/api@" + DIGEST, revision="auto")
    named = named_revision(service)
    assert named.revision != "auto" and named_revision(replace(service, env={"A": "1"})).revision != named.revision


def test_the_record_keeps_the_fingerprint_and_reads_it_back():
    plan, problems = plan_of(SERVICE, Previous(), replace(SOURCES, preview=True))
    assert problems == [] and plan is not None
    from knative_platform.app import record_of
    record = record_of(plan)
    back, found = read_service_history({"hello": record}, "hello")
    assert found == [] and back.revisions[0].source == FP
    _, found = read_service_history({"hello": {**record, "list": [{**record["list"][0], "source": "x"}]}}, "hello")
    assert found and found[0].path == "revisions.hello.list[0].source"


# -- an app stack (PlatformReference) ----------------------------------------------------------------------------

DEV_PLATFORM = "organization/knative-platform/dev"
AR_PREFIX = "europe-west1-docker.pkg.dev/knative-platform-dev/apps"


def app_stack(project: Path, registry: str | None, mode: Mode, config: dict[str, str] | None = None) -> Capture:
    """An app program with one source service on the dev platform, whose ``registry`` output is ``registry``."""
    import pulumi

    from knative_platform import KnativeApp, PlatformReference, PlatformReferenceArgs
    from knative_platform.offline.engine import run_function

    service = Service(name="hello", namespace="team-app", source=Source(path="apps/hello"), revision="auto")

    def program() -> None:
        platform = PlatformReference("platform", PlatformReferenceArgs(stack=DEV_PLATFORM, services=(service,)))
        KnativeApp("hello", platform.app_args(service))
        pulumi.export("sources", platform.sources)

    outputs = json.loads((Path(__file__).parents[1] / "examples" / "team-app" / "stacks" / "stack-outputs.json")
                         .read_text())[DEV_PLATFORM]
    outputs = {k: v for k, v in {**outputs, "registry": registry}.items() if v is not None}
    return run_function(program, monitor=RecordingMonitor(PlatformMocks(stack_outputs={DEV_PLATFORM: outputs})),
                        project="team-app", stack="dev", config=config or {}, mode=mode)


def test_an_app_stacks_source_service_is_pushed_to_the_registry_its_platform_exports(tmp_path, monkeypatch):
    project = make_program(tmp_path / "project", PREFIX)
    monkeypatch.chdir(project)  # the Pulumi CLI runs a program in its project directory
    fp = fp_of(project)
    preview = app_stack(project, AR_PREFIX, Mode.PREVIEW)
    assert image(preview) == placeholder(f"{AR_PREFIX}/hello", fp)
    assert preview.outputs["sources"]["hello"]["pendingBuild"] is True
    with pytest.raises(ConfigError, match="run `knative-platform build --stack dev`"):
        app_stack(project, AR_PREFIX, Mode.UPDATE)
    update = app_stack(project, AR_PREFIX, Mode.UPDATE, images(fp, DIGEST, f"{AR_PREFIX}/hello"))
    assert image(update) == f"{AR_PREFIX}/hello@{DIGEST}"
    with pytest.raises(ConfigError, match="the platform stack organization/knative-platform/dev exports no registry"):
        app_stack(project, None, Mode.PREVIEW)


def test_the_offline_review_shows_a_changed_source_with_its_fingerprint_image_and_revision(tmp_path):
    from conftest import ROOT, edited_project

    from knative_platform.offline import report
    from knative_platform.offline.diff import compare, load_renders
    from knative_platform.offline.render import render_files, write_tree
    from knative_platform.offline.update import previous_outputs, run_update

    head = edited_project(tmp_path, "local", ())
    app = head / "apps" / "hello" / "app.py"
    app.write_text(app.read_text().replace("Hello from source", "Hi from source"))
    base_program = load_program_config(ROOT, "local")
    write_tree(render_files(run_program(base_program), base_program), tmp_path / "base" / "local")
    program = load_program_config(head, "local")
    capture, refused = run_update(program, previous_outputs(tmp_path / "base", "local"))
    write_tree(render_files(capture, program, refused), tmp_path / "head" / "local")
    summary = report.summary(compare(load_renders(tmp_path / "base"), load_renders(tmp_path / "head")),
                             title="t", detail="d")
    before, after = fp_of(ROOT)[:12], fp_of(head)[:12]
    revision = capture.outputs["sources"]["hello"]["revision"]
    assert "### Source builds" in summary
    assert f"`service hello`: source {after}… (was {before}…) deploys pending build as revision `{revision}`" in summary


def test_revision_auto_is_checked_at_the_length_of_the_name_it_makes():
    """``auto`` names ``<service>-r<8 hex>``: 10 characters after the service's name, not 5 (``-auto``)."""
    from knative_platform.model.core.errors import SpecError
    from knative_platform.model.service.service import validate_service

    fits = "a" * 53  # 53 + len("-r12345678") = 63
    validate_service(Service(name=fits, image=f"r.example.com/a@{DIGEST}", revision="auto"))
    with pytest.raises(SpecError, match=r"revision: revision name '.*-r' \+ 8 hex digits is 64 characters"):
        validate_service(Service(name=fits + "a", image=f"r.example.com/a@{DIGEST}", revision="auto"))


def test_a_gke_stack_creates_its_registry_with_immutable_tags_cleanup_grants_and_policy_entry():
    from conftest import committed

    capture = committed("dev")
    prefix = "europe-west1-docker.pkg.dev/knative-platform-dev/apps"
    repo = capture.named("registry-repository", "gcp:artifactregistry/repository:Repository").inputs
    assert (repo["format"], repo["repositoryId"], repo["dockerConfig"]) == ("DOCKER", "apps", {"immutableTags": True})
    policies = {p["id"]: p for p in repo["cleanupPolicies"]}
    assert policies["keep-recent"]["action"] == "KEEP" and policies["keep-recent"]["mostRecentVersions"] == \
        {"keepCount": 120}  # KEEP_UNROUTED (100) and a margin
    assert policies["delete-old"] == {"id": "delete-old", "action": "DELETE",
                                      "condition": {"tagState": "ANY", "olderThan": f"{90 * 86400}s"}}
    assert repo["cleanupPolicyDryRun"] is True
    grants = {(g.inputs["role"], g.inputs["member"]) for g in
              capture.by_type("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")}
    assert ("roles/artifactregistry.writer",
            "serviceAccount:builder@knative-platform-dev.iam.gserviceaccount.com") in grants  # repository-level push
    assert ("roles/artifactregistry.reader",
            "serviceAccount:knative-dev-nodes@knative-platform-dev.iam.gserviceaccount.com") in grants  # node pull
    policy = capture.named("binauthz-policy", "gcp:binaryauthorization/policy:Policy").inputs
    assert {"namePattern": f"{prefix}/**"} in policy["admissionWhitelistPatterns"]
    assert capture.outputs["registry"] == prefix
