"""Volunteers: /volunteer (apply; an admin approves in the admin chat), /points (the
passbook), /mywishes; admins' /award and /redeem."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.i18n import t
from bot.limits import visible
from bot.messages import Button, Keyboard
from bot.settings import AFFILIATIONS
from bot.volunteering import NOTE_MAX, POINTS_MAX
from handlers.common import (
    actor_of,
    answer,
    drop_buttons,
    edit,
    lang_of,
    on_its_message,
    private_press,
    say,
)


async def volunteer(update: Update, context: BotContext) -> None:
    """/volunteer: who you are (affiliation buttons), then an admin decides."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    status = await context.services.volunteering.status(user.id)
    if status == "approved":
        await say(context, user.id, t(lang, "volunteer.already"))
        return
    if status == "pending":
        await say(context, user.id, t(lang, "volunteer.pending"))
        return
    choices = [
        Button(t(lang, f"affiliation.{a}"), Callback(Verb.VOLUNTEER_AS, n))
        for n, a in enumerate(AFFILIATIONS)
    ]
    rows: Keyboard = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    await say(context, user.id, t(lang, "volunteer.ask_affiliation"), rows)


async def affiliation_chosen(update: Update, context: BotContext) -> None:
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    if data.arg >= len(AFFILIATIONS):
        await answer(query, t(lang, "error.stale_button"))
        return
    await answer(query)
    await drop_buttons(update)
    key = await context.services.volunteering.apply(
        actor.user_id, actor.name, AFFILIATIONS[data.arg]
    )
    context.services.kick()
    await say(context, actor.user_id, t(lang, key))


async def decision(update: Update, context: BotContext) -> None:
    """Approve / Decline on an application in the admin chat: admins only."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None
    lang = lang_of(context)
    data = callbacks.parse(query.data)
    if data is None or actor is None or not on_its_message(query):
        await answer(query, t(lang, "error.stale_button"))
        return
    approve = data.verb is Verb.VOLUNTEER_YES
    key = await context.services.volunteering.decide(actor.user_id, data.arg, approve)
    context.services.kick()
    if key.startswith("volunteer.decided"):
        await answer(query, t(lang, key))
        await drop_buttons(update)
        if query.message is not None:
            await say(context, query.message.chat.id, t(lang, key + "_by", name=actor.name))
    else:
        await answer(query, t(lang, key), alert=True)


async def points(update: Update, context: BotContext) -> None:
    """/points: the balance and the newest rows of the passbook."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    book = await context.services.volunteering.passbook(user.id)
    if not book.entries and not context.directory.is_volunteer(user.id):
        await say(context, user.id, t(lang, "points.none"))
        return
    text, buttons = render.passbook(
        context.settings, lang, book.balance, book.entries, book.numbers
    )
    await say(context, user.id, text, buttons)


async def turn_page(update: Update, context: BotContext) -> None:
    """◀ / ▶ under /points or /mywishes: the message turns to that page."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    await answer(query)
    volunteering = context.services.volunteering
    if data.verb is Verb.POINTS_PAGE:
        book = await volunteering.passbook(actor.user_id)
        text, buttons = render.passbook(
            context.settings, lang, book.balance, book.entries, book.numbers, data.arg
        )
    else:
        taken = await volunteering.wishes_of(actor.user_id)
        text, buttons = render.taken(context.directory, lang, taken, data.arg)
    if not await edit(context, actor.user_id, press.message.message_id, text, buttons):
        await say(context, actor.user_id, text, buttons)


async def award(update: Update, context: BotContext) -> None:
    """/award <volunteer id> <points> <what for> and /redeem …: admins only."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    lang = lang_of(context)
    redeem = (message.text or "").startswith("/redeem")
    usage = t(lang, "points.usage_redeem" if redeem else "points.usage_award", max=POINTS_MAX)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "wish.admins_only"))
        return
    parts = (message.text or "").split(maxsplit=3)
    # ASCII digits only: "²" is a digit to str.isdigit() and not a number to int().
    numbers = parts[1:3] if len(parts) == 4 else []
    if len(numbers) < 2 or not all(n.isascii() and n.isdigit() for n in numbers):
        await say(context, user.id, usage)
        return
    amount, note = int(parts[2]), visible(parts[3])
    if not 1 <= amount <= POINTS_MAX or not note or len(note) > NOTE_MAX:
        await say(context, user.id, usage)
        return
    volunteering = context.services.volunteering
    key = await volunteering.record(user.id, int(parts[1]), -amount if redeem else amount, note)
    context.services.kick()
    await say(context, user.id, t(lang, key, points=amount, user_id=parts[1]))


async def my_wishes(update: Update, context: BotContext) -> None:
    """/mywishes: the wishes a volunteer took, with their status."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    taken = await context.services.volunteering.wishes_of(user.id)
    if not taken:
        await say(context, user.id, t(lang, "mywishes.none"))
        return
    text, buttons = render.taken(context.directory, lang, taken)
    await say(context, user.id, text, buttons)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("volunteer", volunteer, filters=private),
        CommandHandler("points", points, filters=private),
        CommandHandler(["award", "redeem"], award, filters=private),
        CommandHandler("mywishes", my_wishes, filters=private),
        CallbackQueryHandler(affiliation_chosen, pattern=callbacks.pattern_for(Verb.VOLUNTEER_AS)),
        CallbackQueryHandler(
            turn_page, pattern=callbacks.pattern_for(Verb.POINTS_PAGE, Verb.MYWISHES_PAGE)
        ),
        CallbackQueryHandler(
            decision, pattern=callbacks.pattern_for(Verb.VOLUNTEER_YES, Verb.VOLUNTEER_NO)
        ),
    ]
