"""No query on the measured paths reads a whole big table.

Every statement the bot runs while filing, claiming and resolving, listing a resident's
requests and a timeline, a worker's queue, the scheduler's sweep (digests, reminders), the
month's figures and the outbox's delivery is recorded (SQLite's trace callback), then asked
for its plan with EXPLAIN QUERY PLAN. A "SCAN" of a table that grows with requests, people or
messages fails the test: at a million requests such a query takes seconds, not milliseconds.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.core import Actor, Draft, Pressed, Requests
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action
from bot.gatherings import Gatherings
from bot.housekeeping import prune_sent
from bot.kpi import Period
from bot.schedule import Reminders
from bot.stats import report
from storage import clock, dialogs, outbox, users
from storage.db import Database
from storage.dialogs import Dialog
from tests.conftest import GROUP_A, WORKER_A1, community

# Tables that grow with requests, people or messages. The directory's tables (grids,
# buildings, categories, roles, chats, event series) are a few dozen rows: scanning is fine.
BIG = {
    "requests",
    "events",
    "followers",
    "outbox",
    "cards",
    "card_places",
    "moved_cards",
    "users",
    "dialogs",
    "points",
    "broadcast_rows",
    "reminders",
    "digests",
}
_SCAN = re.compile(r"\bSCAN (\w+)")

# The planner's statistics of a database of a million requests (ANALYZE, as PRAGMA optimize
# leaves them; from bench/scale.py). They say how many rows each index's prefix picks on
# average: a status picks a seventh of all requests, so with them the planner would rather
# read every request than a status index, though the open statuses are a thousandth of them.
AT_SCALE = {
    ("card_places", "card_places_chat"): "1000000 100000",
    ("card_places", "card_places_request"): "1000000 1 1",
    ("cards", "cards_message"): "1000000 100000 1",
    ("cards", "sqlite_autoindex_cards_1"): "1000000 1 1",
    ("digests", "sqlite_autoindex_digests_1"): "18250 1825 1",
    ("events", "events_action_at"): "3860287 386029 1",
    ("events", "events_request"): "3860287 4 1",
    ("followers", "followers_user"): "49971 2 1",
    ("followers", "sqlite_autoindex_followers_1"): "49971 1 1",
    ("inbox", "inbox_done_at"): "16438 1",
    ("outbox", "outbox_chat"): "114583 8 8",
    ("outbox", "outbox_due"): "114583 114583 3",
    ("outbox", "outbox_request"): "114583 7 3",
    ("outbox", "outbox_sent"): "114583 3",
    ("reminders", "sqlite_autoindex_reminders_1"): "89956 1 1 1",
    ("requests", "requests_assignee"): "1000000 47620 15625",
    ("requests", "requests_claim_due"): "1000000 142858 1",
    ("requests", "requests_grid"): "1000000 100000 14286 1",
    ("requests", "requests_open"): "1000000 1000000 10000 2500 402",
    ("requests", "requests_reporter"): "1000000 11",
    ("requests", "requests_resolve_due"): "1000000 142858 2",
    ("requests", "sqlite_autoindex_requests_1"): "1000000 1000000 1",
    ("users", None): "100000",
}
_PLANNED = ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")


async def _plans(db: Database, statements: list[str]) -> dict[str, list[str]]:
    """Each distinct statement's full scans of big tables (an empty list: none)."""
    found: dict[str, list[str]] = {}
    async with db.read() as conn:
        # A scan of a partial index (the pending rows of the outbox) reads only what it holds.
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
        ) as cur:
            partial = {row[0] for row in await cur.fetchall()}
        for sql in dict.fromkeys(statements):
            if not sql.lstrip().upper().startswith(_PLANNED) or sql.startswith("--"):
                continue
            async with conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
                details = [row[3] for row in await cur.fetchall()]
            found[sql] = [
                d
                for d in details
                if (((m := _SCAN.search(d)) and m.group(1) in BIG) or _scans_alias(d, sql))
                and not any(d.endswith(f" INDEX {index}") for index in partial)
            ]
    return found


