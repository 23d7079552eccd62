"""Residents end to end: registration, bad input, duplicates, cancelling, language."""

from __future__ import annotations

from tests.conftest import GROUP_A, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE, DAVE = 1001, 1004


async def test_report_before_registering_leads_through_registration(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    ask = await say_and_wait(server, alice, "/report", "Before your first report")
    assert [b.text for b in ask.buttons][:2] == ["1", "2"]
    ask = await press_and_wait(server, alice, ask, "2", "unit")

    # Bad answers are re-asked politely and change nothing.
    last = last_id(server, ALICE)
    alice.send_sticker()
    await server.wait_for_message(ALICE, "type your unit and room as text", after=last)
    await say_and_wait(server, alice, "x" * 31, "up to 30 characters")
    ask = await say_and_wait(server, alice, "5-502", "share your phone")
    assert ask.keyboard == ["📱 Share my phone", "Skip"]
    last = last_id(server, ALICE)
    alice.send_contact("+8613000000000", user_id=999)  # someone else's card
    await server.wait_for_message(ALICE, "share your own number", after=last)
    last = last_id(server, ALICE)
    alice.send_contact("+8613900000000")
    confirm = await server.wait_for_message(ALICE, "Is this right?", after=last)
    assert "5-502" in confirm.plain and "+8613900000000" in confirm.plain

    # Confirming registers and goes straight back to the report.
    last = last_id(server, ALICE)
    alice.press(confirm, "Confirm")
    done = await server.wait_for_message(ALICE, "You are registered", after=last)
    assert done.keyboard == ["📝 Report a repair", "🌟 Make a wish", "📋 My requests"]
    category = await server.wait_for_message(ALICE, "Choose a category", after=last)
    building = await press_and_wait(server, alice, category, "Lights", "Which building")
    assert building.buttons[0].text == "🏠 2 (mine)"

    profile = await say_and_wait(server, alice, "/profile", "Your registration")
    assert "5-502" in profile.plain and "+8613900000000" in profile.plain


async def test_bad_input_while_reporting_is_reasked_and_cancel_leaves_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    ask = await say_and_wait(server, alice, "/report", "Choose a category")

    # Buttons that are forged, out of range or not ours get a polite answer and change nothing.
    for forged in ("v1:cat:99", "hello", "v1:claim:12345", "v1:rate:1:9", "v9:cat:0"):
        answer = await server.wait_for_answer(alice.press_data(ask, forged))
        assert answer["text"] == "This button is no longer valid.", forged
    # Typing where a button is expected repeats the question.
    await say_and_wait(server, alice, "water please", "Choose a category")

    ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    # A button from an earlier step is stale now.
    stale = await server.wait_for_answer(alice.press_data(ask, "v1:cat:0"))
    assert stale["text"] == "This button is no longer valid."
    await press_and_wait(server, alice, ask, "1", "Describe the problem")
    # The menu buttons are never taken as an answer.
    await say_and_wait(server, alice, "📋 My requests", "You have no requests yet")
    await say_and_wait(server, alice, "📝 Report a repair", "let's continue")
    await server.wait_for_message(ALICE, "Describe the problem", after=last_id(server, ALICE) - 1)

    last = last_id(server, ALICE)
    alice.send_photo("early.jpg")
    await server.wait_for_message(ALICE, "Photos come next", after=last)
    await say_and_wait(server, alice, "abc", "(you sent 3)")
    await say_and_wait(server, alice, "y" * 1001, "(you sent 1001)")
    photos = await say_and_wait(server, alice, "Sink drain is blocked", "Send up to 3 photos")
    await say_and_wait(server, alice, "here it is", "Please send a photo")
    last = last_id(server, ALICE)
    alice.send_sticker()
    await server.wait_for_message(ALICE, "Please send a photo", after=last)

    # A command that starts another journey resumes this one instead of losing it.
    resumed = await say_and_wait(server, alice, "/report", "let's continue")
    assert resumed.message_id > photos.message_id

    await say_and_wait(server, alice, "/cancel", "Cancelled. Nothing was saved.")
    await say_and_wait(server, alice, "/cancel", "There is nothing to cancel.")
    await say_and_wait(server, alice, "/my", "You have no requests yet")
    await server.wait_idle(0.3)
    assert server.messages(GROUP_A) == []
    # Text outside any wizard gets directions.
    await say_and_wait(server, alice, "hello?", "Send /report")


async def test_duplicate_report_can_be_followed_instead(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    dave = server.user(DAVE, "Dave")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await register(server, dave, "1", "7-701")
    await file_report(server, alice, "Plumbing", "1", "Water pipe leaks in the lobby")
    card = await server.wait_for_message(GROUP_A, "R-0001")

    # Dave reports the same kind of problem in the same building: he is shown R-0001.
    ask = await say_and_wait(server, dave, "📝 Report a repair", "Choose a category")
    ask = await press_and_wait(server, dave, ask, "Plumbing", "Which building")
    await press_and_wait(server, dave, ask, "1", "Describe the problem")
    ask = await say_and_wait(server, dave, "Lobby floor is wet", "photos")
    offer = await press_and_wait(server, dave, ask, "Skip", "Is it the same problem?")
    assert "R-0001" in offer.plain and "Water pipe leaks in the lobby" in offer.plain
    await press_and_wait(server, dave, offer, "Same problem", "You now follow R-0001")

    # He is counted on the card, and no second request exists.
    await server.wait_for_edit(GROUP_A, card.message_id, "另有 1 位居民")
    await server.wait_idle(0.3)
    assert [m for m in server.messages(GROUP_A) if "R-0002" in (m.text or "")] == []
    mine = await say_and_wait(server, dave, "📋 My requests", "Your request:")
    assert "R-0001" in mine.plain and "(following)" in mine.plain
    assert [b.text for b in mine.buttons] == ["🔎 R-0001"]  # he cannot cancel Alice's

    # He gets the same updates as the reporter, but only the reporter rates.
    worker.press(card, "认领")
    await server.wait_for_message(DAVE, "was claimed by Wang A1")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    ask = await say_and_wait(server, worker, "Replaced the pipe", "photo of the result")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    follower_notice = await server.wait_for_message(DAVE, "which you follow, was resolved")
    assert follower_notice.buttons == []
    rate = await server.wait_for_message(ALICE, "Replaced the pipe")
    assert rate.buttons

    # "It's different" files a new request.
    ask = await say_and_wait(server, dave, "/report", "Choose a category")
    ask = await press_and_wait(server, dave, ask, "Plumbing", "Which building")
    await press_and_wait(server, dave, ask, "1", "Describe the problem")
    ask = await say_and_wait(server, dave, "Hot water tap broken in 7-701", "photos")
    summary = await press_and_wait(server, dave, ask, "Skip", "Please check your report")
    saved = await press_and_wait(server, dave, summary, "Confirm", "Saved as")
    assert "R-0002" in saved.plain  # R-0001 is resolved, no longer offered as a duplicate


async def test_resident_cancels_an_open_request(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    dave = server.user(DAVE, "Dave")
    await register(server, alice, "1", "2-301")
    await register(server, dave, "1", "7-701")
    await file_report(server, alice, "Lights", "1", "Stair light on floor 2 is out")
    card = await server.wait_for_message(GROUP_A, "R-0001")

    mine = await say_and_wait(server, alice, "/my", "Your request:")
    sure = await press_and_wait(server, alice, mine, "Cancel R-0001", "Workers will stop")
    # Someone else pressing a forged "yes" is refused, on her message or in his own chat.
    forged = await server.wait_for_answer(dave.press_data(sure, "v1:cxlok:1"))
    assert forged["text"] == "This button is no longer valid."
    forged = await server.wait_for_answer(dave.press_data(server.last_message(DAVE), "v1:cxlok:1"))
    assert forged["text"] == "Only the reporter can cancel R-0001."
    await press_and_wait(server, alice, sure, "Yes, cancel it", "R-0001</b> is cancelled")
    cancelled = await server.wait_for_edit(GROUP_A, card.message_id, "已取消")
    assert cancelled.buttons == []
    # A second "yes" changes nothing.
    again = await server.wait_for_answer(alice.press_data(sure, "v1:cxlok:1"))
    assert "can no longer be cancelled" in str(again["text"])


async def test_chinese_by_default_for_chinese_clients_and_language_switch(
    server: FakeBotApi, bot: RunningBot
) -> None:
    li = server.user(1010, "李奶奶", language_code="zh-hans")
    ask = await say_and_wait(server, li, "/start", "请选择您住的楼栋")
    assert "欢迎使用" in ask.plain
    choose = await say_and_wait(server, li, "/language", "Choose your language")
    await press_and_wait(server, li, choose, "English", "Language set to English")
    # The registration she had started carries on, now in English.
    await say_and_wait(server, li, "/start", "Which building do you live in?")
    await say_and_wait(server, li, "/help", "/report")


async def test_group_commands_point_to_the_private_chat(
    server: FakeBotApi, bot: RunningBot
) -> None:
    group = server.group(GROUP_A, "Grid A")
    alice = server.user(ALICE, "Alice")
    alice.send("/report", chat=group)
    reply = await server.wait_for_message(GROUP_A, "private chat")
    assert reply.text is not None
    # Ordinary group chatter is left alone.
    alice.send("good morning everyone", chat=group)
    await server.wait_idle(0.3)
    assert len(server.messages(GROUP_A)) == 1
