"""Staff tools: invites, the roles as a roster, and binding chats (directory tables too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, now_iso, parse_iso


@dataclass(frozen=True)
class Invite:
    id: int
    code: str
    role: str
    grid_key: str
    max_uses: int | None
    uses: int
    created_by: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """live | revoked | expired | used."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used"
        return "live"


@dataclass(frozen=True)
class RoleRow:
    """One grant of a role; `ref` (the row's rowid) names it on a button."""

    ref: int
    user_id: int
    role: str
    grid_key: str
    source: str
    granted_by: int | None
    granted_at: str
    name: str | None  # as the person last showed themselves to the bot


def _invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        id=row["id"],
        code=row["code"],
        role=row["role"],
        grid_key=row["grid_key"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        created_by=row["created_by"],
        created_at=parse_iso(row["created_at"]),
        expires_at=parse_iso(row["expires_at"]),
        revoked_at=parse_iso(row["revoked_at"]) if row["revoked_at"] else None,
    )


async def add_invite(
    conn: aiosqlite.Connection,
    code: str,
    role: str,
    grid_key: str,
    max_uses: int | None,
    by: int,
    expires_at: datetime,
) -> Invite:
    cur = await conn.execute(
        "INSERT INTO invites (code, role, grid_key, max_uses, created_by, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (code, role, grid_key, max_uses, by, now_iso(), iso(expires_at)),
    )
    invite = await invite_by_id(conn, cur.lastrowid or 0)
    assert invite is not None
    return invite


async def invite_by_code(conn: aiosqlite.Connection, code: str) -> Invite | None:
    row = await fetch_one(conn, "SELECT * FROM invites WHERE code = ?", (code,))
    return _invite(row) if row else None


async def invite_by_id(conn: aiosqlite.Connection, invite_id: int) -> Invite | None:
    row = await fetch_one(conn, "SELECT * FROM invites WHERE id = ?", (invite_id,))
    return _invite(row) if row else None


async def live_invites(conn: aiosqlite.Connection, now: datetime) -> list[Invite]:
    """Invites that can still be used, oldest first."""
    return [
        _invite(row)
        for row in await fetch_all(
            conn,
            "SELECT * FROM invites WHERE revoked_at IS NULL AND expires_at > ? "
            "AND (max_uses IS NULL OR uses < max_uses) ORDER BY id",
            (iso(now),),
        )
    ]


async def revoke_invite(conn: aiosqlite.Connection, invite_id: int, by: int) -> bool:
    cur = await conn.execute(
        "UPDATE invites SET revoked_by = ?, revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (by, now_iso(), invite_id),
    )
    return cur.rowcount == 1


async def opened(conn: aiosqlite.Connection, invite_id: int, user_id: int) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO invite_opens (invite_id, user_id, opened_at) VALUES (?, ?, ?)",
        (invite_id, user_id, now_iso()),
    )


async def use_invite(
    conn: aiosqlite.Connection, invite_id: int, user_id: int, now: datetime
) -> bool:
    """Count one use, if the person opened it, has not used it yet, and it is still live: the
    conditional UPDATE decides a race for the last use."""
    cur = await conn.execute(
        "UPDATE invite_opens SET accepted_at = ? "
        "WHERE invite_id = ? AND user_id = ? AND accepted_at IS NULL",
        (iso(now), invite_id, user_id),
    )
    if cur.rowcount != 1:
        return False
    cur = await conn.execute(
        "UPDATE invites SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL "
        "AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)",
        (invite_id, iso(now)),
    )
    return cur.rowcount == 1


async def was_opened_by(conn: aiosqlite.Connection, invite_id: int, user_id: int) -> bool:
    return (
        await fetch_one(
            conn,
            "SELECT 1 FROM invite_opens WHERE invite_id = ? AND user_id = ? "
            "AND accepted_at IS NULL",
            (invite_id, user_id),
        )
        is not None
    )


async def roster(conn: aiosqlite.Connection) -> list[RoleRow]:
    """Every grant of a role, by role, grid and when it was granted, with the person's name."""
    async with conn.execute(
        "SELECT r.rowid AS ref, r.*, u.name FROM roles r "
        "LEFT JOIN users u ON u.user_id = r.user_id "
        "ORDER BY r.role, r.grid_key, r.granted_at, r.user_id"
    ) as cur:
        return [
            RoleRow(
                ref=row["ref"],
                user_id=row["user_id"],
                role=row["role"],
                grid_key=row["grid_key"],
                source=row["source"],
                granted_by=row["granted_by"],
                granted_at=row["granted_at"],
                name=row["name"],
            )
            for row in await cur.fetchall()
        ]


async def role_row(conn: aiosqlite.Connection, ref: int) -> RoleRow | None:
    return next((r for r in await roster(conn) if r.ref == ref), None)


async def remove_role(conn: aiosqlite.Connection, ref: int, user_id: int) -> bool:
    cur = await conn.execute("DELETE FROM roles WHERE rowid = ? AND user_id = ?", (ref, user_id))
    return cur.rowcount == 1


async def bind_grid(conn: aiosqlite.Connection, key: str, chat_id: int, by: int) -> list[str]:
    """Make chat_id the grid's group; other grids that had it lose it (returned)."""
    others = [
        row[0]
        for row in await fetch_all(
            conn, "SELECT key FROM grids WHERE group_chat_id = ? AND key != ?", (chat_id, key)
        )
    ]
    await conn.execute(
        "UPDATE grids SET group_chat_id = NULL, changed_by = ?, changed_at = ? "
        "WHERE group_chat_id = ? AND key != ?",
        (by, now_iso(), chat_id, key),
    )
    await conn.execute(
        "UPDATE grids SET group_chat_id = ?, changed_by = ?, changed_at = ? WHERE key = ?",
        (chat_id, by, now_iso(), key),
    )
    return others


async def end_volunteer(conn: aiosqlite.Connection, user_id: int, by: int) -> None:
    """A volunteer's role was taken away: their record says so (they may apply again)."""
    await conn.execute(
        "UPDATE volunteers SET status = 'declined', decided_by = ?, decided_at = ? "
        "WHERE user_id = ? AND status = 'approved'",
        (by, now_iso(), user_id),
    )
