"""How far a YAML file's aliases may expand it, and how deep it may nest, checked on PyYAML's composed nodes.

PyYAML composes an anchor's value once and every alias of it as that same node,
so a small file can name millions of values ("billion laughs"); constructing
them would cost far more than the file's size. These checks walk the nodes
first, as yaml.v3 (which the Pulumi CLI reads files with) decodes them, and
refuse such a file with its line, before anything is built: the render reader
(:mod:`.renders`) runs :func:`check_expansion`; the stack-file reader
(:mod:`.stackyaml`) counts with :class:`AliasBudget` as it checks its own rules.
"""

from __future__ import annotations

import yaml

_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
"""yaml.v3's ``alias_ratio_range_low`` and ``alias_ratio_range_high`` (values decoded)."""


class Refused(yaml.MarkedYAMLError):
    """A YAML value refused, with the line of ``node``."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)


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
            raise Refused(node, f"aliases expand the file too far ({self.aliased} of the first {self.decoded} "
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
            raise Refused(node, "a recursive alias: this value contains itself; write it out")
        in_alias = in_alias or id(node) in written
        written.add(id(node))
        budget.count(node, in_alias)
        if level > max_depth:
            raise Refused(node, f"this value nests more than {max_depth} levels deep")
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            continue
        path.add(id(node))
        stack.append((None, id(node), False))
        stack += [(child, level + 1, in_alias) for child in reversed(children)]
