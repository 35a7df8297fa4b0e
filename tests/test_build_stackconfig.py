"""What ``build`` reads from a stack, and how it records ``knative-platform:images`` without touching the rest."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml
from buildtools import FIXTURE, STACK, make_project
from conftest import ROOT, STACKS
from hypothesis import given, settings
from hypothesis import strategies as st

from knative_platform import cli
from knative_platform.imagebuild.stackconfig import load_stack_build, set_config_map, write_images
from knative_platform.model.core.errors import SpecError
from knative_platform.offline.stackfile import StackFileError, load_program_config
from knative_platform.offline.stackyaml import load_yaml

KEY = "knative-platform:images"
RECORD = {"hello": {"source": "f" * 64, "repository": "localhost:5001/apps/hello", "digest": "sha256:" + "0" * 64}}


def lines_kept(before: str, after: str) -> bool:
    """Every line of ``before`` is in ``after``, in order."""
    remaining = iter(after.splitlines())
    return all(any(line == other for other in remaining) for line in before.splitlines())


def test_the_key_is_added_at_the_end_of_config_and_every_other_byte_stays():
    text = ("# yaml-language-server: $schema=./stack-file.schema.json\n# a comment\n"
            "config:\n  # the cluster\n  knative-platform:cluster: {type: existing, context: kind}   # inline\n"
            "  \"knative-platform:domain\": '127.0.0.1.sslip.io'\n\n  # trailing comment of config\n"
            "secretsprovider: passphrase\n")
    after = set_config_map(text, KEY, RECORD)
    assert after == text.replace("'127.0.0.1.sslip.io'\n", "'127.0.0.1.sslip.io'\n"
                                 "  knative-platform:images:\n    hello:\n"
                                 f"      digest: \"{RECORD['hello']['digest']}\"\n"
                                 "      repository: \"localhost:5001/apps/hello\"\n"
                                 f"      source: \"{'f' * 64}\"\n")
    assert load_yaml(ROOT / "x.yaml", after)["config"][KEY] == RECORD


def test_an_existing_record_is_replaced_in_place_and_an_empty_one_removed():
    text = ("config:\n  knative-platform:images:\n    old:\n      digest: x\n  # about the domain\n"
            "  knative-platform:domain: example.com\n")
    replaced = set_config_map(text, KEY, RECORD)
    assert replaced.index("hello:") < replaced.index("# about the domain") and "old:" not in replaced
    removed = set_config_map(replaced, KEY, {})
    assert removed == "config:\n  # about the domain\n  knative-platform:domain: example.com\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("", "config:\n  knative-platform:images:\n"),
    ("encryptionsalt: v1:x\n", "encryptionsalt: v1:x\nconfig:\n  knative-platform:images:\n"),
    ("config:\nencryptionsalt: v1:x\n", "config:\n  knative-platform:images:\n"),
    ("config: {}\n", "config:\n  knative-platform:images:\n"),
    ("config:\r\n  a:b: c\r\n", "config:\r\n  a:b: c\r\n  knative-platform:images:\r\n"),
    ("config:\n    a:b: c\n", "config:\n    a:b: c\n    knative-platform:images:\n"),  # the file's own indent
])
def test_the_key_fits_any_stack_file_shape(text, expected):
    after = set_config_map(text, KEY, RECORD)
    assert after.startswith(expected) or expected in after
    assert load_yaml(ROOT / "x.yaml", after)["config"][KEY] == RECORD


def test_a_flow_style_config_is_refused_rather_than_rewritten():
    with pytest.raises(SpecError, match="is not a block map"):
        set_config_map("config: {a:b: c}\n", KEY, RECORD)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(STACKS),
       records=st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
                               st.fixed_dictionaries({"source": st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
                                                      "repository": st.just("r.example.com/apps/x"),
                                                      "digest": st.from_regex(r"sha256:[0-9]{64}", fullmatch=True)}),
                               max_size=4))
def test_every_shipped_stack_file_takes_the_record_and_keeps_everything_else(name, records):
    path = ROOT / "stacks" / f"Pulumi.{name}.yaml"
    text = path.read_text(encoding="utf-8")
    after = set_config_map(text, KEY, records)
    assert lines_kept(text, after)
    before, loaded = load_yaml(path, text), load_yaml(path, after)
    assert loaded["config"] == ({**before["config"], KEY: records} if records else before["config"])


def test_the_program_reads_the_record_as_pulumi_config_set_would_hand_it(tmp_path):
    project = make_project(tmp_path, "localhost:5001/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    assert write_images(stack_file, "knative-platform", RECORD) is True
    config = load_program_config(project, STACK).config
    assert json.loads(config[KEY]) == RECORD
    mtime = stack_file.stat().st_mtime_ns
    assert write_images(stack_file, "knative-platform", RECORD) is False  # nothing to change: not rewritten
    assert stack_file.stat().st_mtime_ns == mtime


def test_the_stack_file_keeps_its_mode(tmp_path):
    project = make_project(tmp_path, "localhost:5001/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.chmod(0o640)
    write_images(stack_file, "knative-platform", RECORD)
    assert stack_file.stat().st_mode & 0o777 == 0o640
    assert not [p for p in stack_file.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_the_build_reads_only_source_services_and_checks_them_against_the_checkout(tmp_path):
    project = make_project(tmp_path, "localhost:5001/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text() + "    api:\n      image: r.example.com/api:1\n      port: '80'\n")
    build = load_stack_build(project, STACK)
    assert [(t.service, t.source.path, t.repository) for t in build.targets] == [
        ("hello", "apps/hello", "localhost:5001/apps/hello")]  # api's bad port is the program's to report
    assert load_stack_build(project, STACK, registry="ghcr.io/team").targets[0].repository == "ghcr.io/team/hello"


def refusals(tmp_path, config: str, registry: str | None = None, setup=None) -> list[str]:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project / "apps" / "hello")
    (project / "Pulumi.yaml").write_text("name: knative-platform\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks").mkdir()
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(config)
    if setup:
        setup(project)
    with pytest.raises(SpecError) as info:
        load_stack_build(project, STACK, registry)
    return [str(p) for p in info.value.problems]


def test_a_source_service_needs_a_registry(tmp_path):
    found = refusals(tmp_path, "config:\n  knative-platform:services:\n    hello: {source: {path: apps/hello}}\n")
    assert found == ["registry: is required to build source services: set knative-platform:registry to "
                     "{type: external, prefix: <host>/<path>} (or pass --registry <host>/<path>)"]


@pytest.mark.parametrize(("service", "registry", "says"), [
    ("{source: {path: apps/nope}}", None, "services.hello.source.path: 'apps/nope' does not exist"),
    ("{source: {path: apps/hello, dockerfile: Containerfile}}", None,
     "services.hello.source.dockerfile: apps/hello/Containerfile does not exist"),
    ("{source: {path: ../hello}}", None, "services.hello.source.path: path '../hello' climbs out"),
    ("{source: {path: apps/hello}, image: r.example.com/a:1}", None, "services.hello: sets both image and source"),
    ("{source: {path: apps/hello}}", "apps/hello", "--registry: 'apps/hello' does not start with a registry host"),
    ("{source: {path: apps/hello, platform: s390x}}", None, "services.hello.source.platform: 's390x' is not one of"),
])
def test_what_the_build_refuses_names_the_key_and_the_fix(tmp_path, service, registry, says):
    config = ("config:\n  knative-platform:registry: {type: external, prefix: localhost:5001/apps}\n"
              f"  knative-platform:services:\n    hello: {service}\n")
    found = refusals(tmp_path, config, registry)
    assert any(says in p for p in found), found


def test_a_source_holding_the_stack_files_is_refused(tmp_path):
    def stacks_inside(project):
        (project / "Pulumi.yaml").write_text("name: knative-platform\nruntime: python\nstackConfigDir: apps/hello/s\n")
        (project / "apps" / "hello" / "s").mkdir()
        shutil.move(project / "stacks" / f"Pulumi.{STACK}.yaml", project / "apps" / "hello" / "s")

    config = ("config:\n  knative-platform:registry: {type: external, prefix: localhost:5001/apps}\n"
              "  knative-platform:services:\n    hello: {source: {path: apps/hello}}\n")
    (found,) = refusals(tmp_path, config, setup=stacks_inside)
    assert found.startswith("services.hello.source.path: 'apps/hello' holds apps/hello/s, which the build writes")


def test_an_unknown_stack_is_a_usage_error_with_a_suggestion(tmp_path, capsys):
    project = make_project(tmp_path, "localhost:5001/apps")
    assert cli.main(["build", "--stack", "tset", "--project", str(project)]) == 2
    assert "no stack 'tset' (did you mean 'test'?)" in capsys.readouterr().err
    with pytest.raises(StackFileError):
        load_stack_build(project, "tset")


def test_a_bad_stack_file_exits_2_with_every_problem(tmp_path, capsys):
    project = make_project(tmp_path, "localhost:5001", source="{path: /abs, target: X}")
    assert cli.main(["build", "--stack", STACK, "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert "services.hello.source.path" in err and "services.hello.source.target" in err
    assert os.listdir(project / "stacks") == [f"Pulumi.{STACK}.yaml"]
    assert KEY not in yaml.safe_load((project / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]


def test_the_build_pushes_to_the_artifact_registry_repository_the_stack_creates(tmp_path):
    project = make_project(tmp_path / "project", "localhost:5001/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "    type: external\n    prefix: localhost:5001/apps   # the test's own registry\n",
        "    type: artifactRegistry\n    project: acme-apps-dev\n    location: europe-west1\n"))
    (target,) = load_stack_build(project, STACK).targets
    assert target.repository == "europe-west1-docker.pkg.dev/acme-apps-dev/apps/hello"


def test_the_build_finds_the_source_services_the_project_declares_in_python(tmp_path):
    project = make_project(tmp_path / "project", "localhost:5001/apps")
    stack_file = project / "stacks" / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().split("  knative-platform:services:")[0])  # none in the file
    (project / "stacks" / "services.py").write_text(
        "from knative_platform import Service, Source\n\n\n"
        "def services_for(stack):\n"
        "    return (Service(name='greeter', source=Source(path='apps/hello')),\n"
        "            Service(name='prebuilt', image='registry.example.com/a@sha256:' + 'a' * 64))\n")
    (target,) = load_stack_build(project, STACK).targets
    assert (target.service, target.repository) == ("greeter", "localhost:5001/apps/greeter")
    (project / "stacks" / "services.py").write_text("def services_for(stack):\n    raise RuntimeError('boom')\n")
    with pytest.raises(SpecError, match=r"stacks/services\.py: could not be run to read its services: "
                                        r"RuntimeError: boom"):
        load_stack_build(project, STACK)
