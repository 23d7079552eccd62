"""The newer journeys (wishes, volunteers' passbook, schedule, events) against Telegram's limits
and the Bot API's faults: every text fits or is paged, toasts are plain, invisible input is
empty, and no wish card is lost when the wall or the admin chat refuses the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from storage import clock, volunteers
from storage import requests as store
from storage.clock import ManualClock
from storage.requests import NewRequest
from tests.conftest import ADMIN, ADMIN_CHAT, GROUP_A, RunningBot, community
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import last_id, press_and_wait, register, say_and_wait

WALL, ECHO = -100333, -100444
ALICE, BOB = 1001, 1002
HU, MA = 7001, 7002
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff" * 3
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        wishes={"wall_chat_id": WALL},
        echo_wall_chat_id=ECHO,
        telegram={"request_timeout_seconds": 0.5},
        volunteers=[
            {"id": HU, "name": "Hu", "affiliation": "party_member"},
            {"id": MA, "name": "Ma", "affiliation": "student"},
        ],
    )


def _fits(message: SentMessage) -> bool:
    return len(message.plain) <= (1024 if message.method == "sendPhoto" else 4096)


async def _no_trouble(server: FakeBotApi, *chats: int) -> None:
    """Nothing went wrong: no apology to anyone, no refusal reported to the admins."""
    await server.wait_idle(0.3)
    for chat in chats:
        assert not [m for m in server.messages(chat) if m.contains("something went wrong")]
    assert not [m for m in server.messages(ADMIN_CHAT) if m.contains("无法送达")]


async def _wish(
    server: FakeBotApi, user: FakeUser, text: str, photo: str | None = None
) -> SentMessage:
    ask = await say_and_wait(server, user, "/wish", "What kind of wish")
    ask = await press_and_wait(server, user, ask, "Errand", "Write your wish")
    ask = await say_and_wait(server, user, text, "photo")
    if photo is None:
        ask = await press_and_wait(server, user, ask, "Skip", "Please check your wish")
    else:
        last = last_id(server, user.id)
        user.send_photo(photo)
        ask = await server.wait_for_message(user.id, "Please check your wish", after=last)
    return await press_and_wait(server, user, ask, "Confirm", "saved as")


async def _publish(server: FakeBotApi, admin: FakeUser, number: str, wall: int = WALL) -> None:
    card = await server.wait_for_message(ADMIN_CHAT, number)
    await server.wait_for_answer(admin.press(card, "发布"))


# --- texts ------------------------------------------------------------------------------


async def test_the_longest_wish_with_a_photo_fits_on_the_admin_card_and_the_wall(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    text = "请帮我把药从药店取回来。" * 42  # 504 characters: 500 allowed
    bad = await say_and_wait(server, alice, "/wish", "What kind of wish")
    ask = await press_and_wait(server, alice, bad, "Errand", "Write your wish")
    await say_and_wait(server, alice, text[:501], "(you sent 501)")
    last = last_id(server, alice.id)
    alice.send(text[:500])
    await server.wait_for_message(ALICE, "photo", after=last)
    last = last_id(server, alice.id)
    alice.send_photo("AgAD-wish-photo")
    ask = await server.wait_for_message(ALICE, "Please check your wish", after=last)
    assert text[:500] in ask.plain
    await press_and_wait(server, alice, ask, "Confirm", "saved as")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    assert card.method == "sendPhoto" and card.photo == "AgAD-wish-photo"
    assert _fits(card) and text[:500] in card.plain
    await server.wait_for_answer(admin.press(card, "发布"))
    wall = await server.wait_for_message(WALL, "W-0001")
    assert wall.method == "sendPhoto" and _fits(wall) and text[:500] in wall.plain
    assert [b.text for b in wall.buttons] == ["🙋 认领"]
    await _no_trouble(server, ALICE, ADMIN)


async def test_an_admins_public_text_and_reason_at_their_longest_and_invisible(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, admin, "/start", "You are an admin")
    await _wish(server, alice, "Post a parcel to my son", photo="AgAD-parcel")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    public = ("🎁" + "把包裹寄给她的儿子。" * 50)[:500]  # the most that may show, an emoji too
    last = last_id(server, ADMIN)
    admin.press(card, "修改公开内容")
    await server.wait_for_message(ADMIN, "what the wish wall shows for W-0001", after=last)
    await say_and_wait(server, admin, INVISIBLE, "up to 500 characters")  # asked again
    await say_and_wait(server, admin, public, "public text of W-0001")
    edited = await server.wait_for_edit(ADMIN_CHAT, card.message_id, public[-20:])
    assert _fits(edited) and public[1:] in edited.plain

    await _wish(server, alice, "A new television, please")
    second = await server.wait_for_message(ADMIN_CHAT, "W-0002")
    reason = "这个心愿超出了微心愿的范围，请理解。" * 28  # 504: 500 allowed
    last = last_id(server, ADMIN)
    admin.press(second, "不通过")
    await server.wait_for_message(ADMIN, "Why is W-0002 not published", after=last)
    await say_and_wait(server, admin, INVISIBLE, "up to 500 characters")
    await say_and_wait(server, admin, reason[:501], "up to 500 characters")
    await say_and_wait(server, admin, reason[:500], "rejected")
    told = await server.wait_for_message(ALICE, "was not published")
    assert _fits(told) and reason[:500] in told.plain
    await _no_trouble(server, ALICE, ADMIN)


async def test_a_volunteer_who_loses_the_race_reads_the_winners_name_plainly(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    tom, ma = server.user(HU, "Tom & Jerry <3"), server.user(MA, "Ma")
    await register(server, alice, "1", "2-301")
    await _wish(server, alice, "Walk me to the clinic")
    await _publish(server, admin, "W-0001")
    wall = await server.wait_for_message(WALL, "W-0001")
    won = await server.wait_for_answer(tom.press(wall, "认领"))
    assert str(won["text"]).startswith("You claimed W-0001")
    lost = await server.wait_for_answer(ma.press_data(wall, "v1:claim:1"))
    assert lost["text"] == "Already claimed by Tom & Jerry <3."
    assert "parse_mode" not in lost
    # On the wall and to the resident the same name reads right in HTML.
    claimed = await server.wait_for_edit(WALL, wall.message_id, "Tom & Jerry <3")
    assert "&amp;" not in claimed.plain
    told = await server.wait_for_message(ALICE, "took your wish")
    assert "Tom & Jerry <3" in told.plain


async def test_invisible_thanks_and_award_reason_count_as_empty(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    await say_and_wait(server, alice, "/wish", "What kind of wish")
    ask = server.last_message(ALICE)
    await press_and_wait(server, alice, ask, "Errand", "Write your wish")
    await say_and_wait(server, alice, INVISIBLE + "ab" + INVISIBLE, "(you sent 2)")
    await say_and_wait(server, alice, INVISIBLE, "(you sent 0)")
    ask = await say_and_wait(server, alice, "Carry my shopping upstairs", "photo")
    ask = await press_and_wait(server, alice, ask, "Skip", "Please check your wish")
    await press_and_wait(server, alice, ask, "Confirm", "saved as")
    await _publish(server, admin, "W-0001")
    wall = await server.wait_for_message(WALL, "W-0001")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    ask = await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    ask = await say_and_wait(server, hu, "Carried up on Monday", "photo")
    await press_and_wait(server, hu, ask, "Skip", "marked fulfilled")
    came = await server.wait_for_message(ALICE, "came true")
    await press_and_wait(server, alice, came, "say thanks", "tell the volunteer")
    await say_and_wait(server, alice, INVISIBLE, "tell the volunteer")  # asked again
    await say_and_wait(server, alice, "Thank you!", "is closed")
    await server.wait_for_message(HU, "says: Thank you!")

    await say_and_wait(server, admin, f"/award {HU} 5 {INVISIBLE}", "Usage: /award")
    await say_and_wait(server, admin, f"/award {HU} 5 Help{INVISIBLE}", "Recorded (5 points)")
    await server.wait_for_message(HU, "You got 5 points: Help. Balance")


async def test_a_long_passbook_is_paged_and_every_row_can_be_read(
    server: FakeBotApi, bot: RunningBot
) -> None:
    hu = server.user(HU, "Hu")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    async with bot.services.db.transaction() as conn:
        for n in range(70):
            note = f"#{n}# " + "社区清扫与义务劳动" * 21  # 200 characters, the most allowed
            await volunteers.record(conn, HU, 1, "award", note[:200], ADMIN)
    first = await say_and_wait(server, hu, "/points", "passbook")
    assert "<b>70</b>" in (first.text or "") and _fits(first)
    assert "Page 1/" in first.plain
    pages = int(first.plain.rsplit("Page 1/", 1)[1].split()[0])
    seen, current = first.plain, first
    for page in range(2, pages + 1):
        last = last_id(server, HU)
        hu.press(current, "Next")
        current = await server.wait_for_edit(HU, first.message_id, f"Page {page}/{pages}")
        assert _fits(current) and last_id(server, HU) == last
        seen += current.plain
    assert all(f"#{n}#" in seen for n in range(70))
    await _no_trouble(server, HU)


async def test_many_taken_wishes_are_paged(server: FakeBotApi, bot: RunningBot) -> None:
    hu = server.user(HU, "Hu")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    async with bot.services.db.transaction() as conn:
        for n in range(1, 31):
            request = await store.insert(conn, _new("wish", "errand", "published", n))
            await store.change_status(
                conn, request.id, ("published",), "claimed", assignee_id=HU, assignee_name="Hu"
            )
    first = await say_and_wait(server, hu, "/mywishes", "(30)")
    assert _fits(first) and "Page 1/" in first.plain
    pages = int(first.plain.rsplit("Page 1/", 1)[1].split()[0])
    seen, current = first.plain, first
    for page in range(2, pages + 1):
        hu.press(current, "Next")
        current = await server.wait_for_edit(HU, first.message_id, f"Page {page}/{pages}")
        assert _fits(current)
        seen += current.plain
    assert all(f"W-{n:04d}" in seen for n in range(1, 31))
    await _no_trouble(server, HU)


def _new(kind: str, category: str, status: str, n: int, building: str = "1") -> NewRequest:
    return NewRequest(
        kind=kind,
        category=category,
        description=f"#{n}# " + "描述" * 497,
        building=building,
        unit="2-301",
        photos=(),
        reporter_id=ALICE,
        filed_by=None,
        grid_id="A",
        status=status,
        claim_due_at=None,
    )


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(datetime(2026, 11, 24, 7, 0, tzinfo=SHANGHAI))  # a Tuesday
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


async def test_the_daily_digest_of_hundreds_of_requests_counts_and_shows_them_all(
    server: FakeBotApi, moved: ManualClock, bot: RunningBot
) -> None:
    async with bot.services.db.transaction() as conn:
        for n in range(1, 251):
            await store.insert(conn, _new("repair", "water", "open", n))
    moved.set(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
    assert (await bot.services.reminders.tick()).digests == 1
    bot.services.kick()
    head = await server.wait_for_message(GROUP_A, "Grid A", timeout=20)
    assert "250" in head.plain
    await server.wait_idle(0.5, timeout=30)
    pages = [m for m in server.messages(GROUP_A) if m.message_id >= head.message_id]
    assert all(_fits(p) for p in pages)
    seen = "".join(p.plain for p in pages)
    assert all(f"R-{n:04d}" in seen for n in range(1, 251))


async def test_the_echo_wall_and_the_unclaimed_wishes_of_a_busy_week_fit(
    server: FakeBotApi, moved: ManualClock, bot: RunningBot
) -> None:
    moved.set(datetime(2026, 11, 29, 17, 0, tzinfo=SHANGHAI))  # not a day on the wall yet
    async with bot.services.db.transaction() as conn:
        for n in range(1, 121):
            request = await store.insert(conn, _new("repair", "water", "claimed", n))
            note = f"#{n}# " + "更换了阀门并清理了管道" * 90
            await store.add_event(
                conn, request.id, "resolve", actor_id=201, actor_name="W", note=note
            )
        for n in range(1, 151):
            await store.insert(conn, _new("wish", "errand", "published", n))
    moved.set(datetime(2026, 11, 29, 18, 0, tzinfo=SHANGHAI))  # Sunday
    assert (await bot.services.reminders.tick()).weekly == 2
    bot.services.kick()
    await server.wait_for_message(ECHO, "120", timeout=20)

    def posted() -> tuple[int, str]:
        week = "".join(m.plain for m in server.messages(ADMIN_CHAT))
        return sum(m.plain.count("#") for m in server.messages(ECHO)), week

    # Many pages to two chats are paced: wait for the last of them, not for a pause.
    for _ in range(400):
        items, week_text = posted()
        if items >= 2 * 120 and "W-0150" in week_text:
            break
        await asyncio.sleep(0.1)
    await server.wait_idle(0.5, timeout=40)
    echo = server.messages(ECHO)
    assert len(echo) >= 2 and all(_fits(m) for m in echo)
    assert sum(m.plain.count("#") for m in echo) == 2 * 120  # each item once
    week = [m for m in server.messages(ADMIN_CHAT) if m.method == "sendMessage"]
    assert len(week) >= 2 and all(_fits(m) for m in week)
    seen = "".join(m.plain for m in week)
    assert all(f"W-{n:04d}" in seen for n in range(1, 151))


LONG_EVENT = {
    "name_zh": "社" * 60,
    "name_en": "E" * 60,
    "place": "地" * 100,
    "description": "说" * 500,
    "rule": "weekly:3",
    "time": "09:00",
    "capacity": 100000,
}


@pytest.fixture
def events_settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    events = [LONG_EVENT | {"id": f"ev{n}", "name_en": f"{n:02d}" + "E" * 58} for n in range(12)]
    return community(tmp_path / "bot.sqlite3", server.base_url, events=events)


async def test_many_long_events_and_their_reminders_fit(
    server: FakeBotApi, events_settings: Settings, moved: ManualClock
) -> None:
    bot = RunningBot(events_settings)
    await bot.start()
    try:
        alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
        await register(server, alice, "1", "2-301")
        last = last_id(server, ADMIN)
        admin.send("/events")
        await server.wait_for_message(ADMIN, "11" + "E" * 58, after=last, timeout=30)
        shown = [m for m in server.messages(ADMIN) if m.message_id > last]
        assert all(_fits(m) for m in shown)
        assert all(any(f"{n:02d}EEE" in m.plain for m in shown) for n in range(12))
        moved.set(datetime(2026, 11, 24, 19, 0, tzinfo=SHANGHAI))  # the evening before
        assert (await bot.services.reminders.tick()).events == 12
        bot.services.kick()

        def reminders() -> list[SentMessage]:
            return [m for m in server.messages(ALICE) if "说说说" in m.plain]

        # Twelve messages to one chat are paced a second apart: wait for them, not for a pause.
        for _ in range(400):
            if len(reminders()) >= 12:
                break
            await asyncio.sleep(0.1)
        await server.wait_idle(0.5, timeout=40)
        assert len(reminders()) == 12 and all(_fits(m) for m in reminders())
        assert all(_fits(m) for m in server.messages(GROUP_A))
    finally:
        await bot.stop()


async def test_an_event_added_with_an_invisible_name_is_refused(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Admin")
    added = await say_and_wait(
        server,
        admin,
        f"/event_add tea name_zh={INVISIBLE} name_en=Tea place=Hall rule=weekly:2",
        "Nothing was saved",
    )
    assert "name_zh" in added.plain
    await say_and_wait(server, admin, "/events", "No community events")
    await say_and_wait(
        server,
        admin,
        f"/event_add tea name_zh=茶话会 name_en=Tea place={INVISIBLE} rule=weekly:2",
        "place:",
    )
    await say_and_wait(server, admin, "/events", "No community events")


# --- faults -----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["forbid", "unknown_chat"])
async def test_a_wall_that_refuses_the_bot_sends_wishes_to_the_volunteers(
    server: FakeBotApi, bot: RunningBot, fault: str
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    hu, ma = server.user(HU, "Hu"), server.user(MA, "Ma")
    await register(server, alice, "1", "2-301")
    for volunteer in (hu, ma):
        await say_and_wait(server, volunteer, "/start", "You are a volunteer")
    getattr(server, fault)(WALL)
    await _wish(server, alice, "Walk me to the clinic")
    await _publish(server, admin, "W-0001")
    copies = [await server.wait_for_message(v, "W-0001") for v in (HU, MA)]
    assert all([b.text for b in c.buttons] == ["🙋 认领"] for c in copies)
    told = await server.wait_for_message(ADMIN_CHAT, str(WALL))
    assert "wish wall" in told.plain.lower() or "心愿墙" in told.plain
    await server.wait_for_message(ALICE, "is on the wish wall")

    # A second wish goes straight to the volunteers; the admins are not told again.
    await _wish(server, alice, "Read the newspaper to me")
    await _publish(server, admin, "W-0002")
    await server.wait_for_message(HU, "W-0002")
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(ADMIN_CHAT) if m.contains(str(WALL))]) == 1

    # A volunteer claims from the private copy; the other copy follows.
    answer = await server.wait_for_answer(ma.press(copies[1], "认领"))
    assert str(answer["text"]).startswith("You claimed W-0001")
    gone = await server.wait_for_edit(HU, copies[0].message_id, "Ma")
    assert gone.buttons == []

    # The bot is back on the wall: what waited for it is posted there.
    server.allow(WALL)
    server._unknown_chats.discard(WALL)  # the configured id was corrected
    server.user(ADMIN, "Admin").send("back", chat=server.group(WALL, "Wish wall"))
    await server.wait_for_message(WALL, "W-0002")


async def test_an_admin_chat_that_refuses_the_bot_sends_wishes_to_the_admins(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, admin, "/start", "You are an admin")
    server.forbid(ADMIN_CHAT)
    await _wish(server, alice, "Walk me to the clinic")
    card = await server.wait_for_message(ADMIN, "W-0001")
    assert [b.text for b in card.buttons] == ["📢 发布", "✏️ 修改公开内容", "✖️ 不通过"]
    told = await server.wait_for_message(ADMIN, str(ADMIN_CHAT))
    assert "W-0001" not in told.plain
    await server.wait_for_answer(admin.press(card, "发布"))
    await server.wait_for_message(WALL, "W-0001")
    await server.wait_for_edit(ADMIN, card.message_id, "等待志愿者")

    await _wish(server, alice, "Read the newspaper to me")
    await server.wait_for_message(ADMIN, "W-0002")
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(ADMIN) if m.contains(str(ADMIN_CHAT))]) == 1


async def test_a_wall_card_lost_on_the_way_is_sent_again(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    await _wish(server, alice, "Walk me to the clinic")
    server.delay_next("sendMessage", WALL, 1.5, arrives=False)
    await _publish(server, admin, "W-0001")
    card = await server.wait_for_message(WALL, "W-0001", timeout=15)
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(WALL) if m.contains("W-0001")]) == 1
    assert [b.text for b in card.buttons] == ["🙋 认领"]


async def test_a_deleted_wall_card_comes_back_when_the_wish_is_given_back(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    hu, ma = server.user(HU, "Hu"), server.user(MA, "Ma")
    await register(server, alice, "1", "2-301")
    await _wish(server, alice, "Walk me to the clinic")
    await _publish(server, admin, "W-0001")
    wall = await server.wait_for_message(WALL, "W-0001")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    await server.wait_for_edit(WALL, wall.message_id, "Hu")
    server.delete_message(WALL, wall.message_id)
    await press_and_wait(server, hu, details, "Give back", "back on the wish wall")
    again = await server.wait_for_message(WALL, "W-0001", after=wall.message_id)
    assert [b.text for b in again.buttons] == ["🙋 认领"]
    answer = await server.wait_for_answer(ma.press(again, "认领"))
    assert str(answer["text"]).startswith("You claimed W-0001")
    await server.wait_for_edit(WALL, again.message_id, "Ma")


async def test_after_the_wall_migrates_its_card_is_current_in_the_new_chat(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await _wish(server, alice, "Walk me to the clinic")
    await _publish(server, admin, "W-0001")
    await server.wait_for_message(WALL, "W-0001")
    new_wall = -100999333
    server.migrate(WALL, new_wall)
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    admin.press(card, "修改公开内容")
    await server.wait_for_message(ADMIN, "what the wish wall shows for W-0001")
    await say_and_wait(server, admin, "A walk to the clinic on Friday", "public text of W-0001")
    moved = await server.wait_for_message(new_wall, "A walk to the clinic on Friday")
    answer = await server.wait_for_answer(hu.press(moved, "认领"))
    assert str(answer["text"]).startswith("You claimed W-0001")
    # The next wish goes to the new chat directly.
    await _wish(server, alice, "Read the newspaper to me")
    await _publish(server, admin, "W-0002")
    await server.wait_for_message(new_wall, "W-0002")
    assert not [m for m in server.messages(WALL) if m.contains("W-0002")]


async def test_an_echo_wall_that_refuses_the_bot_is_named_to_the_admins(
    server: FakeBotApi, moved: ManualClock, bot: RunningBot
) -> None:
    moved.set(datetime(2026, 11, 29, 17, 0, tzinfo=SHANGHAI))
    async with bot.services.db.transaction() as conn:
        request = await store.insert(conn, _new("repair", "water", "claimed", 1))
        await store.add_event(
            conn, request.id, "resolve", actor_id=201, actor_name="W", note="Valve changed"
        )
    server.forbid(ECHO)
    moved.set(datetime(2026, 11, 29, 18, 0, tzinfo=SHANGHAI))  # Sunday: the weekly post
    await bot.services.reminders.tick()
    bot.services.kick()
    told = await server.wait_for_message(ADMIN_CHAT, str(ECHO), timeout=20)
    assert "回音壁" in told.plain and "网格" not in told.plain
    assert not server.messages(ECHO)

    # Back on the echo wall, the post that waited arrives there once.
    server.allow(ECHO)
    server.user(ADMIN, "Admin").send("back", chat=server.group(ECHO, "Echo wall"))
    await server.wait_for_message(ECHO, "Valve changed")
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(ECHO) if m.contains("Valve changed")]) == 1
