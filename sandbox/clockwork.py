"""The sandbox's clock, and the next moment the bot's schedule has something to do.

The moments are the ones bot/schedule.py and bot/gatherings.py act on: a request's claim and
resolve deadlines (and their escalations), the rating reminder and the close without rating,
a fulfilled wish's closing, the daily digest, the weekly echo wall, and event reminders; and
the end of quiet hours, when the messages held for residents go out.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.context import Services
from bot.domain import Status
from bot.events import starts
from bot.render import number
from storage import clock, outbox
from storage import requests as store

FAR = datetime(9999, 1, 1, tzinfo=UTC)
LOOK_AHEAD = timedelta(days=40)


class ShiftedClock(clock.Clock):
    """The wall clock's pace from a moment of our choosing: time goes on, and jumps ahead when
    the sandbox travels."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        self._offset = moment.astimezone(UTC) - datetime.now(UTC)


async def next_moment(services: Services, now: datetime) -> tuple[datetime, str] | None:
    """The soonest moment after `now` at which a tick does something, with what it is (in
    English: the sandbox page speaks English)."""
    found: list[tuple[datetime, str]] = []
    sched = services.settings.schedule
    tz = services.settings.community.tz
    directory = services.directory.current
    async with services.db.read() as conn:
        waiting = await store.due_before(conn, "claim_due_at", (Status.OPEN, Status.REOPENED), FAR)
        held = await store.due_before(conn, "resolve_due_at", (Status.CLAIMED,), FAR)
        resolved = await store.in_status(conn, Status.RESOLVED)
        fulfilled = await store.in_status(conn, Status.FULFILLED)
        quiet_end = await outbox.quiet_ends(conn)
    if quiet_end is not None:
        found.append((quiet_end, "quiet hours end: held messages go out"))
    for r in waiting:
        assert r.claim_due_at is not None
        found.append((r.claim_due_at, f"claim deadline of {number(r)}"))
        escalation = r.claim_due_at + (r.claim_due_at - r.created_at)
        found.append((escalation, f"claim escalation of {number(r)}"))
    for r in held:
        assert r.resolve_due_at is not None
        due = r.resolve_due_at
        found.append((due - timedelta(minutes=sched.warn_before_minutes), f"{number(r)} due soon"))
        found.append((due, f"resolve deadline of {number(r)}"))
        category = directory.category(r.kind, r.category)
        window = timedelta(hours=category.resolve_hours or 0) if category else timedelta()
        found.append((due + window, f"resolve escalation of {number(r)}"))
    for r in resolved:
        at = r.updated_at or r.created_at
        remind = at + timedelta(hours=sched.rating_reminder_hours)
        found.append((remind, f"rating reminder of {number(r)}"))
        close = remind + timedelta(hours=sched.rating_close_hours)
        found.append((close, f"{number(r)} closes unrated"))
    for r in fulfilled:
        at = r.updated_at or r.created_at
        days = services.settings.wishes.confirm_days
        found.append((at + timedelta(days=days), f"{number(r)} closes unconfirmed"))
    local = now.astimezone(tz)
    for days in range(8):
        day = local.date() + timedelta(days=days)
        digest = datetime.combine(day, time.fromisoformat(sched.digest_time), tzinfo=tz)
        found.append((digest, "daily digest"))
        if day.isoweekday() == sched.weekly_day:
            weekly = datetime.combine(day, time.fromisoformat(sched.weekly_time), tzinfo=tz)
            found.append((weekly, "weekly echo wall"))
    reminders = services.settings.event_reminders
    for series in directory.events:
        name = series.name("en")
        for start in starts(series, now, now + LOOK_AHEAD, tz):
            if reminders.evening_before:
                evening = time.fromisoformat(reminders.evening_before)
                before = datetime.combine(start.date() - timedelta(days=1), evening, tzinfo=tz)
                found.append((before, f"{name}: reminder the evening before"))
            if reminders.minutes_before:
                soon = start - timedelta(minutes=reminders.minutes_before)
                found.append((soon, f"{name}: reminder before it starts"))
    coming = sorted((at, what) for at, what in found if at > now)
    return coming[0] if coming else None


def describe(found: tuple[datetime, str] | None, services: Services) -> str:
    """'Mon 12-02 08:00 — daily digest', in the community's time zone."""
    if found is None:
        return "nothing scheduled"
    at, what = found
    local = at.astimezone(services.settings.community.tz)
    return f"{local:%a %m-%d %H:%M} — {what}"
