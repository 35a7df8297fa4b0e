"""Read a Pulumi project and one stack's config file the way the Pulumi CLI hands them to a program.

Secrets never reach the render: a ``secure:`` value (at any depth) becomes the
placeholder :data:`REDACTED` and its top-level key is listed as secret, as the
CLI lists it, so the program takes the same code paths it takes under ``pulumi up``.

A program that reads other stacks (an app project's ``PlatformReference``) gets
their outputs from a file of mocked outputs, by default
``<stackConfigDir>/stack-outputs.json``: a map from the referenced stack's full
name (or ``*`` for any) to its outputs, in the shape ``pulumi stack output --json``
prints, where a secret output reads ``"[secret]"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REDACTED = "[secret]"
STACK_OUTPUTS_FILE = "stack-outputs.json"
"""Mocked outputs of referenced stacks, looked up in the project's ``stackConfigDir``."""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: about ten times faster on a stack file of thousands of services
(issue 9), and the same documents as ``yaml.safe_load``."""


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


@dataclass(frozen=True)
class ProgramConfig:
    """What the program receives: its project, its stack, flat config and the secret keys."""

    project_dir: Path
    project: str
    stack: str
    main: Path
    config: Mapping[str, str]
    secret_keys: tuple[str, ...]
    stack_file: Path | None
    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """What StackReferences return offline: referenced stack name (or ``*``) -> its outputs."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=False, separators=(",", ":"))
    return str(value)


def _redact_secure(value: Any) -> tuple[Any, bool]:
    """Replace ``{secure: ...}`` leaves by :data:`REDACTED`; report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return REDACTED, True
        found = False
        out = {}
        for key, item in value.items():
            out[key], hit = _redact_secure(item)
            found = found or hit
        return out, found
    if isinstance(value, list):
        pairs = [_redact_secure(item) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from exc


def load_stack_outputs(path: Path) -> dict[str, dict[str, Any]]:
    """Read a file of mocked stack outputs: ``{"<org>/<project>/<stack>" or "*": {output: value}}``."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise StackFileError(f"{path}: cannot read the mocked stack outputs: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid JSON or YAML: {exc}") from exc
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise StackFileError(f"{path}: expected a map from stack name (<organization>/<project>/<stack>, or '*') "
                             "to that stack's outputs")
    return {str(name): dict(outputs) for name, outputs in doc.items()}


def load_program_config(project_dir: Path | str, stack: str, stack_outputs_file: Path | None = None) -> ProgramConfig:
    """Read ``Pulumi.yaml`` and ``<stackConfigDir>/Pulumi.<stack>.yaml`` from ``project_dir``.

    ``stack_outputs_file`` holds what StackReferences return; by default
    ``<stackConfigDir>/stack-outputs.json`` when the project has one.
    """
    project_dir = Path(project_dir).resolve()
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise StackFileError(f"no Pulumi.yaml in {project_dir}")
    project_doc = _load_yaml(project_file)
    project = str(project_doc.get("name") or "")
    if not project:
        raise StackFileError(f"{project_file}: no project name")
    main = project_dir / str(project_doc.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    config_dir = project_dir / str(project_doc.get("stackConfigDir") or ".")
    stack_file = config_dir / f"Pulumi.{stack}.yaml"
    values: dict[str, str] = {}
    secret: set[str] = set()

    def full(key: str) -> str:
        return key if ":" in key else f"{project}:{key}"

    for key, decl in (project_doc.get("config") or {}).items():
        if isinstance(decl, dict) and ("default" in decl or "value" in decl):
            values[full(key)] = _scalar(decl.get("value", decl.get("default")))
        elif not isinstance(decl, dict):
            values[full(key)] = _scalar(decl)
    if stack_file.is_file():
        for key, value in (_load_yaml(stack_file).get("config") or {}).items():
            redacted, is_secret = _redact_secure(value)
            values[full(key)] = _scalar(redacted)
            if is_secret:
                secret.add(full(key))
    elif not (config_dir / f"Pulumi.{stack}.yaml").exists() and stack_file.parent.is_dir():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack '{stack}': {stack_file} does not exist (stacks: {', '.join(known) or 'none'})")
    if stack_outputs_file is None and (config_dir / STACK_OUTPUTS_FILE).is_file():
        stack_outputs_file = config_dir / STACK_OUTPUTS_FILE
    stack_outputs = load_stack_outputs(Path(stack_outputs_file)) if stack_outputs_file is not None else {}
    return ProgramConfig(
        project_dir=project_dir,
        project=project,
        stack=stack,
        main=main,
        config=dict(sorted(values.items())),
        secret_keys=tuple(sorted(secret)),
        stack_file=stack_file if stack_file.is_file() else None,
        stack_outputs=stack_outputs,
    )


def available_stacks(project_dir: Path | str) -> list[str]:
    """Stacks with a ``Pulumi.<stack>.yaml`` in the project's ``stackConfigDir``."""
    project_dir = Path(project_dir)
    doc = _load_yaml(project_dir / "Pulumi.yaml")
    config_dir = project_dir / str(doc.get("stackConfigDir") or ".")
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
