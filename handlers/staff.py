"""Staff tools for admins: /invite links (and opening one), /invites with Revoke, /staff with
Remove, /bind in a group, and noticing when the bot is removed from a group."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    filters,
)

from bot import callbacks, menus, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.directory import ADMIN, VOLUNTEER, WORKER
from bot.i18n import t
from bot.messages import Button, Keyboard
from bot.staff import INVITE_PREFIX, Result, role_name
from handlers.common import (
    answer,
    edit,
    lang_of,
    private_press,
    say,
    set_menus,
)
from storage.staff import Invite, RoleRow

log = logging.getLogger(__name__)

PAGE_SIZE = 8  # invites or roles on one page, each with its button
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def _role(context: BotContext, lang: str, role: str, grid_key: str) -> str:
    return role_name(lang, context.directory, role, grid_key)


async def _refresh_menus(context: BotContext, user_id: int) -> None:
    """A person's role changed: their own command menus follow at once."""
    person = await context.services.people.get(user_id)
    lang = person.lang if person else context.settings.community.group_language
    await set_menus(context.bot, menus.personal(context.directory, user_id, lang, changed=True))


# --- invites ------------------------------------------------------------------------------


async def invite(update: Update, context: BotContext) -> None:
    """/invite worker GRID | volunteer | admin [multi]: a link to forward (admins only)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    words = (message.text or "").split()[1:]
    multi = bool(words) and words[-1].lower() == "multi"
    if multi:
        words = words[:-1]
    role = words[0].lower() if words else ""
    grid_key = words[1] if len(words) == 2 else ""
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "staff.admins_only"))
        return
    if not words or len(words) > 2:
        await say(context, user.id, t(lang, "staff.invite_usage"))
        return
    result = await context.services.staff.invite(user.id, role, grid_key, multi)
    if result.invite is None:
        await say(context, user.id, t(lang, result.key, **result.params))
        return
    made = result.invite
    link = f"https://t.me/{context.bot.username}?start={made.code}"
    text = t(
        lang,
        "staff.invite_made",
        id=made.id,
        role=_role(context, lang, made.role, made.grid_key),
        uses=t(lang, "staff.invite_many" if multi else "staff.invite_one"),
        until=render.when(context.settings, lang, made.expires_at),
        link=link,
    )
    revoke = [[Button(t(lang, "staff.revoke_button", id=made.id), _revoke(made.id))]]
    await say(context, user.id, text, revoke)


def _revoke(invite_id: int) -> Callback:
    return Callback(Verb.INVITE_REVOKE, invite_id)


async def invites(update: Update, context: BotContext) -> None:
    """/invites: the links that still work, each with ✖️ Revoke (admins only)."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "staff.admins_only"))
        return
    text, buttons = await _invites_page(context, lang, 0)
    await say(context, user.id, text, buttons)


