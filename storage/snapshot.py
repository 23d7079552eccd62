"""Copies of the database file: the online backup, and the checks and swap of a restore."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import aiosqlite

from storage import private
from storage.db import _MIGRATION_NAME

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every database of ours has since its first migration.
OUR_TABLES = {"requests", "outbox", "events", "users"}


class NotOurs(Exception):
    """The file is not a sound database of this bot."""


def latest_version() -> int:
    """The schema version this code migrates to (the highest migration number)."""
    numbers = [
        int(m.group(1))
        for f in resources.files("storage.migrations").iterdir()
        if (m := _MIGRATION_NAME.match(f.name))
    ]
    return max(numbers)


def _private_file(path: Path) -> None:
    """An empty file only the bot's user can read, for SQLite to fill."""
    path.unlink(missing_ok=True)
    private.private_file(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _settle(partial: Path, target: Path) -> int:
    """Flush the finished copy to disk and give it its name; its size."""
    _fsync(partial)
    os.replace(partial, target)
    os.chmod(target, private.FILE_MODE)
    _fsync(target.parent)
    return target.stat().st_size


async def copy_online(source: Path, target: Path) -> int:
    """Copy the live database `source` to `target` (mode 0600) in one step of SQLite's backup
    API: a consistent snapshot of what was committed, while the bot goes on writing (WAL lets
    its writer carry on). The copy is one self-contained file. Returns its size."""
    partial = target.with_name(target.name + ".partial")
    await asyncio.to_thread(_private_file, partial)
    try:
        async with aiosqlite.connect(source) as src, aiosqlite.connect(partial) as dest:
            await src.execute("PRAGMA busy_timeout=5000")
            await src.backup(dest, pages=-1)
            # The copy keeps no WAL beside it: one file to move, check and restore.
            await dest.execute("PRAGMA journal_mode=DELETE")
            async with dest.execute("PRAGMA quick_check") as cur:
                verdict = await cur.fetchone()
            if verdict is None or verdict[0] != "ok":
                raise NotOurs(f"the copy failed its check: {verdict[0] if verdict else '?'}")
        return await asyncio.to_thread(_settle, partial, target)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)


@dataclass(frozen=True)
class Checked:
    version: int  # PRAGMA user_version: the schema it was written with
    requests: int  # requests it holds
    newest: str | None  # when its newest request was filed (UTC)


def check(file: Path) -> Checked:
    """Whether `file` is a sound database of ours that this code can open; NotOurs if not."""
    if not file.is_file():
        raise NotOurs(f"{file} is not a file")
    with file.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise NotOurs(f"{file} is not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise NotOurs(f"{file} fails SQLite's integrity check: {'; '.join(verdict[:3])}")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if version < 1 or not tables >= OUR_TABLES:
                raise NotOurs(f"{file} is an SQLite database, but not one of this bot")
            if version > latest_version():
                raise NotOurs(
                    f"{file} was written by a newer version of the bot (schema {version}, this "
                    f"code knows {latest_version()}): upgrade the bot first"
                )
            count, newest = conn.execute(
                "SELECT count(*), max(created_at) FROM requests"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise NotOurs(f"{file} cannot be read as a database: {exc}") from exc
    return Checked(version, int(count), newest)


def install(backup: Path, database: Path, now: datetime) -> Path | None:
    """Put a copy of `backup` in place of `database` (the bot stopped); the current database,
    with its WAL, is kept aside under a name with the time. Returns that name (None if there
    was no database)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    kept: Path | None = None
    if database.exists():
        kept = database.with_name(f"{database.name}.before-restore-{now:%Y%m%dT%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            part = database.with_name(database.name + suffix)
            if part.exists():
                os.replace(part, kept.with_name(kept.name + suffix))
    partial = database.with_name(database.name + ".restoring")
    _private_file(partial)
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        dest = sqlite3.connect(partial)
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
        _fsync(partial)
        os.replace(partial, database)
        os.chmod(database, private.FILE_MODE)
        _fsync(database.parent)
    finally:
        partial.unlink(missing_ok=True)
    return kept
