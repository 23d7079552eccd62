"""Announcements from an admin: who an audience reaches, the message as each recipient reads
it, queueing one outbox row per recipient with the broadcast in one transaction, and the
delivery report, sent once when every row is settled.

An announcement is news nobody asked for: a resident's copy waits for the end of their quiet
hours, as event reminders do; volunteers get theirs at once, as staff do.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot import render
from bot.directory import DirectoryBook
from bot.i18n import LANGUAGES, Markup, t
from bot.limits import CAPTION_MAX, TEXT_MAX, clip, plain, units
from bot.messages import Outgoing, enqueue
from bot.quiet import quiet_until
from bot.settings import Settings
from storage import broadcasts as store
from storage import clock, dialogs, users
from storage.db import Database, parse_iso

log = logging.getLogger(__name__)

ALL = "all"
VOLUNTEERS = "volunteers"
GRID = "grid"
BUILDING = "building"
NAME_MAX = 64  # of the community's name in an announcement's first line
SNIPPET_MAX = 60  # of the announcement's words in the delivery report


@dataclass(frozen=True)
class Draft:
    text: str  # Telegram HTML (what the admin typed, with its formatting)
    photo: str | None
    audience: str  # ALL, VOLUNTEERS, "grid:<key>", "building:<name>"


@dataclass(frozen=True)
class Recipient:
    user_id: int
    lang: str
    resident: bool  # a resident's copy respects quiet hours


@dataclass(frozen=True)
class Counts:
    """How many each audience reaches now."""

    everyone: int
    grids: dict[str, int]
    buildings: dict[str, int]
    volunteers: int

    def of(self, audience: str) -> int:
        kind, _, value = audience.partition(":")
        if kind == GRID:
            return self.grids.get(value, 0)
        if kind == BUILDING:
            return self.buildings.get(value, 0)
        return self.volunteers if audience == VOLUNTEERS else self.everyone


@dataclass(frozen=True)
class Sent:
    """How a confirmation went: `key` is the text to answer with."""

    ok: bool
    key: str
    recipients: int = 0
    quiet_until: datetime | None = None


class Broadcasts:
    def __init__(self, db: Database, settings: Settings, book: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._book = book

    # --- composing ----------------------------------------------------------------------

    def message(self, lang: str, text: str) -> str:
        """The announcement as a recipient reads it: who it is from, then the admin's words."""
        name = clip(self._settings.community.name, NAME_MAX)
        return t(lang, "bc.message", community=name, text=Markup(text))

    def longest(self, photo: bool) -> int:
        """The most characters the admin's words may have: the message must fit a caption
        (with a photo) or a message, in every language."""
        frame = max(units(plain(self.message(lang, ""))) for lang in LANGUAGES)
        return (CAPTION_MAX if photo else TEXT_MAX) - frame

    def label(self, lang: str, audience: str) -> str:
        """The audience in words: everyone registered, Grid A, building 3, volunteers."""
        kind, _, value = audience.partition(":")
        if kind == GRID:
            grid = self._book.current.grid(value)
            return grid.name if grid is not None else value
        if kind == BUILDING:
            return t(lang, "bc.audience_building", building=value)
        return t(lang, "bc.audience_volunteers" if audience == VOLUNTEERS else "bc.audience_all")

    def valid(self, audience: str) -> bool:
        """The audience still exists: its grid or building is in use."""
        kind, _, value = audience.partition(":")
        directory = self._book.current
        if kind == GRID:
            grid = directory.grid(value)
            return grid is not None and grid.active
        if kind == BUILDING:
            return directory.building_named(value) is not None
        return audience in (ALL, VOLUNTEERS)

    async def grid_numbers(self) -> dict[str, int]:
        """Each grid's number for audience buttons."""
        async with self._db.transaction() as conn:
            return await store.grid_ids(conn)

    async def counts(self) -> Counts:
        directory = self._book.current
        async with self._db.read() as conn:
            residents = await users.residents(conn)
        buildings = Counter(p.building for p in residents if p.building)
        grids: Counter[str] = Counter()
        for name, n in buildings.items():
            grid = directory.building_grid(name)
            if grid is not None:
                grids[grid.id] += n
        return Counts(len(residents), dict(grids), dict(buildings), len(directory.volunteers))

    # --- sending ------------------------------------------------------------------------

    async def send(self, admin_id: int, nonce: int, draft: Draft) -> Sent:
        """Queue the announcement for everyone in its audience, record it and end the wizard
        (whose step carries `nonce`), all in one transaction: a second press, or one after a
        restart, finds the wizard gone and sends nothing twice."""
        if not self._book.current.is_admin(admin_id):
            return Sent(False, "bc.admins_only")
        if not self.valid(draft.audience):
            return Sent(False, "bc.audience_gone")
        quiet = quiet_until(self._settings, clock.now())
        async with self._db.transaction() as conn:
            current = await dialogs.get(conn, admin_id)
            if current is None or current.nonce != nonce:
                return Sent(False, "error.stale_button")
            people = await self._recipients(conn, draft.audience)
            if not people:
                return Sent(False, "bc.nobody")
            broadcast_id = await store.create(
                conn, admin_id, draft.audience, draft.text, draft.photo, len(people)
            )
            rows = []
            for person in people:
                outgoing = Outgoing(
                    person.user_id,
                    self.message(person.lang, draft.text),
                    photo=draft.photo,
                    quiet_until=quiet if person.resident else None,
                )
                rows.append((await enqueue(conn, outgoing), person.user_id))
            await store.add_rows(conn, broadcast_id, rows)
            await dialogs.close(conn, admin_id)
        log.info(
            "broadcast %s by %s to %s: %s recipients",
            broadcast_id,
            admin_id,
            draft.audience,
            len(people),
        )
        waits = quiet is not None and any(p.resident for p in people)
        return Sent(True, "bc.queued", len(people), quiet if waits else None)

    async def _recipients(self, conn: aiosqlite.Connection, audience: str) -> list[Recipient]:
        directory = self._book.current
        if audience == VOLUNTEERS:
            found = []
            for user_id in sorted(directory.volunteers):
                user = await users.get(conn, user_id)
                lang = user.lang if user else self._settings.community.group_language
                found.append(Recipient(user_id, lang, resident=False))
            return found
        kind, _, value = audience.partition(":")
        residents = await users.residents(conn)
        if kind == GRID:
            residents = [
                p
                for p in residents
                if p.building and (g := directory.building_grid(p.building)) and g.id == value
            ]
        elif kind == BUILDING:
            residents = [p for p in residents if p.building == value]
        return [Recipient(p.user_id, p.lang, resident=True) for p in residents]

    # --- the delivery report ------------------------------------------------------------

    async def report(self) -> int:
        """Tell each admin, once, how their broadcast went when none of its messages is on
        its way any more: sent, blocked (the chat refuses the bot), failed. Returns how many
        reports were queued."""
        async with self._db.read() as conn:
            ready = [
                b for b in await store.unreported(conn) if (await store.tally(conn, b.id)).settled
            ]
        if not ready:
            return 0
        queued = 0
        async with self._db.transaction() as conn:
            for broadcast in ready:
                tally = await store.tally(conn, broadcast.id)
                if not tally.settled or not await store.mark_reported(conn, broadcast.id, tally):
                    continue
                admin = await users.get(conn, broadcast.admin_id)
                lang = admin.lang if admin else self._settings.community.group_language
                text = t(
                    lang,
                    "bc.report",
                    when=render.when(self._settings, lang, parse_iso(broadcast.created_at)),
                    audience=self.label(lang, broadcast.audience),
                    snippet=clip(plain(broadcast.text), SNIPPET_MAX),
                    total=broadcast.recipients,
                    sent=tally.sent,
                    blocked=tally.blocked,
                    failed=tally.failed,
                )
                await enqueue(conn, Outgoing(broadcast.admin_id, text))
                queued += 1
        return queued
