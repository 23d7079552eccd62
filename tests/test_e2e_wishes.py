"""Micro-wishes end to end, as the README tells each person: a resident's wish, the admins'
curation, the wish wall, volunteers racing to claim, fulfilment, confirmation and points."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from storage import clock
from storage.clock import Clock, ManualClock
from tests.conftest import ADMIN, ADMIN_CHAT, RunningBot, community, community_data
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import last_id, press_and_wait, register, say_and_wait

WALL = -100333
ALICE, BOB, CAROL = 1001, 1002, 1003
HU, MA = 7001, 7002  # volunteers from the config file


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        wishes={"wall_chat_id": WALL},
        volunteers=[
            {"id": HU, "name": "Hu", "affiliation": "party_member"},
            {"id": MA, "name": "Ma", "affiliation": "student"},
        ],
    )


async def make_wish(server: FakeBotApi, user: FakeUser, kind: str, text: str) -> SentMessage:
    """The menu button → kind → text → Skip the photo → Confirm; returns "saved as"."""
    ask = await say_and_wait(server, user, "🌟 Make a wish", "What kind of wish")
    ask = await press_and_wait(server, user, ask, kind, "Write your wish")
    ask = await say_and_wait(server, user, text, "photo")
    ask = await press_and_wait(server, user, ask, "Skip", "Please check your wish")
    return await press_and_wait(server, user, ask, "Confirm", "saved as")


async def publish(server: FakeBotApi, admin: FakeUser, number: str) -> SentMessage:
    """The admin presses Publish on the wish's card; returns its card on the wall."""
    card = await server.wait_for_message(ADMIN_CHAT, number)
    admin.press(card, "发布")
    return await server.wait_for_message(WALL, number)


async def test_a_wish_from_filing_to_points(
    server: FakeBotApi, bot: RunningBot, settings: Settings
) -> None:
    alice, bob = server.user(ALICE, "Alice Wang"), server.user(BOB, "Bob")
    admin = server.user(ADMIN, "Admin")
    hu, ma = server.user(HU, "Hu"), server.user(MA, "Ma")
    await register(server, alice, "1", "2-301", phone="13800000001")
    await register(server, bob, "3", "1-101")
    await say_and_wait(server, admin, "/start", "You are an admin")
    for volunteer in (hu, ma):  # volunteers press Start once, as the README says
        await say_and_wait(server, volunteer, "/start", "You are a volunteer")
    saved = await make_wish(
        server, alice, "Companionship", "Someone to walk me to the clinic, call 13800000001"
    )
    assert "W-0001" in saved.plain

    # The admins see it first, with their buttons; the phone is hidden.
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    assert [b.text for b in card.buttons] == ["📢 发布", "✏️ 修改公开内容", "✖️ 不通过"]
    assert "13800000001" not in card.plain and "walk me to the clinic" in card.plain
    # A resident cannot publish, even with the button's data.
    refused = await server.wait_for_answer(bob.press(card, "发布"))
    assert refused["text"] == "Only admins can do this."

    # The admin rewrites what the wall will show, answering in private.
    last = last_id(server, ADMIN)
    answer = await server.wait_for_answer(admin.press(card, "修改公开内容"))
    assert "private chat" in str(answer["text"])
    await server.wait_for_message(ADMIN, "what the wish wall shows for W-0001", after=last)
    await say_and_wait(server, admin, "A walk to the clinic on Friday", "public text of W-0001")
    await server.wait_for_edit(ADMIN_CHAT, card.message_id, "A walk to the clinic on Friday")

    wall = await publish(server, admin, "W-0001")
    assert "A walk to the clinic on Friday" in wall.plain and "Alice" not in wall.plain
    assert [b.text for b in wall.buttons] == ["🙋 认领"]
    await server.wait_for_message(ALICE, "is on the wish wall")

    # Only volunteers claim; of two pressing at once, one wins.
    refused = await server.wait_for_answer(bob.press(wall, "认领"))
    assert refused["text"].startswith("Only registered volunteers can take a wish")
    answers = await asyncio.gather(
        server.wait_for_answer(hu.press(wall, "认领")),
        server.wait_for_answer(ma.press(wall, "认领")),
    )
    texts = sorted(str(a["text"]) for a in answers)
    assert texts[0].startswith("Already claimed by") and texts[1].startswith("You claimed W-0001")
    winner = hu if "Hu" in texts[0] else ma
    details = await server.wait_for_message(winner.id, "W-0001")
    assert "13800000001" in details.plain and "2-301" in details.plain
    assert [b.text for b in details.buttons] == ["🎁 Fulfilled", "↩️ Give back"]
    await server.wait_for_edit(WALL, wall.message_id, "已于")
    await server.wait_for_message(ALICE, "took your wish")

    # Fulfilled, with a note; the resident is asked to confirm.
    ask = await press_and_wait(server, winner, details, "Fulfilled", "How did W-0001 come true")
    ask = await say_and_wait(server, winner, "We went on Friday at nine", "photo")
    await press_and_wait(server, winner, ask, "Skip", "marked fulfilled")
    came = await server.wait_for_message(ALICE, "came true: We went on Friday at nine")
    assert [b.text for b in came.buttons] == ["✅ It came true", "💌 Confirm and say thanks"]

    # The bot restarts between the fulfilment and the confirmation: nothing is lost or doubled.
    await bot.restart()
    ask = await press_and_wait(server, alice, came, "say thanks", "tell the volunteer")
    await say_and_wait(server, alice, "Thank you so much!", "W-0001 is closed")
    await server.wait_for_message(winner.id, "says: Thank you so much!")
    await server.wait_for_edit(WALL, wall.message_id, "心愿已实现")
    passbook = await say_and_wait(server, winner, "/points", "passbook")
    assert "10 points" in passbook.plain and "+10 for wish W-0001" in passbook.plain
    # A second confirmation changes nothing; the points were credited once.
    again = await server.wait_for_answer(alice.press_data(came, f"v1:wok:{1}"))
    assert "cannot be confirmed" in str(again["text"])
    passbook = await say_and_wait(server, winner, "/points", "passbook")
    assert passbook.plain.count("+10") == 1 and "<b>10</b>" in (passbook.text or "")
    mine = await say_and_wait(server, alice, "/my", "W-0001")
    assert "closed" in mine.plain


