"""Figures for the core loop: use-case transactions, outbox delivery and whole updates per second.

Run with `make bench` (or `python -m bench.outbox`). Everything talks to the fake Bot API server
on 127.0.0.1; nothing here is a pass/fail test, it prints what it measured.
"""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Bot

from bot.core import Actor, Draft, Pressed, Requests
from bot.delivery import Deliverer
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action
from bot.messages import Outgoing, enqueue
from storage import dialogs, users
from storage.db import Database
from storage.dialogs import Dialog
from storage.updates import count as handled_updates
from tests.conftest import GROUP_A, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi


async def use_cases(folder: Path, n: int) -> None:
    """File and claim n reports through the use cases (each one transaction, FULL sync)."""
    settings = community(folder / "uc.sqlite3")
    db = await Database.open(settings.database.path)
    await sync_with_config(db, settings)
    requests = Requests(db, settings, await DirectoryBook.open(db), "bench_bot")
    async with db.transaction() as conn:
        for uid in range(1, n + 1):
            await users.ensure(conn, uid, f"R{uid}", "zh")
            await users.register(conn, uid, "1", "1-101", None)
            await dialogs.save(conn, Dialog(uid, "report", "confirm", {}))
    start = time.perf_counter()
    for uid in range(1, n + 1):
        draft = Draft("repair", "water", "1", f"Leak number {uid}")
        await requests.file(Actor(uid, f"R{uid}"), draft)
    filed = time.perf_counter() - start
    start = time.perf_counter()
    for request_id in range(1, n + 1):
        pressed = Pressed(GROUP_A, request_id)
        await requests.apply(Actor(WORKER_A1, "W"), request_id, Action.CLAIM, pressed=pressed)
    claimed = time.perf_counter() - start
    await db.close()
    print(f"file a report (request, event, card, notice): {n / filed:8.0f} /s")
    print(f"claim (conditional update, event, 3 messages): {n / claimed:7.0f} /s")


async def delivery(folder: Path, chats: int, per_chat: int) -> None:
    """Deliver chats × per_chat queued messages to the fake server, per-chat pacing off."""
    async with FakeBotApi() as server:
        db = await Database.open(folder / "out.sqlite3")
        async with db.transaction() as conn:
            for i in range(per_chat):
                for chat in range(1, chats + 1):
                    await enqueue(conn, Outgoing(10_000 + chat, f"notice {i}"))
        bot = Bot(server.token, base_url=server.base_url)
        await bot.initialize()
        settings = community(folder / "unused.sqlite3", outbox={"per_chat_interval_seconds": 0})
        deliverer = Deliverer(db, bot, settings, await DirectoryBook.open(db))
        start = time.perf_counter()
        sent = await deliverer.run()
        took = time.perf_counter() - start
        await bot.shutdown()
        await db.close()
        print(f"outbox delivery ({chats} chats, {sent} messages): {sent / took:8.0f} msg/s")


async def updates(folder: Path, people: int) -> None:
    """Whole updates through the running bot: `people` residents each send /help at once."""
    async with FakeBotApi() as server:
        bot = RunningBot(community(folder / "app.sqlite3", server.base_url))
        await bot.start()
        users_ = [server.user(50_000 + i, f"P{i}") for i in range(people)]
        start = time.perf_counter()
        for user in users_:
            user.send("/help")
        for user in users_:
            await server.wait_for_message(user.id, "/report", timeout=120)
        took = time.perf_counter() - start
        print(
            f"updates end to end ({people} people, /help): {people / took:8.0f} updates/s"
            "  (each answer is a message: bounded by Telegram's 30 messages/s overall)"
        )
        group = server.group(-100111, "Grid A")
        assert bot.app is not None
        db: Database = bot.app.bot_data["services"].db
        expected = 2 * people
        start = time.perf_counter()
        for user in users_:
            user.send("good morning", chat=group)
        while await _handled(db) < expected:  # noqa: ASYNC110 (polling the database is the point)
            await asyncio.sleep(0.01)
        took = time.perf_counter() - start
        await bot.stop()
        print(f"group chatter, no answer ({people} updates):   {people / took:8.0f} updates/s")


async def _handled(db: Database) -> int:
    async with db.read() as conn:
        return await handled_updates(conn)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await use_cases(folder, 300)
        await delivery(folder, 100, 5)
        await updates(folder, 300)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
