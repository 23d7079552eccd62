"""Announcements below the chat: where a broadcast's rows stand, its report recorded once, the
grids' numbers for buttons, and the words' limits in every language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.broadcasting import Broadcasts
from bot.directory import DirectoryBook, sync_with_config
from bot.i18n import LANGUAGES
from bot.limits import CAPTION_MAX, TEXT_MAX, plain, units
from bot.messages import enqueue_dict
from storage import broadcasts as store
from storage import clock, outbox
from storage.db import Database
from tests.conftest import community


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def _broadcast(db: Database, chats: list[int]) -> tuple[int, list[int]]:
    async with db.transaction() as conn:
        broadcast_id = await store.create(conn, 900, "grid:A", "Hello", None, len(chats))
        rows = [(await enqueue_dict(conn, {"chat_id": c, "text": "Hello"}), c) for c in chats]
        await store.add_rows(conn, broadcast_id, rows)
    return broadcast_id, [r for r, _ in rows]


async def test_a_broadcast_is_settled_when_no_row_is_on_its_way(db: Database) -> None:
    broadcast_id, rows = await _broadcast(db, [1, 2, 3, 4])
    async with db.transaction() as conn:
        tally = await store.tally(conn, broadcast_id)
        assert not tally.settled and tally.by_status == {"pending": 4}
        await outbox.mark_sent(conn, rows[0])
        await outbox.hold_chat(conn, 2, "Forbidden: bot was blocked by the user")
        await outbox.mark_final(conn, rows[2], "failed", "Bad Request: wrong file")
        tally = await store.tally(conn, broadcast_id)
        assert not tally.settled  # chat 4 is still owed its copy
        await outbox.mark_sent(conn, rows[3])
        tally = await store.tally(conn, broadcast_id)
    assert tally.settled
    assert (tally.sent, tally.blocked, tally.failed) == (2, 1, 1)


async def test_a_copy_for_a_chat_known_to_refuse_counts_as_blocked_at_once(db: Database) -> None:
    async with db.transaction() as conn:
        await outbox.hold_chat(conn, 2, "Forbidden: bot was blocked by the user")
    broadcast_id, _ = await _broadcast(db, [2])
    async with db.read() as conn:
        tally = await store.tally(conn, broadcast_id)
    assert tally.settled and tally.blocked == 1


async def test_quiet_rows_are_not_settled(db: Database) -> None:
    async with db.transaction() as conn:
        broadcast_id = await store.create(conn, 900, "all", "Hello", None, 1)
        row = await outbox.enqueue(
            conn, chat_id=5, kind="send", text="Hello", buttons=[], quiet_until=clock.now()
        )
        await store.add_rows(conn, broadcast_id, [(row, 5)])
        assert not (await store.tally(conn, broadcast_id)).settled


async def test_the_report_is_recorded_once(db: Database) -> None:
    broadcast_id, rows = await _broadcast(db, [1])
    async with db.transaction() as conn:
        await outbox.mark_sent(conn, rows[0])
        tally = await store.tally(conn, broadcast_id)
        assert await store.mark_reported(conn, broadcast_id, tally)
        assert not await store.mark_reported(conn, broadcast_id, tally)
        assert await store.unreported(conn) == []
        kept = await store.get(conn, broadcast_id)
    assert kept is not None and kept.reported_at is not None and kept.audience == "grid:A"


async def test_grid_numbers_stand_and_a_new_grid_gets_a_new_one(tmp_path: Path) -> None:
    settings = community(tmp_path / "t.sqlite3")
    db = await Database.open(settings.database.path)
    try:
        await sync_with_config(db, settings)
        async with db.transaction() as conn:
            first = await store.grid_ids(conn)
        assert sorted(first) == ["A", "B", "C", "D"] and len(set(first.values())) == 4
        data = settings.model_dump()
        data["grids"].insert(0, {"id": "E", "name": "Grid E", "buildings": ["9"]})
        changed = type(settings).model_validate(data)
        await sync_with_config(db, changed)
        async with db.transaction() as conn:
            second = await store.grid_ids(conn)
        assert {k: second[k] for k in first} == first
        assert second["E"] not in first.values()
    finally:
        await db.close()


async def test_the_words_fit_a_message_or_a_caption_in_every_language(tmp_path: Path) -> None:
    settings = community(tmp_path / "t.sqlite3", community={"name": "A" * 200})
    db = await Database.open(settings.database.path)
    try:
        await sync_with_config(db, settings)
        broadcasts = Broadcasts(db, settings, await DirectoryBook.open(db))
        for photo, limit in ((False, TEXT_MAX), (True, CAPTION_MAX)):
            most = broadcasts.longest(photo)
            assert limit - 80 < most < limit
            sizes = [units(plain(broadcasts.message(lang, "x" * most))) for lang in LANGUAGES]
            assert max(sizes) == limit  # the longest first line leaves exactly this much
        # The admin's formatting is kept; the community's name is escaped and cut.
        text = broadcasts.message("en", "<b>Tea</b> &amp; cake")
        assert text.endswith("<b>Tea</b> &amp; cake") and "A" * 64 not in text
    finally:
        await db.close()
