"""Volunteers: applying and being approved, the points passbook, awards and redemptions.

Each use case is one transaction with the messages it causes, like the request core.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.callbacks import Callback, Verb
from bot.directory import VOLUNTEER, DirectoryBook
from bot.domain import Status
from bot.i18n import t
from bot.kinds import number
from bot.messages import Button, Outgoing, enqueue
from bot.settings import AFFILIATIONS, Settings
from storage import directory as directory_store
from storage import requests as request_store
from storage import users, volunteers
from storage.db import Database
from storage.requests import Request
from storage.volunteers import Entry

POINTS_MAX = 1000  # one award or redemption
NOTE_MAX = 200
PASSBOOK_MAX = 1000  # the rows /points pages through, newest first


@dataclass(frozen=True)
class Passbook:
    balance: int
    entries: list[Entry]
    numbers: dict[int, str]  # request id -> its number, for the rows of wishes


class Volunteering:
    def __init__(self, db: Database, settings: Settings, book: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._book = book

    async def status(self, user_id: int) -> str | None:
        """approved | pending | declined, or None for someone who never applied."""
        if self._book.current.is_volunteer(user_id):
            return "approved"
        async with self._db.read() as conn:
            found = await volunteers.get(conn, user_id)
        return found.status if found else None

    async def apply(self, user_id: int, name: str, affiliation: str) -> str:
        """An application, sent to the admin chat with Approve / Decline. Returns the text key
        to answer the applicant with."""
        assert affiliation in AFFILIATIONS
        if self._book.current.is_volunteer(user_id):
            return "volunteer.already"
        admin_chat = self._book.current.admin_chat_id
        if admin_chat is None:
            return "volunteer.no_admins"
        lang = self._settings.community.group_language
        async with self._db.transaction() as conn:
            found = await volunteers.get(conn, user_id)
            if found is not None and found.status == "pending":
                return "volunteer.pending"
            await volunteers.apply(conn, user_id, name, affiliation)
            text = t(
                lang,
                "volunteer.application",
                name=name,
                user_id=user_id,
                affiliation=t(lang, f"affiliation.{affiliation}"),
            )
            buttons = [
                [
                    Button(t(lang, "volunteer.approve"), _callback("yes", user_id)),
                    Button(t(lang, "volunteer.decline"), _callback("no", user_id)),
                ]
            ]
            await enqueue(conn, Outgoing(admin_chat, text, buttons))
        return "volunteer.applied"

    async def decide(self, admin_id: int, user_id: int, approve: bool) -> str:
        """An admin approves or declines a pending application; the applicant is told."""
        if not self._book.current.is_admin(admin_id):
            return "wish.admins_only"
        async with self._db.transaction() as conn:
            if not await volunteers.decide(conn, user_id, approve, admin_id):
                return "error.stale_button"
            if approve:
                await directory_store.grant(conn, user_id, VOLUNTEER, "", "admin", admin_id)
            change = f"volunteer {user_id} {'approved' if approve else 'declined'}"
            await directory_store.log_change(conn, change, admin_id, "admin")
            lang = await self._lang(conn, user_id)
            key = "volunteer.approved" if approve else "volunteer.declined"
            await enqueue(conn, Outgoing(user_id, t(lang, key)))
        await self._book.reload()
        return "volunteer.decided_yes" if approve else "volunteer.decided_no"

    async def passbook(self, user_id: int) -> Passbook:
        async with self._db.read() as conn:
            entries = await volunteers.passbook(conn, user_id, limit=PASSBOOK_MAX)
            numbers = {}
            for entry in entries:
                if entry.request_id is not None:
                    request = await request_store.get(conn, entry.request_id)
                    if request is not None:
                        numbers[entry.request_id] = _number(request)
            return Passbook(await volunteers.balance(conn, user_id), entries, numbers)

    async def record(self, admin_id: int, user_id: int, points: int, note: str) -> str:
        """An award (points > 0) or a redemption (points < 0) by an admin: a ledger row, and
        the volunteer is told. Returns the text key of the outcome."""
        if not self._book.current.is_admin(admin_id):
            return "wish.admins_only"
        if not self._book.current.is_volunteer(user_id):
            return "points.not_a_volunteer"
        async with self._db.transaction() as conn:
            if points < 0 and await volunteers.balance(conn, user_id) + points < 0:
                return "points.not_enough"
            reason = "award" if points > 0 else "redeem"
            await volunteers.record(conn, user_id, points, reason, note, admin_id)
            balance = await volunteers.balance(conn, user_id)
            lang = await self._lang(conn, user_id)
            key = "points.awarded" if points > 0 else "points.redeemed"
            text = t(lang, key, points=abs(points), note=note, balance=balance)
            await enqueue(conn, Outgoing(user_id, text))
        return "points.recorded"

    async def wishes_of(self, user_id: int) -> list[Request]:
        """The wishes a volunteer took and has not given back, oldest first."""
        async with self._db.read() as conn:
            taken = await request_store.assigned_to(
                conn, user_id, (Status.CLAIMED, Status.FULFILLED, Status.CLOSED)
            )
        return [r for r in taken if r.kind == "wish"]

    async def _lang(self, conn: aiosqlite.Connection, user_id: int) -> str:
        user = await users.get(conn, user_id)
        return user.lang if user else self._settings.community.group_language


def _callback(answer: str, user_id: int) -> Callback:
    return Callback(Verb.VOLUNTEER_YES if answer == "yes" else Verb.VOLUNTEER_NO, user_id)


def _number(request: Request) -> str:
    return number(request.kind, request.seq)
