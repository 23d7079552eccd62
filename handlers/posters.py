"""Building posters for staff: /poster BUILDING sends its A4 poster as a PNG, /posters one PDF
with a page per building. The QR code on each starts registration in that building."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, posters, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.directory import Building
from bot.fonts import cjk_font_path
from bot.i18n import t
from bot.limits import CAPTION_MAX, clip, fit
from bot.messages import Button, Keyboard
from handlers.common import answer, edit, in_private, lang_of, say, with_retries

# Uploading a whole PDF takes longer than a message: give it its own write timeout.
UPLOAD_TIMEOUT = 120.0
ARG_SHOWN = 40  # of a typed building name echoed back


def _names(buildings: list[Building]) -> str:
    return ", ".join(b.name for b in buildings)


def _menu(lang: str, mine: list[Building], text: str, page: int = 0) -> tuple[str, Keyboard]:
    """A text over the buildings' buttons (a page of them), ◀ / ▶ and "all in one PDF"."""
    shown, page, count = posters.menu_page(mine, page)
    buttons = [Button(b.name, Callback(Verb.POSTER, b.id)) for b in shown]
    rows: Keyboard = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    turn = render.page_buttons(lang, page, count, lambda p: Callback(Verb.POSTER_PAGE, p))
    if turn:
        rows.append(turn)
    rows.append([Button(t(lang, "poster.all_button"), Callback(Verb.POSTERS_PDF))])
    return text + render.page_line(lang, page, count), rows


async def poster(update: Update, context: BotContext) -> None:
    """/poster BUILDING: that building's poster as a PNG document (admins, and the building's
    grid workers); without a building, the buildings to choose from as buttons."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    mine = await _printable(context, user.id, lang)
    if mine is None:
        return
    parts = (message.text or "").split(maxsplit=1)
    typed = parts[1].strip() if len(parts) == 2 else ""
    building = posters.find_building(context.directory, typed) if typed else None
    if building is not None and building in mine:
        await _send_poster(context, user.id, lang, building)
        return
    if not typed:
        text = t(lang, "poster.choose", example=mine[0].name)
    elif building is None:
        text = t(lang, "poster.unknown", building=clip(typed, ARG_SHOWN))
    else:
        text = t(lang, "poster.not_yours", building=building.name)
    await say(context, user.id, *_menu(lang, mine, text))


async def all_posters(update: Update, context: BotContext) -> None:
    """/posters: one PDF with a page per building this person may print (every building for
    an admin, their grids' for a worker); a large community gets several PDFs."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    mine = await _printable(context, user.id, lang)
    if mine is not None:
        await say(context, user.id, t(lang, "poster.drawing"))
        await _send_pdfs(context, user.id, lang, mine)


async def on_button(update: Update, context: BotContext) -> None:
    """A building's button under /poster sends its poster; ◀ / ▶ turn the page; "all in one
    PDF" sends /posters. Who may print is read again from the directory at each press."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    data = callbacks.parse(query.data)
    user_id = query.from_user.id
    if data is None or not in_private(update) or query.message is None:
        await answer(query, t(lang, "error.stale_button"))
        return
    mine = posters.printable(context.directory, user_id)
    if not mine:
        await answer(query, t(lang, "poster.staff_only"), alert=True)
        return
    if data.verb is Verb.POSTER_PAGE:
        await answer(query)
        text, buttons = _menu(lang, mine, t(lang, "poster.choose", example=mine[0].name), data.arg)
        if not await edit(context, user_id, query.message.message_id, text, buttons):
            await say(context, user_id, text, buttons)
    elif data.verb is Verb.POSTERS_PDF:
        await answer(query, t(lang, "poster.drawing"))
        await _send_pdfs(context, user_id, lang, mine)
    else:
        building = context.directory.building(data.arg)
        if building is None or building not in mine:
            await answer(query, t(lang, "error.stale_button"))
            return
        await answer(query)
        await _send_poster(context, user_id, lang, building)


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


def _font(context: BotContext) -> Path | None:
    return cjk_font_path(context.settings.posters.font_path or None)


async def _send_poster(context: BotContext, user_id: int, lang: str, building: Building) -> None:
    page = _poster(context, building)
    # Drawing is CPU work: off the event loop, so other people's updates go on meanwhile.
    png = await asyncio.to_thread(posters.poster_png, page, _font(context))
    caption = t(lang, "poster.caption", building=building.name, grid=page.grid)
    await _send(context, user_id, png, f"poster-{posters.payload(building.id)}.png", caption)


async def _send_pdfs(context: BotContext, user_id: int, lang: str, mine: list[Building]) -> None:
    parts = posters.chunks(mine)
    for n, part in enumerate(parts, start=1):
        pages = [_poster(context, b) for b in part]
        pdf = await asyncio.to_thread(posters.posters_pdf, pages, _font(context))
        name = "posters.pdf" if len(parts) == 1 else f"posters-{n}.pdf"
        caption = t(lang, "poster.caption_all", n=len(part), buildings=_names(part))
        await _send(context, user_id, pdf, name, caption)


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
    verbs = (Verb.POSTER, Verb.POSTER_PAGE, Verb.POSTERS_PDF)
    return [
        CommandHandler("poster", poster, filters=private),
        CommandHandler("posters", all_posters, filters=private),
        CallbackQueryHandler(on_button, pattern=callbacks.pattern_for(*verbs)),
    ]
