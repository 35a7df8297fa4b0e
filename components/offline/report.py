"""Write a :class:`~knative_platform.offline.model.Review` as markdown: a PR-comment summary and the full detail.

The summary leads with counts per stack and component, then what needs a
reviewer's judgement (updates Knative would refuse, replacements, deletions,
security-relevant changes, upstream version moves), then the per-field diff
of each changed resource; stacks come in order of risk (prod first).

It always fits a comment (GitHub refuses comments over 65,536 characters):
each section lists at most :data:`FINDINGS_PER_KIND` findings, riskiest first,
and counts the rest; messages are shortened when even those do not fit whole;
per-resource diffs that do not fit are counted in one line; every list whose
length a pull request decides (stacks, table rows) is capped the same way and
points at the detail file, which holds everything, including every field of
created and deleted resources.

Everything a render says is untrusted (a fork writes the renders): it reaches
the markdown only through :mod:`knative_platform.offline.markdown`, in code spans
and code blocks with nothing that could end them, so the comment's headings,
links, tables and HTML are this module's alone, and ``@``-mentions notify nobody.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .diff import DEPENDS_ON
from .markdown import code, fence, inert, no_mentions, prose
from .model import ABSENT, Action, FieldChange, Finding, FindingKind, ResourceChange, Review, StackDiff, format_value

__all__ = ["DEFAULT_LIMIT", "FINDINGS_PER_KIND", "GITHUB_COMMENT_LIMIT", "MARKER", "detail", "no_mentions", "summary"]

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_LIMIT = 60_000
"""The summary's budget: GitHub's comment limit less room for what a workflow wraps around it."""
MARKER = "<!-- knative-platform:offline-review -->"
"""Lets a workflow find and update its previous comment instead of adding a new one (no render can spell it)."""
VALUE_LIMIT = 300
FINDINGS_PER_KIND = 20
"""Findings of one kind the summary lists; the rest are counted, and all are in the detail file."""
LISTED = 20
"""Stacks a headline names, and the most of any other list whose length a pull request decides."""
TABLE_ROWS = 40
NAME_LIMIT = 120
"""The longest stack, resource or component name the summary quotes whole."""

_SECTIONS: dict[FindingKind, tuple[str, str, str]] = {
    FindingKind.REFUSED: ("Refused by Knative", "Knative refuses these at `pulumi up`, or does not support them: "
                                                "fix them first.", "refusals"),
    FindingKind.UNSEEN: ("Values this review cannot see", "These stacks import Pulumi ESC environments: `pulumi up` "
                                                          "merges their values in, the offline render cannot open "
                                                          "them.", "stacks with environments"),
    FindingKind.REPLACE: ("Replacements", "Deleted and created again: downtime or a new identity (offline heuristic).",
                          "replacements"),
    FindingKind.DELETE: ("Deletions", "", "deletions"),
    FindingKind.SECURITY: ("Security-relevant changes", "", "security-relevant changes"),
    FindingKind.UPGRADE: ("Upstream versions", "Pinned releases that change; read their release notes.",
                          "upstream version moves"),
    FindingKind.SOURCE: ("Source builds", "Services built from source whose source or image changes: the "
                                          "fingerprint, the image it deploys (or *pending build*: `pulumi up` "
                                          "refuses it until `knative-platform build` records one) and its revision.",
                         "source services"),
}
_SIGN = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "+-", Action.DELETE: "-"}
_FOOTER = ("Rendered offline under the project's own mocks (`knative-platform diff`): what the "
           "program asks for, secrets shown as `[secret]`. Replacement detection is a heuristic; "
           "`pulumi preview` on trusted branches is authoritative.")


def _value(value: object, limit: int | None) -> str:
    text = format_value(value)
    if limit is not None and len(text) > limit:
        return f"{text[:limit]}… ({len(text) - limit} more characters in the detail file)"
    return text


def _field_lines(fields: Iterable[FieldChange], limit: int | None) -> list[str]:
    lines: list[str] = []
    for f in fields:
        path = inert(f.path, limit)
        if f.path.startswith(DEPENDS_ON):
            lines.append(f"{'+' if f.after is not ABSENT else '-'} {path}")
            continue
        if f.before is not ABSENT:
            lines.append(f"- {path}: {_value(f.before, limit)}")
        if f.after is not ABSENT:
            lines.append(f"+ {path}: {_value(f.after, limit)}")
    return lines


def _resource_block(change: ResourceChange, *, full: bool) -> str:
    limit = None if full else NAME_LIMIT
    head = (f"**{_SIGN[change.action]} {change.action.value}** {code(change.display, limit)} · "
            f"{code(change.component, limit)} · {code(change.type, limit)}")
    if change.action in (Action.CREATE, Action.DELETE) and not full:
        return head
    lines = [head]
    if change.reasons:
        lines += [f"- why {change.action.value}: {prose(reason)}" for reason in change.reasons]
    if change.fields:
        lines.append(fence(_field_lines(change.fields, None if full else VALUE_LIMIT)))
    return "\n".join(lines)


def _more(count: int, what: str, where: str) -> str:
    return f"… and {count:,} more {what}, {where}"


def _counts_table(review: Review, *, full: bool) -> str:
    rows = []
    limit = None if full else NAME_LIMIT
    for stack in review.stacks:
        per_component: dict[str, Counter[Action]] = {}
        for change in stack.changes:
            per_component.setdefault(change.component, Counter())[change.action] += 1
        for component, counts in sorted(per_component.items()):
            cells = [str(counts[a]) if counts[a] else "" for a in Action]
            rows.append(f"| {code(stack.label, limit)} | {code(component, limit)} | " + " | ".join(cells) + " |")
    if not rows:
        return ""
    header = "| stack | component | create | update | replace | delete |\n|---|---|--:|--:|--:|--:|"
    table = header + "\n" + "\n".join(rows if full else rows[:TABLE_ROWS])
    if not full and len(rows) > TABLE_ROWS:
        table += "\n\n" + _more(len(rows) - TABLE_ROWS, "rows of stack and component counts", "in the detail file")
    return table


def _stack_part(stack: StackDiff, limit: int | None) -> str:
    label = code(stack.label, limit)
    if stack.status in ("added", "removed"):
        return f"{label} ({'new stack' if stack.status == 'added' else 'stack removed'}, {stack.resource_count} " \
               "resources)"
    counts = Counter(c.action for c in stack.changes)
    described = ", ".join(f"{counts[a]} to {a.value}" for a in Action if counts[a])
    extra = [what for what, present in (("config", stack.config), ("outputs", stack.outputs)) if present]
    return f"{label} ({described or 'no resources'}{'; ' + ' and '.join(extra) if extra else ''})"


def _listed(items: list[str], what: str, *, full: bool) -> str:
    if full or len(items) <= LISTED:
        return "; ".join(items)
    return "; ".join(items[:LISTED]) + "; " + _more(len(items) - LISTED, what, "in the detail file")


def _headline(review: Review, *, full: bool) -> str:
    if not review.changed:
        return f"No changes: the renders of {len(review.stacks)} stack(s) are identical."
    limit = None if full else NAME_LIMIT
    changed = [_stack_part(s, limit) for s in review.stacks if s.status != "unchanged"]
    unchanged = [code(s.label, limit) for s in review.stacks if s.status == "unchanged"]
    found = Counter(f.kind for f in review.findings)
    flags = " · ".join(f"{_SECTIONS[k][0]}: {found[k]:,}" for k in FindingKind if found[k])
    text = f"**Changed:** {_listed(changed, 'changed stacks', full=full)}."
    if unchanged:
        text += f" Unchanged: {_listed(unchanged, 'unchanged stacks', full=full).replace('; ', ', ')}."
    return text + (f"\n\n**Needs attention:** {flags}" if flags else "")


def _shorten(message: str, cap: int | None) -> str:
    """``message`` as markdown (:func:`~knative_platform.offline.markdown.prose`), cut to ``cap`` characters of it."""
    if cap is None or len(message) <= cap:
        return prose(message)
    cut = message[:cap].rstrip()
    if cut.count("`") % 2:  # the cut fell inside a code span: close it
        cut += "`"
    return prose(cut) + "… (whole in the detail file)"


def _finding_line(f: Finding, cap: int | None, limit: int | None) -> str:
    topic = f" — {f.topic}" if f.kind is FindingKind.SECURITY else ""
    message = _shorten(f.message, cap)
    links = ", ".join(f"[{inert(label)}]({url})" for label, url in f.links)
    return (f"- **{code(f.stack, limit)}** {code(f.resource, limit)}{topic}" + (f": {message}" if message else "")
            + (f" ({links})" if links else ""))


def _finding_sections(findings: Iterable[Finding], cap: int | None = None, *, full: bool = False,
                      detail: str = "") -> list[str]:
    """One section per kind, one line per finding; ``cap`` shortens each message to that many characters.

    Unless ``full``, a section lists :data:`FINDINGS_PER_KIND` findings and counts the rest.
    """
    blocks: list[str] = []
    grouped: dict[FindingKind, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.kind, []).append(finding)
    limit = None if full else NAME_LIMIT
    for kind in FindingKind:
        if kind not in grouped:
            continue
        title, note, plural = _SECTIONS[kind]
        shown = grouped[kind] if full else grouped[kind][:FINDINGS_PER_KIND]
        lines = [f"### {title}"] + ([note] if note else [])
        lines += [_finding_line(f, cap, limit) for f in shown]
        if len(shown) < len(grouped[kind]):
            lines.append(_more(len(grouped[kind]) - len(shown), plural, f"all in the full detail: {detail}"))
        blocks.append("\n".join(lines))
    return blocks


def _stack_blocks(stack: StackDiff, *, full: bool) -> list[str]:
    blocks = []
    heading = f"#### {code(stack.label, None if full else NAME_LIMIT)}"
    if stack.status in ("added", "removed") and not full:
        what = "a new stack" if stack.status == "added" else "no longer rendered (removing a stack file deletes " \
                                                                "nothing; `pulumi destroy` does)"
        return [f"{heading}\n{what}: {stack.resource_count} resources, listed in the detail file"]
    for change in stack.changes:
        blocks.append(_resource_block(change, full=full))
    for title, fields in (("stack config", stack.config), ("stack outputs", stack.outputs)):
        if fields:
            blocks.append(f"**{title}**\n" + fence(_field_lines(fields, None if full else VALUE_LIMIT)))
    if blocks:
        blocks[0] = f"{heading}\n{blocks[0]}"
    return blocks


def _attention(findings: tuple[Finding, ...], room: int, detail: str) -> list[str]:
    """The findings sections, messages whole when they fit in ``room`` characters, else cut to the longest that do."""
    whole = _finding_sections(findings, detail=detail)
    if sum(len(b) + 2 for b in whole) <= room:
        return whole
    low, high = 0, max((len(f.message) for f in findings), default=0)
    while low < high:  # the longest cap that fits; 0 leaves stack, resource and topic
        cap = (low + high + 1) // 2
        if sum(len(b) + 2 for b in _finding_sections(findings, cap, detail=detail)) <= room:
            low = cap
        else:
            high = cap - 1
    return _finding_sections(findings, low, detail=detail)


def _title(title: str) -> str:
    """The caller's title (trusted: the command line's), on one line."""
    return " ".join(title.split())


def summary(review: Review, *, title: str, detail: str, limit: int = DEFAULT_LIMIT) -> str:
    """The PR comment, at most ``limit`` characters; ``detail`` (trusted markdown) says where the full review is.

    Each kind of finding lists its first :data:`FINDINGS_PER_KIND` (riskiest
    stack first) and counts the rest; their messages are shortened when those
    do not fit whole (to nothing but stack, resource and topic if need be).
    Per-resource diffs fill what room is left, in order of risk. Should even
    that not fit ``limit``, the summary is the headline's counts and the link.
    """
    heading = f"## {_title(title)}"
    head = [MARKER, heading, _headline(review, full=False)]
    table = _counts_table(review, full=False)
    if table:
        head.append(table)
    footer = f"---\n{_FOOTER} Full detail: {detail}."
    changes = [b for stack in review.stacks if stack.status != "unchanged" for b in _stack_blocks(stack, full=False)]
    if changes:
        changes[0] = "### Changes\n" + changes[0]
    out = "\n\n".join(head)
    budget = limit - len(footer) - 400  # room for the truncation note
    for block in _attention(review.findings, budget - len(out), detail):
        out += "\n\n" + block
    dropped = 0
    for block in changes:
        if dropped or len(out) + 2 + len(block) > budget:
            dropped += 1
            continue
        out += "\n\n" + block
    if dropped:
        out += (f"\n\n**{dropped:,} more change block(s) not shown** to stay within GitHub's "
                f"{GITHUB_COMMENT_LIMIT:,}-character comment limit; they are in the full detail: {detail}.")
    text = no_mentions(out + "\n\n" + footer + "\n")
    if len(text) > limit:  # only a pathological review (a detail link of thousands of characters, say)
        counts = Counter(f.kind for f in review.findings)
        flags = " · ".join(f"{_SECTIONS[k][0]}: {counts[k]:,}" for k in FindingKind if counts[k])
        text = no_mentions(f"{MARKER}\n\n{heading}\n\nThe review is too large for a comment ("
                           f"{sum(len(s.changes) for s in review.stacks):,} changes; {flags or 'no findings'}); "
                           f"read the full detail: {detail}.\n")[:limit]
    return text


def detail(review: Review, *, title: str) -> str:
    """Everything: every finding and every field of every changed, created and deleted resource."""
    parts = [f"# {_title(title)}", _headline(review, full=True)]
    table = _counts_table(review, full=True)
    if table:
        parts.append(table)
    parts += _finding_sections(review.findings, full=True)
    changes = [b for stack in review.stacks if stack.status != "unchanged" for b in _stack_blocks(stack, full=True)]
    if changes:
        parts.append("## Changes")
        parts += changes
    parts.append(f"---\n{_FOOTER}")
    return no_mentions("\n\n".join(parts) + "\n")
