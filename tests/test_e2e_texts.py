"""Texts fit and read right: long timelines are paged, toasts are plain text, the admin report is
escaped once, invisible input counts as empty."""

from __future__ import annotations

import pytest

from tests import fakebot
from tests.conftest import ADMIN_CHAT, GROUP_A, WORKER_A1, WORKER_A2, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE = 1001


async def test_a_long_timeline_is_paged_and_every_page_fits(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    description = "The pipe under the kitchen sink leaks. " * 26  # about 1000 characters
    await file_report(server, alice, "Plumbing", "1", description[:1000].strip())
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert len(card.plain) < 1024
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    for n in range(4):
        await press_and_wait(server, worker, details, "Add note", "Type the note")
        await say_and_wait(server, worker, f"Note {n}: " + "checked the valves " * 52, "saved")
    await server.wait_for_message(ALICE, "Note 3:")
    await server.wait_idle(0.3)

    mine = await say_and_wait(server, alice, "/my", "Your request:")
    first = await press_and_wait(server, alice, mine, "R-0001", "Page 1/")
    assert "R-0001" in first.plain and len(first.plain) <= 4096
    pages = int(first.plain.rsplit("Page 1/", 1)[1].split()[0])
    assert pages >= 2
    seen = first.plain
    current = first
    for page in range(2, pages + 1):
        last = last_id(server, ALICE)
        alice.press(current, "Next")
        current = await server.wait_for_edit(ALICE, first.message_id, f"Page {page}/{pages}")
        assert len(current.plain) <= 4096
        assert last_id(server, ALICE) == last  # turned in place
        seen += current.plain
    for n in range(4):
        assert f"Note {n}:" in seen
    back = await server.wait_for_answer(alice.press(current, "Previous"))
    assert back.get("text") is None
    await server.wait_for_edit(ALICE, first.message_id, f"Page {pages - 1}/{pages}")
    await server.wait_idle(0.3)
    assert not server.messages(ADMIN_CHAT)
    assert not [m for m in server.messages(ALICE) if m.contains("Sorry")]


async def test_toasts_are_plain_text(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    tom = server.user(WORKER_A1, "Tom & Jerry <3")
    other = server.user(WORKER_A2, "Li A2")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe bursts")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_for_answer(tom.press(card, "认领"))
    answer = await server.wait_for_answer(other.press_data(card, "v1:claim:1"))
    assert answer["text"] == "Already claimed by Tom & Jerry <3."
    # In HTML messages the same name is escaped once and reads right.
    notice = await server.wait_for_message(ALICE, "was claimed by")
    assert "Tom & Jerry <3" in notice.plain


async def test_admin_error_report_is_escaped_once(
    server: FakeBotApi, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(fakebot._INJECTED, 400, "Bad Request: can't parse <b> & co")
    alice = server.user(ALICE, "Alice")
    server.fail_next("sendMessage", ALICE, [400])
    alice.send("/help")
    await server.wait_for_message(ALICE, "Sorry, something went wrong")
    report = await server.wait_for_message(ADMIN_CHAT, "处理消息时出错")
    assert "parse <b> & co" in report.plain
    assert "&lt;" not in report.plain and "&amp;" not in report.plain


async def test_an_error_after_the_press_was_answered_still_reaches_everyone(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe leaks in the hall")
    mine = await say_and_wait(server, alice, "/my", "Your request:")
    # The timeline reply is refused after the press was answered.
    server.fail_next("sendMessage", ALICE, [400])
    query = alice.press(mine, "R-0001")
    await server.wait_for_answer(query)
    await server.wait_for_message(ALICE, "Sorry, something went wrong")
    await server.wait_for_message(ADMIN_CHAT, "BadRequest")


async def test_invisible_text_counts_as_empty(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    ask = await say_and_wait(server, alice, "/start", "Which building")
    await press_and_wait(server, alice, ask, "1", "unit")
    invisible = "\u200b\u200c\u200d\ufeff"
    await say_and_wait(server, alice, invisible, "type your unit and room as text")
    await say_and_wait(server, alice, "2-301", "share your phone")
    confirm = await say_and_wait(server, alice, "Skip", "Is this right?")
    await press_and_wait(server, alice, confirm, "Confirm", "registered")

    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    await press_and_wait(server, alice, ask, "1", "Describe the problem")
    await say_and_wait(server, alice, "ab\u200b\u200b\u200b\u200b\u200b", "(you sent 2)")
    await say_and_wait(server, alice, "Tap drips all night", "photos")
    await say_and_wait(server, alice, "/cancel", "Cancelled")

    await file_report(server, alice, "Lights", "1", "Lamp is dark")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, worker, details, "Add note", "Type the note")
    await say_and_wait(server, worker, "\u200b \ufeff", "write the note as text")
