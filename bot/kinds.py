"""The request kinds the bot knows, each with its policy: repairs first."""

from __future__ import annotations

from bot.domain import Action, Status
from bot.policy import Notice, Policy, Rule, To, Who

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
            Action.RESOLVE,
            _CLAIMED,
            Status.RESOLVED,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            notices=(
                Notice(To.REPORTER, "notice.resolved", rating_buttons=True, photo=True),
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
    ),
)

_KINDS: dict[str, Policy] = {REPAIR.kind: REPAIR}


def register(policy: Policy) -> None:
    """Add a kind (its number prefix must be its own)."""
    if any(p.prefix == policy.prefix and p.kind != policy.kind for p in _KINDS.values()):
        raise ValueError(f"prefix {policy.prefix} is taken")
    _KINDS[policy.kind] = policy


def unregister(kind: str) -> None:
    if kind != REPAIR.kind:
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
    """Statuses final in every kind: a request in one of them is no longer open."""
    return tuple(s for s in Status if all(s in p.final for p in _KINDS.values()))
