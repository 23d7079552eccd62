"""The outbox delivery loop: sends what is owed, paced per chat, and sorts Telegram's errors."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.settings import OutboxSettings
from storage import outbox
from storage import requests as store
from storage.db import Database
from storage.outbox import OutboxRow
from storage.requests import Card

log = logging.getLogger(__name__)

CAPTION_MAX = 1024
# Sends to different chats in flight at once; PTB's rate limiter keeps the overall pace.
CONCURRENCY = 8


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


def _never_sent(error: TimedOut) -> bool:
    """A connect or pool timeout means the request never left: safe to send again."""
    return isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout) or (
        "Pool timeout" in str(error)
    )


class Deliverer:
    def __init__(self, db: Database, bot: Bot, settings: OutboxSettings) -> None:
        self._db = db
        self._bot = bot
        self._settings = settings
        self._last_sent: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._again = False
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def run(self) -> int:
        """Deliver everything due now; a call while a run is going makes that run go again."""
        if self._lock.locked():
            self._again = True
            return 0
        attempted = 0
        async with self._lock:
            while True:
                self._again = False
                done, wait = await self._pass()
                attempted += done
                if done or self._again:
                    continue
                if wait is None or wait > self._settings.poll_seconds:
                    return attempted
                # Only per-chat pacing holds rows back: wait for it rather than a whole tick.
                await asyncio.sleep(wait)

    async def _pass(self) -> tuple[int, float | None]:
        async with self._db.read() as conn:
            rows = await outbox.due(conn, datetime.now(UTC))
        interval = self._settings.per_chat_interval_seconds
        now = time.monotonic()
        ready: list[OutboxRow] = []
        wait: float | None = None
        for row in rows:
            free_at = self._last_sent.get(row.chat_id, 0.0) + interval
            if free_at <= now:
                ready.append(row)
            else:
                wait = min(wait if wait is not None else free_at - now, free_at - now)
        await asyncio.gather(*(self._deliver(row) for row in ready))
        return len(ready), wait

    async def _deliver(self, row: OutboxRow) -> None:
        async with self._limit:
            self._last_sent[row.chat_id] = time.monotonic()
            try:
                card = await self._send(row)
            except RetryAfter as exc:
                delay = exc.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                await self._retry(row, seconds, f"RetryAfter {seconds}s", count=False)
            except ChatMigrated as exc:
                log.warning("chat %s moved to %s; update the config", row.chat_id, exc.new_chat_id)
                async with self._db.transaction() as conn:
                    await outbox.migrate_chat(conn, row.chat_id, exc.new_chat_id)
            except Forbidden as exc:
                await self._hold(row, str(exc))
            except BadRequest as exc:
                if "not modified" in str(exc):
                    await self._done(row, None)
                else:
                    log.error("outbox row %s refused by Telegram: %s", row.id, exc)
                    await self._final(row, "failed", str(exc))
            except TimedOut as exc:
                if row.kind == "edit_card" or _never_sent(exc):
                    await self._retry(row, self._backoff(row), f"timed out: {exc}")
                else:
                    # It may have arrived; a second copy of a notice is worse than a log line.
                    log.warning("outbox row %s timed out and may have arrived", row.id)
                    await self._final(row, "unconfirmed", str(exc))
            except (NetworkError, TelegramError) as exc:
                await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                # Our bug, not Telegram's: keep the message and back off instead of spinning.
                log.exception("outbox row %s could not be delivered", row.id)
                await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc}")
            else:
                await self._done(row, card)

    async def _send(self, row: OutboxRow) -> Card | None:
        """Make the Telegram call; returns the card to remember when a card was posted."""
        reply_markup = markup(row.buttons)
        if row.kind == "edit_card":
            assert row.request_id is not None
            async with self._db.read() as conn:
                if await outbox.superseded(conn, row):
                    # The group's 20 messages a minute are better spent on the latest state.
                    return None
                card = await store.card(conn, row.request_id, row.chat_id)
            if card is None:
                raise BadRequest("no card to edit: it was never posted")
            if card.has_photo:
                await self._bot.edit_message_caption(
                    row.chat_id, card.message_id, caption=row.text, reply_markup=reply_markup
                )
            else:
                await self._bot.edit_message_text(
                    row.text, row.chat_id, card.message_id, reply_markup=reply_markup
                )
            return None
        message: Message
        if row.photo and len(row.text) <= CAPTION_MAX:
            message = await self._bot.send_photo(
                row.chat_id, row.photo, caption=row.text, reply_markup=reply_markup
            )
        elif row.photo:
            await self._bot.send_photo(row.chat_id, row.photo)
            message = await self._bot.send_message(
                row.chat_id, row.text, reply_markup=reply_markup
            )
        else:
            message = await self._bot.send_message(
                row.chat_id, row.text, reply_markup=reply_markup
            )
        if row.kind == "card" and row.request_id is not None:
            return Card(row.request_id, row.chat_id, message.message_id, message.photo != ())
        return None

    def _backoff(self, row: OutboxRow) -> float:
        base = self._settings.backoff_base_seconds
        return float(min(base * 2 ** min(row.attempts, 20), self._settings.backoff_max_seconds))

    async def _done(self, row: OutboxRow, card: Card | None) -> None:
        async with self._db.transaction() as conn:
            if card is not None:
                await store.save_card(conn, card)
            await outbox.mark_sent(conn, row.id)

    async def _retry(self, row: OutboxRow, seconds: float, error: str, count: bool = True) -> None:
        log.info("outbox row %s to %s: %s; retry in %.1fs", row.id, row.chat_id, error, seconds)
        at = datetime.now(UTC) + timedelta(seconds=seconds)
        async with self._db.transaction() as conn:
            await outbox.mark_retry(conn, row.id, at, error, count=count)

    async def _final(self, row: OutboxRow, status: str, error: str) -> None:
        async with self._db.transaction() as conn:
            await outbox.mark_final(conn, row.id, status, error)

    async def _hold(self, row: OutboxRow, error: str) -> None:
        """The chat refuses us: keep its messages until it writes again; post the fallback."""
        log.info("chat %s refuses delivery (%s); holding its messages", row.chat_id, error)
        async with self._db.transaction() as conn:
            await outbox.hold_chat(conn, row.chat_id, error)
            if row.fallback:
                fb = row.fallback
                await outbox.enqueue(
                    conn,
                    chat_id=fb["chat_id"],
                    kind="send",
                    text=fb["text"],
                    buttons=fb["buttons"],
                    request_id=fb.get("request_id"),
                    photo=fb.get("photo"),
                )
