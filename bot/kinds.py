"""The request kinds the bot knows, each with its policy: repairs first."""

from __future__ import annotations

from bot.directory import Directory
from bot.domain import Action, Route, Status
from bot.policy import Notice, Policy, Rule, Texts, To, Who
from storage.requests import Request

_WAITING = frozenset({Status.OPEN, Status.REOPENED})
_CLAIMED = frozenset({Status.CLAIMED})

REPAIR = Policy(
    kind="repair",
    prefix="R",
    active=(Status.OPEN, Status.CLAIMED, Status.REOPENED),
    rules=(
        Rule(
            Action.CLAIM,
            _WAITING,
            Status.CLAIMED,
            Who.WORKER,
            refused_who="claim.refused",
            refused_status="claim.not_open",
            assign="actor",
            resolve_clock="start",
            details=True,
            notices=(Notice(To.RESIDENTS, "notice.claimed"),),
        ),
        Rule(
            Action.HAND_BACK,
            _CLAIMED,
            Status.OPEN,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            assign="clear",
            resolve_clock="clear",
        ),
        Rule(
            Action.NOTE,
            _CLAIMED,
            None,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            notices=(Notice(To.RESIDENTS, "notice.note"),),
        ),
        Rule(
            Action.ASK,
            _CLAIMED,
            None,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            resolve_clock="pause",
            notices=(Notice(To.REPORTER, "notice.question", buttons="answer"),),
        ),
        Rule(
            Action.ANSWER,
            _CLAIMED,
            None,
            Who.REPORTER,
            refused_who="rate.not_yours",
            refused_status="answer.too_late",
            resolve_clock="resume",
            notices=(Notice(To.ASSIGNEE, "worker.answer"),),
        ),
        Rule(
            Action.RESOLVE,
            _CLAIMED,
            Status.RESOLVED,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            notices=(
                Notice(To.REPORTER, "notice.resolved", buttons="rating", photo=True),
                Notice(To.FOLLOWERS, "notice.resolved_follower", photo=True),
            ),
        ),
        Rule(
            Action.RATE,
            frozenset({Status.RESOLVED}),
            Status.CLOSED,
            Who.REPORTER,
            refused_who="rate.not_yours",
            refused_status="rate.not_resolved",
            rating=True,
            notices=(
                Notice(To.FOLLOWERS, "notice.closed_follower"),
                Notice(To.ASSIGNEE, "worker.rated"),
            ),
        ),
        Rule(
            Action.CLOSE_UNRATED,
            frozenset({Status.RESOLVED}),
            Status.CLOSED,
            Who.ADMIN,
            refused_who="wish.admins_only",
            refused_status="rate.not_resolved",
            notices=(
                Notice(To.RESIDENTS, "notice.closed_unrated"),
                Notice(To.ASSIGNEE, "worker.closed_unrated"),
            ),
        ),
        Rule(
            Action.NOT_FIXED,
            frozenset({Status.RESOLVED}),
            Status.REOPENED,
            Who.REPORTER,
            refused_who="rate.not_yours",
            refused_status="rate.not_resolved",
            assign="clear",
            resolve_clock="clear",
            notices=(
                Notice(To.FOLLOWERS, "notice.reopened_follower"),
                Notice(To.CARD_CHATS, "group.reopened"),
                Notice(To.ASSIGNEE, "worker.reopened", unless_card_shown=True),
            ),
        ),
        Rule(
            Action.CANCEL,
            frozenset({Status.OPEN, Status.CLAIMED, Status.REOPENED}),
            Status.CANCELLED,
            Who.REPORTER_OR_ADMIN,
            refused_who="cancel.not_yours",
            refused_status="cancel.refused",
            notices=(
                Notice(To.FOLLOWERS, "notice.cancelled_follower"),
                Notice(To.ASSIGNEE, "worker.cancelled"),
            ),
        ),
        # The holder (or an admin, also before anyone claimed it) moves it to the grid that
        # serves it: it waits there to be claimed, with a new claim deadline.
        Rule(
            Action.TRANSFER,
            frozenset({Status.OPEN, Status.CLAIMED, Status.REOPENED}),
            Status.OPEN,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="transfer.refused",
            assign="clear",
            resolve_clock="clear",
            post=True,
            destination="grid",
            notices=(
                Notice(To.RESIDENTS, "notice.transferred"),
                Notice(To.CARD_CHATS, "group.transferred_in"),
                Notice(To.ASSIGNEE, "worker.transferred_away", not_to_actor=True),
            ),
        ),
        # The holder (or an admin) passes it to another worker of its grid, who holds it now;
        # the resolve deadline stands.
        Rule(
            Action.REASSIGN,
            _CLAIMED,
            Status.CLAIMED,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            assign="target",
            details=True,
            destination="worker",
            notices=(
                Notice(To.RESIDENTS, "notice.reassigned"),
                Notice(To.TARGET, "worker.reassigned_to_you"),
                Notice(To.ASSIGNEE, "worker.reassigned_away", not_to_actor=True),
            ),
        ),
    ),
)


def wish_routes(directory: Directory, request: Request, migrations: dict[int, int]) -> list[Route]:
    """A new wish goes to the admin chat to be curated; once published, to the wish wall (the
    admin chat keeps its card, and stands in for a wall that refuses the bot). Without a wall
    the admin chat is the wall."""
    wall, admin = directory.wall_chat_id, directory.admin_chat_id
    admin_route = [Route((migrations.get(admin, admin),), "admin")] if admin is not None else []
    # An admin chat that refuses the bot: each admin privately; a wall: each volunteer.
    admins = [Route(tuple(sorted(directory.admins)), "admins")] if directory.admins else []
    helpers = sorted(directory.volunteers)
    volunteers = [Route(tuple(helpers), "volunteers")] if helpers else []
    if request.status == Status.SUBMITTED:
        return [*admin_route, *admins]
    if wall is None:
        return [*(Route(r.chats, "wall") for r in admin_route), *volunteers]
    return [Route((migrations.get(wall, wall),), "wall"), *volunteers, *admin_route, *admins]


