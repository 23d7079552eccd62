"""Grid workers: claim from a card in the group or from /queue, then resolve, add notes or
hand back in private."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.core import Actor, Pressed
from bot.domain import NOTE_MAX, Action
from bot.i18n import t
from bot.kinds import policy_of
from bot.limits import visible
from bot.messages import Button, Keyboard
from handlers.common import (
    Flow,
    actor_of,
    answer,
    drop_buttons,
    edit,
    explain,
    explain_ok,
    lang_of,
    private_press,
    say,
)
from handlers.dialog import act_with_text, ask_for_text, no_buttons, router
from storage.dialogs import Dialog

RESOLVE_FLOW = "resolve"
NOTE_FLOW = "note"
ASK_FLOW = "ask"  # a question to the resident


class Step(StrEnum):
    NOTE = "note"
    PHOTO = "photo"


async def claim(update: Update, context: BotContext) -> None:
    """The Claim button on a card: one winner; everyone else is told why not."""
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
    pressed = Pressed(query.message.chat.id, query.message.message_id)
    outcome = await context.services.requests.apply(actor, data.arg, Action.CLAIM, pressed=pressed)
    context.services.kick()  # an out-of-date copy of the card may have been retired
    if not outcome.ok:
        await answer(query, explain(lang, outcome), alert=True)
        return
    await answer(query, explain_ok(lang, outcome, "claim.ok"))


async def on_worker_button(update: Update, context: BotContext) -> None:
    """Resolved / Add note / Hand back on the claimer's private details message."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    requests = context.services.requests
    held = await requests.get(data.arg)
    if held is None:
        await answer(query, t(lang, "error.stale_button"))
        return
    policy = policy_of(held.kind)
    if data.verb is Verb.HAND_BACK:
        outcome = await requests.apply(actor, data.arg, policy.release)
        if not outcome.ok:
            await answer(query, explain(lang, outcome), alert=True)
            return
        context.services.kick()
        await answer(query)
        await drop_buttons(update)
        await say(context, actor.user_id, explain_ok(lang, outcome, policy.texts.released))
        return
    # Resolve, note and ask all want words first; the check now saves a pointless question.
    # A worker's button always acts: a wizard open meanwhile is set aside and asked again after.
    if data.verb is Verb.ASK:
        await ask_for_text(update, context, data.arg, Action.ASK, ASK_FLOW, Step.NOTE, ask_prompt)
        return
    if data.verb is Verb.RESOLVE:
        action, flow = policy.finish, RESOLVE_FLOW
    else:
        action, flow = Action.NOTE, NOTE_FLOW
    await ask_for_text(update, context, data.arg, action, flow, Step.NOTE, prompt)


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Ask for the note (resolve or plain note) or the result photo."""
    lang = lang_of(context)
    request = await context.services.requests.get(dialog.data["request_id"])
    number = render.number(request) if request else "?"
    if dialog.step == Step.PHOTO:
        await say(context, dialog.user_id, t(lang, "resolve.ask_photo"), _skip(lang, dialog))
    elif dialog.flow == RESOLVE_FLOW:
        ask = policy_of(request.kind).texts.finish_ask if request else "resolve.ask_note"
        await say(context, dialog.user_id, t(lang, ask, number=number, max=NOTE_MAX))
    else:
        await say(context, dialog.user_id, t(lang, "note.ask", number=number, max=NOTE_MAX))


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The note text, then (when resolving) an optional photo."""
    message = update.effective_message
    actor = actor_of(update)
    assert message is not None and actor is not None
    lang = lang_of(context)
    if dialog.step == Step.NOTE:
        note = visible(message.text)
        if not note or len(note) > NOTE_MAX:
            await say(context, actor.user_id, t(lang, "resolve.note_bad", max=NOTE_MAX))
            return
        if dialog.flow == NOTE_FLOW:
            await _finish(context, actor, dialog, note, None)
            return
        await prompt(context, await context.services.people.advance(dialog, Step.PHOTO, note=note))
    elif message.photo:
        await _finish(context, actor, dialog, dialog.data["note"], message.photo[-1].file_id)
    else:
        await say(context, actor.user_id, t(lang, "resolve.photo_bad"), _skip(lang, dialog))


