"""What the abuse limits count: a person's own new requests, and the lifts admins granted."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, now_iso, parse_iso


async def filed_since(conn: aiosqlite.Connection, user_id: int, since: datetime) -> list[datetime]:
    """When the person filed each of their own requests since `since`, oldest first.

    Requests a worker filed for a resident without Telegram are the worker's work, not counted.
    """
    return [
        parse_iso(row[0])
        for row in await fetch_all(
            conn,
            "SELECT created_at FROM requests WHERE reporter_id = ? AND filed_by IS NULL"
            " AND created_at >= ? ORDER BY created_at",
            (user_id, iso(since)),
        )
    ]


async def lifted_until(conn: aiosqlite.Connection, user_id: int, now: datetime) -> datetime | None:
    """The end of the person's current lift, if an admin lifted their limits until later."""
    row = await fetch_one(
        conn,
        "SELECT MAX(until) FROM limit_lifts WHERE user_id = ? AND until > ?",
        (user_id, iso(now)),
    )
    return parse_iso(row[0]) if row and row[0] else None


async def lift(conn: aiosqlite.Connection, user_id: int, until: datetime, by_id: int) -> None:
    await conn.execute(
        "INSERT INTO limit_lifts (user_id, until, by_id, created_at) VALUES (?, ?, ?, ?)",
        (user_id, iso(until), by_id, now_iso()),
    )


async def live_lifts(conn: aiosqlite.Connection, now: datetime) -> dict[int, datetime]:
    """Everyone whose limits are lifted now, with the end of their lift."""
    return {
        int(r[0]): parse_iso(r[1])
        for r in await fetch_all(
            conn,
            "SELECT user_id, MAX(until) FROM limit_lifts WHERE until > ? GROUP BY user_id",
            (iso(now),),
        )
    }
