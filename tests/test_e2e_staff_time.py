"""Staff tools with a clock the test moves: the rating reminder of a request filed for a
resident reaches the filing worker, marked for whom; a request moved to another grid gets a
new claim deadline there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from storage import clock
from storage.clock import ManualClock
from tests.conftest import ADMIN, GROUP_A, GROUP_B, WORKER_A1, WORKER_A2, RunningBot, community
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait
from tests.test_e2e_proxy import file_for

ALICE = 1001
# A Tuesday morning, before the digest time and outside quiet hours.
START = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(START)
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(tmp_path / "bot.sqlite3", server.base_url)


async def test_the_rating_reminder_goes_to_the_filing_worker(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    a1, a2 = server.user(WORKER_A1, "Wang A1"), server.user(WORKER_A2, "Li A2")
    for worker in (a1, a2):
        await say_and_wait(server, worker, "/start", "You are a grid worker")
    await file_for(server, a1, "Grandma Li", "13800000002", "1", "5-502")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a2.press(card, "认领")
    details = await server.wait_for_message(WORKER_A2, "Grandma Li")
    await press_and_wait(server, a2, details, "Resolved", "What was done")
    ask = await say_and_wait(server, a2, "Cleared the drain", "photo")
    await press_and_wait(server, a2, ask, "Skip", "marked resolved")
    await server.wait_for_message(WORKER_A1, "Cleared the drain")

    moved.advance(hours=24, minutes=1)
    assert (await bot.services.reminders.tick()).steps == 1
    asked = await server.wait_for_message(WORKER_A1, "Is <b>R-0001</b> fixed?")
    assert asked.plain.startswith("👤 For Grandma Li")
    await press_and_wait(server, a1, asked, "⭐⭐⭐⭐⭐", "closed with 5★")


async def test_a_moved_request_gets_a_new_claim_deadline_in_its_new_grid(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin Chen")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Drain outside is blocked")  # 2 h
    reminders = bot.services.reminders

    moved.advance(hours=1, minutes=50)
    where = await say_and_wait(server, admin, "/transfer R-0001", "Where should R-0001 go?")
    await press_and_wait(server, admin, where, "Grid B", "Why?")
    await say_and_wait(server, admin, "That drain is grid B's", "moved to Grid B")
    await server.wait_for_message(GROUP_B, "R-0001")

    moved.advance(minutes=15)  # past the old deadline, not the new one
    assert (await reminders.tick()).steps == 0
    moved.advance(hours=1, minutes=50)  # past the new one
    assert (await reminders.tick()).steps == 1
    await server.wait_for_message(GROUP_B, "已过认领期限")
    assert not any(m.contains("已过认领期限") for m in server.messages(GROUP_A))
