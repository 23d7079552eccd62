"""The inbox: an update is stored before Telegram is told it arrived, handled once from there,
and one that cannot be read is recorded and skipped instead of being fetched forever."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import intake_of
from bot.intake import SECRET_HEADER
from storage import inbox, outbox
from storage.db import Database
from tests.conftest import ADMIN, GROUP_A, RunningBot, community
from tests.fakebot import FakeBotApi
from tests.journeys import last_id

ALICE = 1001
SECRET = "s3cret-token_for-tests"


async def statuses(bot: RunningBot) -> dict[int, str]:
    async with bot.services.db.read() as conn:
        return await inbox.statuses(conn)


async def test_an_unreadable_update_is_skipped_with_its_reason_and_the_rest_served(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    # A poll in an older server's shape: PTB cannot build an Update from it.
    bad = server.push_raw({"poll": {"id": "p1", "question": "old shape"}})
    alice.send("/help")
    await server.wait_for_message(ALICE, "/report")
    await asyncio.sleep(1.5)  # a few more long polls
    calls = server.getupdates_calls()
    assert calls < 10, f"{calls} getUpdates calls: the bad update is being fetched again"
    assert server.take_queued() == []  # acknowledged, not offered again
    async with bot.services.db.read() as conn:
        seen = await inbox.statuses(conn)
        figures = await inbox.figures(conn)
    assert seen[bad] == "skipped"
    assert [status for uid, status in seen.items() if uid != bad] == ["done"]
    assert figures.skipped == 1
    (reason,) = figures.skipped_by_reason
    assert "Poll" in reason


async def test_an_update_stored_but_not_handled_is_handled_once_at_the_next_start(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await bot.stop()
    # The bot stored /help and was killed before handling it; Telegram considers it delivered.
    alice.send("/help")
    (raw,) = server.take_queued()
    db = await Database.open(bot.settings.database.path)
    async with db.transaction() as conn:
        await inbox.store(conn, [(raw["update_id"], json.dumps(raw))])
    await db.close()

    await bot.start()
    await server.wait_for_message(ALICE, "/report")
    await server.wait_idle(0.5)
    assert server.count_sends(ALICE) == 1
    assert (await statuses(bot))[raw["update_id"]] == "done"
    # Telegram offers it again (the acknowledgement was lost): still answered once.
    server.redeliver(raw["update_id"])
    await server.wait_idle(0.5)
    await bot.restart()
    await server.wait_idle(0.5)
    assert server.count_sends(ALICE) == 1


async def test_an_update_handled_but_not_yet_marked_done_is_handled_again_after_a_crash(
    server: FakeBotApi, bot: RunningBot, tmp_path: Path
) -> None:
    """Done marks are written a few at a time, a moment after the updates were handled: a
    crash in that moment replays the update at the next start (answered twice), never loses it;
    a clean stop writes them first."""
    alice = server.user(ALICE, "Alice")
    assert bot.app is not None
    intake_of(bot.app).done_after = 3600  # the mark waits: the crash comes first
    alice.send("/help")
    await server.wait_for_message(ALICE, "/report")
    await server.wait_idle(0.3)
    # What a kill now leaves on disk: the committed database, copied.
    crashed = tmp_path / "crashed" / "bot.sqlite3"
    crashed.parent.mkdir()
    with sqlite3.connect(bot.settings.database.path) as src, sqlite3.connect(crashed) as dst:
        src.backup(dst)
    (update_id,) = seen = await statuses(bot)
    assert seen == {update_id: "pending"}  # answered, not marked done yet
    await bot.stop()
    db = await Database.open(bot.settings.database.path)
    async with db.read() as conn:
        assert await inbox.statuses(conn) == {update_id: "done"}  # the clean stop marked it
    await db.close()

    last = last_id(server, ALICE)
    after_crash = RunningBot(community(crashed, server.base_url))
    await after_crash.start()
    try:
        await server.wait_for_message(ALICE, "/report", after=last)  # handled again
        await server.wait_idle(0.5)
        assert await statuses(after_crash) == {update_id: "done"}
        assert server.count_sends(ALICE) == 2
    finally:
        await after_crash.stop()


async def test_a_batch_is_stored_before_its_offset_is_sent(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    for _ in range(5):
        alice.send("/help")
    await server.wait_idle(0.5)
    ids = sorted(await statuses(bot))
    assert len(ids) == 5 and set((await statuses(bot)).values()) == {"done"}
    # Each getUpdates offset acknowledges only updates already in the inbox.
    offsets = [int(p["offset"]) for m, p in server.calls if m == "getUpdates" and p.get("offset")]
    assert offsets and max(offsets) == ids[-1] + 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(tmp_path: Path, server: FakeBotApi) -> AsyncIterator[RunningBot]:
    port = free_port()
    settings = community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        telegram={
            "mode": "webhook",
            "webhook_port": port,
            "webhook_url": "https://bot.example.org/telegram",
            "webhook_secret": SECRET,
        },
    )
    running = RunningBot(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_webhook_checks_the_secret_and_handles_a_valid_update_end_to_end(
    server: FakeBotApi, webhook_bot: RunningBot
) -> None:
    tg = webhook_bot.settings.telegram
    assert server.webhook is not None
    assert server.webhook["url"] == "https://bot.example.org/telegram"
    assert server.webhook["secret_token"] == SECRET
    assert server.getupdates_calls() == 0  # no polling in webhook mode
    alice = server.user(ALICE, "Alice")
    alice.send("/help")
    (update,) = server.take_queued()
    url = f"http://127.0.0.1:{tg.webhook_port}{tg.webhook_path}"
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        await server.wait_idle(0.3)
        assert await statuses(webhook_bot) == {}
        assert server.count_sends(ALICE) == 0

        async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
        await server.wait_for_message(ALICE, "/report")
        # Telegram retries a request it thinks failed: the same update is handled once.
        async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
        async with http.post(url, data="nonsense", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
    await server.wait_idle(0.5)
    assert server.count_sends(ALICE) == 1
    assert await statuses(webhook_bot) == {update["update_id"]: "done"}
    assert webhook_bot.app is not None
    assert webhook_bot.app.bot_data["intake"].last_webhook is not None


async def test_health_shows_backlogs_parked_rows_poll_database_and_backup(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Admin")
    alice = server.user(ALICE, "Alice")
    alice.send("/health")
    refused = await server.wait_for_message(ALICE, "Only the center's admins")
    assert "Outbox" not in refused.plain
    server.push_raw({"poll": {"id": "p1"}})
    server.forbid(GROUP_A)
    services = bot.services
    async with services.db.transaction() as conn:
        await outbox.enqueue(
            conn, chat_id=GROUP_A, kind="send", text="a notice the group refuses", buttons=[]
        )
    services.kick()
    await server.wait_idle(0.5)
    admin.send("/health")
    report = await server.wait_for_message(ADMIN, "Health of the bot")
    text = report.plain
    assert "Parked messages (not retried by themselves): 1" in text
    assert "held — " in text and "Forbidden" in text
    assert "Inbox (updates received): 0 waiting to be handled, 1 skipped as unreadable" in text
    assert "TypeError" in text
    assert "Last successful poll: 20" in text and "ago)" in text
    assert "Database: " in text and " MB" in text
    assert "Last backup: no backup yet" in text
    assert "Outbox: nothing waiting to be sent" in text
    assert len(report.text or "") <= 4096
