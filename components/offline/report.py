"""Write a :class:`~components.offline.model.Review` as markdown: a PR-comment summary and the full detail.

The summary leads with counts per stack and component, then what needs a
reviewer's judgement (updates Knative would refuse, replacements, deletions,
security-relevant changes, upstream version moves), then the per-field diff
of each changed resource; stacks come in order of risk (prod first). It stays
under a character budget (GitHub refuses comments over 65,536 characters):
every finding is always listed, its message shortened when they do not fit
whole; per-resource diffs that do not fit are counted in one line that points
at the detail file, which holds everything, including every field of created
and deleted resources. ``@``-mentions in the text (which comes from the pull
request: service names, values) are neutralised, so a comment pings nobody.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .diff import DEPENDS_ON
from .model import (
    ABSENT,
    Action,
    FieldChange,
    Finding,
    FindingKind,
    ResourceChange,
    Review,
    StackDiff,
    format_value,
)

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_LIMIT = 60_000
"""The summary's budget: GitHub's comment limit less room for what a workflow wraps around it."""
MARKER = "<!-- knative-platform:offline-review -->"
"""Lets a workflow find and update its previous comment instead of adding a new one."""
VALUE_LIMIT = 300

_SECTIONS: dict[FindingKind, tuple[str, str]] = {
    FindingKind.REFUSED: ("Refused by Knative", "Knative refuses these at `pulumi up`, or does not support them: fix "
                                                "them first."),
    FindingKind.REPLACE: ("Replacements", "Deleted and created again: downtime or a new identity (offline heuristic)."),
    FindingKind.DELETE: ("Deletions", ""),
    FindingKind.SECURITY: ("Security-relevant changes", ""),
    FindingKind.UPGRADE: ("Upstream versions", "Pinned releases that change; read their release notes."),
}
_SIGN = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "+-", Action.DELETE: "-"}


def _value(value: object, limit: int | None) -> str:
    text = format_value(value)
    if limit is not None and len(text) > limit:
        return f"{text[:limit]}… ({len(text) - limit} more characters in the detail file)"
    return text


def _fence(lines: Iterable[str]) -> str:
    body = "\n".join(lines)
    fence = "````" if "```" in body else "```"
    return f"{fence}diff\n{body}\n{fence}"


def _field_lines(fields: Iterable[FieldChange], limit: int | None) -> list[str]:
    lines: list[str] = []
    for f in fields:
        if f.path.startswith(DEPENDS_ON):
            lines.append(f"{'+' if f.after is not ABSENT else '-'} {f.path}")
            continue
        if f.before is not ABSENT:
            lines.append(f"- {f.path}: {_value(f.before, limit)}")
        if f.after is not ABSENT:
            lines.append(f"+ {f.path}: {_value(f.after, limit)}")
    return lines


def _resource_block(change: ResourceChange, *, full: bool) -> str:
    head = (f"**{_SIGN[change.action]} {change.action.value}** `{change.display}` · {change.component} "
            f"· `{change.type}`")
    if change.action in (Action.CREATE, Action.DELETE) and not full:
        return head
    lines = [head]
    if change.reasons:
        lines += [f"- why {change.action.value}: {reason}" for reason in change.reasons]
    if change.fields:
        lines.append(_fence(_field_lines(change.fields, None if full else VALUE_LIMIT)))
    return "\n".join(lines)


def _counts_table(review: Review) -> str:
    rows = []
    for stack in review.stacks:
        per_component: dict[str, Counter[Action]] = {}
        for change in stack.changes:
            per_component.setdefault(change.component, Counter())[change.action] += 1
        for component, counts in sorted(per_component.items()):
            cells = [str(counts[a]) if counts[a] else "" for a in Action]
            rows.append(f"| {stack.label} | {component} | " + " | ".join(cells) + " |")
    if not rows:
        return ""
    header = "| stack | component | create | update | replace | delete |\n|---|---|--:|--:|--:|--:|"
    return header + "\n" + "\n".join(rows)


def _headline(review: Review) -> str:
    if not review.changed:
        return f"No changes: the renders of {len(review.stacks)} stack(s) are identical."
    parts = []
    for stack in review.stacks:
        if stack.status == "unchanged":
            continue
        if stack.status in ("added", "removed"):
            parts.append(f"{stack.label} ({'new stack' if stack.status == 'added' else 'stack removed'}, "
                         f"{stack.resource_count} resources)")
            continue
        counts = Counter(c.action for c in stack.changes)
        described = ", ".join(f"{counts[a]} to {a.value}" for a in Action if counts[a])
        extra = [what for what, present in (("config", stack.config), ("outputs", stack.outputs)) if present]
        parts.append(f"{stack.label} ({described or 'no resources'}{'; ' + ' and '.join(extra) if extra else ''})")
    unchanged = [s.label for s in review.stacks if s.status == "unchanged"]
    found = Counter(f.kind for f in review.findings)
    flags = " · ".join(f"{_SECTIONS[k][0]}: {found[k]}" for k in FindingKind if found[k])
    text = f"**Changed:** {'; '.join(parts)}."
    if unchanged:
        text += f" Unchanged: {', '.join(unchanged)}."
    return text + (f"\n\n**Needs attention:** {flags}" if flags else "")


def _shorten(message: str, cap: int | None) -> str:
    if cap is None or len(message) <= cap:
        return message
    return message[:cap].rstrip() + "… (whole in the detail file)"


def _finding_sections(findings: Iterable[Finding], cap: int | None = None) -> list[str]:
    """One section per kind, one line per finding; ``cap`` shortens each message to that many characters."""
    blocks: list[str] = []
    grouped: dict[FindingKind, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.kind, []).append(finding)
    for kind in FindingKind:
        if kind not in grouped:
            continue
        title, note = _SECTIONS[kind]
        lines = [f"### {title}"] + ([note] if note else [])
        for f in grouped[kind]:
            topic = f" — {f.topic}" if kind is FindingKind.SECURITY else ""
            message = _shorten(f.message, cap)
            lines.append(f"- **{f.stack}** `{f.resource}`{topic}" + (f": {message}" if message else ""))
        blocks.append("\n".join(lines))
    return blocks


def _stack_blocks(stack: StackDiff, *, full: bool) -> list[str]:
    blocks = []
    if stack.status in ("added", "removed") and not full:
        what = "a new stack" if stack.status == "added" else "no longer rendered (removing a stack file deletes " \
                                                                "nothing; `pulumi destroy` does)"
        return [f"#### {stack.label}\n{what}: {stack.resource_count} resources, listed in the detail file"]
    for change in stack.changes:
        blocks.append(_resource_block(change, full=full))
    for title, fields in (("stack config", stack.config), ("stack outputs", stack.outputs)):
        if fields:
            blocks.append(f"**{title}**\n" + _fence(_field_lines(fields, None if full else VALUE_LIMIT)))
    if blocks:
        blocks[0] = f"#### {stack.label}\n{blocks[0]}"
    return blocks


_FOOTER = ("Rendered offline under the project's own mocks (`knative-platform diff`): what the "
           "program asks for, secrets shown as `[secret]`. Replacement detection is a heuristic; "
           "`pulumi preview` on trusted branches is authoritative.")


_MENTION = re.compile(r"(?<![\w@/.+-])@(?=[A-Za-z0-9])")
ZERO_WIDTH_SPACE = "\u200b"


def no_mentions(text: str) -> str:
    """``@someone`` and ``@org/team`` as ``@\u200bsomeone``: shown the same, notifying nobody (e-mails untouched)."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def _attention(findings: tuple[Finding, ...], room: int) -> list[str]:
    """Every finding, messages whole when they fit in ``room`` characters, else cut to the longest length that does."""
    whole = _finding_sections(findings)
    if sum(len(b) + 2 for b in whole) <= room:
        return whole
    low, high = 0, max((len(f.message) for f in findings), default=0)
    while low < high:  # the longest cap that fits; 0 leaves stack, resource and topic
        cap = (low + high + 1) // 2
        if sum(len(b) + 2 for b in _finding_sections(findings, cap)) <= room:
            low = cap
        else:
            high = cap - 1
    return _finding_sections(findings, low)


