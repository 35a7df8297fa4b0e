"""Proof that a spec already passed validation, so each service is checked once per run (issue 9).

:func:`~knative_platform.model.platform.platform.build_platform_spec` validates the whole stack;
``Platform`` and ``KnativeApp`` must still validate what they are given, because
an importer may build their arguments by hand in Python. Without a proof a
stack's services were checked three times, the largest share of a large stack's
run. Validation records its success here and the components ask first.

The proof is the object itself: a spec or service changed with
``dataclasses.replace`` is a new object and is checked again. Records are weak,
so one never outlives its object (an ``id`` is reused only after its object is
gone, and the record is gone with it). Specs are frozen; a proof assumes nobody
mutates the plain dicts inside one (a service's ``env``) after validating it.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any

from ..core.errors import Problem
from .service import Service, service_problems

_proven: weakref.WeakValueDictionary[tuple[int, Hashable], Any] = weakref.WeakValueDictionary()
"""``(id(value), context) -> value`` for each value validation found nothing wrong in."""


DECODED = "decoded"
"""The context of a service's proof that the decoder made it: every field has its declared type and bounds
(:meth:`~knative_platform.model.core.decode.Decoder.decode` checks both), so validation need not type-check it again."""


def prove(value: Any, context: Hashable = None) -> None:
    """Record that ``value`` passed validation (under ``context``: what else the verdict depended on)."""
    _proven[(id(value), context)] = value


def proven(value: Any, context: Hashable = None) -> bool:
    """Whether ``value`` itself passed validation under ``context``."""
    return _proven.get((id(value), context)) is value


def service_problems_once(service: Service, path: str, max_timeout_seconds: int) -> list[Problem]:
    """:func:`~knative_platform.model.service.service.service_problems`, or nothing for a service already found valid.

    The verdict depends on the platform's maximum revision timeout, so the proof is per timeout.
    """
    if proven(service, max_timeout_seconds):
        return []
    problems = service_problems(service, path, max_timeout_seconds)
    if not problems:
        prove(service, max_timeout_seconds)
    return problems
