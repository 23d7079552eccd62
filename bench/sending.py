"""Part 3, sending: notices to distinct chats and cards to groups through the running bot's
outbox, the fake Bot API server at a 100 ms round trip enforcing Telegram's limits (30/s
overall, 1/s per chat, 20/min per group; 429 with retry_after beyond them); then the same with
5% of sends answered 429 at random.

The clean run also measures part 2(b)'s "while a broadcast drains": for a while in the middle
of it, residents send /help at 20 updates/s.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.replies import ROUND_TRIP, bot_settings, latency_figures, offered_load, progress
from bench.replies import residents as make_residents
from bench.table import Figure
from bot.faultlog import faults
from bot.messages import enqueue_dict
from tests.conftest import RunningBot
from tests.fakebot import FakeBotApi

PART = "Sending"
OVERALL, GROUP_PER_MINUTE, GROUP_BURST = 30.0, 20, 20
NOTICE_BASE, GROUP_BASE = 5_000_000, -1_000_000_000


class _RetryLines(logging.Handler):
    """Counts the log lines about 429s and retries."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO:
            return
        text = record.getMessage().lower()
        if any(word in text for word in ("429", "retry", "too many", "flood")):
            self.lines += 1


def _allowed_seconds(total: int, cards: int) -> float:
    """The least time Telegram's limits allow for these sends."""
    per_group = max(0, cards - GROUP_BURST) * 60 / GROUP_PER_MINUTE
    return max(total / OVERALL, per_group)


async def run(
    folder: Path, notices: int, groups: int, cards: int, injected: float, load_seconds: float
) -> list[Figure]:
    label = "clean" if not injected else f"{injected:.0%} random 429s"
    async with FakeBotApi() as server:
        bot = RunningBot(bot_settings(folder, server, outbox={"per_chat_interval_seconds": 1.0}))
        await bot.start()
        lines = _RetryLines()
        logging.getLogger().addHandler(lines)
        faults.reset()
        try:
            people = await make_residents(bot, server, 400, 4_000_000) if load_seconds else []
            server.round_trip(ROUND_TRIP)
            server.flood_limits(
                chat_burst=3,
                chat_rate=1.0,
                group_burst=GROUP_BURST,
                group_rate=GROUP_PER_MINUTE / 60,
                overall_burst=int(OVERALL),
                overall_rate=OVERALL,
            )
            if injected:
                server.random_429(injected, seed=11)
            group_ids = [GROUP_BASE - g for g in range(groups)]
            notice_ids = [NOTICE_BASE + i for i in range(notices)]
            async with bot.services.db.transaction() as conn:
                for k in range(cards):
                    for chat in group_ids:
                        await enqueue_dict(conn, {"chat_id": chat, "text": f"card {chat} {k}"})
                for chat in notice_ids:
                    await enqueue_dict(conn, {"chat_id": chat, "text": "event reminder"})
            total = notices + groups * cards
            started = time.monotonic()
            bot.services.kick()
            latencies: list[float] = []
            if load_seconds:
                await asyncio.sleep(min(20.0, total / OVERALL / 4))
                progress(f"{label}: residents at 20 updates/s while the broadcast drains")
                latencies = await offered_load(server, people, load_seconds)
            resident_ids = [p.id for p in people]

            def sent() -> int:
                return sum(server.count_sends(c) for c in notice_ids + group_ids)

            last, seen = time.monotonic(), 0
            while (count := sent()) < total and time.monotonic() - last < 120:
                if count != seen:
                    last, seen = time.monotonic(), count
                await asyncio.sleep(0.5)
            took = time.monotonic() - started
            await server.wait_idle(1.0, timeout=60)
            replies = sum(server.count_sends(c) for c in resident_ids)
            lost = sum(1 for c in notice_ids if server.count_sends(c) == 0)
            duplicated = sum(max(0, server.count_sends(c) - 1) for c in notice_ids)
            for chat in group_ids:
                texts = collections.Counter(m.text for m in server.messages(chat))
                lost += sum(1 for k in range(cards) if texts[f"card {chat} {k}"] == 0)
                duplicated += sum(n - 1 for n in texts.values() if n > 1)
            refused = len(server.flood_refusals)
            injected_429s = server.random_refusals
        finally:
            logging.getLogger().removeHandler(lines)
            await bot.stop()
    share = _allowed_seconds(total + replies, cards) / took
    rate = (total + replies) / took
    progress(f"{label}: {total + replies} in {took:.0f} s, {refused} flood 429s, lost {lost}")
    sizes = f"{notices:,} notices + {groups}×{cards} cards"
    summaries = 2 + int(took // 60)  # the first of a kind, then one a minute
    figures = [
        Figure(
            PART,
            f"{label} ({sizes}{', with replies' if replies else ''}): rate",
            f"{rate:.1f} msg/s = {share:.1%} of allowed",
            "≥ 95%" if not injected else "",
            share >= 0.95 if not injected else None,
        ),
        Figure(
            PART,
            f"{label}: 429s received (flood / injected)",
            f"{refused} / {injected_429s}",
            "0 flood 429s",
            refused == 0,
        ),
        Figure(
            PART,
            f"{label}: lost / duplicated",
            f"{lost} / {duplicated}",
            "0 / 0",
            not lost + duplicated,
        ),
        Figure(
            PART,
            f"{label}: log lines about 429s and retries",
            str(lines.lines),
            f"≤ one a minute ({summaries})",
            lines.lines <= summaries,
        ),
    ]
    if latencies:
        figures += [
            Figure("Replies", f.name, f.value, f.target, f.met)
            for f in latency_figures(latencies, f"while {notices:,} notices drain")
        ]
    return figures


async def measure(quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "clean").mkdir()
        (folder / "faults").mkdir()
        if quick:
            figures = await run(folder / "clean", 200, 4, 22, 0.0, 3)
            figures += await run(folder / "faults", 100, 2, 21, 0.05, 0)
        else:
            figures = await run(folder / "clean", 10_000, 40, 30, 0.0, 20)
            figures += await run(folder / "faults", 1_500, 10, 30, 0.05, 0)
    return figures
