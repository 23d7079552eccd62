"""The command menus as plain data: which commands each person sees, in which chats, in which
language. Telegram shows the most specific menu it has: a person's own chat (staff), then
private chats or group chats in the person's language, then the default; the handlers' side
makes the setMyCommands calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import i18n
from bot.directory import Directory
from bot.i18n import t

# Each description is the text command.<name>.
COMMANDS = (  # a resident's, in private chats (and the default)
    "report",
    "wish",
    "my",
    "events",
    "volunteer",
    "points",
    "profile",
    "mydata",
    "forgetme",
    "language",
    "cancel",
    "help",
)
WORKER_COMMANDS = ("queue", "proxy", "transfer", "stats", "poster", "posters", *COMMANDS)
ADMIN_COMMANDS = (
    "queue",
    "invite",
    "invites",
    "staff",
    "proxy",
    "transfer",
    "stats",
    "export",
    "broadcast",
    "poster",
    "posters",
    "events",
    "event_add",
    "event_edit",
    "event_cancel",
    "award",
    "redeem",
    "unlimit",
    "health",
    *(c for c in COMMANDS if c != "events"),
)
GROUP_COMMANDS = ("help",)  # everyone in a group: what the bot does there
GROUP_ADMIN_COMMANDS = ("bind", "help")  # a group's administrators, and our admins there
EVERY_COMMAND = frozenset(
    (*ADMIN_COMMANDS, *WORKER_COMMANDS, *COMMANDS, *GROUP_COMMANDS, *GROUP_ADMIN_COMMANDS)
)


@dataclass(frozen=True)
class Menu:
    """One setMyCommands call; no commands: deleteMyCommands (the wider menu shows again)."""

    scope: dict[str, Any]  # Telegram's BotCommandScope object
    language: str | None
    commands: tuple[tuple[str, str], ...]


def _commands(lang: str, names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, t(lang, f"command.{name}")) for name in names)


def general(group_language: str) -> list[Menu]:
    """Everyone's menus, one set per language (the group language is also the fallback)."""
    menus = []
    for lang in i18n.LANGUAGES:
        code = None if lang == group_language else lang
        menus += [
            Menu({"type": "default"}, code, _commands(lang, COMMANDS)),
            Menu({"type": "all_private_chats"}, code, _commands(lang, COMMANDS)),
            Menu({"type": "all_group_chats"}, code, _commands(lang, GROUP_COMMANDS)),
            Menu({"type": "all_chat_administrators"}, code, _commands(lang, GROUP_ADMIN_COMMANDS)),
        ]
    return menus


def personal(directory: Directory, user_id: int, lang: str, changed: bool = False) -> list[Menu]:
    """A person's own menus: in their private chat by role (nothing of their own for a
    resident), and /bind in each bound group for an admin (`changed`: their role changed just
    now, so a menu they no longer have is taken away too)."""
    staff = directory.staff(user_id)
    names = None
    if staff is not None:
        names = ADMIN_COMMANDS if staff.admin else WORKER_COMMANDS
    menus = [
        Menu(
            {"type": "chat", "chat_id": user_id},
            None,
            _commands(lang, names) if names else (),
        )
    ]
    admin = staff is not None and staff.admin
    for chat in bound_groups(directory) if admin or changed else []:
        menus.append(
            Menu(
                {"type": "chat_member", "chat_id": chat, "user_id": user_id},
                None,
                _commands(lang, GROUP_ADMIN_COMMANDS) if admin else (),
            )
        )
    return menus


def bound_groups(directory: Directory) -> list[int]:
    chats = [g.group_chat_id for g in directory.active_grids]
    chats += [directory.admin_chat_id, directory.wall_chat_id, directory.echo_chat_id]
    return sorted({c for c in chats if c is not None and c < 0})


def staff_ids(directory: Directory) -> list[int]:
    return sorted(directory.admins | {w for g in directory.active_grids for w in g.workers})
