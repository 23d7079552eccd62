"""What the schedule has done: deadline steps and daily digests, each once."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import fetch_all, iso, now_iso


async def mark(conn: aiosqlite.Connection, request_id: int, step: str, due: datetime) -> bool:
    """Record a step for a deadline; False if it was already done."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO reminders (request_id, step, due_at, sent_at) VALUES (?, ?, ?, ?)",
        (request_id, step, iso(due), now_iso()),
    )
    return cur.rowcount == 1


async def mark_digest(
    conn: aiosqlite.Connection, grid_key: str, day: str, skipped: bool = False
) -> bool:
    """Record a grid's digest of a day (sent or skipped); False if it was already."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO digests (grid_key, day, sent_at, skipped) VALUES (?, ?, ?, ?)",
        (grid_key, day, now_iso(), int(skipped)),
    )
    return cur.rowcount == 1


async def done(conn: aiosqlite.Connection, request_ids: list[int]) -> set[tuple[int, str, str]]:
    """The steps already done for these requests: (request id, step, deadline)."""
    found: set[tuple[int, str, str]] = set()
    for start in range(0, len(request_ids), 500):
        chunk = request_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found |= {
            (r[0], r[1], r[2])
            for r in await fetch_all(
                conn,
                f"SELECT request_id, step, due_at FROM reminders WHERE request_id IN ({marks})",
                chunk,
            )
        }
    return found