async def test_a_rejected_wish_tells_the_resident_why(server: FakeBotApi, bot: RunningBot) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, admin, "/start", "You are an admin")
    await make_wish(server, alice, "An item", "A new television for the living room")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    last = last_id(server, ADMIN)
    admin.press(card, "不通过")
    await server.wait_for_message(ADMIN, "Why is W-0001 not published", after=last)
    await say_and_wait(server, admin, "Too costly for a micro-wish", "rejected")
    await server.wait_for_message(ALICE, "was not published: Too costly for a micro-wish")
    rejected = await server.wait_for_edit(ADMIN_CHAT, card.message_id, "未通过")
    assert rejected.buttons == []


async def test_a_given_back_wish_returns_to_the_wall(server: FakeBotApi, bot: RunningBot) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    hu, ma = server.user(HU, "Hu"), server.user(MA, "Ma")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    await make_wish(server, alice, "Errand", "Pick up my medicine at the pharmacy")
    wall = await publish(server, admin, "W-0001")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    await press_and_wait(server, hu, details, "Give back", "back on the wish wall")
    reopened = await server.wait_for_edit(WALL, wall.message_id, "等待志愿者")
    assert [b.text for b in reopened.buttons] == ["🙋 认领"]
    answer = await server.wait_for_answer(ma.press(reopened, "认领"))
    assert str(answer["text"]).startswith("You claimed W-0001")


