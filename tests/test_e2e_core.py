"""The core loop end to end: the real bot, over HTTP, against the fake Bot API server."""

from __future__ import annotations

from tests.conftest import (
    ADMIN_CHAT,
    GROUP_A,
    GROUP_B,
    LONE_WORKER,
    WORKER_A1,
    WORKER_A2,
    WORKER_B,
    RunningBot,
)
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE, BOB, CAROL = 1001, 1002, 1003


async def _people(server: FakeBotApi) -> tuple[FakeUser, FakeUser, FakeUser, FakeUser, FakeUser]:
    alice = server.user(ALICE, "Alice")
    bob = server.user(BOB, "Bob")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    b1 = server.user(WORKER_B, "Zhao B")
    await register(server, alice, "1", "2-301", "+8613800000001")
    await register(server, bob, "3", "1-101")
    for worker in (a1, a2, b1):
        await say_and_wait(server, worker, "/start", "You are a grid worker")
    return alice, bob, a1, a2, b1


async def _claim(server: FakeBotApi, worker: FakeUser, card: SentMessage) -> dict[str, object]:
    query = worker.press(card, "认领")
    return await server.wait_for_answer(query)


async def test_report_claim_resolve_rate(server: FakeBotApi, bot: RunningBot) -> None:
    alice, bob, a1, a2, b1 = await _people(server)

    saved = await file_report(server, alice, "Plumbing", "1", "Kitchen pipe burst", ["pipe.jpg"])
    assert "R-0001" in saved.plain and "claim it by" in saved.plain

    # The card reaches grid A's group only, with the photo and never the phone or unit.
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert card.photo == "pipe.jpg"
    assert "Kitchen pipe burst" in card.plain and "楼栋:1" in card.plain
    assert "2-301" not in card.plain and "8613800000001" not in card.plain
    assert not server.messages(GROUP_B)

    # Bob's own report goes to grid B, not A.
    await file_report(server, bob, "Lights", "3", "Stairway light is out")
    await server.wait_for_message(GROUP_B, "R-0002")

    # A worker of grid B, and a resident, are refused; nothing changes.
    refused = await _claim(server, b1, card)
    assert "Only workers of grid" in str(refused["text"]) and refused["show_alert"]
    refused = await _claim(server, bob, card)
    assert "Only workers of grid" in str(refused["text"])
    assert server.messages(GROUP_A)[0].buttons[0].text == "🙋 认领"

    # Two workers of grid A press Claim at the same moment: exactly one wins.
    q1, q2 = a1.press(card, "认领"), a2.press(card, "认领")
    answers = [await server.wait_for_answer(q) for q in (q1, q2)]
    texts = [str(a["text"]) for a in answers]
    winners = [t for t in texts if t.startswith("You claimed R-0001")]
    assert len(winners) == 1, texts
    loser_text = next(t for t in texts if t not in winners)
    winner, loser = (a1, a2) if texts[0] in winners else (a2, a1)
    assert loser_text == f"Already claimed by {winner.first_name}."

    # The card is edited in place; a later press hears who has it.
    edited = await server.wait_for_edit(GROUP_A, card.message_id, f"{winner.first_name} 已于")
    assert edited.buttons == []
    # (a client that has not refreshed the card still shows the old button)
    again = await server.wait_for_answer(loser.press_data(card, "v1:claim:1"))
    assert again["text"] == f"Already claimed by {winner.first_name}."

    # The winner gets the full details in private; the loser gets nothing.
    details = await server.wait_for_message(winner.id, "R-0001")
    assert "2-301" in details.plain and "+8613800000001" in details.plain
    assert [b.text for b in details.buttons] == [
        "✅ Resolved",
        "📝 Add note",
        "↩️ Hand back",
        "❓ Ask the resident",
        "🔀 Transfer",
    ]
    assert not any("R-0001" in (m.text or "") for m in server.messages(loser.id))
    notice = await server.wait_for_message(ALICE, "was claimed by")
    assert winner.first_name in notice.plain

    # A note reaches the resident.
    ask = await press_and_wait(server, winner, details, "Add note", "Type the note")
    await say_and_wait(server, winner, "Parts ordered, back tomorrow", "Note saved")
    assert ask.contains("R-0001")
    await server.wait_for_message(ALICE, "Parts ordered")

    # Resolve: note, skip the photo; the resident is asked to rate.
    await press_and_wait(server, winner, details, "Resolved", "What was done")
    ask = await say_and_wait(server, winner, "Replaced the valve", "photo of the result")
    await press_and_wait(server, winner, ask, "Skip", "marked resolved")
    rate = await server.wait_for_message(ALICE, "Replaced the valve")
    await server.wait_for_edit(GROUP_A, card.message_id, "等待居民评价")

    # Only the reporter can rate: not from her chat, nor with the same data in his own.
    forged = await server.wait_for_answer(bob.press(rate, "⭐⭐⭐⭐⭐"))
    assert forged["text"] == "This button is no longer valid."
    own = server.last_message(BOB)
    forged = await server.wait_for_answer(bob.press_data(own, "v1:rate:1:5"))
    assert "Only the resident who reported" in str(forged["text"])

    await press_and_wait(server, alice, rate, "⭐⭐⭐⭐⭐", "closed with 5★")
    await server.wait_for_edit(GROUP_A, card.message_id, "5★")
    await server.wait_for_message(winner.id, "rated <b>R-0001</b> 5★")

    # A second press of the same rating changes nothing.
    assert rate.buttons == []  # the buttons were taken off after rating
    late = await server.wait_for_answer(alice.press_data(rate, "v1:rate:1:3"))
    assert "cannot be rated" in str(late["text"])

    # /my shows the request and its whole timeline.
    mine = await say_and_wait(server, alice, "/my", "Your request:")
    assert "R-0001" in mine.plain and "closed" in mine.plain
    assert [b.text for b in mine.buttons] == ["🔎 R-0001"]  # closed: no cancel button
    timeline = await press_and_wait(server, alice, mine, "R-0001", "Status: closed")
    for line in ("filed", f"claimed by {winner.first_name}", "note from", "resolved by", "5★"):
        assert line in timeline.plain, line


