"""The daily backup: a consistent copy while the bot writes, one a day across restarts, a
missed one taken at the next start, old copies removed, private file modes, and its record."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.backups import Backups, due_day, file_name, prune
from bot.settings import Settings
from storage import backups, clock, snapshot
from storage.clock import ManualClock
from storage.db import Database
from tests.conftest import community

# 02:00 in Shanghai (UTC+8) on 1 December: before the 03:30 backup time.
BEFORE = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(BEFORE)
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return community(tmp_path / "data" / "community.sqlite3", backup={"dir": str(tmp_path / "bk")})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


async def _insert(db: Database, user_id: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (user_id, name, lang, created_at) VALUES (?, ?, 'en', ?)",
            (user_id, f"resident {user_id}", "2026-12-01T00:00:00.000+00:00"),
        )


async def test_a_backup_taken_while_the_bot_writes_holds_every_committed_row(
    settings: Settings,
) -> None:
    db = await Database.open(settings.database.path)
    committed: list[int] = []
    stop = asyncio.Event()
    goal, reached = 300, asyncio.Event()

    async def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            await _insert(db, n)
            committed.append(n)
            if n >= goal:
                reached.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        await reached.wait()
        before = len(committed)
        made = await Backups(db, settings).take(date(2026, 12, 1))
        after = len(committed)
        goal, reached = after + 100, asyncio.Event()  # and writes go on after it
        await reached.wait()
    finally:
        stop.set()
        await task
        await db.close()

    assert made.ok, made.error
    copy = settings.backup.dir / "community-2026-12-01.sqlite3"
    assert made.file == str(copy) and made.size == copy.stat().st_size
    assert _rows(copy, "PRAGMA integrity_check") == [("ok",)]
    ids = [r[0] for r in _rows(copy, "SELECT user_id FROM users ORDER BY user_id")]
    # Every row committed before the copy began, and a consistent cut: no gaps.
    assert before <= len(ids) <= after
    assert ids == list(range(1, len(ids) + 1))
    # One self-contained file: no WAL beside it, and only the bot's user reads it.
    assert sorted(p.name for p in settings.backup.dir.iterdir()) == [copy.name]
    assert _mode(copy) == 0o600 and _mode(settings.backup.dir) == 0o700
    assert snapshot.check(copy).version == snapshot.latest_version()


async def test_the_job_takes_one_copy_a_day_across_restarts(
    settings: Settings, moved: ManualClock
) -> None:
    db = await Database.open(settings.database.path)
    job = Backups(db, settings)
    # Before 03:30 on the first start: yesterday's copy was missed (the bot was not there).
    first = await job.tick()
    assert first is not None and first.ok and first.day == "2026-11-30"
    assert await job.tick() is None
    moved.advance(hours=1, minutes=29)  # 03:29
    assert await job.tick() is None
    moved.advance(minutes=1)  # 03:30: today's
    today = await job.tick()
    assert today is not None and today.day == "2026-12-01"
    assert await job.tick() is None

    # Restarted the same day: nothing again.
    await db.close()
    moved.advance(hours=5)
    db = await Database.open(settings.database.path)
    job = Backups(db, settings)
    assert await job.tick() is None

    # Down over the next day's time, back at 10:00 two days later: the missed copy is taken
    # at once, once; the day's own at its time.
    await db.close()
    moved.set(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # 10:00 on 3 Dec in Shanghai
    db = await Database.open(settings.database.path)
    job = Backups(db, settings)
    late = await job.tick()
    assert late is not None and late.day == "2026-12-03"
    assert await job.tick() is None
    async with db.read() as conn:
        last = await backups.last_backup(conn)
    await db.close()
    assert last is not None and last.ok and last.day == "2026-12-03" and last.size
    names = sorted(p.name for p in settings.backup.dir.iterdir())
    assert names == [
        "community-2026-11-30.sqlite3",
        "community-2026-12-01.sqlite3",
        "community-2026-12-03.sqlite3",
    ]


async def test_a_failed_backup_is_recorded_and_tried_again_an_hour_later(
    settings: Settings, moved: ManualClock, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    failing = community(settings.database.path, backup={"dir": str(blocker / "backups")})
    db = await Database.open(settings.database.path)
    job = Backups(db, failing)
    failed = await job.tick()
    assert failed is not None and not failed.ok and failed.error
    assert await job.tick() is None  # not at every tick
    moved.advance(hours=1)
    assert await job.tick() is not None
    async with db.read() as conn:
        last = await backups.last_backup(conn)
        taken = await backups.last_backup(conn, ok=True)
    await db.close()
    assert last is not None and not last.ok and last.size is None
    assert taken is None


def test_retention_removes_only_copies_older_than_keep_days(
    settings: Settings, tmp_path: Path
) -> None:
    folder = settings.backup.dir
    folder.mkdir()
    keep = settings.backup.keep_days  # 14
    assert keep == 14
    today = date(2026, 12, 20)
    names = {
        "community-2026-12-20.sqlite3": True,
        "community-2026-12-06.sqlite3": True,  # 14 days old: kept
        "community-2026-12-05.sqlite3": False,  # 15: removed
        "community-2025-01-01.sqlite3": False,
        "other-2025-01-01.sqlite3": True,  # not ours
        "community-2025-01-01.sqlite3.bak": True,
        "notes.txt": True,
    }
    for name in names:
        (folder / name).write_text("x")
    removed = prune(settings, today)
    assert sorted(p.name for p in removed) == sorted(n for n, kept in names.items() if not kept)
    assert sorted(p.name for p in folder.iterdir()) == sorted(n for n, k in names.items() if k)


def test_the_copy_of_a_day_is_named_by_that_day(settings: Settings) -> None:
    assert due_day(settings, BEFORE) == date(2026, 11, 30)
    assert due_day(settings, datetime(2026, 11, 30, 19, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert file_name(settings, date(2026, 12, 1)) == "community-2026-12-01.sqlite3"
