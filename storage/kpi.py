"""What the KPIs read: requests with their events, straight from the events table. The
deadlines are the ones stored on the request (set when it was filed and claimed, moved on by
the time its clock stood still); everything else comes from its events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import iso
from storage.requests import BY_STATUS

# The events that decide a request's figures; notes, follows and the like do not.
KPI_ACTIONS = (
    "filed",
    "claim",
    "hand_back",
    "ask",
    "answer",
    "resolve",
    "not_fixed",
    "rate",
    "cancel",
    "merge",
)


@dataclass(frozen=True)
class Step:
    """One event of a request, as the figures read it."""

    action: str
    at: datetime
    actor_id: int | None
    actor_name: str | None
    note: str | None
    to_status: str | None = None


@dataclass(frozen=True)
class Facts:
    """A request as the figures see it: where it belongs, its deadlines, its events."""

    id: int
    kind: str
    seq: int
    category: str
    building: str
    grid_id: str
    status: str
    claim_due_at: datetime | None
    resolve_due_at: datetime | None  # of its latest claim, moved on by every answered pause
    paused_at: datetime | None
    steps: tuple[Step, ...]


async def _facts(
    conn: aiosqlite.Connection,
    where: str,
    params: Sequence[object],
    actions: Sequence[str] | None = KPI_ACTIONS,
    indexed_by: str = "",
) -> list[Facts]:
    """Requests matching `where`, each with its events of `actions` (None: every event)."""
    only = f"AND e.action IN ({','.join('?' * len(actions))}) " if actions is not None else ""
    by = f"INDEXED BY {indexed_by} " if indexed_by else ""
    async with conn.execute(
        "SELECT r.id, r.kind, r.seq, r.category, r.building, r.grid_id, r.status, "
        "r.claim_due_at, r.resolve_due_at, r.paused_at, e.action, e.at, e.actor_id, "
        "e.actor_name, e.note, e.to_status "
        f"FROM requests r {by}LEFT JOIN events e ON e.request_id = r.id {only}"
        f"WHERE {where} ORDER BY r.id, e.id",
        (*(actions or ()), *params),
    ) as cur:
        # Plain tuples, read by position: a month holds tens of thousands of these rows.
        cur.row_factory = None  # tuples (sqlite3's default)
        rows = list(await cur.fetchall())
    found: list[Facts] = []
    steps: list[Step] = []
    parse = datetime.fromisoformat  # what storage.db.parse_iso does
    last = len(rows) - 1
    for n, row in enumerate(rows):
        rid, kind, seq, category, building, grid, status, claim_due, resolve_due, paused = row[:10]
        if row[10] is not None:
            steps.append(Step(row[10], parse(row[11]), row[12], row[13], row[14], row[15]))
        if n == last or rows[n + 1][0] != rid:
            found.append(
                Facts(
                    id=rid,
                    kind=kind,
                    seq=seq,
                    category=category,
                    building=building,
                    grid_id=grid,
                    status=status,
                    claim_due_at=parse(claim_due) if claim_due else None,
                    resolve_due_at=parse(resolve_due) if resolve_due else None,
                    paused_at=parse(paused) if paused else None,
                    steps=tuple(steps),
                )
            )
            steps = []
    return found


async def received(
    conn: aiosqlite.Connection,
    since: datetime,
    until: datetime,
    grids: Sequence[str] | None,
    except_kinds: Sequence[str] = ("wish",),
    kinds: Sequence[str] | None = None,
    actions: Sequence[str] | None = KPI_ACTIONS,
) -> list[Facts]:
    """Requests filed in [since, until) (their `filed` event), of these grids (None: all),
    not of `except_kinds`, of `kinds` if given."""
    where = "r.id IN (SELECT request_id FROM events WHERE action = 'filed' AND at >= ? AND at < ?)"
    params: list[object] = [iso(since), iso(until)]
    if except_kinds:
        where += f" AND r.kind NOT IN ({','.join('?' * len(except_kinds))})"
        params += except_kinds
    if kinds is not None:
        where += f" AND r.kind IN ({','.join('?' * len(kinds))})"
        params += kinds
    if grids is not None:
        if not grids:
            return []
        where += f" AND r.grid_id IN ({','.join('?' * len(grids))})"
        params += grids
    return await _facts(conn, where, params, actions)


async def open_now(
    conn: aiosqlite.Connection,
    statuses: Sequence[str],
    grids: Sequence[str] | None,
    except_kinds: Sequence[str] = ("wish",),
) -> list[Facts]:
    """Requests in one of `statuses` now, whenever they were filed."""
    where = f"r.status IN ({','.join('?' * len(statuses))})"
    params: list[object] = list(statuses)
    if except_kinds:
        where += f" AND r.kind NOT IN ({','.join('?' * len(except_kinds))})"
        params += except_kinds
    if grids is not None:
        if not grids:
            return []
        where += f" AND r.grid_id IN ({','.join('?' * len(grids))})"
        params += grids
    # The open statuses are a thousandth of the requests; the planner's statistics, which
    # average every status alike, would read them all (storage/requests.py, in_status).
    return await _facts(conn, where, params, indexed_by=BY_STATUS)
