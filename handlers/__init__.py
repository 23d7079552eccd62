"""The journeys, gathered explicitly and in order. Order matters: see the groups below."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import Verb
from bot.context import BotContext
from bot.delivery import note_fault
from bot.domain import PSEUDO_SENDERS
from bot.i18n import every, pick_language, t
from bot.limits import mask_phones, plain
from bot.redact import redact
from handlers import (
    abuse,
    broadcast,
    events,
    health,
    posters,
    privacy,
    proxy,
    registration,
    repair,
    staff,
    stats,
    transfer,
    volunteer,
    wish,
    worker,
)
from handlers.common import answer, lang_of, say, with_retries
from handlers.dialog import DialogRouter

log = logging.getLogger(__name__)

# Group -4 lets through only what a journey may answer (a real person, a new message or a
# press); group -2 records who is speaking before any journey looks at them; group -1
# answers a press over the person's limit "slow down" (it knows who is staff); group 0
# holds the journeys. An update redelivered by Telegram is not handled twice: the inbox
# (bot/intake.py) stores each update id once, and marks it done once every journey is
# through with it.
GATE, TRACK, LIMITS, JOURNEYS = -4, -2, -1, 0


async def gate(update: Update, context: BotContext) -> None:
    """Stop what no journey answers: an edit of an old message (never a new command), a
    channel post, an update without a sender, and Telegram's pseudo-senders and other bots.

    A press from a pseudo-sender is politely refused; the rest is ignored, without an error.
    """
    message = update.message
    if message is not None and message.migrate_to_chat_id:
        return  # a group became a supergroup: not a person speaking, but we must follow it
    if message is None and update.callback_query is None and update.my_chat_member is None:
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return  # Telegram telling us the bot joined or left a chat, whoever did it
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    if user.is_bot or user.id in PSEUDO_SENDERS:
        if update.callback_query is not None:
            lang = pick_language(user.language_code)
            await answer(update.callback_query, t(lang, "error.pseudo_sender"), alert=True)
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
    # A group that speaks again (the bot is back in it) gets what was held for it; the news
    # that the bot was removed from it is no such sign.
    member = update.my_chat_member
    removed = member is not None and member.new_chat_member.status in ("left", "kicked")
    if chat is not None and chat.type != chat.PRIVATE and not removed:
        released += await people.group_seen(chat.id)
    if released:
        context.services.kick()


async def group_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: cards and pending messages follow its new id."""
    message = update.message
    if message is not None and message.migrate_to_chat_id:
        await context.services.people.chat_migrated(message.chat_id, message.migrate_to_chat_id)
        context.services.kick()


async def group_command(update: Update, context: BotContext) -> None:
    """Resident commands in a group: point to the private chat instead."""
    message = update.effective_message
    if message is not None:
        await say(context, message.chat_id, t(lang_of(context), "error.private_only"))


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
    """Log it, tell the person nothing was lost, and tell the admin chat: each on its own, so
    that one failing (a press already answered, Telegram busy) does not silence the others."""
    error = context.error
    if isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        # Telegram away or busy (429, 5xx, timeouts): expected, said once a minute.
        note_fault(error, "handling an update")
    else:
        log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    lang = pick_language(user.language_code if user else None)
    try:
        # An error handler gets a fresh context: look the person's language up again.
        person = await context.services.people.get(user.id) if user else None
        lang = person.lang if person else lang
    except Exception:
        log.warning("could not look up the language for the error report", exc_info=True)
    sorry = t(lang, "error.generic")
    told = False
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(plain(sorry), show_alert=True)
            told = True
        except TelegramError:
            pass  # already answered: say it in the chat instead
    chat = update.effective_chat
    if not told and chat is not None and chat.type == chat.PRIVATE:
        try:
            await with_retries(lambda: context.bot.send_message(chat.id, sorry))
        except TelegramError as exc:
            log.warning("could not tell %s about the error: %s", chat.id, exc)
    admin_chat = context.directory.admin_chat_id
    if admin_chat is not None:
        # The error's text may hold a URL with the token, or what someone typed: neither goes
        # to a group, so the report names the error and the admin reads the log for more.
        reason = redact(mask_phones(f"{type(context.error).__name__}: {context.error}"))[:500]
        group_lang = context.settings.community.group_language
        try:
            await with_retries(
                lambda: context.bot.send_message(
                    admin_chat, t(group_lang, "error.admin_report", error=reason)
                )
            )
        except TelegramError as exc:
            log.warning("could not report the error to the admin chat: %s", exc)


