"""Volunteers' applications and the service-points ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, now_iso, parse_iso


@dataclass(frozen=True)
class Volunteer:
    user_id: int
    name: str
    affiliation: str
    status: str  # pending | approved | declined


@dataclass(frozen=True)
class Entry:
    """One row of a passbook."""

    at: datetime
    delta: int
    reason: str  # wish | award | redeem
    request_id: int | None
    note: str | None


async def get(conn: aiosqlite.Connection, user_id: int) -> Volunteer | None:
    row = await fetch_one(conn, "SELECT * FROM volunteers WHERE user_id = ?", (user_id,))
    if row is None:
        return None
    return Volunteer(row["user_id"], row["name"], row["affiliation"], row["status"])


async def apply(conn: aiosqlite.Connection, user_id: int, name: str, affiliation: str) -> None:
    """A new (or renewed) application, waiting for an admin."""
    await conn.execute(
        "INSERT INTO volunteers (user_id, name, affiliation, status, applied_at) "
        "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (user_id) DO UPDATE SET "
        "name = excluded.name, affiliation = excluded.affiliation, status = 'pending', "
        "applied_at = excluded.applied_at, decided_by = NULL, decided_at = NULL",
        (user_id, name, affiliation, now_iso()),
    )


async def put(
    conn: aiosqlite.Connection, user_id: int, name: str, affiliation: str, by: int | None
) -> None:
    """An approved volunteer (seeded from the config file, or approved by an admin)."""
    stamp = now_iso()
    await conn.execute(
        "INSERT INTO volunteers (user_id, name, affiliation, status, applied_at, decided_by, "
        "decided_at) VALUES (?, ?, ?, 'approved', ?, ?, ?) ON CONFLICT (user_id) DO UPDATE "
        "SET name = excluded.name, affiliation = excluded.affiliation, status = 'approved', "
        "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        (user_id, name, affiliation, stamp, by, stamp),
    )


async def decide(conn: aiosqlite.Connection, user_id: int, approved: bool, by: int) -> bool:
    """Approve or decline a pending application; False if none is pending."""
    cur = await conn.execute(
        "UPDATE volunteers SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE user_id = ? AND status = 'pending'",
        ("approved" if approved else "declined", by, now_iso(), user_id),
    )
    return cur.rowcount == 1


# --- the points ledger --------------------------------------------------------------------


async def credit_wish(
    conn: aiosqlite.Connection, user_id: int, points: int, request_id: int
) -> bool:
    """Points for a fulfilled wish: once per wish, whatever happens twice. True if credited."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO points (user_id, delta, reason, request_id, at) "
        "VALUES (?, ?, 'wish', ?, ?)",
        (user_id, points, request_id, now_iso()),
    )
    return cur.rowcount == 1


async def record(
    conn: aiosqlite.Connection, user_id: int, delta: int, reason: str, note: str, by: int
) -> None:
    """An award (delta > 0) or a redemption (delta < 0) by an admin."""
    assert reason in ("award", "redeem")
    await conn.execute(
        "INSERT INTO points (user_id, delta, reason, note, by_id, at) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, delta, reason, note, by, now_iso()),
    )


async def balance(conn: aiosqlite.Connection, user_id: int) -> int:
    row = await fetch_one(
        conn, "SELECT COALESCE(SUM(delta), 0) FROM points WHERE user_id = ?", (user_id,)
    )
    return int(row[0]) if row else 0


async def passbook(conn: aiosqlite.Connection, user_id: int, limit: int = 50) -> list[Entry]:
    """The newest rows first."""
    rows = await fetch_all(
        conn, "SELECT * FROM points WHERE user_id = ? ORDER BY id DESC LIMIT ?", (user_id, limit)
    )
    return [
        Entry(parse_iso(r["at"]), r["delta"], r["reason"], r["request_id"], r["note"])
        for r in rows
    ]
