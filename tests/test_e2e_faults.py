"""No card or notice is lost to a Bot API fault: timeouts, a group that refuses the bot, a card
deleted or left behind by a migration, 429s and 5xx on direct replies and answers, and errors
of our own in delivery."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import enqueue_dict
from bot.settings import Settings
from tests.conftest import (
    ADMIN_CHAT,
    GROUP_A,
    GROUP_B,
    WORKER_A1,
    WORKER_A2,
    WORKER_B,
    RunningBot,
    community,
)
from tests.fakebot import FakeBotApi, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE, BOB = 1001, 1002


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    # Calls time out after half a second here, so that a timeout costs a test little.
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        telegram={"request_timeout_seconds": 0.5},
        outbox={"max_attempts": 2},
    )


def _cards(server: FakeBotApi, chat: int, number: str) -> list[SentMessage]:
    return [m for m in server.messages(chat) if m.contains(number) and not m.deleted]


async def test_a_card_lost_on_the_way_is_sent_again(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    server.delay_next("sendMessage", GROUP_A, 1.5, arrives=False)
    saved = await file_report(server, alice, "Plumbing", "1", "No water since morning")
    assert "R-0001" in saved.plain
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_idle(0.5)
    assert len(_cards(server, GROUP_A, "R-0001")) == 1
    assert card.buttons[0].callback_data == "v1:claim:1"


async def test_a_card_answered_late_ends_as_one_current_card(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    server.delay_next("sendMessage", GROUP_A, 1.5, arrives=True)
    await file_report(server, alice, "Plumbing", "1", "Boiler makes noise")
    first = await server.wait_for_message(GROUP_A, "R-0001")
    second = await server.wait_for_message(GROUP_A, "R-0001", after=first.message_id)
    await server.wait_idle(0.5)
    assert len(_cards(server, GROUP_A, "R-0001")) == 2  # a second copy: the lesser harm

    # The older copy is pressed: the claim counts, the current card shows it, and the older
    # copy now points to the current one.
    answer = await server.wait_for_answer(worker.press(first, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_edit(GROUP_A, second.message_id, "Wang A1 已于")
    moved = await server.wait_for_edit(GROUP_A, first.message_id, "重新发出")
    assert moved.buttons == []
    current = [m for m in _cards(server, GROUP_A, "R-0001") if m.buttons or "已于" in m.plain]
    assert [m.message_id for m in current] == [second.message_id]


async def test_a_group_that_refuses_the_bot_sends_cards_to_its_workers(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    bob = server.user(BOB, "Bob")
    a2 = server.user(WORKER_A2, "Li A2")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    server.forbid(GROUP_A)  # the bot was removed from grid A's group
    server.unknown_chat(GROUP_B)  # grid B's group id is wrong

    await file_report(server, alice, "Plumbing", "1", "Pipe burst in the cellar")
    for worker in (WORKER_A1, WORKER_A2):
        card = await server.wait_for_message(worker, "R-0001")
        assert card.buttons[0].callback_data == "v1:claim:1"
        assert "平常的接收处暂时发不进去" in card.plain  # why it came privately
    told = await server.wait_for_message(ADMIN_CHAT, str(GROUP_A))
    assert "Grid A" in told.plain and "kicked" in told.plain

    await file_report(server, bob, "Lights", "3", "Lamp in lobby is out")
    await server.wait_for_message(WORKER_B, "R-0002")
    told = await server.wait_for_message(ADMIN_CHAT, str(GROUP_B))
    assert "chat not found" in told.plain.lower()

    # A second report to grid A: straight to the workers, and the admins are not told again.
    await file_report(server, alice, "Lights", "1", "Lamp on floor 2 is out")
    await server.wait_for_message(WORKER_A1, "R-0003")
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(ADMIN_CHAT) if m.contains(str(GROUP_A))]) == 1

    # The workers claim from their private copy; both copies follow.
    card = server.messages(WORKER_A2)[0]
    answer = await server.wait_for_answer(a2.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_message(WORKER_A2, "2-301")
    a1_card = server.messages(WORKER_A1)[0]
    await server.wait_for_edit(WORKER_A1, a1_card.message_id, "Li A2 已于")


async def test_a_deleted_card_is_posted_again_when_it_is_handed_back(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Drain is blocked")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "2-301")
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1 已于")
    server.delete_message(GROUP_A, card.message_id)  # someone tidied the group

    await press_and_wait(server, a1, details, "Hand back", "open for the grid again")
    again = await server.wait_for_message(GROUP_A, "R-0001", after=card.message_id)
    assert again.buttons[0].text == "🙋 认领"
    answer = await server.wait_for_answer(a2.press(again, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_edit(GROUP_A, again.message_id, "Li A2 已于")
    assert len(_cards(server, GROUP_A, "R-0001")) == 1


async def test_after_a_migration_the_card_is_current_in_the_new_group(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Leaking radiator")
    await server.wait_for_message(GROUP_A, "R-0001")
    new_group = -100999222
    server.migrate(GROUP_A, new_group)

    mine = await say_and_wait(server, alice, "/my", "Your request:")
    sure = await press_and_wait(server, alice, mine, "Cancel R-0001", "Workers will stop")
    await press_and_wait(server, alice, sure, "Yes, cancel it", "is cancelled")
    card = await server.wait_for_message(new_group, "R-0001")
    assert "已取消" in card.plain and card.buttons == []
    await server.wait_idle(0.5)
    assert len(_cards(server, new_group, "R-0001")) == 1


async def test_429_and_5xx_on_wizard_replies_are_retried(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    server.fail_next("sendMessage", ALICE, [429, 500, 502])
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    server.fail_next("sendMessage", ALICE, [502])
    await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    await server.wait_idle(0.3)
    assert not [m for m in server.messages(ALICE) if m.contains("Sorry")]
    assert not server.messages(ADMIN_CHAT)


async def test_a_failed_answer_never_misreports_a_claim(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Tap will not close")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    server.fail_next("answerCallbackQuery", None, [429, 429, 429])
    worker.press(card, "认领")
    # The claim is saved and shown; nobody is told to try again.
    await server.wait_for_message(WORKER_A1, "2-301")
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1 已于")
    await server.wait_idle(0.5)
    assert not [m for m in server.messages(WORKER_A1) if m.contains("Sorry")]
    assert not server.messages(ADMIN_CHAT)

    # One 429 only: the answer arrives on the retry, and says what happened.
    other = server.user(WORKER_A2, "Li A2")
    server.fail_next("answerCallbackQuery", None, [429])
    answer = await server.wait_for_answer(other.press_data(card, "v1:claim:1"), timeout=15)
    assert answer["text"] == "Already claimed by Wang A1."


async def test_an_error_of_ours_in_delivery_is_bounded_and_reported(
    server: FakeBotApi, bot: RunningBot
) -> None:
    services = bot.services
    broken = {"chat_id": ALICE, "text": "hello", "buttons": [[{"text": "no data"}]]}
    async with services.db.transaction() as conn:
        await enqueue_dict(conn, broken)
    services.kick()
    report = await server.wait_for_message(ADMIN_CHAT, "无法送达", timeout=15)
    assert str(ALICE) in report.plain and "KeyError" in report.plain
    await server.wait_idle(0.5)
    assert not server.messages(ALICE)  # tried twice, then parked; not forever
    assert last_id(server, ADMIN_CHAT) == report.message_id


async def test_a_reply_telegram_keeps_refusing_waits_in_the_outbox_with_its_keyboard(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    ask = await say_and_wait(server, alice, "/start", "Which building")
    await press_and_wait(server, alice, ask, "1", "unit")
    # Every direct try of the phone question fails; the outbox delivers it afterwards, with
    # Telegram's contact button, and the registration goes on from there.
    server.fail_next("sendMessage", ALICE, [502, 502, 502, 502])
    phone = await say_and_wait(server, alice, "2-301", "share your phone")
    assert phone.keyboard == ["📱 Share my phone", "Skip"]
    last = last_id(server, ALICE)
    alice.send_contact("+8613900000000")
    confirm = await server.wait_for_message(ALICE, "Is this right?", after=last)
    assert "+8613900000000" in confirm.plain
    assert not [m for m in server.messages(ALICE) if m.contains("Sorry")]
