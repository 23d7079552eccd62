"""Residents and everyone else who has written to the bot."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.db import fetch_all, fetch_one, now_iso


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    lang: str
    building: str | None
    unit: str | None
    phone: str | None
    registered: bool


def _user(row: aiosqlite.Row) -> User:
    return User(
        user_id=row["user_id"],
        name=row["name"],
        lang=row["lang"],
        building=row["building"],
        unit=row["unit"],
        phone=row["phone"],
        registered=row["registered_at"] is not None,
    )


async def get(conn: aiosqlite.Connection, user_id: int) -> User | None:
    row = await fetch_one(conn, "SELECT * FROM users WHERE user_id = ?", (user_id,))
    return _user(row) if row else None


async def get_and_held(
    conn: aiosqlite.Connection, user_id: int, chat_id: int
) -> tuple[User | None, bool]:
    """The user's row (None if unknown) and whether messages are held for `chat_id` (the
    outbox's unreachable chats), in one query."""
    row = await fetch_one(
        conn,
        "SELECT u.*, EXISTS (SELECT 1 FROM unreachable_chats WHERE chat_id = ?) AS held "
        "FROM (SELECT ? AS id) k LEFT JOIN users u ON u.user_id = k.id",
        (chat_id, user_id),
    )
    if row is None:
        return None, False
    return (_user(row) if row["user_id"] is not None else None), bool(row["held"])


async def ensure(conn: aiosqlite.Connection, user_id: int, name: str, lang: str) -> User:
    """The user's row, created on first contact with their Telegram language; name kept fresh."""
    await conn.execute(
        "INSERT INTO users (user_id, name, lang, created_at) VALUES (?, ?, ?, ?) "
        # Someone who asked to be forgotten is not named again until they register again.
        "ON CONFLICT (user_id) DO UPDATE SET name = CASE WHEN users.erased_at IS NULL "
        "OR users.registered_at IS NOT NULL THEN excluded.name ELSE users.name END",
        (user_id, name, lang, now_iso()),
    )
    user = await get(conn, user_id)
    assert user is not None
    return user


async def residents(conn: aiosqlite.Connection) -> list[User]:
    """Everyone registered as a resident."""
    return [
        _user(row)
        for row in await fetch_all(
            conn, "SELECT * FROM users WHERE registered_at IS NOT NULL ORDER BY user_id"
        )
    ]


async def set_lang(conn: aiosqlite.Connection, user_id: int, lang: str) -> None:
    await conn.execute("UPDATE users SET lang = ? WHERE user_id = ?", (lang, user_id))


async def register(
    conn: aiosqlite.Connection, user_id: int, building: str, unit: str, phone: str | None
) -> None:
    await conn.execute(
        "UPDATE users SET building = ?, unit = ?, phone = ?, "
        "registered_at = COALESCE(registered_at, ?) WHERE user_id = ?",
        (building, unit, phone, now_iso(), user_id),
    )
