"""Pulumi ESC environments a stack file imports: what the offline render cannot see, said out loud.

A stack file's ``environment:`` (a list of environment names, or an inline
environment definition with ``imports`` and ``values``) makes ``pulumi up`` open
those environments in Pulumi Cloud and merge their ``pulumiConfig`` into the
stack's config (pulumi/pulumi v3.259.0, ``pkg/workspace/config.go``
``mergeConfig``): a key the stack file does not set takes the environment's
value, before the project's declared defaults apply; a key it does set keeps
the file's value, and where both are maps they merge key by key, the file's
keys winning (``sdk/go/common/resource/config/object.go`` ``object.Merge``).

The offline render has no Pulumi Cloud credentials, by design (it reviews
pull requests from forks), so it cannot open them. It renders with the stack
file alone and says which keys may differ: every key the file does not set (the
project defaults it used among them), and keys inside the maps it sets. The
render prints a ``warning:`` and writes ``environment.yaml``; the review turns
that file into a finding no summary leaves out. It does not refuse: the file's
own values are exactly what ``pulumi up`` uses, and a review of them is worth
having where no credential exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .markdown import code

ENVIRONMENT_FILE = "environment.yaml"
"""In a render: the ESC environments the stack imports and the keys they may set (absent when it imports none)."""
INLINE = "(the stack file's own environment values)"
"""How an inline definition's ``values`` appear among the imports."""


@dataclass(frozen=True)
class StackEnvironment:
    """The ESC environments a stack file imports, and what the offline render did without them."""

    imports: tuple[str, ...]
    """Environment names in the order the CLI opens them (later ones override earlier ones)."""
    set_keys: tuple[str, ...]
    """Top-level config keys the stack file sets: their values win over the environments'."""
    maps: tuple[str, ...]
    """Of ``set_keys``, those whose value is a map: an environment may add keys inside them."""
    defaulted: tuple[str, ...]
    """Keys the render took from the project's declared defaults: an environment may set them."""

    def keys_text(self, quote: Callable[[str], str] = str) -> str:
        """Which keys may come from the environments, in one phrase; ``quote`` renders each key name."""
        text = "any config key the stack file does not set"
        if self.defaulted:
            text += f" (of those, this render used the project's defaults for {', '.join(map(quote, self.defaulted))})"
        if self.maps:
            text += f", and keys inside the maps the file sets ({', '.join(map(quote, self.maps))})"
        return text

    def warning(self, stack_file: str) -> str:
        """The render's warning: the environments, why they are not read, and which keys may differ."""
        return (f"{stack_file} imports Pulumi ESC environment(s) {', '.join(self.imports)}, which the offline "
                "render cannot open (they live in Pulumi Cloud): it shows the stack file's values only, and "
                f"`pulumi up` may use others. From the environments may come {self.keys_text()}. To review such a "
                "value offline, set it in the stack file, where it wins over the environment")

    def record(self) -> dict[str, Any]:
        """What a render writes to :data:`ENVIRONMENT_FILE`."""
        return {"imports": list(self.imports), "setInStackFile": list(self.set_keys),
                "mapsTheEnvironmentMayExtend": list(self.maps), "projectDefaultsUsed": list(self.defaulted)}


def environment_imports(value: Any) -> tuple[str, ...]:
    """The environments a stack file's ``environment:`` imports, as the CLI reads them.

    pulumi/pulumi v3.259.0 ``sdk/go/common/workspace/project.go``: ``Environment.UnmarshalYAML`` takes a list of
    names, or else keeps the node as an inline definition; ``Environment.Imports`` lists its ``imports`` and,
    when it has ``values`` of its own, one more entry for them. Anything else is a ValueError saying what to write.
    """
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, Mapping) and isinstance(value.get("imports", []), list):
        names = []
        for item in value.get("imports") or []:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, Mapping) and len(item) == 1:  # `- name: {merge: false}`
                names.append(str(next(iter(item))))
            else:
                raise ValueError(f"environment.imports: {item!r} is not an environment name")
        return (*names, INLINE) if value.get("values") else tuple(names)
    raise ValueError("environment: must be a list of environment names (environment: [project/dev]) or an "
                           "environment definition (a map with imports and values)")


def stack_environment(imports: tuple[str, ...], stack_values: Mapping[str, Any],
                      defaulted: list[str]) -> StackEnvironment | None:
    """What the render records of a stack file's environments; None when it imports none."""
    if not imports:
        return None
    return StackEnvironment(
        imports=imports,
        set_keys=tuple(sorted(stack_values)),
        maps=tuple(sorted(k for k, v in stack_values.items() if isinstance(v, Mapping))),
        defaulted=tuple(sorted(defaulted)),
    )


def environment_finding(record: Mapping[str, Any]) -> str:
    """The review's message for a stack whose render has an :data:`ENVIRONMENT_FILE` (read as ``record``)."""
    def names(key: str) -> list[str]:
        value = record.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    environment = StackEnvironment(tuple(names("imports")), tuple(names("setInStackFile")),
                                   tuple(names("mapsTheEnvironmentMayExtend")), tuple(names("projectDefaultsUsed")))
    # The names come from a render, which a fork controls: each is quoted inert (knative_platform.offline.markdown).
    imports = ", ".join(map(code, environment.imports)) or "(unnamed)"
    return (f"imports Pulumi ESC environment(s) {imports}, which this review cannot open: values they set are not "
            f"shown here, and `pulumi up` merges them in. From them may come {environment.keys_text(code)}. Set a "
            "value in the stack file to review it")


def relative(path: Path | None, root: Path) -> str:
    """``path`` as the user knows it (``stacks/Pulumi.dev.yaml``), or its name when it is not under ``root``."""
    if path is None:
        return "the stack file"
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
