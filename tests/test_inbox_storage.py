"""The inbox table: stored once, pending in update_id order, done erases the content, pruned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.health import Intake, gather
from storage import backups, clock, inbox
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


async def test_health_shows_the_last_backup_taken_not_a_failed_attempt(
    db: Database, tmp_path: Path
) -> None:
    intake = Intake(mode="polling", last_poll=None, last_webhook=None, fault=None)
    assert (await gather(db, str(tmp_path / "x.sqlite3"), intake)).last_backup is None
    taken = datetime(2026, 11, 29, 19, 30, tzinfo=UTC)
    async with db.transaction() as conn:
        await backups.record(conn, "2026-11-30", taken, "a", 1)
        await backups.record(conn, "2026-12-01", taken + timedelta(days=1), "b", None, "disk full")
    assert (await gather(db, str(tmp_path / "x.sqlite3"), intake)).last_backup == taken


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
