"""Half-filled wizards, saved at every step so a restart resumes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import fetch_one, iso, now_iso


@dataclass(frozen=True)
class Dialog:
    user_id: int
    flow: str
    step: str
    data: dict[str, Any]
    # Changes at every saved step; the step's buttons carry it, so an older button is stale.
    nonce: int = 0
    # The wizard this one interrupted: it is asked again when this one ends.
    suspended: Dialog | None = None


def _pack(dialog: Dialog) -> str:
    return json.dumps(
        {"flow": dialog.flow, "step": dialog.step, "data": dialog.data, "nonce": dialog.nonce}
    )


def _unpack(user_id: int, text: str | None) -> Dialog | None:
    if not text:
        return None
    raw = json.loads(text)
    return Dialog(user_id, raw["flow"], raw["step"], raw["data"], int(raw.get("nonce", 0)))


async def get(conn: aiosqlite.Connection, user_id: int) -> Dialog | None:
    row = await fetch_one(conn, "SELECT * FROM dialogs WHERE user_id = ?", (user_id,))
    if row is None:
        return None
    return Dialog(
        row["user_id"],
        row["flow"],
        row["step"],
        json.loads(row["data"]),
        row["nonce"],
        _unpack(row["user_id"], row["suspended"]),
    )


async def save(conn: aiosqlite.Connection, dialog: Dialog) -> None:
    suspended = _pack(dialog.suspended) if dialog.suspended else None
    await conn.execute(
        "INSERT INTO dialogs (user_id, flow, step, data, nonce, suspended, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
        "data = excluded.data, nonce = excluded.nonce, suspended = excluded.suspended, "
        "updated_at = excluded.updated_at",
        (
            dialog.user_id,
            dialog.flow,
            dialog.step,
            json.dumps(dialog.data),
            dialog.nonce,
            suspended,
            now_iso(),
        ),
    )


async def delete(conn: aiosqlite.Connection, user_id: int) -> None:
    """Forget the wizard and whatever it interrupted."""
    await conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))


async def close(conn: aiosqlite.Connection, user_id: int) -> Dialog | None:
    """End the open wizard; the one it interrupted (if any) is open again and returned."""
    current = await get(conn, user_id)
    if current is None or current.suspended is None:
        await delete(conn, user_id)
        return None
    await save(conn, current.suspended)
    return current.suspended


async def album_answered(conn: aiosqlite.Connection, user_id: int, media_group_id: str) -> bool:
    return (
        await fetch_one(
            conn,
            "SELECT 1 FROM answered_albums WHERE user_id = ? AND media_group_id = ?",
            (user_id, media_group_id),
        )
        is not None
    )


async def answer_album(conn: aiosqlite.Connection, user_id: int, media_group_id: str) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO answered_albums (user_id, media_group_id, at) VALUES (?, ?, ?)",
        (user_id, media_group_id, now_iso()),
    )


async def prune_albums(conn: aiosqlite.Connection, before: datetime) -> int:
    cur = await conn.execute("DELETE FROM answered_albums WHERE at < ?", (iso(before),))
    return cur.rowcount
