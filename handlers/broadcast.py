"""Announcements: /broadcast, a wizard in an admin's private chat — the words (and an
optional photo), the audience, how many it reaches, Send — then a delivery report."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import Message, ReplyKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import render
from bot.broadcasting import ALL, BUILDING, GRID, VOLUNTEERS, Draft
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.i18n import Markup, t
from bot.limits import units, visible
from bot.messages import Button, Keyboard
from bot.quiet import quiet_until
from handlers.common import Flow, actor_of, answer, lang_of, main_menu, say
from handlers.dialog import router
from storage import clock
from storage.dialogs import Dialog

FLOW = "broadcast"


class Step(StrEnum):
    TEXT = "text"
    AUDIENCE = "audience"
    BUILDING = "building"
    CONFIRM = "confirm"


def _cancel(lang: str, dialog: Dialog) -> Button:
    return Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce))


def _rows(buttons: list[Button], width: int) -> Keyboard:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Ask the question of the step the admin is on."""
    lang = lang_of(context)
    uid, nonce = dialog.user_id, dialog.nonce
    broadcasts = context.services.broadcasts
    step = Step(dialog.step)
    if step is Step.TEXT:
        text = t(
            lang, "bc.ask_text", max=broadcasts.longest(False), caption=broadcasts.longest(True)
        )
        await say(context, uid, text)
        return
    counts = await broadcasts.counts()
    if step is Step.AUDIENCE:
        numbers = await broadcasts.grid_numbers()
        grids = [
            Button(
                t(lang, "bc.btn_grid", grid=g.name, n=counts.grids.get(g.id, 0)),
                Callback(Verb.BC_GRID, numbers[g.id], nonce),
            )
            for g in context.directory.active_grids
            if g.id in numbers
        ]
        keyboard: Keyboard = [
            [
                Button(
                    t(lang, "bc.btn_all", n=counts.everyone), Callback(Verb.BC_EVERYONE, 0, nonce)
                )
            ],
            *_rows(grids, 2),
            [Button(t(lang, "bc.btn_buildings"), Callback(Verb.BC_BUILDINGS, 0, nonce))],
            [
                Button(
                    t(lang, "bc.btn_volunteers", n=counts.volunteers),
                    Callback(Verb.BC_VOLUNTEERS, 0, nonce),
                )
            ],
            [_cancel(lang, dialog)],
        ]
        await say(context, uid, t(lang, "bc.ask_audience"), keyboard)
    elif step is Step.BUILDING:
        buildings = [
            Button(
                t(lang, "bc.btn_building", building=b.name, n=counts.buildings.get(b.name, 0)),
                Callback(Verb.BUILDING, b.id, nonce),
            )
            for b in context.directory.active_buildings
        ]
        back = Button(t(lang, "bc.btn_back"), Callback(Verb.REDO, 0, nonce))
        keyboard = [*_rows(buildings, 3), [back, _cancel(lang, dialog)]]
        await say(context, uid, t(lang, "bc.ask_building"), keyboard)
    else:
        audience = dialog.data["audience"]
        n = counts.of(audience)
        lines = [
            t(
                lang,
                "bc.summary",
                audience=broadcasts.label(lang, audience),
                recipients=Markup(t(lang, "bc.recipients", n=n)),
            )
        ]
        if dialog.data.get("photo"):
            lines.append(t(lang, "bc.with_photo"))
        quiet = quiet_until(context.settings, clock.now())
        if quiet is not None and audience != VOLUNTEERS and n:
            lines.append(t(lang, "bc.quiet_note", time=render.when(context.settings, lang, quiet)))
        if not n:
            lines.append(t(lang, "bc.nobody"))
        lines.append("\n" + dialog.data["text"])
        change = Button(t(lang, "bc.btn_change"), Callback(Verb.REDO, 0, nonce))
        keyboard = [[change, _cancel(lang, dialog)]]
        if n:
            send = Button(t(lang, "bc.btn_send", n=n), Callback(Verb.CONFIRM, 0, nonce))
            keyboard.insert(0, [send])
        await say(context, uid, "\n".join(lines), keyboard)


async def _advance(context: BotContext, dialog: Dialog, step: Step, **data: Any) -> None:
    await prompt(context, await context.services.people.advance(dialog, step, **data))


async def _still_admin(context: BotContext, user_id: int) -> bool:
    """Decided from the directory at every step: someone no longer an admin is stopped."""
    if context.directory.is_admin(user_id):
        return True
    await context.services.people.close_dialog(user_id)
    return False


