"""Updates that real Telegram can send and no journey answers: no sender, channel posts,
pseudo-senders and other bots. Each is ignored or politely refused, never an error report."""

from __future__ import annotations

from tests.conftest import ADMIN_CHAT, GROUP_A, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, register, say_and_wait

ALICE = 1001
CHANNEL = -100555


async def test_updates_without_a_person_are_ignored(server: FakeBotApi, bot: RunningBot) -> None:
    group = server.group(GROUP_A, "Grid A")
    server.message_without_sender(group, "/start")
    server.channel_post(CHANNEL, "/report")
    server.channel_post(CHANNEL, "/start")
    await server.wait_idle(0.5)
    assert not server.messages(GROUP_A)
    assert not server.messages(CHANNEL)
    assert not server.messages(ADMIN_CHAT)  # no error report either
    # The bot carries on.
    alice = server.user(ALICE, "Alice")
    await say_and_wait(server, alice, "/help", "/report")


async def test_pseudo_senders_and_bots_are_not_offered_registration(
    server: FakeBotApi, bot: RunningBot
) -> None:
    group = server.group(GROUP_A, "Grid A")
    anonymous = server.anonymous_admin(group)
    anonymous.send("/report", chat=group)
    anonymous.send("/start", chat=group)
    service = server.user(777000, "Telegram")
    service.send("/start")
    other_bot = server.user(5550001, "Other Bot", is_bot=True)
    other_bot.send("/start")
    other_bot.send("/report", chat=group)
    await server.wait_idle(0.5)
    for chat in (GROUP_A, 777000, 5550001, ADMIN_CHAT):
        assert not server.messages(chat), chat

    # A press by the anonymous admin on a card is refused politely, and claims nothing.
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe leaks under stairs")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    answer = await server.wait_for_answer(anonymous.press(card, "认领"))
    assert "your own account" in str(answer["text"]) and answer["show_alert"]
    await server.wait_idle(0.3)
    assert card.edits == 0 and not server.messages(ADMIN_CHAT)