async def too_fast(update: Update) -> None:
    """One person sent more than can wait in line: say so once, instead of silence."""
    user = update.effective_user
    lang = pick_language(user.language_code if user else None)
    text = t(lang, "error.too_fast")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(plain(text), show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await update.get_bot().send_message(update.effective_chat.id, text)
    except TelegramError:
        log.info("could not tell %s to slow down", user.id if user else "?")


PRIVATE_COMMANDS = [
    "start",
    "report",
    "wish",
    "my",
    "queue",
    "proxy",
    "transfer",
    "volunteer",
    "points",
    "mywishes",
    "events",
    "event_cancel",
    "event_add",
    "event_edit",
    "invite",
    "invites",
    "staff",
    "award",
    "redeem",
    "poster",
    "posters",
    "broadcast",
    "stats",
    "export",
    "unlimit",
    "mydata",
    "forgetme",
    "health",
    "profile",
    "language",
    "help",
    "cancel",
]


def build_handlers() -> tuple[dict[int, list[BaseHandler[Any, BotContext, Any]]], DialogRouter]:
    """All handlers by group, and the dialog router (kept in bot_data as "dialogs")."""
    private = filters.ChatType.PRIVATE
    menu = {
        **dict.fromkeys(every("menu.report"), repair.report),
        **dict.fromkeys(every("menu.my"), repair.my_requests),
        **dict.fromkeys(every("menu.wish"), wish.wish),
    }
    flows = [registration.REGISTRATION, repair.REPORT, repair.ANSWER]
    flows += [worker.RESOLVE, worker.NOTE, worker.ASK]
    flows += [wish.WISH, wish.CURATE, wish.THANKS]
    flows += [broadcast.BROADCAST, privacy.FORGET]
    # Filing for a resident without Telegram goes on with the resident's own wizards.
    flows += [
        proxy.flow({Verb.PX_REPAIR: repair.FIRST_STEP, Verb.PX_WISH: wish.FIRST_STEP}),
        transfer.TRANSFER,
    ]
    router = DialogRouter(flows, menu)
    journeys: list[BaseHandler[Any, BotContext, Any]] = [
        MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated),
        # Before registration: a /start that carries an invite code is the staff tools'.
        *staff.build_handlers(),
        *registration.build_handlers(),
        *repair.build_handlers(),
        *worker.build_handlers(),
        *wish.build_handlers(),
        *volunteer.build_handlers(),
        *events.build_handlers(),
        *posters.build_handlers(),
        *broadcast.build_handlers(),
        *stats.build_handlers(),
        *health.build_handlers(),
        *proxy.build_handlers(),
        *transfer.build_handlers(),
        *abuse.build_handlers(),
        *privacy.build_handlers(),
        *router.build_handlers(),
        CommandHandler(PRIVATE_COMMANDS, group_command, filters=~private),
        MessageHandler(filters.COMMAND & private, unknown_command),
        router.input_handler(),
        CallbackQueryHandler(stale_button),
    ]
    groups: dict[int, list[BaseHandler[Any, BotContext, Any]]] = {
        GATE: [TypeHandler(Update, gate)],
        TRACK: [TypeHandler(Update, track)],
        LIMITS: [abuse.build_gate()],
        JOURNEYS: journeys,
    }
    return groups, router
