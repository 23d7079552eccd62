"""Micro-wishes: a resident makes one (/wish), the admins curate it from the admin chat
(Publish, Edit public text, Reject with a reason), and the resident confirms its fulfilment
(and may thank the volunteer)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.core import Draft, Pressed
from bot.domain import WISH_TEXT_MAX, WISH_TEXT_MIN, Action
from bot.i18n import t
from bot.limits import visible, visible_length
from bot.messages import Button, Keyboard
from bot.proxied import for_resident, resident_of
from handlers.common import (
    Flow,
    actor_of,
    answer,
    drop_buttons,
    explain,
    explain_ok,
    lang_of,
    main_menu,
    private_press,
    say,
)
from handlers.dialog import act_with_text, ask_for_text, no_buttons, router
from handlers.registration import begin
from storage.dialogs import Dialog

FLOW = "wish"
CURATE_FLOW = "curate"  # an admin's reason for a rejection, or the wish's public text
THANKS_FLOW = "thanks"  # the resident's thanks to the volunteer
KIND = "wish"


class Step(StrEnum):
    KIND = "kind"
    TEXT = "text"
    PHOTO = "photo"
    CONFIRM = "confirm"


FIRST_STEP: dict[str, Any] = {"flow": FLOW, "step": Step.KIND, "data": {}}


def _cancel(lang: str, dialog: Dialog) -> list[Button]:
    return [Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce))]


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Ask the question of the wish step the resident is on."""
    lang = lang_of(context)
    uid = dialog.user_id
    step = Step(dialog.step)
    if step is Step.KIND:
        kinds = [
            Button(c.name(lang), Callback(Verb.CATEGORY, c.id, dialog.nonce))
            for c in context.directory.categories_of(KIND)
        ]
        rows: Keyboard = [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
        await say(context, uid, t(lang, "wish.ask_kind"), [*rows, _cancel(lang, dialog)])
    elif step is Step.TEXT:
        await say(context, uid, t(lang, "wish.ask_text", min=WISH_TEXT_MIN, max=WISH_TEXT_MAX))
    elif step is Step.PHOTO:
        skip = [[Button(t(lang, "btn.skip"), Callback(Verb.SKIP, 0, dialog.nonce))]]
        await say(context, uid, t(lang, "wish.ask_photo"), skip)
    else:
        data = dialog.data
        text = for_resident(lang, data) + t(
            lang,
            "wish.summary",
            kind=render.category_name(context.directory, lang, KIND, data["kind"]),
            text=data["text"],
            photo=t(lang, "wish.with_photo" if data.get("photo") else "wish.without_photo"),
        )
        confirm: Keyboard = [
            [
                Button(t(lang, "btn.confirm"), Callback(Verb.CONFIRM, 0, dialog.nonce)),
                *_cancel(lang, dialog),
            ]
        ]
        await say(context, uid, text, confirm)


async def _advance(context: BotContext, dialog: Dialog, step: Step, **data: Any) -> None:
    await prompt(context, await context.services.people.advance(dialog, step, **data))


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The wish's text, then an optional photo; anything else gets the question again."""
    message = update.effective_message
    assert message is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if step is Step.TEXT:
        text = visible(message.text)
        length = visible_length(text)
        if message.text is None or not WISH_TEXT_MIN <= length <= WISH_TEXT_MAX:
            bad = t(lang, "wish.text_bad", min=WISH_TEXT_MIN, max=WISH_TEXT_MAX, n=length)
            await say(context, dialog.user_id, bad)
            return
        await _advance(context, dialog, Step.PHOTO, text=text)
    elif step is Step.PHOTO and message.photo:
        await _advance(context, dialog, Step.CONFIRM, photo=message.photo[-1].file_id)
    else:
        await prompt(context, dialog)


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Kind, Skip (the photo), Confirm and Cancel."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if data.verb is Verb.ABORT:
        await answer(query)
        _, restored = await context.services.people.close_dialog(dialog.user_id)
        await say(context, dialog.user_id, t(lang, "wish.cancelled"), reply_markup=main_menu(lang))
        if restored is not None:
            await router(context).resume(context, dialog.user_id)
    elif step is Step.KIND and data.verb is Verb.CATEGORY:
        kind = context.directory.category_by_id(data.arg)
        if kind is None or kind.kind != KIND:  # retired meanwhile: ask again
            await answer(query, t(lang, "error.stale_button"))
            await prompt(context, dialog)
            return
        await answer(query)
        await _advance(context, dialog, Step.TEXT, kind=kind.key)
    elif step is Step.PHOTO and data.verb is Verb.SKIP:
        await answer(query)
        await _advance(context, dialog, Step.CONFIRM, photo=None)
    elif step is Step.CONFIRM and data.verb is Verb.CONFIRM:
        wish = dialog.data
        building = context.person.building if context.person else None
        resident = resident_of(wish)
        if resident is not None:  # filed by a worker for a resident without Telegram
            building = resident.building
        draft = Draft(
            KIND,
            wish["kind"],
            building or "",
            wish["text"],
            (wish["photo"],) if wish.get("photo") else (),
            resident=resident,
        )
        outcome = await context.services.requests.file(actor, draft)
        await answer(query)
        if outcome.ok:
            context.services.kick()
            await router(context).resume(context, actor.user_id)
        else:
            await say(context, actor.user_id, explain(lang, outcome))
    else:
        await answer(query, t(lang, "error.stale_button"))


async def wish(update: Update, context: BotContext) -> None:
    """/wish or the menu button: resume an open wizard, register first, or start."""
    user = update.effective_user
    assert user is not None
    if context.directory.admin_chat_id is None:  # nobody would publish it
        await say(context, user.id, t(lang_of(context), "wish.not_available"))
        return
    await begin(context, user.id, FIRST_STEP, prompt)


# --- the admins' card buttons ---------------------------------------------------------


async def on_card_button(update: Update, context: BotContext) -> None:
    """Publish / Edit public text / Reject / Close on a wish's card in the admin chat. Edit and
    Reject ask the admin for the text in their private chat."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    data = callbacks.parse(query.data)
    actor = actor_of(update)
    if actor is None:
        await answer(query, t(lang, "error.pseudo_sender"), alert=True)
        return
    if data is None or query.message is None:
        await answer(query, t(lang, "error.stale_button"))
        return
    requests = context.services.requests
    pressed = Pressed(query.message.chat.id, query.message.message_id)
    action = {
        Verb.PUBLISH: Action.PUBLISH,
        Verb.CLOSE: Action.CLOSE,
        Verb.EDIT_TEXT: Action.EDIT_TEXT,
        Verb.REJECT: Action.REJECT,
    }[data.verb]
    if action in (Action.EDIT_TEXT, Action.REJECT):
        await ask_for_text(
            update,
            context,
            data.arg,
            action,
            CURATE_FLOW,
            action.value,
            curate_prompt,
            hint="wish.curate_in_private",
        )
        return
    outcome = await requests.apply(actor, data.arg, action, pressed=pressed)
    context.services.kick()
    if not outcome.ok:
        await answer(query, explain(lang, outcome), alert=True)
        return
    await answer(query, explain_ok(lang, outcome, "wish.done"))


async def curate_prompt(context: BotContext, dialog: Dialog) -> None:
    lang = lang_of(context)
    request = await context.services.requests.get(dialog.data["request_id"])
    number = render.number(request) if request else "?"
    key = "wish.ask_reason" if dialog.step == Action.REJECT else "wish.ask_public_text"
    await say(context, dialog.user_id, t(lang, key, number=number, max=WISH_TEXT_MAX))


async def curate_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    action = Action(dialog.step)
    done = "wish.rejected_done" if action is Action.REJECT else "wish.text_done"
    await act_with_text(update, context, dialog, action, done, "wish.curate_bad", WISH_TEXT_MAX)


# --- the resident's confirmation --------------------------------------------------------


async def on_confirm_button(update: Update, context: BotContext) -> None:
    """✅ It came true (closes the wish) or 💌 Thank them (asks for a few words first)."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    requests = context.services.requests
    if data.verb is Verb.THANK:
        await ask_for_text(
            update, context, data.arg, Action.CONFIRM, THANKS_FLOW, "text", thanks_prompt
        )
        return
    outcome = await requests.apply(actor, data.arg, Action.CONFIRM)
    if not outcome.ok:
        await answer(query, explain(lang, outcome), alert=True)
        return
    await answer(query)
    await drop_buttons(update)
    context.services.kick()
    await say(context, actor.user_id, explain_ok(lang, outcome, "wish.confirm_done"))


async def thanks_prompt(context: BotContext, dialog: Dialog) -> None:
    await say(context, dialog.user_id, t(lang_of(context), "wish.ask_thanks", max=WISH_TEXT_MAX))


async def thanks_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    await act_with_text(
        update,
        context,
        dialog,
        Action.CONFIRM,
        "wish.thanks_sent",
        "wish.ask_thanks",
        WISH_TEXT_MAX,
    )


WISH = Flow(FLOW, prompt, on_input, on_button)
CURATE = Flow(CURATE_FLOW, curate_prompt, curate_input, no_buttons, interrupts=True)
THANKS = Flow(THANKS_FLOW, thanks_prompt, thanks_input, no_buttons, interrupts=True)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [
        CommandHandler("wish", wish, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(
            on_card_button,
            pattern=callbacks.pattern_for(Verb.PUBLISH, Verb.EDIT_TEXT, Verb.REJECT, Verb.CLOSE),
        ),
        CallbackQueryHandler(
            on_confirm_button, pattern=callbacks.pattern_for(Verb.CONFIRM_WISH, Verb.THANK)
        ),
    ]
