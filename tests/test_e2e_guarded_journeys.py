"""The guarantees of the repair journey, held by the newer ones too (wishes, volunteers, events):
staff and volunteers are greeted by role and their buttons act whatever wizard is half-filled;
a button acts only in its wizard, step and place; edits are not commands; an album is one
answer; updates from nobody or from pseudo-senders change nothing and report no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import ADMIN, ADMIN_CHAT, GROUP_A, RunningBot, community
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

WALL = -100333
CHANNEL = -100555
ALICE, BOB = 1001, 1002
HU, MA = 7001, 7002  # volunteers from the config file
STALE = "This button is no longer valid."
CHECKUP = {
    "id": "checkup",
    "name_zh": "量血压",
    "name_en": "Blood pressure check",
    "place": "Clinic",
    "rule": "monthly:16",
    "time": "09:00",
    "audience": "grid:A",
    "capacity": 5,
}


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
        events=[CHECKUP],
    )


def _after(server: FakeBotApi, chat: int, last: int) -> list[SentMessage]:
    return [m for m in server.messages(chat) if m.message_id > last]


def _no_error_report(server: FakeBotApi) -> None:
    reports = [m.plain for m in server.messages(ADMIN_CHAT) if "error" in m.plain.lower()]
    assert not reports, reports


async def _register_from_profile(server: FakeBotApi, user: FakeUser, building: str) -> None:
    """Staff and volunteers register as residents from /profile (Start does not ask)."""
    profile = await say_and_wait(server, user, "/profile", "not registered as a resident")
    ask = await press_and_wait(server, user, profile, "Register as a resident", "Which building")
    await press_and_wait(server, user, ask, building, "unit")
    await say_and_wait(server, user, "9-909", "share your phone")
    confirm = await say_and_wait(server, user, "Skip", "Is this right?")
    await press_and_wait(server, user, confirm, "Confirm", "You are registered")


async def _wish_to_photo(server: FakeBotApi, user: FakeUser, text: str) -> SentMessage:
    """/wish → Errand → text: the wizard asks for the optional photo."""
    ask = await say_and_wait(server, user, "/wish", "What kind of wish")
    ask = await press_and_wait(server, user, ask, "Errand", "Write your wish")
    return await say_and_wait(server, user, text, "You may send one photo")


async def _wish_to_summary(server: FakeBotApi, user: FakeUser, text: str) -> SentMessage:
    ask = await _wish_to_photo(server, user, text)
    return await press_and_wait(server, user, ask, "Skip", "Please check your wish")


async def _report_to_summary(server: FakeBotApi, user: FakeUser, text: str) -> SentMessage:
    ask = await say_and_wait(server, user, "/report", "Choose a category")
    ask = await press_and_wait(server, user, ask, "Plumbing", "Which building")
    await press_and_wait(server, user, ask, "1", "Describe the problem")
    ask = await say_and_wait(server, user, text, "photos")
    return await press_and_wait(server, user, ask, "Skip", "Please check your report")


async def _published_wish(
    server: FakeBotApi, alice: FakeUser, admin: FakeUser, text: str
) -> tuple[SentMessage, SentMessage]:
    """Alice's wish, published by the admin: (its admin card, its wall card)."""
    summary = await _wish_to_summary(server, alice, text)
    saved = await press_and_wait(server, alice, summary, "Confirm", "saved as")
    number = "W-" + saved.plain.split("W-")[1][:4]
    card = await server.wait_for_message(ADMIN_CHAT, number)
    admin.press(card, "发布")
    wall = await server.wait_for_message(WALL, number)
    return card, wall


# --- (1) staff and volunteers ---------------------------------------------------------


