"""Announcements: the broadcast, the outbox row of each recipient, and the delivery report."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.db import fetch_all, fetch_one, now_iso

# Outbox states that are still on their way; every other one is settled.
UNSETTLED = ("pending", "quiet")


@dataclass(frozen=True)
class Broadcast:
    id: int
    admin_id: int
    created_at: str
    audience: str
    text: str
    photo: str | None
    recipients: int
    reported_at: str | None


@dataclass(frozen=True)
class Tally:
    """Where a broadcast's outbox rows stand, by status."""

    by_status: dict[str, int]

    @property
    def settled(self) -> bool:
        return not any(self.by_status.get(status) for status in UNSETTLED)

    @property
    def sent(self) -> int:
        return self.by_status.get("sent", 0)

    @property
    def blocked(self) -> int:
        # 'held': the chat refuses the bot (blocked, never started, gone). The row waits there
        # and goes out if the person writes to the bot again.
        return self.by_status.get("held", 0)

    @property
    def failed(self) -> int:
        unsettled_or_counted = {"sent", "held", *UNSETTLED}
        return sum(n for s, n in self.by_status.items() if s not in unsettled_or_counted)


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        admin_id=row["admin_id"],
        created_at=row["created_at"],
        audience=row["audience"],
        text=row["text"],
        photo=row["photo"],
        recipients=row["recipients"],
        reported_at=row["reported_at"],
    )


async def create(
    conn: aiosqlite.Connection,
    admin_id: int,
    audience: str,
    text: str,
    photo: str | None,
    recipients: int,
) -> int:
    cur = await conn.execute(
        "INSERT INTO broadcasts (admin_id, created_at, audience, text, photo, recipients) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (admin_id, now_iso(), audience, text, photo, recipients),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def add_rows(
    conn: aiosqlite.Connection, broadcast_id: int, rows: list[tuple[int, int]]
) -> None:
    """Link the broadcast to its outbox rows: (outbox id, recipient's user id) each."""
    await conn.executemany(
        "INSERT INTO broadcast_rows (outbox_id, broadcast_id, user_id) VALUES (?, ?, ?)",
        [(outbox_id, broadcast_id, user_id) for outbox_id, user_id in rows],
    )


async def get(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    row = await fetch_one(conn, "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _broadcast(row) if row else None


async def unreported(conn: aiosqlite.Connection) -> list[Broadcast]:
    return [
        _broadcast(row)
        for row in await fetch_all(
            conn, "SELECT * FROM broadcasts WHERE reported_at IS NULL ORDER BY id"
        )
    ]


async def tally(conn: aiosqlite.Connection, broadcast_id: int) -> Tally:
    return Tally(
        {
            row[0]: row[1]
            for row in await fetch_all(
                conn,
                "SELECT o.status, COUNT(*) FROM broadcast_rows r "
                "JOIN outbox o ON o.id = r.outbox_id "
                "WHERE r.broadcast_id = ? GROUP BY o.status",
                (broadcast_id,),
            )
        }
    )


async def mark_reported(conn: aiosqlite.Connection, broadcast_id: int, tally: Tally) -> bool:
    """Record the report's figures; False if it was already reported (it goes once)."""
    cur = await conn.execute(
        "UPDATE broadcasts SET reported_at = ?, sent = ?, blocked = ?, failed = ? "
        "WHERE id = ? AND reported_at IS NULL",
        (now_iso(), tally.sent, tally.blocked, tally.failed, broadcast_id),
    )
    return cur.rowcount == 1


async def grid_ids(conn: aiosqlite.Connection) -> dict[str, int]:
    """Each grid's number for button data, by grid key (a grid new since is numbered now,
    inside the caller's write transaction)."""
    await conn.execute(
        "INSERT OR IGNORE INTO grid_ids (grid_key) SELECT key FROM grids ORDER BY rowid"
    )
    return {row[0]: row[1] for row in await fetch_all(conn, "SELECT grid_key, id FROM grid_ids")}
