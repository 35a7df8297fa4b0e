"""Configuration problems, collected with the config path they belong to.

Validation never stops at the first mistake: a user fixing a stack file wants
every problem in one run, each naming the exact key and the fix. This module
is pure Python so that the spec layer stays importable without Pulumi; the
Pulumi shell (``knative_platform.runtime.config``) turns a :class:`SpecError` into a
``pulumi.RunError`` so the CLI prints it without a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHOWN_CHARACTERS = 256
"""The longest value a message shows in full (a DNS name has at most 253 characters)."""
HEAD_CHARACTERS = 60
"""How much of a longer value a message shows, followed by its length."""
ROOT_PATH = "(stack config)"
"""The path of a problem with the configuration as a whole (a Python object with no config key, say)."""
_QUOTED = re.compile(r"'([^'\n]{" + str(SHOWN_CHARACTERS + 1) + r",})'")
_LONG_WORD = re.compile(r"(?<![\w'])([^\s',;]{" + str(SHOWN_CHARACTERS + 1) + r",})")


def shorten(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` itself when short, else its start and its length: ``xxxx… (20000 characters)`` stays readable."""
    if len(text) <= limit:
        return text
    return f"{text[:HEAD_CHARACTERS]}… ({len(text)} characters)"


def show(value: str, limit: int = SHOWN_CHARACTERS) -> str:
    """A user's string quoted for a message, shortened past ``limit`` characters: ``'xxxx…' (20000 characters)``."""
    if len(value) <= limit:
        return f"'{value}'"
    return f"'{value[:HEAD_CHARACTERS]}…' ({len(value)} characters)"


EXCERPT_WHOLE = 16
"""The longest value a refusal of the value itself repeats whole (``!!int abc``)."""
EXCERPT_HEAD = 4


def excerpt(value: str) -> str:
    """A value a refusal names but need not repeat: ``'abc'`` when short, else ``'ya29…' (183 characters)``.

    For refusals of a value's form (``!!int 'zzz…'``), where the value may be
    anything a user pasted, a credential included: a short value is shown
    whole, a longer one by its first characters (which a token shares with
    every other token of its kind) and its length, never its secret part.
    Control characters are shown escaped, so a refusal stays one line.
    """
    shown = value if len(value) <= EXCERPT_WHOLE else value[:EXCERPT_HEAD]
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in _safe(shown))
    return f"'{printable}'" if shown is value else f"'{printable}…' ({len(value):,} characters)"


def _safe(text: str) -> str:
    """Lone surrogates cannot be printed or encoded: show them as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if re.search("[\ud800-\udfff]", text) else text


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake: where it is (a config path such as ``services.api.traffic``) and what to do.

    Whatever the caller wrote, a problem reads well: an empty path becomes
    :data:`ROOT_PATH`, and a value (quoted or not) or path segment longer
    than :data:`SHOWN_CHARACTERS` is cut to its start and its length.
    """

    path: str
    message: str

    def __post_init__(self) -> None:
        path = ".".join(shorten(part) for part in _safe(self.path).split(".")) or ROOT_PATH
        message = _QUOTED.sub(lambda m: show(m.group(1)), _safe(self.message))
        message = _LONG_WORD.sub(lambda m: shorten(m.group(1)), message)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "message", message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(ValueError):
    """Raised when a spec is invalid; carries every problem found, in a stable order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(dict.fromkeys(problems))
        if not self.problems:
            raise ValueError("SpecError needs at least one problem")
        super().__init__(format_problems(self.problems))


def format_problems(problems: Sequence[Problem]) -> str:
    """One problem reads as a single line; several as a numbered list."""
    if len(problems) == 1:
        return str(problems[0])
    lines = [f"{len(problems)} problems in the configuration:"]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


def raise_if(problems: Sequence[Problem]) -> None:
    """Raise a :class:`SpecError` when ``problems`` is not empty."""
    if problems:
        raise SpecError(problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix when ``word`` is close to one of ``choices``."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if not close:
        # Case-only and separator-only slips (min_scale, MINSCALE) are the most common typos.
        folded = {c.lower().replace("_", "").replace("-", ""): c for c in choices}
        hit = folded.get(word.lower().replace("_", "").replace("-", ""))
        close = [hit] if hit else []
    return f" (did you mean '{close[0]}'?)" if close else ""


def join_path(base: str, key: str | int) -> str:
    """``services.api`` + ``traffic`` -> ``services.api.traffic``; list indexes as ``[i]``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key
