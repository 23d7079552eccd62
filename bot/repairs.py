"""Repair use cases: file, follow, claim, hand back, note, resolve, rate, reopen, cancel.

Each use case is one transaction: the state change, its event row and every message it causes
(to the outbox) commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite

from bot import render
from bot.domain import (
    ACTIVE,
    Action,
    Route,
    Status,
    TransitionRefused,
    claim_deadline,
    may_work,
    resolve_deadline,
    route,
    routes_of,
    sources,
    transition,
)
from bot.i18n import t
from bot.messages import Button, Outgoing, enqueue
from bot.settings import Grid, Settings
from storage import dialogs, outbox, users
from storage import requests as store
from storage.db import Database
from storage.requests import NewRequest, Request


@dataclass(frozen=True)
class Actor:
    user_id: int
    name: str


@dataclass(frozen=True)
class Outcome:
    """What a use case did, or the i18n key saying why it refused."""

    ok: bool
    request: Request | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportDraft:
    category: str
    building: str
    description: str
    photos: tuple[str, ...]


# How many of a resident's requests /my pages through (newest first).
MINE_MAX = 50


def _via(routes: list[Route], chat_id: int) -> str:
    """How a card reached `chat_id`: the first way of the grid's route, or a fallback."""
    for n, way in enumerate(routes):
        if chat_id in way.chats:
            return way.via if n == 0 else f"{way.via}_fallback"
    return "group"


def _refuse(reason: str, request: Request | None = None, **params: Any) -> Outcome:
    return Outcome(False, request, reason, params)


