"""Wizards whose current step lives in the database, so a restart resumes them.

PTB's ConversationHandler keeps its state in memory (its persistence flushes on an interval),
and a resident's half-filled report must survive `kill -9`; so each step is a `dialogs` row and
these handlers route input and wizard buttons to the flow that row names.

A wizard button counts only in the private chat, wizard and step that showed it: it carries the
step's nonce. An album (photos sent together) is one answer: once it answered a question, the
rest of its photos are not answered again. A step that collects an album's photos says so by
keeping the album's id in `data["album"]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.callbacks import WIZARD_VERBS, Callback
from bot.context import BotContext
from bot.domain import Action
from bot.i18n import t
from bot.limits import visible, visible_length
from handlers.common import (
    Flow,
    actor_of,
    answer,
    drop_buttons,
    explain,
    explain_ok,
    in_private,
    lang_of,
    main_menu,
    say,
)
from storage.dialogs import Dialog

MenuAction = Callable[[Update, BotContext], Awaitable[None]]


class DialogRouter:
    def __init__(self, flows: list[Flow], menu: Mapping[str, MenuAction]) -> None:
        self._flows = {flow.name: flow for flow in flows}
        # Reply-keyboard labels (in both languages) and what they do, wizard or not.
        self._menu = menu

    def build_handlers(self) -> list[BaseHandler[Update, BotContext, None]]:
        private = filters.ChatType.PRIVATE
        return [
            CommandHandler("cancel", self.cancel, filters=private),
            CallbackQueryHandler(self.on_button, pattern=callbacks.pattern_for(*WIZARD_VERBS)),
        ]

    def input_handler(self) -> BaseHandler[Update, BotContext, None]:
        """Registered last in its group: any private message a wizard may be waiting for."""
        return MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            self.on_input,
        )

    async def open(
        self, context: BotContext, user_id: int, flow: str, step: str, data: dict[str, Any]
    ) -> Dialog:
        """Start a wizard. One that interrupts sets the open wizard aside to ask it again after
        (a worker's wizard replacing another worker's wizard keeps what that one set aside)."""
        people = context.services.people
        set_aside = None
        if self._flows[flow].interrupts:
            current = await people.dialog(user_id)
            if current is not None and current.flow in self._flows:
                set_aside = current.suspended if self._flows[current.flow].interrupts else current
        return await people.open_dialog(user_id, flow, step, data, set_aside)

    async def cancel(self, update: Update, context: BotContext) -> None:
        """/cancel: drop the open wizard; nothing half-filled is kept. One it had set aside
        is asked again."""
        user = update.effective_user
        assert user is not None
        lang = lang_of(context)
        existed, restored = await context.services.people.close_dialog(user.id)
        registered = context.person is not None and context.person.registered
        await say(
            context,
            user.id,
            t(lang, "report.cancelled" if existed else "nothing_to_cancel"),
            reply_markup=main_menu(lang) if registered else ReplyKeyboardRemove(),
        )
        if restored is not None:
            await self.resume(context, user.id)

    async def resume(self, context: BotContext, user_id: int) -> bool:
        """Re-ask the open wizard's current question; False if none is open."""
        dialog = await context.services.people.dialog(user_id)
        if dialog is None or dialog.flow not in self._flows:
            return False
        await say(context, user_id, t(lang_of(context), "report.resume"))
        await self._flows[dialog.flow].prompt(context, dialog)
        return True

    async def ask(self, context: BotContext, dialog: Dialog) -> None:
        """Ask the question of the step `dialog` is on."""
        await self._flows[dialog.flow].prompt(context, dialog)

    async def on_input(self, update: Update, context: BotContext) -> None:
        """A message in private chat: the open wizard's answer, a menu button, or help."""
        user = update.effective_user
        message = update.effective_message
        assert user is not None and message is not None
        # A menu button is never an answer: "📝 Report a repair" is not a description.
        action = self._menu.get(message.text or "")
        if action is not None:
            await action(update, context)
            return
        people = context.services.people
        album = message.media_group_id
        if album is not None and await people.album_answered(user.id, album):
            return  # the rest of an album that already answered
        dialog = await people.dialog(user.id)
        if dialog is not None and dialog.flow in self._flows:
            await self._flows[dialog.flow].on_input(update, context, dialog)
        else:
            await say(context, user.id, t(lang_of(context), "unknown"))
        if album is not None:
            after = await people.dialog(user.id)
            collecting = (
                after is not None
                and dialog is not None
                and (after.flow, after.step) == (dialog.flow, dialog.step)
                and after.data.get("album") == album
            )
            if not collecting:
                await people.answer_album(user.id, album)

    async def on_button(self, update: Update, context: BotContext) -> None:
        """A wizard button: valid only in the private chat, wizard and step that showed it."""
        query = update.callback_query
        assert query is not None
        data = callbacks.parse(query.data)
        dialog = await context.services.people.dialog(query.from_user.id)
        if (
            data is None
            or dialog is None
            or dialog.flow not in self._flows
            or data.arg2 != dialog.nonce
            or not in_private(update)
        ):
            await answer(query, t(lang_of(context), "error.stale_button"))
            return
        # The step is answered: its buttons go first, so the message cannot be pressed again.
        await drop_buttons(update)
        await self._flows[dialog.flow].on_button(update, context, dialog, data)


def router(context: BotContext) -> DialogRouter:
    """The application's one router (set up in handlers/__init__.py)."""
    found = context.bot_data.get("dialogs")
    if not isinstance(found, DialogRouter):
        raise RuntimeError("the dialog router is registered by handlers.build_handlers")
    return found


async def ask_for_text(
    update: Update,
    context: BotContext,
    request_id: int,
    action: Action,
    flow: str,
    step: str,
    ask: Callable[[BotContext, Dialog], Awaitable[None]],
    hint: str | None = None,
) -> None:
    """A button whose action needs words first (a note, a reason, an answer): if the action is
    allowed now, open the wizard that asks for them (it sets aside any other), else say why.
    `hint` is shown with the press (say, "answer in your private chat")."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    lang = lang_of(context)
    outcome = await context.services.requests.check(actor, request_id, action)
    if not outcome.ok:
        await answer(query, explain(lang, outcome), alert=True)
        return
    await answer(query, t(lang, hint) if hint else None, alert=hint is not None)
    dialog = await router(context).open(
        context, actor.user_id, flow, step, {"request_id": request_id}
    )
    await ask(context, dialog)


async def act_with_text(
    update: Update,
    context: BotContext,
    dialog: Dialog,
    action: Action,
    done: str,
    bad: str,
    most: int,
) -> None:
    """The typed answer a wizard asked for becomes the action's note; a bad one is asked
    again. Whatever was half-filled before is asked again after."""
    message = update.effective_message
    actor = actor_of(update)
    assert message is not None and actor is not None
    lang = lang_of(context)
    text = visible(message.text)
    if not text or visible_length(text) > most:
        await say(context, actor.user_id, t(lang, bad, max=most))
        return
    outcome = await context.services.requests.apply(
        actor, dialog.data["request_id"], action, note=text, ends_wizard=True
    )
    if not outcome.ok:  # it moved on meanwhile: nothing left to ask
        await context.services.people.close_dialog(actor.user_id)
        await say(context, actor.user_id, explain(lang, outcome))
    else:
        context.services.kick()
        await say(context, actor.user_id, explain_ok(lang, outcome, done))
    await router(context).resume(context, actor.user_id)


async def no_buttons(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """A wizard that shows no buttons: any press of one is stale."""
    query = update.callback_query
    assert query is not None
    await answer(query, t(lang_of(context), "error.stale_button"))
