"""Shared helpers: run the real program for a stack under the project's own mocks.

Every program-level test goes through :func:`run_stack`, the same machinery as
``python -m components.offline render``, which sets the Pulumi runtime up and
tears it down around each run, so no settings leak between tests.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.errors import ConfigError
from components.offline.engine import Capture, RecordingMonitor, run_program
from components.offline.mocks import PlatformMocks
from components.offline.stackfile import load_program_config

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("local", "dev", "staging", "prod")
NS = "knative-platform"


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _key(key: str) -> str:
    return key if ":" in key else f"{NS}:{key}"


def run_stack(stack: str, overrides: dict[str, Any] | None = None, *, secrets: dict[str, str] | None = None,
              monitor: RecordingMonitor | None = None, project: Path = ROOT) -> Capture:
    """Run ``__main__.py`` for ``stack``.

    ``overrides`` replace config keys (un-namespaced keys are ours); ``secrets``
    add keys as ``pulumi config set --secret`` would.
    """
    program = load_program_config(project, stack)
    if secrets:
        program = replace(program, secret_keys=tuple(sorted({*program.secret_keys, *map(_key, secrets)})))
    extra = {_key(k): _encode(v) for k, v in {**(overrides or {}), **(secrets or {})}.items()}
    return run_program(program, extra_config=extra, monitor=monitor)


def config_error(stack: str, overrides: dict[str, Any], secrets: dict[str, str] | None = None) -> ConfigError:
    """Run a stack that must fail validation; assert that nothing was registered first."""
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(ConfigError) as info:
        run_stack(stack, overrides, secrets=secrets, monitor=monitor)
    assert monitor.recorded == {}, f"registered before failing: {sorted(monitor.recorded)}"
    return info.value


def k8s_objects(capture: Capture) -> dict[tuple[str, str], dict[str, Any]]:
    """Authored Kubernetes objects keyed by (kind, name)."""
    out = {}
    for reg in capture.registrations:
        if reg.custom and "kind" in reg.inputs and "apiVersion" in reg.inputs:
            out[(reg.inputs["kind"], reg.inputs["metadata"]["name"])] = dict(reg.inputs)
    return out


@functools.cache
def committed(stack: str) -> Capture:
    """The stack exactly as committed, run once per test session (renders are deterministic).

    Tests read it and never change it; a test that needs a variation runs
    :func:`run_stack` with overrides instead.
    """
    return run_stack(stack)


@functools.cache
def committed_files(stack: str) -> dict[str, str]:
    """The render tree of the committed stack (see :func:`committed`)."""
    from components.offline.render import render_files

    return render_files(committed(stack), load_program_config(ROOT, stack))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Every stack rendered as committed (one directory per stack); tests that edit a render copy it first."""
    from components.offline.render import write_tree

    out = tmp_path_factory.mktemp("clean")
    for stack in STACKS:
        write_tree(committed_files(stack), out / stack)
    return out
