"""Durations and Kubernetes resource quantities: parsing for validation, never for rendering.

Renders keep the user's own spelling (``90s`` stays ``90s``) so a review diff
shows what was written; these parsers only let validation compare values.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_QUANTITY = re.compile(r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<suffix>[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10**3),
            "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15),
            "E": Decimal(10**18)}


def parse_duration(text: str) -> int | None:
    """Seconds in a Go-style duration with whole units (``1h``, ``5m``, ``1m30s``), or None if malformed.

    Knative's autoscaling windows and delays are second-granular, so sub-second
    units are refused rather than silently rounded.
    """
    match = _DURATION.match(text)
    if not text or not match:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_quantity(text: str) -> Decimal | None:
    """The value of a Kubernetes quantity (``100m``, ``1.5``, ``128Mi``, ``1e9``), or None if malformed."""
    match = _QUANTITY.match(text)
    if not match:
        return None
    try:
        number = Decimal(match["num"])
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix:
        return number * (Decimal(10) ** int(suffix[1:]))
    return number
