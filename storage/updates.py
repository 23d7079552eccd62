"""Update ids already handled: Telegram redelivers updates that were not yet acknowledged."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import iso, now_iso


async def seen(conn: aiosqlite.Connection, update_id: int) -> bool:
    async with conn.execute(
        "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
    ) as cur:
        return await cur.fetchone() is not None


async def mark(conn: aiosqlite.Connection, update_id: int) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
        (update_id, now_iso()),
    )


async def prune(conn: aiosqlite.Connection, before: datetime) -> int:
    cur = await conn.execute("DELETE FROM processed_updates WHERE at < ?", (iso(before),))
    return cur.rowcount


async def count(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT COUNT(*) FROM processed_updates") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
