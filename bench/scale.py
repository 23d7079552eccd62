"""Part 4, scale of data: the measured paths on a database of a million requests.

A database of the real schema (opened once through storage.db.Database, which migrates it) is
filled in bulk with what the use cases would have written over the years: residents, requests
in a realistic mix of statuses (a few thousand still open), their events (filed, claim,
resolve, rate, …), followers, cards and where they live, and the outbox as it stands after
pruning (only the messages of the last `keep_sent_days`). Then each path is timed through the
real code (use cases and storage functions, not SQL written here), the file is measured, and
the bot is started on it as a child process (`python -m bot` against the fake Bot API server).

    python -m bench.run --only data [--quick]
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.table import Figure
from bot.core import Actor, Pressed, Requests
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action
from bot.gatherings import Gatherings
from bot.kpi import period_of
from bot.schedule import Reminders
from bot.settings import Settings
from bot.stats import report
from storage.db import Database, iso
from tests.conftest import ADMIN, ADMIN_CHAT, community_data
from tests.fakebot import FakeBotApi

PART = "Data"
ROOT = Path(__file__).resolve().parent.parent
GRIDS = 10
BUILDINGS_PER_GRID = 10
WORKERS_PER_GRID = 2
CATEGORIES = (("water", 2, 24), ("light", 4, 48), ("lift", 2, 24), ("door", 8, 72))
YEARS = 5
RESIDENT_BASE = 10_000_000
START_WAIT = 120.0  # s: a start-up slower than this is reported as such
WORKER_BASE = 5_000
# Messages the use cases queue per request, by the event that caused them (bot/core.py): a
# card and the "saved" notice; at a claim the card's edit, the worker's details and the
# resident's notice; at a resolve the edit and the "please rate"; at the end the last edit.
MESSAGES = {"filed": 2, "claim": 3, "resolve": 2, "rate": 1, "close_unrated": 1, "cancel": 2}
MESSAGES |= {"merge": 2, "not_fixed": 2, "follow": 2, "note": 1}
CARD_TEXT = (
    "🔧 <b>R-{seq:07d}</b> 水管 Plumbing · 楼 {building}\n"
    "厨房水龙头一直滴水，晚上声音很大 / The kitchen tap keeps dripping\n"
    "期限 Deadline: 2 h · 关注 followers: 0"
)
NOTICE_TEXT = (
    "您的报修 R-{seq:07d} 已保存，2 小时内有人认领。Saved as R-{seq:07d}: claimed within 2 h."
)
BUTTONS = json.dumps(
    [
        [{"text": "认领 Claim", "data": "v1:claim:{id}"}],
        [{"text": "详情 Details", "data": "v1:tl:{id}"}],
    ],
    ensure_ascii=False,
)


def _say(text: str) -> None:
    print(f"   data: {text}", file=sys.stderr, flush=True)


def _settings(path: Path, base_url: str) -> Settings:
    return Settings(**_config(path, base_url))


def _config(path: Path, base_url: str) -> dict[str, Any]:
    """The test community's shape, at a district's size: ten grids of ten buildings."""
    data = community_data(path, base_url)
    data["grids"] = [
        {
            "id": f"G{g:02d}",
            "name": f"网格 {g}",
            "buildings": [str(g * BUILDINGS_PER_GRID + b + 1) for b in range(BUILDINGS_PER_GRID)],
            "group_chat_id": _group(g),
            "workers": [_worker(g, w) for w in range(WORKERS_PER_GRID)],
        }
        for g in range(GRIDS)
    ]
    data["categories"] = [
        {"id": key, "name_zh": key, "name_en": key.title(), "claim_hours": c, "resolve_hours": r}
        for key, c, r in CATEGORIES
    ]
    data["admins"] = [ADMIN]
    data["admin_chat_id"] = ADMIN_CHAT
    return data


def _group(g: int) -> int:
    return -1_001_000_000 - g


def _worker(g: int, w: int) -> int:
    return WORKER_BASE + g * 10 + w


# --- the data ------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.event = 0
        self.outbox = 0


def _status_of(rank: int, n: int, rnd: random.Random) -> str:
    """rank 0 is the newest request: the newest are still being worked, the old are done."""
    x = rnd.random()
    if rank < max(30, n * 3 // 1000):
        return (
            "open" if x < 0.4 else "claimed" if x < 0.8 else "resolved" if x < 0.95 else "reopened"
        )
    if rank < n * 2 // 100:
        if x < 0.02:
            return "open"
        if x < 0.05:
            return "claimed"
        if x < 0.10:
            return "resolved"
    if x < 0.70:
        return "rated"
    if x < 0.88:
        return "unrated"
    return "cancelled" if x < 0.94 else "duplicate" if x < 0.98 else "rated_note"


# The events each fate leaves (the actions bot/core.py records), each a number of hours after
# the filing.
_STEPS: dict[str, tuple[tuple[str, str | None, str | None, float], ...]] = {
    "open": (),
    "claimed": (("claim", "open", "claimed", 0.7),),
    "resolved": (("claim", "open", "claimed", 0.7), ("resolve", "claimed", "resolved", 9.0)),
    "reopened": (
        ("claim", "open", "claimed", 0.7),
        ("resolve", "claimed", "resolved", 9.0),
        ("not_fixed", "resolved", "reopened", 20.0),
    ),
    "rated": (
        ("claim", "open", "claimed", 0.7),
        ("resolve", "claimed", "resolved", 9.0),
        ("rate", "resolved", "closed", 30.0),
    ),
    "rated_note": (
        ("claim", "open", "claimed", 0.7),
        ("note", None, None, 3.0),
        ("resolve", "claimed", "resolved", 9.0),
        ("rate", "resolved", "closed", 30.0),
    ),
    "unrated": (
        ("claim", "open", "claimed", 1.5),
        ("resolve", "claimed", "resolved", 20.0),
        ("close_unrated", "resolved", "closed", 24.0 * 7 + 20),
    ),
    "cancelled": (("cancel", "open", "cancelled", 0.5),),
    "duplicate": (("merge", "open", "duplicate", 0.3),),
}


def _generate(path: Path, n: int, residents: int, keep_sent_days: int) -> dict[str, int]:
    """Fill the migrated database at `path` in bulk. Returns counts of what it wrote."""
    rnd = random.Random(11)
    now = datetime.now(UTC)
    start = now - timedelta(days=365 * YEARS)
    keep_from = now - timedelta(days=keep_sent_days)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    con.execute("BEGIN")
    homes: list[tuple[int, str, str]] = []
    users = []
    for i in range(residents):
        uid = RESIDENT_BASE + i
        building = str(rnd.randrange(GRIDS * BUILDINGS_PER_GRID) + 1)
        unit = f"{rnd.randrange(1, 7)}-{rnd.randrange(1, 30)}0{rnd.randrange(1, 5)}"
        joined = iso(start + (now - start) * (i / residents))
        users.append(
            (
                uid,
                f"居民{i}",
                "zh" if i % 5 else "en",
                building,
                unit,
                f"138{i:08d}",
                joined,
                joined,
            )
        )
        homes.append((uid, building, unit))
    con.executemany(
        "INSERT INTO users (user_id, name, lang, building, unit, phone, registered_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        users,
    )
    del users
    _say(f"{residents:,} residents")
    ids = _Ids()
    counts = {"requests": 0, "events": 0, "outbox": 0, "followers": 0, "open": 0}
    seq = 0
    message_of = [0] * GRIDS
    for chunk in _chunks(n, 50_000):
        requests: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        followers: list[tuple[Any, ...]] = []
        cards: list[tuple[Any, ...]] = []
        places: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        reminders: list[tuple[Any, ...]] = []
        for i in chunk:
            seq += 1
            rank = n - 1 - i
            created = start + (now - start) * (i / n) + timedelta(seconds=rnd.randrange(60))
            fate = _status_of(rank, n, rnd)
            uid, building, unit = homes[rnd.randrange(residents)]
            g = (int(building) - 1) // BUILDINGS_PER_GRID
            category, claim_h, resolve_h = CATEGORIES[rnd.randrange(len(CATEGORIES))]
            worker = _worker(g, rnd.randrange(WORKERS_PER_GRID))
            steps = [
                (a, f, t, h) for a, f, t, h in _STEPS[fate] if created + timedelta(hours=h) < now
            ]
            status = "open"
            for _action, _before, after, _hours in steps:
                status = after or status
            claimed = any(a == "claim" for a, *_ in steps)
            holds = status in ("claimed", "resolved", "closed")
            claim_hours = next((h for a, _f, _t, h in steps if a == "claim"), None)
            resolve_due = (
                iso(created + timedelta(hours=claim_hours + resolve_h))
                if claimed and claim_hours is not None and status != "reopened"
                else None
            )
            rating = next((rnd.choice((3, 4, 5, 5, 5)) for a, *_ in steps if a == "rate"), None)
            stamp = iso(created)
            last = iso(created + timedelta(hours=steps[-1][3])) if steps else stamp
            requests.append(
                (
                    i + 1,
                    "repair",
                    seq,
                    category,
                    f"第 {seq} 号：厨房水龙头一直滴水 / tap dripping in the kitchen",
                    building,
                    unit,
                    "[]" if rnd.random() < 0.7 else '["AgACAgUAAxkBAAIBZ2VmZmY"]',
                    uid,
                    None,
                    f"G{g:02d}",
                    status,
                    worker if holds else None,
                    f"网格员 {worker}" if holds else None,
                    iso(created + timedelta(hours=claim_h)),
                    resolve_due,
                    rating,
                    max(1, i - rnd.randrange(1, 50)) if status == "duplicate" else None,
                    stamp,
                    last,
                )
            )
            counts["open"] += status in ("open", "claimed", "reopened")
            request_id = i + 1
            ids.event += 1
            events.append(
                (
                    ids.event,
                    request_id,
                    stamp,
                    uid,
                    "居民",
                    "filed",
                    None,
                    "open",
                    "厨房水龙头滴水",
                    None,
                )
            )
            happened = [("filed", created)]
            for action, before, after, hours in steps:
                at = created + timedelta(hours=hours)
                ids.event += 1
                actor = uid if action in ("rate", "cancel", "not_fixed") else worker
                note = (
                    str(rating)
                    if action == "rate"
                    else "已修好 fixed"
                    if action == "resolve"
                    else None
                )
                events.append(
                    (
                        ids.event,
                        request_id,
                        iso(at),
                        actor,
                        "name",
                        action,
                        before,
                        after,
                        note,
                        None,
                    )
                )
                happened.append((action, at))
            if rnd.random() < 0.05:
                follower = homes[rnd.randrange(residents)][0]
                at = created + timedelta(minutes=30)
                if at < now:
                    followers.append((request_id, follower, iso(at)))
                    ids.event += 1
                    events.append(
                        (
                            ids.event,
                            request_id,
                            iso(at),
                            follower,
                            "f",
                            "follow",
                            None,
                            None,
                            None,
                            None,
                        )
                    )
                    happened.append(("follow", at))
            # The card's outbox row comes first; later rows of this request follow its events.
            card_id = ids.outbox + 1
            message_of[g] += 1
            cards.append((request_id, _group(g), message_of[g], 0))
            places.append((card_id, request_id, _group(g)))
            for action, at in happened:
                for k in range(MESSAGES[action]):
                    ids.outbox += 1
                    if at < keep_from:
                        continue
                    chat = _group(g) if k == 0 and action != "follow" else uid
                    kind = "card" if ids.outbox == card_id else "edit_card" if chat < 0 else "send"
                    sent = iso(at + timedelta(seconds=1))
                    outbox.append(
                        (
                            ids.outbox,
                            chat,
                            kind,
                            request_id,
                            (CARD_TEXT if chat < 0 else NOTICE_TEXT).format(
                                seq=seq, building=building
                            ),
                            BUTTONS.replace("{id}", str(request_id)) if chat < 0 else "[]",
                            "sent",
                            1,
                            iso(at),
                            iso(at),
                            sent,
                        )
                    )
            if claimed and rnd.random() < 0.1:
                reminders.append(
                    (request_id, "claim_late", iso(created + timedelta(hours=claim_h)), last)
                )
        con.executemany(
            "INSERT INTO requests (id, kind, seq, category, description, building, "
            "unit, photos, reporter_id, filed_by, grid_id, status, assignee_id, "
            "assignee_name, claim_due_at, resolve_due_at, rating, duplicate_of, "
            "created_at, updated_at) VALUES (" + ",".join("?" * 20) + ")",
            requests,
        )
        con.executemany(
            "INSERT INTO events (id, request_id, at, actor_id, actor_name, action, "
            "from_status, to_status, note, photo) VALUES (?,?,?,?,?,?,?,?,?,?)",
            events,
        )
        con.executemany("INSERT OR IGNORE INTO followers VALUES (?, ?, ?)", followers)
        con.executemany("INSERT INTO cards VALUES (?, ?, ?, ?)", cards)
        # Rows the triggers would have written when the cards were queued (their outbox rows
        # are pruned since).
        con.executemany("INSERT OR IGNORE INTO card_places VALUES (?, ?, ?)", places)
        con.executemany(
            "INSERT INTO outbox (id, chat_id, kind, request_id, text, buttons, "
            "status, attempts, next_attempt_at, created_at, sent_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            outbox,
        )
        con.executemany("INSERT OR IGNORE INTO reminders VALUES (?, ?, ?, ?)", reminders)
        counts["requests"] += len(requests)
        counts["events"] += len(events)
        counts["outbox"] += len(outbox)
        counts["followers"] += len(followers)
        _say(f"{counts['requests']:,} requests, {counts['events']:,} events")
    days = (now - start).days
    con.executemany(
        "INSERT OR IGNORE INTO digests VALUES (?, ?, ?, 0)",
        (
            (
                f"G{g:02d}",
                (start + timedelta(days=d)).date().isoformat(),
                iso(start + timedelta(days=d)),
            )
            for g in range(GRIDS)
            for d in range(days)
        ),
    )
    # Two days of handled updates (the inbox keeps them that long, emptied): about fifteen
    # updates a request.
    per_day = max(1, n * 15 // (365 * YEARS))
    first_update = 900_000_000
    con.executemany(
        "INSERT INTO inbox (update_id, raw, received_at, status, done_at) "
        "VALUES (?, '', ?, 'done', ?)",
        (
            (first_update + k, done, done)
            for k in range(2 * per_day)
            if (done := iso(now - timedelta(days=2) + timedelta(seconds=k * 86400 / per_day)))
        ),
    )
    con.execute("COMMIT")
    # What PRAGMA optimize has done over the years in a running bot (bot/housekeeping.py).
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return counts


def _chunks(n: int, size: int) -> Iterator[range]:
    for first in range(0, n, size):
        yield range(first, min(n, first + size))


# --- the figures -----------------------------------------------------------------------------


async def _timed(runs: Sequence[Callable[[], Awaitable[object]]]) -> tuple[float, float]:
    """Median and worst of the runs, in ms."""
    took = []
    for run in runs:
        started = time.perf_counter()
        await run()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), max(took)


def _ms(name: str, median: float, worst: float, limit: float) -> Figure:
    return Figure(
        PART, name, f"{median:.1f} ms (worst {worst:.1f})", f"< {limit:g} ms", median < limit
    )


async def _paths(settings: Settings, runs: int, open_n: int) -> list[Figure]:
    db = await Database.open(settings.database.path)
    await sync_with_config(db, settings)
    book = await DirectoryBook.open(db)
    requests = Requests(db, settings, book, "bench_bot")
    gatherings = Gatherings(db, settings, book)
    reminders = Reminders(db, settings, book, requests, gatherings)
    rnd = random.Random(4)
    figures: list[Figure] = []
    workers = [_worker(g, 0) for g in range(GRIDS)]
    queue = [lambda w=w: requests.queue(w) for w in rnd.sample(workers, min(runs, len(workers)))]
    figures.append(_ms("a worker's /queue (their grid)", *await _timed(queue), 50))
    async with db.read() as conn:
        async with conn.execute(
            "SELECT reporter_id, id FROM requests ORDER BY id DESC LIMIT ?", (runs * 50,)
        ) as cur:
            recent = [(row[0], row[1]) for row in await cur.fetchall()][::50]
        async with conn.execute(
            "SELECT id, grid_id FROM requests WHERE status = 'open' ORDER BY id LIMIT ?", (runs,)
        ) as cur:
            waiting = [(row[0], row[1]) for row in await cur.fetchall()]
    mine = [lambda u=u: requests.mine(u) for u, _ in recent]
    figures.append(_ms("a resident's /my", *await _timed(mine), 50))
    timelines = [lambda u=u, r=r: requests.timeline(u, r) for u, r in recent]
    figures.append(_ms("a request's timeline", *await _timed(timelines), 50))
    buildings = [str(rnd.randrange(GRIDS * BUILDINGS_PER_GRID) + 1) for _ in range(runs)]
    dupes = [lambda b=b: requests.find_duplicate("repair", "water", b) for b in buildings]
    figures.append(_ms("the duplicate check at filing", *await _timed(dupes), 50))
    # The digests of every grid at once, as the schedule sends them: a new day each run, a
    # minute after the digest's time.
    tz = settings.community.tz
    at = datetime.combine(
        datetime.now(tz).date(), dt_time.fromisoformat(settings.schedule.digest_time), tzinfo=tz
    ) + timedelta(minutes=1)
    digest_runs = [
        lambda d=d: reminders._digests(at + timedelta(days=d + 1))
        for d in range(max(2, runs // 4))
    ]
    median, worst = await _timed(digest_runs)
    # Each grid's digest is one transaction (what an update may wait behind): the figure held
    # to the target is a grid's share; the whole round is given beside it.
    figures.append(
        _ms(
            f"daily digest, one grid ({open_n // GRIDS:,} open there; own transaction)",
            median / GRIDS,
            worst / GRIDS,
            50,
        )
    )
    figures.append(
        Figure(PART, f"daily digest, all {GRIDS} grids", f"{median:.0f} ms (worst {worst:.0f})")
    )
    now = datetime.now(UTC)
    last_month = (now.astimezone(tz).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    period = period_of(last_month, now, tz, (), ())
    assert period is not None
    months = [
        lambda: report(db, settings, book.current, period, None, now),
        lambda: report(db, settings, book.current, period, ["G03"], now),
    ] * max(1, runs // 4)
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM events WHERE action = 'filed' AND at >= ? AND at < ?",
            (iso(period.since), iso(period.until)),
        ) as cur,
    ):
        row = await cur.fetchone()
    month_n = int(row[0]) if row else 0
    median, worst = await _timed(months)
    figures.append(
        _ms(
            f"a month of KPIs (/stats, {month_n:,} requests; all grids and one)", median, worst, 50
        )
    )

    async def claim(request_id: int, grid: str) -> None:
        g = int(grid[1:])
        async with (
            db.read() as conn,
            conn.execute(
                "SELECT message_id FROM cards WHERE request_id = ?", (request_id,)
            ) as cur,
        ):
            row = await cur.fetchone()
        assert row is not None
        pressed = Pressed(_group(g), int(row[0]))
        worker = Actor(_worker(g, 1), "网格员")
        started = time.perf_counter()
        done = await requests.apply(worker, request_id, Action.CLAIM, pressed=pressed)
        took.append((time.perf_counter() - started) * 1000)
        assert done.ok, done

    took: list[float] = []
    for request_id, grid in waiting:
        await claim(request_id, grid)
    figures.append(
        _ms(
            "a claim (Requests.apply, one transaction, synchronous=FULL)",
            statistics.median(took),
            max(took),
            10,
        )
    )
    await db.close()
    return figures


def _size(path: Path, n: int) -> list[Figure]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    owner = dict(con.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
    by_table: dict[str, int] = {}
    for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        by_table[table] = by_table.get(table, 0) + size
    outbox_rows = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    con.close()
    total = path.stat().st_size
    share = by_table.get("outbox", 0) / total
    top = sorted(by_table.items(), key=lambda kv: -kv[1])[:4]
    _say("largest: " + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in top))
    return [
        Figure(PART, "database file", f"{total / 1e6:,.0f} MB ({n:,} requests)"),
        Figure(PART, "bytes per request (the whole file)", f"{total / n:,.0f} B"),
        Figure(
            PART,
            f"outbox's share of the file ({outbox_rows:,} rows kept)",
            f"{share * 100:.1f} %",
            "< 10 % (grows with requests, not messages)",
            share < 0.10,
        ),
    ]


async def _start_up(folder: Path, settings: Settings) -> list[Figure]:
    """`python -m bot` on the database until it asks for updates; its RSS then."""
    from tests.test_process import to_toml

    async with FakeBotApi() as server:
        data = _config(settings.database.path, server.base_url)
        del data["telegram"]["token"]
        data["telegram"]["poll_timeout_seconds"] = 1
        config = folder / "config.toml"
        config.write_text(to_toml(data), encoding="utf-8")
        env = {**os.environ, "BOT__TELEGRAM__TOKEN": server.token, "PYTHONUNBUFFERED": "1"}
        log = (folder / "bot.log").open("wb")
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            # A file, not a pipe: a pipe nobody reads while the bot runs could fill and stall it.
            stderr=log,
        )
        ready = rss = float("nan")
        try:
            while not any(method == "getUpdates" for method, _ in server.calls):
                if child.returncode is not None or time.perf_counter() - started > START_WAIT:
                    break
                await asyncio.sleep(0.01)
            else:
                ready = time.perf_counter() - started
                await asyncio.sleep(1.0)  # the first delivery round and the jobs, settled
                rss = _rss_mb(child.pid)
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), START_WAIT)
            except TimeoutError:
                child.kill()
                await child.wait()
            log.close()
        if child.returncode != 0 or math.isnan(ready):
            said = (folder / "bot.log").read_text("utf-8", "replace")[-2000:]
            _say(f"the bot (exit {child.returncode}) said: {said}")
    return [
        Figure(
            PART, "start-up (python -m bot until it polls)", f"{ready:.2f} s", "< 2 s", ready < 2
        ),
        Figure(PART, "RSS after start-up", f"{rss:.0f} MB", "< 150 MB", rss < 150),
    ]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _copy_kept(keep: str | None, path: Path) -> dict[str, int] | None:
    if not keep or not os.path.exists(keep):
        return None
    shutil.copyfile(keep, path)
    with open(keep + ".json") as kept:
        counts: dict[str, int] = json.load(kept)
    return counts


def _keep(path: Path, keep: str | None, counts: dict[str, int]) -> None:
    if keep:
        shutil.copyfile(path, keep)
        with open(keep + ".json", "w") as kept:
            json.dump(counts, kept)


async def measure(quick: bool) -> list[Figure]:
    n = 20_000 if quick else 1_000_000
    residents = 5_000 if quick else 100_000
    runs = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        # BENCH_DATA_COPY=FILE: keep a copy of the generated database there and start from it
        # next time (the paths change the database: each run starts from the copy).
        keep = os.environ.get("BENCH_DATA_COPY")
        path = folder / "db" / "bot.sqlite3"
        path.parent.mkdir()
        settings = _settings(path, "http://127.0.0.1:1/bot")
        counts = _copy_kept(keep, path)
        db = await Database.open(path)  # a kept copy gets any newer migration
        if counts is None:
            await sync_with_config(db, settings)
        await db.close()
        if counts is None:
            started = time.monotonic()
            counts = _generate(path, n, residents, settings.outbox.keep_sent_days)
            _say(f"generated in {time.monotonic() - started:.0f} s: {counts}")
            _keep(path, keep, counts)
        figures = [
            Figure(
                PART,
                "data set",
                f"{counts['requests']:,} requests, {residents:,} residents, "
                f"{counts['events']:,} events ({counts['events'] / n:.1f}/request), "
                f"{counts['open']:,} open",
            )
        ]
        figures += await _paths(settings, runs, counts["open"])
        figures += _size(path, n)
        figures += await _start_up(folder, settings)
    return figures


if __name__ == "__main__":
    for figure in asyncio.run(measure("--quick" in sys.argv)):
        print(f"{figure.name}: {figure.value}  {figure.target} {figure.verdict}")
