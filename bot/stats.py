"""/stats: the KPIs of a period for all grids (admins) or one's own grid (workers), as text
pages that fit Telegram's limit by construction and as the data of a weekly chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import kpi
from bot.charts import Chart, Series
from bot.directory import Directory
from bot.i18n import t
from bot.kpi import Figures, Outcome, Period, Rate
from bot.render import paginate
from bot.settings import Settings
from storage import figures as ledger_figures
from storage import kpi as store
from storage.db import Database
from storage.figures import WishFigures


@dataclass(frozen=True)
class GridLine:
    key: str
    name: str
    figures: Figures
    open_now: int
    overdue_now: int


@dataclass(frozen=True)
class WorkerLine:
    user_id: int
    name: str
    grids: str  # the grids of the requests counted, by name
    figures: Figures


@dataclass(frozen=True)
class Report:
    period: Period
    all_grids: bool
    total: Figures
    open_now: int
    overdue_now: int
    grids: tuple[GridLine, ...]
    workers: tuple[WorkerLine, ...]
    weeks: tuple[date, ...]  # Mondays
    weekly: dict[str, dict[date, Figures]]  # grid key -> Monday -> figures of that week
    wishes: WishFigures | None  # the center's wishes (for admins)


async def report(
    db: Database,
    settings: Settings,
    directory: Directory,
    period: Period,
    grids: list[str] | None,
    now: datetime,
) -> Report:
    """The figures of the requests received in the period, of `grids` (None: every grid)."""
    tz = settings.community.tz
    async with db.read() as conn:
        received = await store.received(conn, period.since, period.until, grids)
        still_open = await store.open_now(conn, kpi.OPEN, grids)
        wishes = (
            await ledger_figures.wish_figures(conn, period.since, period.until, tz)
            if grids is None
            else None
        )
    outcomes = [kpi.outcome(f, now) for f in received]
    overdue_keys = [f.grid_id for f in still_open if kpi.overdue(f, now)]
    by_grid: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_grid[o.grid].append(o)
    # Every grid in scope, with nothing received or not; retired ones only if they count.
    keys = [g.id for g in directory.active_grids if grids is None or g.id in grids]
    keys += sorted(k for k in {*by_grid, *(f.grid_id for f in still_open)} if k not in keys)
    lines = []
    for key in keys:
        grid = directory.grid(key)
        lines.append(
            GridLine(
                key,
                grid.name if grid else key,
                kpi.figures(by_grid.get(key, [])),
                sum(f.grid_id == key for f in still_open),
                overdue_keys.count(key),
            )
        )
    by_worker: dict[int, list[Outcome]] = defaultdict(list)
    names: dict[int, str] = {}
    for o in outcomes:
        if o.worker is not None:
            by_worker[o.worker[0]].append(o)
            names[o.worker[0]] = o.worker[1]
    workers = []
    for user_id, theirs in sorted(by_worker.items(), key=lambda item: names[item[0]]):
        grid_names = []
        for key in dict.fromkeys(o.grid for o in theirs):
            grid = directory.grid(key)
            grid_names.append(grid.name if grid else key)
        workers.append(
            WorkerLine(user_id, names[user_id], ", ".join(grid_names), kpi.figures(theirs))
        )
    mondays = kpi.weeks(period)
    weekly: dict[str, dict[date, Figures]] = {}
    for key in keys:
        per_week: dict[date, list[Outcome]] = defaultdict(list)
        for o in by_grid.get(key, []):
            per_week[kpi.week_of(o.filed_at, tz)].append(o)
        weekly[key] = {m: kpi.figures(per_week.get(m, [])) for m in mondays}
    return Report(
        period,
        grids is None,
        kpi.figures(outcomes),
        len(still_open),
        len(overdue_keys),
        tuple(lines),
        tuple(workers),
        tuple(mondays),
        weekly,
        wishes,
    )


# --- text --------------------------------------------------------------------------------


def rate_text(lang: str, rate: Rate) -> str:
    if rate.percent is None:
        return t(lang, "stats.no_rate")
    return t(lang, "stats.rate", pct=rate.percent, hits=rate.hits, counted=rate.counted)


def span_text(lang: str, span: timedelta | None) -> str:
    """A duration as a supervisor reads it: 45 min, 5 h 20 min, 3 d 4 h."""
    if span is None:
        return t(lang, "stats.no_rate")
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return t(lang, "stats.minutes", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return t(lang, "stats.hours", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return t(lang, "stats.days", d=days, h=hours)


def pages(report: Report, lang: str, scope: str) -> list[str]:
    """The report as text pages, each within Telegram's limit."""
    total = report.total
    head = t(
        lang,
        "stats.head",
        first=report.period.first.isoformat(),
        last=report.period.last.isoformat(),
        scope=scope,
    )
    items = [
        t(
            lang,
            "stats.totals",
            received=total.received,
            response=rate_text(lang, total.response),
            resolution=rate_text(lang, total.resolution),
            satisfaction=rate_text(lang, total.satisfaction),
            to_claim=span_text(lang, total.to_claim),
            to_resolve=span_text(lang, total.to_resolve),
            open=report.open_now,
            overdue=report.overdue_now,
        ),
        t(lang, "stats.by_grid"),
    ]
    for line in report.grids:
        f = line.figures
        items.append(
            t(
                lang,
                "stats.grid_line",
                grid=line.name,
                received=f.received,
                response=rate_text(lang, f.response),
                resolution=rate_text(lang, f.resolution),
                satisfaction=rate_text(lang, f.satisfaction),
                open=line.open_now,
                overdue=line.overdue_now,
            )
        )
    items.append(t(lang, "stats.by_worker"))
    if not report.workers:
        items.append(t(lang, "stats.no_workers"))
    for worker in report.workers:
        f = worker.figures
        items.append(
            t(
                lang,
                "stats.worker_line",
                name=worker.name,
                grid=worker.grids,
                received=f.received,
                response=rate_text(lang, f.response),
                resolution=rate_text(lang, f.resolution),
                satisfaction=rate_text(lang, f.satisfaction),
                to_resolve=span_text(lang, f.to_resolve),
            )
        )
    wishes = report.wishes
    if wishes is not None:
        steps = {step: sum(k.get(step, 0) for k in wishes.by_kind.values()) for step in STEPS}
        items.append(
            t(
                lang,
                "stats.wishes",
                **steps,
                registered=wishes.volunteers_registered,
                active=wishes.volunteers_active,
                earned=wishes.points_earned,
                redeemed=wishes.points_redeemed,
            )
        )
    return paginate(head + "\n", items)


STEPS = ("received", "published", "claimed", "fulfilled")


def chart(report: Report, lang: str, cjk: bool) -> Chart:
    """The chart's data; without a CJK font, English labels and grids by their id when their
    name is not in Latin letters (so nothing shows as empty boxes)."""
    if not cjk:
        lang = "en"

    def label(n: int, line: GridLine) -> str:
        if cjk or line.name.isascii():
            return line.name
        return line.key if line.key.isascii() else f"#{n + 1}"

    return Chart(
        title=t(
            lang,
            "stats.chart_title",
            first=report.period.first.isoformat(),
            last=report.period.last.isoformat(),
        ),
        weeks=tuple(monday.strftime("%m-%d") for monday in report.weeks),
        received_label=t(lang, "stats.chart_received"),
        in_time_label=t(lang, "stats.chart_in_time"),
        series=tuple(
            Series(
                label(n, line),
                tuple(report.weekly[line.key][m].received for m in report.weeks),
                tuple(
                    None
                    if (p := report.weekly[line.key][m].resolution.percent) is None
                    else float(p)
                    for m in report.weeks
                ),
            )
            for n, line in enumerate(report.grids)
        ),
    )
