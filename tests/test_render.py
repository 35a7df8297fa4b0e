"""The offline render: golden trees per stack, isolation of changes, and the CLI.

The golden trees were written by another process, so matching them is also the render's determinism across
processes (tests/test_determinism.py holds the pure layers to it under two hash seeds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, STACKS, committed_files, run_stack

from knative_platform.offline.__main__ import main
from knative_platform.offline.render import render_files
from knative_platform.offline.stackfile import load_program_config

GOLDEN = Path(__file__).parent / "golden"


def render(stack, overrides=None, secrets=None):
    return render_files(run_stack(stack, overrides, secrets=secrets), load_program_config(ROOT, stack))


@pytest.mark.parametrize("stack", STACKS)
def test_render_matches_the_golden_tree(stack):
    files = committed_files(stack)
    golden_dir = GOLDEN / stack
    if os.environ.get("UPDATE_GOLDEN"):
        # The goldens are the project's files, not the render command's output: written here, file by file.
        shutil.rmtree(golden_dir, ignore_errors=True)
        for relative, text in files.items():
            (golden_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / relative).write_text(text, encoding="utf-8")
    on_disk = {str(p.relative_to(golden_dir)): p.read_text(encoding="utf-8")
               for p in sorted(golden_dir.rglob("*")) if p.is_file()}
    hint = "if the change is intended, regenerate: UPDATE_GOLDEN=1 pytest tests/test_render.py"
    assert sorted(on_disk) == sorted(files), f"the set of files differs; {hint}"
    for path, text in files.items():
        assert on_disk[path] == text, f"{stack}/{path} changed; {hint}"


def test_changing_one_canary_percent_changes_only_that_service():
    base = load_program_config(ROOT, "staging")
    services = json.loads(base.config["knative-platform:services"])
    services["helloworld-go"]["traffic"]["canary"]["percent"] = 50
    before, after = committed_files("staging"), render("staging", {"services": services})
    changed = sorted(p for p in before if before[p] != after[p])
    # the Service, and the stack's `traffic` output that states the same shares
    assert changed == ["kubernetes/default/Service-helloworld-go.yaml", "resources.yaml", "stack.yaml"]
    assert "percent: 50" in after["kubernetes/default/Service-helloworld-go.yaml"]
    # inside resources.yaml only the helloworld-go Service's traffic moved
    old, new = yaml.safe_load(before["resources.yaml"]), yaml.safe_load(after["resources.yaml"])
    key = "kubernetes:serving.knative.dev/v1:Service::helloworld-go"
    assert [k for k in old if old[k] != new[k]] == [key]
    old_spec, new_spec = old[key]["inputs"]["spec"], new[key]["inputs"]["spec"]
    assert [k for k in old_spec if old_spec[k] != new_spec[k]] == ["traffic"]
    assert [t["percent"] for t in new_spec["traffic"]] == [50, 50]


def test_secrets_never_appear_in_a_render():
    files = render("local", secrets={"kubeconfig": "apiVersion: v1\nclusters: TOP-SECRET-TOKEN\n"})
    assert not any("TOP-SECRET-TOKEN" in text for text in files.values())


def test_cli_renders_a_stack(tmp_path, capsys):
    assert main(["render", "--stack", "dev", "--project", str(ROOT), "--out", str(tmp_path / "dev")]) == 0
    assert (tmp_path / "dev" / "kubernetes" / "default" / "Service-helloworld-go.yaml").is_file()
    assert "rendered dev:" in capsys.readouterr().out
    # rendering again replaces the tree rather than piling files up
    assert main(["render", "--stack", "dev", "--project", str(ROOT), "--out", str(tmp_path / "dev")]) == 0


def test_cli_refuses_to_overwrite_a_directory_that_is_not_a_render(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["render", "--stack", "dev", "--project", str(ROOT), "--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert "is not this tool's output" in capsys.readouterr().err


def test_bad_config_exits_2_with_the_message_and_no_traceback(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((ROOT / name).read_text())
    (project / "stacks").mkdir()
    (project / "stacks" / "services.py").write_text((ROOT / "stacks" / "services.py").read_text())
    (project / "stacks" / "Pulumi.broken.yaml").write_text(
        "config:\n  knative-platform:cluster: {type: existing, context: team-cluster}\n"
        "  knative-platform:domain: example.com\n"
        "  knative-platform:services:\n    api:\n      image: gcr.io/x/y\n"
        "      autoscaling: {minScale: 5, maxScale: 2}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "knative_platform.offline", "render", "--stack", "broken",
                             "--project", str(project)], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 2
    assert result.stderr == "error: services.api.autoscaling.minScale: must be <= maxScale (2)\n"
    assert not (project / "build").exists()


def test_unknown_stack_is_a_clear_error(capsys):
    assert main(["render", "--stack", "qa", "--project", str(ROOT)]) == 2
    assert "no stack 'qa'" in capsys.readouterr().err


def test_a_render_warning_names_its_severity_and_its_stack(tmp_path, capsys):
    """``render --all`` prints each stack's warnings before its ``rendered`` line: each says which stack it is."""
    assert main(["render", "--stack", "staging", "--out", str(tmp_path / "staging")]) == 0
    (line,) = capsys.readouterr().err.splitlines()  # the note itself is tests/test_revision_flows.py's
    assert line.startswith("warning: staging: services.helloworld-go.traffic.canary.stable: helloworld-go-v1 ")
