"""Staff tools: invite links that grant a role, the roster with removal, and binding chats.

Every change is one transaction that also writes directory_log (who, when) and the notices it
causes; roles granted here have the source "invite" (or "admin"), so the config file's sync,
which removes only what it granted itself, leaves them standing. A chat bound here stands until
the file changes that same setting.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiosqlite

from bot import reach
from bot.directory import (
    ADMIN,
    ADMIN_CHAT,
    ECHO_CHAT,
    VOLUNTEER,
    WALL_CHAT,
    WORKER,
    Directory,
    DirectoryBook,
)
from bot.i18n import t
from bot.messages import Outgoing, enqueue
from bot.settings import Settings
from storage import clock, outbox, users, volunteers
from storage import directory as directory_store
from storage import staff as store
from storage.db import Database
from storage.staff import Invite, RoleRow

log = logging.getLogger(__name__)

ROLES = (WORKER, VOLUNTEER, ADMIN)
# The deep-link payload: this prefix and 16 characters of A-Za-z0-9_- (Telegram allows 64).
INVITE_PREFIX = "inv-"
INVITE_CODE = re.compile(r"^inv-[A-Za-z0-9_-]{16}$")
INVITE_SOURCE = "invite"
ADMIN_SOURCE = "admin"
# What /bind takes: the purpose of a chat, as the directory's chats table names it.
BIND_CHATS = {"wall": WALL_CHAT, "admin": ADMIN_CHAT, "echo": ECHO_CHAT}
# The text keys: a role, why a link grants nothing, a chat bound, a chat's purpose.
ROLE_KEYS = {VOLUNTEER: "staff.role_volunteer", ADMIN: "staff.role_admin"}
STATE_KEYS = {
    "revoked": "staff.invite_revoked",
    "expired": "staff.invite_expired",
    "used": "staff.invite_used",
}
BOUND_KEYS = {"wall": "staff.bound_wall", "admin": "staff.bound_admin", "echo": "staff.bound_echo"}
CHAT_KEYS = {
    "grid": "staff.chat_grid",
    "wall": "staff.chat_wall",
    "admin": "staff.chat_admin",
    "echo": "staff.chat_echo",
}


@dataclass(frozen=True)
class Result:
    """What happened, as a text key and its parameters (the handler says it)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    invite: Invite | None = None
    ok: bool = False


def role_name(lang: str, directory: Directory, role: str, grid_key: str) -> str:
    """ "grid worker of Grid A", "volunteer", "admin" in the reader's words."""
    if role == WORKER:
        grid = directory.grid(grid_key)
        return t(lang, "staff.role_worker", grid=grid.name if grid else grid_key)
    return t(lang, ROLE_KEYS[role])


def new_code() -> str:
    return INVITE_PREFIX + secrets.token_urlsafe(12)


