"""RFC 5545 recurrence rules in an IANA time zone: validation and the next run.

A rule is iterated over naive local wall-clock times, starting from the schedule's
start in its own zone; each candidate is then placed in the zone with zoneinfo and
stored in UTC. So `BYHOUR=8` stays 08:00 local across daylight-saving changes:
07:00 UTC in Rome's winter, 06:00 UTC in its summer (schedulers that add intervals
in UTC drift by an hour or fire twice: celery #1604). A wall time the clocks skip
(02:30 on the last Sunday of March) has zoneinfo's fold=0 reading, the offset before
the change, so it moves forward by the gap (03:30); a time that happens twice (02:30
on the last Sunday of October) takes its first occurrence.

Rules are checked to run at most once an hour (FREQ no finer than HOURLY, a single
BYMINUTE, no BYSECOND): a 30-second ticker claims them, and each run is a campaign.
They are also kept to what dateutil iterates without crashing (IndexError,
OverflowError): at most `MAX_LENGTH` ASCII characters, BYDAY positions within a
month or a year as RFC 5545 has them, and an UNTIL in 1900-2199 like every date
the API takes (`accounts.inputs`), which no 400-year shift below pushes past 9999.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from django.utils.formats import time_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.digits import ascii_digits
from accounts.errors import DomainError
from accounts.inputs import EARLIEST, LATEST
from campaigns.error_codes import CampaignErrorCode

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
PARTS = frozenset(
    {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYMONTH",
        "BYWEEKNO",
        "BYYEARDAY",
        "BYMONTHDAY",
        "BYDAY",
        "BYHOUR",
        "BYMINUTE",
        "BYSETPOS",
        "WKST",
    }
)
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # RFC 5545 names, Monday first
# Inside a sentence ("Every Monday at 08:00"): Italian writes them in lower case.
DAY_NAMES = {
    "MO": pgettext_lazy("in a sentence", "Monday"),
    "TU": pgettext_lazy("in a sentence", "Tuesday"),
    "WE": pgettext_lazy("in a sentence", "Wednesday"),
    "TH": pgettext_lazy("in a sentence", "Thursday"),
    "FR": pgettext_lazy("in a sentence", "Friday"),
    "SA": pgettext_lazy("in a sentence", "Saturday"),
    "SU": pgettext_lazy("in a sentence", "Sunday"),
}
# The Gregorian calendar repeats every 400 years (146097 days, exactly 20871 weeks),
# so moving a rule and the search by 400-year steps changes no occurrence. The
# search runs near year 9999, where dateutil's iteration of a rule that never
# matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) ends within a few hundred years
# instead of running for seconds; nothing more than HORIZON_YEARS away is found.
CYCLE_YEARS = 400
HORIZON_YEARS = 200
MAX_LENGTH = 500
_UNTIL = re.compile(r"^([0-9]{8})(T[0-9]{6})?(Z)?$")
# A BYDAY position such as -1FR; dateutil indexes a list with it (IndexError).
_POSITION = re.compile(r"^[+-]?([0-9]+)[A-Z]{2}$")
WEEKS_IN_MONTH = 5
WEEKS_IN_YEAR = 53
# Where `clean_rule` iterates a rule once: some errors only show while iterating.
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)


def _refuse(message: str) -> DomainError:
    return DomainError({"rrule": message}, code=CampaignErrorCode.INVALID_RRULE)


def _parts(rule: str) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, _sep, value in (p.partition("=") for p in rule.split(";"))
    ]


def clean_rule(text: str) -> str:
    """The rule in canonical spelling (upper case, no `RRULE:`), or a 400 refusal.

    Only one RRULE line is taken: DTSTART is the schedule's start and its zone is
    the schedule's, so neither may be smuggled into the text.
    """
    rule = (text or "").strip().upper()
    rule = rule.removeprefix("RRULE:").strip().strip(";")
    if not rule:
        raise _refuse(_("Give a recurrence rule, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=8."))
    if len(rule) > MAX_LENGTH:
        raise _refuse(
            _("A rule is at most %(count)d characters long.") % {"count": MAX_LENGTH}
        )
    if not rule.isascii():
        raise _refuse(_("Write the rule in ASCII letters and digits only."))
    if any(ch in rule for ch in "\r\n:"):
        raise _refuse(_("Give one RRULE only, without DTSTART or other lines."))
    parts = _parts(rule)
    names = [name for name, _value in parts]
    if len(set(names)) != len(names):
        raise _refuse(_("Each part of the rule may appear once."))
    unknown = sorted(set(names) - PARTS)
    if unknown:
        raise _refuse(
            _("Unsupported rule part: %(parts)s.") % {"parts": ", ".join(unknown)}
        )
    values = dict(parts)
    if values.get("FREQ") not in FREQUENCIES:
        raise _refuse(
            _("FREQ must be one of %(freqs)s: a schedule runs at most once an hour.")
            % {"freqs": ", ".join(FREQUENCIES)}
        )
    if "," in values.get("BYMINUTE", ""):
        raise _refuse(
            _("One BYMINUTE value only: a schedule runs at most once an hour.")
        )
    interval = values.get("INTERVAL", "1")
    if not ascii_digits(interval) or int(interval) < 1:
        raise _refuse(_("INTERVAL must be a whole number of at least 1."))
    if "COUNT" in values and "UNTIL" in values:
        raise _refuse(_("Use COUNT or UNTIL, not both."))
    if "UNTIL" in values:
        _check_until(values["UNTIL"])
    _check_positions(values)
    try:
        next_run(rule=rule, zone="UTC", starts_at=_PROBE, after=_PROBE)
    except (ValueError, TypeError, OverflowError, IndexError) as exc:
        message = _("Not a valid RFC 5545 rule (%(detail)s).")
        raise _refuse(message % {"detail": exc}) from exc
    return rule


def _check_until(value: str) -> None:
    """UNTIL's spelling, and a year that stays a year in any zone and shift."""
    if not _UNTIL.match(value):
        raise _refuse(_("UNTIL must look like 20271231 or 20271231T235900Z."))
    if not EARLIEST.year <= int(value[:4]) < LATEST.year:
        raise _refuse(
            _("UNTIL must be in the years %(first)d to %(last)d.")
            % {"first": EARLIEST.year, "last": LATEST.year - 1}
        )