def _skip(lang: str, dialog: Dialog) -> Keyboard:
    return [[Button(t(lang, "btn.skip"), Callback(Verb.SKIP, 0, dialog.nonce))]]


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Skip the result photo."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    if dialog.step == Step.PHOTO and data.verb is Verb.SKIP:
        await answer(query)
        await _finish(context, actor, dialog, dialog.data["note"], None)
    else:
        await answer(query, t(lang_of(context), "error.stale_button"))


async def _finish(
    context: BotContext, actor: Actor, dialog: Dialog, note: str, photo: str | None
) -> None:
    lang = lang_of(context)
    requests = context.services.requests
    request_id = dialog.data["request_id"]
    if dialog.flow == RESOLVE_FLOW:
        held = await requests.get(request_id)
        finish = policy_of(held.kind).finish if held else Action.RESOLVE
        outcome = await requests.apply(
            actor, request_id, finish, note=note, photo=photo, ends_wizard=True
        )
        done = policy_of(outcome.request.kind).texts.resolved if outcome.request else ""
    else:
        outcome = await requests.apply(actor, request_id, Action.NOTE, note=note, ends_wizard=True)
        done = "note.saved"
    if not outcome.ok:
        # The request moved on meanwhile (cancelled, handed back): nothing left to ask.
        await context.services.people.close_dialog(actor.user_id)
        await say(context, actor.user_id, explain(lang, outcome))
    else:
        context.services.kick()
        await say(context, actor.user_id, explain_ok(lang, outcome, done))
    # Whatever the worker had half-filled before is asked again.
    await router(context).resume(context, actor.user_id)


async def queue(update: Update, context: BotContext) -> None:
    """/queue: the unclaimed requests the worker may claim, oldest first, and their own."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    if context.directory.staff(user.id) is None:
        await say(context, user.id, t(lang, "queue.not_staff"))
        return
    text, buttons = await _queue_page(context, user.id, 0)
    await say(context, user.id, text, buttons)


async def _queue_page(context: BotContext, user_id: int, page: int) -> tuple[str, Keyboard]:
    waiting, mine = await context.services.requests.queue(user_id)
    lang = lang_of(context)
    return render.queue(context.settings, context.directory, lang, waiting, mine, page)


async def on_queue_button(update: Update, context: BotContext) -> None:
    """Claim from the queue, or turn its page; the queue message then shows what is now."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    page = 0
    if data.verb is Verb.QUEUE_PAGE:
        page = data.arg
        await answer(query)
    else:
        outcome = await context.services.requests.apply(actor, data.arg, Action.CLAIM)
        if not outcome.ok:
            await answer(query, explain(lang, outcome), alert=True)
        else:
            context.services.kick()
            await answer(query, explain_ok(lang, outcome, "claim.ok"))
    text, buttons = await _queue_page(context, actor.user_id, page)
    if not await edit(context, actor.user_id, press.message.message_id, text, buttons):
        await say(context, actor.user_id, text, buttons)


async def ask_prompt(context: BotContext, dialog: Dialog) -> None:
    request = await context.services.requests.get(dialog.data["request_id"])
    number = render.number(request) if request else "?"
    text = t(lang_of(context), "question.ask", number=number, max=NOTE_MAX)
    await say(context, dialog.user_id, text)


async def ask_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The question goes to the resident through the bot; the resolve clock stops."""
    await act_with_text(
        update, context, dialog, Action.ASK, "question.sent", "question.bad", NOTE_MAX
    )


RESOLVE = Flow(RESOLVE_FLOW, prompt, on_input, on_button, interrupts=True)
ASK = Flow(ASK_FLOW, ask_prompt, ask_input, no_buttons, interrupts=True)
NOTE = Flow(NOTE_FLOW, prompt, on_input, on_button, interrupts=True)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [
        CommandHandler("queue", queue, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(claim, pattern=callbacks.pattern_for(Verb.CLAIM)),
        CallbackQueryHandler(
            on_queue_button, pattern=callbacks.pattern_for(Verb.QUEUE_CLAIM, Verb.QUEUE_PAGE)
        ),
        CallbackQueryHandler(
            on_worker_button,
            pattern=callbacks.pattern_for(Verb.RESOLVE, Verb.NOTE, Verb.HAND_BACK, Verb.ASK),
        ),
    ]
