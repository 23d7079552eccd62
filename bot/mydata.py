"""/mydata and /forgetme: what the bot holds about a person, and erasing it.

Requests are the community's record (不错、不重、不漏): they are kept, anonymised, so counts
and the ledger do not change. Open ones stay open so the worker can finish them; the resident's
Telegram id is all that is kept of them on those, to tell them the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import render
from bot.directory import DirectoryBook
from bot.i18n import t
from bot.kinds import kinds
from bot.privacy import for_group
from bot.settings import Settings
from storage import privacy as store
from storage.db import Database


@dataclass(frozen=True)
class Before:
    """What /forgetme says before it asks to confirm."""

    open_requests: int
    roles: list[str]


class MyData:
    def __init__(self, db: Database, settings: Settings, directory: DirectoryBook) -> None:
        self._db = db
        self._settings = settings
        self._book = directory

    def roles(self, lang: str, user_id: int) -> list[str]:
        directory = self._book.current
        found = []
        if directory.is_admin(user_id):
            found.append(t(lang, "privacy.role_admin"))
        for grid in directory.active_grids:
            if user_id in grid.workers:
                found.append(t(lang, "privacy.role_worker", grid=grid.name))
        if directory.is_volunteer(user_id):
            found.append(t(lang, "privacy.role_volunteer"))
        return found

    async def pages(self, user_id: int, lang: str) -> list[str]:
        """Everything held about the person, in pages that each fit a message."""
        async with self._db.read() as conn:
            held = await store.holdings(conn, user_id)
        settings, directory = self._settings, self._book.current
        user = held.user
        lines = [t(lang, "privacy.head", user_id=user_id, language=t(lang, "lang.name"))]
        if user is not None and user.registered:
            lines.append(
                t(
                    lang,
                    "privacy.registration",
                    name=user.name,
                    building=user.building or "—",
                    unit=user.unit or "—",
                    phone=user.phone or t(lang, "reg.no_phone"),
                )
            )
        else:
            lines.append(t(lang, "privacy.not_registered"))
        roles = self.roles(lang, user_id)
        lines.append(t(lang, "privacy.roles", roles=", ".join(roles) or "—"))
        if held.volunteer is not None:
            lines.append(t(lang, "privacy.points", n=held.points))
        lines.append(t(lang, "privacy.requests_head", n=len(held.requests)))
        lines += [
            t(
                lang,
                "privacy.request_line",
                number=render.number(r),
                category=render.category_name(directory, lang, r.kind, r.category),
                status=render.status_name(lang, r.status),
                at=render.when(settings, lang, r.created_at),
            )
            for r in held.requests
        ]
        if held.following:
            lines.append(t(lang, "privacy.following", n=held.following))
        if held.signups:
            lines.append(t(lang, "privacy.signups_head"))
            lines += [
                t(lang, "privacy.signup_line", name=zh if lang == "zh" else en, day=day)
                for zh, en, day in held.signups
            ]
        lines.append(t(lang, "privacy.foot"))
        return render.paginate("", lines)

    async def before(self, user_id: int, lang: str) -> Before:
        async with self._db.read() as conn:
            held = await store.holdings(conn, user_id)
        active = {s for policy in kinds() for s in policy.active}
        return Before(sum(r.status in active for r in held.requests), self.roles(lang, user_id))

    async def forget(self, user_id: int) -> int:
        """Erase the person's personal data; how many requests were kept, anonymised."""
        active = sorted({str(s) for policy in kinds() for s in policy.active})
        async with self._db.transaction() as conn:
            return await store.erase(conn, user_id, active, _hide)


def _hide(text: str, known: Sequence[str]) -> str:
    return for_group(text, *known)