def _check_positions(values: dict[str, str]) -> None:
    """BYDAY positions (-1FR, 2MO) within a month, or a year without BYMONTH."""
    in_month = values["FREQ"] == "MONTHLY" or (
        values["FREQ"] == "YEARLY" and "BYMONTH" in values
    )
    limit = WEEKS_IN_MONTH if in_month else WEEKS_IN_YEAR
    for day in values.get("BYDAY", "").split(","):
        position = _POSITION.match(day)
        if position and int(position.group(1)) > limit:
            raise _refuse(
                _("A BYDAY position goes from 1 to %(limit)d or -1 to -%(limit)d.")
                % {"limit": limit}
            )


def clean_timezone(name: str) -> str:
    """An IANA time zone name such as Europe/Rome, or a 400 refusal."""
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(
            {"timezone": _("Unknown time zone: use an IANA name such as Europe/Rome.")},
            code=CampaignErrorCode.INVALID_TIMEZONE,
        ) from exc
    return name


def _local(when: datetime, zone: ZoneInfo) -> datetime:
    """`when` as a naive wall-clock time in `zone`."""
    return when.astimezone(zone).replace(tzinfo=None)


def _placed(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as an aware UTC time (fold=0; module doc)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _shifted(when: datetime, years: int) -> datetime:
    return when.replace(year=when.year + years)


def _until(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL as a naive local time: a UTC time converted, a date inclusive of its day."""
    day, clock, utc = _UNTIL.match(value).groups()
    if clock is None:
        return datetime.strptime(day, "%Y%m%d") + timedelta(days=1, seconds=-1)
    parsed = datetime.strptime(day + clock, "%Y%m%dT%H%M%S")
    return _local(parsed.replace(tzinfo=UTC), zone) if utc else parsed


def _recurrence(rule: str, dtstart: datetime, *, until: datetime | None) -> rrule:
    """The rule over naive local times; UNTIL is given apart, already local."""
    text = ";".join(f"{n}={v}" for n, v in _parts(rule) if n != "UNTIL")
    recurrence = rrulestr(text, dtstart=dtstart)
    return recurrence.replace(until=until) if until else recurrence


def next_run(
    *,
    rule: str,
    zone: str,
    starts_at: datetime,
    after: datetime,
    ends_at: datetime | None = None,
) -> datetime | None:
    """The first run strictly after `after` (UTC), or None when the rule is over.

    `starts_at` is DTSTART: where the rule's defaults (the minute, the weekday of
    a bare FREQ=WEEKLY, ...) and its INTERVAL and COUNT are counted from; seconds
    are dropped, a schedule runs on the minute. A run after `ends_at` is none.
    """
    tz = ZoneInfo(zone)
    dtstart = _local(starts_at, tz).replace(second=0, microsecond=0)
    after_local = _local(after, tz)
    years = CYCLE_YEARS * max(
        0, (datetime.max.year - HORIZON_YEARS - after_local.year) // CYCLE_YEARS
    )
    until = dict(_parts(rule)).get("UNTIL")
    recurrence = _recurrence(
        rule,
        _shifted(dtstart, years),
        until=_shifted(_until(until, tz), years) if until else None,
    )
    # Offsets differ by less than a day: start a day early in wall time, and let
    # the comparison in UTC decide (a repeated hour has two instants per wall time).
    start = _shifted(after_local, years) - timedelta(days=1)
    for candidate in recurrence.xafter(start, inc=True):
        when = _placed(_shifted(candidate, -years), tz)
        if ends_at is not None and when > ends_at:
            return None
        if when > after:
            return when
    return None


def upcoming(
    *,
    rule: str,
    zone: str,
    starts_at: datetime,
    after: datetime,
    ends_at: datetime | None = None,
    count: int = 3,
) -> list[datetime]:
    """The next `count` runs after `after` (fewer when the rule ends first)."""
    runs: list[datetime] = []
    while len(runs) < count:
        found = next_run(
            rule=rule, zone=zone, starts_at=starts_at, after=after, ends_at=ends_at
        )
        if found is None:
            break
        runs.append(found)
        after = found
    return runs


def weekly_rule(*, days: Iterable[str], at: time) -> str:
    """The rule the schedule picker builds: these weekdays at this wall time."""
    chosen = [day for day in DAYS if day in set(days)]
    return f"FREQ=WEEKLY;BYDAY={','.join(chosen)};BYHOUR={at.hour};BYMINUTE={at.minute}"


def weekly_parts(rule: str) -> tuple[list[str], time] | None:
    """The picker's weekdays and time if `rule` is one it builds, else None."""
    values = dict(_parts(rule))
    if set(values) != {"FREQ", "BYDAY", "BYHOUR", "BYMINUTE"}:
        return None
    days = values["BYDAY"].split(",")
    hour, minute = values["BYHOUR"], values["BYMINUTE"]
    simple = ascii_digits(hour) and ascii_digits(minute) and set(days) <= set(DAYS)
    if values["FREQ"] != "WEEKLY" or not simple:
        return None
    return days, time(int(hour), int(minute))


def describe(rule: str) -> str:
    """ "Every Monday at 08:00" for a rule the picker builds; "" for any other."""
    parsed = weekly_parts(rule)
    if parsed is None:
        return ""
    days, at = parsed
    if len(days) == len(DAYS):
        return _("Every day at %(time)s") % {"time": time_format(at, "H:i")}
    names = [str(DAY_NAMES[day]) for day in DAYS if day in days]
    return _("Every %(days)s at %(time)s") % {
        "days": get_text_list(names, _("and")),
        "time": time_format(at, "H:i"),
    }
