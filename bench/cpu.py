"""Benchmark part 1: CPU per update, the bot beside a bare python-telegram-bot echo bot.

The fake Bot API server runs here, at 0 ms round trip and without flood limits; the bot under
measurement runs alone in a child process (bench/child.py), so the CPU it reports (every thread
of it, aiosqlite's included) is its own. From just before the load starts until everything is
answered and the server has been quiet for a moment:

- the floor: a bare PTB echo bot, 70% messages (echoed) and 30% button presses (answered);
- the bot: residents registered before the window (written to its database before it starts)
  (1) each file a whole repair report (/report, category, building, description, skip the
  photos, confirm), (2) look at their requests (/my, the menu's "My requests", the timeline
  button, in turn), (3) workers claim each report on its group card and resolve it (Resolved,
  the note, skip the photo). In numbers of updates that is about 20% / 67% / 13% of the whole.

The three kinds run one after another so that each one's CPU and database round trips can be
told apart; the total is their sum. The child's own idle work (its polling and the outbox's
tick) is in the figures too, as it would be in production.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.table import Figure
from bot import eventloop
from bot.directory import sync_with_config
from storage import users
from storage.db import Database
from tests.conftest import GROUP_A, WORKER_A1, WORKER_A2, community
from tests.fakebot import FakeBotApi, FakeUser
from tests.journeys import last_id, press_and_wait, say_and_wait

PART = "CPU"
TARGET_RATIO = 2.5
FIRST_RESIDENT = 100_000
LOOKS_PER_RESIDENT = 20  # updates of kind (2) per resident
CONCURRENT = 8  # residents (or floor users) acting at the same time
SAVED = re.compile(r"R-\d{4,}")


@dataclass
class Sample:
    cpu: float
    rss_mib: float
    round_trips: int


@dataclass
class Phase:
    name: str
    updates: int = 0
    cpu: float = 0.0
    seconds: float = 0.0
    round_trips: int = 0


@dataclass
class Run:
    phases: list[Phase] = field(default_factory=list)
    rss_mib: float = 0.0

    @property
    def updates(self) -> int:
        return sum(p.updates for p in self.phases)

    @property
    def cpu(self) -> float:
        return sum(p.cpu for p in self.phases)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    @property
    def ms_per_update(self) -> float:
        return 1000 * self.cpu / max(self.updates, 1)


class Child:
    """bench/child.py in its own process, asked for its figures over stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc

    @classmethod
    async def start(cls, kind: str, base_url: str, db_path: Path, profile: str = "") -> Child:
        env = None
        if profile:
            import os

            env = {**os.environ, "BENCH_PROFILE": profile}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.child",
            kind,
            base_url,
            str(db_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        child = cls(proc)
        line = await child._line(timeout=60)
        if line != "ready":
            raise RuntimeError(f"the {kind} child did not start: {line!r}")
        return child

    async def _line(self, timeout: float = 30) -> str:  # noqa: ASYNC109
        assert self._proc.stdout is not None
        raw = await asyncio.wait_for(self._proc.stdout.readline(), timeout)
        return raw.decode().strip()

    async def sample(self) -> Sample:
        assert self._proc.stdin is not None
        self._proc.stdin.write(b"stats\n")
        await self._proc.stdin.drain()
        data = json.loads(await self._line())
        return Sample(float(data["cpu"]), float(data["rss_mib"]), int(data["round_trips"]))

    async def stop(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(b"stop\n")
        await self._proc.stdin.drain()
        try:
            await asyncio.wait_for(self._proc.wait(), 30)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()


async def _measure(
    name: str, server: FakeBotApi, child: Child, jobs: list[object], concurrent: int
) -> Phase:
    """Run the jobs (coroutines), `concurrent` at a time; the child's CPU across them all."""
    await server.wait_idle(0.3, timeout=60)
    before_updates = len(server.history())
    before = await child.sample()
    started = time.perf_counter()
    gate = asyncio.Semaphore(concurrent)

    async def one(job: object) -> None:
        async with gate:
            await job  # type: ignore[misc]

    await asyncio.gather(*(one(job) for job in jobs))
    await server.wait_idle(0.3, timeout=120)
    took = time.perf_counter() - started - 0.3  # less the quiet time that ends the phase
    after = await child.sample()
    phase = Phase(
        name,
        updates=len(server.history()) - before_updates,
        cpu=after.cpu - before.cpu,
        seconds=took,
        round_trips=after.round_trips - before.round_trips,
    )
    print(
        f"   {name}: {phase.updates} updates, {1000 * phase.cpu / max(phase.updates, 1):.2f} ms"
        f" CPU each, {phase.round_trips / max(phase.updates, 1):.1f} round trips each",
        file=sys.stderr,
        flush=True,
    )
    return phase


# --- the floor ---


async def _floor_user(server: FakeBotApi, user: FakeUser, updates: int) -> None:
    """Messages and presses in a 7:3 ratio, each waited for."""
    last = None
    for i in range(updates):
        if last is not None and i % 10 in (3, 6, 9):
            await server.wait_for_answer(user.press(last, "again"), timeout=30)
            continue
        before = last_id(server, user.id)
        user.send(f"hello {i}")
        last = await server.wait_for_message(user.id, f"hello {i}", after=before, timeout=30)


async def run_floor(folder: Path, users: int, per_user: int) -> Run:
    async with FakeBotApi() as server:
        child = await Child.start("floor", server.base_url, folder / "floor.unused")
        try:
            people = [server.user(FIRST_RESIDENT + i, f"F{i}") for i in range(users)]
            jobs: list[object] = [_floor_user(server, p, per_user) for p in people]
            phase = await _measure("floor echo", server, child, jobs, CONCURRENT)
            rss = (await child.sample()).rss_mib
        finally:
            await child.stop()
    return Run([phase], rss)


# --- the bot ---


async def _register(db_path: Path, residents: int) -> None:
    """Residents registered before the bot starts (the bot's own migrations and directory)."""
    settings = community(db_path)
    db = await Database.open(db_path)
    await sync_with_config(db, settings)
    async with db.transaction() as conn:
        for i in range(residents):
            uid = FIRST_RESIDENT + i
            await users.ensure(conn, uid, f"R{i}", "en")
            await users.register(conn, uid, str(1 + i % 2), f"{i % 9 + 1}-{100 + i}", None)
    await db.close()


async def _report(server: FakeBotApi, user: FakeUser, i: int, filed: dict[int, str]) -> None:
    """The whole wizard (tests/journeys.py file_report), saying "it's different" when the bot
    asks whether an open report in the building is the same problem."""
    ask = await say_and_wait(server, user, "/report", "Choose a category")
    ask = await press_and_wait(server, user, ask, "Plumbing", "Which building")
    await press_and_wait(server, user, ask, str(1 + i % 2), "Describe the problem")
    ask = await say_and_wait(server, user, f"Leak under sink {i}", "photos")
    before = last_id(server, user.id)
    user.press(ask, "Skip")
    ask = await server.wait_for_message(user.id, after=before, timeout=30)
    if ask.contains("Is it the same problem?"):
        ask = await press_and_wait(server, user, ask, "It's different", "Please check your report")
    saved = await press_and_wait(server, user, ask, "Confirm", "Saved as")
    found = SAVED.search(saved.plain)
    assert found, saved.plain
    filed[user.id] = found.group(0)


async def _look(server: FakeBotApi, user: FakeUser, rid: str, updates: int) -> None:
    """/my, the timeline button, the menu's My requests, the timeline button, …"""
    mine = None
    for i in range(updates):
        if mine is not None and i % 2:
            await press_and_wait(server, user, mine, f"🔎 {rid}", "Status:")
        else:
            text = "/my" if i % 4 == 0 else "📋 My requests"
            mine = await say_and_wait(server, user, text, rid)


async def _claim_and_resolve(
    server: FakeBotApi, worker: FakeUser, rid: str, lock: asyncio.Lock
) -> None:
    card = await server.wait_for_message(GROUP_A, rid, timeout=30)
    async with lock:  # a worker resolves one request at a time (one wizard open)
        before = last_id(server, worker.id)
        answer = await server.wait_for_answer(worker.press(card, "认领"), timeout=30)
        assert str(answer.get("text", "")).startswith("You claimed"), answer
        details = await server.wait_for_message(worker.id, rid, after=before, timeout=30)
        ask = await press_and_wait(server, worker, details, "Resolved", "What was done")
        ask = await say_and_wait(server, worker, f"Fixed {rid}", "photo of the result")
        await press_and_wait(server, worker, ask, "Skip", "marked resolved")


async def run_bot(folder: Path, residents: int, profile: str = "") -> Run:
    db_path = folder / "bot.sqlite3"
    await _register(db_path, residents)
    async with FakeBotApi() as server:
        child = await Child.start("bot", server.base_url, db_path, profile)
        try:
            people = [server.user(FIRST_RESIDENT + i, f"R{i}") for i in range(residents)]
            workers = [server.user(WORKER_A1, "Wang A1"), server.user(WORKER_A2, "Li A2")]
            locks = [asyncio.Lock(), asyncio.Lock()]
            filed: dict[int, str] = {}
            reports = await _measure(
                "bot: repair reports",
                server,
                child,
                [_report(server, p, i, filed) for i, p in enumerate(people)],
                CONCURRENT,
            )
            looks = await _measure(
                "bot: /my, menu, timeline",
                server,
                child,
                [_look(server, p, filed[p.id], LOOKS_PER_RESIDENT) for p in people],
                CONCURRENT,
            )
            claims = await _measure(
                "bot: claims and resolves",
                server,
                child,
                [
                    _claim_and_resolve(server, workers[i % 2], filed[p.id], locks[i % 2])
                    for i, p in enumerate(people)
                ],
                2,
            )
            rss = (await child.sample()).rss_mib
        finally:
            await child.stop()
    return Run([reports, looks, claims], rss)


def _figures(floor: Run, bot: Run) -> list[Figure]:
    ratio = bot.ms_per_update / max(floor.ms_per_update, 1e-9)
    figures = [
        Figure(PART, "floor (bare PTB echo bot): CPU per update", f"{floor.ms_per_update:.2f} ms"),
        Figure(PART, "floor: updates/s", f"{floor.updates / floor.seconds:.0f}"),
        Figure(PART, "floor: peak RSS", f"{floor.rss_mib:.0f} MiB"),
        Figure(PART, "bot (mix): CPU per update", f"{bot.ms_per_update:.2f} ms"),
        Figure(PART, "bot: event loop (the floor's: asyncio)", eventloop.name()),
        Figure(PART, "bot: updates/s", f"{bot.updates / bot.seconds:.0f}"),
        Figure(PART, "bot: peak RSS", f"{bot.rss_mib:.0f} MiB"),
        Figure(
            PART,
            "bot/floor CPU per update",
            f"{ratio:.2f}×",
            f"≤ {TARGET_RATIO}×",
            ratio <= TARGET_RATIO,
        ),
    ]
    for phase in bot.phases:
        n = max(phase.updates, 1)
        figures.append(
            Figure(
                PART,
                f"{phase.name} ({100 * phase.updates / max(bot.updates, 1):.0f}% of updates)",
                f"{1000 * phase.cpu / n:.2f} ms, {phase.round_trips / n:.1f} DB round trips",
            )
        )
    return figures


async def measure(quick: bool) -> list[Figure]:
    residents = 8 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # The same number of updates for the floor as the bot's mix has.
        bot = await run_bot(folder, residents)
        users_ = CONCURRENT
        floor = await run_floor(folder, users_, max(bot.updates // users_, 10))
    return _figures(floor, bot)


async def _profile(residents: int, out: str) -> None:
    """python -m bench.cpu [RESIDENTS] [PROFILE_FILE]: the bot alone, under cProfile."""
    with tempfile.TemporaryDirectory() as tmp:
        bot = await run_bot(Path(tmp), residents, out)
    print(f"{bot.ms_per_update:.2f} ms per update over {bot.updates} updates", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(
        _profile(
            int(sys.argv[1]) if len(sys.argv) > 1 else 40,
            sys.argv[2] if len(sys.argv) > 2 else "/tmp/bench-cpu.prof",
        )
    )
