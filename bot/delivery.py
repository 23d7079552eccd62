"""The outbox delivery loop: sends what is owed, paced per chat, and sorts Telegram's errors.

| Telegram answers                          | what happens to the row                            |
| ----------------------------------------- | -------------------------------------------------- |
| RetryAfter                                | wait `retry_after`, send again (not an attempt)     |
| ChatMigrated                              | move everything owed to the new chat id, send again |
| Forbidden, "chat not found", kicked       | hold the chat's rows until it writes again; post    |
|                                           | each held row's fallbacks (the next stop on its     |
|                                           | route); a group: tell the admin chat once           |
| TimedOut                                  | send again with backoff: a second copy is the       |
|                                           | lesser harm than a card or notice that never came   |
| other network errors, 5xx                 | send again with backoff, as long as it takes        |
| "not modified"                            | done                                                |
| edit of a card that is gone               | post the card anew; it becomes the current card     |
| other BadRequest                          | failed; the admin chat is told                      |
| an exception of ours                      | backoff, at most `max_attempts`, then failed; told  |
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import aiosqlite
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import reach
from bot.directory import DirectoryBook
from bot.faultlog import faults
from bot.limits import CAPTION_MAX, TEXT_MAX, fit, plain, units
from bot.messages import enqueue
from bot.pacer import BULK, Pacer
from bot.render import retired_copy
from bot.settings import Settings
from storage import clock, outbox
from storage import requests as store
from storage.db import Database
from storage.outbox import OutboxRow
from storage.requests import Card

log = logging.getLogger(__name__)

# Sends to different chats in flight at once; the pacer (bot/pacer.py) keeps the pace. Enough
# to keep the overall budget busy at a round trip of a few hundred milliseconds.
CONCURRENCY = 16

# BadRequest texts that mean the chat cannot be reached at all (a wrong id, a deleted group).
_CHAT_GONE = ("chat not found", "group chat was deactivated", "bot was kicked", "not a member")
# BadRequest texts that mean the message to edit is gone or can no longer be edited.
_MESSAGE_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def markup(buttons: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["text"], url=b["url"])
                if "url" in b
                else InlineKeyboardButton(b["text"], callback_data=b["data"])
                for b in row
            ]
            for row in buttons
        ]
    )


def reply_markup(bot: Bot, row: OutboxRow) -> ReplyMarkup | None:
    """The row's inline buttons, or the reply keyboard a direct reply carried."""
    if row.buttons:
        return markup(row.buttons)
    if row.markup is None:
        return None
    if "keyboard" in row.markup:
        return ReplyKeyboardMarkup.de_json(row.markup, bot)
    return ReplyKeyboardRemove()


def fault_kind(error: TelegramError) -> str:
    """The kind of a Telegram fault, for the fault log's one line a minute per kind."""
    if isinstance(error, RetryAfter):
        return "429"
    if isinstance(error, TimedOut):
        return "timeout"
    if isinstance(error, Forbidden):
        return "forbidden"
    if isinstance(error, BadRequest):
        return "bad-request"
    if isinstance(error, NetworkError):
        return "network"
    return type(error).__name__


def note_fault(error: TelegramError, where: str) -> None:
    """Log a Telegram fault (no traceback: it is Telegram's, and expected)."""
    faults.note(fault_kind(error), f"{where}: {error}")


def _says(error: TelegramError, texts: tuple[str, ...]) -> bool:
    message = str(error).lower()
    return any(text in message for text in texts)


