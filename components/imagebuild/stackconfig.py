"""What ``knative-platform build`` reads from a stack (its source services, its registry) and what it writes back.

Reading goes through the offline stack-file reader (:mod:`knative_platform.offline.stackfile`), the way the Pulumi
CLI hands config to the program, and decodes with the spec's own decoders, so ``build`` and ``pulumi up``
agree on what a service's ``source`` says. Services declared in Python (``stacks/*.py``, an app project's
``KnativeApp``) are not read here: only the stack file's ``services``.

Writing sets one key, ``<project>:images``, in ``Pulumi.<stack>.yaml`` as ``pulumi config set --path``
would store it (a YAML map under ``config:``), and changes nothing else in the file: comments, order,
quoting and blank lines stay byte for byte (the Pulumi CLI itself re-marshals the whole file and loses some
of that: pulumi/pulumi#423). The new text is read back with the CLI's YAML rules before it replaces the
file, and must hold exactly the old config plus the new key.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..model.core.config_value import parse_config_value
from ..model.core.decode import INVALID, Decoder
from ..model.core.errors import Problem, SpecError, join_path
from ..model.core.names import dns1035_problem
from ..model.service.service import Service, decode_service, image_or_source_problems
from ..model.source.registry import ExternalRegistry, RegistrySpec, decode_registry, registry_problems, repository_of
from ..model.source.source import Source, source_location_problems
from ..offline.stackfile import load_program_config
from ..offline.stackyaml import Loader, StackYamlError, load_yaml

IMAGES_KEY = "images"


@dataclass(frozen=True)
class BuildTarget:
    """One source service to build: its name, its source and the repository it is pushed to."""

    service: str
    source: Source
    repository: str


@dataclass(frozen=True)
class StackBuild:
    """A stack's source services, validated against the checkout, and where the build records them."""

    project_dir: Path
    namespace: str
    stack_file: Path
    targets: tuple[BuildTarget, ...]


def _source_services(raw: Any, decoder: Decoder) -> list[Service]:
    """The services of ``raw`` (the ``services`` map) that declare ``source``, decoded."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        decoder.problem("services", "expected a map from service name to its spec")
        return []
    found = []
    for name, spec in raw.items():
        if not isinstance(spec, Mapping) or spec.get("source") is None:
            continue
        service = decode_service(str(name), spec, join_path("services", str(name)), decoder)
        if service is not INVALID:
            found.append(service)
    return found


def _target_problems(service: Service, project_dir: Path, reserved: Path) -> list[Problem]:
    """The name, exactly one of image and source, the source's own rules, then the source against the checkout."""
    found: list[tuple[str, str]] = []
    name_problem = dns1035_problem(service.name, "service name")
    if name_problem:
        found.append(("", name_problem))
    image_or_source_problems(service, lambda key, message: found.append((key, message)))
    if not found and service.source is not None:
        source_location_problems(service.source, project_dir, lambda key, message: found.append((key, message)),
                                 reserved=[reserved])
    path = join_path("services", service.name)
    return [Problem(join_path(path, key) if key else path, message) for key, message in found]


def load_stack_build(project_dir: Path | str, stack: str, registry: str | None = None) -> StackBuild:
    """Read and check ``stack``'s source services; ``registry`` (a prefix) overrides the stack's registry.

    Raises SpecError with every problem (each with its config path), or StackFileError for an unreadable
    project or stack file.
    """
    program = load_program_config(project_dir, stack)
    ns = program.project
    decoder = Decoder()
    services = _source_services(parse_config_value(program.config.get(f"{ns}:services")), decoder)
    reg: RegistrySpec | None
    if registry is not None:
        reg = ExternalRegistry(prefix=registry)
        decoder.problems += [Problem("--registry", p.message) for p in registry_problems(reg, "")]
    else:
        raw = parse_config_value(program.config.get(f"{ns}:registry"))
        reg = None if raw is None else decode_registry(raw, "registry", decoder)
        if reg is not None and reg is not INVALID:
            decoder.problems += registry_problems(reg, "registry")
    if services and reg is None:
        decoder.problem("registry", "is required to build source services: set knative-platform:registry to "
                                    "{type: external, prefix: <host>/<path>} (or pass --registry <host>/<path>)")
    config_dir = program.stack_file.parent if program.stack_file else program.project_dir
    for service in services:
        decoder.problems += _target_problems(service, program.project_dir, config_dir)
    if program.stack_file is None:
        decoder.problem("(stack file)", f"Pulumi.{stack}.yaml does not exist; the build records its images there")
    decoder.finish()
    assert program.stack_file is not None
    targets = tuple(BuildTarget(s.name, s.source, repository_of(reg, s.name))
                    for s in sorted(services, key=lambda s: s.name) if s.source is not None and reg is not None)
    return StackBuild(project_dir=program.project_dir, namespace=ns, stack_file=program.stack_file,
                      targets=targets)


