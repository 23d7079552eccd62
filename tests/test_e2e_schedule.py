"""Time, with a clock the test moves (nothing sleeps): deadline steps once each, also across a
restart; the rating follow-up; daily digests; quiet hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from storage import clock
from storage.clock import ManualClock
from tests.conftest import ADMIN_CHAT, GROUP_A, GROUP_B, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE = 1001
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning, before the digest time (08:00) and outside quiet hours.
START = datetime(2026, 11, 24, 7, 0, tzinfo=SHANGHAI)


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    """The bot's clock, standing at START until the test moves it."""
    manual = ManualClock(START)
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(tmp_path / "bot.sqlite3", server.base_url)


def _count(server: FakeBotApi, chat: int, part: str) -> int:
    return sum(1 for m in server.messages(chat) if m.contains(part))


async def _settle(server: FakeBotApi, bot: RunningBot) -> None:
    bot.services.kick()
    await server.wait_idle()


async def test_every_deadline_step_fires_once_also_across_a_restart(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice, a1 = server.user(ALICE, "Alice"), server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await file_report(server, alice, "Plumbing", "1", "Pipe under the sink leaks")  # claim: 2 h
    reminders = bot.services.reminders

    moved.advance(hours=1, minutes=59)
    assert (await reminders.tick()).steps == 0
    moved.advance(minutes=2)  # past the claim deadline
    assert (await reminders.tick()).steps == 1
    await _settle(server, bot)
    assert _count(server, GROUP_A, "已过认领期限") == 1
    assert (await reminders.tick()).steps == 0
    await bot.restart()
    reminders = bot.services.reminders
    assert (await reminders.tick()).steps == 0

    moved.advance(hours=2)  # twice the claim window since filing
    assert (await reminders.tick()).steps == 1
    await server.wait_for_message(ADMIN_CHAT, "超过认领期限很久仍无人认领")
    await server.wait_for_message(ALICE, "passed to the service center")

    card = next(m for m in server.messages(GROUP_A) if "R-0001" in m.plain and m.buttons)
    a1.press(card, "认领")
    await server.wait_for_message(WORKER_A1, "Pipe under the sink leaks")
    moved.advance(hours=23, minutes=1)  # 59 minutes before the resolve deadline (24 h)
    assert (await reminders.tick()).steps == 1
    await server.wait_for_message(WORKER_A1, "is due by")
    moved.advance(hours=1)
    assert (await reminders.tick()).steps == 1
    late = await server.wait_for_message(WORKER_A1, "past its resolve deadline")
    assert late.button("Resolved")
    assert (await reminders.tick()).steps == 0
    moved.advance(hours=24)
    assert (await reminders.tick()).steps == 1
    await server.wait_for_message(ADMIN_CHAT, "超过处理期限很久仍未解决")
    await _settle(server, bot)
    assert _count(server, ALICE, "passed to the service center") == 2
    assert _count(server, WORKER_A1, "past its resolve deadline") == 1
    assert (await reminders.tick()).steps == 0


async def test_a_resolved_request_not_rated_is_reminded_once_then_closed(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice, a1 = server.user(ALICE, "Alice"), server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await file_report(server, alice, "Lights", "1", "Stairway lamp is dark")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "Stairway lamp is dark")
    ask = await press_and_wait(server, a1, details, "Resolved", "What was done")
    ask = await say_and_wait(server, a1, "New bulb", "photo")
    await press_and_wait(server, a1, ask, "Skip", "marked resolved")
    await server.wait_for_message(ALICE, "was resolved by")
    reminders = bot.services.reminders

    moved.advance(hours=24, minutes=1)
    assert (await reminders.tick()).steps == 1
    asked = await server.wait_for_message(ALICE, "Is <b>R-0001</b> fixed?")
    assert asked.button("⭐⭐⭐⭐⭐")
    assert (await reminders.tick()).steps == 0
    moved.advance(hours=72)
    assert (await reminders.tick()).closed == 1
    await server.wait_for_message(ALICE, "is closed without a rating")
    await server.wait_for_message(WORKER_A1, "closed without a rating")
    await server.wait_for_edit(GROUP_A, card.message_id, "未评价")
    assert (await reminders.tick()).closed == 0
    mine = await say_and_wait(server, alice, "/my", "R-0001")
    timeline = await press_and_wait(server, alice, mine, "R-0001", "closed without rating")
    assert "Status: closed" in timeline.plain


async def test_the_daily_digest_goes_once_to_grids_with_something_to_say(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe under the sink leaks")
    await file_report(server, alice, "Lights", "2", "Stairway lamp is dark")
    reminders = bot.services.reminders
    moved.set(datetime(2026, 11, 24, 7, 59, tzinfo=SHANGHAI))
    assert (await reminders.tick()).digests == 0
    moved.set(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))  # R-0001's claim deadline: 09:00
    assert (await reminders.tick()).digests == 1  # grid A only: B, C and D have nothing open
    digest = await server.wait_for_message(GROUP_A, "今日待办")
    assert digest.plain.index("R-0001") < digest.plain.index("R-0002")
    assert "2 条,其中超期 0 条" in digest.plain
    assert (await reminders.tick()).digests == 0
    await _settle(server, bot)
    assert _count(server, GROUP_B, "今日待办") == 0
    # The next day the deadlines have passed; the bot was away until after the grace period
    # the day after: that digest is skipped, not sent late.
    moved.set(datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI))
    await reminders.tick()
    overdue = await server.wait_for_message(GROUP_A, "其中超期 2 条")
    assert overdue.plain.count("⚠️超期") == 2
    moved.set(datetime(2026, 11, 26, 11, 30, tzinfo=SHANGHAI))
    assert (await reminders.tick()).digests == 0
    await _settle(server, bot)
    assert _count(server, GROUP_A, "今日待办") == 2


