"""Domain rules that need neither Telegram nor SQL: statuses, numbers, deadlines, routing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    # wishes
    SUBMITTED = "submitted"  # waiting for an admin to publish it
    PUBLISHED = "published"  # on the wish wall, waiting for a volunteer
    FULFILLED = "fulfilled"  # the volunteer says it is done; the resident confirms
    REJECTED = "rejected"


class Action(StrEnum):
    CLAIM = "claim"
    HAND_BACK = "hand_back"
    RESOLVE = "resolve"
    RATE = "rate"
    NOT_FIXED = "not_fixed"
    CANCEL = "cancel"
    MERGE = "merge"
    NOTE = "note"  # a worker's note: no change of status
    # wishes
    PUBLISH = "publish"
    REJECT = "reject"
    EDIT_TEXT = "edit_text"  # an admin rewrites what the wall shows: no change of status
    GIVE_BACK = "give_back"
    FULFIL = "fulfil"
    CONFIRM = "confirm"  # the resident confirms the fulfilment
    CLOSE = "close"  # an admin, or the bot when the resident does not answer, closes it
    CLOSE_UNRATED = "close_unrated"  # resolved, never rated: the bot closes it after a while
    ASK = "ask"  # the holder asks the resident something: the resolve clock stops
    ANSWER = "answer"  # the resident answers: the clock goes on
    TRANSFER = "transfer"  # to another grid (or building): it waits there to be claimed
    REASSIGN = "reassign"  # to another worker of the same grid, who holds it from now on


class TransitionRefused(Exception):
    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action} a request that is {status}")
        self.status = status
        self.action = action


def due(start: datetime, hours: float | None) -> datetime | None:
    """A deadline `hours` after `start` (none without a number of hours)."""
    return start + timedelta(hours=hours) if hours is not None else None


@dataclass(frozen=True)
class WorkingWeek:
    """When the clock of a deadline runs, if only in working hours."""

    days: frozenset[int]  # isoweekday
    start: time
    end: time
    holidays: frozenset[date]
    tz: tzinfo


def working_due(begin: datetime, hours: float | None, week: WorkingWeek) -> datetime | None:
    """The moment `hours` of working time after `begin`: time outside the working days and
    hours, and holidays, does not count."""
    if hours is None:
        return None
    left = timedelta(hours=hours)
    moment = begin.astimezone(week.tz)
    for _ in range(3660):  # ten years of days: a calendar with no working time is refused
        day = moment.date()
        opens = datetime.combine(day, week.start, tzinfo=week.tz)
        closes = datetime.combine(day, week.end, tzinfo=week.tz)
        if day.isoweekday() in week.days and day not in week.holidays and moment < closes:
            moment = max(moment, opens)
            if moment + left <= closes:
                return moment + left
            left -= closes - moment
        moment = datetime.combine(day + timedelta(days=1), week.start, tzinfo=week.tz)
    raise ValueError("the working week has no working time")


@dataclass(frozen=True)
class Route:
    """Where a new request's card goes and why."""

    chats: tuple[int, ...]
    via: str  # "group" | "workers" | "admin" | "admins" (a kind may name its own)


def routes_of(
    group_chat_id: int | None,
    workers: tuple[int, ...],
    admin_chat_id: int | None,
    migrations: dict[int, int],
    admins: tuple[int, ...] = (),
) -> list[Route]:
    """Every way to reach a grid, best first: its group; each of its workers privately; the
    admin chat; each admin privately. A card goes the first way and falls back along the
    rest."""
    routes = []
    if group_chat_id is not None:
        routes.append(Route((migrations.get(group_chat_id, group_chat_id),), "group"))
    if workers:
        routes.append(Route(tuple(workers), "workers"))
    if admin_chat_id is not None:
        routes.append(Route((migrations.get(admin_chat_id, admin_chat_id),), "admin"))
    if admins:
        routes.append(Route(admins, "admins"))
    return routes


# Telegram's pseudo-senders: anonymous group admin, a channel, the service account.
PSEUDO_SENDERS = frozenset({1087968824, 136817688, 777000})


DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 1000
UNIT_MAX = 30
NOTE_MAX = 1000
WISH_TEXT_MIN = 5
WISH_TEXT_MAX = 500
MAX_PHOTOS = 3
