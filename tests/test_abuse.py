"""The rule that says when a person may file again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.abuse import next_allowed
from bot.settings import LimitsSettings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def test_under_both_limits_may_file_now() -> None:
    limits = LimitsSettings(requests_per_hour=5, requests_per_day=20)
    assert next_allowed([ago(minutes=m) for m in (50, 40, 30, 20)], NOW, limits) is None
    assert next_allowed([], NOW, limits) is None


def test_the_hour_limit_ends_when_the_oldest_leaves_the_hour() -> None:
    limits = LimitsSettings(requests_per_hour=5, requests_per_day=20)
    filed = [ago(minutes=m) for m in (50, 40, 30, 20, 10)]
    assert next_allowed(filed, NOW, limits) == ago(minutes=50) + timedelta(hours=1)
    # One more than the limit (an admin's lift meanwhile): the second oldest counts too.
    filed = [ago(minutes=m) for m in (55, 50, 40, 30, 20, 10)]
    assert next_allowed(filed, NOW, limits) == ago(minutes=50) + timedelta(hours=1)


def test_the_day_limit_wins_when_it_ends_later() -> None:
    limits = LimitsSettings(requests_per_hour=5, requests_per_day=3)
    filed = [ago(hours=20), ago(hours=10), ago(hours=2)]
    assert next_allowed(filed, NOW, limits) == ago(hours=20) + timedelta(days=1)


def test_zero_switches_a_limit_off() -> None:
    limits = LimitsSettings(requests_per_hour=0, requests_per_day=0)
    assert next_allowed([ago(minutes=1)] * 50, NOW, limits) is None


def test_the_defaults_are_the_documented_ones() -> None:
    limits = LimitsSettings()
    assert (limits.requests_per_hour, limits.requests_per_day) == (5, 20)
    assert (limits.presses_per_minute, limits.lift_hours) == (30, 24)
