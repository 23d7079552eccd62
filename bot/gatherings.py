"""Community events in use: upcoming occurrences, sign-ups up to capacity, muting a series,
cancelling one occurrence, and the reminders (the evening before, and shortly before)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import aiosqlite
from pydantic import ValidationError

from bot import render
from bot.callbacks import Callback, Verb
from bot.directory import DirectoryBook
from bot.events import Series, for_building, starts
from bot.i18n import t
from bot.messages import Button, Keyboard, Outgoing, enqueue
from bot.quiet import quiet_until
from bot.settings import Event, Settings
from storage import clock, outbox, users
from storage import directory as directory_store
from storage import events as store
from storage.db import Database

log = logging.getLogger(__name__)

AHEAD = timedelta(days=60)  # how far /events looks
EVENING = "evening"
SOON = "soon"


@dataclass(frozen=True)
class Occurrence:
    series: Series
    start: datetime  # local
    signed_up: int
    mine: bool  # the person asking is signed up
    muted: bool  # the person asking gets no reminders of the series
    cancelled: bool

    @property
    def day(self) -> str:
        return self.start.date().isoformat()

    @property
    def places_left(self) -> int | None:
        capacity = self.series.capacity
        return None if capacity is None else max(0, capacity - self.signed_up)


def day_number(day: date) -> int:
    """A day in button data: 20261116."""
    return day.year * 10000 + day.month * 100 + day.day


def day_of(number: int) -> date | None:
    try:
        return date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


class Gatherings:
    def __init__(self, db: Database, settings: Settings, book: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._book = book

    def _for(self, series: Series, building: str | None) -> bool:
        grid = self._book.current.building_grid(building) if building else None
        return for_building(series, building, grid.id if grid else None)

    async def upcoming(self, user_id: int, building: str | None) -> list[Occurrence]:
        """The next occurrence of each series for this person (staff see them all), soonest
        first."""
        now = clock.now()
        tz = self._settings.community.tz
        staff = self._book.current.staff(user_id) is not None
        found = []
        async with self._db.read() as conn:
            for series in self._book.current.events:
                if not staff and not self._for(series, building):
                    continue
                for start in starts(series, now, now + AHEAD, tz)[:1]:
                    found.append(await self._occurrence(conn, series, start, user_id))
        return sorted(found, key=lambda o: o.start)

    async def _occurrence(
        self, conn: aiosqlite.Connection, series: Series, start: datetime, user_id: int
    ) -> Occurrence:
        day = start.date().isoformat()
        people = await store.signed_up(conn, series.id, day)
        return Occurrence(
            series,
            start,
            len(people),
            user_id in people,
            user_id in await store.muted(conn, series.id),
            await store.cancelled(conn, series.id, day),
        )

    def find(self, series_id: int) -> Series | None:
        return next((s for s in self._book.current.events if s.id == series_id), None)

    def _is_occurrence(self, series: Series, day: date) -> datetime | None:
        tz = self._settings.community.tz
        moments = starts(
            series,
            datetime.combine(day, time(), tzinfo=tz),
            datetime.combine(day, time(23, 59), tzinfo=tz),
            tz,
        )
        return moments[0] if moments else None

    async def join(self, user_id: int, series_id: int, day: date, building: str | None) -> str:
        """Sign up for one occurrence /events would show this person (in its audience, or
        staff; coming, and not too far ahead): a text key saying how it went."""
        series = self.find(series_id)
        start = self._is_occurrence(series, day) if series else None
        now = clock.now()
        if series is None or start is None or not now <= start <= now + AHEAD:
            return "error.stale_button"
        if self._book.current.staff(user_id) is None and not self._for(series, building):
            return "error.stale_button"
        async with self._db.transaction() as conn:
            if await store.cancelled(conn, series.id, day.isoformat()):
                return "event.is_cancelled"
            return {
                "ok": "event.joined",
                "already": "event.already",
                "full": "event.full",
            }[await store.sign_up(conn, series.id, day.isoformat(), user_id, series.capacity)]

    async def leave(self, user_id: int, series_id: int, day: date) -> str:
        async with self._db.transaction() as conn:
            left = await store.withdraw(conn, series_id, day.isoformat(), user_id)
        return "event.left" if left else "error.stale_button"

    async def mute(self, user_id: int, series_id: int, muted: bool) -> str:
        if self.find(series_id) is None:
            return "error.stale_button"
        async with self._db.transaction() as conn:
            await store.set_muted(conn, series_id, user_id, muted)
        return "event.muted" if muted else "event.unmuted"

    async def cancel(self, admin_id: int, key: str, day: date) -> str:
        """An admin cancels one occurrence; whoever signed up, and the groups, are told."""
        if not self._book.current.is_admin(admin_id):
            return "wish.admins_only"
        series = next((s for s in self._book.current.events if s.key == key), None)
        if series is None:
            return "event.unknown"
        start = self._is_occurrence(series, day)
        if start is None:
            return "event.not_that_day"
        async with self._db.transaction() as conn:
            if not await store.cancel(conn, series.id, day.isoformat(), admin_id):
                return "event.already_cancelled"
            for person in await store.signed_up(conn, series.id, day.isoformat()):
                lang = await self._lang(conn, person)
                text = t(
                    lang, "event.cancelled", name=series.name(lang), when=self._when(lang, start)
                )
                await enqueue(conn, Outgoing(person, text))
            for chat in await self._groups(conn, series):
                lang = self._settings.community.group_language
                text = t(
                    lang, "event.cancelled", name=series.name(lang), when=self._when(lang, start)
                )
                await enqueue(conn, Outgoing(chat, text))
        return "event.cancel_done"

    async def save(
        self, admin_id: int, key: str, changes: dict[str, Any], new: bool
    ) -> tuple[str, str]:
        """An admin adds a series or changes one: checked as the config file's [[events]] are,
        written with who and when. Returns the text key of the outcome, and what is wrong
        with the values (for "event.bad")."""
        if not self._book.current.is_admin(admin_id):
            return "wish.admins_only", ""
        old = next((s for s in self._book.current.events if s.key == key), None)
        if new and old is not None:
            return "event.exists", ""
        if not new and old is None:
            return "event.unknown", ""
        fields: dict[str, Any] = {}
        if old is not None:
            fields = {
                "name_zh": old.name_zh,
                "name_en": old.name_en,
                "place": old.place,
                "description": old.description,
                "rule": old.rule,
                "time": old.at_time,
                "audience": old.audience,
                "capacity": old.capacity,
            }
        fields.update(changes)
        try:
            checked = Event(id=key, **fields).model_dump(exclude={"id"})
        except ValidationError as exc:
            problems = [f"{'.'.join(map(str, e['loc'])) or key}: {e['msg']}" for e in exc.errors()]
            return "event.bad", "\n".join(problems)
        async with self._db.transaction() as conn:
            await store.put(conn, key, checked, admin_id)
            what = "added" if new else f"changed ({', '.join(sorted(changes))})"
            await directory_store.log_change(conn, f"event {key} {what}", admin_id, "admin")
        await self._book.reload()
        return ("event.added" if new else "event.changed"), ""

    # --- reminders ------------------------------------------------------------------------

    async def remind(self) -> int:
        """Reminders due now, each once: the evening before and shortly before. One the bot
        missed (it was down) goes out within the grace period, else it is skipped and logged."""
        now = clock.now()
        config = self._settings.event_reminders
        tz = self._settings.community.tz
        grace = timedelta(minutes=config.grace_minutes)
        sent = 0
        for series in self._book.current.events:
            for start in starts(series, now, now + timedelta(days=2), tz):
                steps = []
                if config.evening_before:
                    evening = time.fromisoformat(config.evening_before)
                    day_before = start.date() - timedelta(days=1)
                    steps.append((EVENING, datetime.combine(day_before, evening, tzinfo=tz)))
                if config.minutes_before:
                    steps.append((SOON, start - timedelta(minutes=config.minutes_before)))
                for step, at in steps:
                    if now < at:
                        continue
                    sent += await self._remind(series, start, step, late=now > at + grace)
        return sent

    async def _remind(self, series: Series, start: datetime, step: str, late: bool) -> int:
        day = start.date().isoformat()
        async with self._db.transaction() as conn:
            if await store.cancelled(conn, series.id, day):
                return 0
            if not await store.mark_reminder(conn, series.id, day, step, late):
                return 0
            if late:
                log.warning(
                    "event %s of %s: the %s reminder was missed, skipped", series.key, day, step
                )
                return 0
            quiet = quiet_until(self._settings, clock.now())
            muted = await store.muted(conn, series.id)
            signed = set(await store.signed_up(conn, series.id, day))
            count = len(signed)
            for person in await users.residents(conn):
                if person.user_id in muted or not self._for(series, person.building):
                    continue
                lang = person.lang
                text = self._reminder(lang, series, start, count)
                full = series.capacity is not None and count >= series.capacity
                mine = person.user_id in signed
                buttons = self.buttons(lang, series, start.date(), mine, False, full)
                await enqueue(conn, Outgoing(person.user_id, text, buttons, quiet_until=quiet))
            lang = self._settings.community.group_language
            for chat in await self._groups(conn, series):
                await enqueue(conn, Outgoing(chat, self._reminder(lang, series, start, count)))
        return 1

    def _reminder(self, lang: str, series: Series, start: datetime, signed_up: int) -> str:
        text = t(
            lang,
            "event.reminder",
            name=series.name(lang),
            when=self._when(lang, start),
            place=series.place,
            description=series.description,
        )
        if series.capacity is not None:
            left = max(0, series.capacity - signed_up)
            text += "\n" + t(lang, "event.places_left", n=left, capacity=series.capacity)
        return text

    def buttons(
        self, lang: str, series: Series, day: date, mine: bool, muted: bool, full: bool = False
    ) -> Keyboard:
        """I'll come (while places are left) / I can't come, and the series' reminders on or
        off."""
        rows: Keyboard = []
        number = day_number(day)
        if series.capacity is not None:
            if mine:
                rows.append(
                    [Button(t(lang, "event.leave"), Callback(Verb.EVENT_LEAVE, series.id, number))]
                )
            elif not full:
                rows.append(
                    [Button(t(lang, "event.join"), Callback(Verb.EVENT_JOIN, series.id, number))]
                )
        verb, key = (
            (Verb.EVENT_UNMUTE, "event.unmute") if muted else (Verb.EVENT_MUTE, "event.mute")
        )
        rows.append([Button(t(lang, key), Callback(verb, series.id))])
        return rows

    async def _groups(self, conn: aiosqlite.Connection, series: Series) -> list[int]:
        """The grid groups of the event's audience."""
        migrations = await outbox.chat_migrations(conn)
        kind, _, value = series.audience.partition(":")
        directory = self._book.current
        grids = directory.active_grids
        if kind == "grid":
            grids = [g for g in grids if g.id == value]
        elif kind == "building":
            grid = directory.building_grid(value)
            grids = [grid] if grid else []
        return [
            migrations.get(g.group_chat_id, g.group_chat_id)
            for g in grids
            if g.group_chat_id is not None
        ]

    def _when(self, lang: str, start: datetime) -> str:
        return render.when(self._settings, lang, start)

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language
