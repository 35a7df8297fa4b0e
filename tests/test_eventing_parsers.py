"""The schedule and duration parsers give the Go libraries' verdicts: robfig/cron v3.0.1 and rickb777/date v1.13.0.

Cases ported from the libraries' own tests at those tags (the versions Eventing
``knative-v1.23.0`` vendors): robfig/cron ``parser_test.go`` (``TestRange``,
``TestParseScheduleErrors``, ``TestParseSchedule``) and rickb777/date
``period/period_test.go`` (``TestParseErrors``, ``TestParsePeriodWithNormalise``).
"""

from __future__ import annotations

import pytest

from knative_platform.model.eventing import cron, iso_period
from knative_platform.model.eventing.iso_period import IsoPeriod

# parser_test.go TestRange: getRange errors (the bounds of the schedule fields stand in for the test's own).
RANGE_ERRORS = [
    ("5--5 * * * *", "too many hyphens"),
    ("* * * jan-x *", "failed to parse int from"),
    ("* * 2-x * *", "failed to parse int from"),
    ("*/-12 * * * *", "negative number"),
    ("*//2 * * * *", "too many slashes"),
    ("* * 0 * *", "below minimum"),
    ("60 * * * *", "above maximum"),
    ("5-3 * * * *", "beyond end of range"),
    ("*/0 * * * *", "should be a positive number"),
]
# parser_test.go TestParseScheduleErrors (with Knative's options: seconds optional, descriptors on).
SCHEDULE_ERRORS = [
    ("* 5 j * * *", "failed to parse int from"),
    ("@every Xm", "failed to parse duration"),
    ("@unrecognized", "unrecognized descriptor"),
    ("* * * *", "expected 5 to 6 fields"),
    ("", "empty spec string"),
]
VALID = [
    "5 * * * *", "5 4 * * *", "0 5 4 * * *", "*/5 * * * * ?", "CRON_TZ=UTC  5 * * * *", "TZ=UTC  5 * * * *",
    "CRON_TZ=Asia/Tokyo 5 * * * *", "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly",
    "@annually", "CRON_TZ=UTC @daily", "@every 5m", "* * * JAN-DEC SUN-SAT", "* * * Jan mon,fri",
    "1,5-7/2,3 * * * *", ", * * * *", "+5 * * * *", "0 0 1 1 0", "59 23 31 12 6", "*/59 * * * *",
    "0\t3\u3000*\xa0*\x85*",
]


@pytest.mark.parametrize(("spec", "error"), RANGE_ERRORS + SCHEDULE_ERRORS)
def test_what_robfig_cron_refuses_is_refused_with_its_reason(spec, error):
    assert error in (cron.parse_error(spec) or "")


@pytest.mark.parametrize("spec", VALID)
def test_what_robfig_cron_accepts_is_accepted(spec):
    assert cron.parse_error(spec) is None


@pytest.mark.parametrize("spec", [
    "7 * * * * * *",           # seven fields
    "* * * * 7",               # Sunday is 0 only
    "* * 32 * *",
    "* * * 13 *",
    "* 24 * * *",
    "60 * * * * *",            # the seconds field too
    "\x1c5 * * * *",           # not a space to Go: one field is "\x1c5"
    "1.5 * * * *",
    "99999999999999999999 * * * *",
    "TZ=UTC",                  # the Go parser panics on a prefix without a space
    "CRON_TZ=../etc/passwd * * * * *",
    "CRON_TZ=/etc/localtime * * * * *",
])
def test_what_robfig_cron_refuses_beyond_its_tests(spec):
    assert cron.parse_error(spec) is not None


def test_names_are_lowered_as_go_lowers_them():
    # U+0130 lowers to "i" under Go's simple case mapping (unicode.ToLower); Python's str.lower gives two runes.
    assert cron.parse_error("* * * * FR\u0130") is None
    assert cron.parse_error("* * * * FRX") is not None


@pytest.mark.parametrize(("name", "error"), [
    ("", None), ("UTC", None), ("Local", None), ("Europe/Paris", None), ("America/Ciudad_Juarez", None),
    ("Knative/Land", "unknown time zone Knative/Land"), ("europe/paris", "unknown time zone europe/paris"),
    ("Europe/../Paris", "time: invalid location name"), ("/Europe/Paris", "time: invalid location name"),
    ("posix/Europe/Paris", "unknown time zone posix/Europe/Paris"),  # stricter: see cron.py
])
def test_timezones_as_go_loads_them(name, error):
    assert cron.location_error(name) == error


