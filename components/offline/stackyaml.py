"""Read a Pulumi project or stack file as the Pulumi CLI reads it, or refuse it with the file, line and reason.

The CLI parses these files with Go's ``gopkg.in/yaml.v3`` (pulumi/pulumi
sdk/go/common/encoding/marshal.go) into ``any`` and then into config values
(sdk/go/common/resource/config/object.go, ``unmarshalObject``). PyYAML's
``safe_load`` speaks YAML 1.1 and disagrees in ways that matter here, so this
reader follows yaml.v3 instead:

- only ``true``/``false`` (also ``True``, ``TRUE`` ...) are booleans; ``yes``,
  ``on``, ``y`` stay strings;
- dates and times stay the text written (yaml.v3 keeps a timestamp-like value a
  string when it decodes into ``any``);
- integers are Go's (``0x1f``, ``0o17``, ``017``, ``1_000``); one past
  int64/uint64 becomes a float, and one past a float's range stays the text;
  ``1:30`` (YAML 1.1 base 60) stays a string;
- ``!!binary`` becomes its decoded text (refused when that is not UTF-8);
- a map key that is an integer or a boolean becomes its text, as the CLI
  formats it (``fmt.Sprintf("%v")``).

Refused, with the line: a duplicate key (yaml.v3 refuses it too), ``.inf`` and
``.nan`` (the CLI cannot store them: JSON has no such numbers), an explicit tag
that does not fit its value (``!!int abc``), ``!!set``, ``!!omap``, ``!!pairs`` and
custom tags (the CLI has no such types), null, float or structured map keys, and,
as a named choice of this project, values nested more than
:data:`~knative_platform.model.core.bounds.MAX_DEPTH` levels. A file whose aliases expand it
too far ("billion laughs") is refused by the rule yaml.v3 refuses it with
(:func:`alias_share_allowed`); a file that writes its values out is read however
large it is, as a stack of thousands of services is (issue 9).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..model.core.bounds import MAX_DEPTH
from ..model.core.errors import excerpt, shorten, show

_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
"""yaml.v3's ``alias_ratio_range_low`` and ``alias_ratio_range_high`` (values decoded)."""
DEPTH_ALLOWANCE = 2
"""The document and its ``config`` map sit above every config value."""

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it (the constructors below are Python either way)."""
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_INT = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class StackYamlError(Exception):
    """A file the Pulumi CLI would not read, or would read differently; the message has file and line."""


class _Refused(yaml.MarkedYAMLError):
    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)


class Loader(_BASE):  # type: ignore[misc,valid-type]
    """yaml.v3's reading of YAML, on PyYAML's safe loader."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in (f"{_TAG}bool", f"{_TAG}int", f"{_TAG}float", f"{_TAG}timestamp")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }


Loader.add_implicit_resolver(f"{_TAG}bool", _BOOL, list("tTfF"))
Loader.add_implicit_resolver(f"{_TAG}int", _INT, list("-+0123456789"))
Loader.add_implicit_resolver(f"{_TAG}float", _FLOAT, list("-+.0123456789"))
Loader.add_implicit_resolver(f"{_TAG}float", _SPECIAL_FLOAT, list("-+."))


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)``'s reading (without its range), or None."""
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    bases = {"0b": 2, "0o": 8, "0x": 16}
    try:
        if digits[:2].lower() in bases:
            return sign * int(digits[2:], bases[digits[:2].lower()])
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits[1:], 8)
        if len(digits) > 4000:  # past int()'s digit limit, and far past any float
            return None
        return sign * int(digits)
    except ValueError:
        return None


def _finite(number: float, text: str) -> Any:
    """yaml.v3 keeps a number too large for a float as the text written."""
    return number if number not in (float("inf"), float("-inf")) else text


def _construct_int(loader: Loader, node: yaml.ScalarNode) -> Any:
    plain = node.value.replace("_", "")
    value = _go_int(plain)
    if value is None and not _FLOAT.match(plain):
        raise _Refused(node, f"{excerpt(node.value)} is tagged !!int but is not an integer")
    if value is not None and -(2**63) <= value < 2**64:
        return value
    if value is not None:  # past int64 and uint64: yaml.v3 tries a float
        return _finite(float(value) if value.bit_length() <= 1024 else float("inf"), node.value)
    return _finite(float(plain), node.value)


