"""Quiet hours: when a resident gets no message they did not ask for."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.settings import Settings


def quiet_until(settings: Settings, moment: datetime) -> datetime | None:
    """The end of the quiet hours `moment` falls in (local time), or None outside them."""
    start, end = settings.schedule.quiet
    if start == end:
        return None
    local = moment.astimezone(settings.community.tz)
    now = local.time()
    inside = start <= now < end if start < end else now >= start or now < end
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=settings.community.tz)
