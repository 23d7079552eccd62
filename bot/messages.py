"""Messages as plain data: what to say to which chat, with which buttons.

The outbox stores these; only the delivery loop turns them into Telegram calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.callbacks import Callback
from storage import outbox


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
    # "send" a notice, post a request's "card", or "edit_card" it in place.
    kind: str = "send"
    request_id: int | None = None
    # Posted instead (to another chat) if this chat refuses delivery.
    fallback: Outgoing | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "text": self.text,
            "buttons": keyboard_dicts(self.buttons),
            "photo": self.photo,
            "request_id": self.request_id,
        }


def keyboard_dicts(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [[b.to_dict() for b in row] for row in buttons]


async def enqueue(conn: aiosqlite.Connection, message: Outgoing) -> int:
    """Add to the outbox inside the caller's transaction.

    For a chat already known to refuse us the message waits, and its fallback goes out now.
    """
    if message.fallback is not None and await outbox.is_unreachable(conn, message.chat_id):
        await enqueue(conn, message.fallback)
    return await outbox.enqueue(
        conn,
        chat_id=message.chat_id,
        kind=message.kind,
        text=message.text,
        buttons=keyboard_dicts(message.buttons),
        request_id=message.request_id,
        photo=message.photo,
        fallback=message.fallback.as_dict() if message.fallback else None,
    )
