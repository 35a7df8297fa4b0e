"""Read a Pulumi project and one stack's config file the way the Pulumi CLI hands them to a program.

Secrets never reach the render: a ``secure:`` value (at any depth) becomes the
placeholder :data:`~knative_platform.offline.secrets.REDACTED` and its top-level key is listed as secret, as the
CLI lists it, so the program takes the same code paths it takes under ``pulumi up``.

The project file's typed ``config:`` declarations act as the CLI applies them
(pulumi/pulumi v3.259.0, ``pkg/workspace/config.go`` ``mergeConfig`` and
``validateStackConfigValue``): a declared key's ``default`` or ``value`` fills a
stack that does not set it; a declared key with neither is *required*, and a
stack without it fails; a ``secret`` key must be stored encrypted; a value must
have its declared ``type``.

A project made for ``pulumi new`` names itself ``${PROJECT}``; the CLI replaces
that placeholder in every file it lays down (pulumi/pulumi v3.259.0,
``pkg/cmd/pulumi/templates/project_templates.go`` ``transform``) and defaults the
name to the directory's (``pkg/workspace/templates.go``
``ValueOrSanitizedDefaultProjectName``). Offline, the template renders the same
way: its name is its directory's, and ``${PROJECT}`` in its stack files is that name.

A program that reads other stacks (an app project's ``PlatformReference``) gets
their outputs from a file of mocked outputs, by default
``<stackConfigDir>/stack-outputs.json``: a map from the referenced stack's full
name (or ``*`` for any) to its outputs, in the shape ``pulumi stack output --json``
prints, where a secret output reads ``"[secret]"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.core.errors import did_you_mean, shorten, show
from .esc import StackEnvironment, environment_imports, stack_environment
from .secrets import REDACTED
from .stackyaml import StackYamlError, load_yaml

PROJECT_PLACEHOLDER = "${PROJECT}"
"""What ``pulumi new`` replaces with the new project's name, in every file of a template."""
STACK_OUTPUTS_FILE = "stack-outputs.json"
"""Mocked outputs of referenced stacks, looked up in the project's ``stackConfigDir``."""


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
STACK_NAME_RULE = "a stack name is 1-100 letters, digits, '_', '.' or '-' (Pulumi's rule), and not '.' or '..'"


def stack_name_problem(stack: str) -> str | None:
    """Why ``stack`` is not a stack name, or None.

    pulumi/pulumi v3.259.0 ``sdk/go/common/tokens/stack_name.go`` ``ParseStackName``:
    not empty, at most 100 characters, each of ``[A-Za-z0-9_.-]``. The names
    ``.`` and ``..``, which that rule allows, are refused too: a stack's name
    becomes a path (``Pulumi.<stack>.yaml``, ``build/render/<stack>``).
    """
    if _STACK_NAME.match(stack) and stack not in (".", ".."):
        return None
    return STACK_NAME_RULE


def check_stack(stack: str) -> None:
    """Raise :class:`StackFileError` ("no stack ...") when ``stack`` is not a name Pulumi gives a stack."""
    if stack_name_problem(stack):
        raise StackFileError(f"no stack {show(stack, 60)}: {STACK_NAME_RULE}")


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
    secret_fingerprints: Mapping[str, str] = field(default_factory=dict)
    """Per secret key, a fingerprint of its ciphertexts (:func:`secret_fingerprint`), so a render shows a rotation."""
    environment: StackEnvironment | None = None
    """The Pulumi ESC environments the stack file imports, which the render cannot open (:mod:`.esc`)."""


def _scalar(value: Any) -> str:
    """A config value as the CLI hands it to the program: text, or JSON for null, lists and maps.

    pulumi/pulumi sdk/go/common/resource/config/object.go (``MarshalString``):
    strings as written, booleans and numbers as JSON, everything else (null
    included) as JSON text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=False, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _is_secure(value: Any) -> bool:
    """``{secure: <ciphertext>}``: a map of exactly one key ``secure`` whose value is a string (``isSecureValue``)."""
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _redact_secure(value: Any) -> tuple[Any, bool]:
    """Replace ``{secure: ...}`` leaves by :data:`REDACTED`; report whether any was found."""
    if isinstance(value, dict):
        if _is_secure(value):
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


def _config_value(value: Any) -> tuple[Any, str, bool]:
    """``value`` with secure leaves redacted, its text for the program (:func:`_scalar`), and whether it held one.

    Compact JSON writes ``"secure":`` only for a map key ``secure`` (a quote
    inside a string is escaped), so a list or map whose text lacks it holds no
    ``{secure: ...}``: it is handed over as read, without a redacting copy.
    """
    text = _scalar(value)
    if isinstance(value, (dict, list)) and '"secure":' not in text:
        return value, text, False
    redacted, found = _redact_secure(value)
    return redacted, _scalar(redacted), found


def _ciphertexts(value: Any) -> list[str]:
    """Every ciphertext in ``value``, in document order."""
    if _is_secure(value):
        return [value["secure"]]
    if isinstance(value, dict):
        return [c for item in value.values() for c in _ciphertexts(item)]
    if isinstance(value, list):
        return [c for item in value for c in _ciphertexts(item)]
    return []


def secret_fingerprint(project: str, stack: str, key: str, value: Any) -> str:
    """``[secret 1a2b3c4d5e6f]``: changes whenever a ciphertext of ``key`` changes, and reveals nothing.

    The ciphertext is already public (it is in the stack file); salting its
    hash with the project, stack and key keeps one secret's fingerprint from
    matching another's, so a render can show that a secret rotated without
    showing, or letting anyone derive, its value.
    """
    text = "\0".join([project, stack, key, *_ciphertexts(value)])
    return f"[secret {hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}]"


def _load_yaml(path: Path) -> Any:
    try:
        return load_yaml(path)
    except StackYamlError as exc:
        raise StackFileError(str(exc)) from None


def _map(doc: Any, path: Path, what: str) -> dict[str, Any]:
    """``doc`` when it is a map (an empty file is an empty map), else a StackFileError saying what it must be."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError(f"{path}: {what} must be a map, got {_yaml_type(doc)}")
    return doc


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "null" if value is None else "a map"


