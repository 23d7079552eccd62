"""Community events: /events (what is coming, sign up, reminders on or off) and the admins'
/event_cancel."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Verb
from bot.context import BotContext
from bot.gatherings import Occurrence, day_of
from bot.i18n import t
from bot.messages import Keyboard
from handlers.common import answer, edit, lang_of, private_press, say


async def events(update: Update, context: BotContext) -> None:
    """/events: each coming event for this person, with its buttons."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    building = context.person.building if context.person else None
    coming = await context.services.gatherings.upcoming(user.id, building)
    if not coming:
        await say(context, user.id, t(lang, "event.none"))
        return
    admin = context.directory.is_admin(user.id)
    for occurrence in coming:
        text, buttons = _show(context, lang, occurrence)
        if admin:  # what /event_edit and /event_cancel take
            text += "\n" + t(lang, "event.id", event=occurrence.series.key)
        await say(context, user.id, text, buttons)


def _show(context: BotContext, lang: str, occurrence: Occurrence) -> tuple[str, Keyboard]:
    series = occurrence.series
    text = t(
        lang,
        "event.reminder",
        name=series.name(lang),
        when=render.when(context.settings, lang, occurrence.start),
        place=series.place,
        description=series.description,
    )
    if occurrence.cancelled:
        return text + "\n" + t(lang, "event.is_cancelled"), []
    left = occurrence.places_left
    if left is not None:
        text += "\n" + t(lang, "event.places_left", n=left, capacity=series.capacity)
    if occurrence.mine:
        text += "\n" + t(lang, "event.you_come")
    gatherings = context.services.gatherings
    buttons = gatherings.buttons(
        lang, series, occurrence.start.date(), occurrence.mine, occurrence.muted, left == 0
    )
    return text, buttons


async def on_button(update: Update, context: BotContext) -> None:
    """I'll come / Not coming / reminders off / on: the message then shows what is now."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    gatherings = context.services.gatherings
    building = context.person.building if context.person else None
    day: date | None = day_of(data.arg2) if data.arg2 is not None else None
    if data.verb in (Verb.EVENT_JOIN, Verb.EVENT_LEAVE) and day is None:
        await answer(query, t(lang, "error.stale_button"))
        return
    if data.verb is Verb.EVENT_JOIN and day is not None:
        key = await gatherings.join(actor.user_id, data.arg, day, building)
    elif data.verb is Verb.EVENT_LEAVE and day is not None:
        key = await gatherings.leave(actor.user_id, data.arg, day)
    else:
        key = await gatherings.mute(actor.user_id, data.arg, data.verb is Verb.EVENT_MUTE)
    await answer(query, t(lang, key), alert=key in ("event.full", "event.is_cancelled"))
    now = [
        o
        for o in await gatherings.upcoming(actor.user_id, building)
        if o.series.id == data.arg and (day is None or o.start.date() == day)
    ]
    if now:
        text, buttons = _show(context, lang, now[0])
        await edit(context, actor.user_id, press.message.message_id, text, buttons)


async def cancel_event(update: Update, context: BotContext) -> None:
    """/event_cancel <event id> <YYYY-MM-DD>: admins only."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    parts = (message.text or "").split()
    try:
        day = date.fromisoformat(parts[2]) if len(parts) == 3 else None
    except ValueError:
        day = None
    if day is None:
        await say(context, user.id, t(lang, "event.cancel_usage"))
        return
    key = await context.services.gatherings.cancel(user.id, parts[1], day)
    context.services.kick()
    await say(context, user.id, t(lang, key, event=parts[1], day=parts[2]))


FIELDS = ("name_zh", "name_en", "place", "description", "rule", "time", "audience", "capacity")


async def add_or_edit_event(update: Update, context: BotContext) -> None:
    """/event_add <id> name_zh=… name_en=… place=… rule=monthly:16 time=09:00 [audience=all]
    [capacity=30] [description=…], and /event_edit <id> <field>=<value> …: admins only. A value
    runs to the next field=; unknown fields and bad values are named."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    text = message.text or ""
    new = text.startswith("/event_add")
    usage = t(lang, "event.add_usage" if new else "event.edit_usage")
    parts = text.split(maxsplit=2)
    if len(parts) < 3:
        await say(context, user.id, usage)
        return
    changes = _fields(parts[2])
    if changes is None:
        await say(context, user.id, usage)
        return
    key, problems = await context.services.gatherings.save(user.id, parts[1], changes, new)
    await say(context, user.id, t(lang, key, event=parts[1], day="", problems=problems))


def _fields(text: str) -> dict[str, Any] | None:
    """`field=value field=value …`, a value running to the next known field."""
    pattern = re.compile(rf"(?:^|\s)({'|'.join(FIELDS)})=")
    marks = list(pattern.finditer(text))
    if not marks or text[: marks[0].start()].strip():
        return None
    found: dict[str, Any] = {}
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(text)
        value = text[mark.end() : end].strip()
        if mark.group(1) == "capacity" and value in ("", "-"):
            found["capacity"] = None  # no sign-up: everyone welcome
        else:
            found[mark.group(1)] = value
    return found


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    verbs = (Verb.EVENT_JOIN, Verb.EVENT_LEAVE, Verb.EVENT_MUTE, Verb.EVENT_UNMUTE)
    return [
        CommandHandler("events", events, filters=private),
        CommandHandler("event_cancel", cancel_event, filters=private),
        CommandHandler(["event_add", "event_edit"], add_or_edit_event, filters=private),
        CallbackQueryHandler(on_button, pattern=callbacks.pattern_for(*verbs)),
    ]
