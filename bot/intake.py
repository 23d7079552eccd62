"""Updates in: stored in the inbox before Telegram is told they arrived, then handled.

PTB's Updater acknowledges a batch of updates when it asks for the next one, whether or not
the earlier batch was handled: a crash in between loses them. Here each batch is written to
the inbox in one transaction first, and only then is the next getUpdates (whose offset
acknowledges the batch) sent. Each stored update is handled through the Application's update
processor (a person's updates in order) and marked done (a few at a time: in the next batch's
transaction, or DONE_AFTER_SECONDS after being handled); what was stored and not done when the
bot stopped is handled at the next start, in update_id order. An update PTB cannot read
is recorded as skipped with the reason, and never fetched again.

Like bot/delivery.py (the outbox's side), this module speaks to Telegram, so it imports
telegram; the SQL is in storage/inbox.py.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.delivery import note_fault
from bot.settings import Settings
from storage import clock, inbox
from storage.db import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# While this many stored updates wait to be handled, no more are fetched.
MAX_IN_HAND = 2000
BACKOFF_MAX_SECONDS = 30.0
# Handled updates are marked done together, this long after the first of them (or with the
# next batch stored, in its transaction): one commit for many updates, not one each. A crash
# in between replays them at the next start, as it does an update that was being handled.
DONE_AFTER_SECONDS = 0.2

App = Any  # telegram.ext.Application, generic in six parameters


class Intake:
    """The inbox's side of the Application: fetch or receive, store, handle, mark done."""

    def __init__(self, application: App, db: Database, settings: Settings) -> None:
        self._app = application
        self._db = db
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._runner: Any = None  # aiohttp's AppRunner in webhook mode
        self._in_hand = 0
        self._room = asyncio.Event()
        self._room.set()
        self._done: list[int] = []  # handled, not yet marked done in the inbox
        self._marking: asyncio.Task[None] | None = None
        self.done_after = DONE_AFTER_SECONDS
        self.last_poll: datetime | None = None
        self.last_webhook: datetime | None = None
        self.fault: str | None = None  # the fault polling is in now, if any

    # --- start and stop ---

    async def start(self) -> None:
        """Handle what an earlier run stored and did not finish, then start fetching (or
        listening for Telegram's webhook requests)."""
        async with self._db.read() as conn:
            left = await inbox.pending(conn)
        if left:
            log.info("handling %s stored updates left from the last run", len(left))
        for stored in left:
            await self._dispatch(stored.update_id, stored.raw)
        tg = self._settings.telegram
        if tg.mode == "webhook":
            from bot.webhook import start_webhook

            self._runner = await start_webhook(self, self._settings)
            await self._app.bot.set_webhook(
                url=tg.webhook_url,
                secret_token=tg.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            log.info("webhook set; listening on %s:%s", tg.webhook_listen, tg.webhook_port)
        else:
            # A webhook left set would make every getUpdates fail with Conflict.
            await self._app.bot.delete_webhook(drop_pending_updates=False)
            self._poller = asyncio.create_task(self._poll_forever(), name="intake-poll")

    async def stop(self) -> None:
        """Stop fetching, and let what is being handled finish (a short while)."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=10)
            for task in late:  # left pending in the inbox: handled at the next start
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._marking is not None:
            self._marking.cancel()
            await asyncio.gather(self._marking, return_exceptions=True)
            self._marking = None
        await self.mark_done()

    # --- in ---

    async def receive(self, raws: list[dict[str, Any]]) -> int:
        """Store a batch in one transaction, then hand each new update on; how many were new."""
        rows = [(int(raw["update_id"]), json.dumps(raw, ensure_ascii=False)) for raw in raws]
        async with self._db.transaction() as conn:
            new = set(await inbox.store(conn, rows))
            await self._mark(conn)
        for update_id, text in sorted(rows):
            if update_id in new:
                new.discard(update_id)  # a batch holding one id twice is handled once
                await self._dispatch(update_id, text)
        return len(rows)

    async def _dispatch(self, update_id: int, text: str) -> None:
        try:
            update = Update.de_json(json.loads(text), self._app.bot)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("update %s cannot be read and is skipped (%s)", update_id, reason[:200])
            async with self._db.transaction() as conn:
                await inbox.skip(conn, update_id, reason)
            return
        await self._room.wait()
        self._in_hand += 1
        if self._in_hand >= MAX_IN_HAND:
            self._room.clear()
        # Created in update_id order, the tasks reach the per-person lock in that order.
        task = asyncio.create_task(self._handle(update_id, update), name=f"update-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update_id: int, update: Update) -> None:
        try:
            processor = self._app.update_processor
            handling = self._app.process_update(update)
            try:
                await processor.process_update(update, handling)
            finally:
                handling.close()  # not started (stopping, or refused as too many): no warning
            # Handled (or refused as too many at once, which the person was told): done, in
            # a moment. A crash before that leaves it pending, handled again at the next start.
            self._done.append(update_id)
            if self._marking is None:
                self._marking = asyncio.create_task(self._mark_soon(), name="inbox-done")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("update %s could not be handled; it stays in the inbox", update_id)
        finally:
            self._in_hand -= 1
            if self._in_hand < MAX_IN_HAND:
                self._room.set()

    async def _mark_soon(self) -> None:
        try:
            await asyncio.sleep(self.done_after)
        finally:
            self._marking = None
        await self.mark_done()

    async def mark_done(self) -> None:
        """Mark the handled updates done now, in one transaction."""
        if self._done:
            async with self._db.transaction() as conn:
                await self._mark(conn)

    async def _mark(self, conn: Any) -> None:
        done, self._done = self._done, []
        try:
            await inbox.done_many(conn, done)
        except BaseException:
            self._done = done + self._done  # rolled back with the transaction: next time
            raise

    # --- polling ---

    async def _poll_forever(self) -> None:
        tg = self._settings.telegram
        offset: int | None = None
        failing = _Fault()
        while True:
            try:
                # Our own getUpdates (not bot.get_updates, which parses the batch and fails
                # on it as a whole): the raw batch is what the inbox stores.
                data = {
                    "timeout": tg.poll_timeout_seconds,
                    "offset": offset,
                    "allowed_updates": list(Update.ALL_TYPES),
                }
                result = await self._app.bot._post(
                    "getUpdates",
                    data,
                    read_timeout=tg.poll_timeout_seconds + tg.request_timeout_seconds,
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("the Bot API refused the token; polling stops")
                self.fault = "the token was refused"
                return
            except (RetryAfter, Conflict, NetworkError, TelegramError) as exc:
                self.fault = type(exc).__name__
                wait = failing.failed(exc)
                await asyncio.sleep(wait)
                continue
            failing.recovered()
            self.fault = None
            self.last_poll = clock.now()
            batch = [raw for raw in result or [] if isinstance(raw, dict) and "update_id" in raw]
            if batch:
                await self.receive(batch)
                # Stored: the next call's offset may now acknowledge them.
                offset = max(int(raw["update_id"]) for raw in batch) + 1


class _Fault:
    """Back off while getUpdates fails. The failures go to the fault log (bot/faultlog.py:
    said once, then a summary line a minute, never a traceback per retry); the recovery is
    said once."""

    def __init__(self) -> None:
        self.count = 0
        self.since = 0.0

    def failed(self, exc: TelegramError) -> float:
        self.count += 1
        if self.count == 1:
            self.since = time.monotonic()
        note_fault(exc, "getUpdates")
        if isinstance(exc, RetryAfter):
            retry = exc.retry_after
            return float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry)
        return float(min(BACKOFF_MAX_SECONDS, 0.5 * 2 ** min(self.count - 1, 6)))

    def recovered(self) -> None:
        if self.count:
            log.info(
                "getUpdates works again after %s failures in %.0f s",
                self.count,
                time.monotonic() - self.since,
            )
        self.count = 0


def secret_ok(given: str | None, secret: str) -> bool:
    """Telegram's secret token header, compared in constant time."""
    return bool(secret) and given is not None and hmac.compare_digest(given, secret)
