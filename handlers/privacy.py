"""/mydata: what the bot holds about you; /forgetme: erase it, after a confirmation."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.i18n import t
from bot.messages import Button
from bot.mydata import MyData
from handlers.common import Flow, answer, lang_of, say
from handlers.dialog import router
from storage.dialogs import Dialog

FLOW = "forget"


class Step(StrEnum):
    CONFIRM = "confirm"


def _desk(context: BotContext) -> MyData:
    services = context.services
    return MyData(services.db, services.settings, services.directory)


async def mydata(update: Update, context: BotContext) -> None:
    """/mydata: every field, request, sign-up and role the bot holds about the person."""
    user = update.effective_user
    assert user is not None
    for page in await _desk(context).pages(user.id, lang_of(context)):
        await say(context, user.id, page)


async def forgetme(update: Update, context: BotContext) -> None:
    """/forgetme: says what will be erased and kept, and asks to confirm (a wizard step)."""
    user = update.effective_user
    assert user is not None
    dialog = await router(context).open(context, user.id, FLOW, Step.CONFIRM, {})
    await prompt(context, dialog)


async def prompt(context: BotContext, dialog: Dialog) -> None:
    lang = lang_of(context)
    before = await _desk(context).before(dialog.user_id, lang)
    parts = [t(lang, "privacy.forget_ask")]
    if before.open_requests:
        parts.append(t(lang, "privacy.forget_open", n=before.open_requests))
    if before.roles:
        parts.append(t(lang, "privacy.forget_staff", roles=", ".join(before.roles)))
    buttons = [
        [
            Button(t(lang, "privacy.btn_forget"), Callback(Verb.CONFIRM, 0, dialog.nonce)),
            Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce)),
        ]
    ]
    await say(context, dialog.user_id, "\n\n".join(parts), buttons)


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """Typed text while the question waits: ask for a button."""
    await say(context, dialog.user_id, t(lang_of(context), "privacy.forget_press"))


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Erase, or keep everything."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    if data.verb is Verb.CONFIRM:
        kept = await _desk(context).forget(dialog.user_id)
        await answer(query)
        await say(
            context,
            dialog.user_id,
            t(lang, "privacy.forget_done", n=kept),
            reply_markup=ReplyKeyboardRemove(),
        )
    elif data.verb is Verb.ABORT:
        await context.services.people.close_dialog(dialog.user_id)
        await answer(query)
        await say(context, dialog.user_id, t(lang, "privacy.forget_kept"))
        await router(context).resume(context, dialog.user_id)
    else:
        await answer(query, t(lang, "error.stale_button"))


FORGET = Flow(FLOW, prompt, on_input, on_button, interrupts=True)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("mydata", mydata, filters=private),
        CommandHandler("forgetme", forgetme, filters=private),
    ]
