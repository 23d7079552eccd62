"""The SQLite layer: migrations, requests, outbox, dialogs; one use case."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from bot.core import Actor, Draft, Pressed, Requests
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action
from storage import dialogs, outbox, users
from storage import requests as store
from storage.db import Database, iso
from storage.dialogs import Dialog
from storage.requests import Card, NewRequest, Request
from tests.conftest import GROUP_A, WORKER_A1, WORKER_A2, WORKER_B, community

OPEN_ISH = ("open", "claimed", "reopened")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.sqlite3")
    try:
        yield database
    finally:
        await database.close()


def _new(
    kind: str = "repair",
    category: str = "water",
    building: str = "1",
    status: str = "open",
    reporter: int = 101,
) -> NewRequest:
    return NewRequest(
        kind=kind,
        category=category,
        description="The pipe leaks",
        building=building,
        unit="2-301",
        photos=["photo-1", "photo-2"],
        reporter_id=reporter,
        filed_by=None,
        grid_id="A",
        status=status,
        claim_due_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


async def _insert(db: Database, new: NewRequest | None = None) -> Request:
    async with db.transaction() as conn:
        return await store.insert(conn, new or _new())


async def _send(
    db: Database, chat_id: int, text: str, kind: str = "send", request_id: int | None = None
) -> int:
    async with db.transaction() as conn:
        return await outbox.enqueue(
            conn, chat_id=chat_id, kind=kind, text=text, buttons=[], request_id=request_id
        )


async def _status_of(db: Database, row_id: int) -> str:
    async with (
        db.read() as conn,
        conn.execute("SELECT status FROM outbox WHERE id = ?", (row_id,)) as cur,
    ):
        row = await cur.fetchone()
    assert row is not None
    return str(row[0])


# --- connection and migrations ---------------------------------------------------------


def _migration_numbers() -> list[int]:
    pattern = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
    return sorted(
        int(m.group(1))
        for f in resources.files("storage.migrations").iterdir()
        if (m := pattern.match(f.name))
    )


async def _user_version(db: Database) -> int:
    async with db.read() as conn, conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_migrations_set_user_version_and_reopen_is_idempotent(tmp_path: Path) -> None:
    numbers = _migration_numbers()
    # Numbered 0001, 0002…, each number once; gaps are fine (parts built side by side).
    assert numbers == sorted(set(numbers)) and numbers[0] == 1, "migrations are numbered 0001…"
    path = tmp_path / "t.sqlite3"
    db = await Database.open(path)
    try:
        assert await _user_version(db) == numbers[-1]
        request = await _insert(db)
    finally:
        await db.close()
    again = await Database.open(path)
    try:
        assert await _user_version(again) == numbers[-1]
        await again.migrate()
        assert await _user_version(again) == numbers[-1]
        async with again.read() as conn:
            kept = await store.get(conn, request.id)
        assert kept == request
    finally:
        await again.close()


async def test_journal_mode_is_wal_and_foreign_keys_on(db: Database) -> None:
    async with db.read() as conn:
        async with conn.execute("PRAGMA journal_mode") as cur:
            row = await cur.fetchone()
        assert row is not None and str(row[0]).lower() == "wal"
        async with conn.execute("PRAGMA foreign_keys") as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == 1


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await store.insert(conn, _new())
            raise RuntimeError("boom")
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM requests") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 0


# --- requests --------------------------------------------------------------------------


async def test_insert_numbers_per_kind(db: Database) -> None:
    first = await _insert(db, _new("repair"))
    second = await _insert(db, _new("repair"))
    wish = await _insert(db, _new("wish"))
    third = await _insert(db, _new("repair"))
    assert [first.seq, second.seq, wish.seq, third.seq] == [1, 2, 1, 3]
    assert first.photos == ("photo-1", "photo-2")
    assert first.claim_due_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert first.status == "open" and first.assignee_id is None
    assert abs(first.created_at - datetime.now(UTC)) < timedelta(seconds=10)


async def test_change_status_second_claim_loses(db: Database) -> None:
    request = await _insert(db)
    due = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    async with db.transaction() as conn:
        first = await store.change_status(
            conn,
            request.id,
            ("open", "reopened"),
            "claimed",
            assignee_id=WORKER_A1,
            assignee_name="First",
            resolve_due_at=due,
        )
        second = await store.change_status(
            conn,
            request.id,
            ("open", "reopened"),
            "claimed",
            assignee_id=WORKER_A2,
            assignee_name="Second",
        )
        after = await store.get(conn, request.id)
    assert first is True
    assert second is False
    assert after is not None
    assert after.status == "claimed"
    assert (after.assignee_id, after.assignee_name) == (WORKER_A1, "First")
    assert after.resolve_due_at == due


async def test_change_status_refuses_unknown_fields(db: Database) -> None:
    request = await _insert(db)
    async with db.transaction() as conn:
        with pytest.raises(ValueError, match="reporter_id"):
            await store.change_status(conn, request.id, ("open",), "claimed", reporter_id=1)
        assert await store.change_status(conn, 9999, ("open",), "claimed") is False


async def test_find_similar(db: Database) -> None:
    week_ago = datetime.now(UTC) - timedelta(days=7)
    old = await _insert(db, _new(category="water", building="1"))
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE requests SET created_at = ? WHERE id = ?",
            (iso(datetime.now(UTC) - timedelta(days=8)), old.id),
        )
        found = await store.find_similar(conn, "repair", "water", "1", OPEN_ISH, week_ago)
    assert found is None  # outside the window
    async with db.read() as conn:
        found = await store.find_similar(
            conn, "repair", "water", "1", OPEN_ISH, week_ago - timedelta(days=2)
        )
    assert found is not None and found.id == old.id

    recent = await _insert(db, _new(category="water", building="1"))
    newest = await _insert(db, _new(category="water", building="1"))
    await _insert(db, _new(category="light", building="1"))
    await _insert(db, _new(category="water", building="2"))
    await _insert(db, _new(kind="wish", category="water", building="1"))
    async with db.read() as conn:
        found = await store.find_similar(conn, "repair", "water", "1", OPEN_ISH, week_ago)
        assert found is not None and found.id == newest.id
        assert await store.find_similar(conn, "repair", "gas", "1", OPEN_ISH, week_ago) is None
        assert await store.find_similar(conn, "repair", "water", "9", OPEN_ISH, week_ago) is None
    async with db.transaction() as conn:
        assert await store.change_status(conn, newest.id, ("open",), "closed")
        found = await store.find_similar(conn, "repair", "water", "1", OPEN_ISH, week_ago)
        assert found is not None and found.id == recent.id
        assert await store.change_status(conn, recent.id, ("open",), "cancelled")
        assert await store.find_similar(conn, "repair", "water", "1", OPEN_ISH, week_ago) is None
        found = await store.find_similar(conn, "repair", "water", "1", ("closed",), week_ago)
        assert found is not None and found.id == newest.id
        future = datetime.now(UTC) + timedelta(minutes=1)
        assert await store.find_similar(conn, "repair", "light", "1", OPEN_ISH, future) is None


async def test_followers_once_each(db: Database) -> None:
    request = await _insert(db)
    async with db.transaction() as conn:
        assert await store.add_follower(conn, request.id, 102) is True
        assert await store.add_follower(conn, request.id, 102) is False
        assert await store.add_follower(conn, request.id, 103) is True
        assert await store.followers(conn, request.id) == [102, 103]
        mine = await store.list_by_person(conn, 102)
    assert [r.id for r in mine] == [request.id]


async def test_events_in_order(db: Database) -> None:
    request = await _insert(db)
    async with db.transaction() as conn:
        await store.add_event(
            conn, request.id, "filed", actor_id=101, actor_name="Res", to_status="open"
        )
        await store.add_event(
            conn,
            request.id,
            "claim",
            actor_id=WORKER_A1,
            actor_name="Wang",
            from_status="open",
            to_status="claimed",
        )
        await store.add_event(
            conn, request.id, "note", actor_id=WORKER_A1, actor_name="Wang", note="on my way"
        )
        await store.add_event(
            conn, request.id, "resolve", actor_id=None, actor_name=None, photo="proof"
        )
        events = await store.events(conn, request.id)
    assert [e.action for e in events] == ["filed", "claim", "note", "resolve"]
    assert [(e.from_status, e.to_status) for e in events[:2]] == [
        (None, "open"),
        ("open", "claimed"),
    ]
    assert events[2].note == "on my way" and events[2].actor_id == WORKER_A1
    assert events[3].photo == "proof" and events[3].actor_id is None
    assert all(e.request_id == request.id for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)


# --- outbox ----------------------------------------------------------------------------


async def test_due_gives_the_oldest_pending_row_per_chat(db: Database) -> None:
    x1 = await _send(db, -1, "x1")
    x2 = await _send(db, -1, "x2")
    y1 = await _send(db, 202, "y1")
    now = datetime.now(UTC) + timedelta(seconds=1)
    async with db.read() as conn:
        rows = await outbox.due(conn, now)
        assert [r.id for r in rows] == [x1, y1]
        assert [r.text for r in rows] == ["x1", "y1"]
        assert rows[0].chat_id == -1 and rows[0].attempts == 0
        assert await outbox.due(conn, datetime.now(UTC) - timedelta(hours=1)) == []
    async with db.transaction() as conn:
        await outbox.mark_sent(conn, x1)
        rows = await outbox.due(conn, now)
    assert [r.id for r in rows] == [x2, y1]


async def test_mark_retry_pushes_the_row_into_the_future(db: Database) -> None:
    x1 = await _send(db, -1, "x1")
    await _send(db, -1, "x2")
    y1 = await _send(db, 202, "y1")
    later = datetime.now(UTC) + timedelta(minutes=5)
    async with db.transaction() as conn:
        await outbox.mark_retry(conn, x1, later, "flood")
        soon = await outbox.due(conn, datetime.now(UTC) + timedelta(seconds=1))
        # x2 waits behind x1: one chat's rows go in order.
        assert [r.id for r in soon] == [y1]
        after = await outbox.due(conn, later + timedelta(seconds=1))
        assert [r.id for r in after] == [x1, y1]
        assert after[0].attempts == 1
        await outbox.mark_retry(conn, x1, later, "network", count=False)
        again = await outbox.due(conn, later)
        assert again[0].id == x1 and again[0].attempts == 1


async def test_hold_and_release_chat(db: Database) -> None:
    blocked, other = 555, 556
    a = await _send(db, blocked, "a")
    b = await _send(db, blocked, "b")
    c = await _send(db, other, "c")
    async with db.transaction() as conn:
        await outbox.hold_chat(conn, blocked, "Forbidden: bot was blocked by the user")
        assert await outbox.is_unreachable(conn, blocked)
        assert not await outbox.is_unreachable(conn, other)
    d = await _send(db, blocked, "d")
    assert [await _status_of(db, i) for i in (a, b, c, d)] == [
        "held",
        "held",
        "pending",
        "held",
    ]
    async with db.read() as conn:
        due = await outbox.due(conn, datetime.now(UTC) + timedelta(seconds=1))
        assert [r.id for r in due] == [c]
        assert await outbox.counts(conn) == {"held": 3, "pending": 1}
    async with db.transaction() as conn:
        assert await outbox.release_chat(conn, blocked) == 3
        assert not await outbox.is_unreachable(conn, blocked)
    assert [await _status_of(db, i) for i in (a, b, d)] == ["pending"] * 3
    async with db.read() as conn:
        due = await outbox.due(conn, datetime.now(UTC) + timedelta(seconds=1))
    assert [r.id for r in due] == [a, c]
    e = await _send(db, blocked, "e")
    assert await _status_of(db, e) == "pending"


async def test_migrate_chat_moves_rows_and_cards(db: Database) -> None:
    old, new = -100111, -1001234567890
    request = await _insert(db)
    card_row = await _send(db, old, "card", kind="card", request_id=request.id)
    notice = await _send(db, old, "notice")
    untouched = await _send(db, -100222, "elsewhere")
    async with db.transaction() as conn:
        await store.save_card(conn, Card(request.id, old, 77, True))
        await outbox.migrate_chat(conn, old, new)
        assert await outbox.chat_migrations(conn) == {old: new}
        assert await outbox.card_chats(conn, request.id) == [new]
        assert await store.card(conn, request.id, old) is None
        assert await store.card(conn, request.id, new) == Card(request.id, new, 77, True)
        async with conn.execute("SELECT id, chat_id FROM outbox ORDER BY id") as cur:
            chats = {row[0]: row[1] for row in await cur.fetchall()}
    assert chats == {card_row: new, notice: new, untouched: -100222}


async def test_card_chats(db: Database) -> None:
    request = await _insert(db)
    other = await _insert(db)
    await _send(db, 201, "card", kind="card", request_id=request.id)
    await _send(db, 202, "card", kind="card", request_id=request.id)
    await _send(db, 201, "card again", kind="card", request_id=request.id)
    failed = await _send(db, 203, "card", kind="card", request_id=request.id)
    await _send(db, 204, "details", kind="send", request_id=request.id)
    await _send(db, 205, "edit", kind="edit_card", request_id=request.id)
    await _send(db, 206, "card", kind="card", request_id=other.id)
    async with db.transaction() as conn:
        await outbox.mark_final(conn, failed, "failed", "Bad Request: chat not found")
        assert await outbox.card_chats(conn, request.id) == [201, 202]
        assert await outbox.card_chats(conn, other.id) == [206]
        assert await outbox.card_chats(conn, 9999) == []


async def test_saved_card_is_updated_in_place(db: Database) -> None:
    request = await _insert(db)
    async with db.transaction() as conn:
        await store.save_card(conn, Card(request.id, -1, 10, True))
        await store.save_card(conn, Card(request.id, -1, 11, False))
        assert await store.card(conn, request.id, -1) == Card(request.id, -1, 11, False)


# --- dialogs ----------------------------------------------------------------------------------


async def test_dialogs_round_trip(db: Database) -> None:
    draft = Dialog(101, "report", "describe", {"building": "1", "photos": ["p"], "n": 2})
    async with db.transaction() as conn:
        assert await dialogs.get(conn, 101) is None
        await dialogs.save(conn, draft)
        assert await dialogs.get(conn, 101) == draft
        moved = Dialog(101, "report", "photos", {"building": "1", "text": "漏水"})
        await dialogs.save(conn, moved)
        assert await dialogs.get(conn, 101) == moved
        await dialogs.save(conn, Dialog(102, "register", "unit", {}))
        await dialogs.delete(conn, 101)
        assert await dialogs.get(conn, 101) is None
        assert await dialogs.get(conn, 102) == Dialog(102, "register", "unit", {})


# --- one use case end to end through storage --------------------------------------------


async def test_repairs_file_claim_race_and_rate(tmp_path: Path) -> None:
    settings = community(tmp_path / "x.sqlite3")
    db = await Database.open(settings.database.path)
    try:
        await sync_with_config(db, settings)
        repairs = Requests(db, settings, await DirectoryBook.open(db), "test_bot")
        reporter = Actor(101, "Resident Li")
        draft = Draft("repair", category="water", building="1", description="Pipe leaks")

        # No draft dialog: nothing is filed.
        refused = await repairs.file(reporter, draft)
        assert not refused.ok and refused.reason == "report.already_saved"

        async with db.transaction() as conn:
            await users.ensure(conn, reporter.user_id, reporter.name, "en")
            await users.register(conn, reporter.user_id, "1", "2-301", "13800000000")
            await dialogs.save(conn, Dialog(reporter.user_id, "report", "confirm", {}))
        filed = await repairs.file(reporter, draft)
        assert filed.ok and filed.request is not None
        request = filed.request
        assert (request.status, request.grid_id, request.unit) == ("open", "A", "2-301")
        async with db.read() as conn:
            assert await dialogs.get(conn, reporter.user_id) is None
            assert await outbox.card_chats(conn, request.id) == [GROUP_A]

        card = Pressed(GROUP_A, 1)
        first, second = await asyncio.gather(
            repairs.apply(Actor(WORKER_A1, "Wang"), request.id, Action.CLAIM, pressed=card),
            repairs.apply(Actor(WORKER_A2, "Zhao"), request.id, Action.CLAIM, pressed=card),
        )
        outcomes = [first, second]
        assert sum(o.ok for o in outcomes) == 1
        winner = next(o for o in outcomes if o.ok)
        loser = next(o for o in outcomes if not o.ok)
        assert winner.request is not None
        assignee = winner.request.assignee_id
        assert assignee in (WORKER_A1, WORKER_A2)
        assert winner.request.status == "claimed"
        assert loser.reason == "claim.already"

        other_grid = await repairs.apply(
            Actor(WORKER_B, "Sun"), request.id, Action.CLAIM, pressed=card
        )
        assert not other_grid.ok and other_grid.reason == "claim.refused"

        after = await repairs.get(request.id)
        assert after is not None and after.assignee_id == assignee

        async with (
            db.read() as conn,
            conn.execute("SELECT chat_id, kind, request_id FROM outbox ORDER BY id") as cur,
        ):
            rows = [(r[0], r[1], r[2]) for r in await cur.fetchall()]
        assert (GROUP_A, "card", request.id) in rows
        assert (GROUP_A, "edit_card", request.id) in rows
        assert (assignee, "send", request.id) in rows  # the worker's private details
        assert sum(1 for r in rows if r[1] == "edit_card") == 1  # only the winning claim
        assert (reporter.user_id, "send", None) in rows  # "saved as R-0001", "claimed by"

        not_yours = await repairs.apply(Actor(WORKER_A1, "Wang"), request.id, Action.RATE, stars=5)
        assert not not_yours.ok and not_yours.reason == "rate.not_yours"
        not_resolved = await repairs.apply(reporter, request.id, Action.RATE, stars=5)
        assert not not_resolved.ok and not_resolved.reason == "rate.not_resolved"
        still = await repairs.get(request.id)
        assert still is not None and still.status == "claimed" and still.rating is None
    finally:
        await db.close()


async def test_an_edit_of_a_card_is_superseded_by_a_newer_pending_one(db: Database) -> None:
    request = await _insert(db)
    async with db.transaction() as conn:
        for text in ("claimed", "resolved"):
            await outbox.enqueue(
                conn,
                chat_id=GROUP_A,
                kind="edit_card",
                text=text,
                buttons=[],
                request_id=request.id,
            )
        await outbox.enqueue(
            conn, chat_id=GROUP_A, kind="edit_card", text="other", buttons=[], request_id=None
        )
    async with db.read() as conn:
        (first,) = await outbox.due(conn, datetime.now(UTC) + timedelta(seconds=1))
        assert first.text == "claimed"
        assert await outbox.superseded(conn, first)
    async with db.transaction() as conn:
        await outbox.mark_sent(conn, first.id)
    async with db.read() as conn:
        (second,) = await outbox.due(conn, datetime.now(UTC) + timedelta(seconds=1))
        assert second.text == "resolved"
        assert not await outbox.superseded(conn, second)  # the newest edit of its card
