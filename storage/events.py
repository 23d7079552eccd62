"""Community events: series, muted reminders, sign-ups, cancelled days, reminders sent."""

from __future__ import annotations

from typing import Any

import aiosqlite

from storage.db import fetch_all, fetch_one, now_iso


async def series(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    return list(await fetch_all(conn, "SELECT * FROM event_series WHERE active = 1 ORDER BY id"))


async def put(
    conn: aiosqlite.Connection, key: str, fields: dict[str, Any], by: int | None
) -> None:
    await conn.execute(
        "INSERT INTO event_series (key, name_zh, name_en, place, description, rule, at_time, "
        "audience, capacity, active, changed_by, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (key) DO UPDATE SET "
        "name_zh = excluded.name_zh, name_en = excluded.name_en, place = excluded.place, "
        "description = excluded.description, rule = excluded.rule, at_time = excluded.at_time, "
        "audience = excluded.audience, capacity = excluded.capacity, active = 1, "
        "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (
            key,
            fields["name_zh"],
            fields["name_en"],
            fields["place"],
            fields["description"],
            fields["rule"],
            fields["time"],
            fields["audience"],
            fields["capacity"],
            by,
            now_iso(),
        ),
    )


async def retire(conn: aiosqlite.Connection, key: str, by: int | None) -> None:
    await conn.execute(
        "UPDATE event_series SET active = 0, changed_by = ?, changed_at = ? WHERE key = ?",
        (by, now_iso(), key),
    )


async def set_muted(conn: aiosqlite.Connection, series_id: int, user_id: int, muted: bool) -> None:
    if muted:
        await conn.execute(
            "INSERT OR IGNORE INTO event_muted (series_id, user_id) VALUES (?, ?)",
            (series_id, user_id),
        )
    else:
        await conn.execute(
            "DELETE FROM event_muted WHERE series_id = ? AND user_id = ?", (series_id, user_id)
        )


async def muted(conn: aiosqlite.Connection, series_id: int) -> set[int]:
    return {
        row[0]
        for row in await fetch_all(
            conn, "SELECT user_id FROM event_muted WHERE series_id = ?", (series_id,)
        )
    }


async def sign_up(
    conn: aiosqlite.Connection, series_id: int, day: str, user_id: int, capacity: int | None
) -> str:
    """ "ok", "already" or "full": the count and the insert are one step of the caller's
    write transaction, so two people never take the last place."""
    taken = {
        row[0]
        for row in await fetch_all(
            conn,
            "SELECT user_id FROM event_signups WHERE series_id = ? AND day = ?",
            (series_id, day),
        )
    }
    if user_id in taken:
        return "already"
    if capacity is not None and len(taken) >= capacity:
        return "full"
    await conn.execute(
        "INSERT INTO event_signups (series_id, day, user_id, at) VALUES (?, ?, ?, ?)",
        (series_id, day, user_id, now_iso()),
    )
    return "ok"


async def withdraw(conn: aiosqlite.Connection, series_id: int, day: str, user_id: int) -> bool:
    cur = await conn.execute(
        "DELETE FROM event_signups WHERE series_id = ? AND day = ? AND user_id = ?",
        (series_id, day, user_id),
    )
    return cur.rowcount == 1


async def signed_up(conn: aiosqlite.Connection, series_id: int, day: str) -> list[int]:
    return [
        row[0]
        for row in await fetch_all(
            conn,
            "SELECT user_id FROM event_signups WHERE series_id = ? AND day = ? ORDER BY at",
            (series_id, day),
        )
    ]


async def cancel(conn: aiosqlite.Connection, series_id: int, day: str, by: int) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO event_cancelled (series_id, day, by_id, at) VALUES (?, ?, ?, ?)",
        (series_id, day, by, now_iso()),
    )
    return cur.rowcount == 1


async def cancelled(conn: aiosqlite.Connection, series_id: int, day: str) -> bool:
    return (
        await fetch_one(
            conn, "SELECT 1 FROM event_cancelled WHERE series_id = ? AND day = ?", (series_id, day)
        )
        is not None
    )


async def mark_reminder(
    conn: aiosqlite.Connection, series_id: int, day: str, step: str, skipped: bool
) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO event_reminders (series_id, day, step, at, skipped) "
        "VALUES (?, ?, ?, ?, ?)",
        (series_id, day, step, now_iso(), int(skipped)),
    )
    return cur.rowcount == 1
