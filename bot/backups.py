"""The daily backup: a copy of the live database at `[backup] time`, named by its date, kept
`keep_days` days, each attempt recorded. Decided from the database and the one clock, like the
other scheduled jobs: a tick repeated, or a restart, takes no second copy of a day; a copy
missed while the bot was down is taken at the next tick after it starts."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.settings import Settings
from storage import backups, clock, private, snapshot
from storage.backups import Backup
from storage.db import Database

log = logging.getLogger(__name__)

# A failed copy is tried again this long after, not at every tick.
RETRY_AFTER = timedelta(hours=1)


def due_day(settings: Settings, now: datetime) -> date:
    """The day of the latest backup time that has come (yesterday's before today's time)."""
    tz = settings.community.tz
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), time.fromisoformat(settings.backup.time), tzinfo=tz)
    return local.date() if local >= at else local.date() - timedelta(days=1)


def file_name(settings: Settings, day: date) -> str:
    """community-2026-12-01.sqlite3 for data/community.sqlite3."""
    return f"{settings.database.path.stem}-{day.isoformat()}.sqlite3"


def _dated(settings: Settings) -> re.Pattern[str]:
    stem = re.escape(settings.database.path.stem)
    return re.compile(rf"^{stem}-(\d{{4}}-\d{{2}}-\d{{2}})\.sqlite3$")


def prune(settings: Settings, today: date) -> list[Path]:
    """Remove the copies more than keep_days days old (by the date in their name); other
    files in the folder are left alone. Returns what was removed."""
    folder = settings.backup.dir
    if not folder.is_dir():
        return []
    pattern = _dated(settings)
    removed = []
    for path in sorted(folder.iterdir()):
        match = pattern.match(path.name)
        if match is None or not path.is_file():
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if (today - day).days > settings.backup.keep_days:
            path.unlink()
            removed.append(path)
    return removed


class Backups:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    async def tick(self) -> Backup | None:
        """Take the copy of the latest backup time unless it was taken (or failed within the
        hour); the attempt made, if any."""
        now = clock.now()
        day = due_day(self._settings, now).isoformat()
        async with self._db.read() as conn:
            attempts = await backups.attempts_of(conn, day)
        if any(a.ok for a in attempts):
            return None
        if attempts and now < attempts[-1].taken_at + RETRY_AFTER:
            return None
        return await self.take(date.fromisoformat(day))

    async def take(self, day: date) -> Backup:
        """Copy the database now as the copy of `day`, record it, and prune old copies."""
        settings = self._settings
        folder = settings.backup.dir
        target = folder / file_name(settings, day)
        size: int | None = None
        error: str | None = None
        try:
            private.private_dir(folder)
            os.chmod(folder, private.DIR_MODE)  # a folder of its own: ours to set
            size = await snapshot.copy_online(settings.database.path, target)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("backup of %s to %s failed: %s", day, target, error)
        async with self._db.transaction() as conn:
            await backups.record(conn, day.isoformat(), clock.now(), str(target), size, error)
        if error is None:
            today = clock.now().astimezone(settings.community.tz).date()
            removed = await asyncio.to_thread(prune, settings, today)
            log.info(
                "backup: %s (%s bytes)%s",
                target,
                size,
                f"; removed {len(removed)} older" if removed else "",
            )
        return Backup(day.isoformat(), clock.now(), str(target), size, error is None, error)
