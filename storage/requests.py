"""Requests (repairs, later wishes), their followers, events and group cards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, now_iso, parse_iso


@dataclass(frozen=True)
class Request:
    id: int
    kind: str
    seq: int
    category: str
    description: str
    building: str
    unit: str | None
    photos: tuple[str, ...]
    reporter_id: int
    filed_by: int | None
    grid_id: str
    status: str
    assignee_id: int | None
    assignee_name: str | None
    claim_due_at: datetime | None
    resolve_due_at: datetime | None
    rating: int | None
    duplicate_of: int | None
    created_at: datetime
    public_text: str | None = None
    updated_at: datetime | None = None  # what a wish wall shows, if an admin rewrote it
    # Filed for a resident without Telegram (storage/proxies.py): reporter_id is the worker.
    resident_id: int | None = None


@dataclass(frozen=True)
class NewRequest:
    kind: str
    category: str
    description: str
    building: str
    unit: str | None
    photos: Sequence[str]
    reporter_id: int
    filed_by: int | None
    grid_id: str
    status: str
    claim_due_at: datetime | None
    resident_id: int | None = None


@dataclass(frozen=True)
class Event:
    request_id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    photo: str | None
    detail: str | None = None  # where a transfer sent the request


@dataclass(frozen=True)
class Card:
    request_id: int
    chat_id: int
    message_id: int
    has_photo: bool


# An index that leads with the status: open, claimed or resolved requests are a small share of
# all of them, which the planner's averages cannot tell (see in_status).
BY_STATUS = "requests_claim_due"


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def _request(row: aiosqlite.Row) -> Request:
    return Request(
        id=row["id"],
        kind=row["kind"],
        seq=row["seq"],
        category=row["category"],
        description=row["description"],
        building=row["building"],
        unit=row["unit"],
        photos=tuple(json.loads(row["photos"])),
        reporter_id=row["reporter_id"],
        filed_by=row["filed_by"],
        grid_id=row["grid_id"],
        status=row["status"],
        assignee_id=row["assignee_id"],
        assignee_name=row["assignee_name"],
        claim_due_at=_dt(row["claim_due_at"]),
        resolve_due_at=_dt(row["resolve_due_at"]),
        rating=row["rating"],
        duplicate_of=row["duplicate_of"],
        created_at=parse_iso(row["created_at"]),
        public_text=row["public_text"],
        updated_at=parse_iso(row["updated_at"]),
        resident_id=row["resident_id"],
    )


async def insert(conn: aiosqlite.Connection, new: NewRequest) -> Request:
    """Insert with the next number of its kind; call inside a write transaction."""
    row = await fetch_one(
        conn, "SELECT COALESCE(MAX(seq), 0) + 1 FROM requests WHERE kind = ?", (new.kind,)
    )
    seq = int(row[0]) if row else 1
    stamp = now_iso()
    cur = await conn.execute(
        "INSERT INTO requests (kind, seq, category, description, building, unit, photos, "
        "reporter_id, filed_by, grid_id, status, claim_due_at, created_at, updated_at, "
        "resident_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.kind,
            seq,
            new.category,
            new.description,
            new.building,
            new.unit,
            json.dumps(list(new.photos)),
            new.reporter_id,
            new.filed_by,
            new.grid_id,
            new.status,
            iso(new.claim_due_at) if new.claim_due_at else None,
            stamp,
            stamp,
            new.resident_id,
        ),
    )
    assert cur.lastrowid is not None
    request = await get(conn, cur.lastrowid)
    assert request is not None
    return request


async def get(conn: aiosqlite.Connection, request_id: int) -> Request | None:
    row = await fetch_one(conn, "SELECT * FROM requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def change_status(
    conn: aiosqlite.Connection,
    request_id: int,
    expected: Sequence[str],
    new_status: str,
    **fields: object,
) -> bool:
    """Move to new_status only if the request is still in one of `expected`; True if it moved.

    The row count of this one conditional UPDATE decides races such as two claims at once.
    """
    allowed = {"assignee_id", "assignee_name", "resolve_due_at", "rating", "duplicate_of"}
    # A transfer to another grid: its grid, building and claim deadline, and a stopped clock
    # (a question nobody will answer now) running again.
    allowed |= {"grid_id", "building", "claim_due_at", "paused_at"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)}")
    values = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
    sets = "".join(f", {name} = ?" for name in fields)
    marks = ",".join("?" * len(expected))
    cur = await conn.execute(
        f"UPDATE requests SET status = ?, updated_at = ?{sets} "
        f"WHERE id = ? AND status IN ({marks})",
        (new_status, now_iso(), *values, request_id, *expected),
    )
    return cur.rowcount == 1


async def due_before(
    conn: aiosqlite.Connection, column: str, statuses: Sequence[str], moment: datetime
) -> list[Request]:
    """Requests in one of `statuses` whose deadline `column` is at or before `moment`."""
    assert column in ("claim_due_at", "resolve_due_at")
    marks = ",".join("?" * len(statuses))
    return [
        _request(row)
        for row in await fetch_all(
            conn,
            f"SELECT * FROM requests WHERE status IN ({marks}) AND {column} IS NOT NULL "
            f"AND {column} <= ? AND paused_at IS NULL ORDER BY id",
            (*statuses, iso(moment)),
        )
    ]


async def in_status(
    conn: aiosqlite.Connection, status: str, unchanged_before: datetime | None = None
) -> list[Request]:
    """Requests in `status`, oldest first; with `unchanged_before`, only those not changed
    since."""
    # INDEXED BY: the statuses asked for here (resolved, published, …) are a few rows of a
    # million, but the planner's statistics average every status alike and would rather read
    # every request (tests/test_query_plans.py checks it at a million requests' statistics).
    sql, params = f"SELECT * FROM requests INDEXED BY {BY_STATUS} WHERE status = ?", [status]
    if unchanged_before is not None:
        sql += " AND updated_at <= ?"
        params.append(iso(unchanged_before))
    async with conn.execute(sql + " ORDER BY id", params) as cur:
        return [_request(row) for row in await cur.fetchall()]


async def finished_between(
    conn: aiosqlite.Connection, actions: Sequence[str], since: datetime, until: datetime
) -> list[tuple[Request, Event]]:
    """Requests with an event of one of `actions` in [since, until), with that event, in order."""
    marks = ",".join("?" * len(actions))
    rows = await fetch_all(
        conn,
        f"SELECT e.*, r.id AS rid FROM events e JOIN requests r ON r.id = e.request_id "
        f"WHERE e.action IN ({marks}) AND e.at >= ? AND e.at < ? ORDER BY e.id",
        (*actions, iso(since), iso(until)),
    )
    found = []
    for row in rows:
        request = await get(conn, row["rid"])
        if request is not None:
            found.append((request, _event(row)))
    return found


async def count_events(
    conn: aiosqlite.Connection, action: str, since: datetime, until: datetime
) -> int:
    row = await fetch_one(
        conn,
        "SELECT COUNT(*) FROM events WHERE action = ? AND at >= ? AND at < ?",
        (action, iso(since), iso(until)),
    )
    return int(row[0]) if row else 0


async def pause_clock(conn: aiosqlite.Connection, request_id: int, now: datetime) -> None:
    """Stop the resolve clock (if it runs)."""
    await conn.execute(
        "UPDATE requests SET paused_at = ?, updated_at = ? WHERE id = ? AND paused_at IS NULL",
        (iso(now), iso(now), request_id),
    )


async def resume_clock(conn: aiosqlite.Connection, request_id: int, now: datetime) -> None:
    """Start the clock again: the resolve deadline moves on by the time it stood still."""
    row = await fetch_one(
        conn, "SELECT paused_at, resolve_due_at FROM requests WHERE id = ?", (request_id,)
    )
    if row is None or row["paused_at"] is None:
        return
    due = row["resolve_due_at"]
    if due is not None:
        due = iso(parse_iso(due) + (now - parse_iso(row["paused_at"])))
    await conn.execute(
        "UPDATE requests SET paused_at = NULL, resolve_due_at = ?, updated_at = ? WHERE id = ?",
        (due, iso(now), request_id),
    )


async def set_public_text(conn: aiosqlite.Connection, request_id: int, text: str | None) -> None:
    await conn.execute(
        "UPDATE requests SET public_text = ?, updated_at = ? WHERE id = ?",
        (text, now_iso(), request_id),
    )


async def list_by_person(
    conn: aiosqlite.Connection, user_id: int, limit: int = 10
) -> list[Request]:
    """Requests a resident filed or follows, newest first (none from before /forgetme)."""
    return [
        _request(row)
        for row in await fetch_all(
            conn,
            "SELECT * FROM requests WHERE (reporter_id = ? AND created_at >= COALESCE("
            "(SELECT erased_at FROM users WHERE user_id = ?), '')) OR id IN "
            "(SELECT request_id FROM followers WHERE user_id = ?) ORDER BY id DESC LIMIT ?",
            (user_id, user_id, user_id, limit),
        )
    ]


async def assigned_to(
    conn: aiosqlite.Connection, user_id: int, statuses: Sequence[str]
) -> list[Request]:
    """Requests assigned to a worker in one of `statuses`, oldest first."""
    marks = ",".join("?" * len(statuses))
    return [
        _request(row)
        for row in await fetch_all(
            conn,
            f"SELECT * FROM requests WHERE assignee_id = ? AND status IN ({marks}) ORDER BY id",
            (user_id, *statuses),
        )
    ]


async def waiting_in(
    conn: aiosqlite.Connection, grids: Sequence[str], statuses: Sequence[str], limit: int
) -> list[Request]:
    """Requests of these grids in one of `statuses`, oldest first (a grid's queue)."""
    if not grids:
        return []
    grid_marks = ",".join("?" * len(grids))
    marks = ",".join("?" * len(statuses))
    return [
        _request(row)
        for row in await fetch_all(
            conn,
            f"SELECT * FROM requests WHERE grid_id IN ({grid_marks}) AND status IN ({marks}) "
            "ORDER BY id LIMIT ?",
            (*grids, *statuses, limit),
        )
    ]


async def find_similar(
    conn: aiosqlite.Connection,
    kind: str,
    category: str,
    building: str,
    statuses: Sequence[str],
    since: datetime,
) -> Request | None:
    """The newest request in one of `statuses` with the same category and building."""
    marks = ",".join("?" * len(statuses))
    row = await fetch_one(
        conn,
        f"SELECT * FROM requests WHERE kind = ? AND category = ? AND building = ? "
        f"AND status IN ({marks}) AND created_at >= ? ORDER BY id DESC LIMIT 1",
        (kind, category, building, *statuses, iso(since)),
    )
    return _request(row) if row else None


async def add_follower(conn: aiosqlite.Connection, request_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO followers (request_id, user_id, created_at) VALUES (?, ?, ?)",
        (request_id, user_id, now_iso()),
    )
    return cur.rowcount == 1


async def followers(conn: aiosqlite.Connection, request_id: int) -> list[int]:
    return [
        row[0]
        for row in await fetch_all(
            conn,
            "SELECT user_id FROM followers WHERE request_id = ? ORDER BY created_at",
            (request_id,),
        )
    ]


async def add_event(
    conn: aiosqlite.Connection,
    request_id: int,
    action: str,
    *,
    actor_id: int | None,
    actor_name: str | None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    photo: str | None = None,
    detail: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO events (request_id, at, actor_id, actor_name, action, from_status, "
        "to_status, note, photo, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request_id,
            now_iso(),
            actor_id,
            actor_name,
            action,
            from_status,
            to_status,
            note,
            photo,
            detail,
        ),
    )


async def events(conn: aiosqlite.Connection, request_id: int) -> list[Event]:
    rows = await fetch_all(
        conn, "SELECT * FROM events WHERE request_id = ? ORDER BY id", (request_id,)
    )
    return [_event(row) for row in rows]


def _event(row: aiosqlite.Row) -> Event:
    return Event(
        request_id=row["request_id"],
        at=parse_iso(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        note=row["note"],
        photo=row["photo"],
        detail=row["detail"],
    )


async def save_card(conn: aiosqlite.Connection, card: Card) -> None:
    await conn.execute(
        "INSERT INTO cards (request_id, chat_id, message_id, has_photo) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (request_id, chat_id) DO UPDATE SET message_id = excluded.message_id, "
        "has_photo = excluded.has_photo",
        (card.request_id, card.chat_id, card.message_id, int(card.has_photo)),
    )


async def card_of_message(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> int | None:
    """The request whose current card is this message, if any."""
    row = await fetch_one(
        conn,
        "SELECT request_id FROM cards WHERE chat_id = ? AND message_id = ?",
        (chat_id, message_id),
    )
    return None if row is None else int(row[0])


async def card(conn: aiosqlite.Connection, request_id: int, chat_id: int) -> Card | None:
    row = await fetch_one(
        conn, "SELECT * FROM cards WHERE request_id = ? AND chat_id = ?", (request_id, chat_id)
    )
    if row is None:
        return None
    return Card(row["request_id"], row["chat_id"], row["message_id"], bool(row["has_photo"]))
