"""The press limit (a gate before the journeys) and admins' /unlimit <user id>."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, TypeHandler, filters

from bot import render
from bot.context import BotContext
from bot.i18n import t
from handlers.common import answer, lang_of, say


async def press_gate(update: Update, context: BotContext) -> None:
    """A person pressing faster than the limit: a polite answer saying when, and nothing
    else happens."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    until = await context.services.limits.press_refused(user.id)
    if until is None:
        return
    lang = lang_of(context)
    await answer(
        query,
        t(lang, "limits.presses", when=render.when(context.settings, lang, until)),
        alert=True,
    )
    raise ApplicationHandlerStop  # the inbox marks it done like any handled update


async def unlimit(update: Update, context: BotContext) -> None:
    """/unlimit <user id>: an admin lifts a person's limits for a while; others are refused."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "wish.admins_only"))
        return
    parts = (message.text or "").split()
    hours = context.settings.limits.lift_hours
    # ASCII digits only, and a plausible Telegram id: anything else gets the usage.
    if len(parts) != 2 or not (parts[1].isascii() and parts[1].isdigit()) or len(parts[1]) > 15:
        await say(context, user.id, t(lang, "limits.unlimit_usage", hours=hours))
        return
    until = await context.services.limits.lift(user.id, int(parts[1]))
    when = render.when(context.settings, lang, until)
    await say(context, user.id, t(lang, "limits.lifted", user_id=parts[1], when=when))


def build_gate() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, press_gate)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [CommandHandler("unlimit", unlimit, filters=filters.ChatType.PRIVATE)]
