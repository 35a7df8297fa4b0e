"""Durations and Kubernetes resource quantities: parsing for validation, never for rendering.

Renders keep the user's own spelling (``90s`` stays ``90s``) so a review diff
shows what was written; these parsers only let validation compare values.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

_DURATION = re.compile(r"^(?:(\d{1,20})h)?(?:(\d{1,20})m)?(?:(\d{1,20})s)?$")
_QUANTITY = re.compile(r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<suffix>[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$")
MAX_DURATION_SECONDS = (2**63 - 1) // 10**9
"""Go's ``time.Duration`` is int64 nanoseconds (about 292 years); ``time.ParseDuration`` refuses longer ones."""
MAX_QUANTITY = 2**63 - 1
"""No Kubernetes quantity may exceed 2^63-1 in magnitude (k8s.io/apimachinery pkg/api/resource/quantity.go,
the ``Quantity`` doc comment); larger ones are capped by the API server, so they are refused here."""
MAX_QUANTITY_TEXT = 64
"""Characters of a quantity; the longest meaningful one (2^63-1 with three decimals and a suffix) has 27."""
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10**3),
            "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15),
            "E": Decimal(10**18)}


def parse_duration(text: str) -> int | None:
    """Seconds in a Go-style duration with whole units (``1h``, ``5m``, ``1m30s``), or None if malformed.

    Knative's autoscaling windows and delays are second-granular, so sub-second
    units are refused rather than silently rounded.
    """
    if text == "0":  # Go's time.ParseDuration: "0" is the one number that needs no unit
        return 0
    match = _DURATION.match(text)
    if not text or not match:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    return total if total <= MAX_DURATION_SECONDS else None


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
        if total > MAX_DURATION_SECONDS:  # Go's time.ParseDuration: "invalid duration" past int64 nanoseconds
            return None
    return -total if text.startswith("-") else total


@functools.lru_cache(maxsize=1024)
def parse_quantity(text: str) -> Decimal | None:
    """The value of a Kubernetes quantity (``100m``, ``1.5``, ``128Mi``, ``1e9``), or None if malformed.

    See :func:`quantity_problem` for why a text is refused. Cached: a large stack repeats the same few quantities
    thousands of times (issue 23), and a Decimal is immutable.
    """
    return None if quantity_problem(text) else _quantity(text)


def quantity_problem(text: str) -> str | None:
    """Why ``text`` is not a Kubernetes quantity (with the limit it breaks), or None."""
    example = "write it like 250m, 1, 512Mi or 1Gi"
    if len(text) > MAX_QUANTITY_TEXT:
        return f"is {len(text)} characters, not a Kubernetes quantity (at most {MAX_QUANTITY_TEXT}); {example}"
    match = _QUANTITY.match(text)
    if not match:
        return f"'{text}' is not a Kubernetes quantity; {example}"
    value = _quantity(text)
    if value is None or abs(value) > MAX_QUANTITY:
        return f"'{text}' is larger than Kubernetes' largest quantity (2^63-1); {example}"
    if value < 0:
        return f"'{text}' is negative; a resource quantity is at least 0"
    return None


def _quantity(text: str) -> Decimal | None:
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
        exponent = int(suffix[1:])  # at most MAX_QUANTITY_TEXT digits, far below int()'s limit
        if number and number.adjusted() + exponent > 19:  # past 2^63 (19 digits): no need to compute it
            return None
        if exponent < -40:  # below a nano: Kubernetes rounds it up to 1n; the exact value does not matter
            return Decimal(0) if not number else Decimal("1e-40")
        return number * (Decimal(10) ** exponent)
    return number
