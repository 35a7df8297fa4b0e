"""Turn stack-config data (YAML/JSON) into typed spec objects, and type-check Python-built ones.

One mechanism serves every spec (services, cluster, Knative settings, TLS): the
frozen dataclasses *are* the schema. Config keys are the camelCase field names
(``min_scale`` -> ``minScale``) unless a field's metadata names another key.
Unknown keys get a "did you mean" suggestion, wrong types name the expected
type, and every problem carries its config path. Objects built in Python go
through :func:`typecheck`, so both ways of declaring a service meet the same rules.

Field metadata understood here:

``key``
    the config key, when camelCase of the field name is not it;
``decode``
    ``(raw, path, decoder) -> value`` for shapes a type hint cannot express
    (traffic policies, for example); it reports through ``decoder.problem``;
``from_config``
    ``False`` for fields filled by the caller (a service's name is its map key).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from .bounds import float_problem, int_problem, number_text, string_problem
from .decode_plan import DATACLASS, ENUM, LIST, MAP, SCALAR, DecodePlan, FieldPlan, enum_values, plan_of
from .errors import Problem, did_you_mean, join_path, raise_if, show

T = TypeVar("T")


class _Invalid:
    """Marks a value that failed to decode; the problem has already been recorded."""

    _instance: _Invalid | None = None

    def __new__(cls) -> _Invalid:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


def camel(name: str) -> str:
    """``scale_down_delay`` -> ``scaleDownDelay``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def config_key(field: dataclasses.Field[Any]) -> str:
    """The stack-config key of a dataclass field."""
    return str(field.metadata.get("key") or camel(field.name))


def config_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of ``cls`` that come from configuration, in declaration order."""
    return [f for f in dataclasses.fields(cls) if f.metadata.get("from_config", True)]


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, computed once per class.

    Cached because it re-evaluates every string annotation (``from __future__
    import annotations``) on each call, and decoding or type-checking one service
    asks for the hints of a dozen classes: thousands of services made it the
    largest cost of the program (issue 9). Spec classes are never redefined at run
    time, so their hints never change; the dict returned is shared, do not mutate it.
    """
    return get_type_hints(cls)


@functools.cache
def keyed_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The config fields of ``cls`` by config key, computed once per class.

    Cached for the reason :func:`type_hints` is: every decode and type check of an
    object walks its fields, and naming each key (:func:`camel`) per object cost more
    than the checks themselves on large stacks. Shared: do not mutate the dict returned.
    """
    return {config_key(f): f for f in config_fields(cls)}


@functools.cache
def field_plans(cls: type) -> tuple[FieldPlan, ...]:
    """How :meth:`Decoder.decode_dataclass` reads each config field of ``cls``, computed once per class (issue 23)."""
    hints = type_hints(cls)
    return tuple(FieldPlan(key, f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                           f.metadata.get("decode"), plan_of(hints[f.name])) for key, f in keyed_fields(cls).items())


def describe(value: Any) -> str:
    """How a wrong value is shown in an error: its YAML-ish type and the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {number_text(value)}"
    if isinstance(value, float):
        return f"number {_float_text(value)}"
    if isinstance(value, str):
        return f"string {show(value)}"
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, Sequence):
        return "a list"
    if isinstance(value, enum.Enum):
        return describe(value.value)
    return f"a Python {type(value).__name__}"


def _float_text(value: float) -> str:
    """A float as YAML writes it: ``.nan``, ``.inf``, ``1.5``."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ("-" if value < 0 else "") + ".inf"
    return repr(value)


def scalar_problem(value: Any, tp: Any) -> str | None:
    """The bound ``value`` breaks as a ``tp`` field (see :mod:`knative_platform.model.core.bounds`), or None."""
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return int_problem(value)
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float_problem(value)
    if isinstance(value, str):
        return string_problem(value)
    return None


def key_text(key: Any) -> str:
    """A map key as YAML writes it (``null``, ``true``, ``8080``), for a path."""
    if key is None:
        return "null"
    if isinstance(key, bool):
        return str(key).lower()
    return key if isinstance(key, str) else str(key)


def type_name(tp: Any) -> str:
    """A user-facing name for a type hint."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [type_name(a) for a in get_args(tp) if a is not type(None)]
        return " or ".join(inner)
    if origin in (tuple, list, Sequence):
        return "a list"
    if origin in (dict, Mapping):
        return "a map"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    if dataclasses.is_dataclass(tp):
        return "a map"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(tp, str(tp))