@pytest.fixture
def quiet_settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        schedule={"quiet_start": "22:00", "quiet_end": "07:00", "tick_seconds": 3600},
    )


async def test_quiet_hours_hold_a_residents_news_until_morning(
    server: FakeBotApi, quiet_settings: Settings, moved: ManualClock
) -> None:
    bot = RunningBot(quiet_settings)
    await bot.start()
    try:
        alice, a1 = server.user(ALICE, "Alice"), server.user(WORKER_A1, "Wang A1")
        await register(server, alice, "1", "2-301")
        await say_and_wait(server, a1, "/start", "You are a grid worker")
        moved.set(datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI))
        # What she does herself is answered at once, quiet hours or not.
        await file_report(server, alice, "Plumbing", "1", "Pipe under the sink leaks")
        card = await server.wait_for_message(GROUP_A, "R-0001")
        a1.press(card, "认领")
        await server.wait_for_message(WORKER_A1, "Pipe under the sink leaks")  # staff: at once
        await _settle(server, bot)
        assert _count(server, ALICE, "was claimed by") == 0  # her news waits
        moved.set(datetime(2026, 11, 25, 6, 59, tzinfo=SHANGHAI))
        await _settle(server, bot)
        assert _count(server, ALICE, "was claimed by") == 0
        moved.set(datetime(2026, 11, 25, 7, 0, tzinfo=SHANGHAI))
        bot.services.kick()
        await server.wait_for_message(ALICE, "was claimed by Wang A1")
    finally:
        await bot.stop()


def test_quiet_hours_over_midnight_and_within_a_day(tmp_path: Path) -> None:
    from bot.quiet import quiet_until

    night = community(
        tmp_path / "x.sqlite3", schedule={"quiet_start": "22:00", "quiet_end": "07:00"}
    )
    at = datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI)
    assert quiet_until(night, at) == datetime(2026, 11, 25, 7, 0, tzinfo=SHANGHAI)
    assert quiet_until(night, at.replace(hour=3)) == datetime(2026, 11, 24, 7, 0, tzinfo=SHANGHAI)
    assert quiet_until(night, at.replace(hour=7, minute=0)) is None
    assert quiet_until(night, at.replace(hour=12)) is None
    noon = community(
        tmp_path / "x.sqlite3", schedule={"quiet_start": "12:00", "quiet_end": "14:00"}
    )
    assert quiet_until(noon, at.replace(hour=13)) == at.replace(hour=14, minute=0)
    assert quiet_until(noon, at.replace(hour=14, minute=0)) is None
    off = community(
        tmp_path / "x.sqlite3", schedule={"quiet_start": "00:00", "quiet_end": "00:00"}
    )
    assert quiet_until(off, at) is None
    assert quiet_until(night, at.astimezone(UTC)) == datetime(2026, 11, 25, 7, tzinfo=SHANGHAI)