class StaffDesk:
    def __init__(self, db: Database, settings: Settings, book: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._book = book

    @property
    def directory(self) -> Directory:
        return self._book.current

    # --- invites ------------------------------------------------------------------------

    async def invite(self, admin_id: int, role: str, grid_key: str, multi: bool) -> Result:
        """A new invite link for a role (a worker's names the grid)."""
        directory = self.directory
        if not directory.is_admin(admin_id):
            return Result("staff.admins_only")
        if role not in ROLES or (role == WORKER) != bool(grid_key):
            return Result("staff.invite_usage")
        if role == WORKER:
            grid = directory.grid(grid_key)
            if grid is None or not grid.active:
                grids = ", ".join(f"{g.id} ({g.name})" for g in directory.active_grids)
                return Result("staff.no_such_grid", {"grid": grid_key, "grids": grids})
        expires = clock.now() + timedelta(days=self._settings.staff.invite_days)
        async with self._db.transaction() as conn:
            invite = await store.add_invite(
                conn, new_code(), role, grid_key, None if multi else 1, admin_id, expires
            )
            await directory_store.log_change(
                conn,
                f"invite {invite.id} made for {role}"
                + (f" of grid {grid_key}" if grid_key else "")
                + (", any number of people" if multi else ", one person"),
                admin_id,
                ADMIN_SOURCE,
            )
        return Result("staff.invite_made", invite=invite, ok=True)

    async def live_invites(self) -> list[Invite]:
        async with self._db.read() as conn:
            return await store.live_invites(conn, clock.now())

    async def revoke(self, admin_id: int, invite_id: int) -> Result:
        if not self.directory.is_admin(admin_id):
            return Result("staff.admins_only")
        async with self._db.transaction() as conn:
            invite = await store.invite_by_id(conn, invite_id)
            if invite is None:
                return Result("error.stale_button")
            if invite.state(clock.now()) != "live" or not await store.revoke_invite(
                conn, invite_id, admin_id
            ):
                return Result("staff.invite_not_live", {"id": invite_id})
            await directory_store.log_change(
                conn, f"invite {invite_id} revoked", admin_id, ADMIN_SOURCE
            )
        return Result("staff.revoked_ok", {"id": invite_id}, ok=True)

    async def open(self, user_id: int, code: str) -> Result:
        """Someone opened an invite link: what it offers, or why it offers nothing."""
        if not INVITE_CODE.match(code):
            return Result("staff.invite_unknown")
        async with self._db.transaction() as conn:
            invite = await store.invite_by_code(conn, code)
            if invite is None:
                return Result("staff.invite_unknown")
            state = invite.state(clock.now())
            if state != "live":
                return Result(STATE_KEYS[state], invite=invite)
            if self._holds(user_id, invite):
                return Result("staff.invite_already", invite=invite)
            if invite.role == WORKER and not self._grid_active(invite.grid_key):
                return Result("staff.invite_unknown")
            await store.opened(conn, invite.id, user_id)
            inviter = await users.get(conn, invite.created_by)
        name = inviter.name if inviter else str(invite.created_by)
        return Result("staff.invite_offer", {"inviter": name}, invite=invite, ok=True)

    async def accept(self, user_id: int, name: str, invite_id: int) -> Result:
        """The invited person pressed Accept: the role is theirs, once, if the link still
        works; the one who made the link is told."""
        now = clock.now()
        async with self._db.transaction() as conn:
            invite = await store.invite_by_id(conn, invite_id)
            if invite is None or not await store.was_opened_by(conn, invite_id, user_id):
                return Result("error.stale_button")
            state = invite.state(now)
            if state != "live":
                return Result(STATE_KEYS[state], invite=invite)
            if self._holds(user_id, invite):
                return Result("staff.invite_already", invite=invite)
            if invite.role == WORKER and not self._grid_active(invite.grid_key):
                return Result("staff.invite_unknown")
            if not await store.use_invite(conn, invite_id, user_id, now):
                return Result("staff.invite_used", invite=invite)
            await directory_store.grant(
                conn, user_id, invite.role, invite.grid_key, INVITE_SOURCE, invite.created_by
            )
            if invite.role == VOLUNTEER:
                await volunteers.put(conn, user_id, name, "other", invite.created_by)
            where = f" to grid {invite.grid_key}" if invite.grid_key else ""
            await directory_store.log_change(
                conn,
                f"{invite.role} {user_id} ({name}) added{where} by invite {invite_id} "
                f"of {invite.created_by}",
                user_id,
                INVITE_SOURCE,
            )
            lang = await self._lang(conn, invite.created_by)
            role = role_name(lang, self.directory, invite.role, invite.grid_key)
            await enqueue(
                conn,
                Outgoing(
                    invite.created_by,
                    t(lang, "staff.invite_accepted_by", name=name, role=role, id=invite_id),
                ),
            )
        await self._book.reload()
        return Result("staff.invite_welcome", invite=invite, ok=True)

    async def decline(self, user_id: int, invite_id: int) -> Result:
        async with self._db.read() as conn:
            if not await store.was_opened_by(conn, invite_id, user_id):
                return Result("error.stale_button")
        return Result("staff.invite_declined", ok=True)

    def _holds(self, user_id: int, invite: Invite) -> bool:
        directory = self.directory
        if invite.role == ADMIN:
            return directory.is_admin(user_id)
        if invite.role == VOLUNTEER:
            return directory.is_volunteer(user_id)
        grid = directory.grid(invite.grid_key)
        return grid is not None and user_id in grid.workers

    def _grid_active(self, key: str) -> bool:
        grid = self.directory.grid(key)
        return grid is not None and grid.active

    # --- the roster -------------------------------------------------------------------------

    async def roster(self) -> list[RoleRow]:
        async with self._db.read() as conn:
            return await store.roster(conn)

    async def role(self, ref: int, user_id: int) -> RoleRow | None:
        async with self._db.read() as conn:
            row = await store.role_row(conn, ref)
        return row if row is not None and row.user_id == user_id else None

    async def remove(self, admin_id: int, ref: int, user_id: int) -> Result:
        """Take one role from a person (asked to confirm first); they are told."""
        if not self.directory.is_admin(admin_id):
            return Result("staff.admins_only")
        async with self._db.transaction() as conn:
            row = await store.role_row(conn, ref)
            if row is None or row.user_id != user_id:
                return Result("staff.role_gone")
            if row.role == ADMIN and len(self.directory.admins) <= 1:
                return Result("staff.last_admin")
            await store.remove_role(conn, ref, user_id)
            if row.role == VOLUNTEER:
                await store.end_volunteer(conn, user_id, admin_id)
            where = f" from grid {row.grid_key}" if row.grid_key else ""
            await directory_store.log_change(
                conn, f"{row.role} {user_id} removed{where}", admin_id, ADMIN_SOURCE
            )
            lang = await self._lang(conn, user_id)
            role = role_name(lang, self.directory, row.role, row.grid_key)
            await enqueue(conn, Outgoing(user_id, t(lang, "staff.role_taken", role=role)))
        await self._book.reload()
        return Result("staff.removed", {"name": row.name or str(user_id)}, ok=True)

    # --- chats ---------------------------------------------------------------------------

    async def bind(
        self, admin_id: int, chat_id: int, what: str, grid_key: str, title: str
    ) -> Result:
        """Make this group the grid's group, the wish wall, the admin chat or the echo wall."""
        directory = self.directory
        if not directory.is_admin(admin_id):
            return Result("staff.admins_only")
        grid = directory.grid(grid_key)
        if what == "grid":
            if grid is None or not grid.active:
                grids = ", ".join(f"{g.id} ({g.name})" for g in directory.active_grids)
                return Result("staff.no_such_grid", {"grid": grid_key, "grids": grids})
        elif what not in BIND_CHATS or grid_key:
            return Result("staff.bind_usage")
        async with self._db.transaction() as conn:
            old_admin_chat = directory.admin_chat_id
            if grid is not None:
                others = await store.bind_grid(conn, grid_key, chat_id, admin_id)
                for other in others:
                    await directory_store.log_change(
                        conn, f"grid {other} group {chat_id} unbound", admin_id, ADMIN_SOURCE
                    )
                change = f"grid {grid_key} group set to {chat_id} ({title})"
                key, params = "staff.bound_grid", {"grid": grid.name, "others": ", ".join(others)}
            else:
                await directory_store.put_chat(conn, BIND_CHATS[what], chat_id, admin_id)
                change = f"{_CHAT_NAMES[what]} set to {chat_id} ({title})"
                key, params = BOUND_KEYS[what], {}
            await directory_store.log_change(conn, change, admin_id, ADMIN_SOURCE)
            # The group speaks: whatever was held for it (the bot was away) goes now.
            await outbox.release_chat(conn, chat_id)
            if old_admin_chat is not None and old_admin_chat != chat_id:
                lang = self._settings.community.group_language
                what_name = t(lang, CHAT_KEYS[what], grid=grid.name if grid else "")
                await enqueue(
                    conn,
                    Outgoing(
                        old_admin_chat,
                        t(lang, "staff.bound_note", what=what_name, title=title, chat=chat_id),
                    ),
                )
        await self._book.reload()
        return Result(key, params, ok=True)

    async def removed_from(self, chat_id: int, reason: str) -> bool:
        """Telegram says the bot left or was removed from a group: if the group had a purpose
        here, hold its messages and send them the next way (a grid's workers privately, else
        the admin chat), and tell the admin chat. The binding stays, so that adding the bot
        back (and someone writing there) brings everything held; /bind elsewhere replaces it."""
        directory = self.directory
        lang = self._settings.community.group_language
        async with self._db.transaction() as conn:
            migrations = await outbox.chat_migrations(conn)
            # The group as the directory names it: maybe by its id before it became a supergroup.
            chats = {chat_id, *(old for old, new in migrations.items() if new == chat_id)}
            roles = [
                t(lang, "staff.chat_grid", grid=g.name)
                for g in directory.active_grids
                if g.group_chat_id in chats
            ]
            for what, chat in (
                ("wall", directory.wall_chat_id),
                ("admin", directory.admin_chat_id),
                ("echo", directory.echo_chat_id),
            ):
                if chat in chats:
                    roles.append(t(lang, CHAT_KEYS[what], grid=""))
            if not roles:
                return False
            await directory_store.log_change(
                conn, f"the bot was removed from chat {chat_id}: {reason}", None, "telegram"
            )
            await reach.hold_chat(
                conn,
                directory,
                self._settings,
                chat_id,
                reason,
                note=("staff.removed_from_chat", {"what": ", ".join(roles)}),
            )
        return True

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language


_CHAT_NAMES = {"wall": "wish wall", "admin": "admin chat", "echo": "echo wall"}
