"""PingSource schedules as Knative Eventing's webhook reads them: robfig/cron v3.0.1, its parser, to the letter.

Knative Eventing ``knative-v1.23.0`` (Go module ``knative.dev/eventing v0.50.0``,
read as vendored in knative/operator ``knative-v1.23.0``) validates a
PingSource's ``schedule`` in ``pkg/apis/sources/v1/ping_validation.go``
(``PingSourceSpec.Validate``) with::

    cron.NewParser(SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor)

after prefixing ``CRON_TZ=<timezone> `` when the source names a timezone, and it
refuses any schedule containing ``@every`` (``validateDescriptor``). The parser
is robfig/cron ``v3.0.1`` (``vendor/modules.txt``); :func:`parse_error` mirrors
its ``parser.go`` (``Parse``, ``normalizeFields``, ``getField``, ``getRange``,
``parseIntOrName``, ``mustParseInt``, ``parseDescriptor``) and ``spec.go``
(``bounds``), including what is easy to miss: an optional leading seconds field,
``?`` as ``*``, names in any case, ``,`` lists whose empty items vanish (``,``
alone is a valid field that never fires), a sign in front of a number
(``strconv.Atoi``), Go's notion of whitespace (``strings.Fields``), and a
``TZ=``/``CRON_TZ=`` prefix inside the schedule itself.

Timezones follow Go's ``time.LoadLocation`` (Go's ``time/zoneinfo.go``): ``""``
and ``UTC`` are UTC, ``Local`` is the webhook's own zone, names with ``..`` or a
leading slash are refused, and any other name must be a zone file of the
webhook's image. That image is ``gcr.io/distroless/static:nonroot``
(knative/eventing ``.ko.yaml``), whose zone files come from Debian's tzdata; the
project checks names against the IANA zone list of the pinned ``tzdata`` Python
package instead (its ``zones`` file), so the verdict does not depend on the
machine. The gap, documented in docs/eventing.md: the ``posix/`` and ``right/``
copies of each zone are refused here, and a zone added to (or removed from) the
IANA database between the two tzdata releases may be judged differently.
"""

from __future__ import annotations

import functools
import importlib.resources
import re

from ..core.units import parse_go_duration

GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                     "\u2028\u2029\u202f\u205f\u3000")
"""The characters Go's ``unicode.IsSpace`` accepts, which ``strings.Fields`` and ``strings.TrimSpace`` split on.

Python's ``str.split()`` also splits on the ASCII separators ``\\x1c``-``\\x1f``, which Go does not."""

