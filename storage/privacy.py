"""What the bot holds about one person (/mydata), and erasing it (/forgetme)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage import requests as store  # its row reader, for the same Request
from storage.db import fetch_all, fetch_one, now_iso
from storage.requests import Request
from storage.users import User
from storage.users import get as get_user

# The reporter of a finished request whose resident asked to be forgotten: nobody's chat.
ERASED = 0


@dataclass(frozen=True)
class Holdings:
    user: User | None
    erased_at: str | None
    requests: list[Request]
    following: int
    points: int
    signups: list[tuple[str, str, str]]  # (name_zh, name_en, day)
    volunteer: str | None  # the application's status, if any


async def holdings(conn: aiosqlite.Connection, user_id: int) -> Holdings:
    user = await get_user(conn, user_id)
    row = await fetch_one(conn, "SELECT erased_at FROM users WHERE user_id = ?", (user_id,))
    erased_at = row[0] if row else None
    mine = await _rows(
        conn,
        "SELECT * FROM requests WHERE reporter_id = ? AND created_at >= ? ORDER BY id",
        (user_id, erased_at or ""),
    )
    following = await _one(conn, "SELECT COUNT(*) FROM followers WHERE user_id = ?", user_id)
    points = await _one(
        conn, "SELECT COALESCE(SUM(delta), 0) FROM points WHERE user_id = ?", user_id
    )
    signups = [
        (r[0], r[1], r[2])
        for r in await fetch_all(
            conn,
            "SELECT s.name_zh, s.name_en, g.day FROM event_signups g "
            "JOIN event_series s ON s.id = g.series_id WHERE g.user_id = ? ORDER BY g.day",
            (user_id,),
        )
    ]
    row = await fetch_one(conn, "SELECT status FROM volunteers WHERE user_id = ?", (user_id,))
    return Holdings(user, erased_at, mine, following, points, signups, row[0] if row else None)


async def erase(
    conn: aiosqlite.Connection,
    user_id: int,
    active: Sequence[str],
    hide: Callable[[str, Sequence[str]], str],
) -> int:
    """Erase the person's personal fields, in the caller's transaction; the number of their
    requests kept, anonymised, for the ledger.

    `hide(text, known)` hides phone numbers and units in a text, and the strings in `known`
    (the person's own unit and phone as registered). Their requests stay (counts do not
    change): unit gone, texts masked, their name in events gone. A finished request no longer
    names them at all; an open one keeps only their Telegram id, so the worker can finish it
    and the resident still hears the outcome.
    """
    user = await get_user(conn, user_id)
    known = [v for v in ((user.unit, user.phone) if user else ()) if v]

    def mask(text: str) -> str:
        return hide(text, known)

    ids = [
        int(r[0])
        for r in await fetch_all(conn, "SELECT id FROM requests WHERE reporter_id = ?", (user_id,))
    ]
    marks = ",".join("?" * len(ids))
    if ids:
        texts = [
            (r[0], r[1], r[2])
            for r in await fetch_all(
                conn,
                f"SELECT id, description, public_text FROM requests WHERE id IN ({marks})",
                ids,
            )
        ]
        for request_id, description, public in texts:
            await conn.execute(
                "UPDATE requests SET description = ?, public_text = ?, unit = NULL WHERE id = ?",
                (mask(description), mask(public) if public else public, request_id),
            )
        notes = [
            (r[0], r[1], r[2])
            for r in await fetch_all(
                conn, f"SELECT id, note, detail FROM events WHERE request_id IN ({marks})", ids
            )
        ]
        for event_id, note, detail in notes:
            await conn.execute(
                "UPDATE events SET note = ?, detail = ? WHERE id = ?",
                (mask(note) if note else note, mask(detail) if detail else detail, event_id),
            )
        done = ",".join("?" * len(active))
        await conn.execute(
            f"UPDATE requests SET reporter_id = ? WHERE id IN ({marks}) "
            f"AND status NOT IN ({done})",
            (ERASED, *ids, *active),
        )
        # Their name on their own requests' timelines; what they did as staff on others'
        # requests stays named (a fixed person for every job, 定人定责).
        await conn.execute(
            f"UPDATE events SET actor_name = NULL WHERE actor_id = ? AND request_id IN ({marks})",
            (user_id, *ids),
        )
    # What was sent or waits to be sent about them (a claimer's details hold their phone).
    for needle in known:
        rows = [
            (r[0], r[1])
            for r in await fetch_all(
                conn, "SELECT id, text FROM outbox WHERE instr(text, ?) > 0", (needle,)
            )
        ]
        for row_id, text in rows:
            # A message about them (a claimer's details) loses their name as well.
            if user is not None and user.name.strip():
                text = text.replace(user.name, "***")
            await conn.execute("UPDATE outbox SET text = ? WHERE id = ?", (mask(text), row_id))
    await conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM followers WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM answered_albums WHERE user_id = ?", (user_id,))
    await conn.execute(
        "UPDATE users SET name = '', building = NULL, unit = NULL, phone = NULL, "
        "registered_at = NULL, erased_at = ? WHERE user_id = ?",
        (now_iso(), user_id),
    )
    return len(ids)


async def _rows(conn: aiosqlite.Connection, sql: str, args: tuple[object, ...]) -> list[Request]:
    return [store._request(row) for row in await fetch_all(conn, sql, args)]


async def _one(conn: aiosqlite.Connection, sql: str, *args: object) -> int:
    row = await fetch_one(conn, sql, args)
    return int(row[0]) if row else 0
