"""Helpers shared by the journeys: who is speaking, in which language, and small replies."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest

from bot import render
from bot.context import BotContext
from bot.delivery import markup
from bot.domain import PSEUDO_SENDERS
from bot.i18n import t
from bot.messages import Keyboard, keyboard_dicts
from bot.repairs import Actor, Outcome
from storage.dialogs import Dialog


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
        [[KeyboardButton(t(lang, "menu.report")), KeyboardButton(t(lang, "menu.my"))]],
        resize_keyboard=True,
        is_persistent=True,
    )


async def say(
    context: BotContext,
    chat_id: int,
    text: str,
    buttons: Keyboard | None = None,
    reply_markup: Any = None,
) -> None:
    """A direct reply inside a conversation (state changes go through the outbox instead)."""
    await context.bot.send_message(
        chat_id, text, reply_markup=inline(buttons) if buttons else reply_markup
    )


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Every press gets an answer, or the user's client keeps spinning."""
    await query.answer(text[:200] if text else None, show_alert=alert)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off a finished step so an old message cannot be pressed again."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    # Already gone or too old to edit: harmless.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


def explain(lang: str, outcome: Outcome) -> str:
    """A refusal in the user's words."""
    assert outcome.reason is not None
    params: dict[str, Any] = {"number": "", "status": "", "name": "", "grid": ""}
    if outcome.request is not None:
        params["number"] = render.number(outcome.request)
        params["status"] = render.status_name(lang, outcome.request.status)
    params.update(outcome.params)
    return t(lang, outcome.reason, **params)


@dataclass(frozen=True)
class Flow:
    """A wizard whose step lives in the database (see handlers/dialog.py)."""

    name: str
    prompt: Callable[[BotContext, Dialog], Awaitable[None]]
    on_input: Callable[[Update, BotContext, Dialog], Awaitable[None]]
    on_button: Callable[[Update, BotContext, Dialog, Any], Awaitable[None]]
