"""The pace of every message the bot sends: Telegram's flood limits kept, replies first.

Telegram refuses a bot beyond about 30 messages a second overall, 20 a minute in one group and
about one a second in one chat, and answers repeated refusals with longer bans. So the bot
never tries: every call that posts or edits a message waits for its turn here.

- A direct reply (a handler's `say` or `edit`, the default) goes ahead of every bulk send of
  the outbox (`rate_limit_args=BULK`) within the one shared budget: a resident who presses a
  button during a 10,000-resident reminder is answered at once.
- Bulk sends also keep one chat's pace (`per_chat_interval_seconds`); a reply does not wait
  for its chat (Telegram allows a short burst there).
- A 429 holds back everything paced for its `retry_after`, not just the call refused.
- Callback answers and every other call that posts no message are not paced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.processor import waiting

# Pass as `rate_limit_args` for a send that may wait behind replies (the outbox's).
BULK = "bulk"

# The overall budget may be spent this many sends at once after a quiet spell (it absorbs the
# event loop's lateness in waking a waiter, without bunching sends together).
OVERALL_BURST = 5
_PACED_PREFIXES = ("send", "edit", "copy", "forward")
_UNPACED = {"sendchataction"}


@dataclass
class Bucket:
    """`capacity` sends at once, refilled continuously at `rate` per second."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Refill up to now; the seconds until a whole token is there (0.0 if one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return max(0.0, (1.0 - self.tokens) / self.rate)


def paced(endpoint: str) -> bool:
    """Does this Bot API method post or edit a message (and so count against the limits)?"""
    name = endpoint.lower()
    return name.startswith(_PACED_PREFIXES) and name not in _UNPACED


def _chat(data: dict[str, Any]) -> int | None:
    value = data.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # a channel's @username: only the overall budget applies


def _cost(data: dict[str, Any]) -> int:
    """An album counts as as many messages as it holds."""
    media = data.get("media")
    return len(media) if isinstance(media, list) and media else 1


class Pacer(BaseRateLimiter[str]):
    """PTB's rate limiter interface (`ApplicationBuilder().rate_limiter(...)`)."""

    def __init__(
        self,
        per_second: float,
        group_messages: float,
        group_period: float,
        chat_interval: float,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_second = per_second
        self._group = (group_messages, group_messages / group_period)
        self._chat_interval = chat_interval
        self._now = now
        self._overall = Bucket(OVERALL_BURST, per_second, OVERALL_BURST, now())
        self._groups: dict[int, Bucket] = {}
        self._chat_last: dict[int, float] = {}
        self._hold_until = 0.0
        self._replies_waiting = 0
        self._no_replies = asyncio.Event()
        self._no_replies.set()
        self.held = 0  # 429s that held everything back

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def free_in(self, chat_id: int) -> float:
        """Seconds until a bulk send to this chat could go (its chat and group budgets only)."""
        now = self._now()
        wait = self._chat_last.get(chat_id, -1e9) + self._chat_interval - now
        if chat_id < 0:
            wait = max(wait, self._group_bucket(chat_id, now).wait(now))
        return max(0.0, wait, self._hold_until - now)

    def hold(self, seconds: float) -> None:
        """Telegram said 429: nothing paced goes for `seconds`."""
        self._hold_until = max(self._hold_until, self._now() + seconds)
        self.held += 1

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if paced(endpoint):
            await self._turn(_chat(data), rate_limit_args == BULK, _cost(data))
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            delay = exc.retry_after
            self.hold(delay.total_seconds() if isinstance(delay, timedelta) else float(delay))
            raise

    async def _turn(self, chat_id: int | None, bulk: bool, cost: int) -> None:
        """Wait until this send may go, then take its share of the budgets."""
        if bulk:
            while True:
                if self._replies_waiting:
                    await self._no_replies.wait()
                    continue
                now = self._now()
                wait = self._wait(chat_id, bulk, now)
                if wait <= 0:
                    self._take(chat_id, cost, now)
                    return
                await asyncio.sleep(wait)
        # A reply waiting for its group's budget (or a 429 to pass) does not keep bulk sends to
        # other chats waiting; once only the overall budget is missing, it goes first.
        while (wait := self._wait(chat_id, bulk, self._now(), overall=False)) > 0:
            async with waiting():
                await asyncio.sleep(wait)
        self._replies_waiting += 1
        self._no_replies.clear()
        try:
            while (wait := self._wait(chat_id, bulk, now := self._now())) > 0:
                async with waiting():
                    await asyncio.sleep(wait)
            self._take(chat_id, cost, now)
        finally:
            self._replies_waiting -= 1
            if not self._replies_waiting:
                self._no_replies.set()

    def _wait(self, chat_id: int | None, bulk: bool, now: float, overall: bool = True) -> float:
        wait = self._hold_until - now
        if overall:
            wait = max(wait, self._overall.wait(now))
        if chat_id is not None and chat_id < 0:
            wait = max(wait, self._group_bucket(chat_id, now).wait(now))
        if bulk and chat_id is not None:
            wait = max(wait, self._chat_last.get(chat_id, -1e9) + self._chat_interval - now)
        return wait

    def _take(self, chat_id: int | None, cost: int, now: float) -> None:
        self._overall.tokens -= cost
        if chat_id is None:
            return
        self._chat_last[chat_id] = now
        if chat_id < 0:
            self._groups[chat_id].tokens -= cost
        elif len(self._chat_last) > 100_000:
            self._forget(now)

    def _group_bucket(self, chat_id: int, now: float) -> Bucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            capacity, rate = self._group
            bucket = self._groups[chat_id] = Bucket(capacity, rate, capacity, now)
        return bucket

    def _forget(self, now: float) -> None:
        """Drop the chats whose last send is long past (a broadcast touches many)."""
        horizon = now - self._chat_interval
        self._chat_last = {c: t for c, t in self._chat_last.items() if t > horizon or c < 0}
