"""Part 2, replies under load: the running bot against the fake Bot API server at a 100 ms
simulated round trip.

(a) a burst of button presses from as many residents: the time until every press is answered
(callback answers are not messages: they are not held to the 30/s budget);
(b) a resident's reply latency at an offered 20 updates/s, alone here; while a broadcast drains
it is measured during part 3's clean run (bench/sending.py), which drains one anyway.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.table import Figure
from bot.callbacks import Callback, Verb
from storage import users
from tests.conftest import RunningBot, community
from tests.fakebot import FakeBotApi, FakeUser

PART = "Replies"
ROUND_TRIP = 0.1
OFFERED = 20.0  # updates a second
RESIDENT_BASE = 2_000_000


def progress(text: str) -> None:
    print(f"   {text}", file=sys.stderr, flush=True)


def bot_settings(folder: Path, server: FakeBotApi, **over: Any) -> Any:
    return community(folder / "bot.sqlite3", server.base_url, **over)


async def residents(bot: RunningBot, server: FakeBotApi, n: int, base: int) -> list[FakeUser]:
    """n registered residents (in the database at once, as if they had registered)."""
    async with bot.services.db.transaction() as conn:
        for user_id in range(base, base + n):
            await users.ensure(conn, user_id, f"R{user_id}", "zh")
            await users.register(conn, user_id, "1", "1-101", None)
    return [server.user(user_id, f"R{user_id}") for user_id in range(base, base + n)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def offered_load(
    server: FakeBotApi, people: list[FakeUser], seconds: float, rate: float = OFFERED
) -> list[float]:
    """Residents send /help at `rate` a second (one resident after another) for `seconds`:
    each reply's latency, from the update to the reply reaching the server."""
    latencies: list[float] = []

    async def one(user: FakeUser) -> None:
        after = max((m.message_id for m in server.messages(user.id)), default=0)
        sent = time.monotonic()
        user.send("/help")
        await server.wait_for_message(user.id, after=after, timeout=60)
        latencies.append(time.monotonic() - sent)

    tasks = []
    start = time.monotonic()
    for i in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(people[i % len(people)])))
    await asyncio.gather(*tasks)
    return latencies


def latency_figures(latencies: list[float], where: str) -> list[Figure]:
    target = (ROUND_TRIP + 0.1) * 1000
    p50 = statistics.median(latencies) * 1000
    p99 = percentile(latencies, 0.99) * 1000
    return [
        Figure(PART, f"reply p50 at {OFFERED:.0f} updates/s, {where}", f"{p50:.0f} ms"),
        Figure(
            PART,
            f"reply p99 at {OFFERED:.0f} updates/s, {where} ({len(latencies)} replies)",
            f"{p99:.0f} ms",
            f"< {target:.0f} ms (RTT + 100 ms)",
            p99 < target,
        ),
    ]


async def presses(folder: Path, n: int) -> list[Figure]:
    """n residents each press a button at once ("my requests, page 1"): until all answered."""
    async with FakeBotApi() as server:
        bot = RunningBot(bot_settings(folder, server))
        await bot.start()
        try:
            people = await residents(bot, server, n, RESIDENT_BASE)
            server.round_trip(ROUND_TRIP)
            data = Callback(Verb.MY_PAGE, 0).pack()
            shown = [server.place_message(user.id, "…") for user in people]
            started = time.monotonic()
            queries: list[tuple[int, str]] = []
            for user, message in zip(people, shown, strict=True):
                queries.append((user.id, user.press_data(message, data)))
            for _, query in queries:
                await server.wait_for_answer(query, timeout=120)
            took = time.monotonic() - started
            answered = [q for _, q in queries if q in server.answers]
        finally:
            await bot.stop()
    progress(f"{n} presses answered in {took:.2f} s")
    return [
        Figure(
            PART,
            f"{n} presses from {n} residents at {ROUND_TRIP * 1000:.0f} ms RTT: all answered",
            f"{took:.2f} s ({len(answered)}/{n})",
            "< 5 s" if n >= 1000 else "< 5 s (at 1,000)",
            took < 5 and len(answered) == n,
        )
    ]


async def alone(folder: Path, seconds: float) -> list[Figure]:
    async with FakeBotApi() as server:
        bot = RunningBot(bot_settings(folder, server))
        await bot.start()
        try:
            people = await residents(bot, server, 200, RESIDENT_BASE + 100_000)
            server.round_trip(ROUND_TRIP)
            latencies = await offered_load(server, people, seconds)
        finally:
            await bot.stop()
    progress(f"alone: p99 {percentile(latencies, 0.99) * 1000:.0f} ms")
    return latency_figures(latencies, "alone")


async def measure(quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        figures = await presses(folder / "a", 100 if quick else 1000)
        figures += await alone(folder / "b", 3 if quick else 20)
    return figures
