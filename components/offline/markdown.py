r"""Markdown for a pull-request comment whose words come partly from a fork: what the fork wrote stays inert.

A review comment is posted by a privileged job, but everything it says about
the renders comes from the pull request: stack and resource names, field
paths and values, the program's refusals. GitHub renders that text as
markdown and HTML, turns ``@someone`` into a notification and URLs into
links. So untrusted text only ever reaches a comment through this module:

- :func:`code` puts it in a code span, where GitHub renders no markdown, no
  HTML and no links, and mentions notify nobody; what could still end the span
  or the block around it is replaced first (:func:`inert`): a backtick by
  ``ˋ``, ``<`` by ``˂`` (so no HTML, and no comment marker, can be spelled),
  ``|`` by ``ǀ`` (a table cell ends at ``|`` even inside a code span), line
  breaks and other control characters by their escapes (``\n``), so no line of
  the comment starts where a fork chose;
- :func:`fence` does the same for the lines of a diff block;
- :func:`prose` is for sentences the base code writes, which may quote
  untrusted values in code spans: outside the spans whatever could start
  markdown is backslash-escaped (CommonMark renders the escape invisibly) and
  ``@``/``#`` get a zero-width space, so GitHub builds no link, image, HTML,
  emphasis, mention or reference from a value a mistake left outside a span;
- :func:`no_mentions` is applied to the whole comment at the end.

The structure (headings, lists, tables, links) therefore comes from the base
branch's code alone; tests/test_review_hostile.py checks it with GitHub's own
markdown renderer (cmark-gfm) on generated hostile renders.
"""

from __future__ import annotations

import re
import unicodedata

ZERO_WIDTH_SPACE = "\u200b"
LOOKALIKES = {"`": "\u02cb", "<": "\u02c2", "|": "\u01c0"}
"""What ends a code span (a backtick), starts HTML (``<``) or a table cell (``|``), shown as a look-alike."""
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional controls: they reorder how the text around them reads (CVE-2021-42574, "Trojan Source")."""
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@")
"""Where GitHub sees a mention: an ``@`` at the start or after a character that is not an ASCII word character.

gjtorikian/html-pipeline ``lib/html/pipeline/mention_filter.rb`` (``MENTION_PATTERNS``:
``(?:^|\\W)@((?>[a-z0-9][a-z0-9-]*))``; Ruby's ``\\W`` is ASCII): ``-@bob``, ``.@carol``,
``@@grace`` all mention. A zero-width space after such an ``@`` keeps the text and notifies nobody;
``ops@example.com`` and ``image@sha256:…`` are left as they are.
"""
_MARKUP = re.compile(r"([\\*_\[\]&~])|(?<=[A-Za-z]):(?=/)|(?<=[Ww]{3})\.")
"""What starts markdown in running text: emphasis, links and images, entities (``&#64;`` renders as ``@``),
strikethrough, and the ``:`` of ``https://`` and the ``.`` of ``www.`` that GitHub's autolinks start at."""
_REFERENCE = re.compile(r"([@#])(?=[A-Za-z0-9])")
"""An ``@`` (a mention, or an e-mail address GitHub links) or ``#`` (an issue reference) before a name or number."""
_CODE_SPAN = re.compile(r"`([^`]*)`")
DEFAULT_LIMIT = 200
"""The longest untrusted value a line of the summary quotes whole."""


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char in LOOKALIKES:
        return LOOKALIKES[char]
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp") or char in _BIDI:
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


_PLAIN = re.compile(r"^[^`<|\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]*$")


def inert(text: str, limit: int | None = None) -> str:
    """``text`` with nothing that could end a code span or a line, start HTML or a table cell; cut at ``limit``.

    Idempotent: ``inert(inert(x)) == inert(x)``.
    """
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit} more characters)"
    if _PLAIN.match(text):
        return text
    return "".join(_escape(char) for char in text)


def code(text: str, limit: int | None = DEFAULT_LIMIT) -> str:
    """Untrusted ``text`` as an inline code span (never empty: CommonMark reads two backticks as text)."""
    return f"`{inert(text, limit) or ' '}`"


def fence(lines: list[str], info: str = "diff") -> str:
    """A fenced code block of ``lines`` (each made :func:`inert`, so none can close the fence)."""
    body = "\n".join(inert(line) for line in lines)
    return f"```{info}\n{body}\n```"


def escape_text(text: str) -> str:
    """Plain text with every markdown meaning taken away, shown the same: line breaks as spaces, markup escaped.

    Backslash escapes (which CommonMark renders invisibly) take away emphasis,
    links, images, entities and GitHub's ``https://``/``www.`` autolinks; a
    zero-width space after ``@`` and ``#`` takes away mentions, e-mail links
    (cmark-gfm finds those in the unescaped text) and issue references.
    """
    flat = "".join(" " if char in "\r\n" else _escape(char) for char in text)
    escaped = _MARKUP.sub(lambda m: "\\" + m.group(0), flat)
    return _REFERENCE.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, escaped)


def prose(text: str) -> str:
    """A sentence of the base code's, whose code spans may quote untrusted values: only the spans stay markdown.

    Each ``` `…` ``` pair is kept as a code span of :func:`inert` text; everything
    between them is :func:`escape_text`. A value that was not put in a span (a
    mistake) so still reads as plain text, never as a link, an image or HTML.
    """
    out, end = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(escape_text(text[end:match.start()]))
        out.append(f"`{inert(match.group(1)) or ' '}`")
        end = match.end()
    out.append(escape_text(text[end:]))
    return "".join(out)


def no_mentions(text: str) -> str:
    """Every ``@`` GitHub would read as a mention followed by a zero-width space: shown the same, pinging nobody."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)
