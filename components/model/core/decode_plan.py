"""What the decoder does with each type hint, worked out once per hint (issue 23).

:meth:`~knative_platform.model.core.decode.Decoder.decode` meets the same few
dozen type hints for every object of a large stack. Deriving what to do with
one (``get_origin``, ``get_args``, ``is_dataclass``, ``issubclass``) cost more
than decoding the value itself, so each hint's answer is derived once, as a
:class:`DecodePlan`, and cached, as :func:`~knative_platform.model.core.decode.type_hints`
caches each class's hints.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, get_args, get_origin

if TYPE_CHECKING:
    from .decode import Decoder

LIST, MAP, DATACLASS, ENUM, SCALAR, UNION = "list", "map", "dataclass", "enum", "scalar", "union"
"""The kinds of :class:`DecodePlan`: how a value of the hint is decoded."""


class DecodePlan(NamedTuple):
    """How to decode a value of one type hint: its ``kind``, and the type that kind works on.

    ``tp`` is the hint itself for a dataclass, an enum, a scalar (``str``, ``int``,
    ``float``, ``bool``, ``Any``; the decoder refuses other types when it meets a
    value for them) and a union of several types (which needs a custom decoder);
    for a list it is the item type, for a map the hint's type arguments. An
    optional ``X | None`` is planned as ``X``, ``nullable``: None stays None.
    """

    kind: str
    tp: Any
    nullable: bool = False


@functools.cache
def decode_plan(tp: Any) -> DecodePlan:
    """The :class:`DecodePlan` of type hint ``tp``, computed once per hint; use :func:`plan_of`."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        nullable = len(args) < len(get_args(tp))
        if len(args) == 1:
            return decode_plan(args[0])._replace(nullable=nullable)
        return DecodePlan(UNION, tp, nullable)
    if origin in (tuple, Sequence, list):
        return DecodePlan(LIST, (get_args(tp) or (Any,))[0])
    if origin in (dict, Mapping):
        return DecodePlan(MAP, get_args(tp) or (str, Any))  # unpacked by the decoder, as it always was
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return DecodePlan(DATACLASS, tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return DecodePlan(ENUM, tp)
    return DecodePlan(SCALAR, tp)


def plan_of(tp: Any) -> DecodePlan:
    """The :class:`DecodePlan` of ``tp``: cached, except for a hint that cannot key a cache (an unhashable one)."""
    try:
        return decode_plan(tp)
    except TypeError:
        return decode_plan.__wrapped__(tp)


FieldDecoder = Callable[[Any, str, "Decoder"], Any]
"""A field's custom decoder (its ``decode`` metadata): ``(raw, path, decoder) -> value``."""


class FieldPlan(NamedTuple):
    """How :meth:`~knative_platform.model.core.decode.Decoder.decode_dataclass` reads one config field."""

    key: str
    name: str
    required: bool
    custom: FieldDecoder | None
    plan: DecodePlan


@functools.cache
def enum_values(tp: type[enum.Enum]) -> dict[str, enum.Enum]:
    """The members of enum ``tp`` by the text of their value, computed once per enum; do not mutate the dict."""
    return {str(m.value): m for m in tp}
