"""A chat that refuses the bot: hold what is owed to it, post each held message's fallback (a
grid group's cards go to its workers privately, else to the admin chat), and tell the admin
chat once. Used by the delivery loop (a send refused) and when Telegram says the bot was
removed from a group; the chat gets its messages again as soon as it writes to the bot."""

from __future__ import annotations

import logging
from typing import Any

import aiosqlite

from bot.directory import Directory
from bot.i18n import t
from bot.messages import Outgoing, enqueue, enqueue_fallbacks
from bot.settings import Settings
from storage import outbox

log = logging.getLogger(__name__)


async def hold_chat(
    conn: aiosqlite.Connection,
    directory: Directory,
    settings: Settings,
    chat_id: int,
    reason: str,
    first: outbox.OutboxRow | None = None,
    note: tuple[str, dict[str, Any]] | None = None,
) -> bool:
    """Hold the chat's messages and post their fallbacks; True if it was reachable until now.

    `first` is a row already taken from the queue (its fallbacks go out too); `note` is the
    text key and parameters the admin chat is told, once, when a group becomes unreachable.
    """
    log.info("chat %s refuses delivery (%s); holding its messages", chat_id, reason)
    waiting = await outbox.pending_for_chat(conn, chat_id)
    newly = await outbox.hold_chat(conn, chat_id, reason)
    rows = [first] if first is not None else []
    for held in [*rows, *(w for w in waiting if first is None or w.id != first.id)]:
        await enqueue_fallbacks(conn, held.fallbacks)
    if newly and chat_id < 0:
        migrations = await outbox.chat_migrations(conn)
        grid = directory.grid_of_chat(chat_id, migrations)
        key, params = note or (_unreachable_key(directory, chat_id, migrations), {})
        params = {"chat": chat_id, "grid": grid.name if grid else "—", "reason": reason} | params
        await tell_admins(conn, directory, settings, chat_id, key, **params)
    return newly


def _unreachable_key(directory: Directory, chat_id: int, migrations: dict[int, int]) -> str:
    """What the admins read about a chat that refuses the bot: which chat it is decides where
    its messages go meanwhile."""
    for key, configured in (
        ("admin.admin_chat_unreachable", directory.admin_chat_id),
        ("admin.wall_unreachable", directory.wall_chat_id),
        ("admin.echo_unreachable", directory.echo_chat_id),
    ):
        if configured is not None and chat_id == migrations.get(configured, configured):
            return key
    return "admin.group_unreachable"


async def tell_admins(
    conn: aiosqlite.Connection,
    directory: Directory,
    settings: Settings,
    about_chat: int,
    key: str,
    **params: Any,
) -> None:
    """A note to the admin chat (in the group language); if it is the chat that refuses the
    bot (or refuses it too, or there is none), to each admin privately."""
    text = t(settings.community.group_language, key, **params)
    privately = tuple(
        Outgoing(admin, text) for admin in sorted(directory.admins) if admin != about_chat
    )
    admin_chat = directory.admin_chat_id
    if admin_chat is not None:
        admin_chat = (await outbox.chat_migrations(conn)).get(admin_chat, admin_chat)
    if admin_chat is None or admin_chat == about_chat:
        for message in privately:
            await enqueue(conn, message)
        return
    await enqueue(conn, Outgoing(admin_chat, text, fallback=privately))
