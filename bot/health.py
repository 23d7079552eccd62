"""/health: the figures an admin checks when something seems wrong (no telegram here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.limits import fit
from storage import backups, health, inbox
from storage.db import Database
from storage.health import OutboxFigures
from storage.inbox import InboxFigures

REASONS_SHOWN = 8


@dataclass(frozen=True)
class Intake:
    """What the running process knows of its updates (not in the database)."""

    mode: str  # polling | webhook
    last_poll: datetime | None
    last_webhook: datetime | None
    fault: str | None


@dataclass(frozen=True)
class Health:
    outbox: OutboxFigures
    inbox: InboxFigures
    intake: Intake
    database_bytes: int
    last_backup: datetime | None


async def gather(db: Database, path: str, intake: Intake, asking: int | None = None) -> Health:
    """The figures; `asking`: the update of the /health being answered (not a backlog)."""
    async with db.read() as conn:
        outbox = await health.outbox_figures(conn)
        figures = await inbox.figures(conn, asking)
        backup = await backups.last_backup(conn, ok=True)
    taken = backup.taken_at if backup else None
    return Health(outbox, figures, intake, health.database_bytes(Path(path)), taken)


def age(since: datetime, now: datetime) -> str:
    """h:mm:ss, the same in every language."""
    seconds = max(0, int((now - since) / timedelta(seconds=1)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def render(report: Health, lang: str, now: datetime, tz: ZoneInfo) -> str:
    def when(moment: datetime | None) -> str:
        if moment is None:
            return t(lang, "health.never")
        local = moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        return t(lang, "health.at", at=local, ago=age(moment, now))

    out, box, intake = report.outbox, report.inbox, report.intake
    lines = [t(lang, "health.title")]
    if out.oldest_waiting is None:
        lines.append(t(lang, "health.outbox_empty"))
    else:
        lines.append(t(lang, "health.outbox", n=out.waiting, age=age(out.oldest_waiting, now)))
    lines.append(t(lang, "health.parked", n=sum(out.parked.values())))
    for (status, reason), count in list(out.parked.items())[:REASONS_SHOWN]:
        lines.append(t(lang, "health.reason", what=status, reason=reason or "-", n=count))
    lines.append(t(lang, "health.inbox", n=box.pending, skipped=box.skipped))
    for reason, count in list(box.skipped_by_reason.items())[:REASONS_SHOWN]:
        lines.append(t(lang, "health.reason", what="skipped", reason=reason[:80], n=count))
    if intake.mode == "webhook":
        lines.append(t(lang, "health.last_webhook", when=when(intake.last_webhook)))
    else:
        lines.append(t(lang, "health.last_poll", when=when(intake.last_poll)))
    if intake.fault:
        lines.append(t(lang, "health.fault", fault=intake.fault))
    mb = f"{report.database_bytes / 1_000_000:.1f}"
    lines.append(t(lang, "health.database", mb=mb))
    if report.last_backup is None:
        lines.append(t(lang, "health.no_backup"))
    else:
        lines.append(t(lang, "health.backup", when=when(report.last_backup)))
    return fit("\n".join(lines))
