"""What the program learns of its source services from the checkout, before it plans them (issue 20).

The Pulumi CLI runs the program in the project directory (``Pulumi.yaml``'s
directory), so each source service's ``path`` is read from the working
directory: the directory must exist inside the project and hold its Dockerfile
(:func:`~knative_platform.model.source.source.source_location_problems`), and its
fingerprint is computed offline exactly as ``knative-platform build`` computes
it (:func:`~knative_platform.model.source.fingerprint.fingerprint`: git's view of the
files, uncommitted changes included). The stack-config directory (``stackConfigDir``,
where the build records its images) must not be inside a source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import yaml

from ..model.core.config_value import parse_config_value
from ..model.core.decode import INVALID, Decoder
from ..model.core.errors import Problem, SpecError, join_path
from ..model.service.service import Service
from ..model.source.fingerprint import SourceError, fingerprint
from ..model.source.registry import BuiltImage, RegistrySpec, images_problems
from ..model.source.resolve import Sources
from ..model.source.source import source_location_problems
from .errors import ConfigError, checked
from .history import CONFIG_NAMESPACE

IMAGES_KEY = "images"


def stack_config_dir(project_dir: Path) -> Path:
    """``Pulumi.yaml``'s ``stackConfigDir`` (the project directory when it sets none or cannot be read)."""
    try:
        document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return project_dir
    configured = document.get("stackConfigDir") if isinstance(document, dict) else None
    return project_dir / configured if isinstance(configured, str) else project_dir


def checkout_fingerprints(services: Sequence[Service], project_dir: Path) -> tuple[dict[str, str], list[Problem]]:
    """Each source service's fingerprint of the checkout at ``project_dir``, and what is wrong with its source."""
    fingerprints: dict[str, str] = {}
    problems: list[Problem] = []
    reserved = [stack_config_dir(project_dir)]
    for service in services:
        if service.source is None:
            continue
        path = join_path("services", service.name)
        found: list[Problem] = []

        def add(key: str, message: str, p: str = path, into: list[Problem] = found) -> None:
            into.append(Problem(join_path(p, key), message))

        source_location_problems(service.source, project_dir, add, reserved=reserved)
        if not found:
            try:
                fingerprints[service.name] = fingerprint(service.source, project_dir / service.source.path).value
            except SourceError as exc:
                found.append(Problem(join_path(path, "source.path"), str(exc)))
        problems += found
    return fingerprints, problems


def program_sources(services: Sequence[Service], registry: RegistrySpec | None,
                    images: Mapping[str, BuiltImage]) -> Sources | None:
    """What planning needs of the stack's source services (None: it has none); raises ConfigError with every problem.

    Run by the program, in the project directory; a preview (``pulumi.runtime.is_dry_run()``)
    may show a source nobody built yet, an update may not.
    """
    if not any(service.source is not None for service in services):
        return None
    fingerprints, problems = checkout_fingerprints(services, Path.cwd())
    checked(problems)
    return Sources(stack=pulumi.get_stack(), fingerprints=fingerprints, registry=registry, images=dict(images),
                   preview=pulumi.runtime.is_dry_run())


def configured_images(services: Sequence[Service]) -> dict[str, BuiltImage]:
    """An app stack's ``knative-platform:images`` (written by ``knative-platform build``), decoded and checked.

    A platform stack reads it with the rest of its spec (:func:`~knative_platform.load_stack_config`).
    """
    raw: Any = parse_config_value(pulumi.Config(CONFIG_NAMESPACE).get(IMAGES_KEY))
    if raw is None:
        return {}
    decoder = Decoder()
    images = decoder.decode(Mapping[str, BuiltImage], raw, IMAGES_KEY)
    if images is INVALID or decoder.problems:
        raise ConfigError(SpecError(decoder.problems))
    checked(images_problems(images, (s.name for s in services if s.source is not None)))
    return dict(images)
