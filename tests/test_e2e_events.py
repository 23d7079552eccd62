"""The free haircut on the 16th, as residents, groups and an admin see it, with a clock the test
moves: reminders once each, signing up to capacity, muting, a cancelled day, a missed reminder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from storage import clock
from storage.clock import ManualClock
from tests.conftest import ADMIN, GROUP_A, GROUP_B, RunningBot, community
from tests.fakebot import FakeBotApi, SentMessage
from tests.journeys import last_id, register, say_and_wait

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE, BOB, CAROL = 1001, 1002, 1003
HAIRCUT = {
    "id": "haircut",
    "name_zh": "免费理发",
    "name_en": "Free haircut",
    "place": "Community hall, room 1",
    "description": "Volunteers from the barber school.",
    "rule": "monthly:16",
    "time": "09:00",
    "capacity": 2,
}


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(datetime(2026, 12, 14, 12, 0, tzinfo=SHANGHAI))
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(tmp_path / "bot.sqlite3", server.base_url, events=[HAIRCUT])


def _now(server: FakeBotApi, chat: int, message_id: int) -> SentMessage:
    """The message as it reads now, after its edits."""
    return next(m for m in server.messages(chat) if m.message_id == message_id)


def _count(server: FakeBotApi, chat: int, part: str) -> int:
    return sum(1 for m in server.messages(chat) if m.contains(part))


async def test_the_haircut_on_the_16th(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    carol, admin = server.user(CAROL, "Carol"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    await register(server, carol, "2", "5-505")
    listed = await say_and_wait(server, alice, "/events", "Free haircut")
    assert "Dec 16, 09:00" in listed.plain and "2 left of 2" in listed.plain

    reminders = bot.services.reminders
    moved.set(datetime(2026, 12, 15, 18, 59, tzinfo=SHANGHAI))
    assert (await reminders.tick()).events == 0
    moved.set(datetime(2026, 12, 15, 19, 0, tzinfo=SHANGHAI))  # the evening before
    before = {p: last_id(server, p) for p in (ALICE, BOB, CAROL)}
    assert (await reminders.tick()).events == 1
    assert (await reminders.tick()).events == 0
    bot.services.kick()
    evening = {
        p: await server.wait_for_message(p, "Free haircut", after=before[p])
        for p in (ALICE, BOB, CAROL)
    }
    await server.wait_for_message(GROUP_A, "免费理发")
    await server.wait_for_message(GROUP_B, "免费理发")

    # Signing up: two places; the third is refused, politely.
    assert (await server.wait_for_answer(alice.press(evening[ALICE], "I'll come")))["text"] == (
        "You are signed up!"
    )
    await server.wait_for_edit(ALICE, evening[ALICE].message_id, "1 left of 2")
    await server.wait_for_answer(bob.press(evening[BOB], "I'll come"))
    full = await server.wait_for_answer(carol.press(evening[CAROL], "I'll come"))
    assert full["text"] == "Sorry, there are no places left."
    mine = await say_and_wait(server, alice, "/events", "You are signed up")
    assert "0 left of 2" in mine.plain
    await server.wait_for_answer(bob.press(evening[BOB], "No reminders"))
    # Carol changes her mind twice about the reminders; Bob frees his place and takes it again.
    muted = await server.wait_for_answer(carol.press(evening[CAROL], "No reminders"))
    assert muted["text"] == "No more reminders of this event."
    await server.wait_idle()
    on = _now(server, CAROL, evening[CAROL].message_id)
    assert [b.text for b in on.buttons] == ["🔔 Remind me"]  # no places left to take
    await server.wait_for_answer(carol.press(on, "Remind me"))
    await server.wait_idle()
    assert _now(server, CAROL, on.message_id).button("No reminders")
    back = _now(server, BOB, evening[BOB].message_id)
    left = await server.wait_for_answer(bob.press(back, "I can't come"))
    assert left["text"] == "You are no longer signed up."
    retaken = await server.wait_for_edit(BOB, back.message_id, "1 left of 2")
    await server.wait_for_answer(bob.press(retaken, "I'll come"))

    moved.set(datetime(2026, 12, 16, 8, 0, tzinfo=SHANGHAI))  # an hour before
    assert (await reminders.tick()).events == 1
    bot.services.kick()
    soon = await server.wait_for_message(ALICE, "Free haircut", after=evening[ALICE].message_id)
    assert "0 left of 2" in soon.plain
    await server.wait_for_message(CAROL, "Free haircut", after=evening[CAROL].message_id)
    await server.wait_idle()
    assert _count(server, BOB, "Free haircut") == 1  # muted after the evening reminder

    # An admin cancels January's; those signed up then are told, and the month after stands.
    moved.set(datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI))
    await say_and_wait(server, carol, "/events", "Jan 16, 09:00")
    await say_and_wait(server, alice, "/events", "Jan 16")
    listed = server.messages(ALICE)[-1]
    await server.wait_for_answer(alice.press(listed, "I'll come"))
    await say_and_wait(server, bob, "/event_cancel haircut 2027-01-16", "Only admins")
    await say_and_wait(server, admin, "/event_cancel haircut 2027-01-17", "does not take place")
    await say_and_wait(server, admin, "/event_cancel haircut 2027-01-16", "is cancelled")
    await server.wait_for_message(ALICE, "is cancelled. Sorry!")
    await server.wait_for_message(GROUP_A, "取消了")
    assert _count(server, CAROL, "is cancelled") == 0  # she had not signed up
    moved.set(datetime(2027, 1, 15, 19, 0, tzinfo=SHANGHAI))
    assert (await reminders.tick()).events == 0  # no reminders of a cancelled day
    moved.set(datetime(2027, 1, 20, 10, 0, tzinfo=SHANGHAI))
    await say_and_wait(server, carol, "/events", "Feb 16, 09:00")


async def test_a_reminder_missed_while_the_bot_was_down(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await bot.stop()
    moved.set(datetime(2026, 12, 16, 8, 30, tzinfo=SHANGHAI))  # back only this morning
    await bot.start()
    # The evening reminder is long past its grace period: skipped; the hour-before one is sent.
    assert (await bot.services.reminders.tick()).events == 1
    bot.services.kick()
    await server.wait_for_message(ALICE, "Free haircut")
    await server.wait_idle()
    assert _count(server, ALICE, "Free haircut") == 1
    assert (await bot.services.reminders.tick()).events == 0


RESIDENTS = 10_000
BROADCAST_RATE = 400  # messages a second, for the fake server and the bot alike


@pytest.fixture
def crowd(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    """Telegram's flood limits, scaled up (the same for the fake server and the bot) so that
    10,000 reminders take seconds, not six minutes."""
    server.flood_limits(overall_burst=BROADCAST_RATE, overall_rate=BROADCAST_RATE)
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        events=[{**HAIRCUT, "capacity": None}],
        outbox={"messages_per_second": BROADCAST_RATE, "per_chat_interval_seconds": 0},
    )


@pytest.mark.timeout(300)  # about a minute on a 2-core machine
async def test_a_reminder_to_ten_thousand_residents_arrives_once_each_without_a_429(
    server: FakeBotApi, crowd: Settings, moved: ManualClock
) -> None:
    from storage import users

    bot = RunningBot(crowd)
    await bot.start()
    try:
        people = range(100_001, 100_001 + RESIDENTS)
        async with bot.services.db.transaction() as conn:
            for user_id in people:
                await users.ensure(conn, user_id, f"R{user_id}", "zh")
                await users.register(conn, user_id, "1", "1-101", None)
        moved.set(datetime(2026, 12, 15, 19, 0, tzinfo=SHANGHAI))
        assert (await bot.services.reminders.tick()).events == 1
        bot.services.kick()
        await server.wait_for_message(people[-1], "免费理发", timeout=110)
        await server.wait_idle(0.5)
        assert server.flood_refusals == []
        assert all(server.count_sends(user_id) == 1 for user_id in people)
        assert (await bot.services.reminders.tick()).events == 0
    finally:
        await bot.stop()


async def test_an_admin_adds_and_changes_an_event_in_chat(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    admin, alice = server.user(ADMIN, "Admin"), server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, admin, "/event_add blood", "Usage: /event_add")
    bad = await say_and_wait(
        server,
        admin,
        "/event_add blood name_zh=量血压 name_en=Blood pressure check place=Clinic "
        "rule=monthly:40 time=25:00",
        "Nothing was saved",
    )
    assert "rule" in bad.plain and "time" in bad.plain
    await say_and_wait(
        server,
        admin,
        "/event_add blood name_zh=量血压 name_en=Blood pressure check place=Clinic, 2nd floor "
        "rule=weekly:5 time=10:00 audience=grid:A capacity=5",
        "Event blood is added",
    )
    await say_and_wait(server, admin, "/event_add blood name_zh=x", "There is an event blood")
    await say_and_wait(server, admin, "/events", "🆔 haircut")  # an admin sees every id
    await server.wait_for_message(ADMIN, "🆔 blood")
    listed = await say_and_wait(server, alice, "/events", "Blood pressure check")  # grid A
    assert "Dec 18, 10:00" in listed.plain and "Clinic, 2nd floor" in listed.plain
    assert "5 left of 5" in listed.plain
    await say_and_wait(server, admin, "/event_edit blood time=08:30 capacity=-", "is changed")
    listed = await say_and_wait(server, alice, "/events", "Blood pressure check")
    assert "Dec 18, 08:30" in listed.plain and "left of" not in listed.plain
    await say_and_wait(server, admin, "/event_edit nosuch time=08:30", "There is no event nosuch")
    await say_and_wait(server, alice, "/event_edit blood time=07:00", "Only admins")
    async with (
        bot.services.db.read() as conn,
        conn.execute("SELECT change, actor_id FROM directory_log") as cur,
    ):
        log = [(r[0], r[1]) for r in await cur.fetchall()]
    assert ("event blood added", ADMIN) in log
    assert ("event blood changed (capacity, time)", ADMIN) in log
    # A restart keeps the admin's event: the config file never named it.
    await bot.restart()
    await say_and_wait(server, alice, "/events", "Blood pressure check")
