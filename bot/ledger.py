"""The ledger (台账) of a period as an .xlsx workbook: requests with their timeline, every
event, wishes, the points ledger and event sign-ups. Gathered from the database (async), then
written by openpyxl (blocking: the caller runs `workbook` in a thread).

Times are stored in UTC; the workbook shows them as local date cells (the configured timezone,
naive, with a date format), so a spreadsheet sorts and filters them as dates.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from bot import kpi, render
from bot.directory import Directory
from bot.i18n import t
from bot.kinds import policy_of
from bot.kpi import Period, Verdict
from storage import kpi as requests_store
from storage import ledger as store
from storage.db import Database
from storage.kpi import Facts

DATE_TIME = "yyyy-mm-dd hh:mm"
DAY = "yyyy-mm-dd"
Cell = str | int | float | datetime | date | None


@dataclass(frozen=True)
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Ledger:
    sheets: list[Sheet]
    requests: int
    events: int
    wishes: int


def _last(facts: Facts, *actions: str) -> datetime | None:
    return next((s.at for s in reversed(facts.steps) if s.action in actions), None)


def _first(facts: Facts, *actions: str) -> datetime | None:
    return next((s.at for s in facts.steps if s.action in actions), None)


def _closed(facts: Facts) -> datetime | None:
    return next((s.at for s in reversed(facts.steps) if s.to_status == "closed"), None)


def _holder(facts: Facts) -> str | None:
    return next((s.actor_name for s in reversed(facts.steps) if s.action == "claim"), None)


def _verdict(lang: str, verdict: Verdict) -> str:
    if verdict is Verdict.ON_TIME:
        return t(lang, "export.yes")
    if verdict is Verdict.LATE:
        return t(lang, "export.no")
    return t(lang, "export.not_yet")


async def gather(
    db: Database,
    directory: Directory,
    period: Period,
    lang: str,
    now: datetime,
) -> Ledger:
    since, until = period.since, period.until
    async with db.read() as conn:
        requests = await requests_store.received(conn, since, until, None, actions=None)
        wishes = await requests_store.received(
            conn, since, until, None, except_kinds=(), kinds=("wish",), actions=None
        )
        events = await store.events_between(conn, since, until)
        points = await store.points_between(conn, since, until)
        earned = await store.points_for(conn, [w.id for w in wishes])
        signups = await store.signups_between(conn, period.first, period.last)

    def grid_name(key: str) -> str:
        grid = directory.grid(key)
        return grid.name if grid else key

    kinds = {"repair": t(lang, "export.kind_repair"), "wish": t(lang, "export.kind_wish")}

    def number(kind: str, seq: int) -> str:
        return policy_of(kind).number(seq)

    request_rows: list[list[Cell]] = []
    for facts in requests:
        outcome = kpi.outcome(facts, now)
        request_rows.append(
            [
                number(facts.kind, facts.seq),
                kinds.get(facts.kind, facts.kind),
                render.category_name(directory, lang, facts.kind, facts.category),
                facts.building,
                grid_name(facts.grid_id),
                render.status_name(lang, facts.status),
                outcome.filed_at,
                outcome.claimed_at,
                _holder(facts),
                outcome.resolved_at,
                _closed(facts),
                outcome.rating,
                _verdict(lang, outcome.response),
                _verdict(lang, outcome.resolution),
            ]
        )
    event_rows: list[list[Cell]] = [
        [
            number(e.kind, e.seq),
            e.at,
            # No name but a person: one who asked to be forgotten.
            e.actor_name
            if e.actor_name is not None or e.actor_id is None
            else t(lang, "privacy.erased_name"),
            e.action,
            render.status_name(lang, e.from_status) if e.from_status else None,
            render.status_name(lang, e.to_status) if e.to_status else None,
            e.note,
        ]
        for e in events
    ]
    wish_rows: list[list[Cell]] = [
        [
            number(w.kind, w.seq),
            render.category_name(directory, lang, w.kind, w.category),
            w.building,
            grid_name(w.grid_id),
            render.status_name(lang, w.status),
            _first(w, "filed"),
            _first(w, "publish"),
            _first(w, "claim"),
            _holder(w),
            _last(w, "fulfil"),
            _closed(w),
            earned.get(w.id),
        ]
        for w in wishes
    ]
    point_rows: list[list[Cell]] = [
        [
            p.user_id,
            p.name,
            p.delta,
            p.reason,
            number(p.kind, p.seq) if p.kind is not None and p.seq is not None else None,
            p.note,
            p.by_id,
            p.at,
        ]
        for p in points
    ]
    signup_rows: list[list[Cell]] = [
        [s.name_zh if lang == "zh" else s.name_en, s.day, s.user_id, s.name, s.at] for s in signups
    ]

    def sheet(key: str, head: str, rows: list[list[Cell]]) -> Sheet:
        return Sheet(t(lang, key), t(lang, head).split("|"), rows)

    return Ledger(
        [
            sheet("export.sheet_requests", "export.head_requests", request_rows),
            sheet("export.sheet_events", "export.head_events", event_rows),
            sheet("export.sheet_wishes", "export.head_wishes", wish_rows),
            sheet("export.sheet_points", "export.head_points", point_rows),
            sheet("export.sheet_signups", "export.head_signups", signup_rows),
        ],
        len(request_rows),
        len(event_rows),
        len(wish_rows),
    )


def _cell_value(value: Cell, tz: tzinfo) -> tuple[Any, str | None]:
    """What a cell holds and its number format: local naive times, text without characters
    a workbook cannot hold."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz).replace(tzinfo=None)
        return value.replace(microsecond=0), DATE_TIME
    if isinstance(value, date):
        return value, DAY
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value), None
    return value, None


def workbook(ledger: Ledger, tz: tzinfo) -> bytes:
    """The workbook as .xlsx bytes."""
    # Imported at the first export, not at start-up (a tenth of a second the bot's start
    # does not need).
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for sheet in ledger.sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.append(sheet.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [max(len(h) * 2, 10) for h in sheet.header]
        for r, row in enumerate(sheet.rows, start=2):
            for c, raw in enumerate(row, start=1):
                value, number_format = _cell_value(raw, tz)
                cell = ws.cell(row=r, column=c, value=value)
                if number_format is not None:
                    cell.number_format = number_format
                    widths[c - 1] = max(widths[c - 1], 17)
                elif isinstance(value, str):
                    # Typed text stays text: "=…" from a resident is never a formula.
                    cell.data_type = "s"
                    widths[c - 1] = min(max(widths[c - 1], len(value) + 2), 60)
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(period: Period) -> str:
    return f"ledger-{period.first.isoformat()}_{period.last.isoformat()}.xlsx"