ECHO, WALL, HU = -100444, -100333, 7001


@pytest.fixture
def walls(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        echo_wall_chat_id=ECHO,
        wishes={"wall_chat_id": WALL},
        volunteers=[{"id": HU, "name": "Hu", "affiliation": "student"}],
    )


async def test_the_echo_wall_posts_the_week_without_personal_data(
    server: FakeBotApi, walls: Settings, moved: ManualClock
) -> None:
    bot = RunningBot(walls)
    await bot.start()
    try:
        alice, bob = server.user(ALICE, "Alice Zhang"), server.user(1002, "Bob")
        a1 = server.user(WORKER_A1, "Wang A1")
        await register(server, alice, "1", "2-301", phone="13800000001")
        await register(server, bob, "2", "5-505")
        await say_and_wait(server, a1, "/start", "You are a grid worker")
        await file_report(server, alice, "Plumbing", "1", "Kitchen tap leaks all night")
        await file_report(server, bob, "Lights", "2", "Hall lamp flickers")
        card = await server.wait_for_message(GROUP_A, "R-0001")
        a1.press(card, "认领")
        details = await server.wait_for_message(WORKER_A1, "Kitchen tap leaks")
        ask = await press_and_wait(server, a1, details, "Resolved", "What was done")
        ask = await say_and_wait(
            server, a1, "New washer fitted; call 13912345678 if it drips", "photo"
        )
        await press_and_wait(server, a1, ask, "Skip", "marked resolved")
        rate = await server.wait_for_message(ALICE, "was resolved by")
        await press_and_wait(server, alice, rate, "⭐⭐⭐⭐⭐", "Thank")
        reminders = bot.services.reminders
        moved.set(datetime(2026, 11, 29, 17, 59, tzinfo=SHANGHAI))  # Sunday
        assert (await reminders.tick()).weekly == 0
        moved.set(datetime(2026, 11, 29, 18, 0, tzinfo=SHANGHAI))
        assert (await reminders.tick()).weekly == 1
        echo = await server.wait_for_message(ECHO, "回音壁")
        text = echo.plain
        assert "本周受理 2 件,办结 1 件" in text
        assert "水管 · 1:New washer fitted; call *** if it drips ⭐⭐⭐⭐⭐" in text
        for private in ("Alice", "2-301", "13800000001", "13912345678", "Wang", "R-0001"):
            assert private not in text
        assert (await reminders.tick()).weekly == 0
    finally:
        await bot.stop()


