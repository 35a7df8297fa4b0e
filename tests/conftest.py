"""Shared helpers: run the real program for a stack under the project's own mocks.

Every program-level test goes through :func:`run_stack`, the same machinery as
``python -m knative_platform.offline render``, which sets the Pulumi runtime up and
tears it down around each run, so no settings leak between tests.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from knative_platform.offline.engine import Capture, Mode, RecordingMonitor, own_stack_name, run_program
from knative_platform.offline.mocks import PlatformMocks
from knative_platform.offline.stackfile import load_program_config
from knative_platform.runtime.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("local", "dev", "staging", "prod")
NS = "knative-platform"


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _key(key: str) -> str:
    return key if ":" in key else f"{NS}:{key}"


def run_stack(stack: str, overrides: dict[str, Any] | None = None, *, secrets: dict[str, str] | None = None,
              monitor: RecordingMonitor | None = None, project: Path = ROOT,
              previous: Capture | None = None, mode: Mode = Mode.PREVIEW) -> Capture:
    """Run ``__main__.py`` for ``stack``.

    ``overrides`` replace config keys (un-namespaced keys are ours); ``secrets``
    add keys as ``pulumi config set --secret`` would. ``previous`` is the run
    this one updates: the stack's read of its own outputs answers with them.
    """
    program = load_program_config(project, stack)
    if previous is not None:
        own = own_stack_name(program)
        program = replace(program, stack_outputs={**program.stack_outputs, own: previous.outputs})
    if secrets:
        program = replace(program, secret_keys=tuple(sorted({*program.secret_keys, *map(_key, secrets)})))
    extra = {_key(k): _encode(v) for k, v in {**(overrides or {}), **(secrets or {})}.items()}
    return run_program(program, extra_config=extra, monitor=monitor, mode=mode)


def config_error(stack: str, overrides: dict[str, Any], secrets: dict[str, str] | None = None) -> ConfigError:
    """Run a stack that must fail validation; assert that nothing was registered first."""
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(ConfigError) as info:
        run_stack(stack, overrides, secrets=secrets, monitor=monitor)
    assert monitor.recorded == {}, f"registered before failing: {sorted(monitor.recorded)}"
    return info.value


def refused_update(stack: str, overrides: dict[str, Any], previous: Capture, *,
                   project: Path = ROOT, mode: Mode = Mode.PREVIEW) -> ConfigError:
    """Run a platform update the revision checks must refuse; assert that nothing registered (the read of the
    previous outputs is an invoke, before anything registers)."""
    program = load_program_config(project, stack)
    outputs = {**program.stack_outputs, own_stack_name(program): previous.outputs}
    monitor = RecordingMonitor(PlatformMocks(stack_outputs=outputs))
    with pytest.raises(ConfigError) as info:
        run_stack(stack, overrides, monitor=monitor, project=project, previous=previous, mode=mode)
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
def committed_team_app(stack: str) -> Capture:
    """examples/team-app's ``stack`` as committed, against its mocked platform outputs, run once per session."""
    program = load_program_config(ROOT / "examples" / "team-app", stack)
    return run_program(program, monitor=RecordingMonitor(PlatformMocks(stack_outputs=program.stack_outputs)))


@functools.cache
def committed_files(stack: str) -> dict[str, str]:
    """The render tree of the committed stack (see :func:`committed`)."""
    from knative_platform.offline.render import render_files

    return render_files(committed(stack), load_program_config(ROOT, stack))


HEAVIEST_FIRST = ("test_diff.py", "test_preview_then_update.py", "test_property.py", "test_revision_flows.py",
                  "test_service_fields.py")
"""The test files that cost most CPU (5 to 10 s each in 2026-12: many program runs, whatever their test count).

xdist (``--dist loadfile``, ``--no-loadscope-reorder`` in pyproject.toml) hands whole files to whichever
worker is free, in collection order; a heavy file handed out last keeps one worker busy while the other
idles. Handed out first, the many light files even the two workers out at the end.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The heaviest files first (:data:`HEAVIEST_FIRST`); every other file, and each file's tests, keep their order."""
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


_frozen_at: list[Path] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """At each new test file: collect the garbage, then set what is still alive aside from the cyclic collector.

    What lives across test files (the Pulumi SDKs' modules, hundreds of thousands of objects once pulumi-gcp's
    are loaded, and the session's cached renders) would otherwise be walked by every full collection that a
    program run's allocations trigger: about a quarter of each run's CPU time. Frozen, those collections walk
    only what the current file made. Nothing that is garbage now is frozen (collected first), so nothing leaks
    but what the file boundary still holds alive; finalizers run as before.
    """
    if _frozen_at[-1:] != [item.path]:
        _frozen_at[:] = [item.path]
        gc.collect()
        gc.freeze()


@pytest.fixture
def failing_program():
    """A program failing inside an apply leaves futures nobody awaits; collect them while asyncio is quiet."""
    logger = logging.getLogger("asyncio")
    saved = logger.disabled
    logger.disabled = True
    yield
    gc.collect()
    logger.disabled = saved


def edited_project(tmp_path: Path, stack: str, edits: tuple[tuple[str, str], ...]) -> Path:
    """A copy of this project under ``tmp_path`` whose ``stacks/Pulumi.<stack>.yaml`` has each (old, new) edit."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "stacks", project / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "apps", project / "apps", ignore=shutil.ignore_patterns("__pycache__"))  # source services
    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return project


@pytest.fixture(scope="session")
def clean(tmp_path_factory):
    """Every stack rendered as committed (one directory per stack); tests that edit a render copy it first."""
    from knative_platform.offline.render import write_tree

    out = tmp_path_factory.mktemp("clean")
    for stack in STACKS:
        write_tree(committed_files(stack), out / stack)
    return out