async def _invites_page(context: BotContext, lang: str, page: int) -> tuple[str, Keyboard]:
    live = await context.services.staff.live_invites()
    if not live:
        return t(lang, "staff.invites_none"), []
    pages = max(1, -(-len(live) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = live[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [t(lang, "staff.invites_header", n=len(live))]
    lines += [_invite_line(context, lang, i) for i in shown]
    text = "\n".join(lines) + render.page_line(lang, page, pages)
    buttons: Keyboard = [
        [Button(t(lang, "staff.revoke_button", id=i.id), _revoke(i.id))] for i in shown
    ]
    nav = render.page_buttons(lang, page, pages, lambda p: Callback(Verb.INVITES_PAGE, p))
    return text, buttons + ([nav] if nav else [])


def _invite_line(context: BotContext, lang: str, made: Invite) -> str:
    used = (
        t(lang, "staff.used_of", uses=made.uses, max=made.max_uses)
        if made.max_uses is not None
        else t(lang, "staff.used", uses=made.uses)
    )
    return t(
        lang,
        "staff.invite_item",
        id=made.id,
        role=_role(context, lang, made.role, made.grid_key),
        used=used,
        until=render.when(context.settings, lang, made.expires_at),
    )


async def invites_button(update: Update, context: BotContext) -> None:
    """✖️ Revoke #n, or a page of /invites: the list then shows what is live now."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    if not context.directory.is_admin(actor.user_id):
        await answer(query, t(lang, "staff.admins_only"), alert=True)
        return
    page = 0
    if data.verb is Verb.INVITE_REVOKE:
        result = await context.services.staff.revoke(actor.user_id, data.arg)
        await answer(query, t(lang, result.key, **result.params), alert=not result.ok)
    else:
        page = data.arg
        await answer(query)
    text, buttons = await _invites_page(context, lang, page)
    await edit(context, actor.user_id, press.message.message_id, text, buttons)


async def open_invite(update: Update, context: BotContext) -> None:
    """/start inv-…: what the link offers, with ✅ Accept / No thanks; or why it offers
    nothing (used, expired, withdrawn, not a link of ours)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    code = (context.args or [""])[0]
    result = await context.services.staff.open(user.id, code)
    params = _params(context, lang, result)
    if not result.ok or result.invite is None:
        await say(context, user.id, t(lang, result.key, **params))
        return
    invite_id = result.invite.id
    buttons = [
        [
            Button(t(lang, "staff.accept"), Callback(Verb.INVITE_ACCEPT, invite_id)),
            Button(t(lang, "staff.decline"), Callback(Verb.INVITE_DECLINE, invite_id)),
        ]
    ]
    await say(context, user.id, t(lang, result.key, **params), buttons)


def _params(context: BotContext, lang: str, result: Result) -> dict[str, Any]:
    params: dict[str, Any] = {"community": context.settings.community.name, "role": ""}
    if result.invite is not None:
        params["role"] = _role(context, lang, result.invite.role, result.invite.grid_key)
    return params | result.params


async def invite_answer(update: Update, context: BotContext) -> None:
    """✅ Accept: the role is theirs and they are greeted in it; No thanks: nothing changes."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    staff = context.services.staff
    if data.verb is Verb.INVITE_DECLINE:
        result = await staff.decline(actor.user_id, data.arg)
    else:
        result = await staff.accept(actor.user_id, actor.name, data.arg)
    text = t(lang, result.key, **_params(context, lang, result))
    await answer(query, text, alert=not result.ok)
    if not result.ok:
        return
    await edit(context, actor.user_id, press.message.message_id, text, [])
    if data.verb is Verb.INVITE_DECLINE:
        return
    context.services.kick()  # the one who made the link is told
    await _refresh_menus(context, actor.user_id)
    await _greet(context, actor.user_id, lang, query.from_user.first_name)


async def _greet(context: BotContext, user_id: int, lang: str, first_name: str) -> None:
    """The greeting Start gives them from now on: by role."""
    staff = context.directory.staff(user_id)
    if staff is None:  # a volunteer
        await say(context, user_id, t(lang, "volunteer.already"))
        return
    claims = await context.services.requests.claimed_by(user_id)
    registered = context.person is not None and context.person.registered
    text, buttons = render.staff_greeting(
        context.settings, context.directory, lang, first_name, staff, claims, registered
    )
    await say(context, user_id, text, buttons)


# --- the roster ---------------------------------------------------------------------------


async def roster(update: Update, context: BotContext) -> None:
    """/staff: admins, each grid's workers and the volunteers, with ✖️ to remove a role."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "staff.admins_only"))
        return
    text, buttons = await _roster_page(context, lang, 0)
    await say(context, user.id, text, buttons)


def _section(context: BotContext, lang: str, row: RoleRow) -> str:
    if row.role == WORKER:
        grid = context.directory.grid(row.grid_key)
        return t(lang, "staff.section_worker", grid=grid.name if grid else row.grid_key)
    return t(lang, "staff.section_admin" if row.role == ADMIN else "staff.section_volunteer")


_ORDER = {ADMIN: 0, WORKER: 1, VOLUNTEER: 2}


async def _roster_page(context: BotContext, lang: str, page: int) -> tuple[str, Keyboard]:
    rows = sorted(
        await context.services.staff.roster(),
        key=lambda r: (_ORDER.get(r.role, 3), r.grid_key, r.granted_at, r.user_id),
    )
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [t(lang, "staff.roster_header", n=len(rows))]
    section = ""
    buttons: Keyboard = []
    for row in shown:
        if _section(context, lang, row) != section:
            section = _section(context, lang, row)
            lines.append(t(lang, "staff.roster_section", what=section))
        name = row.name or str(row.user_id)
        lines.append(t(lang, "staff.roster_item", name=name, user=row.user_id))
        label = t(lang, "staff.remove_button", name=name, what=section)
        buttons.append([Button(label, Callback(Verb.STAFF_REMOVE, row.ref, row.user_id))])
    text = "\n".join(lines) + render.page_line(lang, page, pages)
    nav = render.page_buttons(lang, page, pages, lambda p: Callback(Verb.STAFF_PAGE, p))
    return text, buttons + ([nav] if nav else [])


async def roster_button(update: Update, context: BotContext) -> None:
    """✖️ asks to confirm; Yes, remove takes the role (the person is told); Keep does
    nothing; ◀️ ▶️ page."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    if not context.directory.is_admin(actor.user_id):
        await answer(query, t(lang, "staff.admins_only"), alert=True)
        return
    message_id = press.message.message_id
    staff = context.services.staff
    if data.verb is Verb.STAFF_PAGE:
        await answer(query)
        text, buttons = await _roster_page(context, lang, data.arg)
        await edit(context, actor.user_id, message_id, text, buttons)
        return
    if data.verb is Verb.STAFF_KEEP:
        await answer(query, t(lang, "staff.kept"))
        await edit(context, actor.user_id, message_id, t(lang, "staff.kept"), [])
        return
    assert data.arg2 is not None
    row = await staff.role(data.arg, data.arg2)
    if row is None:
        await answer(query, t(lang, "staff.role_gone"), alert=True)
        return
    name = row.name or str(row.user_id)
    role = _role(context, lang, row.role, row.grid_key)
    if data.verb is Verb.STAFF_REMOVE:
        await answer(query)
        sure = [
            [
                Button(
                    t(lang, "staff.remove_yes"),
                    Callback(Verb.STAFF_REMOVE_SURE, row.ref, row.user_id),
                ),
                Button(t(lang, "staff.remove_no"), Callback(Verb.STAFF_KEEP, row.ref)),
            ]
        ]
        await say(context, actor.user_id, t(lang, "staff.remove_sure", name=name, role=role), sure)
        return
    result = await staff.remove(actor.user_id, row.ref, row.user_id)
    text = t(lang, result.key, name=name, role=role)
    await answer(query, text, alert=not result.ok)
    if result.ok:
        context.services.kick()
        await edit(context, actor.user_id, message_id, text, [])
        await _refresh_menus(context, row.user_id)


# --- chats -------------------------------------------------------------------------------


async def bind(update: Update, context: BotContext) -> None:
    """/bind grid GRID | wall | admin | echo, in the group to bind (admins only)."""
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    assert message is not None and user is not None and chat is not None
    lang = lang_of(context)
    if chat.type == chat.PRIVATE:
        await say(context, chat.id, t(lang, "staff.bind_private"))
        return
    if not context.directory.is_admin(user.id):
        await say(context, chat.id, t(lang, "staff.admins_only"))
        return
    words = (message.text or "").split()[1:]
    what = words[0].lower() if words else ""
    grid_key = words[1] if len(words) == 2 else ""
    if not words or len(words) > 2 or (what == "grid") != bool(grid_key):
        await say(context, chat.id, t(lang, "staff.bind_usage"))
        return
    title = chat.title or str(chat.id)
    result = await context.services.staff.bind(user.id, chat.id, what, grid_key, title)
    text = t(lang, result.key, **({"grid": "", "others": ""} | result.params))
    if result.ok and result.params.get("others"):
        text += "\n" + t(lang, "staff.bound_unbound", others=result.params["others"])
    await say(context, chat.id, text)
    if result.ok:
        context.services.kick()
        for admin in sorted(context.directory.admins):  # /bind in the newly bound group
            await _refresh_menus(context, admin)


async def group_help(update: Update, context: BotContext) -> None:
    """/help in a group: what the bot does there, and how an admin binds it."""
    chat = update.effective_chat
    assert chat is not None
    lang = context.settings.community.group_language
    await say(context, chat.id, t(lang, "staff.group_help", bot=context.bot.username or ""))


async def membership(update: Update, context: BotContext) -> None:
    """The bot was added to or removed from a chat. Removed from a group that had a purpose:
    its messages go the next way and the admin chat is told. Added to a group without one:
    say how an admin binds it."""
    member = update.my_chat_member
    if member is None or member.chat.type == member.chat.PRIVATE:
        return
    chat_id = member.chat.id
    status = member.new_chat_member.status
    if status in GONE:
        by = member.from_user.full_name if member.from_user else "?"
        reason = f"{status} by {by}"
        if await context.services.staff.removed_from(chat_id, reason):
            context.services.kick()
        return
    was = member.old_chat_member.status
    if was in GONE and chat_id not in menus.bound_groups(context.directory):
        lang = context.settings.community.group_language
        await say(context, chat_id, t(lang, "staff.added_hello"))


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    """Before registration's /start: a /start carrying an invite code is ours."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    invite_link = filters.Regex(rf"^/start(@\w+)?\s+{INVITE_PREFIX}")
    return [
        ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER),
        CommandHandler("start", open_invite, filters=private & invite_link),
        CommandHandler("invite", invite, filters=private),
        CommandHandler("invites", invites, filters=private),
        CommandHandler("staff", roster, filters=private),
        CommandHandler("bind", bind),
        CommandHandler("help", group_help, filters=groups),
        CallbackQueryHandler(
            invites_button, pattern=callbacks.pattern_for(Verb.INVITE_REVOKE, Verb.INVITES_PAGE)
        ),
        CallbackQueryHandler(
            invite_answer, pattern=callbacks.pattern_for(Verb.INVITE_ACCEPT, Verb.INVITE_DECLINE)
        ),
        CallbackQueryHandler(
            roster_button,
            pattern=callbacks.pattern_for(
                Verb.STAFF_REMOVE, Verb.STAFF_REMOVE_SURE, Verb.STAFF_KEEP, Verb.STAFF_PAGE
            ),
        ),
    ]
