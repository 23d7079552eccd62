"""Residents and workers as people: language, registration, reachability, wizard drafts."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from storage import dialogs, inbox, outbox, users
from storage.db import Database
from storage.dialogs import Dialog
from storage.users import User


class People:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def seen(self, user_id: int, name: str, lang: str, private: bool) -> tuple[User, int]:
        """Record a person who wrote to us; a private message also releases held messages.

        Returns the user and how many held messages were released.
        """
        # Most updates come from someone known and reachable: no write (and no fsync) then.
        async with self._db.read() as conn:
            known, held = await users.get_and_held(conn, user_id, user_id)
        held = held and private
        if known is not None and known.name == name and not held:
            return known, 0
        async with self._db.transaction() as conn:
            user = await users.ensure(conn, user_id, name, lang)
            released = 0
            if private and await outbox.is_unreachable(conn, user_id):
                released = await outbox.release_chat(conn, user_id)
        return user, released

    async def get(self, user_id: int) -> User | None:
        async with self._db.read() as conn:
            return await users.get(conn, user_id)

    async def set_lang(self, user_id: int, lang: str) -> None:
        async with self._db.transaction() as conn:
            await users.set_lang(conn, user_id, lang)

    async def register(
        self, user_id: int, building: str, unit: str, phone: str | None, then: Dialog | None
    ) -> Dialog | None:
        """Save the profile and, in the same transaction, replace the registration draft with
        what comes next (the report it was started for) or whatever it had set aside.

        Returns the wizard that is open afterwards.
        """
        async with self._db.transaction() as conn:
            await users.register(conn, user_id, building, unit, phone)
            if then is None:
                return await dialogs.close(conn, user_id)
            current = await dialogs.get(conn, user_id)
            following = replace(
                then, nonce=new_nonce(), suspended=current.suspended if current else None
            )
            await dialogs.save(conn, following)
            return following

    async def group_seen(self, chat_id: int) -> int:
        """A group wrote to us: deliver what was held for it (the bot was re-added)."""
        # Group updates are frequent and the group is nearly always reachable: read first.
        async with self._db.read() as conn:
            if not await outbox.is_unreachable(conn, chat_id):
                return 0
        async with self._db.transaction() as conn:
            return await outbox.release_chat(conn, chat_id)

    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self._db.transaction() as conn:
            await outbox.migrate_chat(conn, old_chat_id, new_chat_id)

    # --- wizard drafts ---

    async def dialog(self, user_id: int) -> Dialog | None:
        async with self._db.read() as conn:
            return await dialogs.get(conn, user_id)

    async def open_dialog(
        self,
        user_id: int,
        flow: str,
        step: str,
        data: dict[str, Any],
        set_aside: Dialog | None = None,
    ) -> Dialog:
        """Start a wizard (replacing any open one); `set_aside` is asked again after it."""
        dialog = Dialog(user_id, flow, step, data, new_nonce(), set_aside)
        async with self._db.transaction() as conn:
            await dialogs.save(conn, dialog)
        return dialog

    async def advance(self, dialog: Dialog, step: str, **data: Any) -> Dialog:
        """Save the wizard's next step (its earlier buttons go stale)."""
        saved = replace(dialog, step=step, data={**dialog.data, **data}, nonce=new_nonce())
        async with self._db.transaction() as conn:
            await dialogs.save(conn, saved)
        return saved

    async def keep(self, dialog: Dialog, **data: Any) -> Dialog:
        """Save more data on the same step: its buttons stay valid."""
        saved = replace(dialog, data={**dialog.data, **data})
        async with self._db.transaction() as conn:
            await dialogs.save(conn, saved)
        return saved

    async def close_dialog(self, user_id: int) -> tuple[bool, Dialog | None]:
        """End the open wizard: whether there was one, and the one it had set aside."""
        async with self._db.transaction() as conn:
            existed = await dialogs.get(conn, user_id) is not None
            restored = await dialogs.close(conn, user_id)
        return existed, restored

    async def album_answered(self, user_id: int, media_group_id: str) -> bool:
        async with self._db.read() as conn:
            return await dialogs.album_answered(conn, user_id, media_group_id)

    async def answer_album(self, user_id: int, media_group_id: str) -> None:
        async with self._db.transaction() as conn:
            await dialogs.answer_album(conn, user_id, media_group_id)

    async def prune(self, before: datetime) -> None:
        """Forget handled updates and answered albums older than `before`."""
        async with self._db.transaction() as conn:
            await inbox.prune(conn, before)
            await dialogs.prune_albums(conn, before)


def new_nonce() -> int:
    """A wizard step's nonce: unguessable, and fits the callback grammar's 12 digits."""
    return secrets.randbelow(10**12 - 1) + 1