async def test_not_fixed_reopens_and_can_be_claimed_again(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, _bob, a1, a2, _b1 = await _people(server)
    await file_report(server, alice, "Plumbing", "2", "Toilet leaks again")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert (await _claim(server, a1, card))[
        "text"
    ] == "You claimed R-0001; details are in your private chat."
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, a1, details, "Resolved", "What was done")
    ask = await say_and_wait(server, a1, "Tightened it", "photo of the result")
    last = last_id(server, WORKER_A1)
    a1.send_photo("after.jpg")
    await server.wait_for_message(WORKER_A1, "marked resolved", after=last)
    rate = await server.wait_for_message(ALICE, "Tightened it")
    assert rate.photo == "after.jpg"
    assert ask.buttons  # the Skip button was offered

    await press_and_wait(server, alice, rate, "Not fixed", "reopened")
    await server.wait_for_message(GROUP_A, "居民反馈未修好")
    reopened = await server.wait_for_edit(GROUP_A, card.message_id, "重新打开")
    assert reopened.buttons[0].text == "🙋 认领"
    await server.wait_for_message(WORKER_A1, "says it is not fixed")

    # The old worker's Resolved button no longer applies; anyone in the grid may claim.
    stale = await server.wait_for_answer(a1.press(details, "Resolved"))
    assert "no longer applies" in str(stale["text"]) or "Only the worker" in str(stale["text"])
    assert str((await _claim(server, a2, reopened))["text"]).startswith("You claimed R-0001")
    await server.wait_for_edit(GROUP_A, card.message_id, "Li A2 已于")


