"""A JSON Schema of a whole stack file (``stacks/Pulumi.<stack>.yaml``), generated from the typed model.

The frozen dataclasses are the schema (see :mod:`.decode`): this walks them the
way the decoder does (camelCase keys, closed sets of keys, enums by value,
strict scalars) so an editor with a YAML language server completes and checks a
stack file as it is typed. The program stays the authority: the schema cannot
say everything the validation says (cross-field rules, traffic policies), and
where it cannot, it allows and leaves the verdict to ``pulumi up`` and the
offline render. ``python -m <package>.spec.schema`` prints it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, get_args, get_origin, get_type_hints

from .core.decode import camel, config_fields, config_key
from .core.docstrings import field_docs
from .platform.platform import CLUSTER_TYPES, SECRET_KEYS, PlatformSpec
from .service.service import Service
from .service.traffic import POLICY_KEYS
from .source.registry import REGISTRY_TYPES

NAMESPACE = "knative-platform"
SCHEMA_ID = "https://knative-platform.invalid/stack-file.schema.json"

_SCALARS: dict[Any, dict[str, Any]] = {str: {"type": "string"}, bool: {"type": "boolean"},
                                       int: {"type": "integer"}, float: {"type": "number"}}
_ANY_SHAPE = ("checked by the program, not by this schema: a list of targets, or a one-key map naming a policy "
              f"({', '.join(POLICY_KEYS)})")
_SPECIAL: dict[tuple[str, str], Any] = {}
"""``(class name, field name)`` -> schema, for the fields whose config shape a type hint cannot express."""


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def type_schema(tp: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """The schema of a type hint, as the decoder reads config data for it."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(args) < len(get_args(tp))
        options = [type_schema(a, definitions) for a in args]
        if nullable:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (tuple, Sequence, list):
        (item, *_rest) = get_args(tp) or (Any,)
        return {"type": "array", "items": type_schema(item, definitions)}
    if origin in (dict, Mapping):
        _key, value = get_args(tp) or (str, Any)
        return {"type": "object", "additionalProperties": type_schema(value, definitions)}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return {"$ref": f"#/$defs/{dataclass_schema(tp, definitions)}"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if tp is Any:
        return {}
    return dict(_SCALARS[tp])


def dataclass_schema(cls: type, definitions: dict[str, Any], **fixed: Any) -> str:
    """Add ``cls`` to ``definitions`` (once) as a closed object; return its name there."""
    name = cls.__name__
    if name in definitions:
        return name
    definitions[name] = {}  # recursion guard
    hints, docs = get_type_hints(cls), field_docs(cls)
    properties: dict[str, Any] = {}
    required = []
    for field in config_fields(cls):
        key = config_key(field)
        special = _SPECIAL.get((name, field.name))
        schema = special(definitions) if callable(special) else type_schema(hints[field.name], definitions)
        if field.name in fixed:
            schema = {"const": fixed[field.name]}
        if docs.get(field.name):
            schema = {**schema, "description": docs[field.name]}
        properties[key] = schema
        if (field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING) \
                or field.metadata.get("required"):  # required by a rule, not the type (EmptyDir.size_limit)
            required.append(key)
    definitions[name] = {"type": "object", "description": _doc(cls), "properties": properties,
                         "additionalProperties": False, **({"required": required} if required else {})}
    return name


def _cluster(definitions: dict[str, Any]) -> dict[str, Any]:
    """``cluster`` is selected by its ``type`` key (default ``existing``), each kind with its own keys."""
    options = []
    for kind, cls in CLUSTER_TYPES.items():
        name = dataclass_schema(cls, definitions)
        definitions[name]["properties"]["type"] = {"const": kind}
        options.append({"$ref": f"#/$defs/{name}"})
    return {"anyOf": options}


def _registry(definitions: dict[str, Any]) -> dict[str, Any]:
    """``registry`` is selected by its required ``type`` key, each kind with its own keys."""
    options = []
    for kind, cls in REGISTRY_TYPES.items():
        name = dataclass_schema(cls, definitions)
        definitions[name]["properties"]["type"] = {"const": kind}
        definitions[name]["required"] = sorted({*definitions[name].get("required", ()), "type"})
        options.append({"$ref": f"#/$defs/{name}"})
    return {"anyOf": options}


def _service(definitions: dict[str, Any]) -> dict[str, Any]:
    """A map from service name to its settings; each runs exactly one of image and source."""
    name = dataclass_schema(Service, definitions)
    definitions[name]["anyOf"] = [{"required": ["image"]}, {"required": ["source"]}]
    definitions[name]["not"] = {"required": ["image", "source"]}
    return {"type": "object", "description": "a map from service name to its settings",
            "additionalProperties": {"$ref": f"#/$defs/{name}"}}


def _named_map(cls: type, what: str) -> Any:
    def schema(definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "description": f"a map from {what} name to its settings",
                "additionalProperties": {"$ref": f"#/$defs/{dataclass_schema(cls, definitions)}"}}

    return schema


def _app_namespaces(definitions: dict[str, Any]) -> dict[str, Any]:
    """``appNamespaces``: namespace -> its settings, where an empty entry (``team-app:``) is null."""
    from .platform.app_namespaces import AppNamespace

    ref = {"$ref": f"#/$defs/{dataclass_schema(AppNamespace, definitions)}"}
    return {"type": "object", "description": "a map from namespace name to its settings ({} or empty for none)",
            "additionalProperties": {"anyOf": [ref, {"type": "null"}]}}


def _eventing(name: str) -> type:
    from .eventing import eventing

    cls: type = getattr(eventing, name)
    return cls


def _node_pool() -> type:
    from .cluster.parts import NodePool

    return NodePool


_SPECIAL.update({
    ("PlatformSpec", "cluster"): _cluster,
    ("PlatformSpec", "services"): _service,
    ("PlatformSpec", "app_namespaces"): _app_namespaces,
    ("PlatformSpec", "registry"): _registry,
    ("PlatformSpec", "domain"): lambda _d: {"type": "string"},
    ("GkeClusterSpec", "node_pools"): _named_map(_node_pool(), "node pool"),
    ("EventingSpec", "brokers"): _named_map(_eventing("Broker"), "broker"),
    ("EventingSpec", "sources"): _named_map(_eventing("EventSource"), "event source"),
    ("Service", "traffic"): lambda _d: {"description": _ANY_SHAPE},
})


def stack_file_schema() -> dict[str, Any]:
    """The schema of ``Pulumi.<stack>.yaml``: the platform's ``knative-platform:*`` keys, closed; others free."""
    definitions: dict[str, Any] = {}
    name = dataclass_schema(PlatformSpec, definitions)
    platform = definitions.pop(name)
    config = {f"{NAMESPACE}:{key}": schema for key, schema in platform["properties"].items()}
    for key in sorted(SECRET_KEYS):
        config[f"{NAMESPACE}:{key}"] = {
            "description": f"a credential: set it with `pulumi config set --secret {camel(key)} ...`",
            "type": "object", "properties": {"secure": {"type": "string"}}, "required": ["secure"],
            "additionalProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "knative-platform stack file (stacks/Pulumi.<stack>.yaml)",
        "description": "Generated from the typed model (components/model); regenerate with "
                       "`python -m knative_platform.model.schema > stacks/stack-file.schema.json`.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": config,
                # Other namespaces (gcp:project, kubernetes:...) belong to their providers.
                "patternProperties": {f"^(?!{NAMESPACE}:)[^:]+:.+$": {}},
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": dict(sorted(definitions.items())),
    }


def render() -> str:
    """The schema as the committed file holds it: sorted, indented, one trailing newline."""
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
