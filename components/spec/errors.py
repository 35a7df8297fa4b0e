"""Configuration problems, collected with the config path they belong to.

Validation never stops at the first mistake: a user fixing a stack file wants
every problem in one run, each naming the exact key and the fix. This module
is pure Python so that the spec layer stays importable without Pulumi; the
Pulumi shell (``components.config``) turns a :class:`SpecError` into a
``pulumi.RunError`` so the CLI prints it without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake: where it is (a config path such as ``services.api.traffic``) and what to do."""

    path: str
    message: str

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
