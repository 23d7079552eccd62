"""Privacy end to end: a phone and a unit typed into a description reach no group, no admin
chat and no log line; the claimer alone sees them, in private; errors leak neither."""

from __future__ import annotations

import logging

import pytest

from bot.core import Requests
from tests.conftest import ADMIN_CHAT, GROUP_A, GROUP_B, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE = 1001
PHONE, UNIT, OWN_PHONE = "13800138000", "7-1203", "+8613900000007"
SECRETS = (PHONE, "138 0013 8000", UNIT, OWN_PHONE, "8613900000007", "TEST-TOKEN")


def leaks(server: FakeBotApi) -> list[str]:
    """Every text now in a group or the admin chat that shows a secret."""
    found = []
    for chat in (GROUP_A, GROUP_B, ADMIN_CHAT):
        for message in server.messages(chat):
            text = f"{message.text or ''} {message.reply_markup or ''}"
            found += [f"{chat}: {message.text!r}" for s in SECRETS if s in text]
    return found


async def test_phone_and_unit_in_a_description_reach_only_the_claimer(
    server: FakeBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "2", UNIT, OWN_PHONE)
    await say_and_wait(server, worker, "/start", "You are a grid worker")
    description = f"Pipe burst, call {PHONE}, room {UNIT} (or 138 0013 8000)"
    await file_report(server, alice, "Plumbing", "2", description)
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert "Pipe burst" in card.plain and "***" in card.plain
    assert leaks(server) == []

    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    # The claimer, in private, has all of it: the description as typed, unit and phone.
    assert PHONE in details.plain and UNIT in details.plain and OWN_PHONE in details.plain
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1 已于")
    assert leaks(server) == []

    # Notes and the resolution name the phone and the unit again: still not in the group.
    await press_and_wait(server, worker, details, "Add note", "Type the note")
    await say_and_wait(server, worker, f"Called {PHONE}, going to {UNIT}", "Note saved")
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    ask = await say_and_wait(server, worker, f"Fixed in {UNIT}; ring {PHONE}", "photo")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    rate = await server.wait_for_message(ALICE, "Fixed in")
    await server.wait_for_edit(GROUP_A, card.message_id, "等待居民评价")
    await press_and_wait(server, alice, rate, "⭐⭐⭐⭐⭐", "closed with 5★")
    await server.wait_for_edit(GROUP_A, card.message_id, "5★")
    await server.wait_idle()
    assert leaks(server) == []

    # An error whose text holds the phone and the token: the resident is told, the admin chat
    # gets a report, and neither the report nor the log shows them.
    async def broken(self: Requests, user_id: int) -> None:
        raise ValueError(f"bad row {PHONE} {UNIT} via http://x/bot123456:TEST-TOKEN/getMe")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Requests, "mine", broken)
        alice.send("/my")
        await server.wait_for_message(ALICE, "Sorry, something went wrong")
        report = await server.wait_for_message(ADMIN_CHAT, "ValueError")
    assert "TEST-TOKEN" not in report.plain and PHONE not in report.plain
    assert leaks(server) == []

    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged  # the error is in the log, with its traceback
    for secret in (PHONE, UNIT, OWN_PHONE, "8613900000007", "TEST-TOKEN"):
        assert secret not in logged, secret
