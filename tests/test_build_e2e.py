"""``knative-platform build`` end to end: buildah builds FROM scratch, a real registry on loopback keeps the images.

A source directory -> ``build --stack test`` -> pushed as ``src-<fingerprint>`` -> the digest recorded in the
stack file is the one the registry serves for that tag (asked with skopeo, an independent client). A second
run pushes nothing; one changed byte gives a new fingerprint and a new digest, and the first image stays.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from buildtools import (
    BUILDAH,
    PASSWORD,
    STACK,
    USER,
    local_registry,
    make_program,
    make_project,
    no_stored_logins,
    recorded,
    require,
)
from conftest import ROOT

from knative_platform import cli
from knative_platform.model.source.fingerprint import fingerprint
from knative_platform.model.source.source import Source
from knative_platform.offline.engine import Mode, run_program
from knative_platform.offline.stackfile import load_program_config

__all__ = ["no_stored_logins"]  # the autouse fixture, imported


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    require(BUILDAH, "skopeo")
    with local_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def build(project: Path, *extra: str) -> int:
    return cli.main(["build", "--stack", STACK, "--project", str(project),
                     "--buildah-storage", str(project / ".buildah"), *extra])


def skopeo_digest(registry, reference: str) -> str:
    out = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                          f"docker://{registry.host}/{reference}"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_build_pushes_records_the_registrys_digest_then_reuses_it_and_follows_a_change(registry, tmp_path, capsys):
    project = make_project(tmp_path / "project", f"{registry.host}/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    assert build(project) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"hello: built  {registry.host}/apps/hello@sha256:")
    first = recorded(project)["hello"]
    expected = fingerprint(Source(path="apps/hello"), project / "apps" / "hello").value
    assert first["source"] == expected
    assert first["repository"] == f"{registry.host}/apps/hello"
    assert first["digest"] == skopeo_digest(registry, f"apps/hello:src-{expected}")
    assert stack_file.read_text().startswith("# a test stack")  # comments kept
    assert "# the test's own registry" in stack_file.read_text()

    pushes, text = len(registry.requests("PUT")), stack_file.read_text()
    assert build(project) == 0
    assert capsys.readouterr().out.startswith(f"hello: reused {registry.host}/apps/hello@{first['digest']}")
    assert len(registry.requests("PUT")) == pushes  # nothing pushed
    assert stack_file.read_text() == text

    (project / "apps" / "hello" / "greeting.txt").write_text("Hello from a changed source\n")
    assert build(project) == 0
    assert "hello: built " in capsys.readouterr().out
    second = recorded(project)["hello"]
    assert second["source"] != first["source"] and second["digest"] != first["digest"]
    assert second["digest"] == skopeo_digest(registry, f"apps/hello:src-{second['source']}")
    assert skopeo_digest(registry, f"apps/hello:src-{first['source']}") == first["digest"]  # the first image stays


def deployed(project: Path) -> dict:
    """The revision template ``pulumi up`` applies for ``hello`` (the program under the offline engine)."""
    capture = run_program(load_program_config(project, STACK), mode=Mode.UPDATE)
    return capture.named("hello", "kubernetes:serving.knative.dev/v1:Service").inputs["spec"]["template"]


def test_source_to_render_the_service_runs_the_digest_the_registry_serves_and_follows_a_change(registry, tmp_path,
                                                                                                capsys):
    project = make_program(tmp_path / "project", f"{registry.host}/apps")
    assert build(project) == 0
    fp = fingerprint(Source(path="apps/hello"), project / "apps" / "hello").value
    first = deployed(project)
    assert first["spec"]["containers"][0]["image"] == \
        f"{registry.host}/apps/hello@{skopeo_digest(registry, f'apps/hello:src-{fp}')}"
    assert first["metadata"]["name"].startswith("hello-r")

    pushes = len(registry.requests("PUT"))
    assert build(project) == 0
    assert "hello: reused " in capsys.readouterr().out and len(registry.requests("PUT")) == pushes
    assert deployed(project) == first

    (project / "apps" / "hello" / "greeting.txt").write_text("Hello from a changed source\n")
    assert build(project) == 0
    changed = fingerprint(Source(path="apps/hello"), project / "apps" / "hello").value
    second = deployed(project)
    digest = skopeo_digest(registry, f"apps/hello:src-{changed}")
    assert changed != fp and second["spec"]["containers"][0]["image"] == f"{registry.host}/apps/hello@{digest}"
    assert digest not in first["spec"]["containers"][0]["image"]
    assert second["metadata"]["name"] != first["metadata"]["name"]


def test_promotion_copies_the_recorded_image_by_digest_and_a_preview_can_record_it_first(registry, tmp_path, capsys):
    project = make_project(tmp_path / "project", f"{registry.host}/dev")
    assert build(project) == 0
    built = recorded(project)["hello"]
    stacks = project / "stacks"
    text = (stacks / f"Pulumi.{STACK}.yaml").read_text().split("  knative-platform:images:")[0]
    (stacks / "Pulumi.staging.yaml").write_text(text.replace(f"{registry.host}/dev", f"{registry.host}/staging"))
    promote = ["build", "--stack", "staging", "--project", str(project), "--promote-from", STACK]
    capsys.readouterr()

    pushes = len(registry.requests("PUT"))
    assert cli.main([*promote, "--record-only"]) == 0
    assert len(registry.requests("PUT")) == pushes  # nothing copied
    planned = yaml.safe_load((stacks / "Pulumi.staging.yaml").read_text())["config"]["knative-platform:images"]
    assert planned == {"hello": {**built, "repository": f"{registry.host}/staging/hello"}}

    assert cli.main(promote) == 0
    assert capsys.readouterr().out.splitlines()[-2].startswith(f"hello: copied   {registry.host}/staging/hello@")
    assert skopeo_digest(registry, f"staging/hello:src-{built['source']}") == built["digest"]  # digest unchanged
    assert yaml.safe_load((stacks / "Pulumi.staging.yaml").read_text())["config"]["knative-platform:images"] == \
        planned
    assert cli.main(promote) == 0
    assert "hello: recorded " in capsys.readouterr().out  # already there: nothing to copy

    (project / "apps" / "hello" / "greeting.txt").write_text("a source the origin never built\n")
    assert cli.main(promote) == 2
    assert f"run `knative-platform build --stack {STACK}` on this commit first" in capsys.readouterr().err


def test_a_failing_build_exits_1_with_buildahs_error_and_records_nothing(registry, tmp_path, capsys):
    project = make_project(tmp_path / "project", f"{registry.host}/apps")
    with (project / "apps" / "hello" / "Dockerfile").open("a") as dockerfile:
        dockerfile.write("COPY missing.txt /missing.txt\n")
    before = (project / "stacks" / f"Pulumi.{STACK}.yaml").read_text()
    assert build(project) == 1
    err = capsys.readouterr().err
    assert "hello: failed: buildah build failed (exit" in err
    assert "missing.txt" in err  # buildah's own words
    assert "nothing recorded" in err
    assert (project / "stacks" / f"Pulumi.{STACK}.yaml").read_text() == before


def test_a_registry_that_needs_a_login_gets_the_docker_config_credentials(tmp_path, capsys, monkeypatch):
    require(BUILDAH)
    with local_registry(tmp_path / "registry", auth=True) as secured:
        project = make_project(tmp_path / "project", f"{secured.host}/apps")
        assert build(project) == 1
        assert f"{secured.host} needs credentials for apps/hello" in capsys.readouterr().err
        config = tmp_path / "docker"
        config.mkdir()
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (config / "config.json").write_text(json.dumps({"auths": {secured.host: {"auth": token}}}))
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        assert build(project) == 0
        assert capsys.readouterr().out.startswith("hello: built ")
        assert secured.requests("PUT", "/manifests/src-")  # pushed through buildah with the same login


def test_plan_prints_the_fingerprints_offline(tmp_path, capsys):
    project = make_project(tmp_path / "project", "127.0.0.1:9/apps")  # nothing listens there
    assert build(project, "--plan") == 0
    (row,) = json.loads(capsys.readouterr().out)
    value = fingerprint(Source(path="apps/hello"), project / "apps" / "hello").value
    assert row == {"service": "hello", "path": "apps/hello", "fingerprint": value, "tree": row["tree"],
                   "repository": "127.0.0.1:9/apps/hello", "tag": f"src-{value}"}


def test_a_stack_without_source_services_builds_nothing_and_is_left_alone(capsys):
    before = (ROOT / "stacks" / "Pulumi.dev.yaml").read_bytes()
    assert cli.main(["build", "--stack", "dev", "--project", str(ROOT), "--builder", "buildah"]) == 0
    assert "nothing to build" in capsys.readouterr().out
    assert (ROOT / "stacks" / "Pulumi.dev.yaml").read_bytes() == before
