"""/health (admins): outbox and inbox backlogs, parked messages, last poll, database, backup."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import health
from bot.context import BotContext
from bot.i18n import t
from handlers.common import lang_of, say
from storage import clock


async def show_health(update: Update, context: BotContext) -> None:
    """/health: the figures in one message (admins only). Asks nothing."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "health.refused"))
        return
    intake = context.application.bot_data.get("intake")
    settings = context.settings
    seen = health.Intake(
        mode=settings.telegram.mode,
        last_poll=getattr(intake, "last_poll", None),
        last_webhook=getattr(intake, "last_webhook", None),
        fault=getattr(intake, "fault", None),
    )
    report = await health.gather(
        context.services.db, str(settings.database.path), seen, update.update_id
    )
    await say(context, user.id, health.render(report, lang, clock.now(), settings.community.tz))


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [CommandHandler("health", show_health, filters=filters.ChatType.PRIVATE)]
