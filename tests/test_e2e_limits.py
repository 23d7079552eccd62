"""Abuse limits end to end: the 6th report in an hour, a press flood, and an admin's lift."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from storage import clock
from storage.clock import ManualClock
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE = 1001
START = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(START)
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(
    tmp_path: Path, server: FakeBotApi, moved: ManualClock, request: pytest.FixtureRequest
) -> Settings:
    # No duplicate offers: every report here is a new one. The limits on requests are the
    # defaults the README documents (5 an hour, 20 a day); the press flood test keeps the
    # press limit low to flood quickly.
    presses = 12 if "press" in request.node.name else 1000
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        community={"duplicate_window_days": 0},
        limits={"requests_per_hour": 5, "requests_per_day": 20, "presses_per_minute": presses},
    )


async def _count(bot: RunningBot, sql: str, *args: object) -> int:
    async with bot.services.db.read() as conn, conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _until_check(server: FakeBotApi, user: FakeUser, text: str) -> SentMessage:
    """/report up to the 'Please check your report' step, not confirmed."""
    ask = await say_and_wait(server, user, "/report", "Choose a category")
    ask = await press_and_wait(server, user, ask, "Plumbing", "Which building")
    await press_and_wait(server, user, ask, "1", "Describe the problem")
    ask = await say_and_wait(server, user, text, "photos")
    return await press_and_wait(server, user, ask, "Skip", "Please check your report")


async def test_the_sixth_report_in_an_hour_waits_until_an_admin_lifts_the_limit(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice = server.user(ALICE, "Alice")
    admin = server.user(ADMIN, "Admin")
    await register(server, alice, "1", "1-101")
    for n in range(5):
        await file_report(server, alice, "Plumbing", "1", f"leak number {n}")
        moved.advance(minutes=5)
    cards = len(server.messages(GROUP_A))

    check = await _until_check(server, alice, "leak number 6")
    refused = await press_and_wait(server, alice, check, "Confirm", "not saved yet")
    # Polite, says when (an hour after the first, 10:00 → 11:00) and how to get help.
    assert "11:00" in refused.plain and str(ALICE) in refused.plain
    assert await _count(bot, "SELECT COUNT(*) FROM requests WHERE reporter_id = ?", ALICE) == 5
    await server.wait_idle()
    assert len(server.messages(GROUP_A)) == cards, "a refused report posted a card"

    # Only an admin lifts it; a resident trying is refused and nothing is recorded.
    await say_and_wait(server, alice, f"/unlimit {ALICE}", "Only admins")
    await say_and_wait(server, admin, "/unlimit abc", "Usage: /unlimit")
    assert await _count(bot, "SELECT COUNT(*) FROM limit_lifts") == 0
    lifted = await say_and_wait(server, admin, f"/unlimit {ALICE}", "are lifted until")
    assert str(ALICE) in lifted.plain
    assert await _count(bot, "SELECT COUNT(*) FROM limit_lifts WHERE by_id = ?", ADMIN) == 1

    # The draft was kept: /report shows it again, and Confirm now files it.
    check = await say_and_wait(server, alice, "/report", "Please check your report")
    assert "leak number 6" in check.plain
    saved = await press_and_wait(server, alice, check, "Confirm", "Saved as")
    assert "R-0006" in saved.plain
    assert await _count(bot, "SELECT COUNT(*) FROM requests WHERE reporter_id = ?", ALICE) == 6


async def test_the_limit_counts_from_the_database_and_ends_with_its_hour(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    """A restart does not reset it; an hour after the first report it lets one more through."""
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "1-101")
    for n in range(5):
        await file_report(server, alice, "Plumbing", "1", f"leak {n}")
        moved.advance(seconds=1)  # (no duplicate offer: the window is 0 days, up to now)
    await bot.restart()
    check = await _until_check(server, alice, "leak 6")
    await press_and_wait(server, alice, check, "Confirm", "not saved yet")
    moved.advance(minutes=61)
    check = await say_and_wait(server, alice, "/report", "Please check your report")
    await press_and_wait(server, alice, check, "Confirm", "Saved as")


async def test_a_press_flood_is_answered_politely_and_changes_nothing(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "1-101")
    check = await _until_check(server, alice, "the tap drips")
    # The wizard's presses so far counted (building, category, skip: 3 and registration's
    # presses within the minute); fill the minute with presses of an old button.
    answers = []
    for _ in range(8):
        answers.append(await server.wait_for_answer(alice.press_data(check, "v1:zz:1")))
    assert any("a lot of presses" in str(a.get("text")) for a in answers), answers
    # Over the limit, Confirm is answered "wait" and files nothing.
    query = alice.press(check, "Confirm")
    told = await server.wait_for_answer(query)
    assert "a lot of presses" in str(told.get("text")) and told.get("show_alert")
    await server.wait_idle()
    assert await _count(bot, "SELECT COUNT(*) FROM requests") == 0
    assert not any(m.contains("Saved as") for m in server.messages(ALICE))
    # A minute later the same press goes through.
    moved.advance(seconds=61)
    await press_and_wait(server, alice, check, "Confirm", "Saved as")

    # Staff are not limited: a worker pressing a stale button many times gets the usual answer.
    worker = server.user(WORKER_A1, "Worker")
    await say_and_wait(server, worker, "/start", "")
    message = server.messages(WORKER_A1)[-1]
    for _ in range(10):
        answer = await server.wait_for_answer(worker.press_data(message, "v1:zz:1"))
        assert "a lot of presses" not in str(answer.get("text"))
    assert last_id(server, WORKER_A1) == message.message_id
