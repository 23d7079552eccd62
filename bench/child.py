"""The bot under measurement, alone in its own process (bench/cpu.py starts it).

    python -m bench.child floor|bot BASE_URL DB_PATH

`floor`: a bare python-telegram-bot echo bot (an Application with its normal Updater, a
MessageHandler that echoes with one button and a CallbackQueryHandler that answers). `bot`: our
bot, started the way `python -m bot` starts it (bot/app.py start_bot), with the test community's
settings and the outbox's overall and per-group pace raised (the fake server enforces no flood
limits here).

It prints `ready` once taking updates, then answers each line on stdin: `stats` prints one JSON
line (CPU seconds of the whole process, every thread included; peak RSS; database round trips,
each one a hop to aiosqlite's thread), `stop` stops it. With BENCH_PROFILE=FILE, cProfile runs
from `ready` to `stop` and its figures go to FILE.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")

import aiosqlite

from bot import eventloop

# Every hop to aiosqlite's thread (a statement, a fetch, a commit) goes through _execute.
ROUND_TRIPS = [0]
_hop = aiosqlite.Connection._execute


async def _counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
    ROUND_TRIPS[0] += 1
    return await _hop(self, fn, *args, **kwargs)


aiosqlite.Connection._execute = _counted  # type: ignore[method-assign]

# The outbox's pace for this run: the fake server has no flood limits, so pacing would only
# measure the sleep between sends.
MESSAGES_PER_SECOND = 1000.0
GROUP_MESSAGES = 1000  # a second, per group: the cards' posts and edits are not held back either


def stats() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "round_trips": ROUND_TRIPS[0],
    }


async def _serve(started: Any, stopping: Any) -> None:
    await started()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    if profile is not None:
        profile.enable()
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "stats":
                print(json.dumps(stats()), flush=True)
            elif line == "stop":
                break
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        await stopping()


async def floor(base_url: str) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler
    from telegram.ext import filters as f

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        button = InlineKeyboardButton("again", callback_data="again")
        await update.effective_message.reply_text(
            update.effective_message.text or "?",
            reply_markup=InlineKeyboardMarkup([[button]]),
        )

    async def answer(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("ok")

    app = Application.builder().token("123456:TEST-TOKEN").base_url(base_url).build()
    app.add_handler(MessageHandler(f.ALL, echo))
    app.add_handler(CallbackQueryHandler(answer))

    async def started() -> None:
        await app.initialize()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()

    async def stopping() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    await _serve(started, stopping)


async def our_bot(base_url: str, db_path: Path) -> None:
    from bot.app import build_application, start_bot, stop_bot
    from tests.conftest import community

    settings = community(
        db_path,
        base_url,
        community={"duplicate_window_days": 0},
        outbox={
            "messages_per_second": MESSAGES_PER_SECOND,
            "per_chat_interval_seconds": 0,
            "group_messages": GROUP_MESSAGES,
            "group_period_seconds": 1.0,
            "poll_seconds": 1.0,
        },
    )
    app = build_application(settings)

    async def started() -> None:
        await start_bot(app)

    async def stopping() -> None:
        await stop_bot(app)

    await _serve(started, stopping)


def main(argv: list[str]) -> None:
    kind, base_url, db_path = argv
    if kind == "floor":
        asyncio.run(floor(base_url))
    else:
        # The bot on the loop `python -m bot` runs it on; the floor on asyncio's, as a plain
        # PTB setup runs.
        eventloop.run(our_bot(base_url, Path(db_path)))


if __name__ == "__main__":
    main(sys.argv[1:])
