"""The KPI arithmetic on a fixed data set with known answers: requests written the way the core
writes them (rows, deadlines, events), then the figures /stats shows, grid by grid and worker
by worker, and the periods /stats and /export take."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot import charts, kpi, ledger, stats
from bot.core import Actor, Draft, Requests
from bot.directory import Directory, DirectoryBook, sync_with_config
from bot.domain import Action
from bot.fonts import cjk_font_path
from bot.kpi import Rate, Verdict
from bot.settings import Settings
from storage import clock, dialogs, users, volunteers
from storage import kpi as kpi_store
from storage import requests as store
from storage.clock import ManualClock
from storage.db import Database
from storage.dialogs import Dialog
from storage.requests import NewRequest
from tests.conftest import WORKER_A1, WORKER_A2, community

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, the last day of November
HELPER = 5001
H = timedelta(hours=1)


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    moved = ManualClock(T0)
    previous = clock.use(moved)
    try:
        yield moved
    finally:
        clock.use(previous)


@dataclass
class Community:
    db: Database
    settings: Settings
    directory: Directory


@pytest.fixture
async def town(tmp_path: Path, manual: ManualClock) -> AsyncIterator[Community]:
    settings = community(tmp_path / "kpi.sqlite3")
    db = await Database.open(settings.database.path)
    try:
        await db.migrate()
        await sync_with_config(db, settings)
        book = await DirectoryBook.open(db)
        yield Community(db, settings, book.current)
    finally:
        await db.close()


class Writer:
    """Writes a request's life the way bot/core.py does, at the times given."""

    def __init__(self, db: Database, manual: ManualClock) -> None:
        self.db, self.clock = db, manual

    async def file(self, at: datetime, grid: str, building: str, kind: str = "repair") -> int:
        self.clock.set(at)
        async with self.db.transaction() as conn:
            request = await store.insert(
                conn,
                NewRequest(
                    kind=kind,
                    category="water" if kind == "repair" else "companionship",
                    description="Pipe leaks",
                    building=building,
                    unit=None,
                    photos=[],
                    reporter_id=1001,
                    filed_by=None,
                    grid_id=grid,
                    status="open" if kind == "repair" else "submitted",
                    claim_due_at=at + 2 * H if kind == "repair" else None,
                ),
            )
            await store.add_event(
                conn, request.id, "filed", actor_id=1001, actor_name="Alice", to_status="open"
            )
        return request.id

    async def act(
        self,
        request_id: int,
        at: datetime,
        action: str,
        to: str | None = None,
        who: tuple[int, str] = (1001, "Alice"),
        note: str | None = None,
        **fields: object,
    ) -> None:
        self.clock.set(at)
        async with self.db.transaction() as conn:
            request = await store.get(conn, request_id)
            assert request is not None
            if action == "ask":
                await store.pause_clock(conn, request_id, at)
            elif action == "answer":
                await store.resume_clock(conn, request_id, at)
            if to is not None:
                assert await store.change_status(conn, request_id, [request.status], to, **fields)
            await store.add_event(
                conn,
                request_id,
                action,
                actor_id=who[0],
                actor_name=who[1],
                from_status=request.status if to else None,
                to_status=to,
                note=note,
            )


W1 = (WORKER_A1, "Wang A1")
W2 = (WORKER_A2, "Li A2")


