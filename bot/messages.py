"""Messages as plain data: what to say to which chat, with which buttons.

The outbox stores these; only the delivery loop turns them into Telegram calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.callbacks import Callback
from storage import outbox
from storage.db import Database


@dataclass(frozen=True)
class Button:
    label: str
    callback: Callback | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.label, "url": self.url}
        assert self.callback is not None, "a button needs a callback or a url"
        return {"text": self.label, "data": self.callback.pack()}


Keyboard = list[list[Button]]


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str
    buttons: Keyboard = field(default_factory=list)
    photo: str | None = None
    # "send" a notice, post a request's "card", "edit_card" it in place, or "edit" one
    # known message (message_id).
    kind: str = "send"
    request_id: int | None = None
    message_id: int | None = None
    # Posted instead (to other chats) if this chat refuses delivery.
    fallback: tuple[Outgoing, ...] = ()
    # Held until then: the end of the recipient's quiet hours.
    quiet_until: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "kind": self.kind,
            "text": self.text,
            "buttons": keyboard_dicts(self.buttons),
            "photo": self.photo,
            "request_id": self.request_id,
            "fallback": [f.as_dict() for f in self.fallback],
        }


def keyboard_dicts(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [[b.to_dict() for b in row] for row in buttons]


async def enqueue(conn: aiosqlite.Connection, message: Outgoing) -> int:
    """Add to the outbox inside the caller's transaction.

    For a chat already known to refuse us the message waits, and its fallbacks go out now.
    """
    return await enqueue_dict(
        conn,
        message.as_dict() | {"message_id": message.message_id},
        quiet_until=message.quiet_until,
    )


async def enqueue_dict(
    conn: aiosqlite.Connection,
    message: dict[str, Any],
    markup: dict[str, Any] | None = None,
    quiet_until: datetime | None = None,
) -> int:
    """`enqueue` for a message kept as a dict (a fallback read back from the outbox)."""
    fallbacks: list[dict[str, Any]] = message.get("fallback") or []
    if fallbacks and await outbox.is_unreachable(conn, message["chat_id"]):
        await enqueue_fallbacks(conn, fallbacks)
    return await outbox.enqueue(
        conn,
        chat_id=message["chat_id"],
        kind=message.get("kind", "send"),
        text=message["text"],
        buttons=message.get("buttons") or [],
        request_id=message.get("request_id"),
        message_id=message.get("message_id"),
        markup=markup,
        photo=message.get("photo"),
        fallbacks=fallbacks,
        quiet_until=quiet_until,
    )


async def enqueue_fallbacks(conn: aiosqlite.Connection, fallbacks: list[dict[str, Any]]) -> None:
    """Post what stands in for a refused message; a chat that has the card already is skipped."""
    for fallback in fallbacks:
        request_id = fallback.get("request_id")
        if (
            fallback.get("kind") == "card"
            and request_id is not None
            and fallback["chat_id"] in await outbox.card_chats(conn, request_id)
        ):
            continue
        await enqueue_dict(conn, fallback)


async def send_later(
    db: Database,
    chat_id: int,
    text: str,
    buttons: list[list[dict[str, str]]],
    markup: dict[str, Any] | None = None,
) -> None:
    """A direct reply that could not be sent now: the outbox delivers it when it can."""
    async with db.transaction() as conn:
        await enqueue_dict(conn, {"chat_id": chat_id, "text": text, "buttons": buttons}, markup)