async def test_a_volunteer_or_admin_pressing_start_mid_wizard_is_greeted_then_asked_again(
    server: FakeBotApi, bot: RunningBot
) -> None:
    hu, admin = server.user(HU, "Hu"), server.user(ADMIN, "Director Zhou")
    await _register_from_profile(server, hu, "1")
    await _wish_to_photo(server, hu, "Someone to fix my door bell")

    last = last_id(server, HU)
    hu.send("/start")
    again = await server.wait_for_message(HU, "You may send one photo", after=last)
    await server.wait_idle(0.3)
    newer = _after(server, HU, last)
    assert newer[0].contains("You are a volunteer"), [m.plain for m in newer]
    assert again.message_id > newer[0].message_id
    assert not any(m.contains("Which building") for m in newer)
    # The wish goes on from its step.
    summary = await press_and_wait(server, hu, again, "Skip", "Please check your wish")
    await press_and_wait(server, hu, summary, "Confirm", "saved as")

    # An admin half-way through registering as a resident: greeted by role, then asked again.
    profile = await say_and_wait(server, admin, "/profile", "not registered as a resident")
    ask = await press_and_wait(server, admin, profile, "Register as a resident", "Which building")
    await press_and_wait(server, admin, ask, "2", "unit")
    last = last_id(server, ADMIN)
    admin.send("/start")
    resumed = await server.wait_for_message(ADMIN, "Now type your unit", after=last)
    newer = _after(server, ADMIN, last)
    assert newer[0].contains("You are an admin")
    assert resumed.message_id > newer[0].message_id
    _no_error_report(server)