BOUNDS = (  # robfig/cron v3.0.1 spec.go: seconds, minutes, hours, dom, months, dow
    (0, 59, None),
    (0, 59, None),
    (0, 23, None),
    (1, 31, None),
    (1, 12, {name: i for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}),
    (0, 6, {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
"""parser.go ``parseDescriptor``: the named schedules (``@every <duration>`` is refused by Knative apart)."""
_ATOI = re.compile(r"^[+-]?[0-9]+$")
_INT64_MAX = 2**63 - 1


@functools.cache
def iana_zones() -> frozenset[str]:
    """The zone names of the pinned ``tzdata`` package (its ``zones`` file: one IANA name a line)."""
    text = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(text.split())


def location_error(name: str) -> str | None:
    """Go ``time.LoadLocation(name)``'s error, or None when it returns a location."""
    if name in ("", "UTC", "Local"):
        return None
    if ".." in name or name[0] in "/\\":
        return "time: invalid location name"
    if name not in iana_zones():
        return f"unknown time zone {name}"
    return None


def go_fields(text: str) -> list[str]:
    """Go ``strings.Fields``: the runs of non-space characters, with Go's set of spaces."""
    fields: list[str] = []
    current: list[str] = []
    for char in text:
        if char in GO_SPACE:
            if current:
                fields.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        fields.append("".join(current))
    return fields


def go_trim_space(text: str) -> str:
    """Go ``strings.TrimSpace``."""
    start, end = 0, len(text)
    while start < end and text[start] in GO_SPACE:
        start += 1
    while end > start and text[end - 1] in GO_SPACE:
        end -= 1
    return text[start:end]


def _go_lower(text: str) -> str:
    """Go ``strings.ToLower``, as far as it can reach a (ASCII) month or weekday name.

    Besides A-Z only two characters lower to ASCII letters under Go's simple case
    mapping: U+212A KELVIN SIGN to ``k`` and U+0130 to ``i``; Python's ``str.lower``
    maps the second to two characters, so it cannot stand in here.
    """
    return "".join(c.lower() if "A" <= c <= "Z" else {"\u212a": "k", "\u0130": "i"}.get(c, c) for c in text)


def _int(expr: str) -> tuple[int | None, str | None]:
    """parser.go ``mustParseInt``: ``strconv.Atoi`` (an optional sign, ASCII digits, int64), then not negative."""
    if not _ATOI.fullmatch(expr):
        return None, f"failed to parse int from {expr}: strconv.Atoi: parsing {expr!r}: invalid syntax"
    num = int(expr) if len(expr) <= 21 else _INT64_MAX + 2  # longer is out of range: no int() of 4,300 digits
    if not -_INT64_MAX - 1 <= num <= _INT64_MAX:
        return None, f"failed to parse int from {expr}: strconv.Atoi: parsing {expr!r}: value out of range"
    if num < 0:
        return None, f"negative number ({num}) not allowed: {expr}"
    return num, None


def _int_or_name(expr: str, names: dict[str, int] | None) -> tuple[int | None, str | None]:
    """parser.go ``parseIntOrName``."""
    if names is not None and _go_lower(expr) in names:
        return names[_go_lower(expr)], None
    return _int(expr)


def _range_error(expr: str, bound: tuple[int, int, dict[str, int] | None]) -> str | None:
    """parser.go ``getRange``: ``number | number "-" number [ "/" number ]``, or ``*``/``?``, within bounds."""
    low_bound, high_bound, names = bound
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    start: int | None
    end: int | None
    step: int | None
    if low_and_high[0] in ("*", "?"):
        start, end = low_bound, high_bound
    else:
        start, error = _int_or_name(low_and_high[0], names)
        if error:
            return error
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end, error = _int_or_name(low_and_high[1], names)
            if error:
                return error
        else:
            return f"too many hyphens: {expr}"
    step = 1
    if len(range_and_step) == 2:
        step, error = _int(range_and_step[1])
        if error:
            return error
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = high_bound
    elif len(range_and_step) > 2:
        return f"too many slashes: {expr}"
    assert start is not None and end is not None and step is not None
    if start < low_bound:
        return f"beginning of range ({start}) below minimum ({low_bound}): {expr}"
    if end > high_bound:
        return f"end of range ({end}) above maximum ({high_bound}): {expr}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    if step == 0:
        return f"step of range should be a positive number: {expr}"
    return None


def _field_error(field: str, bound: tuple[int, int, dict[str, int] | None]) -> str | None:
    """parser.go ``getField``: a comma-separated list of ranges (``strings.FieldsFunc`` drops empty items)."""
    for expr in (part for part in field.split(",") if part):
        error = _range_error(expr, bound)
        if error:
            return error
    return None


def _descriptor_error(descriptor: str) -> str | None:
    """parser.go ``parseDescriptor``."""
    if descriptor in DESCRIPTORS:
        return None
    if descriptor.startswith("@every "):
        if parse_go_duration(descriptor[len("@every "):]) is None:
            return f"failed to parse duration {descriptor}"
        return None
    return f"unrecognized descriptor: {descriptor}"


def parse_error(spec: str) -> str | None:
    """robfig/cron v3.0.1 ``Parser.Parse`` with Knative's options: its error text, or None when it parses.

    An error starting ``provided bad location`` is about the timezone prefix.
    A ``TZ=`` prefix with no space after it makes the Go parser panic (it slices
    to ``strings.Index(spec, " ")``, -1); the webhook then answers nothing and the
    API server refuses the object, so it is an error here too.
    """
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, equals = spec.find(" "), spec.find("=")
        if space < 0:
            return "a TZ= or CRON_TZ= prefix must be followed by a space and the schedule (the parser panics)"
        name = spec[equals + 1:space]
        error = location_error(name)
        if error:
            return f"provided bad location {name}: {error}"
        spec = go_trim_space(spec[space:])
    if spec.startswith("@"):
        return _descriptor_error(spec)
    fields = go_fields(spec)
    if not 5 <= len(fields) <= 6:
        return f"expected 5 to 6 fields, found {len(fields)}: [{' '.join(fields)}]"
    if len(fields) == 5:
        fields = ["0", *fields]  # SecondOptional: the seconds field defaults to 0
    for field, bound in zip(fields, BOUNDS, strict=True):
        error = _field_error(field, bound)
        if error:
            return error
    return None
