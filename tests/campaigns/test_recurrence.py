"""Recurrence rules in a time zone: 08:00 stays 08:00 local across DST changes."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.errors import DomainError
from campaigns.recurrence import (
    clean_rule,
    clean_timezone,
    describe,
    next_run,
    upcoming,
    weekly_rule,
)

pytestmark = pytest.mark.smoke

ROME = ZoneInfo("Europe/Rome")
MONDAYS_AT_8 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(rule: str, start: datetime, count: int = 3, **kwargs) -> list[datetime]:
    return upcoming(
        rule=rule,
        zone="Europe/Rome",
        starts_at=start,
        after=start,
        count=count,
        **kwargs,
    )


def test_mondays_at_eight_across_the_spring_change():
    """Created before the last Sunday of March (29 March 2026): 07:00 UTC while
    Rome is on CET, 06:00 UTC once it is on CEST; 08:00 local every week."""
    created = datetime(2026, 3, 18, 10, 17, 33, tzinfo=ROME)
    found = runs(MONDAYS_AT_8, created, count=4)
    assert found == [
        utc(2026, 3, 23, 7, 0),
        utc(2026, 3, 30, 6, 0),
        utc(2026, 4, 6, 6, 0),
        utc(2026, 4, 13, 6, 0),
    ]
    assert {run.astimezone(ROME).strftime("%a %H:%M") for run in found} == {"Mon 08:00"}


def test_mondays_at_eight_across_the_autumn_change():
    """Created before the last Sunday of October (25 October 2026)."""
    created = datetime(2026, 10, 14, 9, 0, tzinfo=ROME)
    found = runs(MONDAYS_AT_8, created, count=3)
    assert found == [
        utc(2026, 10, 19, 6, 0),
        utc(2026, 10, 26, 7, 0),
        utc(2026, 11, 2, 7, 0),
    ]
    assert [run.astimezone(ROME).hour for run in found] == [8, 8, 8]


def test_a_skipped_wall_time_moves_forward_by_the_gap():
    """02:30 does not exist on 29 March 2026 in Rome: that run is at 03:30 CEST."""
    found = runs(
        "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", datetime(2026, 3, 27, 12, 0, tzinfo=ROME)
    )
    assert [run.astimezone(ROME).isoformat() for run in found] == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]


def test_a_repeated_wall_time_runs_once_at_its_first_occurrence():
    """02:30 happens twice on 25 October 2026 in Rome: the run is the first (CEST)."""
    found = runs(
        "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", datetime(2026, 10, 23, 12, 0, tzinfo=ROME)
    )
    assert [run.astimezone(ROME).isoformat() for run in found] == [
        "2026-10-24T02:30:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]


def test_hourly_runs_once_per_wall_clock_hour_through_the_autumn_change():
    found = runs(
        "FREQ=HOURLY;BYMINUTE=0", datetime(2026, 10, 25, 1, 30, tzinfo=ROME), 3
    )
    assert [run.astimezone(ROME).strftime("%H:%M%z") for run in found] == [
        "02:00+0200",
        "03:00+0100",
        "04:00+0100",
    ]


def test_runs_are_on_the_minute_and_strictly_after():
    start = datetime(2026, 3, 18, 10, 17, 59, 999, tzinfo=ROME)
    first = next_run(
        rule="FREQ=DAILY", zone="Europe/Rome", starts_at=start, after=start
    )
    assert first == datetime(2026, 3, 19, 10, 17, tzinfo=ROME)
    assert next_run(
        rule="FREQ=DAILY", zone="Europe/Rome", starts_at=start, after=first
    ) == first + timedelta(days=1)


def test_count_until_and_ends_at_end_the_schedule():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=ROME)  # a Monday, after 08:00
    # COUNT counts runs from DTSTART (a start that is no run is not counted).
    assert runs(MONDAYS_AT_8 + ";COUNT=2", start, count=5) == [
        utc(2026, 3, 9, 7, 0),
        utc(2026, 3, 16, 7, 0),
    ]
    later = runs(MONDAYS_AT_8 + ";COUNT=2", start, count=5)[0]
    assert (
        next_run(
            rule=MONDAYS_AT_8 + ";COUNT=2",
            zone="Europe/Rome",
            starts_at=start,
            after=later + timedelta(days=7),
        )
        is None
    )
    # A date UNTIL includes its day; a UTC one is converted to the zone.
    assert runs(MONDAYS_AT_8 + ";UNTIL=20260316", start, count=5)[-1] == utc(
        2026, 3, 16, 7, 0
    )
    assert runs(MONDAYS_AT_8 + ";UNTIL=20260316T065959Z", start, count=5)[-1] == utc(
        2026, 3, 9, 7, 0
    )
    ends = utc(2026, 3, 20)
    assert runs(MONDAYS_AT_8, start, count=5, ends_at=ends) == [
        utc(2026, 3, 9, 7, 0),
        utc(2026, 3, 16, 7, 0),
    ]


def test_a_rule_that_never_matches_is_over_quickly():
    begun = clock.monotonic()
    found = next_run(
        rule="FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
        zone="Europe/Rome",
        starts_at=utc(2026, 1, 1),
        after=utc(2026, 1, 1),
    )
    assert found is None
    assert clock.monotonic() - begun < 2  # dateutil alone iterates to year 9999


def test_rare_rules_are_found():
    """Monday 29 February: the next one after 2026 is in 2044."""
    found = next_run(
        rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=8;BYMINUTE=0",
        zone="Europe/Rome",
        starts_at=utc(2026, 1, 1),
        after=utc(2026, 1, 1),
    )
    assert found == utc(2044, 2, 29, 7, 0)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0", MONDAYS_AT_8),
        ("rrule:freq=weekly;byday=mo;byhour=8;byminute=0;", MONDAYS_AT_8),
        ("FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9", "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9"),
        ("FREQ=HOURLY;INTERVAL=2;BYMINUTE=15", "FREQ=HOURLY;INTERVAL=2;BYMINUTE=15"),
    ],
)
def test_rules_are_kept_in_canonical_spelling(text, canonical):
    assert clean_rule(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give a recurrence rule"),
        ("FREQ=MINUTELY", "at most once an hour"),
        ("FREQ=MINUTELY;COUNT=5", "at most once an hour"),
        ("FREQ=SECONDLY", "at most once an hour"),
        ("FREQ=DAILY;BYHOUR=8;BYMINUTE=0,30", "One BYMINUTE value"),
        ("FREQ=DAILY;BYSECOND=0", "Unsupported rule part: BYSECOND"),
        ("BYDAY=MO", "FREQ must be one of"),
        ("FREQ=WEEKLY;BYDAY=XX", "Not a valid RFC 5545 rule"),
        ("FREQ=WEEKLY;BYHOUR=25", "Not a valid RFC 5545 rule"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "COUNT or UNTIL"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "UNTIL must look like"),
        ("FREQ=WEEKLY;UNTIL=20270231", "Not a valid RFC 5545 rule"),
        ("FREQ=WEEKLY;FREQ=DAILY", "may appear once"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "one RRULE only"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(text, message):
    with pytest.raises(DomainError, match=message) as refused:
        clean_rule(text)
    assert list(refused.value.data) == ["rrule"]
    assert refused.value.status_code == 400


def test_time_zones_are_iana_names():
    assert clean_timezone(" Europe/Rome ") == "Europe/Rome"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "CEST"):
        with pytest.raises(DomainError, match="Unknown time zone") as refused:
            clean_timezone(bad)
        assert list(refused.value.data) == ["timezone"]


def test_the_picker_builds_and_describes_weekly_rules():
    rule = weekly_rule(days=["TH", "MO"], at=time(8, 0))
    assert rule == MONDAYS_AT_8.replace("BYDAY=MO", "BYDAY=MO,TH")
    assert describe(rule) == "Every Monday and Thursday at 08:00"
    assert describe(
        weekly_rule(days=["MO", "TU", "WE", "TH", "FR", "SA", "SU"], at=time(7, 5))
    ) == ("Every day at 07:05")
    assert describe("FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9") == ""