def _construct_float(loader: Loader, node: yaml.ScalarNode) -> Any:
    if _SPECIAL_FLOAT.match(node.value):
        raise _Refused(node, f"{node.value} is not a number Pulumi can store (config values are JSON, which has no "
                             "infinity or NaN); write a number")
    plain = node.value.replace("_", "")
    if _FLOAT.match(plain):
        return _finite(float(plain), node.value)
    value = _go_int(plain)
    if value is None:
        raise _Refused(node, f"{excerpt(node.value)} is tagged !!float but is not a number")
    return _finite(float(value) if value.bit_length() <= 1024 else float("inf"), node.value)


def _construct_bool(loader: Loader, node: yaml.ScalarNode) -> Any:
    if not _BOOL.match(node.value):
        raise _Refused(node, f"{excerpt(node.value)} is tagged !!bool but is not true or false")
    return node.value.lower() == "true"


def _construct_binary(loader: Loader, node: yaml.ScalarNode) -> Any:
    try:
        return base64.b64decode("".join(node.value.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _Refused(node, "this !!binary value is not base64 of UTF-8 text; Pulumi config values are text: "
                             "write the text itself") from None


def _construct_timestamp(loader: Loader, node: yaml.ScalarNode) -> Any:
    return node.value


def _construct_null(loader: Loader, node: yaml.ScalarNode) -> Any:
    if node.value not in ("", "~", "null", "Null", "NULL"):
        raise _Refused(node, f"{excerpt(node.value)} is tagged !!null but is not null")
    return None


def _construct_map(loader: Loader, node: yaml.MappingNode) -> Any:
    data: dict[str, Any] = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            key = "true" if key else "false"
        elif isinstance(key, int):
            key = str(key)
        data[key] = loader.construct_object(value_node, deep=True)


for _tag, _fn in ((f"{_TAG}int", _construct_int), (f"{_TAG}float", _construct_float),
                  (f"{_TAG}bool", _construct_bool), (f"{_TAG}binary", _construct_binary),
                  (f"{_TAG}timestamp", _construct_timestamp), (f"{_TAG}null", _construct_null),
                  (f"{_TAG}map", _construct_map)):
    Loader.add_constructor(_tag, _fn)


def _tag_name(tag: str) -> str:
    return shorten("!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag, 60)


def alias_share_allowed(decoded: int) -> float:
    """The share of the values decoded so far that may come from alias expansion.

    gopkg.in/yaml.v3 v3.0.1 ``decode.go`` ``allowedAliasRatio``: 99% up to
    400,000 values, 10% from 4,000,000, linear in between. yaml.v3 fails with
    "document contains excessive aliasing" once more than 100 of over 1,000
    values decoded came through aliases and their share passes this.
    """
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


class AliasBudget:
    """yaml.v3's bound on alias expansion, counted value by value in document order.

    A value written once counts as decoded; each time an alias names it, it and
    everything in it count again, as aliased. :meth:`count` raises once more
    than 100 of over 1,000 values came through aliases and their share passes
    :func:`alias_share_allowed`.
    """

    def __init__(self) -> None:
        self.decoded, self.aliased = 1, 0  # yaml.v3 counts the document node too

    def count(self, node: yaml.Node, in_alias: bool) -> None:
        """Count one decoded value (``in_alias``: it comes through an alias); raises past the bound."""
        self.decoded += 1
        self.aliased += in_alias
        if self.aliased > 100 and self.decoded > 1000 and \
                self.aliased / self.decoded > alias_share_allowed(self.decoded):
            raise _Refused(node, f"aliases expand the file too far ({self.aliased} of the first {self.decoded} "
                                 "values come through aliases of this one; yaml.v3, which the Pulumi CLI reads "
                                 "files with, refuses it: \"document contains excessive aliasing\"): write the "
                                 "values out")


def check_expansion(root: yaml.Node, max_depth: int) -> None:
    """Refuse aliases that expand ``root`` too far (:class:`AliasBudget`), a recursive alias, or deeper nesting.

    For YAML that is not a stack file (an offline render read by a diff): no
    tag or key rule, only what makes reading it cost more than its size. A
    recursive alias (``data: &loop {self: *loop}``) is a value inside itself;
    it is refused where it recurses, before anything is constructed. Raises
    :class:`yaml.MarkedYAMLError` with the line.
    """
    budget = AliasBudget()
    written: set[int] = set()
    path: set[int] = set()  # the values enclosing the one being visited
    stack: list[tuple[yaml.Node | None, int, bool]] = [(root, 0, False)]
    while stack:
        node, level, in_alias = stack.pop()
        if node is None:  # leaving the value on top of the path
            path.discard(level)
            continue
        if id(node) in path:
            raise _Refused(node, "a recursive alias: this value contains itself; write it out")
        in_alias = in_alias or id(node) in written
        written.add(id(node))
        budget.count(node, in_alias)
        if level > max_depth:
            raise _Refused(node, f"this value nests more than {max_depth} levels deep")
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            continue
        path.add(id(node))
        stack.append((None, id(node), False))
        stack += [(child, level + 1, in_alias) for child in reversed(children)]


def _check(root: yaml.Node) -> None:
    """Tags, keys, duplicates, depth and aliasing, before anything is constructed; raises :class:`_Refused`.

    Values are visited in document order, as yaml.v3 decodes them: an anchor's
    value first where it is defined, then again (and everything in it counted as
    aliased) wherever an alias names it; PyYAML composes both as one node. The
    counts are yaml.v3's but for two details, a few values per alias: yaml.v3
    also counts the alias itself, and a merge (``<<``) decodes the merging map's
    keys a second time.
    """
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    written: set[int] = set()
    budget = AliasBudget()
    while stack:
        node, level, in_alias = stack.pop()
        if not in_alias and id(node) in written:
            in_alias = True  # an alias of a value written earlier
        elif not in_alias:
            written.add(id(node))
        budget.count(node, in_alias)
        if level > MAX_DEPTH + DEPTH_ALLOWANCE:
            raise _Refused(node, f"this value nests more than {MAX_DEPTH} levels deep; no setting is structured "
                                 "like that: check the value")
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise _Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; remove it "
                                     "(config values are strings, numbers, booleans, null, lists and maps)")
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                raise _Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; write a "
                                     "plain list")
            stack += [(item, level + 1, in_alias) for item in reversed(node.value)]
        elif isinstance(node, yaml.MappingNode):
            if node.tag != f"{_TAG}map":
                raise _Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; write a "
                                     "plain map (a list, for !!set)")
            keys: dict[str, yaml.Node] = {}
            values: list[tuple[yaml.Node, int, bool]] = []
            for key_node, value_node in node.value:
                budget.count(key_node, in_alias)  # yaml.v3 decodes each key as a value
                if key_node.tag == f"{_TAG}merge":
                    values.append((value_node, level, in_alias))
                    continue
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag in (f"{_TAG}null", f"{_TAG}float"):
                    kind = {f"{_TAG}null": "null", f"{_TAG}float": "a number"}.get(key_node.tag, "a list or map")
                    raise _Refused(key_node, f"a map key is {kind}; keys are text: quote it")
                text = key_node.value if key_node.tag != f"{_TAG}bool" else key_node.value.lower()
                if text in keys:
                    raise _Refused(key_node, f"the key {show(text, 60)} is already defined at line "
                                             f"{keys[text].start_mark.line + 1}; keep one")
                keys[text] = key_node
                values.append((value_node, level + 1, in_alias))
            stack += reversed(values)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, for reading one file.

    Reading allocates a node and a value for everything the file writes (over
    400,000 for a stack of 5,000 services) and frees none before it is done, so
    each collection pass finds nothing to free and scans more than the last: on
    such a stack the passes cost more than the reading itself, and grow faster
    than the file (issue 9). Reference counting frees the nodes as ever.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load_yaml(path: Path, text: str | None = None) -> Any:
    """The document in ``path`` (or ``text``), read as the Pulumi CLI reads it; raises :class:`StackYamlError`."""
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except OSError as exc:
        raise StackYamlError(f"{path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise StackYamlError(f"{path}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    loader = Loader(text)
    try:
        with _collector_paused():
            node = loader.get_single_node()
            if node is None:
                return None
            _check(node)
            return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise StackYamlError(marked(path, exc)) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise StackYamlError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def marked(path: Path, exc: yaml.MarkedYAMLError, *, note: str = "") -> str:
    """``<file>:<line>: [note: ]<what is wrong>`` for a YAML error that knows where it is (shortened)."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    return f"{where}: {note}{shorten(reason, 1000)}"