class Decoder:
    """Collects problems while decoding; call :meth:`finish` to raise them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.substituted: list[str] = []
        """Paths of fields that failed to decode and took their default instead."""

    def problem(self, path: str, message: str) -> Any:
        """Record a problem and return :data:`INVALID` so callers can ``return decoder.problem(...)``."""
        self.problems.append(Problem(path, message))
        return INVALID

    def finish(self) -> None:
        """Raise a SpecError listing every problem recorded so far."""
        raise_if(self.problems)

    # -- decoding config data -------------------------------------------------------------

    def decode(self, tp: Any, raw: Any, path: str) -> Any:
        """Decode ``raw`` (parsed YAML/JSON) as ``tp``; returns INVALID after recording a problem."""
        return self.decode_as(plan_of(tp), raw, path)

    def decode_as(self, plan: DecodePlan, raw: Any, path: str) -> Any:
        """:meth:`decode`, given the plan of the type (see :mod:`knative_platform.model.core.decode_plan`)."""
        kind, tp, nullable = plan
        if raw is None and nullable:
            return None
        if kind is SCALAR:
            return self.decode_scalar(tp, raw, path)
        if kind is DATACLASS:
            return self.decode_dataclass(tp, raw, path)
        if kind is LIST:
            if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
                return self.problem(path, f"expected a list, got {describe(raw)}")
            item = plan_of(tp)
            items = [self.decode_as(item, value, join_path(path, i)) for i, value in enumerate(raw)]
            return INVALID if any(i is INVALID for i in items) else tuple(items)
        if kind is MAP:
            _key_tp, value_tp = tp
            if not isinstance(raw, Mapping):
                return self.problem(path, f"expected a map, got {describe(raw)}")
            value_plan = plan_of(value_tp)
            out: dict[str, Any] = {}
            bad_key = False
            for key, value in raw.items():
                if not isinstance(key, str):
                    self.problem(path, f"keys must be strings, got {describe(key)}; quote it")
                    bad_key = True
                    continue
                key_bound = string_problem(key)
                if key_bound:
                    self.problem(path, f"the key {show(key)} {key_bound}")
                    bad_key = True
                    continue
                out[key] = self.decode_as(value_plan, value, join_path(path, key))
            return INVALID if bad_key or any(v is INVALID for v in out.values()) else out
        if kind is ENUM:
            return self.decode_enum(tp, raw, path)
        raise TypeError(f"{path}: union {tp} needs a custom decoder")

    def decode_scalar(self, tp: Any, raw: Any, path: str) -> Any:
        """str, int, float and bool, strictly: YAML's ``8080`` is not the string ``'8080'``."""
        if tp is Any:
            return raw
        if tp is bool:
            ok = isinstance(raw, bool)
        elif tp is int:
            ok = isinstance(raw, int) and not isinstance(raw, bool)
        elif tp is float:
            ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        elif tp is str:
            ok = isinstance(raw, str)
            if not ok and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                quoted = f": '{raw}'" if isinstance(raw, float) or abs(raw) < 10**20 else ""
                return self.problem(path, f"expected a string, got {describe(raw)}; quote it{quoted}")
        else:
            raise TypeError(f"{path}: no decoder for {tp!r}")
        if not ok:
            return self.problem(path, f"expected {type_name(tp)}, got {describe(raw)}")
        bound = scalar_problem(raw, tp)
        if bound:
            return self.problem(path, bound)
        return float(raw) if tp is float else raw

    def decode_enum(self, tp: type[enum.Enum], raw: Any, path: str) -> Any:
        """Enums are matched by value, so config files spell them as the docs do (``cluster-local``)."""
        values = enum_values(tp)
        if isinstance(raw, str) and raw in values:
            return values[raw]
        if not isinstance(raw, str):
            return self.problem(path, f"expected {type_name(tp)}, got {describe(raw)}")
        return self.problem(path, f"'{raw}' is not {type_name(tp)}{did_you_mean(raw, values)}")

    def decode_dataclass(self, cls: type[T], raw: Any, path: str, **given: Any) -> Any:
        """Decode a map into ``cls``; ``given`` fills fields that do not come from config.

        A field that fails to decode is reported and, when it has a default,
        replaced by it (the path is noted in :attr:`substituted`), so the object
        still exists and the rules on the fields that did decode can run in the
        same round (see :meth:`relevant`). Only a failed required field, or a
        refused combination, makes the whole object :data:`INVALID`.
        """
        if not isinstance(raw, Mapping):
            return self.problem(path, f"expected a map, got {describe(raw)}")
        target: type = cls  # the caches key on the class
        by_key = keyed_fields(target)
        ok = True
        for key in raw:
            if key not in by_key:
                self.problem(
                    join_path(path, key_text(key)),
                    f"unknown key{did_you_mean(str(key), by_key)}; expected one of: {', '.join(by_key)}",
                )
        values: dict[str, Any] = dict(given)
        for key, name, required, custom, plan in field_plans(target):
            if key not in raw:
                if required:
                    ok = False
                    self.problem(join_path(path, key), "is required")
                continue
            fpath = join_path(path, key)
            value = custom(raw[key], fpath, self) if custom else self.decode_as(plan, raw[key], fpath)
            if value is not INVALID:
                values[name] = value
            elif required:
                ok = False
            else:
                self.substituted.append(fpath)
        if not ok:
            return INVALID
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:  # a __post_init__ refusing a combination
            return self.problem(path, str(exc))

    def relevant(self, problems: Sequence[Problem], independent: str = "services") -> list[Problem]:
        """The rule ``problems`` of a partly decoded spec that do not stem from a value that failed to decode.

        A problem at or below a path that failed (or whose default stood in) is
        dropped: it would describe the default, not what the user wrote. When a
        top-level field other than ``independent`` stood in, rules across the
        whole spec cannot be trusted either, and only ``independent`` ones are kept.
        """
        failed = {p.path for p in self.problems} | {Problem(p, "").path for p in self.substituted}

        def under(path: str, base: str) -> bool:
            return path == base or path.startswith((base + ".", base + "["))

        global_failed = any(not under(p, independent) for p in self.substituted)
        return [p for p in problems
                if not any(under(p.path, f) for f in failed) and (not global_failed or under(p.path, independent))]

    # -- type-checking Python-built objects -----------------------------------------------

    def typecheck(self, value: Any, tp: Any, path: str) -> None:
        """Check an object built in Python against its type hints, with the same wording as config errors."""
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if value is None and len(args) < len(get_args(tp)):
                return
            for arg in args:
                if self._matches(value, arg):
                    self.typecheck(value, arg, path)
                    return
            self.problem(path, f"expected {type_name(tp)}, got {describe(value)}")
            return
        if origin in (tuple, Sequence, list):
            (item_tp, *_rest) = get_args(tp) or (Any,)
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                self.problem(path, f"expected a list, got {describe(value)}")
                return
            for i, item in enumerate(value):
                self.typecheck(item, item_tp, join_path(path, i))
            return
        if origin in (dict, Mapping):
            _key_tp, value_tp = get_args(tp) or (str, Any)
            if not isinstance(value, Mapping):
                self.problem(path, f"expected a map, got {describe(value)}")
                return
            for key, item in value.items():
                if not isinstance(key, str):
                    self.problem(path, f"keys must be strings, got {describe(key)}")
                else:
                    self.typecheck(item, value_tp, join_path(path, key))
            return
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            if not isinstance(value, tp):
                self.problem(path, f"expected a {tp.__name__}, got {describe(value)}")
                return
            hints = type_hints(tp)
            for key, field in keyed_fields(tp).items():
                self.typecheck(getattr(value, field.name), hints[field.name], join_path(path, key))
            return
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            if not isinstance(value, tp):
                self.problem(path, f"expected {type_name(tp)}, got {describe(value)}")
            return
        if tp is Any or self._matches(value, tp):
            bound = scalar_problem(value, tp)
            if bound:
                self.problem(path, bound)
            return
        self.problem(path, f"expected {type_name(tp)}, got {describe(value)}")

    @staticmethod
    def _matches(value: Any, tp: Any) -> bool:
        origin = get_origin(tp) or tp
        if tp is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if tp is int:
            return isinstance(value, int) and not isinstance(value, bool)
        if origin in (tuple, Sequence, list):
            return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
        if origin in (dict, Mapping):
            return isinstance(value, Mapping)
        return isinstance(origin, type) and isinstance(value, origin)
