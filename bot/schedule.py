"""Time: deadline reminders and escalations, rating follow-ups, daily digests, quiet hours.

Everything is decided from the database and the one clock; the job queue only ticks. Each
step is recorded with the messages it sends, in one transaction, keyed by the deadline it was
for: a tick repeated, or a restart, sends nothing twice; a new deadline (a new claim) brings
its steps again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import aiosqlite

from bot import render
from bot.core import Actor, Requests
from bot.directory import DirectoryBook
from bot.domain import Action, Status
from bot.gatherings import Gatherings
from bot.i18n import t
from bot.kinds import policy_of
from bot.limits import clip
from bot.messages import Outgoing, enqueue
from bot.privacy import for_group
from bot.proxied import for_whom
from bot.quiet import quiet_until
from bot.settings import Settings
from storage import clock, outbox, schedule, users
from storage import requests as store
from storage.db import Database, iso
from storage.requests import Request

log = logging.getLogger(__name__)

# Who acts when a deadline passes, in a request's timeline.
BOT = Actor(0, "🤖")
# A digest the bot could not send within this long after its time is skipped, not sent late.
DIGEST_GRACE = timedelta(hours=3)

# The steps, in the order a request meets them.
CLAIM_LATE = "claim_late"  # re-announced in the chats that show its card
CLAIM_ESCALATED = "claim_escalated"  # to the admin chat; the resident is told
RESOLVE_SOON = "resolve_soon"  # the holder is warned before the deadline
RESOLVE_LATE = "resolve_late"  # the holder is reminded after it
RESOLVE_ESCALATED = "resolve_escalated"  # to the admin chat; the resident is told
RATE_REMINDER = "rate_reminder"  # the resident is asked once more to rate
WALL_AGAIN = "wall_again"  # a wish nobody took, posted again at the bottom of the wall
WEEKLY = "#weekly"  # the week's posts, kept with the digests
ECHO_NOTE_MAX = 120
# A grid's digest counts every open request (up to DIGEST_READ) and lists the oldest ones: a
# few messages at most, the group's 20 a minute are shared with its cards.
DIGEST_READ = 10_000
DIGEST_SHOWN = 300


def _resolved_at(request: Request) -> datetime:
    """When a resolved request was resolved: its last change."""
    return request.updated_at or request.created_at


@dataclass
class Tick:
    """What one tick did, for the log and the tests."""

    steps: int = 0
    closed: int = 0
    digests: int = 0
    weekly: int = 0  # echo wall and admin posts
    reposted: int = 0  # wishes brought back to the top of the wall
    events: int = 0  # event reminders

    @property
    def anything(self) -> bool:
        return bool(
            self.steps
            or self.closed
            or self.digests
            or self.weekly
            or self.reposted
            or self.events
        )


class Reminders:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        book: DirectoryBook,
        requests: Requests,
        gatherings: Gatherings,
    ) -> None:
        self._db = db
        self._settings = settings
        self._book = book
        self._requests = requests
        self._gatherings = gatherings
        self._done: set[tuple[int, str, str]] = set()  # steps done, read at each tick

    async def tick(self) -> Tick:
        now = clock.now()
        done = Tick()
        done.steps = await self._deadlines(now)
        done.closed = await self._close_unrated(now) + await self._close_unconfirmed(now)
        done.digests = await self._digests(now)
        done.reposted = await self._wall_again(now)
        done.weekly = await self._weekly(now)
        done.events = await self._gatherings.remind()
        if done.anything:
            log.info("schedule: %s", done)
        return done

    # --- deadlines ----------------------------------------------------------------------

    async def _deadlines(self, now: datetime) -> int:
        sched = self._settings.schedule
        warn = timedelta(minutes=sched.warn_before_minutes)
        async with self._db.read() as conn:
            waiting = await store.due_before(
                conn, "claim_due_at", (Status.OPEN, Status.REOPENED), now
            )
            held = await store.due_before(conn, "resolve_due_at", (Status.CLAIMED,), now + warn)
            reminder = timedelta(hours=sched.rating_reminder_hours)
            resolved = await store.in_status(conn, Status.RESOLVED, now - reminder)
            # What was done before is skipped without a write: a backlog costs one read a tick.
            self._done = await schedule.done(conn, [r.id for r in (*waiting, *held, *resolved)])
        sent = 0
        for request in waiting:
            assert request.claim_due_at is not None
            sent += await self._step(request, CLAIM_LATE, request.claim_due_at)
            window = request.claim_due_at - request.created_at
            if now >= request.claim_due_at + window:
                sent += await self._step(request, CLAIM_ESCALATED, request.claim_due_at)
        for request in held:
            due = request.resolve_due_at
            assert due is not None
            if now < due:
                sent += await self._step(request, RESOLVE_SOON, due)
                continue
            sent += await self._step(request, RESOLVE_LATE, due)
            category = self._book.current.category(request.kind, request.category)
            window = timedelta(hours=category.resolve_hours or 0) if category else timedelta()
            if now >= due + window:
                sent += await self._step(request, RESOLVE_ESCALATED, due)
        for request in resolved:
            if policy_of(request.kind).allows(request.status, Action.RATE) and (
                now >= _resolved_at(request) + reminder
            ):
                sent += await self._step(request, RATE_REMINDER, _resolved_at(request))
        return sent

    async def _step(self, request: Request, step: str, due: datetime) -> int:
        """Do `step` for the request's deadline `due` unless it was done: 1 if done now."""
        if (request.id, step, iso(due)) in self._done:
            return 0
        async with self._db.transaction() as conn:
            if not await schedule.mark(conn, request.id, step, due):
                return 0
            current = await store.get(conn, request.id)
            if current is None or current.status != request.status:
                return 1  # it moved meanwhile: nothing to say
            await self._messages(conn, current, step)
        return 1

    async def _messages(self, conn: aiosqlite.Connection, request: Request, step: str) -> None:
        settings = self._settings
        directory = self._book.current
        group_lang = settings.community.group_language
        number = render.number(request)
        category = render.category_name(directory, group_lang, request.kind, request.category)
        if step == CLAIM_LATE:
            chats = await outbox.card_chats(conn, request.id)
            for chat in chats:
                text = t(
                    group_lang,
                    "remind.claim_late",
                    number=number,
                    building=request.building,
                    category=category,
                )
                await enqueue(conn, Outgoing(chat, text))
        elif step in (CLAIM_ESCALATED, RESOLVE_ESCALATED):
            if directory.admin_chat_id is not None:
                key = (
                    "remind.claim_escalated"
                    if step == CLAIM_ESCALATED
                    else "remind.resolve_escalated"
                )
                text = t(
                    group_lang,
                    key,
                    number=number,
                    building=request.building,
                    category=category,
                    name=request.assignee_name or "",
                    grid=request.grid_id,
                )
                await enqueue(conn, Outgoing(directory.admin_chat_id, text))
            await self._tell(
                conn, request.reporter_id, "notice.escalated", number=number, request=request
            )
        elif step in (RESOLVE_SOON, RESOLVE_LATE) and request.assignee_id is not None:
            key = "remind.resolve_soon" if step == RESOLVE_SOON else "remind.resolve_late"
            lang = await self._lang(conn, request.assignee_id)
            text = t(
                lang,
                key,
                number=number,
                deadline=render.when(settings, lang, request.resolve_due_at),
            )
            await enqueue(
                conn, Outgoing(request.assignee_id, text, render.worker_buttons(lang, request))
            )
        elif step == RATE_REMINDER:
            lang = await self._lang(conn, request.reporter_id)
            await enqueue(
                conn,
                Outgoing(
                    request.reporter_id,
                    await for_whom(conn, request, request.reporter_id, lang)
                    + t(lang, "remind.rate", number=number),
                    render.rating_buttons(lang, request.id),
                    quiet_until=quiet_until(settings, clock.now()),
                ),
            )

    async def _tell(
        self,
        conn: aiosqlite.Connection,
        person: int,
        key: str,
        request: Request | None = None,
        **params: object,
    ) -> None:
        """A resident's news (of `request`: to the worker who filed it for them, marked)."""
        lang = await self._lang(conn, person)
        quiet = quiet_until(self._settings, clock.now())
        marked = await for_whom(conn, request, person, lang) if request else ""
        await enqueue(conn, Outgoing(person, marked + t(lang, key, **params), quiet_until=quiet))

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language

    # --- follow-up: closed without rating ---------------------------------------------------

    async def _close_unrated(self, now: datetime) -> int:
        sched = self._settings.schedule
        after = timedelta(hours=sched.rating_reminder_hours + sched.rating_close_hours)
        closed = 0
        async with self._db.read() as conn:
            resolved = await store.in_status(conn, Status.RESOLVED, now - after)
        for request in resolved:
            if not policy_of(request.kind).allows(request.status, Action.CLOSE_UNRATED):
                continue
            outcome = await self._requests.apply(
                BOT, request.id, Action.CLOSE_UNRATED, system=True
            )
            closed += outcome.ok
        return closed

    async def _close_unconfirmed(self, now: datetime) -> int:
        """A fulfilled wish its resident has not confirmed within `wishes.confirm_days`
        closes, and its volunteer gets the points."""
        before = now - timedelta(days=self._settings.wishes.confirm_days)
        closed = 0
        async with self._db.read() as conn:
            fulfilled = await store.in_status(conn, Status.FULFILLED, before)
        for request in fulfilled:
            outcome = await self._requests.apply(BOT, request.id, Action.CLOSE, system=True)
            closed += outcome.ok
        return closed

    # --- the wish wall and the week -------------------------------------------------------

    async def _wall_again(self, now: datetime) -> int:
        """Once a day, from the digest time, a wish nobody has taken for a day is posted again
        at the bottom of the wall."""
        if self._due_today(now, self._settings.schedule.digest_time) is None:
            return 0
        tz = self._settings.community.tz
        today = datetime.combine(now.astimezone(tz).date(), time(), tzinfo=tz)
        reposted = 0
        async with self._db.read() as conn:
            waiting = await store.in_status(conn, Status.PUBLISHED, now - timedelta(days=1))
        for request in waiting:
            async with self._db.transaction() as conn:
                fresh = await schedule.mark(conn, request.id, WALL_AGAIN, today)
            if fresh and await self._requests.repost(request.id):
                reposted += 1
        return reposted

    async def _weekly(self, now: datetime) -> int:
        """The echo wall post and the admins' list of unclaimed wishes, once a week."""
        sched = self._settings.schedule
        at = self._due_today(now, sched.weekly_time)
        if at is None or at.isoweekday() != sched.weekly_day:
            return 0
        week_start = at - timedelta(days=7)
        directory = self._book.current
        posted = 0
        late = now > at + DIGEST_GRACE
        async with self._db.transaction() as conn:
            if not await schedule.mark_digest(conn, WEEKLY, at.date().isoformat(), late):
                return 0
            if late:
                log.warning("the weekly posts of %s were skipped: the bot was away", at)
                return 0
            if directory.echo_chat_id is not None:
                for page in await self._echo(conn, week_start, at):
                    await enqueue(conn, Outgoing(directory.echo_chat_id, page))
                posted += 1
            unclaimed = await store.in_status(conn, Status.PUBLISHED)
            if unclaimed and directory.admin_chat_id is not None:
                for page in self._unclaimed(unclaimed):
                    await enqueue(conn, Outgoing(directory.admin_chat_id, page))
                posted += 1
        return posted

    def _due_today(self, now: datetime, at_time: str) -> datetime | None:
        """Today's moment at `at_time` (local), if it has come."""
        tz = self._settings.community.tz
        local = now.astimezone(tz)
        at = datetime.combine(local.date(), time.fromisoformat(at_time), tzinfo=tz)
        return at if local >= at else None

    async def _echo(
        self, conn: aiosqlite.Connection, since: datetime, until: datetime
    ) -> list[str]:
        """The echo wall's week: what was resolved and fulfilled (category, building, what
        was done, rating; no names, no phones), and the totals."""
        settings = self._settings
        lang = settings.community.group_language
        directory = self._book.current
        finished = await store.finished_between(conn, ("resolve", "fulfil"), since, until)
        lines = []
        for request, event in finished:
            lines.append(
                t(
                    lang,
                    "echo.item",
                    number=render.number(request),
                    category=render.category_name(directory, lang, request.kind, request.category),
                    building=request.building,
                    what=clip(for_group(event.note or "", request.unit), ECHO_NOTE_MAX),
                    stars="⭐" * (request.rating or 0),
                )
            )
        filed = await store.count_events(conn, "filed", since, until)
        head = t(
            lang,
            "echo.head",
            since=render.when(settings, lang, since),
            until=render.when(settings, lang, until),
            filed=filed,
            n=len(finished),
        )
        if not lines:
            lines = [t(lang, "echo.quiet_week")]
        return render.paginate(head + "\n", lines)

    def _unclaimed(self, wishes: list[Request]) -> list[str]:
        settings = self._settings
        lang = settings.community.group_language
        directory = self._book.current
        lines = [
            t(
                lang,
                "wish.unclaimed_item",
                number=render.number(r),
                category=render.category_name(directory, lang, r.kind, r.category),
                since=render.when(settings, lang, r.updated_at or r.created_at),
            )
            for r in wishes
        ]
        return render.paginate(t(lang, "wish.unclaimed_head", n=len(wishes)) + "\n", lines)

    # --- the daily digest -------------------------------------------------------------------

    async def _digests(self, now: datetime) -> int:
        at = self._due_today(now, self._settings.schedule.digest_time)
        if at is None:
            return 0
        late = now > at + DIGEST_GRACE
        day = at.date().isoformat()
        sent = 0
        for grid in self._book.current.active_grids:
            if grid.group_chat_id is None:
                continue
            async with self._db.transaction() as conn:
                if not await schedule.mark_digest(conn, grid.id, day, skipped=late):
                    continue
                if late:
                    log.warning(
                        "digest for grid %s of %s skipped: the bot was away at %s",
                        grid.id,
                        day,
                        at,
                    )
                    continue
                waiting = await store.waiting_in(
                    conn, [grid.id], (Status.OPEN, Status.REOPENED, Status.CLAIMED), DIGEST_READ
                )
                if not waiting:
                    continue  # nothing to say: nothing sent
                migrations = await outbox.chat_migrations(conn)
                chat = migrations.get(grid.group_chat_id, grid.group_chat_id)
                for page in self._digest(grid.name, waiting, now):
                    await enqueue(conn, Outgoing(chat, page))
                sent += 1
        return sent

    def _digest(self, grid: str, waiting: list[Request], now: datetime) -> list[str]:
        """The digest's pages: each request oldest first, with its deadline; overdue marked."""
        settings = self._settings
        lang = settings.community.group_language
        directory = self._book.current
        lines: list[str] = []
        overdue_count = 0
        for request in waiting:
            due = (
                request.resolve_due_at
                if request.status == Status.CLAIMED
                else request.claim_due_at
            )
            overdue = due is not None and due < now
            overdue_count += overdue
            if len(lines) == DIGEST_SHOWN:
                continue  # counted in the head, not listed
            lines.append(
                t(
                    lang,
                    "digest.item",
                    number=render.number(request),
                    category=render.category_name(directory, lang, request.kind, request.category),
                    building=request.building,
                    status=render.status_name(lang, request.status),
                    name=request.assignee_name or "",
                    deadline=render.when(settings, lang, due),
                )
                + (" " + t(lang, "digest.overdue") if overdue else "")
            )
        if len(waiting) > DIGEST_SHOWN:
            lines.append(t(lang, "staff.more", n=len(waiting) - DIGEST_SHOWN))
        head = t(lang, "digest.head", grid=grid, n=len(waiting), overdue=overdue_count) + "\n"
        return render.paginate(head, lines)
