"""The error a user sees for bad configuration: a ``pulumi.RunError``, so no traceback is printed."""

from __future__ import annotations

import pulumi

from ..model.core.errors import Problem, SpecError


class ConfigError(pulumi.RunError):
    """Bad stack configuration or declarations; the message names each config path and its fix."""

    def __init__(self, error: SpecError) -> None:
        self.problems: tuple[Problem, ...] = error.problems
        super().__init__(str(error))


def checked(problems: list[Problem]) -> None:
    """Raise :class:`ConfigError` when validation found problems; components call this before registering."""
    if problems:
        raise ConfigError(SpecError(problems))
