"""The record of the daily backups: one row per attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, parse_iso


@dataclass(frozen=True)
class Backup:
    day: str  # the local date the copy is for
    taken_at: datetime
    file: str
    size: int | None
    ok: bool
    error: str | None


async def record(
    conn: aiosqlite.Connection,
    day: str,
    taken_at: datetime,
    file: str,
    size: int | None,
    error: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO backups (day, taken_at, file, size, ok, error) VALUES (?, ?, ?, ?, ?, ?)",
        (day, iso(taken_at), file, size, int(error is None), error),
    )


def _backup(row: aiosqlite.Row) -> Backup:
    return Backup(
        day=row["day"],
        taken_at=parse_iso(row["taken_at"]),
        file=row["file"],
        size=row["size"],
        ok=bool(row["ok"]),
        error=row["error"],
    )


async def last_backup(conn: aiosqlite.Connection, *, ok: bool | None = None) -> Backup | None:
    """The latest backup attempt (ok=True: the latest copy taken; False: the latest failure)."""
    where = "" if ok is None else f"WHERE ok = {int(ok)}"
    row = await fetch_one(conn, f"SELECT * FROM backups {where} ORDER BY id DESC LIMIT 1")
    return _backup(row) if row else None


async def attempts_of(conn: aiosqlite.Connection, day: str) -> list[Backup]:
    """The attempts for one day's copy, oldest first."""
    return [
        _backup(r)
        for r in await fetch_all(conn, "SELECT * FROM backups WHERE day = ? ORDER BY id", (day,))
    ]