def volunteers_only(directory: Directory, user_id: int, grid_key: str) -> bool:
    """Only a registered volunteer claims a wish, wherever its resident lives."""
    return directory.is_volunteer(user_id)


_ON_THE_WALL = frozenset({Status.PUBLISHED})
_CURATING = frozenset({Status.SUBMITTED, Status.PUBLISHED})

# 微心愿: curated by admins, claimed on the wall by volunteers, confirmed by the resident; the
# volunteer earns the kind's points when it closes.
WISH = Policy(
    kind="wish",
    prefix="W",
    active=(Status.SUBMITTED, Status.PUBLISHED, Status.CLAIMED, Status.FULFILLED),
    routes=wish_routes,
    may_work=volunteers_only,
    first=Status.SUBMITTED,
    finish=Action.FULFIL,
    release=Action.GIVE_BACK,
    card_actions=(
        ("admin", (Action.PUBLISH, Action.EDIT_TEXT, Action.REJECT, Action.CLOSE)),
        ("admins", (Action.PUBLISH, Action.EDIT_TEXT, Action.REJECT, Action.CLOSE)),
        ("wall", (Action.CLAIM,)),
        ("volunteers", (Action.CLAIM,)),
    ),
    texts=Texts(
        card="wish.card",
        card_status="wish.card",
        saved="wish.saved",
        following="wish.saved",
        details="wish.details",
        resolved="wish.fulfil_done",
        finish_button="wish.fulfil_button",
        release_button="wish.give_back_button",
        finish_ask="wish.ask_fulfil_note",
        released="wish.given_back",
        via_lines=False,
    ),
    rules=(
        Rule(
            Action.PUBLISH,
            frozenset({Status.SUBMITTED}),
            Status.PUBLISHED,
            Who.ADMIN,
            refused_who="wish.admins_only",
            refused_status="wish.not_submitted",
            post=True,
            notices=(Notice(To.REPORTER, "wish.published"),),
        ),
        Rule(
            Action.REJECT,
            _CURATING,
            Status.REJECTED,
            Who.ADMIN,
            refused_who="wish.admins_only",
            refused_status="wish.not_submitted",
            notices=(Notice(To.REPORTER, "wish.rejected"),),
        ),
        Rule(
            Action.CLAIM,
            _ON_THE_WALL,
            Status.CLAIMED,
            Who.WORKER,
            refused_who="wish.volunteers_only",
            refused_status="wish.not_on_the_wall",
            assign="actor",
            details=True,
            notices=(Notice(To.REPORTER, "wish.claimed"),),
        ),
        Rule(
            Action.GIVE_BACK,
            _CLAIMED,
            Status.PUBLISHED,
            Who.ASSIGNEE,
            refused_who="wish.not_yours",
            refused_status="wish.not_claimed",
            assign="clear",
        ),
        Rule(
            Action.FULFIL,
            _CLAIMED,
            Status.FULFILLED,
            Who.ASSIGNEE,
            refused_who="wish.not_yours",
            refused_status="wish.not_claimed",
            notices=(Notice(To.REPORTER, "wish.fulfilled", buttons="confirm", photo=True),),
        ),
        Rule(
            Action.CONFIRM,
            frozenset({Status.FULFILLED}),
            Status.CLOSED,
            Who.REPORTER,
            refused_who="wish.not_your_wish",
            refused_status="wish.not_fulfilled",
            credit=True,
            notices=(
                Notice(To.ASSIGNEE, "wish.confirmed"),
                Notice(To.ASSIGNEE, "wish.thanks", only_with_note=True),
            ),
        ),
        Rule(
            Action.EDIT_TEXT,
            _CURATING,
            None,
            Who.ADMIN,
            refused_who="wish.admins_only",
            refused_status="wish.not_submitted",
            edits_text=True,
        ),
        Rule(
            Action.CLOSE,
            frozenset({Status.FULFILLED}),
            Status.CLOSED,
            Who.ADMIN,
            refused_who="wish.admins_only",
            refused_status="wish.not_fulfilled",
            credit=True,
            notices=(Notice(To.ASSIGNEE, "wish.confirmed"), Notice(To.REPORTER, "wish.closed")),
        ),
        Rule(
            Action.CANCEL,
            _CURATING,
            Status.CANCELLED,
            Who.REPORTER_OR_ADMIN,
            refused_who="cancel.not_yours",
            refused_status="cancel.refused",
        ),
    ),
)

_KINDS: dict[str, Policy] = {REPAIR.kind: REPAIR, WISH.kind: WISH}


def register(policy: Policy) -> None:
    """Add a kind (its number prefix must be its own)."""
    if any(p.prefix == policy.prefix and p.kind != policy.kind for p in _KINDS.values()):
        raise ValueError(f"prefix {policy.prefix} is taken")
    _KINDS[policy.kind] = policy


def unregister(kind: str) -> None:
    if kind not in (REPAIR.kind, WISH.kind):
        _KINDS.pop(kind, None)


def policy_of(kind: str) -> Policy:
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"no policy for request kind {kind!r}") from None


def kinds() -> list[Policy]:
    return list(_KINDS.values())


def number(kind: str, seq: int) -> str:
    return policy_of(kind).number(seq)


def final_everywhere() -> tuple[Status, ...]:
    """Statuses no action of any kind leads out of: a request in one of them is no longer
    open."""
    return tuple(s for s in Status if not any(s in p.leaving for p in _KINDS.values()))
