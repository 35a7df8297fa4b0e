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


_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_GO_UNITS = {"ns": Decimal("1e-9"), "us": Decimal("1e-6"), "\u00b5s": Decimal("1e-6"), "\u03bcs": Decimal("1e-6"),
             "ms": Decimal("1e-3"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}


def parse_go_duration(text: str) -> Decimal | None:
    """Seconds in any duration Go's ``time.ParseDuration`` accepts (``0``, ``-1s``, ``1.5h``, ``300ms``), or None.

    Knative's webhook parses its duration annotations with ``time.ParseDuration``
    (knative/serving knative-v1.23.0 ``pkg/apis/autoscaling/annotation_validation.go``,
    ``pkg/apis/serving/metadata_validation.go``), so a bare ``0`` is a valid
    duration there; callers check precision and bounds themselves.
    """
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return Decimal(0)
    if not body:
        return None
    total, pos = Decimal(0), 0
    while pos < len(body):
        match = _GO_DURATION_PART.match(body, pos)
        if not match:
            return None
        total += Decimal(match[1]) * _GO_UNITS[match[2]]
        pos = match.end()
    return -total if text.startswith("-") else total


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
