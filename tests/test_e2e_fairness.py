"""One person's burst never stalls another: a person waiting for their turn holds no slot, and
only so many of one person's updates may wait."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import RunningBot, community
from tests.fakebot import FakeBotApi

BUSY, OTHER = 1001, 1002


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        telegram={"concurrent_updates": 4, "max_waiting_per_person": 8},
    )


async def test_a_burst_of_one_person_does_not_stall_another(
    server: FakeBotApi, bot: RunningBot
) -> None:
    busy = server.user(BUSY, "Busy")
    other = server.user(OTHER, "Other")
    for _ in range(12):
        # Each answer to the busy person takes a while (a slow network to them).
        server.delay_next("sendMessage", BUSY, 0.3, arrives=True)
    for _ in range(12):
        busy.send("/help")
    await server.wait_for_message(BUSY, "/report")
    started = time.monotonic()
    other.send("/help")
    await server.wait_for_message(OTHER, "/report")
    waited = time.monotonic() - started
    answered_busy = len([m for m in server.messages(BUSY) if m.contains("/report")])
    assert waited < 1.0 and answered_busy < 8, (waited, answered_busy)

    # Eight waited their turn and were answered in order; the rest were refused once, politely.
    await server.wait_idle(0.5, timeout=15)
    replies = server.messages(BUSY)
    assert len([m for m in replies if m.contains("/report")]) == 8
    assert len([m for m in replies if m.contains("faster than I can answer")]) == 1
