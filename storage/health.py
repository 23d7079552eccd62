"""Figures for /health: what waits in the outbox and the inbox, the database's size, the last
backup."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from storage.db import fetch_all, fetch_one, parse_iso

# Rows the outbox set aside (not retried by itself): chat refused us, our own error, or
# Telegram may have got it already (a timeout on a notice that must not be sent twice).
PARKED = ("held", "failed", "unconfirmed")


@dataclass(frozen=True)
class OutboxFigures:
    waiting: int  # pending, or waiting for the end of quiet hours
    oldest_waiting: datetime | None
    parked: dict[tuple[str, str], int]  # (status, reason) -> rows


async def outbox_figures(conn: aiosqlite.Connection) -> OutboxFigures:
    row = await fetch_one(
        conn, "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status IN ('pending', 'quiet')"
    )
    waiting, oldest = (int(row[0]), row[1]) if row else (0, None)
    parked = {
        (str(r[0]), str(r[1])): int(r[2])
        for r in await fetch_all(
            conn,
            "SELECT status, COALESCE(SUBSTR(last_error, 1, 80), ''), COUNT(*) FROM outbox "
            f"WHERE status IN ({', '.join('?' * len(PARKED))}) GROUP BY 1, 2 ORDER BY 3 DESC",
            PARKED,
        )
    }
    return OutboxFigures(waiting, parse_iso(oldest) if oldest else None, parked)


def database_bytes(path: Path) -> int:
    """The database file with its write-ahead log."""
    total = 0
    for name in (str(path), f"{path}-wal"):
        with contextlib.suppress(OSError):  # no WAL file right now
            total += os.stat(name).st_size
    return total