async def _data_set(db: Database, manual: ManualClock) -> dict[str, int]:
    """Seven repairs and a wish (claim deadline 2 h, resolve deadline 24 h)."""
    w = Writer(db, manual)
    ids: dict[str, int] = {}
    # R1, grid A: claimed after 1 h, resolved after 5 h, rated 5.
    ids["r1"] = r1 = await w.file(T0, "A", "1")
    await w.act(r1, T0 + H, "claim", "claimed", W1, resolve_due_at=T0 + 25 * H)
    await w.act(r1, T0 + 5 * H, "resolve", "resolved", W1)
    await w.act(r1, T0 + 6 * H, "rate", "closed", note="5", rating=5)
    # R2, grid A: claimed late (3 h); a question stops the clock for 10 h, so its resolution
    # after 30 h is in time (27 h without the pause, 37 h with it); rated 3.
    ids["r2"] = r2 = await w.file(T0, "A", "2")
    await w.act(r2, T0 + 3 * H, "claim", "claimed", W2, resolve_due_at=T0 + 27 * H)
    await w.act(r2, T0 + 4 * H, "ask", who=W2, note="Which floor?")
    await w.act(r2, T0 + 14 * H, "answer", note="Third")
    await w.act(r2, T0 + 30 * H, "resolve", "resolved", W2)
    await w.act(r2, T0 + 31 * H, "rate", "closed", note="3", rating=3)
    # R3, grid A: a question never answered; resolved after 40 h while the clock stood still
    # since hour 20 (deadline 25 h + 20 h = 45 h: in time); never rated.
    ids["r3"] = r3 = await w.file(T0, "A", "1")
    await w.act(r3, T0 + H, "claim", "claimed", W1, resolve_due_at=T0 + 25 * H)
    await w.act(r3, T0 + 20 * H, "ask", who=W1, note="Are you home?")
    await w.act(r3, T0 + 40 * H, "resolve", "resolved", W1)
    # R4, grid A: filed an hour before now, still waiting within its claim deadline.
    ids["r4"] = await w.file(NOW - H, "A", "2")
    # R5, grid B: nobody claimed it: late, and overdue now.
    ids["r5"] = await w.file(T0, "B", "3")
    # R6, grid B: cancelled by its resident before its claim deadline: not counted.
    ids["r6"] = r6 = await w.file(T0, "B", "3")
    await w.act(r6, T0 + H / 2, "cancel", "cancelled")
    # R7, grid A: filed in October, claimed, past its resolve deadline: overdue now, but not
    # one of November's requests.
    october = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    ids["r7"] = r7 = await w.file(october, "A", "1")
    await w.act(r7, october + H, "claim", "claimed", W1, resolve_due_at=october + 25 * H)
    # A wish: published, claimed by a volunteer, fulfilled, 10 points.
    async with db.transaction() as conn:
        await volunteers.put(conn, HELPER, "Helper", "resident", None)
    ids["w1"] = wish = await w.file(T0, "A", "1", kind="wish")
    await w.act(wish, T0 + H, "publish", "published", (900, "Admin"))
    helper = (HELPER, "Helper")
    await w.act(wish, T0 + 2 * H, "claim", "claimed", helper, assignee_id=HELPER)
    await w.act(wish, T0 + 3 * H, "fulfil", "fulfilled", helper)
    async with db.transaction() as conn:
        await volunteers.credit_wish(conn, HELPER, 10, wish)
    manual.set(NOW)
    return ids


NOVEMBER = kpi.Period(
    datetime(2026, 11, 1, tzinfo=TZ),
    datetime(2026, 12, 1, tzinfo=TZ),
    date(2026, 11, 1),
    date(2026, 11, 30),
)


async def test_the_rates_on_a_known_data_set(town: Community, manual: ManualClock) -> None:
    await _data_set(town.db, manual)
    report = await stats.report(town.db, town.settings, town.directory, NOVEMBER, None, NOW)
    total = report.total
    assert total.received == 6  # R1–R6; the wish and October's R7 are not repairs of November
    assert total.response == Rate(2, 4)  # R1, R3 in time; R2 late, R5 never; R4 not yet due
    assert total.resolution == Rate(3, 4)  # R1, R2 (paused), R3 (paused); R5 is overdue
    assert total.satisfaction == Rate(1, 2)  # R1's 5 of R1 and R2; R3 was never rated
    assert (total.response.percent, total.resolution.percent) == (50, 75)
    assert total.to_claim == H  # 1, 3, 1 hours
    assert total.to_resolve == 30 * H  # 5, 30, 40 hours
    assert (report.open_now, report.overdue_now) == (3, 2)  # R4, R5, R7; R5 and R7

    grids = {line.key: line for line in report.grids}
    assert list(grids) == ["A", "B", "C", "D"]
    a, b = grids["A"], grids["B"]
    assert a.figures.received == 4
    assert (a.figures.response, a.figures.resolution) == (Rate(2, 3), Rate(3, 3))
    assert a.figures.response.percent == 67
    assert (a.open_now, a.overdue_now) == (2, 1)
    assert (b.figures.received, b.figures.response, b.figures.resolution) == (
        2,
        Rate(0, 1),
        Rate(0, 1),
    )
    assert b.figures.satisfaction.percent is None
    assert (b.open_now, b.overdue_now) == (1, 1)

    workers = {w.name: w.figures for w in report.workers}
    assert set(workers) == {"Wang A1", "Li A2"}
    assert workers["Wang A1"].received == 2  # R1, R3
    assert workers["Wang A1"].resolution == Rate(2, 2)
    assert workers["Wang A1"].satisfaction == Rate(1, 1)
    assert workers["Li A2"].response == Rate(0, 1)
    assert workers["Li A2"].satisfaction == Rate(0, 1)

    assert report.wishes is not None
    assert report.wishes.by_kind["companionship"] == {
        "received": 1,
        "published": 1,
        "claimed": 1,
        "fulfilled": 1,
    }
    assert (report.wishes.volunteers_active, report.wishes.points_earned) == (1, 10)

    # One week of November holds all of R1–R3, R5, R6; the last one R4.
    assert report.weekly["A"][date(2026, 11, 9)].received == 3
    assert report.weekly["A"][date(2026, 11, 30)].received == 1
    assert report.weekly["B"][date(2026, 11, 9)].resolution == Rate(0, 1)