async def test_restart_between_claim_and_resolve(server: FakeBotApi, bot: RunningBot) -> None:
    alice, _bob, a1, _a2, _b1 = await _people(server)
    await file_report(server, alice, "Plumbing", "1", "No water on floor 3")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await _claim(server, a1, card)
    details = await server.wait_for_message(WORKER_A1, "R-0001")

    await bot.restart()

    # Buttons posted before the restart still work, and the state carried over.
    await press_and_wait(server, a1, details, "Resolved", "What was done")
    await bot.restart()  # and a half-filled resolve note survives a restart too
    ask = await say_and_wait(server, a1, "Opened the main valve", "photo of the result")
    await press_and_wait(server, a1, ask, "Skip", "marked resolved")
    await server.wait_for_message(ALICE, "Opened the main valve")
    await server.wait_for_edit(GROUP_A, card.message_id, "等待居民评价")


async def test_delivery_retries_after_429_and_500_then_sends_once(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    server.fail_next("sendPhoto", GROUP_A, [429, 500])
    await file_report(server, alice, "Plumbing", "1", "Basement flooding", ["flood.jpg"])
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_idle(0.5)
    photo_calls = [
        params
        for method, params in server.calls
        if method == "sendPhoto" and int(params["chat_id"]) == GROUP_A
    ]
    assert len(photo_calls) == 3  # 429, 500, then the one that arrived
    assert server.count_sends(GROUP_A) == 1
    assert card.buttons[0].callback_data == "v1:claim:1"


async def test_worker_who_never_opened_a_private_chat(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    shy = server.user(WORKER_A2, "Li A2")
    await register(server, alice, "1", "2-301", "+8613800000001")
    server.forbid(WORKER_A2)  # Telegram refuses: the worker never pressed Start
    await file_report(server, alice, "Plumbing", "1", "Radiator is cold")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await _claim(server, shy, card)

    prompt = await server.wait_for_message(GROUP_A, "打开与我的私聊")
    link = prompt.buttons[0]
    assert link.url == f"https://t.me/{server.bot_username}?start=worker"
    assert f"tg://user?id={WORKER_A2}" in (prompt.text or "")
    assert "8613800000001" not in prompt.plain

    # Once the worker opens the chat, the details that waited are delivered.
    server.allow(WORKER_A2)
    shy.send("/start worker")
    details = await server.wait_for_message(WORKER_A2, "+8613800000001")
    assert "R-0001" in details.plain


async def test_routing_without_group_and_without_workers(
    server: FakeBotApi, bot: RunningBot
) -> None:
    carol = server.user(CAROL, "Carol")
    await register(server, carol, "4", "9-909")
    await file_report(server, carol, "Lights", "4", "Corridor light flickers")
    # Grid C has no group: its worker gets the card privately, with a Claim button.
    card = await server.wait_for_message(LONE_WORKER, "R-0001")
    assert card.buttons[0].callback_data == "v1:claim:1"
    lone = server.user(LONE_WORKER, "Sun C")
    assert str((await _claim(server, lone, card))["text"]).startswith("You claimed")
    await server.wait_for_message(LONE_WORKER, "9-909")

    # Grid D has nobody: the admin chat gets it.
    await file_report(server, carol, "Lights", "5", "Garden lamp broken")
    admin_card = await server.wait_for_message(ADMIN_CHAT, "R-0002")
    assert "没有网格员" in admin_card.plain


async def test_a_redelivered_update_changes_nothing_twice(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    a1 = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe noise at night")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    claim_update = server.last_update()["update_id"]
    await server.wait_for_message(ALICE, "was claimed by")
    await server.wait_idle(0.3)
    sent_before = {chat: server.count_sends(chat) for chat in (ALICE, GROUP_A, WORKER_A1)}
    answers_before = sum(method == "answerCallbackQuery" for method, _ in server.calls)

    # The bot stops before Telegram got the confirmation; the claim arrives again.
    await bot.stop()
    server.redeliver(claim_update)
    await bot.start()
    await server.wait_idle(0.5)
    assert {chat: server.count_sends(chat) for chat in sent_before} == sent_before
    answers = sum(method == "answerCallbackQuery" for method, _ in server.calls)
    assert answers == answers_before  # not even answered again: it was skipped
