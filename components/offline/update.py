"""Render a stack as the update that follows an earlier deployment, the way ``pulumi up`` would run it.

``pulumi up`` reads the stack's own previous outputs (its ``revisions``, see
:mod:`knative_platform.runtime.history`); offline, the previous deployment is a render: the
``stack.yaml`` of the base of a review, or any render directory. The program's
reference to its own stack then answers with that render's outputs, so the
revision checks judge the head against the base exactly as the next update
would. When they refuse it, the review still needs to see what changes: the
stack is rendered again as a first deployment, and the refusal travels with
the render (``refused.yaml``) to become a "Refused" finding in the diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model.core.errors import Problem
from ..runtime.errors import ConfigError
from .engine import Capture, Mode, own_stack_name, run_program
from .render import MARKER
from .renders import RenderError, read_render_yaml
from .stackfile import ProgramConfig, StackFileError


def previous_outputs(directory: Path, stack: str) -> dict[str, Any] | None:
    """The outputs of ``stack`` in a render directory (one stack's render, or ``render --all`` output).

    None when the directory holds no render of that stack: the stack is new.
    """
    for candidate in (directory / stack / MARKER, directory / MARKER):
        if candidate.is_file():
            try:
                doc = read_render_yaml(candidate.read_text(encoding="utf-8"), candidate)
            except (OSError, UnicodeDecodeError, RenderError) as exc:
                raise StackFileError(f"the previous render: {exc}") from None
            if isinstance(doc, Mapping) and doc.get("stack") == stack:
                return dict(doc.get("outputs") or {})
    return None


def run_update(program: ProgramConfig, previous: Mapping[str, Any] | None,
               mode: Mode = Mode.PREVIEW) -> tuple[Capture, tuple[Problem, ...]]:
    """Run ``program`` after a deployment whose outputs were ``previous``; the refusal's problems, if refused.

    With no previous outputs the stack's own reference answers as its stack
    file of mocked outputs says (by default: a stack never deployed). ``mode``:
    as ``pulumi preview`` or as ``pulumi up`` runs the program.
    """
    if previous is None:
        return run_program(program, mode=mode), ()
    after = replace(program, stack_outputs={**program.stack_outputs, own_stack_name(program): dict(previous)})
    try:
        return run_program(after, mode=mode), ()
    except ConfigError as refused:
        # What the change is, rendered as a first deployment; a configuration error of its own still fails.
        return run_program(program, mode=mode), refused.problems