def _config_key(key: str, project: str, path: Path) -> str:
    """``key`` with its namespace, as ``config.ParseKey`` reads it (``ns:name``, or the old ``ns:config:name``)."""
    parts = key.split(":")
    if len(parts) == 1:
        return f"{project}:{key}"
    if len(parts) == 2 and all(parts):
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    raise StackFileError(f"{path}: config key {show(key, 60)} is not of the form <namespace>:<name> (for example "
                         f"{project}:domain)")


def load_stack_outputs(path: Path) -> dict[str, dict[str, Any]]:
    """Read a file of mocked stack outputs: ``{"<org>/<project>/<stack>" or "*": {output: value}}``."""
    if not path.is_file():
        raise StackFileError(f"{path}: cannot read the mocked stack outputs: no such file")
    doc = _load_yaml(path)
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise StackFileError(f"{path}: expected a map from stack name (<organization>/<project>/<stack>, or '*') "
                             "to that stack's outputs")
    return {str(name): dict(outputs) for name, outputs in doc.items()}


def load_program_config(project_dir: Path | str, stack: str, stack_outputs_file: Path | None = None) -> ProgramConfig:
    """Read ``Pulumi.yaml`` and ``<stackConfigDir>/Pulumi.<stack>.yaml`` from ``project_dir``.

    ``stack_outputs_file`` holds what StackReferences return; by default
    ``<stackConfigDir>/stack-outputs.json`` when the project has one.
    """
    check_stack(stack)
    project_dir = Path(project_dir).resolve()
    project_file = project_dir / "Pulumi.yaml"
    project_doc, project = _read_project(project_dir, project_file)
    main = project_dir / str(project_doc.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    config_dir = project_dir / str(project_doc.get("stackConfigDir") or ".")
    stack_file = config_dir / f"Pulumi.{stack}.yaml"
    read = _read_stack_file(stack_file, project, stack)
    problems, defaulted = _apply_declarations(_map(project_doc.get("config"), project_file, "config"), project,
                                              project_file, read.values, read.stack_values, read.secret, read.imports)
    if problems:
        raise StackFileError(f"{stack_file}: stack '{stack}' against the config declared in {project_file.name}: "
                             + "; ".join(problems))
    if stack_outputs_file is None and (config_dir / STACK_OUTPUTS_FILE).is_file():
        stack_outputs_file = config_dir / STACK_OUTPUTS_FILE
    stack_outputs = load_stack_outputs(Path(stack_outputs_file)) if stack_outputs_file is not None else {}
    return ProgramConfig(
        project_dir=project_dir,
        project=project,
        stack=stack,
        main=main,
        config=dict(sorted(read.values.items())),
        secret_keys=tuple(sorted(read.secret)),
        stack_file=stack_file if stack_file.is_file() else None,
        stack_outputs=stack_outputs,
        secret_fingerprints=dict(sorted(read.fingerprints.items())),
        environment=stack_environment(read.imports, read.stack_values, defaulted),
    )


def _read_project(project_dir: Path, project_file: Path) -> tuple[dict[str, Any], str]:
    """The project file as a map, and the project's name."""
    if not project_file.is_file():
        raise StackFileError(f"no Pulumi.yaml in {project_dir}")
    project_doc = _map(_load_yaml(project_file), project_file, "the project file")
    project = project_name(project_doc, project_dir) if isinstance(project_doc.get("name"), str) else ""
    if not project:
        raise StackFileError(f"{project_file}: no project name (name: <project>)")
    return project_doc, project


@dataclass
class _StackValues:
    """One stack file's config as the CLI hands it over, and what it keeps secret and imports."""

    values: dict[str, str] = field(default_factory=dict)
    """Full key -> the text the program receives (:func:`_scalar`), secure leaves redacted."""
    stack_values: dict[str, Any] = field(default_factory=dict)
    """Full key -> the value as written, secure leaves redacted."""
    secret: set[str] = field(default_factory=set)
    fingerprints: dict[str, str] = field(default_factory=dict)
    imports: tuple[str, ...] = ()


def _read_stack_file(stack_file: Path, project: str, stack: str) -> _StackValues:
    """The stack file's config (none when the file is absent but its folder is not: a stack with no config)."""
    read = _StackValues()
    if not stack_file.is_file():
        if not stack_file.exists() and stack_file.parent.is_dir():
            config_dir = stack_file.parent
            known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
            raise StackFileError(f"no stack '{stack}'{did_you_mean(stack, known)}: {stack_file} does not exist "
                                 f"(stacks: {', '.join(known) or 'none'})")
        return read
    stack_doc = _map(_load_yaml(stack_file), stack_file, "a stack file")
    try:
        read.imports = environment_imports(stack_doc.get("environment"))
    except ValueError as exc:
        raise StackFileError(f"{stack_file}: {exc}") from None
    for key, value in _map(stack_doc.get("config"), stack_file, "config").items():
        full = _config_key(str(key).replace(PROJECT_PLACEHOLDER, project), project, stack_file)
        read.stack_values[full], read.values[full], is_secret = _config_value(value)
        if is_secret:
            read.secret.add(full)
            read.fingerprints[full] = secret_fingerprint(project, stack, full, value)
    return read


def _apply_declarations(declarations: Mapping[str, Any], project: str, project_file: Path, values: dict[str, str],
                        stack_values: Mapping[str, Any], secret: set[str],
                        imports: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Fill ``values`` from the project's typed ``config:`` as the CLI does; the problems, and the keys defaulted."""
    problems: list[str] = []
    defaulted: list[str] = []
    for key, decl in declarations.items():
        key = _config_key(str(key), project, project_file)
        if not isinstance(decl, dict):
            if key not in values:
                defaulted.append(key)
            values.setdefault(key, _scalar(decl))
            continue
        if key not in stack_values and ("default" in decl or "value" in decl):
            if decl.get("secret"):  # the CLI fills in the default as plain text, then refuses it
                problems.append(f"'{key}' must be encrypted as it's secret; a secret key cannot have a default")
            values[key] = _scalar(decl.get("value", decl.get("default")))
            defaulted.append(key)
        elif key not in stack_values and key.startswith(f"{project}:"):
            problems.append(f"missing configuration value '{key}'" + _declared(decl) + _unseen(imports))
        elif key in stack_values:
            problems += _declaration_problems(key, decl, stack_values[key], key in secret)
    return problems, defaulted


def _unseen(imports: tuple[str, ...]) -> str:
    """For a required key the stack file lacks: the environments that may set it, which the render cannot open."""
    if not imports:
        return ""
    return (f" (the stack imports ESC environment(s) {', '.join(imports)}, which may set it for `pulumi up`, but the "
            "offline render cannot open them: set it in the stack file to render offline)")


def _declared(decl: Mapping[str, Any]) -> str:
    description = str(decl.get("description") or "").strip()
    return f" ({description}); set it with `pulumi config set`" if description else "; set it with `pulumi config set`"


def _declaration_problems(key: str, decl: Mapping[str, Any], value: Any, is_secret: bool) -> list[str]:
    """What the CLI refuses of a stack's value for a declared key: plain text for a secret, a wrong type."""
    problems = []
    if decl.get("secret") and not is_secret:
        problems.append(f"'{key}' must be encrypted as it's secret: `pulumi config set --secret`")
    kind = decl.get("type")
    text = value if isinstance(value, str) else _scalar(value)
    if kind is not None and value != REDACTED:
        valid = {"string": not isinstance(value, (dict, list)), "integer": re.fullmatch(r"-?\d+", text) is not None,
                 "boolean": text in ("true", "false"), "array": isinstance(value, list)}.get(str(kind), True)
        if not valid:
            problems.append(f"'{key}' must be of type '{kind}'")
    return problems


def project_name(project_doc: Mapping[str, Any], project_dir: Path) -> str:
    """The project's name; a ``pulumi new`` template's (``name: ${PROJECT}``) is its directory's, as in the CLI."""
    name = str(project_doc.get("name") or "")
    if name != PROJECT_PLACEHOLDER:
        return name
    # pkg/workspace/templates.go getValidProjectName: strip what a project name may not hold.
    return re.sub(r"[^a-zA-Z0-9_.-]", "", project_dir.name) or "project"


def available_stacks(project_dir: Path | str) -> list[str]:
    """Stacks with a ``Pulumi.<stack>.yaml`` in the project's ``stackConfigDir``.

    A file whose stack name Pulumi would not accept (``Pulumi....yaml`` names
    ``..``) is refused, not skipped: rendering every stack must not quietly
    leave one out, nor write to a path such a name spells.
    """
    project_dir = Path(project_dir)
    doc = _map(_load_yaml(project_dir / "Pulumi.yaml"), project_dir / "Pulumi.yaml", "the project file")
    config_dir = project_dir / str(doc.get("stackConfigDir") or ".")
    stacks = []
    for path in sorted(config_dir.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi."):-len(".yaml")]
        if stack_name_problem(stack):
            raise StackFileError(f"{shorten(str(path))}: {show(stack, 60)} is not a stack name: {STACK_NAME_RULE}; "
                                 "rename or remove the file")
        stacks.append(stack)
    return stacks
