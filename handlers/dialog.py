"""Wizards whose current step lives in the database, so a restart resumes them.

PTB's ConversationHandler keeps its state in memory (its persistence flushes on an interval),
and a resident's half-filled report must survive `kill -9`; so each step is a `dialogs` row and
these handlers route input and wizard buttons to the flow that row names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.callbacks import Verb
from bot.context import BotContext
from bot.i18n import t
from handlers.common import Flow, answer, lang_of, main_menu, say

# Wizard buttons: what they mean depends on the flow and step the person is in.
WIZARD_VERBS = (
    Verb.BUILDING,
    Verb.CATEGORY,
    Verb.SKIP,
    Verb.PHOTOS_DONE,
    Verb.CONFIRM,
    Verb.ABORT,
    Verb.FOLLOW,
    Verb.DIFFERENT,
)


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
        # Only new messages: editing an old message must not answer today's question.
        return MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            self.on_input,
        )

    async def cancel(self, update: Update, context: BotContext) -> None:
        """/cancel: drop whatever wizard is open; nothing half-filled is kept."""
        user = update.effective_user
        assert user is not None
        lang = lang_of(context)
        dropped = await context.services.people.drop_dialog(user.id)
        registered = context.person is not None and context.person.registered
        await say(
            context,
            user.id,
            t(lang, "report.cancelled" if dropped else "nothing_to_cancel"),
            reply_markup=main_menu(lang) if registered else ReplyKeyboardRemove(),
        )

    async def resume(self, context: BotContext, user_id: int) -> bool:
        """Re-ask the open wizard's current question; False if none is open."""
        dialog = await context.services.people.dialog(user_id)
        if dialog is None or dialog.flow not in self._flows:
            return False
        await say(context, user_id, t(lang_of(context), "report.resume"))
        await self._flows[dialog.flow].prompt(context, dialog)
        return True

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
        dialog = await context.services.people.dialog(user.id)
        if dialog is not None and dialog.flow in self._flows:
            await self._flows[dialog.flow].on_input(update, context, dialog)
            return
        await say(context, user.id, t(lang_of(context), "unknown"))

    async def on_button(self, update: Update, context: BotContext) -> None:
        """A wizard button: valid only for the step that offered it."""
        query = update.callback_query
        assert query is not None
        lang = lang_of(context)
        data = callbacks.parse(query.data)
        dialog = await context.services.people.dialog(query.from_user.id)
        if data is None or dialog is None or dialog.flow not in self._flows:
            await answer(query, t(lang, "error.stale_button"))
            return
        await self._flows[dialog.flow].on_button(update, context, dialog, data)


def router(context: BotContext) -> DialogRouter:
    """The application's one router (set up in handlers/__init__.py)."""
    found = context.bot_data.get("dialogs")
    if not isinstance(found, DialogRouter):
        raise RuntimeError("the dialog router is registered by handlers.build_handlers")
    return found
