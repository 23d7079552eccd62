"""The database connection: pragmas, migrations and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage import clock
from storage.private import private_file

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def now_iso() -> str:
    return iso(clock.now())


def iso(moment: datetime) -> str:
    """UTC, fixed width, so that text order is time order in SQL."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Every call on an aiosqlite connection or cursor is a hop to its thread and back (a queue, a
# wake-up, a future): `async with conn.execute(...) as cur: await cur.fetchone()` takes three
# (execute, fetch, close). These take one.


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> sqlite3.Row | None:
    """The first row of a query that yields one row or none (a key's lookup), in one hop."""
    for row in await conn.execute_fetchall(sql, params):
        return row
    return None


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> list[sqlite3.Row]:
    """Every row of a query, in one hop."""
    return list(await conn.execute_fetchall(sql, params))


class Database:
    """One connection, one writer at a time: SQLite has a single writer anyway.

    Every access holds the lock, so a coroutine never reads another one's uncommitted rows.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            # Before SQLite creates it: the WAL and SHM files take the database file's mode.
            private_file(Path(path))
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves.
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed report survives a power cut; NORMAL may lose the last commits.
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        db = cls(conn)
        await db.migrate()
        # SQLite's advice for a long-lived connection: optimize when opened (with a cap on the
        # work, analysing what has never been analysed), then now and then (Database.optimize).
        await conn.execute("PRAGMA optimize=0x10002")
        return db

    async def optimize(self) -> None:
        """Refresh the query planner's statistics where they are out of date."""
        async with self._lock:
            await self._conn.execute("PRAGMA optimize")

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def migrate(self) -> None:
        """Apply the numbered .sql files newer than PRAGMA user_version, in one transaction."""
        files = sorted(
            (int(m.group(1)), f.name)
            for f in resources.files("storage.migrations").iterdir()
            if (m := _MIGRATION_NAME.match(f.name))
        )
        # A migration may rebuild a table others refer to (SQLite's documented way to change a
        # column's constraint): foreign keys are off meanwhile and checked before the commit.
        await self._conn.execute("PRAGMA foreign_keys=OFF")
        try:
            async with self.transaction() as conn:
                async with conn.execute("PRAGMA user_version") as cur:
                    row = await cur.fetchone()
                current = int(row[0]) if row else 0
                for number, name in files:
                    if number <= current:
                        continue
                    sql = resources.files("storage.migrations").joinpath(name).read_text("utf-8")
                    log.info("applying migration %s", name)
                    for statement in _statements(sql):
                        await conn.execute(statement)
                    await conn.execute(f"PRAGMA user_version={number}")
                async with conn.execute("PRAGMA foreign_key_check") as cur:
                    broken = await cur.fetchall()
                if broken:
                    raise RuntimeError(f"a migration broke foreign keys: {list(broken)[:5]}")
        finally:
            await self._conn.execute("PRAGMA foreign_keys=ON")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT: read-modify-write without 'database is locked' surprises."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            yield self._conn


def _statements(sql: str) -> list[str]:
    # The migration files hold plain DDL, one statement per ';' (a trigger's body, whose
    # statements end in ';' too, is kept whole: a piece ends where SQLite says a statement does).
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    piece = ""
    for part in "\n".join(lines).split(";"):
        piece += part + ";"
        if sqlite3.complete_statement(piece):
            if piece.strip(" \n;"):
                statements.append(piece.strip().removesuffix(";").strip())
            piece = ""
    if piece.strip(" \n;"):
        statements.append(piece.strip().removesuffix(";").strip())
    return statements