async def test_a_paused_deadline_moves_by_the_time_it_stood_still(
    town: Community, manual: ManualClock
) -> None:
    ids = await _data_set(town.db, manual)
    async with town.db.read() as conn:
        facts = {
            f.id: f for f in await kpi_store.received(conn, NOVEMBER.since, NOVEMBER.until, None)
        }
    r2, r3 = facts[ids["r2"]], facts[ids["r3"]]
    # Answered: the stored deadline was moved on by the 10 hours of the pause.
    assert r2.resolve_due_at == T0 + 37 * H
    assert kpi.resolve_deadline(r2, T0 + 30 * H) == T0 + 37 * H
    # Not answered when resolved: the 20 hours since the question do not count either.
    assert kpi.resolve_deadline(r3, T0 + 40 * H) == T0 + 45 * H
    assert kpi.outcome(r3, NOW).resolution is Verdict.ON_TIME
    assert kpi.outcome(facts[ids["r4"]], NOW).response is Verdict.PENDING
    assert kpi.outcome(facts[ids["r6"]], NOW).response is Verdict.EXCLUDED
    # An hour later R4 is past its claim deadline: late, and overdue.
    later = NOW + 2 * H
    assert kpi.outcome(facts[ids["r4"]], later).response is Verdict.LATE
    assert kpi.outcome(facts[ids["r4"]], later).resolution is Verdict.LATE


async def test_a_worker_sees_only_their_grid(town: Community, manual: ManualClock) -> None:
    await _data_set(town.db, manual)
    report = await stats.report(town.db, town.settings, town.directory, NOVEMBER, ["B"], NOW)
    assert [line.key for line in report.grids] == ["B"]
    assert report.total.received == 2
    assert (report.open_now, report.overdue_now) == (1, 1)
    assert report.workers == ()
    assert report.wishes is None  # the center's wishes are for admins
    text = "\n".join(stats.pages(report, "en", "Grid B"))
    assert "Grid A" not in text and "Grid B: received 2" in text
    assert "Response rate (claimed in time): 0% (0/1)" in text


async def test_the_text_fits_and_pages_when_long(town: Community, manual: ManualClock) -> None:
    await _data_set(town.db, manual)
    report = await stats.report(town.db, town.settings, town.directory, NOVEMBER, None, NOW)
    text = stats.pages(report, "zh", "全部网格")
    assert len(text) == 1
    assert "响应率(按时认领):50%(2/4)" in text[0]
    assert "解决用时中位数:30小时0分" in text[0]
    many = [report.workers[0]] * 300
    long = stats.pages(stats.Report(**{**report.__dict__, "workers": tuple(many)}), "en", "all")
    assert len(long) > 1 and all(len(page) <= 4000 for page in long)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("", date(2026, 11, 1), date(2026, 11, 30)),
        ("month", date(2026, 11, 1), date(2026, 11, 30)),
        ("本月", date(2026, 11, 1), date(2026, 11, 30)),
        ("week", date(2026, 11, 30), date(2026, 12, 6)),  # NOW is a Monday
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-05", date(2026, 11, 5), date(2026, 11, 5)),
    ],
)
def test_periods(text: str, first: date, last: date) -> None:
    period = kpi.period_of(text, NOW, TZ, ("week",), ("month", "本月"))
    assert period is not None
    assert (period.first, period.last) == (first, last)
    assert period.since == datetime.combine(first, datetime.min.time(), tzinfo=TZ)
    assert period.until - period.since == (last - first) + timedelta(days=1)


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2026-13", "2026-02-30", "2026-11-30..2026-11-01", "2025-01-01..2026-06-01"],
)
def test_bad_periods(text: str) -> None:
    assert kpi.period_of(text, NOW, TZ, ("week",), ("month",)) is None


