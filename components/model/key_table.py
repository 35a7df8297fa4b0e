"""The docs' stack-file key tables, generated from the typed model's attribute docstrings.

A key's meaning is written once, as the attribute docstring of its dataclass
field (PEP 257's attribute docstrings, :mod:`.core.docstrings`, which the
stack-file schema's descriptions come from too); its type and default come
from the field itself. docs/cluster.md's "Cluster keys" table is
``key_table(GkeClusterSpec, collapsed={"relax"})``; tests/test_readme.py holds
the page to it (``UPDATE_README=1`` rewrites it). Pure Python: no Pulumi import.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple, get_args, get_origin, get_type_hints

from .core.decode import config_fields, config_key
from .core.docstrings import field_docs

__all__ = ["KeyRow", "default_text", "key_rows", "key_table", "markdown_text", "type_text"]

_SCALARS = {str: "string", int: "integer", bool: "boolean", float: "number"}
_ROLE = re.compile(r":[a-z]+:`(~?)([^`]+)`")


def markdown_text(doc: str) -> str:
    """A docstring's reST as Markdown, on one line.

    A Sphinx role becomes code naming its target (only the last part after ``~``, as Sphinx shows it), and a
    double-backquoted literal a single-backquoted one.
    """
    def role(match: re.Match[str]) -> str:
        tilde, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"

    return " ".join(_ROLE.sub(role, doc).replace("``", "`").split())


class KeyRow(NamedTuple):
    """One row of a key table: the stack-file key, the Python field, its type, its default and its meaning."""

    key: str
    field: str
    type: str
    default: str
    meaning: str


def _strip_optional(tp: Any) -> Any:
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def type_text(tp: Any) -> str:
    """A type hint as a stack-file author reads it: ``string``, ``list of map``, ``a`` | ``b``."""
    tp = _strip_optional(tp)
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(a) for a in get_args(tp) if a is not type(None))
    if origin in (tuple, list, Sequence):
        return f"list of {type_text(get_args(tp)[0])}"
    if origin in (dict, Mapping):
        return f"map of {type_text(get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "map"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in tp)
    return _SCALARS.get(tp, str(tp))


def _value_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def default_text(field: dataclasses.Field[Any]) -> str:
    """A field's default as the stack file would spell it; ``required`` or ``unset`` where there is none."""
    if field.default is not dataclasses.MISSING:
        if field.default is None or field.metadata.get("decode"):
            return "unset"
        return f"`{_value_text(field.default)}`" if field.default != "" else '`""`'
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return "" if dataclasses.is_dataclass(value) else f"`{_value_text(value)}`"
    return "required"


def _nested(tp: Any) -> tuple[type | None, str]:
    """The dataclass whose keys go below a field, and how its key continues: ``.``, ``[].`` (a list of them)."""
    tp = _strip_optional(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp, "."
    if get_origin(tp) in (tuple, list, Sequence):
        (item,) = get_args(tp)[:1]
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            return item, "[]."
    return None, ""


def key_rows(cls: type, *, collapsed: Collection[str] = (), key: str = "", name: str = "") -> list[KeyRow]:
    """Every config key of ``cls``, nested dataclasses expanded below their key (except the ``collapsed`` fields)."""
    docs, hints = field_docs(cls), get_type_hints(cls)
    rows = []
    for field in config_fields(cls):
        field_key, tp = config_key(field), hints[field.name]
        meaning = markdown_text(docs.get(field.name, ""))
        rows.append(KeyRow(key + field_key, name + field.name, type_text(tp), default_text(field), meaning))
        nested, joiner = _nested(tp)
        if nested is None or field.name in collapsed:
            continue
        if field.metadata.get("decode") and joiner == "[].":  # decoded as a map from each item's name
            rows[-1] = rows[-1]._replace(type="map from name to map")
            joiner = ".<name>."
        rows += key_rows(nested, collapsed=collapsed, key=key + field_key + joiner,
                         name=name + field.name + joiner.replace(".<name>.", "[]."))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if "\\|" not in text else text


def key_table(cls: type, *, collapsed: Collection[str] = ()) -> str:
    """The markdown table of :func:`key_rows`: key, Python field, type, default, meaning."""
    lines = ["| key (config) | Python field | type | default | meaning and rules |", "|---|---|---|---|---|"]
    lines += [f"| `{r.key}` | `{r.field}` | {_cell(r.type)} | {r.default} | {_cell(r.meaning)} |"
              for r in key_rows(cls, collapsed=collapsed)]
    return "\n".join(lines) + "\n"
