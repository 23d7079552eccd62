"""The journeys, gathered explicitly and in order. Order matters: see the groups below."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import both, pick_language, t
from handlers import registration, repair, worker
from handlers.common import answer, lang_of, say
from handlers.dialog import DialogRouter

log = logging.getLogger(__name__)

# Group -3 skips updates already handled (Telegram redelivers what was not acknowledged when
# the bot stopped); group -2 records who is speaking before any journey looks at them; group 0
# holds the journeys; group 9 marks the update handled once every journey is done with it.
DEDUPE, TRACK, JOURNEYS, DONE = -3, -2, 0, 9


async def skip_handled(update: Update, context: BotContext) -> None:
    """Stop here if this update id was already handled before a restart."""
    if await context.services.people.update_seen(update.update_id):
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop


async def track(update: Update, context: BotContext) -> None:
    """Know the person (language, registration) and deliver anything held for their chat."""
    user = update.effective_user
    chat = update.effective_chat
    people = context.services.people
    released = 0
    if user is not None and not user.is_bot:
        private = chat is not None and chat.type == chat.PRIVATE
        context.person, released = await people.seen(
            user.id, user.full_name, pick_language(user.language_code), private
        )
    if chat is not None and chat.type != chat.PRIVATE:
        released += await people.group_seen(chat.id)
    if released:
        context.services.kick()


async def mark_handled(update: Update, context: BotContext) -> None:
    """Remember the update id so a redelivery changes nothing twice."""
    await context.services.people.update_done(update.update_id)


async def group_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: cards and pending messages follow its new id."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        await context.services.people.chat_migrated(message.chat_id, message.migrate_to_chat_id)
        context.services.kick()


async def group_command(update: Update, context: BotContext) -> None:
    """Resident commands in a group: point to the private chat instead."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(t(lang_of(context), "error.private_only"))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we do not have."""
    user = update.effective_user
    if user is not None:
        await say(context, user.id, t(lang_of(context), "unknown"))


async def stale_button(update: Update, context: BotContext) -> None:
    """Any callback data outside our grammar (old, forged): a polite answer, no change."""
    query = update.callback_query
    if query is not None:
        await answer(query, t(lang_of(context), "error.stale_button"))


async def error_handler(update: object, context: BotContext) -> None:
    """Log it, tell the person nothing was lost, and tell the admin chat."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        # An error handler gets a fresh context: look the person's language up again.
        user = update.effective_user
        person = await context.services.people.get(user.id) if user else None
        lang = person.lang if person else pick_language(user.language_code if user else None)
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error.generic"), show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await context.bot.send_message(update.effective_chat.id, t(lang, "error.generic"))
        admin_chat = context.settings.admin_chat_id
        if admin_chat is not None:
            error = html.escape(f"{type(context.error).__name__}: {context.error}"[:500])
            group_lang = context.settings.community.group_language
            await context.bot.send_message(
                admin_chat, t(group_lang, "error.admin_report", error=error)
            )
    except Exception:
        log.warning("could not report the error", exc_info=True)


RESIDENT_COMMANDS = ["start", "report", "my", "profile", "language", "help", "cancel"]


def build_handlers() -> tuple[dict[int, list[BaseHandler[Any, BotContext, Any]]], DialogRouter]:
    """All handlers by group, and the dialog router (kept in bot_data as "dialogs")."""
    private = filters.ChatType.PRIVATE
    menu = {
        **dict.fromkeys(both("menu.report"), repair.report),
        **dict.fromkeys(both("menu.my"), repair.my_requests),
    }
    router = DialogRouter(
        [registration.REGISTRATION, repair.REPORT, worker.RESOLVE, worker.NOTE], menu
    )
    journeys: list[BaseHandler[Any, BotContext, Any]] = [
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        *registration.build_handlers(),
        *repair.build_handlers(),
        *worker.build_handlers(),
        *router.build_handlers(),
        CommandHandler(RESIDENT_COMMANDS, group_command, filters=~private),
        MessageHandler(filters.COMMAND & private, unknown_command),
        router.input_handler(),
        CallbackQueryHandler(stale_button),
    ]
    groups: dict[int, list[BaseHandler[Any, BotContext, Any]]] = {
        DEDUPE: [TypeHandler(Update, skip_handled)],
        TRACK: [TypeHandler(Update, track)],
        JOURNEYS: journeys,
        DONE: [TypeHandler(Update, mark_handled)],
    }
    return groups, router
