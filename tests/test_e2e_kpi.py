"""Staff figures end to end, as the README's admin section tells them: /stats answers an admin
with every grid's figures and a chart, a worker with their own grid's, a resident with a polite
no; /export sends an admin the ledger workbook, which is read back here against the database."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

from openpyxl import load_workbook

from bot import kpi
from storage import clock
from storage import kpi as kpi_store
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, WORKER_B, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE, BOB = 1001, 1002
PNG = b"\x89PNG\r\n\x1a\n"


def _days_around_today(bot: RunningBot) -> str:
    """A period holding today whatever the hour (this month may have begun a minute ago)."""
    today = clock.now().astimezone(bot.settings.community.tz).date()
    return f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"


async def _a_resolved_rated_and_an_open_request(server: FakeBotApi) -> None:
    """R-0001 in grid A: claimed, resolved, rated 5. R-0002 in grid B: waiting."""
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await register(server, bob, "3", "1-101")
    await file_report(server, alice, "Plumbing", "1", "Kitchen pipe burst")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    ask = await say_and_wait(server, worker, "Replaced the valve", "photo of the result")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    rate = await server.wait_for_message(ALICE, "Replaced the valve")
    await press_and_wait(server, alice, rate, "⭐⭐⭐⭐⭐", "")
    await file_report(server, bob, "Lights", "3", "Stair light is out")


async def test_stats_for_an_admin_a_worker_and_a_resident(
    server: FakeBotApi, bot: RunningBot
) -> None:
    await _a_resolved_rated_and_an_open_request(server)
    period = _days_around_today(bot)

    # README: "/stats [period]: every grid's figures, then a chart per grid and week".
    admin = server.user(ADMIN, "Director Zhou")
    text = await say_and_wait(server, admin, f"/stats {period}", "Figures")
    assert "all grids" in text.plain
    assert "Received: 2" in text.plain
    assert "Response rate (claimed in time): 100% (1/1)" in text.plain  # R-0002 not yet due
    assert "Resolution rate (resolved in time): 100% (1/1)" in text.plain
    assert "Satisfaction rate (rated 4–5 ⭐): 100% (1/1)" in text.plain
    assert "Open now: 1 · overdue now: 0" in text.plain
    assert "• Grid A: received 1" in text.plain and "• Grid B: received 1" in text.plain
    assert "• Wang A1 (Grid A): requests 1 · response 100% (1/1)" in text.plain
    assert "Micro-wishes" in text.plain
    chart = await server.wait_for_message(ADMIN, "Per grid and week", after=text.message_id)
    assert chart.method == "sendPhoto"
    assert chart.upload is not None and chart.upload.startswith(PNG)

    # A worker finds /stats in their command menu, and sees their own grid only, no wishes.
    staff_menu = server.commands[json.dumps([{"chat_id": WORKER_A1, "type": "chat"}, None])]
    assert "stats" in [c["command"] for c in staff_menu]
    worker = server.user(WORKER_A1, "Wang A1")
    mine = await say_and_wait(server, worker, f"/stats {period}", "Figures")
    assert "Grid A" in mine.plain and "Grid B" not in mine.plain
    assert "Received: 1" in mine.plain and "Micro-wishes" not in mine.plain
    photo = await server.wait_for_message(WORKER_A1, "Per grid and week", after=mine.message_id)
    assert photo.upload is not None and photo.upload.startswith(PNG)
    other = server.user(WORKER_B, "Zhao B")
    theirs = await say_and_wait(server, other, "/stats", "Figures")
    assert "Grid B" in theirs.plain and "Grid A" not in theirs.plain

    # A resident is refused; a period the bot cannot read is answered with examples.
    alice = server.user(ALICE, "Alice")
    refused = await say_and_wait(server, alice, "/stats", "Only grid workers and admins")
    await server.wait_idle(0.3)
    assert server.messages(ALICE)[-1].message_id == refused.message_id  # and no chart
    bad = await say_and_wait(server, admin, "/stats last-tuesday", "didn't understand")
    assert "last-tuesday" in bad.plain and "/stats 2026-11" in bad.plain
    await server.wait_idle(0.3)
    assert server.messages(ADMIN)[-1].message_id == bad.message_id


async def test_export_sends_the_ledger_that_the_database_holds(
    server: FakeBotApi, bot: RunningBot
) -> None:
    await _a_resolved_rated_and_an_open_request(server)
    period = _days_around_today(bot)
    tz = bot.settings.community.tz

    # A worker may not export; a zh admin gets the workbook with Chinese headers.
    worker = server.user(WORKER_A1, "Wang A1")
    await say_and_wait(server, worker, "/export", "Only admins can export")
    alice = server.user(ALICE, "Alice")
    await say_and_wait(server, alice, "/export 2026-11", "Only admins can export")
    await server.wait_idle(0.3)
    assert not [m for m in server.messages(WORKER_A1) if m.method == "sendDocument"]
    assert not [m for m in server.messages(ALICE) if m.method == "sendDocument"]
    admin = server.user(ADMIN, "周主任", language_code="zh")
    before = last_id(server, ADMIN)
    admin.send(f"/export {period}")
    sent = await server.wait_for_message(ADMIN, "台账", after=before)
    assert sent.method == "sendDocument"
    assert sent.document is not None and sent.document.endswith(".xlsx")
    assert sent.upload is not None
    book = load_workbook(io.BytesIO(sent.upload))
    assert book.sheetnames == ["诉求", "记录", "微心愿", "积分", "活动报名"]

    found = kpi.period_of(period, clock.now(), tz, (), ())
    assert found is not None
    async with bot.services.db.read() as conn:
        requests = await kpi_store.received(conn, found.since, found.until, None, actions=None)
    sheet = book["诉求"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("编号", "类型", "类别", "楼栋", "网格", "状态", "受理时间")
    assert all(row[1] == "报修" for row in rows[1:])
    assert len(rows) - 1 == len(requests) == 2
    first = {row[0]: row for row in rows[1:]}["R-0001"]
    r1 = next(r for r in requests if r.seq == 1)
    filed = next(s.at for s in r1.steps if s.action == "filed")
    claimed = next(s.at for s in r1.steps if s.action == "claim")
    assert isinstance(first[6], datetime) and first[6].tzinfo is None
    assert first[6] == filed.astimezone(tz).replace(tzinfo=None, microsecond=0)
    assert first[7] == claimed.astimezone(tz).replace(tzinfo=None, microsecond=0)
    assert first[2] == "水管" and first[4] == "Grid A" and first[8] == "Wang A1"
    assert first[11] == 5 and first[12:] == ("是", "是")
    assert sheet.cell(row=2, column=7).number_format == "yyyy-mm-dd hh:mm"
    events = list(book["记录"].iter_rows(values_only=True))[1:]
    assert len(events) == sum(len(r.steps) for r in requests)
    assert [e[3] for e in events if e[0] == "R-0001"] == ["filed", "claim", "resolve", "rate"]
