"""What makes a request kind what it is: its policy, as data the one request core follows.

A policy says which actions each status allows and to what status they lead, who may take
each action, where a new request of the kind is routed, how its number and card read, and who
is told what after each action. The core (bot/core.py) checks, changes, records the event and
queues the messages in one transaction for every kind alike; a new kind is a new policy and its
texts, not new use-case code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bot.directory import Directory
from bot.domain import Action, Route, Status, TransitionRefused, routes_of
from storage.requests import Request


class Who(StrEnum):
    """Who may take an action."""

    WORKER = "worker"  # whom the policy lets work the request (may_work)
    ASSIGNEE = "assignee"  # the one who holds it, or an admin
    REPORTER = "reporter"  # the resident who filed it
    REPORTER_OR_ADMIN = "reporter_or_admin"
    ADMIN = "admin"


class To(StrEnum):
    """Who is told after an action."""

    REPORTER = "reporter"
    FOLLOWERS = "followers"
    RESIDENTS = "residents"  # the reporter and the followers
    ASSIGNEE = "assignee"  # who held the request before the action
    CARD_CHATS = "card_chats"  # every chat showing the request's card
    TARGET = "target"  # the worker the action passed the request to


@dataclass(frozen=True)
class Notice:
    """A message sent after an action. Its text gets number, name (the actor's), note, stars,
    deadline (to resolve), building, and where (a transfer's destination) as placeholders."""

    to: To
    key: str
    # "rating" (1-5 stars, not fixed), "confirm" (a wish) or "answer" (a holder's question)
    buttons: str | None = None
    photo: bool = False  # with the action's photo
    only_with_note: bool = False  # sent only when the action came with a note
    # Not to a person whose private chat shows the card (the card told them already).
    unless_card_shown: bool = False
    # Not to the one who acted (they hear it in the answer to what they did).
    not_to_actor: bool = False


@dataclass(frozen=True)
class Rule:
    """One action of a kind: from which statuses, to which, by whom, with what effects."""

    action: Action
    sources: frozenset[Status]
    target: Status | None  # None: the status stays (a note)
    who: Who
    refused_who: str  # text key: the actor may not
    refused_status: str  # text key: the status does not allow it
    # Who holds the request after it: the actor, nobody, as before, or the worker the action
    # names (its destination).
    assign: Literal["actor", "clear", "keep", "target"] = "keep"
    # The resolve deadline: started (at claim), cleared, paused (moved on by the time paused
    # when it resumes) or kept.
    resolve_clock: Literal["start", "clear", "pause", "resume", "keep"] = "keep"
    rating: bool = False  # the action carries 1-5 stars
    details: bool = False  # the actor gets the request's details (and contact) privately
    # Cards go out along the request's route (as it is after the change) to every chat that
    # has none yet: a wish, once published, appears on the wish wall.
    post: bool = False
    # The assignee is credited the category's points (once per request, whatever repeats).
    credit: bool = False
    # The action's note becomes the text the request's cards show (an admin's public text).
    edits_text: bool = False
    # The action names where the request goes, checked by the core: "grid" (another grid, or
    # a building of another grid: the request's grid and building follow, its old cards say
    # where it went, and its claim deadline starts again) or "worker" (another worker of the
    # request's grid).
    destination: Literal["grid", "worker"] | None = None
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Texts:
    """The text keys a kind's own messages use (the rest are in its rules)."""

    card: str = "card.body"  # number, category, building, description
    # The card's status line is <card_status>.<status>: deadline, name, at, stars.
    card_status: str = "card"
    saved: str = "report.saved"  # number, deadline
    following: str = "report.following"  # number
    details: str = "worker.details"  # the claimer's private copy, with the contact
    resolved: str = "resolve.done"  # to the worker who resolved it: number
    finish_button: str = "worker.resolve"  # the holder's buttons
    release_button: str = "worker.hand_back"
    finish_ask: str = "resolve.ask_note"  # number, max
    released: str = "handback.done"  # to the holder who let it go: number
    via_lines: bool = True  # a card says when it came by a fallback route


# Where a request of the kind goes now: (directory, request, migrations) -> routes, best first.
Router = Callable[[Directory, "Request", dict[int, int]], list[Route]]
# Who may claim and work a request of the kind: (directory, user id, grid key) -> bool.
Workers = Callable[[Directory, int, str], bool]


def grid_routes(directory: Directory, request: Request, migrations: dict[int, int]) -> list[Route]:
    """The grid's group; else its workers privately; else the admin chat."""
    grid = directory.grid(request.grid_id)
    return routes_of(
        grid.group_chat_id if grid else None,
        grid.workers if grid else (),
        directory.admin_chat_id,
        migrations,
        tuple(sorted(directory.admins)),
    )


def grid_workers(directory: Directory, user_id: int, grid_key: str) -> bool:
    """Only a worker of the request's grid, or an admin."""
    return directory.works_in(user_id, grid_key)


@dataclass(frozen=True)
class Policy:
    kind: str
    prefix: str  # numbers read <prefix>-0001
    rules: tuple[Rule, ...]
    # Waiting for someone or being worked on: what duplicates are checked against.
    active: tuple[Status, ...]
    routes: Router = grid_routes
    may_work: Workers = grid_workers
    first: Status = Status.OPEN  # the status a new request of the kind starts in
    # The holder's two buttons: finish it (with a note and a photo), or let it go.
    finish: Action = Action.RESOLVE
    release: Action = Action.HAND_BACK
    # The buttons a card shows, by the way it reached the chat ("" for any), when the status
    # allows them.
    card_actions: tuple[tuple[str, tuple[Action, ...]], ...] = (("", (Action.CLAIM,)),)
    texts: Texts = field(default_factory=Texts)

    def __post_init__(self) -> None:
        actions = [r.action for r in self.rules]
        if len(actions) != len(set(actions)):
            raise ValueError(f"{self.kind}: one rule per action")

    def rule(self, action: Action) -> Rule | None:
        return next((r for r in self.rules if r.action is action), None)

    def allows(self, status: str, action: Action) -> bool:
        """May `action` be taken on a request in `status` (by whoever may take it)?"""
        rule = self.rule(action)
        return rule is not None and Status(status) in rule.sources

    def actions(self, status: str) -> list[Action]:
        return [r.action for r in self.rules if Status(status) in r.sources]

    def transition(self, status: Status, action: Action) -> Status:
        """The status after `action`, or TransitionRefused."""
        rule = self.rule(action)
        if rule is None or status not in rule.sources:
            raise TransitionRefused(status, action)
        return rule.target if rule.target is not None else status

    @property
    def leaving(self) -> frozenset[Status]:
        """Statuses some action leads out of."""
        return frozenset(s for r in self.rules if r.target is not None for s in r.sources)

    @property
    def final(self) -> tuple[Status, ...]:
        """The kind's statuses no action leads out of."""
        reached = {self.first} | {r.target for r in self.rules if r.target is not None}
        return tuple(s for s in Status if s in reached and s not in self.leaving)

    def number(self, seq: int) -> str:
        return f"{self.prefix}-{seq:04d}"
