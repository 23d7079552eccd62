"""The directory tables: grids, buildings, categories, roles, purpose chats and their log."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.db import fetch_all, fetch_one, now_iso

# Who changed a row: a person (their Telegram id) or the config file's sync (None).
Changer = int | None


async def log_change(
    conn: aiosqlite.Connection, change: str, actor_id: Changer, source: str
) -> None:
    await conn.execute(
        "INSERT INTO directory_log (at, actor_id, source, change) VALUES (?, ?, ?, ?)",
        (now_iso(), actor_id, source, change),
    )


async def changes(conn: aiosqlite.Connection, limit: int = 100) -> list[aiosqlite.Row]:
    return list(
        await fetch_all(conn, "SELECT * FROM directory_log ORDER BY id DESC LIMIT ?", (limit,))
    )


async def grids(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    return list(await fetch_all(conn, "SELECT * FROM grids ORDER BY rowid"))


async def buildings(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    return list(await fetch_all(conn, "SELECT * FROM buildings ORDER BY id"))


async def categories(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    return list(await fetch_all(conn, "SELECT * FROM categories ORDER BY id"))


async def roles(conn: aiosqlite.Connection) -> list[aiosqlite.Row]:
    return list(await fetch_all(conn, "SELECT * FROM roles ORDER BY granted_at, user_id"))


async def chats(conn: aiosqlite.Connection) -> dict[str, int]:
    return {
        row["purpose"]: row["chat_id"]
        for row in await fetch_all(conn, "SELECT purpose, chat_id FROM chats")
    }


async def put_grid(
    conn: aiosqlite.Connection, key: str, name: str, group_chat_id: int | None, by: Changer
) -> None:
    await conn.execute(
        "INSERT INTO grids (key, name, group_chat_id, active, changed_by, changed_at) "
        "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (key) DO UPDATE SET name = excluded.name, "
        "group_chat_id = excluded.group_chat_id, active = 1, changed_by = excluded.changed_by, "
        "changed_at = excluded.changed_at",
        (key, name, group_chat_id, by, now_iso()),
    )


async def retire_grid(conn: aiosqlite.Connection, key: str, by: Changer) -> None:
    await conn.execute(
        "UPDATE grids SET active = 0, changed_by = ?, changed_at = ? WHERE key = ?",
        (by, now_iso(), key),
    )


async def put_building(conn: aiosqlite.Connection, name: str, grid_key: str, by: Changer) -> None:
    """Add a building, or bring it back / move it to `grid_key`: its id never changes."""
    await conn.execute(
        "INSERT INTO buildings (name, grid_key, active, changed_by, changed_at) "
        "VALUES (?, ?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET grid_key = excluded.grid_key, "
        "active = 1, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (name, grid_key, by, now_iso()),
    )


async def retire_building(conn: aiosqlite.Connection, name: str, by: Changer) -> None:
    await conn.execute(
        "UPDATE buildings SET active = 0, changed_by = ?, changed_at = ? WHERE name = ?",
        (by, now_iso(), name),
    )


async def put_category(
    conn: aiosqlite.Connection, kind: str, key: str, fields: dict[str, Any], by: Changer
) -> None:
    """Add or change a category; `fields` has its names, and optionally deadlines (hours)
    and the points a fulfilled request of it earns."""
    await conn.execute(
        "INSERT INTO categories (kind, key, name_zh, name_en, claim_hours, resolve_hours, "
        "points, active, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
        "ON CONFLICT (kind, key) DO UPDATE SET name_zh = excluded.name_zh, "
        "name_en = excluded.name_en, claim_hours = excluded.claim_hours, "
        "resolve_hours = excluded.resolve_hours, points = excluded.points, active = 1, "
        "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (
            kind,
            key,
            fields["name_zh"],
            fields["name_en"],
            fields.get("claim_hours"),
            fields.get("resolve_hours"),
            fields.get("points", 0),
            by,
            now_iso(),
        ),
    )


async def retire_category(conn: aiosqlite.Connection, kind: str, key: str, by: Changer) -> None:
    await conn.execute(
        "UPDATE categories SET active = 0, changed_by = ?, changed_at = ? "
        "WHERE kind = ? AND key = ?",
        (by, now_iso(), kind, key),
    )


async def grant(
    conn: aiosqlite.Connection, user_id: int, role: str, grid_key: str, source: str, by: Changer
) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO roles (user_id, role, grid_key, source, granted_by, granted_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, role, grid_key, source, by, now_iso()),
    )
    return cur.rowcount == 1


async def revoke(
    conn: aiosqlite.Connection, user_id: int, role: str, grid_key: str, source: str | None = None
) -> bool:
    """Remove a role; with `source`, only if it came from there."""
    sql = "DELETE FROM roles WHERE user_id = ? AND role = ? AND grid_key = ?"
    params: tuple[Any, ...] = (user_id, role, grid_key)
    if source is not None:
        sql += " AND source = ?"
        params += (source,)
    cur = await conn.execute(sql, params)
    return cur.rowcount == 1


async def put_chat(
    conn: aiosqlite.Connection, purpose: str, chat_id: int | None, by: Changer
) -> None:
    if chat_id is None:
        await conn.execute("DELETE FROM chats WHERE purpose = ?", (purpose,))
        return
    await conn.execute(
        "INSERT INTO chats (purpose, chat_id, changed_by, changed_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (purpose) DO UPDATE SET chat_id = excluded.chat_id, "
        "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (purpose, chat_id, by, now_iso()),
    )


async def applied_config(conn: aiosqlite.Connection) -> dict[str, Any] | None:
    """The config directory as last applied, or None before the first sync."""
    row = await fetch_one(conn, "SELECT snapshot FROM config_applied WHERE id = 1")
    return json.loads(row[0]) if row else None


async def save_applied_config(conn: aiosqlite.Connection, snapshot: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO config_applied (id, snapshot, at) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, at = excluded.at",
        (json.dumps(snapshot, ensure_ascii=False, sort_keys=True), now_iso()),
    )


async def open_requests(
    conn: aiosqlite.Connection, column: str, value: str, final: tuple[str, ...]
) -> list[aiosqlite.Row]:
    """Requests of a building or grid (`column`) not yet in one of the `final` statuses."""
    assert column in ("building", "grid_id")
    marks = ",".join("?" * len(final))
    return list(
        await fetch_all(
            conn,
            f"SELECT kind, seq FROM requests WHERE {column} = ? AND status NOT IN ({marks}) "
            "ORDER BY id",
            (value, *final),
        )
    )


async def grid_group(conn: aiosqlite.Connection, key: str) -> int | None:
    """The group chat a grid has now (set by the config file or bound at runtime)."""
    row = await fetch_one(conn, "SELECT group_chat_id FROM grids WHERE key = ?", (key,))
    return row[0] if row else None
