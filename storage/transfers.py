"""Cards a request left behind when it moved to another grid."""

from __future__ import annotations

import aiosqlite

from storage import requests
from storage.db import fetch_one
from storage.requests import Request


async def leave_cards(conn: aiosqlite.Connection, request_id: int, chats: list[int]) -> None:
    """The request's cards in `chats` so far are no longer its cards there: not edited, and a
    press on them is stale. A card posted there later counts again."""
    row = await fetch_one(conn, "SELECT COALESCE(MAX(id), 0) FROM outbox")
    last = int(row[0]) if row else 0
    await conn.executemany(
        "INSERT OR IGNORE INTO moved_cards (request_id, chat_id, outbox_id) VALUES (?, ?, ?)",
        [(request_id, chat, last) for chat in chats],
    )


async def by_number(conn: aiosqlite.Connection, kind: str, seq: int) -> Request | None:
    row = await fetch_one(conn, "SELECT id FROM requests WHERE kind = ? AND seq = ?", (kind, seq))
    return await requests.get(conn, row[0]) if row else None
