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
(:func:`~knative_platform.offline.expansion.alias_share_allowed`); a file that
writes its values out is read however large it is, as a stack of thousands of
services is (issue 9).
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
from .expansion import AliasBudget, Refused

DEPTH_ALLOWANCE = 2
"""The document and its ``config`` map sit above every config value."""

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it (the constructors below are Python either way)."""
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_STR_TAG, _SEQ_TAG, _MAP_TAG, _MERGE_TAG, _NULL_TAG, _FLOAT_TAG, _BOOL_TAG = (
    f"{_TAG}{t}" for t in ("str", "seq", "map", "merge", "null", "float", "bool"))
_FLATTENED = (_MERGE_TAG, f"{_TAG}value")
"""Key tags PyYAML's ``flatten_mapping`` acts on: a merge (``<<``), and ``=`` (made a string)."""
_INT = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class StackYamlError(Exception):
    """A file the Pulumi CLI would not read, or would read differently; the message has file and line."""


class Loader(_BASE):  # type: ignore[misc,valid-type]
    """yaml.v3's reading of YAML, on PyYAML's safe loader."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in (f"{_TAG}bool", f"{_TAG}int", f"{_TAG}float", f"{_TAG}timestamp")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[str, str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        """PyYAML's ``BaseResolver.resolve``, remembered per plain scalar's text.

        A stack file repeats its keys and many values thousands of times, and
        resolving one tries a regular expression per implicit tag. Without path
        resolvers (this loader has none) a plain scalar's tag depends on its
        text alone.
        """
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)


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
    text = node.value
    if text.isdigit() and text.isascii() and len(text) < 19 and (text[0] != "0" or len(text) == 1):
        return int(text)  # the common case, read as below reads it: decimal, no sign or "_", within int64
    plain = text.replace("_", "")
    value = _go_int(plain)
    if value is None and not _FLOAT.match(plain):
        raise Refused(node, f"{excerpt(node.value)} is tagged !!int but is not an integer")
    if value is not None and -(2**63) <= value < 2**64:
        return value
    if value is not None:  # past int64 and uint64: yaml.v3 tries a float
        return _finite(float(value) if value.bit_length() <= 1024 else float("inf"), node.value)
    return _finite(float(plain), node.value)


def _construct_float(loader: Loader, node: yaml.ScalarNode) -> Any:
    if _SPECIAL_FLOAT.match(node.value):
        raise Refused(node, f"{node.value} is not a number Pulumi can store (config values are JSON, which has no "
                            "infinity or NaN); write a number")
    plain = node.value.replace("_", "")
    if _FLOAT.match(plain):
        return _finite(float(plain), node.value)
    value = _go_int(plain)
    if value is None:
        raise Refused(node, f"{excerpt(node.value)} is tagged !!float but is not a number")
    return _finite(float(value) if value.bit_length() <= 1024 else float("inf"), node.value)


def _construct_bool(loader: Loader, node: yaml.ScalarNode) -> Any:
    if not _BOOL.match(node.value):
        raise Refused(node, f"{excerpt(node.value)} is tagged !!bool but is not true or false")
    return node.value.lower() == "true"


def _construct_binary(loader: Loader, node: yaml.ScalarNode) -> Any:
    try:
        return base64.b64decode("".join(node.value.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Refused(node, "this !!binary value is not base64 of UTF-8 text; Pulumi config values are text: "
                            "write the text itself") from None


def _construct_timestamp(loader: Loader, node: yaml.ScalarNode) -> Any:
    return node.value


def _construct_null(loader: Loader, node: yaml.ScalarNode) -> Any:
    if node.value not in ("", "~", "null", "Null", "NULL"):
        raise Refused(node, f"{excerpt(node.value)} is tagged !!null but is not null")
    return None


def _key(loader: Loader, node: yaml.Node) -> Any:
    """A map key: its text, or its value with an integer or a boolean made text, as the CLI formats it."""
    if type(node) is yaml.ScalarNode and node.tag == _STR_TAG:
        return node.value  # what PyYAML's construct_yaml_str returns
    key = loader.construct_object(node, deep=True)
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key) if isinstance(key, int) else key


def _construct_map(loader: Loader, node: yaml.MappingNode) -> Any:
    data: dict[str, Any] = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = _key(loader, key_node)
        data[key] = loader.construct_object(value_node, deep=True)


for _tag, _fn in ((f"{_TAG}int", _construct_int), (f"{_TAG}float", _construct_float),
                  (f"{_TAG}bool", _construct_bool), (f"{_TAG}binary", _construct_binary),
                  (f"{_TAG}timestamp", _construct_timestamp), (f"{_TAG}null", _construct_null),
                  (f"{_TAG}map", _construct_map)):
    Loader.add_constructor(_tag, _fn)


_SCALARS: dict[str, Any] = {tag: Loader.yaml_constructors[tag] for tag in _SCALAR_TAGS - {_STR_TAG}}
"""The constructor of each scalar tag but ``!!str`` (a string is its text)."""


def _construct(loader: Loader, node: yaml.Node, built: dict[yaml.Node, Any]) -> Any:
    """The value of ``node``, checked by :func:`_check`: what PyYAML's ``construct_document`` builds, directly.

    PyYAML's generic ``construct_object`` (a generator and bookkeeping per value)
    costs four times this walk on a stack of a thousand services. The result is
    the same: each scalar by the constructor :class:`Loader` has for its tag, a
    map's keys (:func:`_key`) and values in document order, the key before its
    value (so the same error comes first), after PyYAML's ``flatten_mapping``
    when a key needs it; one object per node (``built``: an alias gives the
    object its anchor made), and any other tag left to PyYAML. :func:`_check`
    bounds the depth, so a value cannot contain itself.
    """
    if type(node) is yaml.ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        constructor = _SCALARS.get(node.tag)
        return constructor(loader, node) if constructor else loader.construct_object(node, deep=True)
    if node in built:
        return built[node]
    if type(node) is yaml.SequenceNode and node.tag == _SEQ_TAG:
        built[node] = [_construct(loader, item, built) for item in node.value]
    elif type(node) is yaml.MappingNode and node.tag == _MAP_TAG:
        built[node] = data = {}
        if any(key_node.tag in _FLATTENED for key_node, _ in node.value):
            loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = _key(loader, key_node)
            data[key] = _construct(loader, value_node, built)
    else:
        return loader.construct_object(node, deep=True)
    return built[node]


def _tag_name(tag: str) -> str:
    return shorten("!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag, 60)


def _check(root: yaml.Node) -> None:
    """Tags, keys, duplicates, depth and aliasing, before anything is constructed; raises :class:`Refused`.

    Values are visited in document order, as yaml.v3 decodes them: an anchor's
    value first where it is defined, then again (and everything in it counted as
    aliased) wherever an alias names it; PyYAML composes both as one node. The
    counts are yaml.v3's but for two details, a few values per alias: yaml.v3
    also counts the alias itself, and a merge (``<<``) decodes the merging map's
    keys a second time. A map's keys are checked before its values.
    """
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    written: set[yaml.Node] = set()
    budget = AliasBudget()
    while stack:
        node, level, in_alias = stack.pop()
        if not in_alias and node in written:
            in_alias = True  # an alias of a value written earlier
        elif not in_alias:
            written.add(node)
        if in_alias or budget.aliased > 100:
            budget.count(node, in_alias)
        else:  # written out, while at most 100 values came through aliases: the bound cannot refuse it
            budget.decoded += 1
        if level > MAX_DEPTH + DEPTH_ALLOWANCE:
            raise Refused(node, f"this value nests more than {MAX_DEPTH} levels deep; no setting is structured "
                                "like that: check the value")
        if type(node) is yaml.ScalarNode:
            if node.tag not in _SCALAR_TAGS:
                raise Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; remove it "
                                    "(config values are strings, numbers, booleans, null, lists and maps)")
        elif type(node) is yaml.SequenceNode:
            if node.tag != _SEQ_TAG:
                raise Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; write a "
                                    "plain list")
            stack += [(item, level + 1, in_alias) for item in reversed(node.value)]
        elif type(node) is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                raise Refused(node, f"the tag {_tag_name(node.tag)} is not a type Pulumi config has; write a "
                                    "plain map (a list, for !!set)")
            stack += reversed(_check_keys(node, level, in_alias, budget))


def _check_keys(node: yaml.MappingNode, level: int, in_alias: bool,
                budget: AliasBudget) -> list[tuple[yaml.Node, int, bool]]:
    """A map's keys checked and counted (yaml.v3 decodes each key as a value); its values to visit, in order."""
    counting = in_alias or budget.aliased > 100
    if not counting:  # as in _check: no key can pass the bound, so count them at once
        budget.decoded += len(node.value)
    keys: dict[str, yaml.Node] = {}
    values: list[tuple[yaml.Node, int, bool]] = []
    for key_node, value_node in node.value:
        if counting:
            budget.count(key_node, in_alias)
        tag = key_node.tag
        if tag == _MERGE_TAG:
            values.append((value_node, level, in_alias))
            continue
        if type(key_node) is not yaml.ScalarNode or tag in (_NULL_TAG, _FLOAT_TAG):
            kind = {_NULL_TAG: "null", _FLOAT_TAG: "a number"}.get(tag, "a list or map")
            raise Refused(key_node, f"a map key is {kind}; keys are text: quote it")
        text = key_node.value if tag != _BOOL_TAG else key_node.value.lower()
        if text in keys:
            raise Refused(key_node, f"the key {show(text, 60)} is already defined at line "
                                    f"{keys[text].start_mark.line + 1}; keep one")
        keys[text] = key_node
        values.append((value_node, level + 1, in_alias))
    return values


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
            return _document(loader)
    except yaml.MarkedYAMLError as exc:
        raise StackYamlError(marked(path, exc)) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise StackYamlError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _document(loader: Loader) -> Any:
    """The one document ``loader`` reads, checked and constructed; its nodes are freed on return.

    So they are gone before the collector resumes: a collection that found them
    (a node and two marks for each value) would scan three times what the file
    reads into, for nothing (issue 23).
    """
    node = loader.get_single_node()
    if node is None:
        return None
    _check(node)
    return _construct(loader, node, {})


def marked(path: Path, exc: yaml.MarkedYAMLError, *, note: str = "") -> str:
    """``<file>:<line>: [note: ]<what is wrong>`` for a YAML error that knows where it is (shortened)."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    return f"{where}: {note}{shorten(reason, 1000)}"