async def test_a_volunteers_buttons_act_whatever_wizard_is_half_filled(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await _register_from_profile(server, hu, "2")
    _, wall = await _published_wish(server, alice, admin, "Carry my shopping upstairs")

    # Hu is half-way through a report of his own when he claims the wish on the wall.
    ask = await say_and_wait(server, hu, "/report", "Choose a category")
    ask = await press_and_wait(server, hu, ask, "Plumbing", "Which building")
    await press_and_wait(server, hu, ask, "2", "Describe the problem")
    claimed = await server.wait_for_answer(hu.press(wall, "认领"))
    assert str(claimed["text"]).startswith("You claimed W-0001")
    details = await server.wait_for_message(HU, "W-0001")
    await server.wait_for_edit(WALL, wall.message_id, "已于")

    # Fulfilled acts at once; the report is set aside and asked again afterwards.
    await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    photo = await say_and_wait(server, hu, "Carried four bags up", "photo")
    last = last_id(server, HU)
    hu.press(photo, "Skip")
    done = await server.wait_for_message(HU, "marked fulfilled", after=last)
    resumed = await server.wait_for_message(HU, "Describe the problem", after=last)
    assert resumed.message_id > done.message_id
    await server.wait_for_message(ALICE, "came true: Carried four bags up")

    # The report carries on from where it was.
    ask = await say_and_wait(server, hu, "Kitchen tap drips all night", "photos")
    summary = await press_and_wait(server, hu, ask, "Skip", "Please check your report")
    assert "Building: 2" in summary.plain and "Kitchen tap drips" in summary.plain
    await press_and_wait(server, hu, summary, "Confirm", "Saved as")

    # An admin's Reject while their own wish is half-filled: the reason is asked, then the wish.
    await _register_from_profile(server, admin, "1")
    await _wish_to_photo(server, admin, "A lift for my mother's wheelchair")
    summary = await _wish_to_summary(server, alice, "A new sofa for the living room")
    await press_and_wait(server, alice, summary, "Confirm", "saved as")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0002")
    last = last_id(server, ADMIN)
    admin.press(card, "不通过")
    await server.wait_for_message(ADMIN, "Why is W-0002 not published", after=last)
    last = last_id(server, ADMIN)
    admin.send("Too costly for a micro-wish")
    await server.wait_for_message(ADMIN, "rejected", after=last)
    await server.wait_for_message(ADMIN, "You may send one photo", after=last)
    await server.wait_for_message(ALICE, "was not published: Too costly")


# --- (2) buttons bound to their wizard, step and card ----------------------------------


async def test_leftover_wish_buttons_do_not_act_on_a_report_and_back(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    photo = await _wish_to_photo(server, alice, "Walk me to the clinic")
    skip = photo.button("Skip").callback_data
    wish_summary = await press_and_wait(server, alice, photo, "Skip", "Please check your wish")
    wish_data = [wish_summary.button(b).callback_data for b in ("Confirm", "Cancel")]
    await press_and_wait(server, alice, wish_summary, "Confirm", "saved as W-0001")

    report_summary = await _report_to_summary(server, alice, "Basement pipe leaks")
    for data in [skip, *wish_data]:
        assert data is not None
        for message in (photo, wish_summary):
            answer = await server.wait_for_answer(alice.press_data(message, data))
            assert answer["text"] == STALE, data
    await server.wait_idle(0.3)
    assert not server.messages(GROUP_A)
    assert len([m for m in server.messages(ADMIN_CHAT) if m.contains("W-0")]) == 1
    report_data = [report_summary.button(b).callback_data for b in ("Confirm", "Cancel")]
    await press_and_wait(server, alice, report_summary, "Confirm", "Saved as R-0001")

    # And the other way round: the report's leftover buttons on a wish at its summary.
    wish_summary = await _wish_to_summary(server, alice, "A reading lamp for grandpa")
    last = last_id(server, ALICE)
    for data in report_data:
        assert data is not None
        answer = await server.wait_for_answer(alice.press_data(report_summary, data))
        assert answer["text"] == STALE, data
    await server.wait_idle(0.3)
    assert _after(server, ALICE, last) == []
    assert len([m for m in server.messages(GROUP_A) if m.contains("R-0")]) == 1
    await press_and_wait(server, alice, wish_summary, "Confirm", "saved as W-0002")


async def test_forged_wizard_data_on_wish_cards_changes_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    card, wall = await _published_wish(server, alice, admin, "Fix the bell of my bicycle")
    await server.wait_idle(0.3)
    # Alice has a wish at its summary; the admin is asked for a rejection reason of another.
    summary = await _wish_to_summary(server, alice, "Teach me to use a smartphone")
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0002")
    second = await server.wait_for_message(ADMIN_CHAT, "W-0002")
    summary = await _wish_to_summary(server, alice, "Someone to read me the paper")
    hers = [summary.button(b).callback_data for b in ("Confirm", "Cancel")]
    last = last_id(server, ADMIN)
    admin.press(second, "不通过")
    await server.wait_for_message(ADMIN, "Why is W-0002 not published", after=last)

    edits = {m.message_id: m.edits for m in (card, wall, second)}
    forged = ["v1:abort:0", "v1:skip:0", "v1:ok:0:0", "v1:ok:0", *hers]
    for presser, message in ((admin, card), (admin, second), (alice, wall), (hu, wall)):
        for data in forged:
            assert data is not None
            answer = await server.wait_for_answer(presser.press_data(message, data))
            assert answer["text"] == STALE, (presser.id, message.chat_id, data)
    await server.wait_idle(0.3)
    for message in (card, wall, second):
        now = next(
            m for m in server.messages(message.chat_id) if m.message_id == message.message_id
        )
        assert now.edits == edits[message.message_id], now.plain
    assert [b.text for b in wall.buttons] == ["🙋 认领"]
    _no_error_report(server)
    # Both wizards are where they were.
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0003")
    last = last_id(server, ADMIN)
    admin.send("Not a wish for the wall")
    await server.wait_for_message(ADMIN, "rejected", after=last)


async def test_card_data_of_another_wish_on_a_card_changes_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    first, wall = await _published_wish(server, alice, admin, "Fix the bell of my bicycle")
    summary = await _wish_to_summary(server, alice, "Teach me to use a smartphone")
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0002")
    second = await server.wait_for_message(ADMIN_CHAT, "W-0002")
    publish_second = second.button("发布").callback_data
    assert publish_second is not None
    await server.wait_idle(0.3)
    before = first.edits

    # The second wish's Publish pressed on the first wish's card: nothing is published, and
    # the first card is not turned into a pointer to the second.
    answer = await server.wait_for_answer(admin.press_data(first, publish_second))
    assert answer["text"] == STALE
    await server.wait_idle(0.3)
    assert not [m for m in server.messages(WALL) if m.contains("W-0002")]
    assert first.edits == before and "W-0001" in first.plain
    assert second.buttons[0].text == "📢 发布"

    # The first wish's Claim carries its id; the second's forged on the wall card is refused.
    claim_other = wall.button("认领").callback_data
    assert claim_other is not None
    forged = claim_other.rsplit(":", 1)[0] + ":" + publish_second.rsplit(":", 1)[1]
    answer = await server.wait_for_answer(hu.press_data(wall, forged))
    assert answer["text"] == STALE
    await server.wait_idle(0.3)
    assert wall.edits == 0
    # The real buttons still act.
    await server.wait_for_answer(admin.press(second, "发布"))
    await server.wait_for_message(WALL, "W-0002")


# --- albums -------------------------------------------------------------------------------


async def test_an_album_at_the_wish_photo_step_is_one_answer(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await _wish_to_photo(server, alice, "A school bag for my grandson")
    last = last_id(server, ALICE)
    alice.send_album(10)
    summary = await server.wait_for_message(ALICE, "Please check your wish", after=last)
    await server.wait_idle(0.5)
    assert [m.message_id for m in _after(server, ALICE, last)] == [summary.message_id]
    assert "Photo: yes" in summary.plain
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0001")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    assert card.photo is not None


async def test_an_album_at_the_fulfilled_photo_step_fulfils_once(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await _register_from_profile(server, hu, "2")
    _, wall = await _published_wish(server, alice, admin, "Pick up my medicine")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    # Hu's own wish waits at its photo step, set aside by Fulfilled.
    await _wish_to_photo(server, hu, "A bookshelf for the reading room")
    await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    await say_and_wait(server, hu, "Brought it at noon", "Send a photo of the result")
    last = last_id(server, HU)
    hu.send_album(10)
    done = await server.wait_for_message(HU, "marked fulfilled", after=last)
    await server.wait_idle(0.5)
    newer = _after(server, HU, last)
    texts = [m.plain for m in newer]
    assert len(newer) == 3 and newer[0] is done, texts  # done, "let's continue", the question
    assert newer[2].contains("You may send one photo")
    assert not any(m.contains("Please check your wish") for m in newer)  # not its answer
    came = [m for m in server.messages(ALICE) if m.contains("came true")]
    assert len(came) == 1 and came[0].photo is not None
    # Hu's wish still takes its own photo.
    last = last_id(server, HU)
    hu.send_photo()
    await server.wait_for_message(HU, "Please check your wish", after=last)


# --- edits are not commands ---------------------------------------------------------------


async def test_edited_messages_are_never_taken_as_new_commands(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    await say_and_wait(server, admin, "/start", "You are an admin")
    old = alice.send("hello")
    await server.wait_for_message(ALICE, "Send /report")
    old_hu = hu.send("hi")
    await server.wait_for_message(HU, "/report")
    old_admin = admin.send("hi")
    await server.wait_for_message(ADMIN, "/report")
    summary = await _wish_to_summary(server, alice, "Someone to walk my dog")
    before = {chat: last_id(server, chat) for chat in (ALICE, HU, ADMIN, ADMIN_CHAT)}
    for text in ("/wish", "/events", "/cancel", "/points", "/volunteer", "/mywishes", "/queue"):
        alice.edit(old, text)
    for text in ("/points", "/mywishes", "/events", "/start"):
        hu.edit(old_hu, text)
    for text in (f"/award {HU} 5 Clean-up", f"/redeem {HU} 1 Soap", "/event_cancel checkup"):
        admin.edit(old_admin, text)
    await server.wait_idle(0.5)
    assert {chat: last_id(server, chat) for chat in before} == before  # no answer at all
    book = await say_and_wait(server, hu, "/points", "passbook")
    assert "<b>0</b>" in (book.text or "")
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0001")


# --- (5) nobody, channels, pseudo-senders and bots -----------------------------------------


async def test_new_commands_from_nobody_or_pseudo_senders_change_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin = server.user(ALICE, "Alice"), server.user(ADMIN, "Admin")
    await register(server, alice, "1", "2-301")
    summary = await _wish_to_summary(server, alice, "Help me plant the balcony")
    await press_and_wait(server, alice, summary, "Confirm", "saved as W-0001")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    await server.wait_idle(0.3)
    before_admin_chat = last_id(server, ADMIN_CHAT)

    admins = server.group(ADMIN_CHAT, "Admins")
    wall_group = server.group(WALL, "Wish wall")
    anonymous = server.anonymous_admin(admins)
    service = server.user(777000, "Telegram")
    other_bot = server.user(5550001, "Other Bot", is_bot=True)
    commands = ["/wish", "/events", "/points", "/volunteer", "/mywishes", f"/award {HU} 5 x"]
    for text in commands:
        server.channel_post(CHANNEL, text)
        server.message_without_sender(admins, text)
        anonymous.send(text, chat=admins)
        service.send(text)
        other_bot.send(text)
        other_bot.send(text, chat=wall_group)
    # Publish pressed by the anonymous admin (and by a bot) is refused politely.
    refused = await server.wait_for_answer(anonymous.press(card, "发布"))
    assert "your own account" in str(refused["text"]) and refused["show_alert"]
    refused = await server.wait_for_answer(other_bot.press(card, "发布"))
    assert "your own account" in str(refused["text"])
    await server.wait_idle(0.5)
    for chat in (CHANNEL, 777000, 5550001, WALL):
        assert not server.messages(chat), chat
    assert last_id(server, ADMIN_CHAT) == before_admin_chat  # no error report, no reply
    assert card.edits == 0 and card.buttons[0].text == "📢 发布"

    # The wish is published by a real admin, and then a bot's Claim on the wall is refused too.
    wall_card_id = last_id(server, WALL)
    await server.wait_for_answer(admin.press(card, "发布"))
    wall = await server.wait_for_message(WALL, "W-0001", after=wall_card_id)
    refused = await server.wait_for_answer(other_bot.press(wall, "认领"))
    assert "your own account" in str(refused["text"])
    refused = await server.wait_for_answer(service.press(wall, "认领"))
    assert "your own account" in str(refused["text"])
    await server.wait_idle(0.3)
    assert wall.edits == 0
    _no_error_report(server)
    book = await say_and_wait(server, server.user(HU, "Hu"), "/points", "passbook")
    assert "<b>0</b>" in (book.text or "")


# --- events -------------------------------------------------------------------------------


async def test_event_buttons_outside_the_audience_or_with_forged_days_change_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    stranger = server.user(1099, "Stranger")
    await register(server, alice, "1", "2-301")  # grid A: the check-up is for her
    await register(server, bob, "3", "1-101")  # grid B: it is not for him
    listed = await say_and_wait(server, alice, "/events", "Blood pressure check")
    assert "5 left of 5" in listed.plain
    join = listed.button("I'll come").callback_data
    assert join is not None
    _, verb, series, day = join.split(":")
    nothing = await say_and_wait(server, bob, "/events", "")
    assert "Blood pressure" not in nothing.plain
    hello = await say_and_wait(server, stranger, "/help", "/report")

    # Someone outside the audience presses the data of "I'll come": refused, no place taken.
    for person, message in ((bob, nothing), (stranger, hello)):
        answer = await server.wait_for_answer(person.press_data(message, join))
        assert answer["text"] == STALE, person.id
    # Forged days: not a date, in the past, not a day it happens, years ahead; forged series.
    year, month = int(day[:4]), int(day[4:6])
    forged_days = ["20261399", "20200116", f"{year}{month:02}17", f"{year + 3}{month:02}16"]
    for forged in [*forged_days, "0", "99999999"]:
        data = f"v1:{verb}:{series}:{forged}"
        answer = await server.wait_for_answer(alice.press_data(listed, data))
        assert answer["text"] == STALE, data
    answer = await server.wait_for_answer(alice.press_data(listed, f"v1:{verb}:999:{day}"))
    assert answer["text"] == STALE
    await server.wait_idle(0.3)
    again = await say_and_wait(server, alice, "/events", "Blood pressure check")
    assert "5 left of 5" in again.plain and "You are signed up" not in again.plain
    # The real press still signs her up.
    answer = await server.wait_for_answer(alice.press(again, "I'll come"))
    assert answer["text"] == "You are signed up!"
    await server.wait_for_edit(ALICE, again.message_id, "4 left of 5")
    _no_error_report(server)


async def test_a_worker_claim_from_a_report_card_still_acts_mid_wish(
    server: FakeBotApi, bot: RunningBot
) -> None:
    """A grid worker's card buttons act while a wish of his own is half-filled."""
    alice, worker = server.user(ALICE, "Alice"), server.user(201, "Wang A1")
    await register(server, alice, "1", "2-301")
    await _register_from_profile(server, worker, "1")
    await _wish_to_photo(server, worker, "A bench by the entrance")
    await file_report(server, alice, "Plumbing", "1", "Sink is blocked")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    answer = await server.wait_for_answer(worker.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    details = await server.wait_for_message(201, "R-0001")
    await press_and_wait(server, worker, details, "Resolved", "What was done for R-0001")
    photo = await say_and_wait(server, worker, "Cleared the drain", "photo of the result")
    last = last_id(server, 201)
    worker.press(photo, "Skip")
    await server.wait_for_message(201, "marked resolved", after=last)
    again = await server.wait_for_message(201, "You may send one photo", after=last)
    await press_and_wait(server, worker, again, "Skip", "Please check your wish")


async def test_a_residents_wish_buttons_act_while_a_report_is_half_filled(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    _, wall = await _published_wish(server, alice, admin, "Change the bulb in my hall")
    await server.wait_for_answer(hu.press(wall, "认领"))
    details = await server.wait_for_message(HU, "W-0001")
    await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    ask = await say_and_wait(server, hu, "New bulb is in", "photo")
    await press_and_wait(server, hu, ask, "Skip", "marked fulfilled")
    came = await server.wait_for_message(ALICE, "came true: New bulb is in")

    # Alice is half-way through a report when she thanks the volunteer.
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    ask = await press_and_wait(server, alice, ask, "Lights", "Which building")
    await press_and_wait(server, alice, ask, "1", "Describe the problem")
    await press_and_wait(server, alice, came, "say thanks", "tell the volunteer")
    last = last_id(server, ALICE)
    alice.send("Thank you, Hu!")
    closed = await server.wait_for_message(ALICE, "W-0001 is closed", after=last)
    resumed = await server.wait_for_message(ALICE, "Describe the problem", after=last)
    assert resumed.message_id > closed.message_id
    await server.wait_for_message(HU, "says: Thank you, Hu!")
    # Her thanks were not taken as the description: the report asks for it still.
    ask = await say_and_wait(server, alice, "Stair light flickers", "photos")
    summary = await press_and_wait(server, alice, ask, "Skip", "Please check your report")
    assert "Stair light flickers" in summary.plain and "Thank you" not in summary.plain


async def test_award_with_odd_digits_gets_its_usage_not_an_error(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin, hu = server.user(ADMIN, "Admin"), server.user(HU, "Hu")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    for text in ("/award ² 5 Help", f"/award {HU} ² Help", f"/redeem {HU} ١٢ Soap"):
        reply = await say_and_wait(server, admin, text, "Usage:")
        assert "went wrong" not in reply.plain
    await server.wait_idle(0.3)
    assert not server.messages(ADMIN_CHAT)  # no error report
    book = await say_and_wait(server, hu, "/points", "passbook")
    assert "<b>0</b>" in (book.text or "")


async def test_every_button_with_forged_numbers_is_answered_without_an_error(
    server: FakeBotApi, bot: RunningBot
) -> None:
    from bot.callbacks import TWO_ARGS, Verb

    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await register(server, alice, "1", "2-301")
    await _register_from_profile(server, hu, "2")
    card, wall = await _published_wish(server, alice, admin, "Mend the fence by the garden")
    await _wish_to_photo(server, alice, "A chess partner on Sundays")
    mine = server.last_message(ALICE)
    await server.wait_idle(0.3)
    edits = {(m.chat_id, m.message_id): m.edits for m in (card, wall)}
    for verb in Verb:
        for number in (0, 999_999_999_999):
            data = f"v1:{verb.value}:{number}"
            if verb in TWO_ARGS:
                data += f":{number}"
            places = ((alice, mine), (admin, card), (hu, wall), (alice, wall))
            for query in [presser.press_data(message, data) for presser, message in places]:
                await server.wait_for_answer(query)
    await server.wait_idle(0.5)
    _no_error_report(server)
    assert not [m for m in server.messages(ALICE) if m.contains("went wrong")]
    for m in (card, wall):
        assert m.edits == edits[(m.chat_id, m.message_id)], m.plain
    # Alice's wish still waits at its photo step.
    last = last_id(server, ALICE)
    alice.send_photo()
    await server.wait_for_message(ALICE, "Please check your wish", after=last)


async def test_an_applications_decision_acts_only_on_its_own_card(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Admin")
    carol, dan = server.user(2001, "Carol"), server.user(2002, "Dan")
    for person in (carol, dan):
        ask = await say_and_wait(server, person, "/volunteer", "Which of these are you")
        await press_and_wait(server, person, ask, "Student", "an admin has decided")
    carols = await server.wait_for_message(ADMIN_CHAT, "Carol")
    dans = await server.wait_for_message(ADMIN_CHAT, "Dan")
    dans_yes = dans.button("✅").callback_data
    assert dans_yes is not None

    # Dan's Approve forged onto Carol's card decides nobody, and Carol's card keeps its buttons.
    answer = await server.wait_for_answer(admin.press_data(carols, dans_yes))
    assert answer["text"] == STALE
    await server.wait_idle(0.3)
    assert carols.buttons and dans.buttons
    assert not server.messages(2002) or all(
        "volunteer now" not in m.plain for m in server.messages(2002)
    )
    await say_and_wait(server, dan, "/volunteer", "waiting for an admin")

    # Each card's own button decides its own applicant.
    await server.wait_for_answer(admin.press(dans, "✅"))
    await server.wait_for_message(2002, "You are a volunteer now")
    await say_and_wait(server, carol, "/volunteer", "waiting for an admin")
