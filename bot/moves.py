"""Where a transfer sends a request, checked before anything changes, and the cards it leaves
behind in the old grid's chats. Used by the request core (bot/core.py) for rules that name a
destination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from bot import render
from bot.directory import Directory
from bot.i18n import t
from bot.messages import Outgoing, enqueue
from bot.privacy import for_group
from storage import outbox, transfers, users
from storage import requests as store
from storage.requests import Request


@dataclass(frozen=True)
class Destination:
    """Where a transfer sends a request: a grid (or a building, whose grid it then is), or a
    worker of its grid."""

    grid: str | None = None
    building: str | None = None
    worker: int | None = None


@dataclass(frozen=True)
class Move:
    """A checked destination: the request's fields that change, and its name for people."""

    fields: dict[str, object]
    where: str


@dataclass(frozen=True)
class Refused:
    reason: str  # text key
    params: dict[str, Any] = field(default_factory=dict)


async def check(
    conn: aiosqlite.Connection,
    directory: Directory,
    request: Request,
    kind: Literal["grid", "worker"],
    to: Destination | None,
    claim_due: Callable[[Request], datetime | None],
) -> Move | Refused:
    """Another grid in use (or a building in use of another grid: the request's building
    follows), with a new claim deadline; or another worker of the request's grid."""
    bad = Refused("transfer.bad_destination")
    if to is None:
        return bad
    if kind == "worker":
        grid = directory.grid(request.grid_id)
        if to.worker is None or grid is None or to.worker not in grid.workers:
            return bad
        if to.worker == request.assignee_id:
            return bad
        person = await users.get(conn, to.worker)
        name = person.name if person else str(to.worker)
        return Move({"assignee_id": to.worker, "assignee_name": name}, name)
    fields: dict[str, object] = {}
    if to.building is not None:
        building = directory.building_named(to.building)
        if building is None:
            return bad
        fields["building"] = building.name
        key = building.grid
    else:
        key = to.grid or ""
    target = directory.grid(key)
    if target is None or not target.active:
        return bad
    if target.id == request.grid_id:
        return Refused("transfer.same_grid", {"grid": target.name})
    fields["grid_id"] = target.id
    fields["claim_due_at"] = claim_due(request)
    fields["paused_at"] = None  # a question to the resident is not the new grid's wait
    where = target.name if to.building is None else f"{target.name} · {fields['building']}"
    return Move(fields, where)


async def leave_cards(
    conn: aiosqlite.Connection, lang: str, request: Request, where: str, note: str | None
) -> None:
    """The request's cards turn into "moved to <where>" without buttons, and are no longer
    its cards (not edited again; a press on them is stale)."""
    chats = await outbox.card_chats(conn, request.id)
    shown = for_group(note or "", request.unit)  # groups never see a phone or a unit
    text = t(lang, "card.transferred", number=render.number(request), where=where, note=shown)
    for chat in chats:
        card = await store.card(conn, request.id, chat)
        if card is not None:
            await enqueue(conn, Outgoing(chat, text, kind="edit", message_id=card.message_id))
        else:  # not posted yet: it will be, so say so after it
            await enqueue(conn, Outgoing(chat, text))
    await transfers.leave_cards(conn, request.id, chats)
