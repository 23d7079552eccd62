"""Workers and the delivery edge cases end to end: hand back, a migrated group, errors."""

from __future__ import annotations

from tests.conftest import ADMIN_CHAT, GROUP_A, WORKER_A1, WORKER_A2, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE = 1001


async def test_hand_back_reopens_the_card_for_the_grid(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    await register(server, alice, "2", "3-303")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await file_report(server, alice, "Lights", "2", "Lamp outside door 3 is dark")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "3-303")

    # Another worker cannot hand back or resolve someone else's claim: not on the claimer's
    # message, nor with the same data on a message in his own chat.
    refused = await server.wait_for_answer(a2.press_data(details, "v1:back:1"))
    assert refused["text"] == "This button is no longer valid."
    own = await say_and_wait(server, a2, "/start", "You are a grid worker")
    refused = await server.wait_for_answer(a2.press_data(own, "v1:back:1"))
    assert refused["text"] == "Only the worker who claimed R-0001 can do this."
    refused = await server.wait_for_answer(a2.press_data(own, "v1:done:1"))
    assert refused["text"] == "Only the worker who claimed R-0001 can do this."

    await press_and_wait(server, a1, details, "Hand back", "it is open for the grid again")
    reopened = await server.wait_for_edit(GROUP_A, card.message_id, "待认领")
    assert reopened.buttons[0].text == "🙋 认领"
    # The handed-back worker's buttons are dead; the other worker can claim now.
    stale = await server.wait_for_answer(a1.press_data(details, "v1:done:1"))
    assert stale["text"] == "Only the worker who claimed R-0001 can do this."
    answer = await server.wait_for_answer(a2.press(reopened, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_edit(GROUP_A, card.message_id, "Li A2 已于")


async def test_group_upgraded_to_supergroup_gets_its_card(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    new_group = -100999111
    server.migrate(GROUP_A, new_group)
    await file_report(server, alice, "Plumbing", "1", "Leaking radiator valve")
    card = await server.wait_for_message(new_group, "R-0001")
    assert card.buttons[0].callback_data == "v1:claim:1"
    # Later messages for the grid go straight to the new id, and claiming edits that card.
    a1 = server.user(WORKER_A1, "Wang A1")
    a1.press(card, "认领")
    await server.wait_for_edit(new_group, card.message_id, "Wang A1 已于")
    await file_report(server, alice, "Lights", "1", "Hall light is broken")
    await server.wait_for_message(new_group, "R-0002")


async def test_an_error_is_apologised_for_and_reported_to_the_admins(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    server.fail_next("sendMessage", ALICE, [400])
    alice.send("/help")
    await server.wait_for_message(ALICE, "Sorry, something went wrong")
    report = await server.wait_for_message(ADMIN_CHAT, "处理消息时出错")  # group language: zh
    assert "BadRequest" in report.plain and "123456:TEST-TOKEN" not in report.plain
    # The bot carries on.
    await say_and_wait(server, alice, "/help", "/report")
