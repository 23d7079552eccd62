"""When an event series happens: the 16th of every month, the 31st of short months, weekly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.events import Series, days, for_building, starts, valid_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _series(rule: str, at: str = "09:00", audience: str = "all") -> Series:
    return Series(1, "haircut", "义剪", "Free haircut", "Hall", "", rule, at, audience, None)


def test_the_16th_of_every_month_over_a_year() -> None:
    found = days("monthly:16", date(2027, 1, 1), date(2027, 12, 31))
    assert found == [date(2027, month, 16) for month in range(1, 13)]


def test_a_day_a_month_lacks_falls_on_its_last_day() -> None:
    found = days("monthly:31", date(2028, 1, 1), date(2028, 6, 30))
    assert found == [
        date(2028, 1, 31),
        date(2028, 2, 29),  # a leap year
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
    ]


def test_weekly_and_once() -> None:
    assert days("weekly:5", date(2026, 11, 23), date(2026, 12, 10)) == [
        date(2026, 11, 27),
        date(2026, 12, 4),
    ]
    assert days("once:2026-12-01", date(2026, 11, 1), date(2026, 12, 31)) == [date(2026, 12, 1)]
    assert days("once:2026-12-01", date(2027, 1, 1), date(2027, 12, 31)) == []


def test_starts_are_local_times_within_the_window() -> None:
    haircut = _series("monthly:16")
    # 01:30 UTC on the 16th is 09:30 in Shanghai: that day's haircut has begun.
    after = datetime(2026, 12, 16, 1, 30, tzinfo=UTC)
    found = starts(haircut, after, datetime(2027, 2, 28, tzinfo=UTC), SHANGHAI)
    assert found == [
        datetime(2027, 1, 16, 9, 0, tzinfo=SHANGHAI),
        datetime(2027, 2, 16, 9, 0, tzinfo=SHANGHAI),
    ]


def test_rules_and_audiences() -> None:
    assert valid_rule("monthly:16") and valid_rule("weekly:7") and valid_rule("once:2026-12-01")
    for bad in ("monthly:0", "monthly:32", "weekly:8", "once:2026-13-01", "daily", "monthly:x"):
        assert not valid_rule(bad)
    assert for_building(_series("monthly:16"), "3", "B")
    assert for_building(_series("monthly:16", audience="grid:B"), "3", "B")
    assert not for_building(_series("monthly:16", audience="grid:A"), "3", "B")
    assert for_building(_series("monthly:16", audience="building:3"), "3", "B")
    assert not for_building(_series("monthly:16", audience="building:4"), "3", "B")