def summary(review: Review, *, title: str, detail: str, limit: int = DEFAULT_LIMIT) -> str:
    """The PR comment: at most ``limit`` characters; ``detail`` says where the full review is.

    No finding is ever left out: when they do not fit whole, each message is
    shortened (to nothing but its stack, resource and topic if need be, and
    only then can the summary exceed ``limit``). Per-resource diffs fill what
    room is left, in order of risk.
    """
    head = [MARKER, f"## {no_mentions(title)}", _headline(review)]
    table = _counts_table(review)
    if table:
        head.append(table)
    footer = f"---\n{_FOOTER} Full detail: {detail}."
    changes = [b for stack in review.stacks if stack.status != "unchanged" for b in _stack_blocks(stack, full=False)]
    if changes:
        changes[0] = "### Changes\n" + changes[0]
    out = "\n\n".join(head)
    budget = limit - len(footer) - 400  # room for the truncation note
    for block in _attention(review.findings, budget - len(out)):
        out += "\n\n" + block
    dropped = 0
    for block in changes:
        if dropped or len(out) + 2 + len(block) > budget:
            dropped += 1
            continue
        out += "\n\n" + block
    if dropped:
        out += (f"\n\n**{dropped} more change block(s) not shown** to stay within GitHub's "
                f"{GITHUB_COMMENT_LIMIT:,}-character comment limit; they are in the full detail: {detail}.")
    return no_mentions(out + "\n\n" + footer + "\n")


def detail(review: Review, *, title: str) -> str:
    """Everything: every finding and every field of every changed, created and deleted resource."""
    parts = [f"# {title}", _headline(review)]
    table = _counts_table(review)
    if table:
        parts.append(table)
    parts += _finding_sections(review.findings)
    changes = [b for stack in review.stacks if stack.status != "unchanged" for b in _stack_blocks(stack, full=True)]
    if changes:
        parts.append("## Changes")
        parts += changes
    parts.append(f"---\n{_FOOTER}")
    return no_mentions("\n\n".join(parts) + "\n")
