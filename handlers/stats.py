"""Staff figures: /stats [period] (admins: every grid; workers: their own) and the admins'
/export [period], the ledger (台账) as a workbook."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import charts, kpi, ledger, stats
from bot.context import BotContext
from bot.fonts import cjk_font_path
from bot.i18n import every, t
from bot.render import page_line
from handlers.common import lang_of, say, with_retries
from storage import clock

log = logging.getLogger(__name__)


def _period(context: BotContext, text: str) -> kpi.Period | None:
    words = text.split(maxsplit=1)
    return kpi.period_of(
        words[1] if len(words) > 1 else "",
        clock.now(),
        context.settings.community.tz,
        ("week", *every("stats.word_week")),
        ("month", *every("stats.word_month")),
    )


async def show_stats(update: Update, context: BotContext) -> None:
    """/stats [period]: the figures as text, then the weekly chart. Asks nothing."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    directory = context.directory
    staff = directory.staff(user.id)
    if staff is None:
        await say(context, user.id, t(lang, "stats.refused"))
        return
    period = _period(context, message.text or "")
    if period is None:
        await say(context, user.id, t(lang, "stats.bad_period", period=_arg(message.text)))
        return
    grids = None if staff.admin else [g.id for g in staff.grids]
    report = await stats.report(
        context.services.db, context.settings, directory, period, grids, clock.now()
    )
    mine = ", ".join(g.name for g in staff.grids)
    scope = t(lang, "stats.scope_all") if staff.admin else mine
    pages = stats.pages(report, lang, scope)
    for n, page in enumerate(pages):
        await say(context, user.id, page + page_line(lang, n, len(pages)))
    # Drawing is blocking work (a few hundred milliseconds): off the event loop.
    font = await asyncio.to_thread(cjk_font_path, context.settings.posters.font_path or None)
    image = await asyncio.to_thread(charts.draw, stats.chart(report, lang, font is not None), font)
    caption = t(lang, "stats.chart_caption")
    try:
        await with_retries(lambda: context.bot.send_photo(user.id, image, caption=caption))
    except TelegramError as exc:  # the figures went; the picture is the lesser part
        log.warning("could not send the KPI chart to %s: %s", user.id, exc)


async def export(update: Update, context: BotContext) -> None:
    """/export [period]: admins get the ledger workbook as a document. Asks nothing."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "export.refused"))
        return
    period = _period(context, message.text or "")
    if period is None:
        await say(context, user.id, t(lang, "export.bad_period", period=_arg(message.text)))
        return
    settings = context.settings
    book = await ledger.gather(context.services.db, context.directory, period, lang, clock.now())
    data = await asyncio.to_thread(ledger.workbook, book, settings.community.tz)
    caption = t(
        lang,
        "export.caption",
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        requests=book.requests,
        events=book.events,
        wishes=book.wishes,
    )
    name = ledger.file_name(period)
    try:
        await with_retries(
            lambda: context.bot.send_document(user.id, data, filename=name, caption=caption)
        )
    except TelegramError as exc:
        log.warning("could not send the ledger to %s: %s", user.id, exc)
        await say(context, user.id, t(lang, "export.failed"))


def _arg(text: str | None) -> str:
    words = (text or "").split(maxsplit=1)
    return words[1][:40] if len(words) > 1 else ""


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("stats", show_stats, filters=private),
        CommandHandler("export", export, filters=private),
    ]
