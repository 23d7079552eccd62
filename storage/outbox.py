"""Messages owed to chats, written in the same transaction as the change that caused them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, now_iso, parse_iso


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    kind: str
    request_id: int | None
    message_id: int | None
    text: str
    buttons: list[list[dict[str, str]]]
    markup: dict[str, Any] | None
    photo: str | None
    # Messages (as dicts, each maybe with fallbacks of its own) to post if the chat refuses us.
    fallbacks: list[dict[str, Any]]
    attempts: int


def _fallbacks(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    value = json.loads(text)
    # Rows written before fallbacks became a list hold a single message.
    return value if isinstance(value, list) else [value]


def _row(row: aiosqlite.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        request_id=row["request_id"],
        message_id=row["message_id"],
        text=row["text"],
        buttons=json.loads(row["buttons"]),
        markup=json.loads(row["markup"]) if row["markup"] else None,
        photo=row["photo"],
        fallbacks=_fallbacks(row["fallback"]),
        attempts=row["attempts"],
    )


async def enqueue(
    conn: aiosqlite.Connection,
    *,
    chat_id: int,
    kind: str,
    text: str,
    buttons: list[list[dict[str, str]]],
    request_id: int | None = None,
    message_id: int | None = None,
    markup: dict[str, Any] | None = None,
    photo: str | None = None,
    fallbacks: list[dict[str, Any]] | None = None,
    quiet_until: datetime | None = None,
) -> int:
    """A message to send; `quiet_until`: it waits for the end of the person's quiet hours."""
    stamp = now_iso()
    held = await _is_unreachable(conn, chat_id)
    status = "held" if held else "quiet" if quiet_until is not None else "pending"
    cur = await conn.execute(
        "INSERT INTO outbox (chat_id, kind, request_id, message_id, text, buttons, markup, "
        "photo, fallback, status, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            chat_id,
            kind,
            request_id,
            message_id,
            text,
            json.dumps(buttons, ensure_ascii=False),
            json.dumps(markup, ensure_ascii=False) if markup else None,
            photo,
            json.dumps(fallbacks, ensure_ascii=False) if fallbacks else None,
            status,
            iso(quiet_until) if quiet_until is not None and not held else stamp,
            stamp,
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def end_quiet(conn: aiosqlite.Connection, now: datetime) -> int:
    """Messages whose quiet hours are over join the queue."""
    cur = await conn.execute(
        "UPDATE outbox SET status = 'pending' WHERE status = 'quiet' AND next_attempt_at <= ?",
        (iso(now),),
    )
    return cur.rowcount


async def due(conn: aiosqlite.Connection, now: datetime, limit: int = 200) -> list[OutboxRow]:
    """For each chat, its oldest pending row, if that row is due: one chat's rows go in order."""
    return [
        _row(row)
        for row in await fetch_all(
            conn,
            "SELECT o.* FROM outbox o JOIN ("
            "  SELECT chat_id, MIN(id) AS first_id FROM outbox WHERE status = 'pending' "
            "  GROUP BY chat_id"
            ") f ON o.id = f.first_id WHERE o.next_attempt_at <= ? ORDER BY o.id LIMIT ?",
            (iso(now), limit),
        )
    ]


async def pending_for_chat(conn: aiosqlite.Connection, chat_id: int) -> list[OutboxRow]:
    return [
        _row(row)
        for row in await fetch_all(
            conn,
            "SELECT * FROM outbox WHERE chat_id = ? AND status = 'pending' ORDER BY id",
            (chat_id,),
        )
    ]


async def superseded(conn: aiosqlite.Connection, row: OutboxRow) -> bool:
    """A newer edit of the same card is waiting: this one need not be sent at all."""
    return (
        await fetch_one(
            conn,
            "SELECT 1 FROM outbox WHERE kind = 'edit_card' AND request_id = ? AND chat_id = ? "
            "AND status = 'pending' AND id > ? LIMIT 1",
            (row.request_id, row.chat_id, row.id),
        )
        is not None
    )


async def mark_sent(conn: aiosqlite.Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
        "last_error = NULL WHERE id = ?",
        (now_iso(), row_id),
    )


async def mark_retry(
    conn: aiosqlite.Connection, row_id: int, at: datetime, error: str, *, count: bool = True
) -> None:
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + ? "
        "WHERE id = ?",
        (iso(at), error[:500], 1 if count else 0, row_id),
    )


async def mark_final(conn: aiosqlite.Connection, row_id: int, status: str, error: str) -> None:
    """'failed' (Telegram refused the content) or 'unconfirmed' (may have arrived; not resent)."""
    await conn.execute(
        "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?",
        (status, error[:500], row_id),
    )


