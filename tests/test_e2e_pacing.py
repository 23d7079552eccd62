"""Delivery keeps Telegram's flood limits by pacing, not by being refused and retrying: the fake
Bot API server answers 429 beyond about 1 message/s per chat, 20 per group per period and 30/s
overall (here scaled down in time so the test is quick, the bot configured to match)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import enqueue_dict
from bot.settings import Settings
from tests.conftest import GROUP_A, RunningBot, community
from tests.fakebot import FakeBotApi

ONE_CHAT = 5000
MANY = range(6001, 6061)


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    server.flood_limits(
        chat_burst=3, chat_rate=10.0, group_burst=20, group_rate=2.0, overall_rate=30.0
    )
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        outbox={
            "per_chat_interval_seconds": 0.1,
            "group_messages": 20,
            "group_period_seconds": 10,
            "messages_per_second": 30,
        },
    )


async def test_a_burst_is_delivered_once_without_a_single_429(
    server: FakeBotApi, bot: RunningBot
) -> None:
    services = bot.services
    async with services.db.transaction() as conn:
        for n in range(26):
            await enqueue_dict(conn, {"chat_id": GROUP_A, "text": f"group notice {n}"})
        for n in range(6):
            await enqueue_dict(conn, {"chat_id": ONE_CHAT, "text": f"private notice {n}"})
        for chat in MANY:
            await enqueue_dict(conn, {"chat_id": chat, "text": "event reminder"})
    services.kick()

    await server.wait_for_message(GROUP_A, "group notice 25", timeout=30)
    await server.wait_for_message(ONE_CHAT, "private notice 5")
    await server.wait_idle(0.5)
    assert server.flood_refusals == []
    assert [m.text for m in server.messages(GROUP_A)] == [f"group notice {n}" for n in range(26)]
    assert [m.text for m in server.messages(ONE_CHAT)] == [f"private notice {n}" for n in range(6)]
    assert all(server.count_sends(chat) == 1 for chat in MANY)


BROADCAST = range(7001, 7301)
RESIDENT = 7999


async def test_a_resident_is_answered_while_a_broadcast_drains_and_nothing_is_refused(
    server: FakeBotApi, bot: RunningBot
) -> None:
    services = bot.services
    async with services.db.transaction() as conn:
        for chat in BROADCAST:
            await enqueue_dict(conn, {"chat_id": chat, "text": "event reminder"})
    services.kick()
    await server.wait_for_message(BROADCAST[30], "event reminder", timeout=30)

    server.user(RESIDENT, "Resident").send("/help")
    reply = await server.wait_for_message(RESIDENT, timeout=30)
    last = await server.wait_for_message(BROADCAST[-1], "event reminder", timeout=60)
    await server.wait_idle(0.5)

    assert reply.message_id < last.message_id  # answered before the broadcast ended
    assert server.flood_refusals == []
    assert all(server.count_sends(chat) == 1 for chat in BROADCAST)
