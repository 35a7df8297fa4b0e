"""Turn a captured program run into the review tree: plain files, byte-identical for the same input.

Layout of a render of one stack::

    stack.yaml                       project, stack, config and outputs (secrets redacted)
    resources.yaml                   every resource: type, name, parent, provider, options, inputs
    kubernetes/<namespace>/<Kind>-<name>.yaml   each Kubernetes object we author
    bundles.yaml                     each pinned upstream bundle (release YAML, Helm chart) and its source
    refused.yaml                     only when the update after a previous deployment is refused: the problems
    environment.yaml                 only when the stack imports Pulumi ESC environments: the keys they may set

Nothing machine-specific (paths, times, random names) enters a render, so two
renders of a stack compare equal byte for byte and a diff shows only intent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..model.core.config_value import TOO_DEEP, parse_config_value
from ..model.core.errors import Problem
from .engine import Capture, Registration
from .esc import ENVIRONMENT_FILE
from .outdir import write_files
from .secrets import REDACTED, redact
from .stackfile import ProgramConfig

BUNDLE_TYPES = {
    "kubernetes:yaml/v2:ConfigFile": ("file",),
    "kubernetes:yaml/v2:ConfigGroup": ("files", "yaml", "objs"),
    "kubernetes:helm.sh/v4:Chart": ("chart", "version", "repositoryOpts", "values", "namespace"),
}
"""Provider-side components: the provider expands them, so the render records their pinned source."""

MARKER = "stack.yaml"
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML has it (several times faster on large renders); the same text either way."""


def dump_yaml(data: Any) -> str:
    """YAML with sorted keys and no line folding: the stable text form of every render file."""
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=10_000)


def _short(urn: str | None) -> str | None:
    """``urn:pulumi:dev::proj::a$b::name`` -> ``b::name``: enough to find a parent, free of stack names."""
    if not urn:
        return None
    qualified, name = urn.split("::")[2], urn.split("::", 3)[3]
    return f"{qualified.rsplit('$', 1)[-1]}::{name}"


def _provider(ref: str | None) -> str | None:
    return _short(ref.rsplit("::", 1)[0]) if ref else None


def is_kubernetes_object(reg: Registration) -> bool:
    """A Kubernetes object the program authors itself (not a provider, not a provider-side bundle)."""
    return (reg.custom and reg.type.startswith("kubernetes:") and reg.type not in BUNDLE_TYPES
            and "apiVersion" in reg.inputs and "kind" in reg.inputs)


def redact_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object with no credential in plain text, even where the program forgot to mark one secret.

    A Kubernetes Secret's data, values under credential-named keys, and
    environment variables named like credentials (``AWS_SECRET_ACCESS_KEY``)
    read ``[secret]`` (:func:`knative_platform.offline.secrets.redact`).
    """
    kind = obj.get("kind")
    return dict(redact(obj, kind if isinstance(kind, str) else None))


def _object_path(reg: Registration) -> str:
    metadata = reg.inputs.get("metadata") or {}
    name = metadata.get("name") or reg.name
    namespace = metadata.get("namespace") or "_cluster"
    kind = reg.type.rsplit(":", 1)[-1]
    return f"kubernetes/{namespace}/{kind}-{name}.yaml"


def _shown(text: str) -> Any:
    """A config value as the program reads it (the YAML the user wrote); text nested too deeply stays text."""
    value = parse_config_value(text)
    return text if value is TOO_DEEP else value


def _resource_keys(regs: list[Registration]) -> list[str]:
    """``Type::name`` per resource; the full parent-type chain only where two would share that key."""
    shorts = [_short(r.urn) or r.urn for r in regs]
    counts = Counter(shorts)
    return [s if counts[s] == 1 else r.urn.split("::", 2)[2] for s, r in zip(shorts, regs, strict=True)]


def resource_entry(reg: Registration) -> dict[str, Any]:
    """How one resource appears in ``resources.yaml``."""
    entry: dict[str, Any] = {"type": reg.type, "name": reg.name, "parent": _short(reg.parent)}
    if reg.provider:
        entry["provider"] = _provider(reg.provider)
    if reg.options:
        entry["options"] = dict(reg.options)
    deps = sorted(_short(d) or d for d in reg.dependencies)
    if deps:
        entry["dependsOn"] = deps
    entry["inputs"] = redact_object(reg.inputs)
    return entry


REFUSED = "refused.yaml"


def render_files(capture: Capture, program: ProgramConfig | None = None,
                 refused: Sequence[Problem] = ()) -> dict[str, str]:
    """The render tree of a capture, as ``{relative path: text}``.

    ``refused`` are the problems for which the program refused this stack's
    update after its previous deployment (:mod:`knative_platform.offline.update`);
    the capture is then the stack rendered as a first deployment.
    """
    files: dict[str, str] = {}
    secret = set(program.secret_keys) if program else set()
    raw_config = program.config if program else {}
    fingerprints = program.secret_fingerprints if program else {}
    # a secret shows as its fingerprint, so a rotation shows in a diff; plain credentials are redacted by name
    config = redact({k: (fingerprints.get(k, REDACTED) if k in secret else _shown(v))
                     for k, v in raw_config.items()})
    files[MARKER] = dump_yaml({
        "project": capture.project,
        "stack": capture.stack,
        "config": config,
        "outputs": redact(capture.outputs),
    })
    keys = _resource_keys(capture.registrations)
    resources = {key: resource_entry(r) for key, r in zip(keys, capture.registrations, strict=True)}
    files["resources.yaml"] = dump_yaml(resources)
    bundles = {}
    for reg in capture.registrations:
        if reg.type in BUNDLE_TYPES:
            shown = BUNDLE_TYPES[reg.type]
            bundles[reg.name] = redact({"type": reg.type, **{k: reg.inputs[k] for k in shown if k in reg.inputs}})
        elif is_kubernetes_object(reg):
            path = _object_path(reg)
            if path in files:
                raise ValueError(f"two resources render to {path}; give one a distinct Kubernetes name")
            files[path] = dump_yaml(redact_object(reg.inputs))
    files["bundles.yaml"] = dump_yaml(bundles)
    if refused:
        files[REFUSED] = dump_yaml([{"path": p.path, "message": p.message} for p in refused])
    if program is not None and program.environment is not None:  # values the render cannot see (.esc)
        files[ENVIRONMENT_FILE] = dump_yaml(program.environment.record())
    return dict(sorted(files.items()))


def write_tree(files: Mapping[str, str], out: Path) -> Path:
    """Replace ``out`` with ``files``, only if ``out`` is missing, empty or an earlier output of this tool.

    :func:`knative_platform.offline.outdir.write_files`: a directory the tool did
    not mark as its own is never deleted, and no file lands outside ``out``.
    """
    return write_files(files, out)
