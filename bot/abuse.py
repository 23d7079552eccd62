"""Per-person limits on new requests and on button presses; staff are never limited.

New requests are counted from the requests table inside the filing transaction, so a restart
or two presses at once cannot slip past the limit. Presses are counted in memory (a restart
forgets them, which is harmless: they change nothing by themselves).
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timedelta

import aiosqlite

from bot.directory import Directory, DirectoryBook
from bot.settings import LimitsSettings, Settings
from storage import abuse as store
from storage import clock
from storage.db import Database

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def next_allowed(filed: list[datetime], now: datetime, limits: LimitsSettings) -> datetime | None:
    """When the person may file again, or None if they may now.

    `filed` are the times of their own requests in the last day, oldest first.
    """
    allowed: datetime | None = None
    for window, limit in ((HOUR, limits.requests_per_hour), (DAY, limits.requests_per_day)):
        if limit <= 0:
            continue
        inside = [moment for moment in filed if moment > now - window]
        if len(inside) >= limit:
            # The oldest one that must leave the window to bring the count under the limit.
            candidate = inside[len(inside) - limit] + window
            allowed = candidate if allowed is None else max(allowed, candidate)
    return allowed


def is_exempt(directory: Directory, user_id: int) -> bool:
    """Staff (admins, grid workers) are not limited."""
    return directory.staff(user_id) is not None


async def filing_refused(
    conn: aiosqlite.Connection, settings: Settings, directory: Directory, user_id: int
) -> datetime | None:
    """Inside the filing transaction: when the person may file again, if not now."""
    limits = settings.limits
    if is_exempt(directory, user_id) or not (limits.requests_per_hour or limits.requests_per_day):
        return None
    now = clock.now()
    if await store.lifted_until(conn, user_id, now) is not None:
        return None
    until = next_allowed(await store.filed_since(conn, user_id, now - DAY), now, limits)
    if until is not None:
        log.info("user %s is over the limit on new requests until %s", user_id, until)
    return until


class Limits:
    """The press counter and the admins' lifts."""

    def __init__(self, db: Database, settings: Settings, directory: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._directory = directory
        self._presses: dict[int, deque[datetime]] = {}
        self._told: dict[int, datetime] = {}

    async def press_refused(self, user_id: int) -> datetime | None:
        """Count a press; when the person may press again if this one is over the limit."""
        limit = self._settings.limits.presses_per_minute
        if limit <= 0 or is_exempt(self._directory.current, user_id):
            return None
        now = clock.now()
        presses = self._presses.setdefault(user_id, deque())
        while presses and presses[0] <= now - MINUTE:
            presses.popleft()
        if len(presses) < limit:
            presses.append(now)
            self._forget_idle(now)
            return None
        async with self._db.read() as conn:
            if await store.lifted_until(conn, user_id, now) is not None:
                return None
        if self._told.get(user_id, now - MINUTE) <= now - MINUTE:
            self._told[user_id] = now
            log.info("user %s is over the limit on presses", user_id)
        return presses[0] + MINUTE

    def _forget_idle(self, now: datetime) -> None:
        if len(self._presses) < 1000:
            return
        for user_id in [u for u, p in self._presses.items() if not p or p[-1] <= now - MINUTE]:
            del self._presses[user_id]
            self._told.pop(user_id, None)

    async def lift(self, admin_id: int, user_id: int) -> datetime:
        """Lift the person's limits for the configured hours; recorded with who and when."""
        until = clock.now() + timedelta(hours=self._settings.limits.lift_hours)
        async with self._db.transaction() as conn:
            await store.lift(conn, user_id, until, admin_id)
        self._presses.pop(user_id, None)
        log.info("limits lifted for user %s by admin %s until %s", user_id, admin_id, until)
        return until

    async def lifted(self) -> dict[int, datetime]:
        async with self._db.read() as conn:
            return await store.live_lifts(conn, clock.now())