async def hold_chat(conn: aiosqlite.Connection, chat_id: int, reason: str) -> bool:
    """The chat refuses us: park everything owed to it until it writes to the bot again.

    True if the chat was reachable until now.
    """
    cur = await conn.execute(
        "INSERT OR IGNORE INTO unreachable_chats (chat_id, since, reason) VALUES (?, ?, ?)",
        (chat_id, now_iso(), reason[:200]),
    )
    newly = cur.rowcount == 1
    await conn.execute(
        "UPDATE outbox SET status = 'held', last_error = ? "
        "WHERE chat_id = ? AND status = 'pending'",
        (reason[:500], chat_id),
    )
    return newly


async def release_chat(conn: aiosqlite.Connection, chat_id: int) -> int:
    """The chat is reachable again: deliver what was held for it. Returns how many rows."""
    await conn.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))
    cur = await conn.execute(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ? "
        "WHERE chat_id = ? AND status = 'held'",
        (now_iso(), chat_id),
    )
    return cur.rowcount


async def _is_unreachable(conn: aiosqlite.Connection, chat_id: int) -> bool:
    return (
        await fetch_one(conn, "SELECT 1 FROM unreachable_chats WHERE chat_id = ?", (chat_id,))
        is not None
    )


async def is_unreachable(conn: aiosqlite.Connection, chat_id: int) -> bool:
    return await _is_unreachable(conn, chat_id)


async def card_chats(conn: aiosqlite.Connection, request_id: int) -> list[int]:
    """Chats where the request's card was (or is about to be) posted, and still is its card
    (not left behind when the request moved to another grid). Read from `card_places`, which
    the outbox's triggers keep: never from the outbox's history, whose sent rows are pruned."""
    return [
        row[0]
        for row in await fetch_all(
            conn,
            "SELECT chat_id FROM card_places c WHERE request_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM moved_cards m WHERE "
            "m.request_id = c.request_id AND m.chat_id = c.chat_id "
            "AND m.outbox_id >= c.outbox_id) "
            "GROUP BY chat_id ORDER BY MIN(outbox_id)",
            (request_id,),
        )
    ]


async def prune_sent(conn: aiosqlite.Connection, before: datetime, limit: int = 5000) -> int:
    """Forget up to `limit` rows sent before `before`. The newest row always stays (ids are
    never reused, and moved cards compare ids), and so do the rows of a broadcast whose
    report has not gone yet (it counts them). Returns how many rows went."""
    cur = await conn.execute(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'sent' "
        "AND sent_at < ? AND id < (SELECT MAX(id) FROM outbox) "
        "AND NOT EXISTS (SELECT 1 FROM broadcast_rows r JOIN broadcasts b "
        "ON b.id = r.broadcast_id WHERE r.outbox_id = outbox.id AND b.reported_at IS NULL) "
        "LIMIT ?)",
        (iso(before), limit),
    )
    gone = cur.rowcount
    if gone:
        # A reported broadcast's figures are kept in its row; its per-recipient rows may go.
        await conn.execute(
            "DELETE FROM broadcast_rows WHERE broadcast_id IN "
            "(SELECT id FROM broadcasts WHERE reported_at IS NOT NULL) "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = broadcast_rows.outbox_id)"
        )
    return gone


async def migrate_chat(conn: aiosqlite.Connection, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: everything owed to it and its cards move to the new id."""
    await conn.execute(
        "INSERT OR REPLACE INTO chat_migrations (old_chat_id, new_chat_id) VALUES (?, ?)",
        (old_chat_id, new_chat_id),
    )
    await conn.execute(
        "UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
    )
    await conn.execute(
        "UPDATE OR IGNORE cards SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
    )


async def chat_migrations(conn: aiosqlite.Connection) -> dict[int, int]:
    return {
        row[0]: row[1]
        for row in await fetch_all(conn, "SELECT old_chat_id, new_chat_id FROM chat_migrations")
    }


async def counts(conn: aiosqlite.Connection) -> dict[str, int]:
    return {
        row[0]: row[1]
        for row in await fetch_all(conn, "SELECT status, COUNT(*) FROM outbox GROUP BY status")
    }


async def quiet_ends(conn: aiosqlite.Connection) -> datetime | None:
    """When the first message waiting for someone's quiet hours to end may go (the sandbox's
    time travel stops there)."""
    row = await fetch_one(conn, "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'quiet'")
    return parse_iso(row[0]) if row is not None and row[0] else None
