"""The log of Telegram's faults: the first of a kind said at once, then one line a minute.

A fault that lasts (a chat that blocked the bot, Telegram's 429s, a network cut) would
otherwise write a line, or a traceback, at every retry. Expected faults are Telegram's, not
ours: no traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("bot.faults")

SUMMARY_SECONDS = 60.0


@dataclass
class _Kind:
    since_summary: float  # when the last line about this kind was written (monotonic)
    count: int = 0  # occurrences since then
    latest: str = ""


class FaultLog:
    def __init__(
        self, period: float = SUMMARY_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._period = period
        self._now = now
        self._kinds: dict[str, _Kind] = {}

    def reset(self) -> None:
        """Forget what was said: the next fault of each kind is said in full."""
        self._kinds.clear()

    def note(self, kind: str, detail: str) -> None:
        """One occurrence of a fault of `kind` ("429", "network", "blocked" …)."""
        now = self._now()
        seen = self._kinds.get(kind)
        if seen is None or now - seen.since_summary >= 10 * self._period:
            # New, or back after a long quiet: say it in full.
            self._kinds[kind] = _Kind(since_summary=now)
            log.warning(
                "Telegram fault %s: %s (while it lasts, one summary line a minute)", kind, detail
            )
            return
        seen.count += 1
        seen.latest = detail
        if now - seen.since_summary >= self._period:
            log.warning(
                "Telegram fault %s: %d more in the last %.0fs, latest: %s",
                kind,
                seen.count,
                now - seen.since_summary,
                detail,
            )
            seen.since_summary, seen.count = now, 0


# One for the process: the delivery loop, direct replies and polling share it.
faults = FaultLog()
