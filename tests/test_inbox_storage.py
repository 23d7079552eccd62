"""The inbox table: stored once, pending in update_id order, done erases the content, pruned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage import clock, health, inbox
from storage.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def test_stored_once_handled_in_order_and_pruned(db: Database) -> None:
    async with db.transaction() as conn:
        assert await inbox.store(conn, [(7, '{"b": 1}'), (5, '{"a": "+8613800000001"}')]) == [5, 7]
        # Telegram sends the batch again: nothing new.
        assert await inbox.store(conn, [(5, "{}"), (8, "{}")]) == [8]
    async with db.read() as conn:
        assert [s.update_id for s in await inbox.pending(conn)] == [5, 7, 8]
    async with db.transaction() as conn:
        await inbox.done(conn, 5)
        await inbox.skip(conn, 7, "TypeError: Poll")
        await inbox.done(conn, 7)  # skipped stays skipped
    async with db.read() as conn:
        assert [s.update_id for s in await inbox.pending(conn)] == [8]
        assert await inbox.statuses(conn) == {5: "done", 7: "skipped", 8: "pending"}
        figures = await inbox.figures(conn)
        assert (figures.pending, figures.done, figures.skipped) == (1, 1, 1)
        assert figures.skipped_by_reason == {"TypeError: Poll": 1}
        assert (await inbox.figures(conn, besides=8)).pending == 0
        async with conn.execute("SELECT raw FROM inbox WHERE update_id = 5") as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == ""  # the phone number is gone once handled
    async with db.transaction() as conn:
        assert await inbox.prune(conn, clock.now() + timedelta(seconds=1)) == 2
    async with db.read() as conn:
        assert await inbox.statuses(conn) == {8: "pending"}  # never pruned before it is done


async def test_no_backup_yet_without_a_backups_table(db: Database) -> None:
    async with db.read() as conn:
        assert await health.last_backup(conn) is None


async def test_last_backup_is_read_from_the_daily_backups_record(db: Database) -> None:
    # The table the daily backup keeps (one row per attempt); the failed one is not a backup.
    async with db.transaction() as conn:
        await conn.execute(
            "CREATE TABLE backups (id INTEGER PRIMARY KEY, day TEXT, taken_at TEXT, file TEXT, "
            "size INTEGER, ok INTEGER, error TEXT)"
        )
        await conn.execute(
            "INSERT INTO backups (day, taken_at, file, size, ok) VALUES "
            "('2026-11-30', '2026-11-29T19:00:00.000+00:00', 'a', 1, 1), "
            "('2026-12-01', '2026-11-30T19:00:00.000+00:00', 'b', NULL, 0)"
        )
    async with db.read() as conn:
        last = await health.last_backup(conn)
    assert last is not None and last.isoformat().startswith("2026-11-29T19:00")


def test_webhook_mode_needs_a_public_https_url_and_a_secret(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from tests.conftest import community

    hook = {"mode": "webhook", "webhook_url": "https://bot.example.org/telegram"}
    with pytest.raises(ValidationError, match="webhook_secret"):
        community(tmp_path / "b.sqlite3", telegram=hook)
    with pytest.raises(ValidationError, match="webhook_secret"):
        community(tmp_path / "b.sqlite3", telegram={**hook, "webhook_secret": "has space"})
    with pytest.raises(ValidationError, match="https"):
        community(tmp_path / "b.sqlite3", telegram={**hook, "webhook_url": "http://x/telegram"})
    ok = community(tmp_path / "b.sqlite3", telegram={**hook, "webhook_secret": "abc_DEF-123"})
    assert ok.telegram.mode == "webhook"
    assert community(tmp_path / "b.sqlite3").telegram.mode == "polling"
