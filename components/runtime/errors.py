"""The error a user sees for bad configuration: a ``pulumi.RunError``, so no traceback is printed."""

from __future__ import annotations

from typing import TypeVar

import pulumi

from ..model.core.errors import Problem, SpecError

T = TypeVar("T")


class ConfigError(pulumi.RunError):
    """Bad stack configuration or declarations; the message names each config path and its fix."""

    def __init__(self, error: SpecError) -> None:
        self.problems: tuple[Problem, ...] = error.problems
        super().__init__(str(error))


def checked(problems: list[Problem]) -> None:
    """Raise :class:`ConfigError` when validation found problems; components call this before registering."""
    if problems:
        raise ConfigError(SpecError(problems))


def checked_result(result: tuple[T, list[Problem]]) -> T:
    """The value of a pure ``(value, problems)`` result, or :class:`ConfigError` when it found problems."""
    value, problems = result
    checked(problems)
    return value