async def test_an_unclaimed_wish_comes_back_once_a_day_and_the_admins_get_the_week(
    server: FakeBotApi, walls: Settings, moved: ManualClock
) -> None:
    bot = RunningBot(walls)
    await bot.start()
    try:
        alice = server.user(ALICE, "Alice")
        admin, hu = server.user(900, "Admin"), server.user(HU, "Hu")
        await register(server, alice, "1", "2-301")
        ask = await say_and_wait(server, alice, "/wish", "What kind of wish")
        ask = await press_and_wait(server, alice, ask, "Errand", "Write your wish")
        ask = await say_and_wait(server, alice, "Post a parcel for me", "photo")
        ask = await press_and_wait(server, alice, ask, "Skip", "Please check your wish")
        await press_and_wait(server, alice, ask, "Confirm", "saved as")
        curated = await server.wait_for_message(ADMIN_CHAT, "W-0001")
        admin.press(curated, "发布")
        first = await server.wait_for_message(WALL, "W-0001")
        reminders = bot.services.reminders

        moved.set(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
        assert (await reminders.tick()).reposted == 0  # on the wall for an hour only
        moved.set(datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI))
        assert (await reminders.tick()).reposted == 1
        again = await server.wait_for_message(WALL, "W-0001", after=first.message_id)
        assert [b.text for b in again.buttons] == ["🙋 认领"]
        pointer = await server.wait_for_edit(WALL, first.message_id, "已在下方重新发出")
        assert pointer.buttons == []
        moved.set(datetime(2026, 11, 25, 20, 0, tzinfo=SHANGHAI))
        assert (await reminders.tick()).reposted == 0  # once a day
        moved.set(datetime(2026, 11, 29, 18, 0, tzinfo=SHANGHAI))
        await reminders.tick()
        week = await server.wait_for_message(ADMIN_CHAT, "还没有人认领的微心愿")
        assert "W-0001" in week.plain
        newest = [m for m in server.messages(WALL) if m.buttons][-1]
        answer = await server.wait_for_answer(hu.press(newest, "认领"))
        assert str(answer["text"]).startswith("You claimed W-0001")
    finally:
        await bot.stop()


async def test_a_question_to_the_resident_stops_the_resolve_clock_until_the_answer(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice, a1 = server.user(ALICE, "Alice"), server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await file_report(server, alice, "Plumbing", "1", "Water on the kitchen floor")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")  # resolve by START + 24 h
    details = await server.wait_for_message(WORKER_A1, "Water on the kitchen floor")
    moved.advance(hours=2)
    await press_and_wait(server, a1, details, "Ask the resident", "What would you like to ask")
    await say_and_wait(server, a1, "Under the sink or behind the wall?", "on its way")
    asked = await server.wait_for_message(ALICE, "asks: Under the sink or behind the wall?")
    assert "tg://user" not in (asked.text or "") and asked.button("Answer")

    reminders = bot.services.reminders
    moved.advance(hours=30)  # past the deadline, but the clock stands while she is asked
    assert (await reminders.tick()).steps == 0
    await press_and_wait(server, alice, asked, "Answer", "Type your answer")
    await say_and_wait(server, alice, "Under the sink", "on its way to the worker")
    await server.wait_for_message(WORKER_A1, "answers: Under the sink")
    assert (await reminders.tick()).steps == 0  # the deadline moved on by 30 hours
    moved.advance(hours=21, minutes=10)  # START + 53 h 10: 50 minutes before the new deadline
    assert (await reminders.tick()).steps == 1
    await server.wait_for_message(WORKER_A1, "is due by")
    mine = await say_and_wait(server, alice, "/my", "R-0001")
    timeline = await press_and_wait(server, alice, mine, "R-0001", "the resident answered")
    assert "asked the resident: Under the sink or behind the wall?" in timeline.plain
    assert "the resident answered: Under the sink" in timeline.plain


@pytest.fixture
def working_settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        working_hours={"enabled": True, "days": [1, 2, 3, 4, 5], "start": "08:30", "end": "17:30"},
    )


async def test_deadlines_count_working_hours_only_when_configured(
    server: FakeBotApi, working_settings: Settings, moved: ManualClock
) -> None:
    moved.set(datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI))  # a Friday afternoon
    bot = RunningBot(working_settings)
    await bot.start()
    try:
        alice = server.user(ALICE, "Alice")
        await register(server, alice, "1", "2-301")
        saved = await file_report(server, alice, "Plumbing", "1", "Pipe under the sink leaks")
        assert "claim it by Nov 30, 09:00" in saved.plain  # 2 working hours
        reminders = bot.services.reminders
        moved.set(datetime(2026, 11, 29, 12, 0, tzinfo=SHANGHAI))  # Sunday: not late yet
        assert (await reminders.tick()).steps == 0
        moved.set(datetime(2026, 11, 30, 9, 1, tzinfo=SHANGHAI))
        assert (await reminders.tick()).steps == 1
    finally:
        await bot.stop()
