"""Each Bot API fault, end to end: while it lasts for one chat other people are served, no
message is lost or sent twice (sends per chat and outbox rows counted), and the log says it
once (a line a minute while it lasts), with no traceback and no ERROR for Telegram's faults."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.faultlog import FaultLog, faults
from bot.settings import Settings
from tests.conftest import ADMIN_CHAT, GROUP_A, WORKER_A1, RunningBot, community
from tests.fakebot import EDIT_NOT_FOUND, NOT_MODIFIED, TOO_LONG, FakeBotApi
from tests.journeys import file_report, register, say_and_wait

ALICE, BOB = 1001, 1002


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    # Calls time out after half a second here, so that a timeout costs a test little.
    return community(
        tmp_path / "bot.sqlite3", server.base_url, telegram={"request_timeout_seconds": 0.5}
    )


@pytest.fixture(autouse=True)
def fresh_fault_log() -> None:
    # The fault log is one for the process: each test starts with nothing said.
    faults.reset()


@dataclass(frozen=True)
class Fault:
    inject: Callable[[FakeBotApi], None]
    cards: int  # copies of the card the group ends with
    # The outbox rows' end states; "failed" only where Telegram refuses the message itself.
    states: frozenset[str] = frozenset({"sent"})
    on_claim: bool = False  # the fault meets the card's edit after a claim, not its post


FAULTS = {
    "429 retry_after": Fault(lambda s: s.fail_next("sendMessage", GROUP_A, [429, 429]), 1),
    "500": Fault(lambda s: s.fail_next("sendMessage", GROUP_A, [500, 500]), 1),
    "502": Fault(lambda s: s.fail_next("sendMessage", GROUP_A, [502]), 1),
    "timeout before Telegram processed it": Fault(
        lambda s: s.delay_next("sendMessage", GROUP_A, 1.5, arrives=False), 1
    ),
    # Sent, but the answer came too late: a second copy is the lesser harm (the first one,
    # pressed, points to the current card: tests/test_e2e_faults.py).
    "timeout after Telegram processed it": Fault(
        lambda s: s.delay_next("sendMessage", GROUP_A, 1.5, arrives=True), 2
    ),
    "dropped connection": Fault(lambda s: s.drop_next("sendMessage", GROUP_A), 1),
    "dropped connection after it took effect": Fault(
        lambda s: s.drop_next("sendMessage", GROUP_A, effect=True), 2
    ),
    "message is too long": Fault(
        lambda s: s.refuse_next("sendMessage", GROUP_A, TOO_LONG),
        0,
        frozenset({"sent", "failed"}),
    ),
    # The group cannot be reached: its card goes to its workers in private meanwhile, and
    # waits, held, for the group to come back.
    "chat not found": Fault(lambda s: s.unknown_chat(GROUP_A), 0, frozenset({"sent", "held"})),
    "message is not modified": Fault(
        lambda s: s.refuse_next("editMessageText", GROUP_A, NOT_MODIFIED), 1, on_claim=True
    ),
    "message to edit not found": Fault(
        lambda s: s.refuse_next("editMessageText", GROUP_A, EDIT_NOT_FOUND), 2, on_claim=True
    ),
}


async def _outbox_states(bot: RunningBot) -> dict[str, int]:
    sql = "SELECT status, count(*) FROM outbox GROUP BY status"
    async with bot.services.db.read() as conn, conn.execute(sql) as cur:
        return {r[0]: r[1] for r in await cur.fetchall()}


def _faults_said(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.faults"]


def _no_tracebacks(caplog: pytest.LogCaptureFixture, errors_allowed: bool = False) -> None:
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("bot", "handlers", "telegram")]
    assert [r.getMessage() for r in ours if r.exc_info] == []
    if not errors_allowed:
        assert [r.getMessage() for r in ours if r.levelno >= logging.ERROR] == []
    said = [r.getMessage() for r in _faults_said(caplog)]
    kinds = [m.split(":")[0] for m in said if "while it lasts" in m]
    assert len(kinds) == len(set(kinds)), kinds  # each kind said in full once


@pytest.mark.parametrize("name", list(FAULTS))
async def test_a_fault_on_one_chat_loses_nothing_and_is_logged_once(
    name: str, server: FakeBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    fault = FAULTS[name]
    caplog.set_level(logging.INFO)
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    if not fault.on_claim:
        fault.inject(server)
    saved = await file_report(server, alice, "Plumbing", "1", "No water since morning")
    assert "R-0001" in saved.plain
    # Someone else is served while the group's card is held up.
    await say_and_wait(server, bob, "/help", "service bot")
    if fault.on_claim:
        card = await server.wait_for_message(GROUP_A, "R-0001")
        await server.wait_idle(0.5)
        fault.inject(server)
        answer = await server.wait_for_answer(worker.press(card, "认领"))
        assert str(answer["text"]).startswith("You claimed R-0001")
        await say_and_wait(server, bob, "/help", "service bot")
    if fault.cards:
        await server.wait_for_message(GROUP_A, "R-0001", timeout=15)
    await server.wait_idle(2.5, timeout=20)  # longer than any retry's wait here

    cards = [m for m in server.messages(GROUP_A) if m.contains("R-0001")]
    assert len(cards) == fault.cards, [m.plain for m in cards]
    assert set(await _outbox_states(bot)) == fault.states
    assert len([m for m in server.messages(ALICE) if m.contains("Saved as")]) == 1
    if name == "message to edit not found":
        assert "Wang A1" in cards[-1].plain  # the card posted anew, current
    if name == "chat not found":
        assert [m for m in server.messages(WORKER_A1) if m.contains("R-0001")]
    if "failed" in fault.states:
        sql = "SELECT last_error FROM outbox WHERE status = 'failed'"
        async with bot.services.db.read() as conn, conn.execute(sql) as c:
            assert [r[0] for r in await c.fetchall()] == ["Message is too long"]
        told = [m for m in server.messages(ADMIN_CHAT) if m.contains("无法送达")]
        assert len(told) == 1  # the admins are told, once
    _no_tracebacks(caplog, errors_allowed="failed" in fault.states)


async def test_a_429_on_a_direct_reply_waits_and_answers_once(
    server: FakeBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    server.fail_next("sendMessage", ALICE, [429])
    before = server.count_sends(ALICE)
    await say_and_wait(server, alice, "/help", "service bot")
    await say_and_wait(server, bob, "/help", "service bot")
    await server.wait_idle(1.0)
    assert server.count_sends(ALICE) == before + 1
    said = [r.getMessage() for r in _faults_said(caplog)]
    assert len(said) == 1 and said[0].startswith("Telegram fault 429: a direct reply")
    _no_tracebacks(caplog)


async def test_a_person_who_blocked_the_bot_gets_the_news_when_they_are_back(
    server: FakeBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    await file_report(server, alice, "Plumbing", "1", "No water since morning")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    server.block(ALICE)
    await server.wait_for_answer(worker.press(card, "认领"))
    await say_and_wait(server, bob, "/help", "service bot")
    await server.wait_idle(0.5)
    assert "held" in await _outbox_states(bot)  # kept, not dropped, not retried forever
    said = [r.getMessage() for r in _faults_said(caplog)]
    assert len([s for s in said if "blocked by the user" in s]) == 1

    server.allow(ALICE)
    await say_and_wait(server, alice, "/help", "service bot")
    await server.wait_idle(1.0)
    news = [m for m in server.messages(ALICE) if m.contains("was claimed by")]
    assert len(news) == 1
    assert set(await _outbox_states(bot)) == {"sent"}
    _no_tracebacks(caplog)


# A cut of CUT_SECONDS stands for Telegram's 30 s: polling backs off 1 s × 1.5 up to 30 s and
# the outbox doubles its wait, so recovery takes at most about the cut again plus a little,
# whatever its length. BOT_TEST_FULL_CUT=1 runs the real 30 s.
CUT_SECONDS = 30.0 if os.environ.get("BOT_TEST_FULL_CUT") else 3.0


async def test_a_network_cut_loses_nothing_and_is_said_once_a_minute(
    server: FakeBotApi, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    start = time.monotonic()
    server.cut_network(CUT_SECONDS)
    last_alice = server.messages(ALICE)[-1].message_id
    last_bob = server.messages(BOB)[-1].message_id
    alice.send("/my")
    bob.send("/help")
    await server.wait_for_message(BOB, "service bot", after=last_bob, timeout=3 * CUT_SECONDS)
    await server.wait_for_message(ALICE, after=last_alice, timeout=3 * CUT_SECONDS)
    took = time.monotonic() - start
    assert CUT_SECONDS <= took <= 2 * CUT_SECONDS + 3
    assert server.dropped > 0
    await server.wait_idle(1.0)
    assert (
        len(server.messages(BOB))
        - [m.message_id for m in server.messages(BOB)].index(last_bob)
        - 1
        == 1
    )  # answered once
    said = _faults_said(caplog)
    assert said and len(said) <= 2 * (1 + CUT_SECONDS // 60)
    _no_tracebacks(caplog)


def test_the_fault_log_says_a_kind_first_then_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    log = FaultLog(now=lambda: now[0])
    caplog.set_level(logging.INFO, logger="bot.faults")
    for second in range(0, 180):  # a 429 every second for three minutes
        now[0] = float(second)
        log.note("429", f"retry after 1s ({second})")
    log.note("network", "Server disconnected")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("Telegram fault 429: retry after 1s (0)")
    assert [line.split(":")[0] for line in lines] == ["Telegram fault 429"] * 3 + [
        "Telegram fault network"
    ]
    assert "60 more in the last 60s" in lines[1]
    assert all(r.levelno == logging.WARNING and not r.exc_info for r in caplog.records)