# -- writing the images key ------------------------------------------------------------------------------


def _render(key: str, value: Mapping[str, Mapping[str, str]], indent: int, newline: str) -> list[str]:
    """``key`` and its map of maps as block YAML, every string double-quoted (a digest or hex must stay a string).

    An empty map is no lines at all: the key is removed rather than left as ``{}``.
    """
    pad = " " * indent
    if not value:
        return []
    lines = [f"{pad}{key}:{newline}"]
    for name in sorted(value):
        lines.append(f"{pad}  {name}:{newline}")
        lines += [f"{pad}    {field}: {json.dumps(text)}{newline}" for field, text in sorted(value[name].items())]
    return lines


def _content_end(lines: list[str], start: int, stop: int) -> int:
    """The index after the last line in ``[start, stop)`` that is neither blank nor a comment."""
    end = start
    for i in range(start, stop):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            end = i + 1
    return end


def set_config_map(text: str, key: str, value: Mapping[str, Mapping[str, str]]) -> str:
    """``text`` (a stack file) with ``config.<key>`` set to ``value`` (removed when empty); other lines unchanged."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    root = yaml.compose(text, Loader=Loader) if text.strip() else None
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise SpecError([Problem("(stack file)", "is not a map; expected config: at the top")])
    pairs = root.value if root is not None else []
    config = next(((k, v) for k, v in pairs if isinstance(k, yaml.ScalarNode) and k.value == "config"), None)
    block = _render(key, value, 2, newline)
    if not block and (config is None or not isinstance(config[1], yaml.MappingNode)):
        return "".join(lines)
    if config is None:
        return "".join([*lines, f"config:{newline}", *block])
    if (isinstance(config[1], yaml.ScalarNode) and config[1].value in ("", "~", "null")) or (
            isinstance(config[1], yaml.MappingNode) and not config[1].value):
        at = config[0].start_mark.line  # `config:` with nothing (or {}) after it: the line becomes the block
        return "".join([*lines[:at], f"config:{newline}", *block, *lines[at + 1:]])
    node = config[1]
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise SpecError([Problem("config", "is not a block map (config:, then one key per line); write it so")])
    entries = node.value
    indent = entries[0][0].start_mark.column
    top = [k.start_mark.line for k, _v in pairs if k.start_mark.line > config[0].start_mark.line]
    block_stop = min(top) if top else len(lines)
    starts = [k.start_mark.line for k, _v in entries]
    for i, (k, _v) in enumerate(entries):
        if k.value == key:
            stop = starts[i + 1] if i + 1 < len(starts) else block_stop
            end = _content_end(lines, k.start_mark.line, stop)
            return "".join(lines[:k.start_mark.line] + _render(key, value, indent, newline) + lines[end:])
    end = _content_end(lines, config[0].start_mark.line, block_stop)
    return "".join(lines[:end] + _render(key, value, indent, newline) + lines[end:])


def write_images(stack_file: Path, namespace: str, images: Mapping[str, Mapping[str, str]]) -> bool:
    """Record ``images`` in ``stack_file``; False when it already says exactly that (the file is not touched)."""
    key = f"{namespace}:{IMAGES_KEY}"
    text = stack_file.read_text(encoding="utf-8")
    try:
        before = load_yaml(stack_file, text) or {}
        new = set_config_map(text, key, images)
        after = load_yaml(stack_file, new) or {}
    except (StackYamlError, yaml.YAMLError) as exc:
        raise SpecError([Problem("(stack file)", f"{stack_file}: {exc}")]) from None
    expected = {**(before.get("config") or {}), key: {n: dict(v) for n, v in images.items()}}
    if not images:
        del expected[key]
    if after.get("config") != expected or {k: v for k, v in after.items() if k != "config"} != \
            {k: v for k, v in before.items() if k != "config"}:
        raise SpecError([Problem("(stack file)", f"{stack_file}: recording {key} would change other keys; set "
                                                 "it by hand with `pulumi config set --path`")])
    if new == text:
        return False
    handle, temporary = tempfile.mkstemp(dir=stack_file.parent, prefix=f".{stack_file.name}.")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(new)
    os.chmod(temporary, stack_file.stat().st_mode & 0o777)
    os.replace(temporary, stack_file)
    return True