def _scans_alias(detail: str, sql: str) -> bool:
    """A scan named by an alias ("SCAN o") of a big table ("FROM outbox o")."""
    m = _SCAN.search(detail)
    if m is None:
        return False
    alias = m.group(1)
    return any(re.search(rf"\b{table}\s+(?:AS\s+)?{alias}\b", sql, re.IGNORECASE) for table in BIG)


async def test_no_query_on_the_measured_paths_scans_a_big_table(tmp_path: Path) -> None:
    settings = community(tmp_path / "plans.sqlite3")
    db = await Database.open(settings.database.path)
    await sync_with_config(db, settings)
    book = await DirectoryBook.open(db)
    requests = Requests(db, settings, book, "plans_bot")
    gatherings = Gatherings(db, settings, book)
    reminders = Reminders(db, settings, book, requests, gatherings)
    async with db.transaction() as conn:
        for uid in range(1, 21):
            await users.ensure(conn, uid, f"R{uid}", "en")
            await users.register(conn, uid, "1", f"1-{100 + uid}", None)
            await dialogs.save(conn, Dialog(uid, "report", "confirm", {}))

    manual = clock.ManualClock(clock.now())
    previous = clock.use(manual)
    statements: list[str] = []
    async with db.read() as conn:
        await conn.set_trace_callback(statements.append)
    try:
        worker = Actor(WORKER_A1, "Wang A1")
        for uid in range(1, 21):
            await requests.find_duplicate("repair", "water", "1")
            filed = await requests.file(Actor(uid, f"R{uid}"), Draft("repair", "water", "1", "n"))
            assert filed.ok, filed
        for request_id in range(1, 11):
            claimed = await requests.apply(
                worker, request_id, Action.CLAIM, pressed=Pressed(GROUP_A, request_id)
            )
            assert claimed.ok, claimed
        for request_id in range(1, 6):
            resolved = await requests.apply(worker, request_id, Action.RESOLVE, note="fixed")
            assert resolved.ok, resolved
        for uid in range(1, 6):
            assert await requests.mine(uid)
            assert await requests.timeline(uid, uid) is not None
        waiting, mine = await requests.queue(WORKER_A1)
        assert waiting and mine
        async with db.read() as conn:
            rows = await outbox.due(conn, clock.now())
            assert rows
            for row in rows[:5]:
                await outbox.superseded(conn, row)
                if row.request_id is not None:
                    await outbox.card_chats(conn, row.request_id)
        async with db.transaction() as conn:
            for row in rows:
                await outbox.mark_sent(conn, row.id)
        manual.advance(days=3, hours=1)
        await reminders.tick()
        now = clock.now()
        month_ago = now - timedelta(days=31)
        period = Period(month_ago, now, month_ago.date(), now.date())
        await report(db, settings, book.current, period, None, now)
        await report(db, settings, book.current, period, ["A"], now)
        await prune_sent(db, settings)
    finally:
        clock.use(previous)
        async with db.read() as conn:
            await conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing

    plans = await _plans(db, statements)
    assert len(plans) > 40, "the paths ran fewer statements than expected"
    scans = {sql: scan for sql, scan in plans.items() if scan}
    assert not scans, "full scans:\n" + "\n".join(f"{s}\n  -> {v}" for s, v in scans.items())

    # The same statements as the planner sees them once a million requests are analysed.
    async with db.transaction() as conn:
        await conn.execute("ANALYZE")
        for (table, index), stat in AT_SCALE.items():
            await conn.execute(
                "DELETE FROM sqlite_stat1 WHERE tbl = ? AND idx IS ?", (table, index)
            )
            await conn.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", (table, index, stat)
            )
    async with db.read() as conn:
        await conn.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again
    plans = await _plans(db, statements)
    await db.close()
    scans = {sql: scan for sql, scan in plans.items() if scan}
    assert not scans, "full scans at a million requests:\n" + "\n".join(
        f"{s}\n  -> {v}" for s, v in scans.items()
    )
