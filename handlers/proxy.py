"""Filing for a resident without Telegram (代办): a grid worker or admin types the resident's
name, phone, building and unit, then goes on with the usual report or wish wizard, which files
the request for that resident (a named continuation in the dialog store, not an import)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.domain import UNIT_MAX
from bot.i18n import t
from bot.limits import visible, visible_length
from bot.messages import Button, Keyboard
from handlers.common import Flow, answer, lang_of, say
from handlers.dialog import router
from storage.dialogs import Dialog

FLOW = "proxy"
NAME_MAX = 40
# What a typed phone may hold: digits with spaces, dashes, brackets and a leading +.
_PHONE = re.compile(r"\+?[\d\s()-]+")
PHONE_DIGITS = (5, 20)


class Step(StrEnum):
    NAME = "name"
    PHONE = "phone"
    BUILDING = "building"
    UNIT = "unit"
    KIND = "kind"


def phone_of(text: str) -> str | None:
    """A typed phone number as typed (trimmed), or None if it is not one."""
    digits = sum(c.isdigit() for c in text)
    if not _PHONE.fullmatch(text) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return None
    return text


def _cancel(lang: str, dialog: Dialog) -> list[Button]:
    return [Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce))]


async def proxy(update: Update, context: BotContext) -> None:
    """/proxy: staff only; an open wizard is asked again first; else asks the name."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if context.directory.staff(user.id) is None:
        await say(context, user.id, t(lang, "proxy.not_staff"))
        return
    if await router(context).resume(context, user.id):
        return
    dialog = await router(context).open(context, user.id, FLOW, Step.NAME, {})
    await prompt(context, dialog)


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Ask the question of the step: name, phone (or Skip), building, unit, repair or wish."""
    lang = lang_of(context)
    uid = dialog.user_id
    step = Step(dialog.step)
    data = dialog.data
    if step is Step.NAME:
        await say(context, uid, t(lang, "proxy.ask_name", max=NAME_MAX), [_cancel(lang, dialog)])
    elif step is Step.PHONE:
        skip = [Button(t(lang, "btn.skip"), Callback(Verb.SKIP, 0, dialog.nonce))]
        await say(context, uid, t(lang, "proxy.ask_phone", name=data["name"]), [skip])
    elif step is Step.BUILDING:
        buttons = [
            Button(b.name, Callback(Verb.BUILDING, b.id, dialog.nonce))
            for b in context.directory.active_buildings
        ]
        rows: Keyboard = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        text = t(lang, "proxy.ask_building", name=data["name"])
        await say(context, uid, text, [*rows, _cancel(lang, dialog)])
    elif step is Step.UNIT:
        text = t(lang, "proxy.ask_unit", name=data["name"], building=data["building"])
        await say(context, uid, text)
    else:
        text = t(
            lang,
            "proxy.ask_kind",
            name=data["name"],
            phone=data.get("phone") or t(lang, "reg.no_phone"),
            building=data["building"],
            unit=data["unit"],
        )
        kinds = [Button(t(lang, "proxy.repair"), Callback(Verb.PX_REPAIR, 0, dialog.nonce))]
        if context.directory.admin_chat_id is not None:  # else nobody would publish a wish
            kinds.append(Button(t(lang, "proxy.wish"), Callback(Verb.PX_WISH, 0, dialog.nonce)))
        await say(context, uid, text, [kinds, _cancel(lang, dialog)])


async def _advance(context: BotContext, dialog: Dialog, step: Step, **data: Any) -> None:
    await prompt(context, await context.services.people.advance(dialog, step, **data))


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """Typed answers, each checked like registration's: blank (only invisible characters) or
    too long text is asked again."""
    message = update.effective_message
    assert message is not None
    lang = lang_of(context)
    uid = dialog.user_id
    step = Step(dialog.step)
    text = visible(message.text)
    if step is Step.NAME:
        if not text or visible_length(text) > NAME_MAX:
            await say(context, uid, t(lang, "proxy.name_bad", max=NAME_MAX))
            return
        await _advance(context, dialog, Step.PHONE, name=text)
    elif step is Step.PHONE:
        phone = phone_of(text) if text else None
        if phone is None:
            await say(context, uid, t(lang, "proxy.phone_bad"))
            return
        await _advance(context, dialog, Step.BUILDING, phone=phone)
    elif step is Step.UNIT:
        if not text or len(text) > UNIT_MAX:
            await say(context, uid, t(lang, "proxy.unit_bad", max=UNIT_MAX))
            return
        await _advance(context, dialog, Step.KIND, unit=text)
    else:
        await prompt(context, dialog)


def flow(journeys: Mapping[Verb, Mapping[str, Any]]) -> Flow:
    """The wizard, going on with `journeys` (a button's verb -> the first step, as flow, step
    and data, of the wizard it leads to)."""

    async def on_button(
        update: Update, context: BotContext, dialog: Dialog, data: Callback
    ) -> None:
        """Skip (the phone), a building, repair or wish, and Cancel."""
        query = update.callback_query
        assert query is not None
        lang = lang_of(context)
        step = Step(dialog.step)
        people = context.services.people
        if data.verb is Verb.ABORT:
            await answer(query)
            _, restored = await people.close_dialog(dialog.user_id)
            await say(context, dialog.user_id, t(lang, "proxy.cancelled"))
            if restored is not None:
                await router(context).resume(context, dialog.user_id)
        elif step is Step.PHONE and data.verb is Verb.SKIP:
            await answer(query)
            await _advance(context, dialog, Step.BUILDING, phone=None)
        elif step is Step.BUILDING and data.verb is Verb.BUILDING:
            building = context.directory.building(data.arg)
            if building is None:  # no longer in use: ask again with today's buildings
                await answer(query, t(lang, "error.stale_button"))
                await prompt(context, dialog)
                return
            await answer(query)
            await _advance(context, dialog, Step.UNIT, building=building.name)
        elif step is Step.KIND and data.verb in journeys:
            await answer(query)
            first = journeys[data.verb]
            resident = {k: dialog.data.get(k) for k in ("name", "phone", "building", "unit")}
            # The wizard the resident would use, told whom it files for.
            following = await router(context).open(
                context,
                dialog.user_id,
                first["flow"],
                first["step"],
                {**first["data"], "proxy": resident},
            )
            await router(context).ask(context, following)
        else:
            await answer(query, t(lang, "error.stale_button"))

    return Flow(FLOW, prompt, on_input, on_button)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [CommandHandler("proxy", proxy, filters=filters.ChatType.PRIVATE)]
