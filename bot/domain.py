"""Domain rules that need neither Telegram nor SQL: statuses, numbers, deadlines, routing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.settings import Category, Grid


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"


class Action(StrEnum):
    CLAIM = "claim"
    HAND_BACK = "hand_back"
    RESOLVE = "resolve"
    RATE = "rate"
    NOT_FIXED = "not_fixed"
    CANCEL = "cancel"
    MERGE = "merge"


# The one table of allowed moves; anything not here is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.OPEN, Action.CLAIM): Status.CLAIMED,
    (Status.REOPENED, Action.CLAIM): Status.CLAIMED,
    (Status.CLAIMED, Action.HAND_BACK): Status.OPEN,
    (Status.CLAIMED, Action.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Action.RATE): Status.CLOSED,
    (Status.RESOLVED, Action.NOT_FIXED): Status.REOPENED,
    (Status.OPEN, Action.CANCEL): Status.CANCELLED,
    (Status.CLAIMED, Action.CANCEL): Status.CANCELLED,
    # A reopened request waits for a worker exactly like an open one.
    (Status.REOPENED, Action.CANCEL): Status.CANCELLED,
    (Status.OPEN, Action.MERGE): Status.DUPLICATE,
}

# Waiting for a worker or being worked on: what duplicates are checked against.
ACTIVE = (Status.OPEN, Status.CLAIMED, Status.REOPENED)


class TransitionRefused(Exception):
    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action} a request that is {status}")
        self.status = status
        self.action = action


def transition(status: Status, action: Action) -> Status:
    """The status after `action`, or TransitionRefused."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionRefused(status, action) from None


def sources(action: Action) -> tuple[Status, ...]:
    """Every status from which `action` is allowed (for conditional updates)."""
    return tuple(s for (s, a) in TRANSITIONS if a == action)


def request_number(kind: str, seq: int) -> str:
    return f"{'R' if kind == 'repair' else 'W'}-{seq:04d}"


def claim_deadline(filed_at: datetime, category: Category) -> datetime:
    return filed_at + timedelta(hours=category.claim_hours)


def resolve_deadline(claimed_at: datetime, category: Category) -> datetime:
    return claimed_at + timedelta(hours=category.resolve_hours)


@dataclass(frozen=True)
class Route:
    """Where a new request's card goes and why."""

    chats: tuple[int, ...]
    via: str  # "group" | "workers" | "admin"


def routes_of(grid: Grid, admin_chat_id: int | None, migrations: dict[int, int]) -> list[Route]:
    """Every way to reach the grid, best first: its group; each of its workers privately; the
    admin chat. A card goes the first way and falls back along the rest."""
    routes = []
    if grid.group_chat_id is not None:
        routes.append(Route((migrations.get(grid.group_chat_id, grid.group_chat_id),), "group"))
    if grid.workers:
        routes.append(Route(tuple(grid.workers), "workers"))
    if admin_chat_id is not None:
        routes.append(Route((migrations.get(admin_chat_id, admin_chat_id),), "admin"))
    return routes


def route(grid: Grid, admin_chat_id: int | None, migrations: dict[int, int]) -> Route:
    """Grid group; else each of the grid's workers privately; else the admin chat."""
    routes = routes_of(grid, admin_chat_id, migrations)
    if not routes:
        # Settings validation forbids a grid that reaches nobody; keep the rule total anyway.
        raise LookupError(f"grid {grid.id} reaches nobody and there is no admin chat")
    return routes[0]


# Telegram's pseudo-senders: anonymous group admin, a channel, the service account.
PSEUDO_SENDERS = frozenset({1087968824, 136817688, 777000})


@dataclass(frozen=True)
class Staff:
    """What a member of staff is: an admin, a worker of some grids, or both."""

    admin: bool
    grids: tuple[Grid, ...]


def staff_role(user_id: int, grids: list[Grid], admins: list[int]) -> Staff | None:
    """The person's staff role, or None for a resident."""
    if user_id in PSEUDO_SENDERS:
        return None
    mine = tuple(g for g in grids if user_id in g.workers)
    if not mine and user_id not in admins:
        return None
    return Staff(user_id in admins, mine)


def may_work(user_id: int, grid: Grid, admins: list[int]) -> bool:
    """Only a worker of the request's grid, or an admin, may claim and work it."""
    if user_id in PSEUDO_SENDERS:
        return False
    return user_id in grid.workers or user_id in admins


DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 1000
UNIT_MAX = 30
NOTE_MAX = 1000
MAX_PHOTOS = 3
