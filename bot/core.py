"""The request core: file, follow and act on requests of every kind, each by its policy.

Every use case is one transaction: the state change, its event row and every message it causes
(to the outbox) commit together or not at all. `apply` is the one path of every action: check
who and what the policy allows, change, record, and queue the cards and notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import aiosqlite

from bot import abuse, moves, render
from bot.directory import Directory, DirectoryBook
from bot.domain import Action, Route, Status, WorkingWeek, due, working_due
from bot.i18n import t
from bot.kinds import kinds, policy_of
from bot.messages import Button, Outgoing, enqueue
from bot.policy import Notice, Policy, Rule, To, Who
from bot.privacy import for_group
from bot.proxied import for_whom
from bot.quiet import quiet_until
from bot.settings import Settings
from storage import clock, dialogs, outbox, proxies, transfers, users, volunteers
from storage import requests as store
from storage.db import Database
from storage.proxies import OfflineResident
from storage.requests import NewRequest, Request


@dataclass(frozen=True)
class Actor:
    user_id: int
    name: str


@dataclass(frozen=True)
class Outcome:
    """What a use case did, or the text key saying why it refused."""

    ok: bool
    request: Request | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """A request as its reporter confirmed it."""

    kind: str
    category: str
    building: str
    description: str
    photos: tuple[str, ...] = ()
    # Filed by a worker for a resident without Telegram (代办).
    resident: OfflineResident | None = None


@dataclass(frozen=True)
class Pressed:
    """Where a card button was pressed: it counts only on a card of its request."""

    chat_id: int
    message_id: int


# How many of a resident's requests /my pages through (newest first).
MINE_MAX = 50
# How many requests a worker's /queue reads, each way.
QUEUE_MAX = 200


def _via(routes: list[Route], chat_id: int) -> str:
    """How a card reached `chat_id`: the first way of the grid's route, or a fallback."""
    for n, way in enumerate(routes):
        if chat_id in way.chats:
            return way.via if n == 0 else f"{way.via}_fallback"
    return "group"


def _refuse(reason: str, request: Request | None = None, **params: Any) -> Outcome:
    return Outcome(False, request, reason, params)