def test_go_fields_splits_on_gos_spaces_only():
    assert cron.go_fields(" a\u2003b\x1cc ") == ["a", "b\x1cc"]
    assert cron.go_trim_space("\u3000 x \x85") == "x"


# period_test.go TestParseErrors, verbatim.
PERIOD_ERRORS = [
    ("", "cannot parse a blank string as a period"),
    ("XY", "expected 'P' period mark at the start: XY"),
    ("PxY", "expected a number before the 'Y' marker: PxY"),
    ("PxW", "expected a number before the 'W' marker: PxW"),
    ("PxD", "expected a number before the 'D' marker: PxD"),
    ("PTxH", "expected a number before the 'H' marker: PTxH"),
    ("PTxS", "expected a number before the 'S' marker: PTxS"),
    ("P1HT1M", "unexpected remaining components 1H: P1HT1M"),
    ("PT1Y", "unexpected remaining components 1Y: PT1Y"),
    ("P1S", "unexpected remaining components 1S: P1S"),
]
# period_test.go TestParsePeriodWithNormalise, verbatim (fields in tenths).
PERIODS = [
    ("P0", ()), ("P0Y", ()), ("P0M", ()), ("P0W", ()), ("P0D", ()), ("PT0H", ()), ("PT0M", ()), ("PT0S", ()),
    ("P3Y", (30,)), ("P6M", (0, 60)), ("P5W", (0, 0, 350)), ("P4D", (0, 0, 40)), ("PT12H", (0, 0, 0, 120)),
    ("PT30M", (0, 0, 0, 0, 300)), ("PT25S", (0, 0, 0, 0, 0, 250)), ("PT30M67.6S", (0, 0, 0, 0, 310, 76)),
    ("P3Y6M5W4DT12H40M5S", (30, 60, 390, 120, 400, 50)), ("+P3Y6M5W4DT12H40M5S", (30, 60, 390, 120, 400, 50)),
    ("-P3Y6M5W4DT12H40M5S", (-30, -60, -390, -120, -400, -50)), ("P2.Y", (20,)), ("P2.5Y", (25,)),
    ("P2.15Y", (21,)), ("P2.125Y", (21,)), ("P1Y2.M", (10, 20)), ("P1Y2.5M", (10, 25)), ("P1Y2.15M", (10, 21)),
    ("P1Y2.125M", (10, 21)), ("P3276.7Y", (32767,)), ("-P3276.7Y", (-32767,)),
    ("PT11592000S", (0, 0, 0, 32200)), ("-PT11592000S", (0, 0, 0, -32200)),
    ("PT11595599S", (0, 0, 0, 32200, 590, 590)), ("PT283046400S", (0, 0, 32760)),
    ("-PT283046400S", (0, 0, -32760)), ("PT283132799S", (0, 0, 32760, 230, 590, 590)),
    ("P39312M", (32760,)), ("-P39312M", (-32760,)),
]


@pytest.mark.parametrize(("text", "error"), PERIOD_ERRORS)
def test_what_period_parse_refuses_is_refused_with_its_reason(text, error):
    assert iso_period.parse(text) == error


@pytest.mark.parametrize(("text", "fields"), PERIODS)
def test_periods_normalise_as_rickb777_date_does(text, fields):
    assert iso_period.parse(text) == IsoPeriod(*fields)


@pytest.mark.parametrize(("text", "zero", "negative"), [
    ("PT0.05S", True, False),      # one decimal is kept: the second digit is dropped
    ("PT-5S", False, True),        # a sign inside a field is strconv.ParseInt's
    ("-PT-5S", False, False),      # ... and minus a negative field is positive
    ("P1,5D", False, False),       # a comma is a decimal point
    ("PT6553.6S", False, False),
])
def test_period_corners(text, zero, negative):
    parsed = iso_period.parse(text)
    assert isinstance(parsed, IsoPeriod)
    assert (parsed.is_zero(), parsed.is_negative()) == (zero, negative)


@pytest.mark.parametrize("text", ["-", "+", "P", "PT", "P1", "PT1", "PTH", "P1S2M", "PT1S2M", "P_1D", "PT1e3S",
                                  "P" + "9" * 30 + "D"])
def test_periods_go_refuses(text):
    assert isinstance(iso_period.parse(text), str)
