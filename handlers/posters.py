"""Building posters for staff: /poster BUILDING sends its A4 poster as a PNG, /posters one PDF
with a page per building. The QR code on each starts registration in that building."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import posters
from bot.context import BotContext
from bot.directory import Building
from bot.fonts import cjk_font_path
from bot.i18n import t
from bot.limits import CAPTION_MAX, clip, fit
from handlers.common import lang_of, say, with_retries

# Uploading a whole PDF takes longer than a message: give it its own write timeout.
UPLOAD_TIMEOUT = 120.0
ARG_SHOWN = 40  # of a typed building name echoed back


def _names(buildings: list[Building]) -> str:
    return ", ".join(b.name for b in buildings)


async def poster(update: Update, context: BotContext) -> None:
    """/poster BUILDING: that building's poster as a PNG document (admins, and the building's
    grid workers); without a building, how to ask and which buildings there are."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    mine = await _printable(context, user.id, lang)
    if mine is None:
        return
    parts = (message.text or "").split(maxsplit=1)
    typed = parts[1].strip() if len(parts) == 2 else ""
    if not typed:
        usage = t(lang, "poster.usage", example=mine[0].name, buildings=_names(mine))
        await say(context, user.id, usage)
        return
    building = posters.find_building(context.directory, typed)
    if building is None or building not in mine:
        key = "poster.unknown" if building is None else "poster.not_yours"
        shown = clip(typed, ARG_SHOWN) if building is None else building.name
        await say(context, user.id, t(lang, key, building=shown, buildings=_names(mine)))
        return
    page = _poster(context, building)
    font = cjk_font_path(context.settings.posters.font_path or None)
    png = await asyncio.to_thread(posters.poster_png, page, font)
    caption = t(lang, "poster.caption", building=building.name, grid=page.grid)
    await _send(context, user.id, png, f"poster-{posters.payload(building.id)}.png", caption)


async def all_posters(update: Update, context: BotContext) -> None:
    """/posters: one PDF with a page per building this person may print (every building for
    an admin, their grids' for a worker); a large community gets several PDFs."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    mine = await _printable(context, user.id, lang)
    if mine is None:
        return
    await say(context, user.id, t(lang, "poster.drawing"))
    font = cjk_font_path(context.settings.posters.font_path or None)
    parts = posters.chunks(mine)
    for n, part in enumerate(parts, start=1):
        pages = [_poster(context, b) for b in part]
        pdf = await asyncio.to_thread(posters.posters_pdf, pages, font)
        name = "posters.pdf" if len(parts) == 1 else f"posters-{n}.pdf"
        caption = t(lang, "poster.caption_all", n=len(part), buildings=_names(part))
        await _send(context, user.id, pdf, name, caption)


async def _printable(context: BotContext, user_id: int, lang: str) -> list[Building] | None:
    """The buildings this person may print, or None after saying why there are none."""
    if context.directory.staff(user_id) is None:
        await say(context, user_id, t(lang, "poster.staff_only"))
        return None
    mine = posters.printable(context.directory, user_id)
    if not mine:
        await say(context, user_id, t(lang, "poster.none"))
        return None
    return mine


def _poster(context: BotContext, building: Building) -> posters.Poster:
    return posters.poster_for(
        context.settings.community.name, context.directory, building, context.bot.username
    )


async def _send(context: BotContext, chat_id: int, data: bytes, name: str, caption: str) -> None:
    """Send as a document, so Telegram keeps every pixel (a photo would be recompressed)."""
    await with_retries(
        lambda: context.bot.send_document(
            chat_id,
            data,
            filename=name,
            caption=fit(caption, CAPTION_MAX),
            write_timeout=UPLOAD_TIMEOUT,
        )
    )


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("poster", poster, filters=private),
        CommandHandler("posters", all_posters, filters=private),
    ]
