"""The inbox: updates stored before they are acknowledged, handled from here, marked done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, now_iso, parse_iso


@dataclass(frozen=True)
class Stored:
    update_id: int
    raw: str


@dataclass(frozen=True)
class InboxFigures:
    pending: int
    oldest_pending: datetime | None
    done: int
    skipped: int
    skipped_by_reason: dict[str, int]


async def store(conn: aiosqlite.Connection, batch: Iterable[tuple[int, str]]) -> list[int]:
    """Store the updates not stored before; the ids that are new, in order. (One statement per
    update but all in the caller's one transaction: the cost is the commit, not the insert.)"""
    at = now_iso()
    new: list[int] = []
    for update_id, raw in sorted(batch):
        cur = await conn.execute(
            "INSERT OR IGNORE INTO inbox (update_id, raw, received_at) VALUES (?, ?, ?)",
            (update_id, raw, at),
        )
        if cur.rowcount:
            new.append(update_id)
    return new


async def pending(conn: aiosqlite.Connection) -> list[Stored]:
    """What was stored and not yet handled, oldest first."""
    return [
        Stored(int(r[0]), str(r[1]))
        for r in await fetch_all(
            conn, "SELECT update_id, raw FROM inbox WHERE status = 'pending' ORDER BY update_id"
        )
    ]


async def done(conn: aiosqlite.Connection, update_id: int) -> None:
    await conn.execute(
        "UPDATE inbox SET status = 'done', raw = '', done_at = ? "
        "WHERE update_id = ? AND status = 'pending'",
        (now_iso(), update_id),
    )


async def done_many(conn: aiosqlite.Connection, update_ids: list[int]) -> None:
    """Mark handled updates done: one statement for them all."""
    if update_ids:
        at = now_iso()
        await conn.executemany(
            "UPDATE inbox SET status = 'done', raw = '', done_at = ? "
            "WHERE update_id = ? AND status = 'pending'",
            [(at, update_id) for update_id in update_ids],
        )


async def skip(conn: aiosqlite.Connection, update_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE inbox SET status = 'skipped', reason = ?, done_at = ? "
        "WHERE update_id = ? AND status = 'pending'",
        (reason[:500], now_iso(), update_id),
    )


async def is_done(conn: aiosqlite.Connection, update_id: int) -> bool:
    return (
        await fetch_one(
            conn, "SELECT 1 FROM inbox WHERE update_id = ? AND status != 'pending'", (update_id,)
        )
        is not None
    )


async def prune(conn: aiosqlite.Connection, before: datetime) -> int:
    """Forget updates handled (or skipped) before `before`; Telegram keeps them for a day."""
    cur = await conn.execute(
        "DELETE FROM inbox WHERE status != 'pending' AND done_at < ?", (iso(before),)
    )
    return cur.rowcount


async def statuses(conn: aiosqlite.Connection) -> dict[int, str]:
    """Every stored update id and its status (for tests and checks)."""
    return {
        int(r[0]): str(r[1]) for r in await fetch_all(conn, "SELECT update_id, status FROM inbox")
    }


async def figures(conn: aiosqlite.Connection, besides: int | None = None) -> InboxFigures:
    """The inbox's counts; `besides`: an update left out (the one asking, while it is handled)."""
    rows = {
        str(r[0]): (int(r[1]), r[2])
        for r in await fetch_all(
            conn,
            "SELECT status, COUNT(*), MIN(received_at) FROM inbox WHERE update_id IS NOT ? "
            "GROUP BY status",
            (besides,),
        )
    }
    reasons = {
        str(r[0]): int(r[1])
        for r in await fetch_all(
            conn,
            "SELECT COALESCE(reason, '?'), COUNT(*) FROM inbox WHERE status = 'skipped' "
            "GROUP BY 1 ORDER BY 2 DESC",
        )
    }
    count, oldest = rows.get("pending", (0, None))
    return InboxFigures(
        pending=count,
        oldest_pending=parse_iso(oldest) if oldest else None,
        done=rows.get("done", (0, None))[0],
        skipped=rows.get("skipped", (0, None))[0],
        skipped_by_reason=reasons,
    )
