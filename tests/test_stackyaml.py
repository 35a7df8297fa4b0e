"""The stack-file reader builds what PyYAML's own constructor builds from the same nodes (issue 23).

``load_yaml`` walks the composed nodes directly instead of through PyYAML's
generic ``construct_document`` (four times faster on a stack of a thousand
services). Generated documents, hostile ones included (anchors, aliases,
merges, tagged keys and values, duplicates), must give the same value, types
and sharing (an alias is the same object as its anchor), or the same refusal,
as ``yaml.load`` with the reader's :class:`Loader` given back PyYAML's own tag
resolution and map construction (it keeps the reader's constructor per scalar
tag). Where they differ, the reader refused the document first, for a reason it
checks before building anything (tags, keys, depth, aliasing).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knative_platform.offline.stackyaml import Loader, StackYamlError, load_yaml, marked

SCALARS = ["a", "hello world", "0x1f", "017", "1_000", "99999999999999999999", "-5", "+3", "0", "00", "1.5",
           ".5", "1e3", "1" + "0" * 400, "true", "True", "yes", "~", "null", "''", "2026-01-01", "1:30", "'a'",
           '"secure"', "123456789012345678", "1234567890123456789", "18446744073709551616", "!!int 12",
           "!!int 0b101", "!!float 3", "!!bool TRUE", "!!binary aGVsbG8=", "!!null ~", "!!str 12", "!!timestamp x",
           "1a", "truex", "nullx", "0x1g", "1.5.6", "' padded '", '"a\\tb"']
HOSTILE_SCALARS = [".inf", ".nan", "<<", "=", "!!int abc", "!!float x", "!!bool yes", "!!binary //8=", "!!null x",
                   "!Ref x", "!!seq x", "!!value =", "!!omap x", "!!int 1.5", "!!int ٣"]
KEYS = ["a", "b", "1", "0x1", "true", "True", "=", "!!int 5", "!!binary aGk=", "'true'", "!!str 1", "!!timestamp t",
        "00", "99999999999999999999", "secure", "' padded '", '"a\\tb"', "1_000"]
HOSTILE_KEYS = ["~", "1.5", "[1]", "{a: 1}", "!Ref k", "!!int x", "!!null ~", "!!seq s", "!!binary //8=", "!!float 1"]
CHECK_REFUSALS = re.compile(r"is not a type Pulumi config has|a map key is|is already defined at line|nests more "
                            r"than|aliases expand")


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A stack-file-like document in block style, with flow values, anchors, aliases and merges."""
    anchors: list[str] = []  # defined so far (an alias names one of these: never a value around it)
    maps: list[str] = []
    hostile = draw(st.booleans())

    serial = itertools.count()

    def fresh() -> str:
        return f"a{next(serial)}"

    def scalar() -> str:
        return draw(st.sampled_from(SCALARS + HOSTILE_SCALARS if hostile else SCALARS))

    def key(used: set[str]) -> str:
        pool = KEYS + HOSTILE_KEYS if hostile else KEYS
        text = draw(st.sampled_from(pool if hostile else [k for k in pool if k not in used] or pool))
        used.add(text)
        return text

    def anchored(text: str, is_map: bool) -> str:
        if draw(st.integers(0, 4)) != 0:
            return text
        name = fresh()
        anchors.append(name)
        maps.extend([name] if is_map else [])
        return f"&{name} {text}"

    def flow(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "scalar", "alias", "list", "map"][: 3 if depth > 2 else 5]))
        if kind == "alias" and anchors:
            return "*" + draw(st.sampled_from(anchors))
        if kind in ("scalar", "alias"):
            text = scalar()
            return text if text.startswith("!") else anchored(text, False)
        if kind == "list":
            return anchored("[" + ", ".join(flow(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]", False)
        used: set[str] = set()
        pairs = [f"{key(used)}: {flow(depth + 1)}" for _ in range(draw(st.integers(0, 3)))]
        return anchored("{" + ", ".join(pairs) + "}", True)

    def merge() -> str:
        if maps and draw(st.booleans()):
            return "*" + draw(st.sampled_from(maps))
        if maps and draw(st.booleans()):
            return "[" + ", ".join("*" + draw(st.sampled_from(maps)) for _ in range(draw(st.integers(1, 3)))) + "]"
        return flow(1) if hostile else "{" + f"{key(set())}: {flow(2)}" + "}"

    def block(indent: int, depth: int) -> list[str]:
        lines, used = [], set()
        for _ in range(draw(st.integers(1, 4))):
            pad = " " * indent
            shape = draw(st.sampled_from(["merge", "nested", "value", "value"] if depth < 3 else ["merge", "value"]))
            if shape == "merge":
                lines.append(f"{pad}<<: {merge()}")
            elif shape == "nested":
                name = fresh()
                lines.append(f"{pad}{key(used)}: &{name}")
                lines += block(indent + 2, depth + 1)
                anchors.append(name)
                maps.append(name)
            else:
                lines.append(f"{pad}{key(used)}: {flow(depth + 1)}")
        return lines

    return "\n".join(block(0, 0)) + "\n"


class PyYamlLoader(Loader):  # type: ignore[misc]
    """The reader's loader with PyYAML's own tag resolution (the reader remembers each plain scalar's tag)."""

    resolve = yaml.resolver.BaseResolver.resolve


def _pyyaml_map(loader: PyYamlLoader, node: yaml.MappingNode) -> Any:
    """A map as PyYAML builds it, with each key by its tag's constructor, an integer or a boolean made text."""
    data: dict[Any, Any] = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = ("true" if key else "false") if isinstance(key, bool) else str(key) if isinstance(key, int) else key
        data[key] = loader.construct_object(value_node, deep=True)


PyYamlLoader.add_constructor("tag:yaml.org,2002:map", _pyyaml_map)


def _shape(value: Any, seen: dict[int, int]) -> Any:
    """``value`` with each leaf's type and each list or map numbered the first time it is met (shared: a ref)."""
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            return ("ref", seen[id(value)])
        seen[id(value)] = len(seen)
        if isinstance(value, dict):
            return ("map", seen[id(value)], [(_shape(k, seen), _shape(v, seen)) for k, v in value.items()])
        return ("list", seen[id(value)], [_shape(item, seen) for item in value])
    return (type(value).__name__, repr(value))


@settings(max_examples=200, derandomize=True, deadline=None, database=None)
@given(documents())
def test_the_reader_builds_what_pyyaml_builds_from_the_same_nodes(text):
    path = Path("Pulumi.qa.yaml")
    try:
        expected = ("read", _shape(yaml.load(text, Loader=PyYamlLoader), {}))
    except yaml.MarkedYAMLError as exc:
        expected = ("refused", marked(path, exc))
    except (yaml.YAMLError, ValueError) as exc:
        expected = ("refused", f"{path}: not valid YAML: {exc}")
    except TypeError as exc:  # a list as a key, which the reader refuses before building anything
        expected = ("failed", str(exc))
    try:
        got = ("read", _shape(load_yaml(path, text), {}))
    except StackYamlError as exc:
        got = ("refused", str(exc))
    if got != expected:
        assert got[0] == "refused" and CHECK_REFUSALS.search(got[1]), (text, got, expected)


def test_an_alias_or_a_merged_key_is_the_object_its_anchor_made():
    doc = load_yaml(Path("Pulumi.qa.yaml"), "a: &x {k: [1]}\nb: *x\nc: {<<: *x, j: 2}\n")
    assert doc == {"a": {"k": [1]}, "b": {"k": [1]}, "c": {"k": [1], "j": 2}}
    assert doc["b"] is doc["a"] and doc["c"]["k"] is doc["a"]["k"]


def _tags(node: yaml.Node) -> list[str]:
    """Every tag under ``node``, in document order."""
    if isinstance(node, yaml.MappingNode):
        return [node.tag, *(tag for pair in node.value for child in pair for tag in _tags(child))]
    if isinstance(node, yaml.SequenceNode):
        return [node.tag, *(tag for child in node.value for tag in _tags(child))]
    return [node.tag]


def test_a_plain_scalar_met_again_resolves_as_pyyaml_resolves_it():
    """A tag depends on the whole text: the reader remembers it per text, not per look-alike."""
    words = ["1", "1a", "1.5", "1.5.6", "true", "truex", "True", "null", "nullx", "~", "0x1f", "0x1g", "-1", "-",
             ".5", ".", "=", "==", "<<", "<<<", "2026-01-01", "''", "'1'"]
    text = "- [" + ", ".join(words) + "]\n- {" + ", ".join(f"{word}: {word}" for word in words) + "}\n"
    tags = _tags(yaml.compose(text, Loader=Loader))
    assert tags == _tags(yaml.compose(text, Loader=PyYamlLoader))
    assert {tag.rsplit(":", 1)[1] for tag in tags} == {"seq", "map", "int", "float", "bool", "null", "str", "merge",
                                                       "value"}


def _bomb(levels: int) -> str:
    """Each level a list of ten aliases of the one before: ten times the values per level."""
    return "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, levels))


WRITTEN = "".join(f"k{i}: {{a: 1, b: [2, 3]}}\n" for i in range(150))
ALIAS_BOUND = [
    ("written maps, then a bomb", WRITTEN + _bomb(5), 151, 120_979, 122_201),
    ("a bomb of maps", "m0: &m0 {a: 1, b: 2, c: 3}\n" + "".join(
        f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(8)) + "}\n" for i in range(1, 6)), 1, 4159,
     4201),
    ("over 100 aliased values, written maps, then a bomb", "s: &s [1, 2, 3]\nmany: [" + ", ".join(["*s"] * 40)
     + "]\n" + WRITTEN + _bomb(5), 153, 121_672, 122_901),
]


@pytest.mark.parametrize(("text", "line", "aliased", "decoded"), [c[1:] for c in ALIAS_BOUND],
                         ids=[c[0] for c in ALIAS_BOUND])
def test_the_alias_bound_counts_every_value_and_key_in_document_order(text, line, aliased, decoded):
    """The counts (and the value where the bound is passed) are yaml.v3's, as the reader has always counted them."""
    with pytest.raises(StackYamlError) as info:
        load_yaml(Path("Pulumi.qa.yaml"), text)
    assert str(info.value).startswith(f"Pulumi.qa.yaml:{line}: aliases expand the file too far ({aliased} of the "
                                      f"first {decoded} values come through aliases"), str(info.value)