async def test_the_chart_draws_chinese_names_only_with_a_cjk_font(
    town: Community, manual: ManualClock
) -> None:
    await _data_set(town.db, manual)
    report = await stats.report(town.db, town.settings, town.directory, NOVEMBER, None, NOW)
    chinese = stats.Report(
        **{
            **report.__dict__,
            "grids": tuple(
                stats.GridLine(g.key, f"东区{g.key}", g.figures, g.open_now, g.overdue_now)
                for g in report.grids
            ),
        }
    )
    # Without a CJK font: English labels, grids by their id (no empty boxes, no warning).
    plain = stats.chart(chinese, "zh", cjk=False)
    assert [s.label for s in plain.series] == ["A", "B", "C", "D"]
    assert plain.received_label == "Received"
    assert plain.weeks == ("10-26", "11-02", "11-09", "11-16", "11-23", "11-30")
    assert plain.series[0].received == (0, 0, 3, 0, 0, 1)
    assert plain.series[0].in_time[2] == 100.0 and plain.series[0].in_time[0] is None
    assert charts.draw(plain, None).startswith(b"\x89PNG")
    # With one, the names and the reader's language (drawn with any CJK font the machine has).
    rich = stats.chart(chinese, "zh", cjk=True)
    assert rich.series[0].label == "东区A" and rich.received_label == "受理数"
    font = cjk_font_path()
    if font is not None:
        assert charts.draw(rich, font).startswith(b"\x89PNG")


async def test_an_unanswered_question_does_not_stop_the_next_claims_clock(
    town: Community, manual: ManualClock
) -> None:
    """Asked, resolved unanswered, reopened, claimed again: the new resolve deadline runs (is
    reminded of and counted overdue), and a new question stops it from its own time."""
    db, settings = town.db, town.settings
    repairs = Requests(db, settings, await DirectoryBook.open(db), "test_bot")
    alice, wang = Actor(1001, "Alice"), Actor(WORKER_A1, "Wang A1")
    async with db.transaction() as conn:
        await users.ensure(conn, alice.user_id, alice.name, "en")
        await users.register(conn, alice.user_id, "1", "2-301", None)
        await dialogs.save(conn, Dialog(alice.user_id, "report", "confirm", {}))
    draft = Draft("repair", category="water", building="1", description="Pipe leaks")
    filed = await repairs.file(alice, draft)
    assert filed.request is not None
    rid = filed.request.id
    assert (await repairs.apply(wang, rid, Action.CLAIM)).ok
    manual.advance(hours=1)
    assert (await repairs.apply(wang, rid, Action.ASK, note="Are you home?")).ok
    manual.advance(hours=1)
    assert (await repairs.apply(wang, rid, Action.RESOLVE, note="Done")).ok
    assert (await repairs.apply(alice, rid, Action.NOT_FIXED)).ok
    manual.advance(hours=1)
    assert (await repairs.apply(wang, rid, Action.CLAIM)).ok
    manual.advance(hours=25)  # past the new 24-hour deadline
    async with db.read() as conn:
        late = await store.due_before(conn, "resolve_due_at", ("claimed",), clock.now())
        (facts,) = await kpi_store.open_now(conn, kpi.OPEN, None)
    assert [r.id for r in late] == [rid]
    assert facts.paused_at is None and kpi.overdue(facts, clock.now())
    # A new question pauses from its own time; the answer moves the deadline by that much.
    before = facts.resolve_due_at
    assert before is not None
    assert (await repairs.apply(wang, rid, Action.ASK, note="Which floor?")).ok
    manual.advance(hours=2)
    assert (await repairs.apply(alice, rid, Action.ANSWER, note="Third")).ok
    async with db.read() as conn:
        request = await store.get(conn, rid)
    assert request is not None and request.resolve_due_at == before + 2 * H


def test_the_workbook_keeps_dates_as_dates_and_text_as_text() -> None:
    book = ledger.Ledger(
        [
            ledger.Sheet(
                "诉求",
                ["编号", "受理时间", "日期", "备注"],
                [["R-0001", T0, date(2026, 11, 16), '=HYPERLINK("http://x","点我")\x07']],
            )
        ],
        1,
        0,
        0,
    )
    read = load_workbook(io.BytesIO(ledger.workbook(book, TZ)))
    sheet = read["诉求"]
    assert [c.value for c in sheet[1]] == ["编号", "受理时间", "日期", "备注"]
    _, filed, day, note = sheet[2]
    assert filed.value == datetime(2026, 11, 10, 10, 0)  # Shanghai time, naive
    assert filed.number_format == "yyyy-mm-dd hh:mm" and filed.is_date
    assert day.value == datetime(2026, 11, 16) and day.number_format == "yyyy-mm-dd"
    assert note.data_type == "s" and note.value == '=HYPERLINK("http://x","点我")'
