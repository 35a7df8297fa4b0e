"""ISO-8601 periods as Knative Eventing's delivery webhook reads them: rickb777/date/period v1.13.0, to the letter.

Knative Eventing ``knative-v1.23.0`` (``knative.dev/eventing v0.50.0``,
``pkg/apis/duck/v1/delivery_types.go``, ``DeliverySpec.Validate``) parses a
delivery's ``timeout``, ``backoffDelay`` and ``retryAfterMax`` with
``period.Parse`` from github.com/rickb777/date ``v1.13.0`` (vendored in
knative/operator ``knative-v1.23.0``). That parser is not ISO-8601's grammar
as a Python library reads it (``isodate`` refuses ``PT1,5S`` in places and
accepts forms this does not), so :func:`parse` mirrors ``period/parse.go``
(``ParseWithNormalise``, ``parseField``, ``parseDecimalFixedPoint``) and
``period/period.go`` (``normalise64``, ``toPeriod``, ``IsZero``,
``IsNegative``) byte for byte: fields are fixed-point with one decimal (a
second decimal digit is silently dropped, so ``PT0.05S`` is zero), each marker
is found by its *first* occurrence, signs are allowed inside a field
(``PT-5S``), and the six fields are stored as ``int16``, wrapping as Go does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DAYS_PER_MONTH_E6 = 30436875
_ONE_E6 = 1000000
_PARSE_INT = re.compile(rb"[+-]?[0-9]+")


def _i64(value: int) -> int:
    """Go int64 arithmetic wraps around."""
    return (value + 2**63) % 2**64 - 2**63


def _i16(value: int) -> int:
    """Go ``int16(x)`` keeps the low 16 bits."""
    return (value + 2**15) % 2**16 - 2**15


def _quo(a: int, b: int) -> int:
    """Go integer division truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _rem(a: int, b: int) -> int:
    """Go ``%`` has the sign of the dividend."""
    return a - b * _quo(a, b)


@dataclass(frozen=True)
class IsoPeriod:
    """A parsed period: six ``int16`` fields, each tenths of its unit, as ``period.Period`` stores them."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def is_zero(self) -> bool:
        """period.go ``IsZero``."""
        return self == IsoPeriod()

    def is_negative(self) -> bool:
        """period.go ``IsNegative``: any field below zero."""
        return min(self.years, self.months, self.days, self.hours, self.minutes, self.seconds) < 0


def _fixed_point(text: bytes) -> int | None:
    """parse.go ``parseDecimalFixedPoint``: tenths, keeping one decimal digit; None where ParseInt fails."""
    dec = text.find(b".")
    if dec < 0:
        dec = text.find(b",")
    if dec >= 0:
        text = text[:dec] + text[dec + 1:dec + 2] if len(text) - dec > 1 else text[:dec] + text[dec + 1:] + b"0"
    else:
        text += b"0"
    if not _PARSE_INT.fullmatch(text) or len(text) > 21:
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _field(state: list[Any], mark: bytes) -> int | None:
    """parse.go ``parseField``: the number before the first ``mark``; ``state`` is [remaining, ok]."""
    at = state[0].find(mark)
    if at <= 0:
        return 0
    value = _fixed_point(state[0][:at])
    if value is None:
        return None
    state[0], state[1] = state[0][at + 1:], True
    return value


def _parse_fields(body: bytes) -> tuple[list[int], bool] | str:
    """The six fields in tenths (years .. seconds) and whether one was given, or the error's marker."""
    state: list[Any] = [body, False]
    time = {b"H": 0, b"M": 0, b"S": 0}
    t = body.find(b"T")
    if t >= 0:
        state[0] = body[t + 1:]
        for mark in time:
            value = _field(state, mark)
            if value is None:
                return f"expected a number before the '{mark.decode()}' marker"
            time[mark] = value
        if state[0]:
            return f"unexpected remaining components {state[0].decode('utf-8', 'replace')}"
        state[0] = body[:t]
    date = []
    for mark in (b"Y", b"M", b"W", b"D"):
        value = _field(state, mark)
        if value is None:
            return f"expected a number before the '{mark.decode()}' marker"
        date.append(value)
    if state[0]:
        return f"unexpected remaining components {state[0].decode('utf-8', 'replace')}"
    years, months, weeks, days = date
    return [years, months, _i64(weeks * 7 + days), *time.values()], state[1]


def _normalise(fields: list[int], neg: bool) -> IsoPeriod:
    """period.go ``normalise64(true)`` (abs, rippleUp, moveFractionToRight), then ``toPeriod``."""
    y, mo, d, h, mi, s = fields
    if not neg and min(fields) < 0:  # abs(): a negative field makes the whole period negative
        y, mo, d, h, mi, s = (_i64(abs(v)) for v in fields)
        neg = True
    mi, s = _i64(mi + _quo(s, 600) * 10), _rem(s, 600)
    h, mi = _i64(h + _quo(mi, 600) * 10), _rem(mi, 600)
    if h > 32204:
        d, h = _i64(d + _quo(h, 240) * 10), _rem(h, 240)
    if d > 32760:
        d_e6 = _i64(d * _ONE_E6)
        mo, d = _i64(mo + _quo(d_e6, _DAYS_PER_MONTH_E6)), _quo(_rem(d_e6, _DAYS_PER_MONTH_E6), _ONE_E6)
    y, mo = _i64(y + _quo(mo, 120) * 10), _rem(mo, 120)
    if _rem(y, 10) and (mo or d or h or mi or s):
        mo, y = _i64(mo + _rem(y, 10) * 12), _quo(y, 10) * 10
    if _rem(mo, 10) and (d or h or mi or s):
        d, mo = _i64(d + _quo(_i64(_rem(mo, 10) * _DAYS_PER_MONTH_E6), _ONE_E6)), _quo(mo, 10) * 10
    if _rem(d, 10) and (h or mi or s):
        h, d = _i64(h + _rem(d, 10) * 24), _quo(d, 10) * 10
    if _rem(h, 10) and (mi or s):
        mi, h = _i64(mi + _rem(h, 10) * 60), _quo(h, 10) * 10
    if _rem(mi, 10) and s:
        s, mi = _i64(s + _rem(mi, 10) * 60), _quo(mi, 10) * 10
    sign = -1 if neg else 1
    return IsoPeriod(*(_i16(sign * v) for v in (y, mo, d, h, mi, s)))


def parse(text: str) -> IsoPeriod | str:
    """period.go ``Parse``: the period, or the reason it does not parse (a string).

    A lone sign (``-``, ``+``) makes the Go parser index past the end of the
    string and panic; the webhook then answers nothing and the object is refused.
    """
    if text == "":
        return "cannot parse a blank string as a period"
    if text == "P0":
        return IsoPeriod()
    raw = text.encode("utf-8", "surrogatepass")
    neg = raw[:1] == b"-"
    body = raw[1:] if raw[:1] in (b"-", b"+") else raw
    if not body:
        return "a sign alone is not a period (the parser panics)"
    if body[:1] != b"P":
        return f"expected 'P' period mark at the start: {text}"
    parsed = _parse_fields(body[1:])
    if isinstance(parsed, str):
        return f"{parsed}: {text}"
    fields, ok = parsed
    if not ok:
        return f"expected 'Y', 'M', 'W', 'D', 'H', 'M', or 'S' marker: {text}"
    return _normalise(fields, neg)