def _words(message: Message) -> tuple[str, str, str | None] | None:
    """The announcement in a message: (HTML, what it shows, photo), or None if it has none."""
    if message.photo:
        if message.caption is None:
            return None
        return message.caption_html, message.caption, message.photo[-1].file_id
    if message.text is None:
        return None
    return message.text_html, message.text, None


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The announcement's words (a text, or a photo with its caption); on later steps the
    question again."""
    message = update.effective_message
    assert message is not None
    lang = lang_of(context)
    uid = dialog.user_id
    if not await _still_admin(context, uid):
        await say(context, uid, t(lang, "bc.admins_only"))
        return
    if Step(dialog.step) is not Step.TEXT:
        await prompt(context, dialog)
        return
    words = _words(message)
    if words is None:
        await say(context, uid, t(lang, "bc.text_needed"))
        return
    markup, shown, photo = words
    if not visible(shown):
        await say(context, uid, t(lang, "bc.text_empty"))
        return
    most = context.services.broadcasts.longest(photo is not None)
    if units(shown) > most:
        key = "bc.caption_too_long" if photo else "bc.text_too_long"
        await say(context, uid, t(lang, key, max=most, n=units(shown)))
        return
    await _advance(context, dialog, Step.AUDIENCE, text=markup, photo=photo)


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Audience, building, Back, Send and Cancel; a choice no longer in use asks again."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if not await _still_admin(context, actor.user_id):
        await answer(query, t(lang, "bc.admins_only"), alert=True)
        return
    if data.verb is Verb.ABORT:
        await answer(query)
        _, restored = await context.services.people.close_dialog(actor.user_id)
        await say(context, actor.user_id, t(lang, "bc.cancelled"), reply_markup=_menu(context))
        if restored is not None:
            await router(context).resume(context, actor.user_id)
        return
    chosen = await _audience(context, step, data)
    if chosen is not None:
        await answer(query)
        await _advance(context, dialog, Step.CONFIRM, audience=chosen)
    elif step is Step.AUDIENCE and data.verb is Verb.BC_BUILDINGS:
        await answer(query)
        await _advance(context, dialog, Step.BUILDING)
    elif step in (Step.BUILDING, Step.CONFIRM) and data.verb is Verb.REDO:
        await answer(query)
        await _advance(context, dialog, Step.AUDIENCE)
    elif step is Step.CONFIRM and data.verb is Verb.CONFIRM:
        await _send(update, context, dialog)
    else:  # forged, or a grid or building no longer in use: the question again
        await answer(query, t(lang, "error.stale_button"))
        await prompt(context, dialog)


async def _audience(context: BotContext, step: Step, data: Callback) -> str | None:
    """The audience a press on the audience or building question picks, if it is valid."""
    directory = context.directory
    if step is Step.AUDIENCE and data.verb is Verb.BC_EVERYONE:
        return ALL
    if step is Step.AUDIENCE and data.verb is Verb.BC_VOLUNTEERS:
        return VOLUNTEERS
    if step is Step.AUDIENCE and data.verb is Verb.BC_GRID:
        numbers = await context.services.broadcasts.grid_numbers()
        key = next((k for k, n in numbers.items() if n == data.arg), None)
        grid = directory.grid(key) if key is not None else None
        return f"{GRID}:{grid.id}" if grid is not None and grid.active else None
    if step is Step.BUILDING and data.verb is Verb.BUILDING:
        building = directory.building(data.arg)
        return f"{BUILDING}:{building.name}" if building is not None else None
    return None


async def _send(update: Update, context: BotContext, dialog: Dialog) -> None:
    """Send: one outbox row per recipient, written with the broadcast; then the wizard ends."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    uid = dialog.user_id
    draft = Draft(dialog.data["text"], dialog.data.get("photo"), dialog.data["audience"])
    sent = await context.services.broadcasts.send(uid, dialog.nonce, draft)
    if not sent.ok:
        await answer(query, t(lang, sent.key), alert=True)
        if sent.key in ("bc.nobody", "bc.audience_gone"):
            await _advance(context, dialog, Step.AUDIENCE)
        return
    await answer(query)
    context.services.kick()
    text = t(lang, sent.key, n=sent.recipients)
    if sent.quiet_until is not None:
        when = render.when(context.settings, lang, sent.quiet_until)
        text += "\n" + t(lang, "bc.quiet_note", time=when)
    await say(context, uid, text, reply_markup=_menu(context))
    await router(context).resume(context, uid)


def _menu(context: BotContext) -> ReplyKeyboardMarkup | None:
    """The resident's menu keyboard for an admin who is also registered; else none."""
    person = context.person
    return main_menu(lang_of(context)) if person is not None and person.registered else None


async def broadcast(update: Update, context: BotContext) -> None:
    """/broadcast: admins only; asks for the announcement's words (whatever wizard was open
    is set aside and asked again afterwards)."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if not context.directory.is_admin(user.id):
        await say(context, user.id, t(lang, "bc.admins_only"))
        return
    dialog = await router(context).open(context, user.id, FLOW, Step.TEXT, {})
    await prompt(context, dialog)


BROADCAST = Flow(FLOW, prompt, on_input, on_button, interrupts=True)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [CommandHandler("broadcast", broadcast, filters=filters.ChatType.PRIVATE)]
