"""What the ledger export (台账) reads besides the requests: every event of a period, the
points ledger and the event sign-ups. Read as they are stored: nothing is kept twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.db import fetch_all, iso, parse_iso


@dataclass(frozen=True)
class EventRow:
    kind: str
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass(frozen=True)
class PointsRow:
    user_id: int
    name: str | None
    delta: int
    reason: str
    kind: str | None  # of the wish it was earned for
    seq: int | None
    note: str | None
    by_id: int | None
    at: datetime


@dataclass(frozen=True)
class SignupRow:
    key: str
    name_zh: str
    name_en: str
    day: date
    user_id: int
    name: str | None
    at: datetime


async def events_between(
    conn: aiosqlite.Connection, since: datetime, until: datetime
) -> list[EventRow]:
    """Every event of any request in [since, until), in order."""
    rows = await fetch_all(
        conn,
        "SELECT r.kind, r.seq, e.at, e.actor_id, e.actor_name, e.action, e.from_status, "
        "e.to_status, e.note FROM events e JOIN requests r ON r.id = e.request_id "
        "WHERE e.at >= ? AND e.at < ? ORDER BY e.id",
        (iso(since), iso(until)),
    )
    return [
        EventRow(
            r["kind"],
            r["seq"],
            parse_iso(r["at"]),
            r["actor_id"],
            r["actor_name"],
            r["action"],
            r["from_status"],
            r["to_status"],
            r["note"],
        )
        for r in rows
    ]


async def points_between(
    conn: aiosqlite.Connection, since: datetime, until: datetime
) -> list[PointsRow]:
    """Every row of the points ledger in [since, until), with the volunteer's name."""
    rows = await fetch_all(
        conn,
        "SELECT p.*, COALESCE(v.name, u.name) AS name, r.kind, r.seq FROM points p "
        "LEFT JOIN volunteers v ON v.user_id = p.user_id "
        "LEFT JOIN users u ON u.user_id = p.user_id "
        "LEFT JOIN requests r ON r.id = p.request_id "
        "WHERE p.at >= ? AND p.at < ? ORDER BY p.id",
        (iso(since), iso(until)),
    )
    return [
        PointsRow(
            r["user_id"],
            r["name"],
            r["delta"],
            r["reason"],
            r["kind"],
            r["seq"],
            r["note"],
            r["by_id"],
            parse_iso(r["at"]),
        )
        for r in rows
    ]


async def points_for(conn: aiosqlite.Connection, request_ids: list[int]) -> dict[int, int]:
    """The points each of these wishes earned its volunteer."""
    if not request_ids:
        return {}
    marks = ",".join("?" * len(request_ids))
    return {
        row[0]: row[1]
        for row in await fetch_all(
            conn,
            f"SELECT request_id, SUM(delta) FROM points WHERE reason = 'wish' "
            f"AND request_id IN ({marks}) GROUP BY request_id",
            request_ids,
        )
    }


async def signups_between(conn: aiosqlite.Connection, first: date, last: date) -> list[SignupRow]:
    """Sign-ups for the events on the days first..last, by day."""
    rows = await fetch_all(
        conn,
        "SELECT s.key, s.name_zh, s.name_en, g.day, g.user_id, u.name, g.at "
        "FROM event_signups g JOIN event_series s ON s.id = g.series_id "
        "LEFT JOIN users u ON u.user_id = g.user_id "
        "WHERE g.day >= ? AND g.day <= ? ORDER BY g.day, s.key, g.at",
        (first.isoformat(), last.isoformat()),
    )
    return [
        SignupRow(
            r["key"],
            r["name_zh"],
            r["name_en"],
            date.fromisoformat(r["day"]),
            r["user_id"],
            r["name"],
            parse_iso(r["at"]),
        )
        for r in rows
    ]
