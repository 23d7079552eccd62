"""Announcements, as an admin following the README sends them through the fake Bot API: the
words, the audience, the count, Send; each recipient gets it once (quiet hours kept), a
resident who blocked the bot is counted as blocked, and the admin gets one delivery report,
also across restarts. Refusals: someone not an admin, forged and stale buttons, text that
shows nothing or is too long."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import parse
from bot.settings import Settings
from storage import clock
from storage.clock import ManualClock
from tests.conftest import ADMIN, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import last_id, press_and_wait, register, say_and_wait

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALICE, BOB, CAROL, DAN = 1001, 1002, 1003, 1004  # A: buildings 1, 2, 2; B: building 3
HU = 7001  # a volunteer from the config file
WATER = "Water is off on Friday from 9 to 12."


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        volunteers=[{"id": HU, "name": "Hu", "affiliation": "party_member"}],
    )


async def _residents(server: FakeBotApi) -> dict[int, FakeUser]:
    people = {
        ALICE: ("Alice", "1"),
        BOB: ("Bob", "2"),
        CAROL: ("Carol", "2"),
        DAN: ("Dan", "3"),
    }
    found = {}
    for user_id, (name, building) in people.items():
        found[user_id] = server.user(user_id, name)
        await register(server, found[user_id], building, "1-101")
    return found


def _count(server: FakeBotApi, chat: int, part: str) -> int:
    return sum(1 for m in server.messages(chat) if m.contains(part))


async def _compose(server: FakeBotApi, admin: FakeUser, text: str) -> SentMessage:
    """/broadcast → the words; returns the audience question."""
    await say_and_wait(server, admin, "/broadcast", "New announcement")
    return await say_and_wait(server, admin, text, "Who should get it?")


async def _answer(server: FakeBotApi, query_id: str) -> str:
    return str((await server.wait_for_answer(query_id)).get("text") or "")


async def test_an_admin_announces_to_a_grid_and_gets_one_report(
    server: FakeBotApi, bot: RunningBot
) -> None:
    await _residents(server)
    server.forbid(CAROL)  # Carol blocked the bot after registering
    admin = server.user(ADMIN, "Admin")
    ask = await _compose(server, admin, WATER)
    labels = [b.text for b in ask.buttons]
    assert "👥 Everyone registered (4)" in labels
    assert "🏘 Grid A (3)" in labels and "🏘 Grid B (1)" in labels
    assert "🤝 Volunteers (1)" in labels
    summary = await press_and_wait(server, admin, ask, "Grid A", "Your announcement")
    assert "To: Grid A, 3 recipients" in summary.plain and WATER in summary.plain
    await press_and_wait(server, admin, summary, "Send to 3", "on its way to 3 recipients")

    for resident in (ALICE, BOB):
        got = await server.wait_for_message(resident, WATER)
        assert got.plain.startswith("📢 Nanning St.")
    report = await server.wait_for_message(ADMIN, "Delivery report")
    assert "Grid A" in report.plain
    assert "Sent: 2" in report.plain and "Blocked the bot: 1" in report.plain
    assert "Failed: 0" in report.plain and "Recipients: 3" in report.plain
    await server.wait_idle()
    assert [_count(server, r, WATER) for r in (ALICE, BOB, CAROL, DAN)] == [1, 1, 0, 0]
    assert _count(server, ADMIN, "Delivery report") == 1
    assert _count(server, HU, WATER) == 0

    # Carol's copy waited; it arrives when she writes to the bot again. The report stands.
    server.allow(CAROL)
    carol = server.user(CAROL, "Carol")
    carol.send("/help")
    await server.wait_for_message(CAROL, WATER)
    await server.wait_idle()
    assert _count(server, CAROL, WATER) == 1
    assert _count(server, ADMIN, "Delivery report") == 1


async def test_a_photo_announcement_arrives_as_a_photo_with_its_caption(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    admin = server.user(ADMIN, "Admin")
    ask = await say_and_wait(server, admin, "/broadcast", "New announcement")
    assert "at most 1" in ask.plain  # the caption's limit is said: under 1024

    # A photo without words, and a caption too long for a photo, are asked again.
    last = last_id(server, ADMIN)
    admin.send_photo("AgAD-lift")
    await server.wait_for_message(ADMIN, "I didn't understand", after=last)
    last = last_id(server, ADMIN)
    admin.send_photo("AgAD-lift", caption="L" * 1020)
    too_long = await server.wait_for_message(ADMIN, "caption", after=last)
    assert "yours has 1020" in too_long.plain

    last = last_id(server, ADMIN)
    admin.send_photo("AgAD-lift", caption="The lift is serviced on Monday.")
    ask = await server.wait_for_message(ADMIN, "Who should get it?", after=last)
    summary = await press_and_wait(server, admin, ask, "Everyone registered", "Your announcement")
    assert "With a photo" in summary.plain
    await press_and_wait(server, admin, summary, "Send to 1", "on its way")

    got = await server.wait_for_message(ALICE, "The lift is serviced on Monday.")
    assert got.method == "sendPhoto" and got.photo == "AgAD-lift"
    report = await server.wait_for_message(ADMIN, "Delivery report")
    assert "Sent: 1" in report.plain and "Recipients: 1" in report.plain

    # A text alone may be far longer than a caption.
    ask = await _compose(server, admin, "W" * 1020)
    summary = await press_and_wait(server, admin, ask, "Everyone registered", "Your announcement")
    await press_and_wait(server, admin, summary, "Send to 1", "on its way")
    got = await server.wait_for_message(ALICE, "W" * 1020)
    assert got.method == "sendMessage"


async def test_only_admins_broadcast_and_bad_words_are_asked_again(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    worker = server.user(WORKER_A1, "Wang")
    for person in (worker, alice):
        refused = await say_and_wait(server, person, "/broadcast", "Only admins")
        assert refused.plain == "Only admins can send announcements."

    admin = server.user(ADMIN, "Admin")
    await say_and_wait(server, admin, "/broadcast", "New announcement")
    await say_and_wait(server, admin, "\u200b \u2060 ", "That shows nothing")
    await say_and_wait(server, admin, "x" * 4090, "at most")
    last = last_id(server, ADMIN)
    admin.send_sticker()
    await server.wait_for_message(ADMIN, "I didn't understand", after=last)
    ask = await say_and_wait(server, admin, "Tea party at 3.", "Who should get it?")
    assert ask.button("Grid A (1)")
    await server.wait_idle()
    assert _count(server, ALICE, "Tea party") == 0


async def test_forged_and_stale_buttons_change_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    await _residents(server)
    admin = server.user(ADMIN, "Admin")
    worker = server.user(WORKER_A1, "Wang")
    ask = await _compose(server, admin, WATER)
    grid_a = parse(ask.button("Grid A").callback_data)
    assert grid_a is not None and grid_a.arg2 is not None
    nonce = grid_a.arg2

    # A grid number nobody has, with the step's own nonce: no longer valid, asked again.
    last = last_id(server, ADMIN)
    query = admin.press_data(ask, f"v1:bcgrid:999:{nonce}")
    assert await _answer(server, query) == "This button is no longer valid."
    ask = await server.wait_for_message(ADMIN, "Who should get it?", after=last)
    # Another step's nonce, or data outside the grammar.
    for data in (f"v1:bcall:0:{nonce + 1}", "v1:bcgrid:1", "v1:bcgrid:x:1"):
        assert await _answer(server, admin.press_data(ask, data)) == (
            "This button is no longer valid."
        )
    # Someone else pressing the admin's buttons, or forging them in their own chat.
    assert await _answer(server, worker.press_data(ask, grid_a.pack())) == (
        "This button is no longer valid."
    )
    own = await say_and_wait(server, worker, "/help", "")
    assert await _answer(server, worker.press_data(own, f"v1:ok:0:{nonce}")) == (
        "This button is no longer valid."
    )

    # A grid nobody lives in: the count says so, and there is nothing to send.
    empty = await press_and_wait(server, admin, ask, "Grid D", "Your announcement")
    assert "0 recipients" in empty.plain and "Nobody is in this audience" in empty.plain
    assert not any("Send" in b.text for b in empty.buttons)
    ask = await press_and_wait(server, admin, empty, "Change the audience", "Who should get it?")
    earlier = ask.button("Grid A").callback_data or ""
    # One building, chosen by its id.
    buildings = await press_and_wait(server, admin, ask, "One building", "Which building?")
    summary = await press_and_wait(server, admin, buildings, "3 (1)", "Your announcement")
    assert "To: building 3, 1 recipient" in summary.plain

    # The earlier question's buttons are stale now; pressing them changes nothing.
    stale = admin.press_data(ask, earlier)
    assert await _answer(server, stale) == "This button is no longer valid."
    forged = admin.press_data(summary, f"v1:ok:0:{nonce}")
    assert await _answer(server, forged) == "This button is no longer valid."

    send = summary.button("Send").callback_data or ""
    await press_and_wait(server, admin, summary, "Send to 1", "on its way to 1 recipient")
    await server.wait_for_message(DAN, WATER)
    # Send pressed again (an old copy of the message): nothing is sent twice.
    assert await _answer(server, admin.press_data(summary, send)) == (
        "This button is no longer valid."
    )
    await server.wait_for_message(ADMIN, "Delivery report")
    await server.wait_idle()
    assert [_count(server, r, WATER) for r in (ALICE, BOB, CAROL, DAN)] == [0, 0, 0, 1]
    assert _count(server, ADMIN, "Delivery report") == 1

    # Cancel: nothing is sent.
    ask = await _compose(server, admin, "Never mind.")
    await press_and_wait(server, admin, ask, "Cancel", "nothing was sent")
    await server.wait_idle()
    assert all(_count(server, r, "Never mind.") == 0 for r in (ALICE, BOB, CAROL, DAN))


# --- with a clock the test moves ------------------------------------------------------------


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(datetime(2026, 12, 14, 12, 0, tzinfo=SHANGHAI))
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


async def test_a_restart_before_delivery_ends_delivers_once_and_reports_once(
    tmp_path: Path, server: FakeBotApi, moved: ManualClock
) -> None:
    running = RunningBot(community(tmp_path / "bot.sqlite3", server.base_url))
    await running.start()
    try:
        await _residents(server)
        admin = server.user(ADMIN, "Admin")
        # Bob's copy meets a server error: it is tried again later, by the clock, which stands
        # still until the test moves it.
        server.fail_next("sendMessage", BOB, [500])
        ask = await _compose(server, admin, WATER)
        summary = await press_and_wait(server, admin, ask, "Grid A", "Your announcement")
        await press_and_wait(server, admin, summary, "Send to 3", "on its way")
        await server.wait_for_message(ALICE, WATER)
        await server.wait_for_message(CAROL, WATER)
        await server.wait_idle()
        assert _count(server, BOB, WATER) == 0
        assert _count(server, ADMIN, "Delivery report") == 0

        await running.restart()
        await server.wait_idle()
        assert _count(server, BOB, WATER) == 0  # not due yet
        assert _count(server, ADMIN, "Delivery report") == 0

        moved.advance(minutes=1)
        running.services.kick()
        await server.wait_for_message(BOB, WATER)
        report = await server.wait_for_message(ADMIN, "Delivery report")
        assert "Sent: 3" in report.plain and "Blocked the bot: 0" in report.plain

        await running.restart()
        running.services.kick()
        await server.wait_idle()
        assert [_count(server, r, WATER) for r in (ALICE, BOB, CAROL, DAN)] == [1, 1, 1, 0]
        assert _count(server, ADMIN, "Delivery report") == 1
    finally:
        await running.stop()


async def test_residents_get_an_announcement_after_their_quiet_hours(
    tmp_path: Path, server: FakeBotApi, moved: ManualClock
) -> None:
    settings = community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        schedule={"quiet_start": "22:00", "quiet_end": "07:00"},
        volunteers=[{"id": HU, "name": "Hu", "affiliation": "party_member"}],
    )
    running = RunningBot(settings)
    await running.start()
    try:
        alice = server.user(ALICE, "Alice")
        await register(server, alice, "1", "2-301")
        admin = server.user(ADMIN, "Admin")
        moved.set(datetime(2026, 12, 14, 23, 0, tzinfo=SHANGHAI))
        ask = await _compose(server, admin, WATER)
        summary = await press_and_wait(server, admin, ask, "Everyone", "Your announcement")
        assert "quiet hours" in summary.plain and "07:00" in summary.plain
        queued = await press_and_wait(server, admin, summary, "Send to 1", "on its way")
        assert "07:00" in queued.plain

        # Volunteers are not held by quiet hours.
        ask = await _compose(server, admin, "Volunteers' meeting tomorrow.")
        summary = await press_and_wait(server, admin, ask, "Volunteers", "Your announcement")
        assert "quiet hours" not in summary.plain
        await press_and_wait(server, admin, summary, "Send to 1", "on its way")
        await server.wait_for_message(HU, "Volunteers' meeting")
        report = await server.wait_for_message(ADMIN, "Delivery report")  # that one's
        assert "to volunteers" in report.plain
        await server.wait_idle()
        assert _count(server, ALICE, WATER) == 0
        assert _count(server, ADMIN, "Delivery report") == 1

        moved.set(datetime(2026, 12, 15, 7, 0, tzinfo=SHANGHAI))
        running.services.kick()
        await server.wait_for_message(ALICE, WATER)
        report = await server.wait_for_message(ADMIN, "Delivery report", after=report.message_id)
        assert "to everyone registered" in report.plain and "Sent: 1" in report.plain
        await server.wait_idle()
        assert _count(server, ADMIN, "Delivery report") == 2
    finally:
        await running.stop()