class Deliverer:
    def __init__(
        self, db: Database, bot: Bot, settings: Settings, directory: DirectoryBook
    ) -> None:
        self._db = db
        self._bot = bot
        self._settings = settings
        self._directory = directory
        self._outbox = settings.outbox
        self._lock = asyncio.Lock()
        self._again = False
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._pass_rows = max(2 * CONCURRENCY, int(self._outbox.messages_per_second))
        # The bot's pacer keeps each chat's and group's pace: the outbox's sends wait behind
        # direct replies, and a row whose chat or group has no budget left is not taken yet.
        pacer = getattr(bot, "rate_limiter", None)
        assert isinstance(pacer, Pacer), "the bot paces its sends through bot.pacer.Pacer"
        self._pacer = pacer
        self._bulk: dict[str, Any] = {"rate_limit_args": BULK}

    @property
    def busy(self) -> bool:
        """A run is going (a call now only makes it go round again)."""
        return self._lock.locked()

    async def run(self) -> int:
        """Deliver everything due now; a call while a run is going makes that run go again."""
        if self._lock.locked():
            self._again = True
            return 0
        attempted = 0
        async with self._lock:
            async with self._db.transaction() as conn:
                await outbox.end_quiet(conn, clock.now())
            while True:
                self._again = False
                done, wait = await self._pass()
                attempted += done
                if done or self._again:
                    continue
                if wait is None or wait > self._outbox.poll_seconds:
                    return attempted
                # Only the pacer holds rows back (a chat's or group's pace): wait for it
                # rather than a whole tick.
                await asyncio.sleep(wait)

    async def _pass(self) -> tuple[int, float | None]:
        async with self._db.read() as conn:
            # About a second's worth of sends a pass: a pass ends when its slowest send does, and
            # a chat (a group's cards) gets one row a pass.
            rows = await outbox.due(conn, clock.now(), self._pass_rows)
        ready: list[OutboxRow] = []
        wait: float | None = None
        for row in rows:
            free_in = self._pacer.free_in(row.chat_id)
            if free_in <= 0:
                ready.append(row)
            else:
                wait = free_in if wait is None else min(wait, free_in)
        await asyncio.gather(*(self._deliver(row) for row in ready))
        return len(ready), wait

    async def _deliver(self, row: OutboxRow) -> None:
        async with self._limit:
            try:
                card = await self._send(row)
            except RetryAfter as exc:
                delay = exc.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                note_fault(exc, f"sending to {row.chat_id}")
                await self._retry(row, seconds, f"RetryAfter {seconds}s", count=False)
            except ChatMigrated as exc:
                log.warning("chat %s moved to %s; update the config", row.chat_id, exc.new_chat_id)
                async with self._db.transaction() as conn:
                    await outbox.migrate_chat(conn, row.chat_id, exc.new_chat_id)
            except Forbidden as exc:
                note_fault(exc, f"sending to {row.chat_id}")
                await self._unreachable(row, str(exc))
            except BadRequest as exc:
                if "not modified" in str(exc):
                    await self._done(row, None)
                elif _says(exc, _CHAT_GONE):
                    note_fault(exc, f"sending to {row.chat_id}")
                    await self._unreachable(row, str(exc))
                else:
                    log.error("outbox row %s refused by Telegram: %s", row.id, exc)
                    await self._give_up(row, str(exc))
            except (NetworkError, TelegramError) as exc:
                # TimedOut included: the message may have arrived, but a card or notice that
                # never arrives is a worse harm than a second copy.
                note_fault(exc, f"sending to {row.chat_id}")
                await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                # Our bug, not Telegram's: back off, and after a few tries stop and say so.
                log.exception("outbox row %s could not be delivered", row.id)
                error = f"{type(exc).__name__}: {exc}"
                if row.attempts + 1 >= self._outbox.max_attempts:
                    await self._give_up(row, error)
                else:
                    await self._retry(row, self._backoff(row), error)
            else:
                await self._done(row, card)

    async def _send(self, row: OutboxRow) -> Card | None:
        """Make the Telegram calls; returns the card to remember when a card was posted."""
        if row.kind == "edit":
            await self._edit_message(row)
            return None
        if row.kind == "edit_card" and await self._edit_card(row):
            return None
        # A new card, or a card whose message is gone: post it (again).
        message = await self._post(row)
        if row.kind in ("card", "edit_card") and row.request_id is not None:
            return Card(row.request_id, row.chat_id, message.message_id, bool(message.photo))
        return None

    async def _post(self, row: OutboxRow) -> Message:
        keyboard = reply_markup(self._bot, row)
        if row.photo and units(plain(row.text)) <= CAPTION_MAX:
            return await self._bot.send_photo(
                row.chat_id, row.photo, caption=row.text, reply_markup=keyboard, **self._bulk
            )
        if row.photo:
            await self._bot.send_photo(row.chat_id, row.photo, **self._bulk)
        return await self._bot.send_message(
            row.chat_id, fit(row.text, TEXT_MAX), reply_markup=keyboard, **self._bulk
        )

    async def _edit_card(self, row: OutboxRow) -> bool:
        """Edit the card in place; False if there is no card message left to edit."""
        assert row.request_id is not None
        async with self._db.read() as conn:
            if await outbox.superseded(conn, row):
                # The group's 20 messages a minute are better spent on the latest state.
                return True
            card = await store.card(conn, row.request_id, row.chat_id)
        if card is None:
            return False
        keyboard = markup(row.buttons)
        try:
            if card.has_photo:
                await self._bot.edit_message_caption(
                    row.chat_id,
                    card.message_id,
                    caption=fit(row.text, CAPTION_MAX),
                    reply_markup=keyboard,
                    **self._bulk,
                )
            else:
                await self._bot.edit_message_text(
                    fit(row.text, TEXT_MAX),
                    row.chat_id,
                    card.message_id,
                    reply_markup=keyboard,
                    **self._bulk,
                )
        except BadRequest as exc:
            if _says(exc, _MESSAGE_GONE):
                log.info(
                    "card of request %s in %s is gone: posting it again",
                    row.request_id,
                    row.chat_id,
                )
                return False
            raise
        return True

    async def _edit_message(self, row: OutboxRow) -> None:
        """Edit one known message (an out-of-date copy of a card); gone or not, it is done."""
        assert row.message_id is not None
        keyboard = markup(row.buttons)
        try:
            try:
                await self._bot.edit_message_text(
                    fit(row.text), row.chat_id, row.message_id, reply_markup=keyboard, **self._bulk
                )
            except BadRequest as exc:
                if "no text in the message" not in str(exc).lower():
                    raise
                await self._bot.edit_message_caption(
                    row.chat_id,
                    row.message_id,
                    caption=fit(row.text, CAPTION_MAX),
                    reply_markup=keyboard,
                    **self._bulk,
                )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.info("could not edit message %s in %s: %s", row.message_id, row.chat_id, exc)

    def _backoff(self, row: OutboxRow) -> float:
        base = self._outbox.backoff_base_seconds
        return float(min(base * 2 ** min(row.attempts, 20), self._outbox.backoff_max_seconds))

    async def _done(self, row: OutboxRow, card: Card | None) -> None:
        async with self._db.transaction() as conn:
            if card is not None:
                previous = await store.card(conn, card.request_id, card.chat_id)
                await store.save_card(conn, card)
                if previous is not None and previous.message_id != card.message_id:
                    await self._retire(conn, previous)
            await outbox.mark_sent(conn, row.id)

    async def _retire(self, conn: aiosqlite.Connection, old: Card) -> None:
        """An older copy of a card points to the current one instead of offering buttons."""
        request = await store.get(conn, old.request_id)
        if request is not None:
            lang = self._settings.community.group_language
            await enqueue(conn, retired_copy(lang, request, old.chat_id, old.message_id))

    async def _retry(self, row: OutboxRow, seconds: float, error: str, count: bool = True) -> None:
        # Telegram's faults are in the fault log, a line a minute; this is for debugging.
        log.debug("outbox row %s to %s: %s; retry in %.1fs", row.id, row.chat_id, error, seconds)
        at = clock.now() + timedelta(seconds=seconds)
        async with self._db.transaction() as conn:
            await outbox.mark_retry(conn, row.id, at, error, count=count)

    async def _give_up(self, row: OutboxRow, error: str) -> None:
        """Park the row as failed, with its reason, and tell the admin chat."""
        async with self._db.transaction() as conn:
            await outbox.mark_final(conn, row.id, "failed", error)
            await self._tell_admins(
                conn, row.chat_id, "admin.undeliverable", chat=row.chat_id, row=row.id, error=error
            )

    async def _unreachable(self, row: OutboxRow, reason: str) -> None:
        """The chat refuses us: keep its messages until it writes again, and post what stands
        in for each of them (a group's cards go to its workers, else the admin chat)."""
        async with self._db.transaction() as conn:
            await reach.hold_chat(
                conn, self._directory.current, self._settings, row.chat_id, reason, first=row
            )

    async def _tell_admins(
        self, conn: aiosqlite.Connection, about_chat: int, key: str, **params: Any
    ) -> None:
        await reach.tell_admins(
            conn, self._directory.current, self._settings, about_chat, key, **params
        )