class Requests:
    def __init__(
        self, db: Database, settings: Settings, book: DirectoryBook, bot_username: str
    ) -> None:
        self._db = db
        self._settings = settings
        self._book = book
        self._bot_username = bot_username

    @property
    def directory(self) -> Directory:
        return self._book.current

    def _deadline(self, start: datetime, hours: float | None) -> datetime | None:
        """`hours` after `start`: every hour, or only working hours if the center says so."""
        working = self._settings.working_hours
        if not working.enabled:
            return due(start, hours)
        week = WorkingWeek(
            frozenset(working.days),
            time.fromisoformat(working.start),
            time.fromisoformat(working.end),
            frozenset(working.holidays),
            self._settings.community.tz,
        )
        return working_due(start, hours, week)

    def _claim_due(self, request: Request) -> datetime | None:
        """A claim deadline for the request starting now (its category's claim hours)."""
        category = self.directory.category(request.kind, request.category)
        return self._deadline(clock.now(), category.claim_hours if category else None)

    # --- residents ---------------------------------------------------------------------

    async def find_duplicate(self, kind: str, category: str, building: str) -> Request | None:
        since = clock.now() - timedelta(days=self._settings.community.duplicate_window_days)
        policy = policy_of(kind)
        async with self._db.read() as conn:
            return await store.find_similar(conn, kind, category, building, policy.active, since)

    async def file(self, reporter: Actor, draft: Draft) -> Outcome:
        """Save the request, post its card, tell the reporter its number; clears the draft."""
        directory = self.directory
        policy = policy_of(draft.kind)
        grid = directory.building_grid(draft.building)
        category = directory.category(draft.kind, draft.category)
        if grid is None or category is None or not category.active:
            return _refuse("report.no_grid", building=draft.building)
        async with self._db.transaction() as conn:
            # The draft is deleted in this transaction: a second confirm finds none.
            if await dialogs.get(conn, reporter.user_id) is None:
                return _refuse("report.already_saved")
            user = await users.get(conn, reporter.user_id)
            lang = user.lang if user else self._settings.community.group_language
            # Counted here, in the transaction that would file it: two confirms at once or a
            # restart cannot slip past the limit. The draft stays, to confirm again later.
            until = await abuse.filing_refused(conn, self._settings, directory, reporter.user_id)
            if until is not None:
                when = render.when(self._settings, lang, until)
                return _refuse("limits.requests", when=when, user_id=reporter.user_id)
            unit = user.unit if user and user.building == draft.building else None
            resident = None
            if draft.resident is not None:
                # The worker receives the resident's news; the resident is a row of their own.
                resident = await proxies.find_or_add(conn, draft.resident, reporter.user_id)
                unit = resident.unit if resident.building == draft.building else None
            request = await store.insert(
                conn,
                NewRequest(
                    kind=draft.kind,
                    category=category.key,
                    description=draft.description,
                    building=draft.building,
                    unit=unit,
                    photos=draft.photos,
                    reporter_id=reporter.user_id,
                    filed_by=reporter.user_id if resident else None,
                    grid_id=grid.id,
                    status=policy.first,
                    claim_due_at=self._deadline(clock.now(), category.claim_hours),
                    resident_id=resident.id if resident else None,
                ),
            )
            await store.add_event(
                conn,
                request.id,
                "filed",
                actor_id=reporter.user_id,
                actor_name=reporter.name,
                to_status=policy.first,
                note=draft.description,
                detail=resident.name if resident else None,
            )
            for card in await self._cards(conn, request, await self._routes(conn, request)):
                await enqueue(conn, card)
            text = await for_whom(conn, request, reporter.user_id, lang) + t(
                lang,
                policy.texts.saved,
                number=render.number(request),
                deadline=render.when(self._settings, lang, request.claim_due_at),
            )
            await enqueue(conn, Outgoing(reporter.user_id, text))
            await dialogs.close(conn, reporter.user_id)
        return Outcome(True, request)

    async def follow(self, follower: Actor, request_id: int) -> Outcome:
        """Count the resident on an existing request instead of filing a new one."""
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None or request.status not in policy_of(request.kind).active:
                return _refuse("error.stale_button", request)
            if await dialogs.get(conn, follower.user_id) is None:
                return _refuse("report.already_saved")
            if follower.user_id != request.reporter_id and await store.add_follower(
                conn, request.id, follower.user_id
            ):
                await store.add_event(
                    conn, request.id, "follow", actor_id=follower.user_id, actor_name=follower.name
                )
                await self._edit_cards(conn, request)
            lang = await self._lang(conn, follower.user_id)
            key = policy_of(request.kind).texts.following
            await enqueue(
                conn, Outgoing(follower.user_id, t(lang, key, number=render.number(request)))
            )
            await dialogs.close(conn, follower.user_id)
        return Outcome(True, request)

    async def get(self, request_id: int) -> Request | None:
        async with self._db.read() as conn:
            return await store.get(conn, request_id)

    async def by_number(self, text: str) -> Request | None:
        """The request a number names ("R-0042", "r-42"), if there is one."""
        prefix, _, seq = text.strip().upper().partition("-")
        policy = next((p for p in kinds() if p.prefix == prefix), None)
        if policy is None or not seq.isdigit() or len(seq) > 9:
            return None
        async with self._db.read() as conn:
            return await transfers.by_number(conn, policy.kind, int(seq))

    async def mine(self, user_id: int) -> list[Request]:
        async with self._db.read() as conn:
            return await store.list_by_person(conn, user_id, limit=MINE_MAX)

    async def claimed_by(self, user_id: int) -> list[Request]:
        """Requests a worker holds and has not finished, oldest first."""
        async with self._db.read() as conn:
            return await store.assigned_to(conn, user_id, (Status.CLAIMED,))

    async def repost(self, request_id: int) -> bool:
        """Post the request's card anew along its first route (to the bottom of a busy chat);
        the copy it replaces turns into a pointer to the new one."""
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return False
            routes = await self._routes(conn, request)
            if not routes:
                return False
            lang = self._settings.community.group_language
            for card in await self._cards(conn, request, routes[:1]):
                old = await store.card(conn, request.id, card.chat_id)
                await enqueue(conn, card)
                if old is not None:
                    retired = render.retired_copy(lang, request, card.chat_id, old.message_id)
                    await enqueue(conn, retired)
        return True

    async def queue(self, user_id: int) -> tuple[list[Request], list[Request]]:
        """A worker's queue: the unclaimed requests they may claim (in their grids; every grid
        for an admin), oldest first; and their own claimed ones."""
        directory = self.directory
        staff = directory.staff(user_id)
        if staff is None:
            return [], []
        grids = [g.id for g in (directory.active_grids if staff.admin else staff.grids)]
        async with self._db.read() as conn:
            waiting = await store.waiting_in(
                conn, grids, (Status.OPEN, Status.REOPENED), QUEUE_MAX
            )
            mine = await store.assigned_to(conn, user_id, (Status.CLAIMED,))
        claimable = [
            r
            for r in waiting
            if policy_of(r.kind).allows(r.status, Action.CLAIM)
            and policy_of(r.kind).may_work(directory, user_id, r.grid_id)
        ]
        return claimable, mine

    async def timeline(
        self, user_id: int, request_id: int
    ) -> tuple[Request, list[store.Event]] | None:
        """A request's history, for its reporter, followers, its workers and admins."""
        async with self._db.read() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return None
            # The resident, whoever holds it, the grid's workers and the admins; a follower.
            allowed = user_id in (request.reporter_id, request.assignee_id) or (
                self.directory.works_in(user_id, request.grid_id)
            )
            if not allowed and user_id not in await store.followers(conn, request_id):
                return None
            return request, await store.events(conn, request_id)

    # --- every action ------------------------------------------------------------------

    async def check(self, actor: Actor, request_id: int, action: Action) -> Outcome:
        """May `actor` take `action` now (before asking them for a note)?"""
        async with self._db.read() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return _refuse("error.stale_button")
            found = self._permitted(actor, request, action)
        return found if isinstance(found, Outcome) else Outcome(True, request)

    async def apply(
        self,
        actor: Actor,
        request_id: int,
        action: Action,
        *,
        note: str | None = None,
        photo: str | None = None,
        stars: int | None = None,
        pressed: Pressed | None = None,
        ends_wizard: bool = False,
        system: bool = False,
        to: moves.Destination | None = None,
    ) -> Outcome:
        """Take `action` on the request as its kind's policy says, in one transaction.

        `pressed`: the card the button was on (a claim from a group card); an older copy of the
        card is turned into a pointer to the current one. `ends_wizard`: the actor's wizard
        that asked for the note is closed with the change. `system`: the bot itself acts (a
        deadline passed), whoever the rule names. `to`: where a transfer sends it.
        """
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return _refuse("error.stale_button")
            if pressed is not None:
                if pressed.chat_id not in await outbox.card_chats(conn, request_id):
                    return _refuse("error.stale_button")
                # Another request's card never carries this one's buttons (forged data).
                shown = await store.card_of_message(conn, pressed.chat_id, pressed.message_id)
                if shown not in (None, request_id):
                    return _refuse("error.stale_button")
                await self._retire_copy(conn, request, pressed)
            rule = self._permitted(actor, request, action, system)
            if isinstance(rule, Outcome):
                return rule
            if rule.rating and (stars is None or not 1 <= stars <= 5):
                return _refuse("error.stale_button", request)
            move: moves.Move | None = None
            if rule.destination is not None:
                checked = await moves.check(
                    conn, self.directory, request, rule.destination, to, self._claim_due
                )
                if isinstance(checked, moves.Refused):
                    return _refuse(checked.reason, request, **checked.params)
                move = checked
            after = await self._change(conn, actor, request, rule, note, photo, stars, move)
            if after is None:
                return _refuse("error.stale_button", request)
            if rule.destination == "grid":
                # The old grid's cards say where it went and are its cards no more.
                lang = self._settings.community.group_language
                await moves.leave_cards(conn, lang, request, move.where if move else "", note)
            if rule.edits_text:
                await store.set_public_text(conn, request.id, note)
                after = await store.get(conn, request.id)
                assert after is not None
            if rule.target is not None or rule.edits_text:
                await self._edit_cards(conn, after)
            if rule.post:
                await self._post_new_cards(conn, after)
            if rule.credit and request.assignee_id is not None:
                category = self.directory.category(request.kind, request.category)
                points = category.points if category else 0
                await volunteers.credit_wish(conn, request.assignee_id, points, request.id)
            if rule.details and after.assignee_id is not None:
                # To whoever holds it now: the claimer, or the worker it was passed to.
                holder = Actor(after.assignee_id, after.assignee_name or actor.name)
                await self._send_details(conn, after, holder)
            where = move.where if move else ""
            for notice in rule.notices:
                await self._notify(conn, notice, request, after, actor, note, photo, stars, where)
            if ends_wizard:
                await dialogs.close(conn, actor.user_id)
        return Outcome(True, after)

    def _permitted(
        self, actor: Actor, request: Request, action: Action, system: bool = False
    ) -> Rule | Outcome:
        """The policy's rule if `actor` may take `action` on the request now, else why not."""
        policy = policy_of(request.kind)
        rule = policy.rule(action)
        if rule is None:
            return _refuse("error.stale_button", request)
        directory = self.directory
        admin = directory.is_admin(actor.user_id)
        permitted = {
            Who.WORKER: policy.may_work(directory, actor.user_id, request.grid_id),
            Who.ASSIGNEE: request.assignee_id == actor.user_id or admin,
            Who.REPORTER: request.reporter_id == actor.user_id,
            Who.REPORTER_OR_ADMIN: request.reporter_id == actor.user_id or admin,
            Who.ADMIN: admin,
        }[rule.who]
        if not permitted and not system:
            grid = directory.grid(request.grid_id)
            return _refuse(rule.refused_who, request, grid=grid.name if grid else request.grid_id)
        if Status(request.status) not in rule.sources:
            if rule.assign == "actor" and request.assignee_id == actor.user_id:
                return _refuse("claim.yours", request)
            if rule.assign == "actor" and request.assignee_id is not None:
                return _refuse("claim.already", request, name=request.assignee_name or "?")
            return _refuse(rule.refused_status, request)
        return rule

    async def _change(
        self,
        conn: aiosqlite.Connection,
        actor: Actor,
        request: Request,
        rule: Rule,
        note: str | None,
        photo: str | None,
        stars: int | None,
        move: moves.Move | None = None,
    ) -> Request | None:
        """Move the request and record the event; None if a concurrent change won."""
        fields: dict[str, object] = dict(move.fields) if move else {}
        if rule.assign == "actor":
            fields.update(assignee_id=actor.user_id, assignee_name=actor.name)
        elif rule.assign == "clear":
            fields.update(assignee_id=None, assignee_name=None)
        if rule.resolve_clock == "start":
            category = self.directory.category(request.kind, request.category)
            fields["resolve_due_at"] = self._deadline(
                clock.now(), category.resolve_hours if category else None
            )
        elif rule.resolve_clock == "clear":
            fields["resolve_due_at"] = None
        if rule.resolve_clock in ("start", "clear"):
            # A question left unanswered (resolved or handed back meanwhile) must not stop the
            # next holder's clock.
            fields["paused_at"] = None
        if rule.resolve_clock == "pause":
            await store.pause_clock(conn, request.id, clock.now())
        elif rule.resolve_clock == "resume":
            await store.resume_clock(conn, request.id, clock.now())
        if rule.rating:
            fields["rating"] = stars
        target = rule.target
        if target is not None and not await store.change_status(
            conn, request.id, tuple(rule.sources), target, **fields
        ):
            return None
        await store.add_event(
            conn,
            request.id,
            rule.action.value,
            actor_id=actor.user_id,
            actor_name=actor.name,
            from_status=request.status if target is not None else None,
            to_status=target,
            note=note if note is not None else (str(stars) if stars is not None else None),
            photo=photo,
            detail=move.where if move else None,
        )
        return await store.get(conn, request.id)

    async def _notify(
        self,
        conn: aiosqlite.Connection,
        notice: Notice,
        before: Request,
        after: Request,
        actor: Actor,
        note: str | None,
        photo: str | None,
        stars: int | None,
        where: str = "",
    ) -> None:
        settings = self._settings
        params: dict[str, Any] = {
            "number": render.number(after),
            "name": actor.name,
            "note": note or "",
            "stars": stars if stars is not None else "",
            "building": after.building,
            "where": where,
        }
        card_chats = await outbox.card_chats(conn, after.id)
        if notice.to is To.CARD_CHATS:
            group_lang = settings.community.group_language
            # A group sees a worker's note without the phones or units it may name.
            shown = {**params, "note": for_group(note or "", after.unit)}
            for chat in card_chats:
                text = t(group_lang, notice.key, deadline="—", **shown)
                await enqueue(conn, Outgoing(chat, text))
            return
        people: list[int] = []
        if notice.to in (To.REPORTER, To.RESIDENTS):
            people.append(after.reporter_id)
        if notice.to in (To.FOLLOWERS, To.RESIDENTS):
            people.extend(await store.followers(conn, after.id))
        if notice.to is To.ASSIGNEE and before.assignee_id is not None:
            people.append(before.assignee_id)
        if notice.to is To.TARGET and after.assignee_id is not None:
            people.append(after.assignee_id)
        if notice.not_to_actor:
            people = [p for p in people if p != actor.user_id]
        if notice.only_with_note and not note:
            return
        directory = self.directory
        for person in people:
            if notice.unless_card_shown and person in card_chats:
                continue
            # A resident's news waits through their quiet hours; staff are not held.
            resident = directory.staff(person) is None and not directory.is_volunteer(person)
            quiet = quiet_until(settings, clock.now()) if resident else None
            person_lang = await self._lang(conn, person)
            deadline = render.when(settings, person_lang, after.resolve_due_at)
            # A proxied resident's news goes to the worker who filed it, marked for whom.
            marked = await for_whom(conn, after, person, person_lang)
            await enqueue(
                conn,
                Outgoing(
                    person,
                    marked + t(person_lang, notice.key, deadline=deadline, **params),
                    buttons=render.notice_buttons(person_lang, after.id, notice.buttons),
                    photo=photo if notice.photo else None,
                    quiet_until=quiet,
                ),
            )

    # --- helpers -----------------------------------------------------------------------

    async def _retire_copy(
        self, conn: aiosqlite.Connection, request: Request, pressed: Pressed
    ) -> None:
        """A press on a copy of the card that is not the current one (a copy that was sent
        twice after a timeout): that copy now points to the current card."""
        current = await store.card(conn, request.id, pressed.chat_id)
        if current is None or current.message_id == pressed.message_id:
            return
        lang = self._settings.community.group_language
        await enqueue(
            conn, render.retired_copy(lang, request, pressed.chat_id, pressed.message_id)
        )

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language

    async def _card_parts(
        self, conn: aiosqlite.Connection, request: Request, via: str
    ) -> tuple[str, list[list[Button]]]:
        followers = len(await store.followers(conn, request.id))
        claimed_at = None
        if request.status == Status.CLAIMED:
            claims = [
                e
                for e in await store.events(conn, request.id)
                if e.action in ("claim", "reassign")
            ]
            claimed_at = claims[-1].at if claims else None
        return render.card(
            self._settings,
            self.directory,
            request,
            followers=followers,
            via=via,
            lang=self._settings.community.group_language,
            claimed_at=claimed_at,
        )

    async def _routes(self, conn: aiosqlite.Connection, request: Request) -> list[Route]:
        migrations = await outbox.chat_migrations(conn)
        return policy_of(request.kind).routes(self.directory, request, migrations)

    async def _cards(
        self, conn: aiosqlite.Connection, request: Request, routes: list[Route], first: bool = True
    ) -> tuple[Outgoing, ...]:
        """The request's cards along the first route; each falls back to the next route if
        its chat refuses the bot (a group that removed it: the workers; they: the admin chat)."""
        if not routes:
            return ()
        here, rest = routes[0], routes[1:]
        via = here.via if first else f"{here.via}_fallback"
        text, buttons = await self._card_parts(conn, request, via)
        fallback = await self._cards(conn, request, rest, first=False)
        photo = request.photos[0] if request.photos else None
        return tuple(
            Outgoing(
                chat,
                text,
                buttons,
                photo=photo,
                kind="card",
                request_id=request.id,
                fallback=fallback,
            )
            for chat in here.chats
        )

    async def _post_new_cards(self, conn: aiosqlite.Connection, request: Request) -> None:
        """Cards along the request's route to the chats that have none yet."""
        shown = set(await outbox.card_chats(conn, request.id))
        for card in await self._cards(conn, request, await self._routes(conn, request)):
            if card.chat_id not in shown:
                await enqueue(conn, card)

    async def _edit_cards(self, conn: aiosqlite.Connection, request: Request) -> None:
        routes = await self._routes(conn, request)
        photo = request.photos[0] if request.photos else None
        parts: dict[str, tuple[str, list[list[Button]]]] = {}
        for chat in await outbox.card_chats(conn, request.id):
            via = _via(routes, chat)
            if via not in parts:
                parts[via] = await self._card_parts(conn, request, via)
            text, buttons = parts[via]
            # The photo is kept in case the card is gone and must be posted again.
            await enqueue(
                conn,
                Outgoing(
                    chat, text, buttons, photo=photo, kind="edit_card", request_id=request.id
                ),
            )

    async def _send_details(
        self, conn: aiosqlite.Connection, request: Request, worker: Actor
    ) -> None:
        """The claimer's private copy with contact details; if they never started the bot,
        the chat the card went to is told how to open the private chat (the details wait)."""
        settings = self._settings
        policy: Policy = policy_of(request.kind)
        lang = await self._lang(conn, worker.user_id)
        reporter = await users.get(conn, request.reporter_id)
        name = reporter.name if reporter else "?"
        if reporter is not None and not reporter.name:  # they asked to be forgotten
            name = t(lang, "privacy.erased_name")
        phone = reporter.phone if reporter else None
        filed_for = ""
        if request.resident_id is not None:
            # Filed for a resident without Telegram: their name and phone as the worker typed.
            resident = await proxies.get(conn, request.resident_id)
            name, phone = (resident.name, resident.phone) if resident else ("?", None)
            filed_for = "\n" + t(lang, "proxy.details", name=reporter.name if reporter else "?")
        text = (
            t(
                lang,
                policy.texts.details,
                number=render.number(request),
                category=render.category_name(
                    self.directory, lang, request.kind, request.category
                ),
                building=request.building,
                unit=request.unit or "",
                reporter=name,
                phone=phone or t(lang, "reg.no_phone"),
                description=request.description,
                deadline=render.when(settings, lang, request.resolve_due_at),
            )
            + filed_for
        )
        routes = await self._routes(conn, request)
        chats = routes[0].chats if routes else ()
        fallback = None
        if chats and worker.user_id not in chats:
            group_lang = settings.community.group_language
            fallback = Outgoing(
                chats[0],
                t(
                    group_lang,
                    "worker.open_private",
                    mention=render.mention(worker.user_id, worker.name),
                    number=render.number(request),
                ),
                [
                    [
                        Button(
                            t(group_lang, "worker.open_private_button"),
                            url=f"https://t.me/{self._bot_username}?start=worker",
                        )
                    ]
                ],
            )
        for extra in request.photos[1:]:
            await enqueue(conn, Outgoing(worker.user_id, render.number(request), photo=extra))
        await enqueue(
            conn,
            Outgoing(
                worker.user_id,
                text,
                render.worker_buttons(lang, request),
                photo=request.photos[0] if request.photos else None,
                request_id=request.id,
                fallback=(fallback,) if fallback else (),
            ),
        )
