"""/mydata shows what the bot holds; /forgetme erases it and keeps the record anonymised."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import clock
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE = 1001
UNIT, PHONE, TYPED = "7-1203", "+8613900000007", "13800138000"


def _period(bot: RunningBot) -> str:
    today = clock.now().astimezone(bot.settings.community.tz).date()
    return f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"


async def _everything(bot: RunningBot) -> str:
    """Every text value of every table, as one string, to search for what must be gone."""
    found = []
    async with bot.services.db.read() as conn:
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = [r[0] for r in await cur.fetchall()]
        for table in tables:
            async with conn.execute(f"SELECT * FROM {table}") as cur:
                for row in await cur.fetchall():
                    found += [str(v) for v in row if v is not None]
    return "\n".join(found)


async def _inbox_handled(bot: RunningBot) -> None:
    for _ in range(100):
        pending = "SELECT COUNT(*) FROM inbox WHERE status = 'pending'"
        async with bot.services.db.read() as conn, conn.execute(pending) as cur:
            row = await cur.fetchone()
        if row is not None and row[0] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("updates still waiting in the inbox")


async def test_mydata_then_forgetme_leaves_no_phone_or_unit_and_the_same_counts(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    admin = server.user(ADMIN, "Director")
    await register(server, alice, "2", UNIT, PHONE)
    # One finished (claimed, resolved, rated) and one still open.
    await file_report(server, alice, "Plumbing", "2", f"Pipe burst, call {TYPED}, room {UNIT}")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, PHONE)
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    ask = await say_and_wait(server, worker, f"Fixed in {UNIT}", "photo of the result")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    rate = await server.wait_for_message(ALICE, "Fixed in")
    await press_and_wait(server, alice, rate, "⭐⭐⭐⭐⭐", "closed with 5★")
    await file_report(server, alice, "Lights", "2", "Hall light out")
    await server.wait_idle()

    # /mydata: registration, language, requests with numbers and statuses, roles, user id.
    mine = await say_and_wait(server, alice, "/mydata", "What the bot holds about you")
    for part in (str(ALICE), "Alice", UNIT, PHONE, "R-0001", "closed", "R-0002", "Roles: —"):
        assert part in mine.plain, part
    stats = await say_and_wait(server, admin, f"/stats {_period(bot)}", "Figures")
    assert "Received: 2" in stats.plain
    assert PHONE in await _everything(bot) and UNIT in await _everything(bot)

    # /forgetme says what happens to the open request, and asks first; Cancel keeps all.
    ask = await say_and_wait(server, alice, "/forgetme", "Erase your personal data?")
    assert "1 of your requests are not finished yet" in ask.plain
    await press_and_wait(server, alice, ask, "Cancel", "Nothing was erased")
    assert PHONE in await _everything(bot)
    ask = await say_and_wait(server, alice, "/forgetme", "Erase your personal data?")
    erase = ask.button("Erase my data").callback_data
    assert erase is not None
    await press_and_wait(server, alice, ask, "Erase my data", "your personal data is erased")
    # The button was bound to its step: pressing it again changes nothing.
    stale = await server.wait_for_answer(alice.press_data(ask, erase))
    assert stale.get("text") == "This button is no longer valid."

    # Each update is kept in the inbox until handled, then its content is emptied: once the
    # last press is handled, nothing of hers is left there either.
    await _inbox_handled(bot)
    stored = await _everything(bot)
    for secret in (PHONE, "8613900000007", UNIT, TYPED, "Alice"):
        assert secret not in stored, secret
    await say_and_wait(server, alice, "/my", "")
    assert "R-000" not in server.last_message(ALICE).plain
    after = await say_and_wait(server, alice, "/mydata", "What the bot holds about you")
    assert "Registration: none" in after.plain and "Your requests: 0" in after.plain
    # The counts an admin sees are the same; the timeline names the reporter "(erased)".
    again = await say_and_wait(server, admin, f"/stats {_period(bot)}", "Figures")
    assert again.plain == stats.plain
    async with (
        bot.services.db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM requests") as cur,
    ):
        row = await cur.fetchone()
    assert row is not None and row[0] == 2
    # The open request is still the worker's to finish, and the resident hears the outcome.
    card2 = await server.wait_for_message(GROUP_A, "R-0002")
    worker.press(card2, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0002", after=details.message_id)
    assert "(erased)" in details.plain and PHONE not in details.plain
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    ask = await say_and_wait(server, worker, "New bulb", "photo of the result")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    await server.wait_for_message(ALICE, "New bulb")
