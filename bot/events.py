"""Community events: when a series happens, and who it is for. Plain values and rules."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class Series:
    id: int
    key: str
    name_zh: str
    name_en: str
    place: str
    description: str
    rule: str  # monthly:16 | weekly:5 | once:2026-12-01
    at_time: str  # 09:00
    audience: str  # all | grid:A | building:3
    capacity: int | None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def valid_rule(rule: str) -> bool:
    kind, _, value = rule.partition(":")
    try:
        if kind == "monthly":
            return 1 <= int(value) <= 31
        if kind == "weekly":
            return 1 <= int(value) <= 7
        if kind == "once":
            date.fromisoformat(value)
            return True
    except ValueError:
        return False
    return False


def days(rule: str, start: date, end: date) -> list[date]:
    """The days in [start, end] the rule falls on. A monthly day a month lacks (the 31st in
    April) falls on that month's last day."""
    kind, _, value = rule.partition(":")
    found: list[date] = []
    if kind == "once":
        day = date.fromisoformat(value)
        return [day] if start <= day <= end else []
    if kind == "weekly":
        weekday = int(value)
        day = start + timedelta(days=(weekday - start.isoweekday()) % 7)
        while day <= end:
            found.append(day)
            day += timedelta(days=7)
        return found
    wanted = int(value)
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        last = calendar.monthrange(year, month)[1]
        day = date(year, month, min(wanted, last))
        if start <= day <= end:
            found.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def starts(series: Series, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """When the series happens between two moments, as local datetimes."""
    at = time.fromisoformat(series.at_time)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    moments = [
        datetime.combine(day, at, tzinfo=tz)
        for day in days(series.rule, local_start.date(), local_end.date())
    ]
    return [m for m in moments if local_start <= m <= local_end]


def for_building(series: Series, building: str | None, grid: str | None) -> bool:
    """Is the event for a resident of this building (in this grid)?"""
    kind, _, value = series.audience.partition(":")
    if kind == "all":
        return True
    if kind == "grid":
        return grid == value
    return building == value
