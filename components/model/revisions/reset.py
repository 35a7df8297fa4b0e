"""The way out of an unreadable revision record: a stack setting that forgets the records of the services it names.

``knative-platform:resetRevisionHistory`` lists service names (``*``: every
service); the update treats each as new and records it afresh
(:mod:`knative_platform.model.revisions.revision_record` reads the records,
:mod:`knative_platform.model.revisions.revisions` plans against them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.decode import describe
from ..core.errors import Problem, did_you_mean, join_path

RESET_KEY = "resetRevisionHistory"
"""The stack setting (``knative-platform:resetRevisionHistory``) naming services whose record an update forgets."""


def reset_fix(service: str) -> str:
    """How to deploy past an unreadable record, and what it costs."""
    return (f"it was edited or corrupted. To deploy anyway, forget it: add {service} to the stack setting "
            f"knative-platform:{RESET_KEY} (pulumi config set --path 'knative-platform:{RESET_KEY}[0]' {service}). "
            f"The update then treats {service} as new: traffic may name only the revision it deploys (other "
            f"targets go to it, with a warning), and a template changed under an existing revision name is left "
            f"to Knative to refuse. Remove the setting after that update")


def reset_problems(value: Any, services: Sequence[str] | None, path: str) -> list[Problem]:
    """What is wrong with a :data:`RESET_KEY` setting: it lists service names (``*``: every service).

    ``services`` are the stack's services when the program knows them all (a
    platform stack): a name that is none of them is refused, with the closest.
    """
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(isinstance(v, str) for v in value):
        return [Problem(path, f"expected a list of service names (or ['*'] for every service), got {describe(value)}")]
    problems = []
    for i, name in enumerate(value):
        if name != "*" and services is not None and name not in services:
            problems.append(Problem(join_path(path, i), f"no service is called {name!r}{did_you_mean(name, services)}; "
                                                        "list the services whose recorded revisions to forget"))
    return problems
