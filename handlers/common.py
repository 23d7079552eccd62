"""Helpers shared by the journeys: who is speaking, in which language, and small replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import callbacks, render
from bot.callbacks import Callback
from bot.context import BotContext
from bot.core import Actor, Outcome
from bot.delivery import markup, note_fault
from bot.domain import PSEUDO_SENDERS
from bot.i18n import t
from bot.limits import ANSWER_MAX, clip, fit, plain
from bot.menus import Menu
from bot.messages import Keyboard, keyboard_dicts, send_later
from storage.dialogs import Dialog

log = logging.getLogger(__name__)
T = TypeVar("T")

# A direct reply is tried this often, waiting at most this long for a 429 to pass, before it
# is left to the outbox (which keeps trying for as long as it takes).
REPLY_ATTEMPTS = 4
REPLY_MAX_WAIT = 10.0


def lang_of(context: BotContext) -> str:
    if context.person is not None:
        return context.person.lang
    return context.settings.community.group_language


def actor_of(update: Update) -> Actor | None:
    """The real person behind an update; None for pseudo-senders (anonymous admin, channel)."""
    user = update.effective_user
    if user is None or user.is_bot or user.id in PSEUDO_SENDERS:
        return None
    return Actor(user.id, user.full_name)


def inline(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    return markup(keyboard_dicts(buttons))


def main_menu(lang: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(t(lang, "menu.report")), KeyboardButton(t(lang, "menu.wish"))],
            [KeyboardButton(t(lang, "menu.my"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def _seconds(delay: float | timedelta) -> float:
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


async def with_retries(call: Callable[[], Awaitable[T]], attempts: int = REPLY_ATTEMPTS) -> T:
    """Make a Telegram call, retrying what the outbox would retry: 429, 5xx, network errors.

    Refusals (BadRequest, Forbidden) are raised at once: trying again changes nothing.
    """
    pause = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except (BadRequest, Forbidden):
            raise
        except RetryAfter as exc:
            note_fault(exc, "a direct reply")
            wait = _seconds(exc.retry_after)
            if attempt == attempts or wait > REPLY_MAX_WAIT:
                raise
            await asyncio.sleep(wait)
        except NetworkError as exc:  # TimedOut too: a second copy of a reply is harmless
            note_fault(exc, "a direct reply")
            if attempt == attempts:
                raise
            await asyncio.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


async def say(
    context: BotContext,
    chat_id: int,
    text: str,
    buttons: Keyboard | None = None,
    reply_markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
) -> Message | None:
    """A direct reply inside a conversation (state changes go through the outbox instead).

    Transient errors are retried; if Telegram stays away, or the person blocked the bot, the
    reply waits in the outbox and nothing is lost. None then.
    """
    text = fit(text)
    keyboard = inline(buttons) if buttons else reply_markup
    try:
        return await with_retries(
            lambda: context.bot.send_message(chat_id, text, reply_markup=keyboard)
        )
    except BadRequest:
        raise
    except (NetworkError, Forbidden) as exc:
        log.info("reply to %s left to the outbox: %s", chat_id, exc)
        raw = reply_markup.to_dict() if reply_markup is not None and not buttons else None
        await send_later(context.services.db, chat_id, text, keyboard_dicts(buttons or []), raw)
        context.services.kick()
        return None


async def edit(
    context: BotContext, chat_id: int, message_id: int, text: str, buttons: Keyboard
) -> bool:
    """Edit one of our messages in a private chat; False if it cannot be (send anew then)."""
    try:
        await with_retries(
            lambda: context.bot.edit_message_text(
                fit(text), chat_id, message_id, reply_markup=inline(buttons)
            )
        )
    except TelegramError as exc:
        if "not modified" in str(exc).lower():
            return True  # it already reads so
        log.info("could not edit message %s in %s: %s", message_id, chat_id, exc)
        return False
    return True


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Every press gets an answer, or the user's client keeps spinning.

    Answers are plain text (not HTML) of at most 200 characters. A failed answer is only
    logged: the press itself was handled, and the person must not hear otherwise.
    """
    shown = clip(plain(text), ANSWER_MAX) if text else None
    try:
        await with_retries(lambda: query.answer(shown, show_alert=alert), attempts=3)
    except TelegramError as exc:
        log.info("could not answer callback query %s: %s", query.id, exc)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off a finished step so an old message cannot be pressed again."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:  # already gone, too old, or Telegram busy: only cosmetic
        log.debug("could not take the buttons off: %s", exc)


@dataclass(frozen=True)
class Press:
    """A press in the presser's own private chat with the bot, its data in our grammar."""

    query: CallbackQuery
    actor: Actor
    data: Callback
    message: MaybeInaccessibleMessage  # an old message is inaccessible, and still pressed


async def private_press(update: Update, context: BotContext) -> Press | None:
    """The press, or None once the presser was told the button is no longer valid: its data
    is not ours (stale, forged), or it was pressed anywhere but their private chat."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    actor = actor_of(update)
    message = query.message
    if data is None or actor is None or message is None or not in_private(update):
        await answer(query, t(lang_of(context), "error.stale_button"))
        return None
    return Press(query, actor, data, message)


def on_its_message(query: CallbackQuery) -> bool:
    """Does the pressed message carry this very button? A card's button names what it acts on
    (an applicant, say); the same data forged onto another card must not act."""
    message = query.message
    keyboard = message.reply_markup if isinstance(message, Message) else None
    return keyboard is not None and any(
        button.callback_data == query.data for row in keyboard.inline_keyboard for button in row
    )


def in_private(update: Update) -> bool:
    """Was the button pressed in the presser's own private chat with the bot?"""
    query = update.callback_query
    return (
        query is not None
        and query.message is not None
        and query.message.chat.id == query.from_user.id
    )


def explain(lang: str, outcome: Outcome) -> str:
    """A refusal in the user's words."""
    assert outcome.reason is not None
    params: dict[str, Any] = {"number": "", "status": "", "name": "", "grid": ""}
    if outcome.request is not None:
        params["number"] = render.number(outcome.request)
        params["status"] = render.status_name(lang, outcome.request.status)
    params.update(outcome.params)
    return t(lang, outcome.reason, **params)


def explain_ok(lang: str, outcome: Outcome, key: str) -> str:
    """What was done, in the user's words, with the request's number and status."""
    return explain(lang, Outcome(True, outcome.request, key))


@dataclass(frozen=True)
class Flow:
    """A wizard whose step lives in the database (see handlers/dialog.py)."""

    name: str
    prompt: Callable[[BotContext, Dialog], Awaitable[None]]
    on_input: Callable[[Update, BotContext, Dialog], Awaitable[None]]
    on_button: Callable[[Update, BotContext, Dialog, Any], Awaitable[None]]
    # A worker's wizard (resolve, note) may interrupt any other: that one keeps its step and
    # is asked again afterwards. Other wizards resume the open one instead of starting.
    interrupts: bool = False


async def set_menus(bot: Bot, menus: list[Menu]) -> None:
    """Set (or, with no commands, delete) each command menu. A cosmetic call: a failure (a
    person who never opened the private chat, a group the bot is not in) is only logged."""
    for menu in menus:
        scope = BotCommandScope.de_json(menu.scope, bot)
        try:
            if menu.commands:
                await bot.set_my_commands(
                    [BotCommand(name, text) for name, text in menu.commands],
                    scope=scope,
                    language_code=menu.language,
                )
            else:
                await bot.delete_my_commands(scope=scope, language_code=menu.language)
        except TelegramError as exc:
            log.info("command menu %s not set: %s", menu.scope, exc)