class Repairs:
    def __init__(self, db: Database, settings: Settings, bot_username: str) -> None:
        self._db = db
        self._settings = settings
        self._bot_username = bot_username

    # --- residents ---------------------------------------------------------------------

    async def find_duplicate(self, category: str, building: str) -> Request | None:
        since = datetime.now(UTC) - timedelta(days=self._settings.community.duplicate_window_days)
        async with self._db.read() as conn:
            return await store.find_similar(conn, "repair", category, building, ACTIVE, since)

    async def file(self, reporter: Actor, draft: ReportDraft) -> Outcome:
        """Save the report, post its card, tell the reporter its number; clears the draft."""
        settings = self._settings
        grid = settings.building_grid(draft.building)
        category = settings.category(draft.category)
        if grid is None or category is None:
            return _refuse("report.no_grid", building=draft.building)
        async with self._db.transaction() as conn:
            # The draft is deleted in this transaction: a second confirm finds none.
            if await dialogs.get(conn, reporter.user_id) is None:
                return _refuse("report.already_saved")
            user = await users.get(conn, reporter.user_id)
            now = datetime.now(UTC)
            request = await store.insert(
                conn,
                NewRequest(
                    kind="repair",
                    category=category.id,
                    description=draft.description,
                    building=draft.building,
                    unit=user.unit if user and user.building == draft.building else None,
                    photos=draft.photos,
                    reporter_id=reporter.user_id,
                    filed_by=None,
                    grid_id=grid.id,
                    status=Status.OPEN,
                    claim_due_at=claim_deadline(now, category),
                ),
            )
            await store.add_event(
                conn,
                request.id,
                "filed",
                actor_id=reporter.user_id,
                actor_name=reporter.name,
                to_status=Status.OPEN,
                note=draft.description,
            )
            await self._post_cards(conn, request, grid)
            lang = user.lang if user else settings.community.group_language
            await enqueue(
                conn,
                Outgoing(
                    reporter.user_id,
                    t(
                        lang,
                        "report.saved",
                        number=render.number(request),
                        deadline=render.when(settings, request.claim_due_at),
                    ),
                ),
            )
            await dialogs.close(conn, reporter.user_id)
        return Outcome(True, request)

    async def follow(self, follower: Actor, request_id: int) -> Outcome:
        """Count the resident on an existing request instead of filing a new one."""
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None or request.status not in ACTIVE:
                return _refuse("error.stale_button", request)
            if await dialogs.get(conn, follower.user_id) is None:
                return _refuse("report.already_saved")
            if follower.user_id != request.reporter_id and await store.add_follower(
                conn, request.id, follower.user_id
            ):
                await store.add_event(
                    conn,
                    request.id,
                    "follow",
                    actor_id=follower.user_id,
                    actor_name=follower.name,
                )
                await self._edit_cards(conn, request)
            lang = await self._lang(conn, follower.user_id)
            await enqueue(
                conn,
                Outgoing(
                    follower.user_id,
                    t(lang, "report.following", number=render.number(request)),
                ),
            )
            await dialogs.close(conn, follower.user_id)
        return Outcome(True, request)

    async def get(self, request_id: int) -> Request | None:
        async with self._db.read() as conn:
            return await store.get(conn, request_id)

    async def mine(self, user_id: int) -> list[Request]:
        async with self._db.read() as conn:
            return await store.list_by_person(conn, user_id, limit=MINE_MAX)

    async def claimed_by(self, user_id: int) -> list[Request]:
        """Requests a worker has claimed and not yet resolved, oldest first."""
        async with self._db.read() as conn:
            return await store.assigned_to(conn, user_id, (Status.CLAIMED,))

    async def timeline(
        self, user_id: int, request_id: int
    ) -> tuple[Request, list[store.Event]] | None:
        """A request's history, for its reporter, followers, its grid's workers and admins."""
        async with self._db.read() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return None
            allowed = user_id == request.reporter_id or self._may_work(user_id, request)
            if not allowed and user_id not in await store.followers(conn, request_id):
                return None
            return request, await store.events(conn, request_id)

    async def rate(self, actor: Actor, request_id: int, stars: int) -> Outcome:
        if not 1 <= stars <= 5:
            return _refuse("error.stale_button")
        return await self._resident_action(actor, request_id, Action.RATE, stars=stars)

    async def not_fixed(self, actor: Actor, request_id: int) -> Outcome:
        return await self._resident_action(actor, request_id, Action.NOT_FIXED)

    async def cancel(self, actor: Actor, request_id: int) -> Outcome:
        return await self._resident_action(actor, request_id, Action.CANCEL)

    async def _resident_action(
        self, actor: Actor, request_id: int, action: Action, stars: int | None = None
    ) -> Outcome:
        settings = self._settings
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None:
                return _refuse("error.stale_button")
            is_admin = actor.user_id in settings.admins and action is Action.CANCEL
            if actor.user_id != request.reporter_id and not is_admin:
                reason = "cancel.not_yours" if action is Action.CANCEL else "rate.not_yours"
                return _refuse(reason, request)
            try:
                new_status = transition(Status(request.status), action)
            except TransitionRefused:
                reason = "cancel.refused" if action is Action.CANCEL else "rate.not_resolved"
                return _refuse(reason, request)
            fields: dict[str, object] = {}
            if action is Action.RATE:
                fields["rating"] = stars
            if action is Action.NOT_FIXED:
                fields.update(assignee_id=None, resolve_due_at=None)
            if not await store.change_status(
                conn, request.id, sources(action), new_status, **fields
            ):
                return _refuse("error.stale_button", request)
            await store.add_event(
                conn,
                request.id,
                action.value,
                actor_id=actor.user_id,
                actor_name=actor.name,
                from_status=request.status,
                to_status=new_status,
                note=str(stars) if stars is not None else None,
            )
            after = await store.get(conn, request.id)
            assert after is not None
            await self._edit_cards(conn, after)
            number = render.number(after)
            worker = request.assignee_id
            follower_key = {
                Action.RATE: "notice.closed_follower",
                Action.NOT_FIXED: "notice.reopened_follower",
                Action.CANCEL: "notice.cancelled_follower",
            }[action]
            for follower in await store.followers(conn, request.id):
                lang = await self._lang(conn, follower)
                await enqueue(conn, Outgoing(follower, t(lang, follower_key, number=number)))
            if action is Action.RATE and worker is not None:
                lang = await self._lang(conn, worker)
                await enqueue(
                    conn, Outgoing(worker, t(lang, "worker.rated", number=number, stars=stars))
                )
            elif action is Action.NOT_FIXED:
                group_lang = settings.community.group_language
                card_chats = await outbox.card_chats(conn, request.id)
                for chat in card_chats:
                    await enqueue(
                        conn,
                        Outgoing(
                            chat,
                            t(
                                group_lang,
                                "group.reopened",
                                number=number,
                                building=after.building,
                            ),
                        ),
                    )
                # A worker whose private chat holds the card was just told there.
                if worker is not None and worker not in card_chats:
                    lang = await self._lang(conn, worker)
                    await enqueue(
                        conn, Outgoing(worker, t(lang, "worker.reopened", number=number))
                    )
            elif action is Action.CANCEL and worker is not None and request.status == "claimed":
                lang = await self._lang(conn, worker)
                await enqueue(conn, Outgoing(worker, t(lang, "worker.cancelled", number=number)))
        return Outcome(True, after)

    # --- workers -----------------------------------------------------------------------

    async def claim(self, actor: Actor, request_id: int, chat_id: int, message_id: int) -> Outcome:
        """Exactly one claim wins: a conditional UPDATE inside BEGIN IMMEDIATE decides.

        The button counts only on a card of this request (`chat_id`, `message_id` say where it
        was pressed); an older copy of the card is turned into a pointer to the current one.
        """
        settings = self._settings
        async with self._db.transaction() as conn:
            request = await store.get(conn, request_id)
            if request is None or chat_id not in await outbox.card_chats(conn, request_id):
                return _refuse("error.stale_button")
            await self._retire_copy(conn, request, chat_id, message_id)
            grid = self._grid(request)
            if not may_work(actor.user_id, grid, settings.admins):
                return _refuse("claim.refused", request, grid=grid.name)
            status = Status(request.status)
            try:
                transition(status, Action.CLAIM)
            except TransitionRefused:
                if status is Status.CLAIMED and request.assignee_id == actor.user_id:
                    return _refuse("claim.yours", request)
                if status is Status.CLAIMED:
                    return _refuse("claim.already", request, name=request.assignee_name)
                return _refuse("claim.not_open", request)
            category = settings.category(request.category)
            now = datetime.now(UTC)
            due = resolve_deadline(now, category) if category else None
            moved = await store.change_status(
                conn,
                request.id,
                sources(Action.CLAIM),
                Status.CLAIMED,
                assignee_id=actor.user_id,
                assignee_name=actor.name,
                resolve_due_at=due,
            )
            if not moved:
                return _refuse("error.stale_button", request)
            await store.add_event(
                conn,
                request.id,
                Action.CLAIM.value,
                actor_id=actor.user_id,
                actor_name=actor.name,
                from_status=status,
                to_status=Status.CLAIMED,
            )
            after = await store.get(conn, request.id)
            assert after is not None
            await self._edit_cards(conn, after)
            await self._send_details(conn, after, actor, grid)
            await self._tell_residents(
                conn,
                after,
                "notice.claimed",
                name=actor.name,
                deadline=render.when(settings, after.resolve_due_at),
            )
        return Outcome(True, after)

    async def hand_back(self, actor: Actor, request_id: int) -> Outcome:
        async with self._db.transaction() as conn:
            request = await self._worked_by(conn, actor, request_id, Action.HAND_BACK)
            if isinstance(request, Outcome):
                return request
            if not await store.change_status(
                conn,
                request.id,
                sources(Action.HAND_BACK),
                Status.OPEN,
                assignee_id=None,
                assignee_name=None,
                resolve_due_at=None,
            ):
                return _refuse("error.stale_button", request)
            await store.add_event(
                conn,
                request.id,
                Action.HAND_BACK.value,
                actor_id=actor.user_id,
                actor_name=actor.name,
                from_status=request.status,
                to_status=Status.OPEN,
            )
            after = await store.get(conn, request.id)
            assert after is not None
            await self._edit_cards(conn, after)
        return Outcome(True, after)

    async def check_worker(self, actor: Actor, request_id: int, action: Action) -> Outcome:
        """May `actor` start `action` on the request (before asking them for a note)?"""
        async with self._db.read() as conn:
            request = await self._worked_by(conn, actor, request_id, action)
        return request if isinstance(request, Outcome) else Outcome(True, request)

    async def add_note(self, actor: Actor, request_id: int, note: str) -> Outcome:
        async with self._db.transaction() as conn:
            # A note is allowed wherever resolving is: on a claimed request, by its worker.
            request = await self._worked_by(conn, actor, request_id, Action.RESOLVE)
            if isinstance(request, Outcome):
                return request
            await store.add_event(
                conn, request.id, "note", actor_id=actor.user_id, actor_name=actor.name, note=note
            )
            await self._tell_residents(conn, request, "notice.note", name=actor.name, note=note)
            await dialogs.close(conn, actor.user_id)
        return Outcome(True, request)

    async def resolve(
        self, actor: Actor, request_id: int, note: str, photo: str | None
    ) -> Outcome:
        async with self._db.transaction() as conn:
            request = await self._worked_by(conn, actor, request_id, Action.RESOLVE)
            if isinstance(request, Outcome):
                return request
            if not await store.change_status(
                conn, request.id, sources(Action.RESOLVE), Status.RESOLVED
            ):
                return _refuse("error.stale_button", request)
            await store.add_event(
                conn,
                request.id,
                Action.RESOLVE.value,
                actor_id=actor.user_id,
                actor_name=actor.name,
                from_status=request.status,
                to_status=Status.RESOLVED,
                note=note,
                photo=photo,
            )
            after = await store.get(conn, request.id)
            assert after is not None
            await self._edit_cards(conn, after)
            number = render.number(after)
            lang = await self._lang(conn, after.reporter_id)
            await enqueue(
                conn,
                Outgoing(
                    after.reporter_id,
                    t(lang, "notice.resolved", number=number, name=actor.name, note=note),
                    buttons=render.rating_buttons(lang, after.id),
                    photo=photo,
                ),
            )
            for follower in await store.followers(conn, after.id):
                flang = await self._lang(conn, follower)
                text = t(
                    flang, "notice.resolved_follower", number=number, name=actor.name, note=note
                )
                await enqueue(conn, Outgoing(follower, text, photo=photo))
            await dialogs.close(conn, actor.user_id)
        return Outcome(True, after)

    # --- helpers -----------------------------------------------------------------------

    async def _retire_copy(
        self, conn: aiosqlite.Connection, request: Request, chat_id: int, message_id: int
    ) -> None:
        """A press on a copy of the card that is not the current one (a copy that was sent
        twice after a timeout): that copy now points to the current card."""
        current = await store.card(conn, request.id, chat_id)
        if current is None or current.message_id == message_id:
            return
        lang = self._settings.community.group_language
        await enqueue(conn, render.retired_copy(lang, request, chat_id, message_id))

    def _grid(self, request: Request) -> Grid:
        grid = next((g for g in self._settings.grids if g.id == request.grid_id), None)
        if grid is None:
            # The grid left the configuration: fall back to the building's current grid.
            grid = self._settings.building_grid(request.building) or self._settings.grids[0]
        return grid

    def _may_work(self, user_id: int, request: Request) -> bool:
        return may_work(user_id, self._grid(request), self._settings.admins)

    async def _worked_by(
        self, conn: aiosqlite.Connection, actor: Actor, request_id: int, action: Action
    ) -> Request | Outcome:
        """The request if `actor` is its worker (or an admin) and `action` fits its status."""
        request = await store.get(conn, request_id)
        if request is None:
            return _refuse("error.stale_button")
        is_admin = actor.user_id in self._settings.admins
        if request.assignee_id != actor.user_id and not is_admin:
            return _refuse("worker.not_assignee", request)
        try:
            transition(Status(request.status), action)
        except TransitionRefused:
            return _refuse("worker.not_claimed", request)
        return request

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language

    async def _card_parts(
        self, conn: aiosqlite.Connection, request: Request, via: str
    ) -> tuple[str, list[list[Button]]]:
        followers = len(await store.followers(conn, request.id))
        claimed_at = None
        if request.status == Status.CLAIMED:
            claims = [e for e in await store.events(conn, request.id) if e.action == "claim"]
            claimed_at = claims[-1].at if claims else None
        return render.card(
            self._settings,
            request,
            followers=followers,
            via=via,
            lang=self._settings.community.group_language,
            claimed_at=claimed_at,
        )

    async def _route(self, conn: aiosqlite.Connection, grid: Grid) -> tuple[tuple[int, ...], str]:
        migrations = await outbox.chat_migrations(conn)
        target = route(grid, self._settings.admin_chat_id, migrations)
        return target.chats, target.via

    async def _routes(self, conn: aiosqlite.Connection, grid: Grid) -> list[Route]:
        migrations = await outbox.chat_migrations(conn)
        return routes_of(grid, self._settings.admin_chat_id, migrations)

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

    async def _post_cards(self, conn: aiosqlite.Connection, request: Request, grid: Grid) -> None:
        for card in await self._cards(conn, request, await self._routes(conn, grid)):
            await enqueue(conn, card)

    async def _edit_cards(self, conn: aiosqlite.Connection, request: Request) -> None:
        routes = await self._routes(conn, self._grid(request))
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
        self, conn: aiosqlite.Connection, request: Request, worker: Actor, grid: Grid
    ) -> None:
        """The claimer's private copy with contact details; if they never started the bot,
        the group is told how to open the private chat (the details wait for them)."""
        settings = self._settings
        lang = await self._lang(conn, worker.user_id)
        reporter = await users.get(conn, request.reporter_id)
        text = t(
            lang,
            "worker.details",
            number=render.number(request),
            category=render.category_name(settings, lang, request.category),
            building=request.building,
            unit=request.unit or "",
            reporter=reporter.name if reporter else "?",
            phone=(reporter.phone if reporter and reporter.phone else t(lang, "reg.no_phone")),
            description=request.description,
            deadline=render.when(settings, request.resolve_due_at),
        )
        chats, _ = await self._route(conn, grid)
        fallback = None
        if worker.user_id not in chats:
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
                render.worker_buttons(lang, request.id),
                photo=request.photos[0] if request.photos else None,
                request_id=request.id,
                fallback=(fallback,) if fallback else (),
            ),
        )

    async def _tell_residents(
        self, conn: aiosqlite.Connection, request: Request, key: str, **params: Any
    ) -> None:
        """The reporter and everyone following the request, each in their language."""
        for person in [request.reporter_id, *await store.followers(conn, request.id)]:
            lang = await self._lang(conn, person)
            await enqueue(
                conn, Outgoing(person, t(lang, key, number=render.number(request), **params))
            )
