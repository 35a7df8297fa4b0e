"""A service's ``source``, the stack's ``registry`` and ``images``: decoding, rules with paths and fixes, schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, config_error
from hypothesis import given
from hypothesis import strategies as st

from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.model.service.containers import image_problem
from knative_platform.model.service.service import Service, validate_service
from knative_platform.model.source.registry import ExternalRegistry, prefix_problem, repository_of, source_tag
from knative_platform.model.source.source import BuildPlatform, Source, relative_path_problem, source_location_problems

BASE = {"domain": "apps.example.com", "cluster": {"type": "existing", "context": "kind"}}
FINGERPRINT, DIGEST = "f" * 64, "sha256:" + "a" * 64


def problems(config: dict) -> list[str]:
    with pytest.raises(SpecError) as info:
        build_platform_spec("test", {**BASE, **config})
    return [str(p) for p in info.value.problems]


def test_a_source_decodes_with_its_defaults_and_camel_case_keys():
    spec = build_platform_spec("test", {**BASE, "registry": {"type": "external", "prefix": "localhost:5001/apps"},
                                        "services": {"hello": {"source": {
                                            "path": "apps/hello", "dockerfile": "build/Dockerfile",
                                            "target": "runtime", "buildArgs": {"VERSION": "1.2"},
                                            "platform": "linux/arm64"}}}})
    assert spec.service("hello").source == Source(path="apps/hello", dockerfile="build/Dockerfile", target="runtime",
                                                  build_args={"VERSION": "1.2"}, platform=BuildPlatform.LINUX_ARM64)


def test_a_source_service_needs_a_registry_before_anything_registers():
    error = config_error("local", {"registry": None, "services": {"hello": {"source": {"path": "apps/hello"}}}})
    assert "registry: is required: hello build from source and push there" in str(error)


def test_an_artifact_registry_needs_a_gke_cluster_and_well_formed_names():
    found = problems({"registry": {"type": "artifactRegistry", "project": "P", "location": "europe-west1",
                                   "repository": "-x", "pushers": ["someone"], "keep": 0}})
    assert any(p.startswith("registry.type: artifactRegistry is created with the cluster") for p in found)
    assert any(p.startswith("registry.project: 'P' is not a Google Cloud project id") for p in found)
    assert any(p.startswith("registry.repository: '-x' is not a repository id") for p in found)
    assert any(p.startswith("registry.pushers[0]: 'someone' is not an IAM member") for p in found)
    assert any(p.startswith("registry.keep: is 0") for p in found)


def test_a_source_service_declared_in_python_meets_the_same_rules():
    with pytest.raises(SpecError, match=r"services\.hello: sets both image and source"):
        validate_service(Service(name="hello", image="r.example.com/a:1", source=Source(path="apps/hello")))
    with pytest.raises(SpecError, match=r"services\.hello: needs image"):
        validate_service(Service(name="hello"))
    with pytest.raises(SpecError, match=r"services\.hello\.source\.platform: expected one of"):
        validate_service(Service(name="hello", source=Source(path="a", platform="windows/amd64")))  # type: ignore


@pytest.mark.parametrize(("source", "where", "says"), [
    ({"path": "/srv/app"}, "source.path", "is absolute; write it relative to the project directory"),
    ({"path": "../other/app"}, "source.path", "climbs out with '..'"),
    ({"path": "apps/../../x"}, "source.path", "climbs out with '..'"),
    ({"path": "."}, "source.path", "is the project directory itself, which holds the stack files"),
    ({"path": "apps//hello"}, "source.path", "has an empty or '.' segment; write it as apps/hello"),
    ({"path": "apps/hello/"}, "source.path", "write it as apps/hello"),
    ({"path": "apps\\hello"}, "source.path", "separate directories with '/'"),
    ({"path": "C:/apps"}, "source.path", "is absolute"),
    ({"path": "apps/\nhello"}, "source.path", "contains a control character"),
    ({"path": "a" * 1025}, "source.path", "is 1025 characters, must be at most 1024"),
    ({"path": ""}, "source.path", "is empty"),
    ({"path": "apps/x", "dockerfile": "../Dockerfile"}, "source.dockerfile", "(it is relative to source.path)"),
    ({"path": "apps/x", "target": "Build"}, "source.target", "is not a Dockerfile stage name"),
    ({"path": "apps/x", "target": "a" * 129}, "source.target", "must be at most 128"),
    ({"path": "apps/x", "buildArgs": {"1ST": "x"}}, "source.buildArgs.1ST", "is not a build-argument name"),
    ({"path": "apps/x", "buildArgs": {"A-B": "x"}}, "source.buildArgs.A-B", "is not a build-argument name"),
    ({"path": "apps/x", "buildArgs": {f"A{i}": "x" for i in range(65)}}, "source.buildArgs", "at most 64"),
    ({"path": "apps/x", "platform": "linux/386"}, "source.platform", "is not one of 'linux/amd64', 'linux/arm64'"),
    ({"path": "apps/x", "buildargs": {}}, "source.buildargs", "unknown key (did you mean 'buildArgs'?)"),
    ({"dockerfile": "Dockerfile"}, "source.path", "is required"),
])
def test_a_malformed_source_is_refused_with_its_path(source, where, says):
    found = problems({"services": {"hello": {"source": source}}})
    assert any(p.startswith(f"services.hello.{where}: ") and says in p for p in found), found


def test_the_checkout_rules_name_the_path_and_the_fix(tmp_path):
    def check(source: Source, reserved=()) -> list[str]:
        found: list[str] = []
        source_location_problems(source, tmp_path, lambda k, m: found.append(f"{k}: {m}"), reserved)
        return found

    assert check(Source(path="apps/hello")) == [
        f"source.path: 'apps/hello' does not exist in the project directory {tmp_path}; create it or fix the path"]
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "hello").write_text("a file")
    assert "is not a directory" in check(Source(path="apps/hello"))[0]
    (tmp_path / "apps" / "hello").unlink()
    (tmp_path / "apps" / "hello").mkdir()
    assert check(Source(path="apps/hello")) == ["source.dockerfile: apps/hello/Dockerfile does not exist; add it, or "
                                                "name the Dockerfile with source.dockerfile (relative to source.path)"]
    (tmp_path / "apps" / "hello" / "Dockerfile").write_text("FROM scratch\n")
    assert check(Source(path="apps/hello")) == []
    (tmp_path / "apps" / "hello" / "stacks").mkdir()
    assert "holds apps/hello/stacks, which the build writes" in check(Source(path="apps/hello"),
                                                                      [tmp_path / "apps" / "hello" / "stacks"])[0]
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "apps" / "escape").symlink_to(outside)
    assert "outside the project directory" in check(Source(path="apps/escape"))[0]
    (tmp_path / "apps" / "hello" / "Linked").symlink_to(outside / "Dockerfile")
    assert "resolves outside apps/hello" in check(Source(path="apps/hello", dockerfile="Linked"))[0]


@pytest.mark.parametrize(("registry", "says"), [
    ({"prefix": "localhost:5001/apps"}, "registry.type: is required; expected one of: external"),
    ({"type": "externl", "prefix": "x"}, "'externl' is not a registry type (did you mean 'external'?)"),
    ({"type": 3, "prefix": "x"}, "integer 3 is not a registry type"),
    ("localhost:5001", "registry: expected a map with a type key"),
    ({"type": "external", "prefix": "apps/hello"}, "does not start with a registry host"),
    ({"type": "external", "prefix": "registry/apps"}, "does not start with a registry host"),
    ({"type": "external", "prefix": "localhost:70000/apps"}, "has port 70000, must be between 1 and 65535"),
    ({"type": "external", "prefix": "r.example.com/Apps"}, "must be lower-case repository components"),
    ({"type": "external", "prefix": "r.example.com/apps:v1"}, "must be lower-case repository components"),
    ({"type": "external", "prefix": "r.example.com/" + "a" * 200}, "must fit in 255"),
])
def test_a_bad_registry_is_refused(registry, says):
    found = problems({"registry": registry})
    assert any(p.startswith("registry") and says in p for p in found), found


@pytest.mark.parametrize("prefix", ["localhost:5001", "localhost/apps", "127.0.0.1:5000/apps",
                                    "europe-west1-docker.pkg.dev/my-project/apps", "registry:5000/a/b", "ghcr.io/org"])
def test_a_registry_prefix_names_a_host_and_a_repository_path(prefix):
    assert prefix_problem(prefix) is None
    registry = ExternalRegistry(prefix=prefix)
    assert repository_of(registry, "hello") == f"{prefix}/hello"
    assert image_problem(f"{repository_of(registry, 'hello')}@{DIGEST}") is None


@pytest.mark.parametrize(("images", "says"), [
    ({"other": {"source": FINGERPRINT, "repository": "r.example.com/apps/other", "digest": DIGEST}},
     "images.other: records a build for 'other', which is not a service with a source"),
    ({"hello": {"source": "abc", "repository": "r.example.com/apps/hello", "digest": DIGEST}},
     "images.hello.source: 'abc' is not a source fingerprint"),
    ({"hello": {"source": FINGERPRINT, "repository": "r.example.com/apps/hello", "digest": "sha256:ABC"}},
     "images.hello.digest: 'sha256:ABC' is not a digest"),
    ({"hello": {"source": FINGERPRINT, "repository": "r.example.com/apps/api", "digest": DIGEST}},
     "images.hello.repository: 'r.example.com/apps/api' is not a repository <registry>/.../hello"),
    ({"hello": {"source": FINGERPRINT, "digest": DIGEST}}, "images.hello.repository: is required"),
])
def test_a_malformed_images_record_is_refused(images, says):
    config = {"services": {"hello": {"source": {"path": "apps/hello"}}}, "images": images}
    assert any(says in p for p in problems(config)), problems(config)


def test_the_source_tag_fits_the_distribution_specs_tag_grammar():
    assert source_tag(FINGERPRINT) == f"src-{FINGERPRINT}" and len(source_tag(FINGERPRINT)) <= 128


@given(st.text(max_size=80))
def test_an_accepted_path_never_leaves_its_base(text):
    problem = relative_path_problem(text, "path")
    if problem is None:
        joined = os.path.normpath(os.path.join("/project", text))
        assert joined.startswith("/project/") and not Path(text).is_absolute() and ".." not in text.split("/")


@given(st.text(alphabet=st.sampled_from("abcAZ019.-_:/@"), max_size=40) | st.text(max_size=40))
def test_an_accepted_prefix_always_makes_a_valid_image_reference(prefix):
    if prefix_problem(prefix) is None:
        assert image_problem(f"{prefix}/hello@{DIGEST}") is None


def test_the_stack_file_schema_knows_source_registry_and_images():
    document = json.loads((ROOT / "stacks" / "stack-file.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(document)

    def valid(config: dict) -> bool:
        return validator.is_valid({"config": {f"knative-platform:{k}": v for k, v in config.items()}})

    assert valid({"registry": {"type": "external", "prefix": "localhost:5001/apps"},
                  "services": {"hello": {"source": {"path": "apps/hello", "buildArgs": {"A": "1"}}}},
                  "images": {"hello": {"source": FINGERPRINT, "repository": "localhost:5001/apps/hello",
                                       "digest": DIGEST}}})
    assert not valid({"services": {"hello": {"port": 8080}}})  # neither image nor source
    assert not valid({"services": {"hello": {"image": "a.io/b:1", "source": {"path": "x"}}}})  # both
    assert not valid({"registry": {"prefix": "localhost:5001/apps"}})  # type is required
    assert [p.value for p in BuildPlatform] == document["$defs"]["Source"]["properties"]["platform"]["enum"]
