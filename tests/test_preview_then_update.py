"""Every value a preview knows is the value the update computes: what ``pulumi up --plan`` checks.

The gated deploys (``deploy.yml``) run ``pulumi preview --save-plan`` and later
``pulumi up --plan``; the engine refuses the update, after applying its
resources and without saving its outputs, when a resource's inputs or a stack
output differ from the plan's (pulumi/pulumi v3.259.0 ``pkg/resource/deploy/plan.go``
``checkInputs``/``checkOutputs``, ``step_executor.go`` for the stack's outputs at
the end). A value unknown in the preview matches anything
(``sdk/go/common/resource/properties_diff.go`` ``DeepEqualsIncludeUnknowns``).

So every shipped stack and the team-app example run twice: as an update in
another process, on another clock, time zone and hash seed, and here as a
preview; once as a fresh stack and once as the second deployment over the
first update's outputs. Whatever the program derives from a clock, a random
source or the process would differ.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import ROOT

from knative_platform.imagebuild.__main__ import plan
from knative_platform.imagebuild.stackconfig import load_stack_build
from knative_platform.offline.engine import UNKNOWN, Capture, Mode, own_stack_name, run_program
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

CASES = (*((".", s) for s in ("local", "dev", "staging", "prod")), ("examples/team-app", "dev"),
         ("examples/team-app", "prod"))
UPDATE_CLOCK = "2031-06-30T23:59:58+00:00"
PREVIEW_CLOCK = datetime.datetime(2029, 1, 1, 4, 5, 6, tzinfo=datetime.UTC)


def snapshot(capture: Capture) -> dict[str, Any]:
    """What the engine's plan check compares: each resource's inputs, each component's and the stack's outputs."""
    return {"resources": {r.urn: r.inputs for r in capture.registrations},
            "components": capture.component_outputs, "outputs": capture.outputs}


def built(project: Path, stack: str) -> dict[str, str]:
    """The ``images`` record ``knative-platform build`` would write for the stack's source services (none: {}).

    A preview and the update that follows read the same record (deploy.yml hands it from the build job to both).
    """
    records = {row["service"]: {"source": row["fingerprint"], "repository": row["repository"],
                                "digest": "sha256:" + hashlib.sha256(row["fingerprint"].encode()).hexdigest()}
               for row in plan(load_stack_build(project, stack))}
    return {"knative-platform:images": json.dumps(records)} if records else {}


def deploy(mode: Mode, previous: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Each case fresh and, over ``previous`` outputs (default: this run's fresh ones), as a second deployment."""
    runs: dict[str, dict[str, Any]] = {}
    for project, stack in CASES:
        program = load_program_config(ROOT / project, stack)
        images = built(ROOT / project, stack)
        fresh = run_program(program, mode=mode, extra_config=images)
        first = (previous or {}).get(f"{project}:{stack}", fresh.outputs)
        second = run_program(replace(program, stack_outputs={**program.stack_outputs, own_stack_name(program): first}),
                             mode=mode, extra_config=images)
        runs[f"{project}:{stack}:fresh"] = snapshot(fresh)
        runs[f"{project}:{stack}:second"] = snapshot(second)
    return runs


CHILD = f"""
import datetime, json, sys
import time_machine
with time_machine.travel(datetime.datetime.fromisoformat({UPDATE_CLOCK!r}), tick=True):
    from tests.test_preview_then_update import deploy
    from knative_platform.offline.engine import Mode
    json.dump(deploy(Mode.UPDATE), sys.stdout)
"""


def matches(preview: Any, update: Any, path: str, out: list[str]) -> None:
    """Collect where ``update`` differs from ``preview``; a preview's unknown matches anything."""
    if preview == UNKNOWN:
        return
    if isinstance(preview, dict) and isinstance(update, dict):
        for key in sorted(set(preview) | set(update)):
            matches(preview.get(key, "(absent)"), update.get(key, "(absent)"), f"{path}.{key}", out)
    elif isinstance(preview, list) and isinstance(update, list) and len(preview) == len(update):
        for i, (p, u) in enumerate(zip(preview, update, strict=True)):
            matches(p, u, f"{path}[{i}]", out)
    elif preview != update:
        out.append(f"{path}: preview {json.dumps(preview)[:200]}, update {json.dumps(update)[:200]}")


@pytest.fixture(scope="module")
def updates() -> dict[str, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "tests"))), "PYTHONHASHSEED": "4242",
           "TZ": "Pacific/Chatham", "SOURCE_DATE_EPOCH": "1950000000"}  # the reproducible-builds clock differs too
    result = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_every_value_a_preview_knows_is_the_updates(updates, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    firsts = {f"{project}:{stack}": updates[f"{project}:{stack}:fresh"]["outputs"] for project, stack in CASES}
    with time_machine.travel(PREVIEW_CLOCK, tick=True):
        previews = deploy(Mode.PREVIEW, previous=firsts)
    assert sorted(previews) == sorted(updates)
    differences: list[str] = []
    for run, preview in previews.items():
        assert sorted(preview["resources"]) == sorted(updates[run]["resources"]), run
        matches(preview, updates[run], run, differences)
    assert differences == []
    assert all(updates[f"{p}:{s}:second"]["outputs"]["revisions"] for p, s in CASES)  # the record went through


def test_the_comparison_sees_a_difference_and_forgives_an_unknown():
    out: list[str] = []
    matches({"a": [1, {"b": "x"}], "c": UNKNOWN}, {"a": [1, {"b": "y"}], "c": 5}, "run", out)
    assert out == ['run.a[1].b: preview "x", update "y"']


def test_a_render_can_run_as_the_update(tmp_path):
    from knative_platform.offline.__main__ import main

    assert main(["render", "--stack", "dev", "--project", str(ROOT), "--out", str(tmp_path / "u"),
                 "--mode", "update"]) == 0
    assert (tmp_path / "u" / "stack.yaml").is_file()
    assert Path(tmp_path / "u" / "resources.yaml").read_text() == \
        (ROOT / "tests" / "golden" / "dev" / "resources.yaml").read_text()


def test_a_source_service_nobody_built_previews_as_pending_build_and_is_refused_at_up():
    """By design the two differ here: the preview shows a placeholder, and the update stops before registering."""
    program = load_program_config(ROOT, "local")
    preview = run_program(program, mode=Mode.PREVIEW)
    assert preview.outputs["sources"]["hello"]["pendingBuild"] is True
    with pytest.raises(ConfigError, match="run `knative-platform build --stack local`"):
        run_program(program, mode=Mode.UPDATE)
    update = run_program(program, mode=Mode.UPDATE, extra_config=built(ROOT, "local"))
    assert "pendingBuild" not in update.outputs["sources"]["hello"]
    assert update.outputs["sources"]["hello"]["revision"] == preview.outputs["sources"]["hello"]["revision"]