async def test_a_volunteer_applies_is_approved_and_claims(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    carol, bob = server.user(CAROL, "Carol"), server.user(BOB, "Bob")
    await register(server, alice, "1", "2-301")
    await make_wish(server, alice, "Learning", "Help my grandson with maths homework")
    wall = await publish(server, admin, "W-0001")
    refused = await server.wait_for_answer(carol.press(wall, "认领"))
    assert "/volunteer" in str(refused["text"])

    ask = await say_and_wait(server, carol, "/volunteer", "Which of these are you")
    await press_and_wait(server, carol, ask, "Student", "an admin has decided")
    await say_and_wait(server, carol, "/volunteer", "waiting for an admin")
    application = await server.wait_for_message(ADMIN_CHAT, "Carol")
    assert "学生" in application.plain
    not_admin = await server.wait_for_answer(bob.press(application, "通过"))
    assert not_admin["text"] == "Only admins can do this."
    await server.wait_for_answer(admin.press(application, "✅"))
    await server.wait_for_message(CAROL, "You are a volunteer now")
    answer = await server.wait_for_answer(carol.press(wall, "认领"))
    assert str(answer["text"]).startswith("You claimed W-0001")
    taken = await say_and_wait(server, carol, "/mywishes", "The wish you took")
    assert "W-0001" in taken.plain


async def test_admins_award_and_redeem_points(server: FakeBotApi, bot: RunningBot) -> None:
    admin, hu, bob = server.user(ADMIN, "Admin"), server.user(HU, "Hu"), server.user(BOB, "Bob")
    await say_and_wait(
        server, hu, "/start", "You are a volunteer"
    )  # Hu has opened the private chat
    await say_and_wait(server, admin, f"/award {HU} 5 Sunday clean-up", "Recorded (5 points)")
    await server.wait_for_message(HU, "You got 5 points: Sunday clean-up. Balance: 5.")
    await say_and_wait(server, admin, f"/redeem {HU} 20 A bag of rice", "Not enough points")
    await say_and_wait(server, admin, f"/redeem {HU} 3 Soap", "Recorded (3 points)")
    await say_and_wait(server, admin, "/award 12 x", "Usage: /award")
    await say_and_wait(server, admin, f"/award {BOB} 5 Help", "is not a volunteer")
    await say_and_wait(server, bob, f"/award {HU} 500 Nothing", "Only admins can do this.")
    book = await say_and_wait(server, hu, "/points", "passbook")
    assert "<b>2</b>" in (book.text or "")
    assert "−3 redeemed: Soap" in book.plain and "+5 Sunday clean-up" in book.plain


async def test_an_unconfirmed_wish_closes_by_itself_and_credits_once(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    await make_wish(server, alice, "Other", "Fix the bell of my bicycle")
    wall = await publish(server, admin, "W-0001")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    ask = await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    ask = await say_and_wait(server, hu, "The bell rings again", "photo")
    await press_and_wait(server, hu, ask, "Skip", "marked fulfilled")
    reminders = bot.services.reminders
    assert (await reminders.tick()).closed == 0  # not yet due
    clock.use(ManualClock(datetime.now(UTC) + timedelta(days=7, minutes=1)))
    try:
        assert (await reminders.tick()).closed == 1
        assert (await reminders.tick()).closed == 0
        bot.services.kick()
        await server.wait_for_message(ALICE, "W-0001</b> is closed")
        await server.wait_for_edit(WALL, wall.message_id, "心愿已实现")
        book = await say_and_wait(server, hu, "/points", "passbook")
        assert "+5 for wish W-0001" in book.plain and book.plain.count("+5") == 1
    finally:
        clock.use(Clock())


async def test_without_an_admin_chat_a_wish_is_not_taken(
    server: FakeBotApi, tmp_path: Path
) -> None:
    data = community_data(tmp_path / "bot.sqlite3", server.base_url, admin_chat_id=None)
    data["grids"] = [g for g in data["grids"] if g["id"] != "D"]  # D would reach nobody
    running = RunningBot(Settings(**data))
    await running.start()
    try:
        alice = server.user(ALICE, "Alice")
        await register(server, alice, "1", "2-301")
        await say_and_wait(server, alice, "/wish", "Micro-wishes are not set up here yet")
    finally:
        await running.stop()


async def test_an_admin_closes_a_fulfilled_wish_and_a_declined_volunteer_cannot_claim(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    hu, carol = server.user(HU, "Hu"), server.user(CAROL, "Carol")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    ask = await say_and_wait(server, carol, "/volunteer", "Which of these are you")
    await press_and_wait(server, carol, ask, "Other", "an admin has decided")
    application = await server.wait_for_message(ADMIN_CHAT, "Carol")
    await server.wait_for_answer(admin.press(application, "✖️"))
    await server.wait_for_message(CAROL, "was not approved")
    again = await server.wait_for_answer(admin.press_data(application, f"v1:vyes:{CAROL}"))
    assert again["text"] == "This button is no longer valid."  # decided already

    await make_wish(server, alice, "Errand", "Carry my shopping up to the fifth floor")
    wall = await publish(server, admin, "W-0001")
    refused = await server.wait_for_answer(carol.press(wall, "认领"))
    assert "/volunteer" in str(refused["text"])
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    ask = await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    ask = await say_and_wait(server, hu, "Done on Tuesday", "photo")
    await press_and_wait(server, hu, ask, "Skip", "marked fulfilled")
    card = await server.wait_for_edit(ADMIN_CHAT, _admin_card(server).message_id, "待居民确认")
    assert [b.text for b in card.buttons] == ["🏁 办结"]
    stranger = await server.wait_for_answer(hu.press(card, "办结"))
    assert stranger["text"] == "Only admins can do this."
    await server.wait_for_answer(admin.press(card, "办结"))
    await server.wait_for_message(ALICE, "W-0001</b> is closed")
    book = await say_and_wait(server, hu, "/points", "passbook")
    assert book.plain.count("+5 for wish W-0001") == 1


def _admin_card(server: FakeBotApi) -> SentMessage:
    return next(m for m in server.messages(ADMIN_CHAT) if "W-0001" in m.plain)
