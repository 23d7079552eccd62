"""Half-filled wizards, saved at every step so a restart resumes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.db import now_iso


@dataclass(frozen=True)
class Dialog:
    user_id: int
    flow: str
    step: str
    data: dict[str, Any]


async def get(conn: aiosqlite.Connection, user_id: int) -> Dialog | None:
    async with conn.execute("SELECT * FROM dialogs WHERE user_id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return Dialog(row["user_id"], row["flow"], row["step"], json.loads(row["data"]))


async def save(conn: aiosqlite.Connection, dialog: Dialog) -> None:
    await conn.execute(
        "INSERT INTO dialogs (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
        "data = excluded.data, updated_at = excluded.updated_at",
        (dialog.user_id, dialog.flow, dialog.step, json.dumps(dialog.data), now_iso()),
    )


async def delete(conn: aiosqlite.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,))
