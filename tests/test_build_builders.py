"""The builders' command lines, and what ``build`` does with a builder's answer (the registry decides).

``docker`` and ``gcloud`` are stand-ins here that record the arguments they receive: the only fakes this
project allows at the build's edges. They push nothing, so the real registry beside them has no tag, and
the build must say so instead of recording a digest that the builder merely claimed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from buildtools import BUILDAH, STACK, local_registry, make_project, no_stored_logins, recorded, require

from knative_platform import cli, versions
from knative_platform.imagebuild.builders import Buildah, BuildError, BuildRequest, CloudBuild, Docker
from knative_platform.imagebuild.run import build_one
from knative_platform.imagebuild.stackconfig import load_stack_build

__all__ = ["no_stored_logins"]  # the autouse fixture, imported

REQUEST = BuildRequest(context=Path("/ctx"), dockerfile="docker/Dockerfile", image="r.example.com/apps/api:src-1",
                       platform="linux/arm64", target="runtime", build_args={"B": "2", "A": "1"})


def test_buildah_builds_daemonless_in_its_own_storage_and_pushes_with_the_digest_file():
    build, push, clean = Buildah(storage=Path("/cache")).commands(REQUEST, Path("/w/auth.json"), Path("/w/digest"))
    storage = ["buildah", "--storage-driver", "vfs", "--root", "/cache/root", "--runroot", "/cache/run"]
    assert build == [*storage, "build", "--isolation", "chroot", "--platform", "linux/arm64", "-f",
                     "/ctx/docker/Dockerfile", "--target", "runtime", "--build-arg", "A=1", "--build-arg", "B=2",
                     "--tag", "r.example.com/apps/api:src-1", "/ctx"]
    assert push == [*storage, "push", "--digestfile", "/w/digest", "--authfile", "/w/auth.json",
                    "r.example.com/apps/api:src-1", "docker://r.example.com/apps/api:src-1"]
    assert clean == [*storage, "rmi", "r.example.com/apps/api:src-1"]


def test_buildah_skips_tls_verification_for_a_loopback_registry_only():
    local = BuildRequest(context=Path("/c"), dockerfile="Dockerfile", image="localhost:5001/a:t",
                         platform="linux/amd64")
    _build, push, _clean = Buildah(storage=Path("/s")).commands(local, None, Path("/d"))
    assert "--tls-verify=false" in push and "--authfile" not in push
    _build, push, _clean = Buildah(storage=Path("/s")).commands(REQUEST, None, Path("/d"))
    assert "--tls-verify=false" not in push


def test_docker_pushes_one_manifest_without_provenance_and_writes_its_metadata():
    assert Docker().command(REQUEST, Path("/w/meta.json")) == [
        "docker", "buildx", "build", "--platform", "linux/arm64", "-f", "/ctx/docker/Dockerfile", "--target",
        "runtime", "--build-arg", "A=1", "--build-arg", "B=2", "--provenance=false", "--tag",
        "r.example.com/apps/api:src-1", "--push", "--metadata-file", "/w/meta.json", "/ctx"]


def test_cloudbuild_submits_the_staged_context_with_one_pinned_docker_step():
    builder = CloudBuild(project="p", region="europe-west1")
    assert builder.config(REQUEST) == {
        "steps": [{"name": versions.CLOUD_BUILD_DOCKER, "args": [
            "build", "--platform", "linux/arm64", "-f", "docker/Dockerfile", "--target", "runtime", "--build-arg",
            "A=1", "--build-arg", "B=2", "--tag", "r.example.com/apps/api:src-1", "."]}],
        "images": ["r.example.com/apps/api:src-1"]}
    assert builder.command(REQUEST, Path("/w/cloudbuild.json")) == [
        "gcloud", "builds", "submit", "/ctx", "--config", "/w/cloudbuild.json", "--ignore-file",
        "/w/empty.gcloudignore", "--project", "p", "--region", "europe-west1"]
    assert versions.CLOUD_BUILD_DOCKER.startswith("docker.io/library/docker:")


def stand_in(bin_dir: Path, name: str, script: str) -> Path:
    """An executable ``name`` on PATH that logs its arguments (one JSON list per call) and runs ``script``."""
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir / f"{name}.calls"
    program = bin_dir / name
    program.write_text(f"#!{sys.executable}\nimport json, sys\n"
                       f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n{script}\n")
    program.chmod(0o755)
    return log


@pytest.fixture
def registry(tmp_path):
    with local_registry(tmp_path / "registry") as running:
        yield running


@pytest.fixture
def on_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


@pytest.mark.parametrize(("builder", "program", "script", "reported"), [
    ("docker", "docker",
     "i = sys.argv.index('--metadata-file'); json.dump({'containerimage.digest': 'sha256:' + 'a' * 64}, "
     "open(sys.argv[i + 1], 'w'))", True),
    ("cloudbuild", "gcloud",
     "import shutil; i = sys.argv.index('--config'); shutil.copy(sys.argv[i + 1], sys.argv[i + 1] + '.seen')",
     False),
])
def test_a_builder_that_pushed_nothing_is_not_believed(registry, tmp_path, on_path, capsys, builder, program, script,
                                                       reported):
    log = stand_in(on_path, program, script)
    project = make_project(tmp_path / "project", f"{registry.host}/apps")
    before = (project / "stacks" / f"Pulumi.{STACK}.yaml").read_text()
    assert cli.main(["build", "--stack", STACK, "--project", str(project), "--builder", builder]) == 1
    err = capsys.readouterr().err
    assert f"the builder finished, but {registry.host}/apps/hello has no tag src-" in err
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call[:2] == (["buildx", "build"] if reported else ["builds", "submit"])
    context = Path(call[-1] if reported else call[2])
    assert not context.exists()  # the staged context is removed after the build
    assert (project / "stacks" / f"Pulumi.{STACK}.yaml").read_text() == before


def test_a_builder_that_fails_shows_its_own_error(registry, tmp_path, on_path, capsys):
    stand_in(on_path, "docker", "print('ERROR: failed to solve: no space left', file=sys.stderr); sys.exit(17)")
    project = make_project(tmp_path / "project", f"{registry.host}/apps")
    assert cli.main(["build", "--stack", STACK, "--project", str(project), "--builder", "docker"]) == 1
    err = capsys.readouterr().err
    assert "docker buildx build failed (exit 17)" in err and "| ERROR: failed to solve: no space left" in err


def test_a_missing_builder_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    project = make_project(tmp_path / "project", "127.0.0.1:9/apps")
    assert cli.main(["build", "--stack", STACK, "--project", str(project), "--builder", "cloudbuild"]) == 2
    assert "--builder cloudbuild needs gcloud, which is not installed" in capsys.readouterr().err


class LosesTheRace(Buildah):
    """Builds and pushes for real, then fails as a registry with immutable tags refuses the second push."""

    def build(self, request, credentials, workdir):
        super().build(request, credentials, workdir)
        raise BuildError("buildah push failed: tag src-... is immutable")


def test_the_first_image_pushed_for_a_fingerprint_wins_over_a_failed_second_push(registry, tmp_path):
    require(BUILDAH)
    project = make_project(tmp_path / "project", f"{registry.host}/apps")
    (target,) = load_stack_build(project, STACK).targets
    outcome = build_one(target, project, LosesTheRace(storage=tmp_path / "storage"))
    assert outcome.built is False and outcome.digest.startswith("sha256:")
    assert cli.main(["build", "--stack", STACK, "--project", str(project),
                     "--buildah-storage", str(tmp_path / "storage")]) == 0
    assert recorded(project)["hello"]["digest"] == outcome.digest
