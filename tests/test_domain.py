"""Domain rules: the repair policy's status machine, numbers, deadlines, routing, authorisation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.directory import Directory, Grid
from bot.domain import PSEUDO_SENDERS, Action, Route, Status, TransitionRefused, due, routes_of
from bot.kinds import REPAIR, final_everywhere, number, policy_of, register, unregister
from bot.policy import Policy, Rule, Who, grid_routes, grid_workers
from storage.requests import Request

S, A = Status, Action

# Written out independently of the policy: the specification of a repair's allowed moves.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.OPEN, A.CLAIM): S.CLAIMED,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.REOPENED, A.CLAIM): S.CLAIMED,
    (S.REOPENED, A.CANCEL): S.CANCELLED,
    (S.CLAIMED, A.HAND_BACK): S.OPEN,
    (S.CLAIMED, A.RESOLVE): S.RESOLVED,
    (S.CLAIMED, A.NOTE): S.CLAIMED,  # a note changes no status
    (S.CLAIMED, A.ASK): S.CLAIMED,  # nor does a question to the resident (it stops the clock)
    (S.CLAIMED, A.ANSWER): S.CLAIMED,
    (S.CLAIMED, A.CANCEL): S.CANCELLED,
    (S.RESOLVED, A.RATE): S.CLOSED,
    (S.RESOLVED, A.NOT_FIXED): S.REOPENED,
    (S.RESOLVED, A.CLOSE_UNRATED): S.CLOSED,  # by the bot, after a while
    # moved to another grid: it waits there to be claimed
    (S.OPEN, A.TRANSFER): S.OPEN,
    (S.REOPENED, A.TRANSFER): S.OPEN,
    (S.CLAIMED, A.TRANSFER): S.OPEN,
    (S.CLAIMED, A.REASSIGN): S.CLAIMED,  # passed to another worker, who holds it
}

ALL_PAIRS = list(itertools.product(Status, Action))


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_repair_transitions(status: Status, action: Action) -> None:
    expected = EXPECTED.get((status, action))
    assert REPAIR.allows(status, action) is (expected is not None)
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            REPAIR.transition(status, action)
        assert refused.value.status is status
        assert refused.value.action is action
        assert str(action) in str(refused.value) and str(status) in str(refused.value)
    else:
        assert REPAIR.transition(status, action) is expected


def test_actions_a_status_allows() -> None:
    assert set(REPAIR.actions("open")) == {A.CLAIM, A.CANCEL, A.TRANSFER}
    assert set(REPAIR.actions("claimed")) == {
        A.HAND_BACK,
        A.RESOLVE,
        A.NOTE,
        A.ASK,
        A.ANSWER,
        A.CANCEL,
        A.TRANSFER,
        A.REASSIGN,
    }
    assert set(REPAIR.actions("resolved")) == {A.RATE, A.NOT_FIXED, A.CLOSE_UNRATED}
    assert REPAIR.actions("closed") == []


def test_final_and_active_statuses() -> None:
    assert set(REPAIR.final) == {S.CLOSED, S.CANCELLED}
    assert set(REPAIR.active) == {S.OPEN, S.CLAIMED, S.REOPENED}
    assert set(final_everywhere()) == {S.CLOSED, S.CANCELLED, S.DUPLICATE, S.REJECTED}


def test_who_takes_each_repair_action() -> None:
    who = {rule.action: rule.who for rule in REPAIR.rules}
    assert who[A.CLAIM] is Who.WORKER
    assert who[A.HAND_BACK] is who[A.RESOLVE] is who[A.NOTE] is Who.ASSIGNEE
    assert who[A.RATE] is who[A.NOT_FIXED] is Who.REPORTER
    assert who[A.CANCEL] is Who.REPORTER_OR_ADMIN


def test_a_policy_has_one_rule_per_action() -> None:
    rule = REPAIR.rules[0]
    with pytest.raises(ValueError, match="one rule per action"):
        Policy("twice", "T", (rule, rule), active=(S.OPEN,))


@pytest.mark.parametrize(
    ("seq", "expected"), [(1, "R-0001"), (9999, "R-9999"), (12345, "R-12345")]
)
def test_repair_numbers(seq: int, expected: str) -> None:
    assert number("repair", seq) == expected


def test_kinds_are_registered_with_their_own_prefix() -> None:
    errand = Policy(
        "errand",
        "E",
        (Rule(A.CLAIM, frozenset({S.OPEN}), S.CLAIMED, Who.WORKER, "x", "y"),),
        active=(S.OPEN,),
    )
    with pytest.raises(LookupError):
        policy_of("errand")
    register(errand)
    try:
        assert number("errand", 17) == "E-0017"
        with pytest.raises(ValueError, match="prefix R is taken"):
            register(Policy("other", "R", (), active=()))
    finally:
        unregister("errand")
    with pytest.raises(LookupError):
        policy_of("errand")


def test_deadlines() -> None:
    filed = datetime(2024, 11, 23, 22, 30, tzinfo=UTC)
    assert due(filed, 2.5) == datetime(2024, 11, 24, 1, 0, tzinfo=UTC)
    assert due(filed, 48) == datetime(2024, 11, 25, 22, 30, tzinfo=UTC)
    assert due(filed, 0.25) - filed == timedelta(minutes=15)  # type: ignore[operator]
    assert due(filed, None) is None


GROUP, NEW_GROUP, ADMIN_CHAT, NEW_ADMIN_CHAT = -100111, -100999111, -100900, -100999900


def _grid(group: int | None = None, workers: tuple[int, ...] = (), key: str = "A") -> Grid:
    return Grid(id=key, name=f"Grid {key}", group_chat_id=group, workers=workers, buildings=("1",))


def _directory(
    *grids: Grid, admins: tuple[int, ...] = (), admin_chat: int | None = None
) -> Directory:
    return Directory(grids=grids, admins=frozenset(admins), admin_chat_id=admin_chat)


def _on(grid: str) -> Request:
    """A request of the grid."""
    now = datetime(2030, 1, 1, tzinfo=UTC)
    return Request(
        1,
        "repair",
        1,
        "water",
        "Leak",
        "1",
        None,
        (),
        1001,
        None,
        grid,
        "open",
        None,
        None,
        None,
        None,
        None,
        None,
        now,
    )


def test_route_to_group() -> None:
    directory = _directory(_grid(GROUP, (201, 202)), admin_chat=ADMIN_CHAT)
    assert grid_routes(directory, _on("A"), {})[0] == Route((GROUP,), "group")


def test_route_to_workers_privately_when_there_is_no_group() -> None:
    directory = _directory(_grid(None, (201, 202)), admin_chat=ADMIN_CHAT)
    assert grid_routes(directory, _on("A"), {})[0] == Route((201, 202), "workers")


def test_route_to_admin_chat_when_the_grid_reaches_nobody() -> None:
    assert grid_routes(_directory(_grid(), admin_chat=ADMIN_CHAT), _on("A"), {}) == [
        Route((ADMIN_CHAT,), "admin")
    ]
    # A grid that is not (or no longer) in the directory goes to the admin chat too.
    assert grid_routes(_directory(admin_chat=ADMIN_CHAT), _on("Z"), {}) == [
        Route((ADMIN_CHAT,), "admin")
    ]


def test_route_applies_chat_migrations() -> None:
    migrations = {GROUP: NEW_GROUP, ADMIN_CHAT: NEW_ADMIN_CHAT}
    directory = _directory(_grid(GROUP, (201,)), admin_chat=ADMIN_CHAT)
    assert grid_routes(directory, _on("A"), migrations)[0] == Route((NEW_GROUP,), "group")
    assert grid_routes(_directory(_grid(), admin_chat=ADMIN_CHAT), _on("A"), migrations) == [
        Route((NEW_ADMIN_CHAT,), "admin")
    ]
    # A migration of some other chat changes nothing.
    assert routes_of(GROUP, (), None, {-5: -6}) == [Route((GROUP,), "group")]


def test_routes_fall_back_from_group_to_workers_to_admin() -> None:
    full = routes_of(-100, (1, 2), -900, {-100: -200})
    assert [(r.chats, r.via) for r in full] == [
        ((-200,), "group"),
        ((1, 2), "workers"),
        ((-900,), "admin"),
    ]
    assert routes_of(None, (), None, {}) == []


def test_who_may_work_a_grid() -> None:
    directory = _directory(
        _grid(GROUP, (201, 202), "A"), _grid(-100222, (301,), "B"), admins=(900,)
    )
    assert grid_workers(directory, 201, "A")
    assert grid_workers(directory, 202, "A")
    assert not grid_workers(directory, 301, "A")
    assert grid_workers(directory, 301, "B")
    assert not grid_workers(directory, 201, "B")
    assert grid_workers(directory, 900, "A") and grid_workers(directory, 900, "B")
    assert not grid_workers(directory, 101, "A")
    assert not grid_workers(_directory(_grid(GROUP, (201,))), 900, "A")  # not an admin there


@pytest.mark.parametrize("pseudo", sorted(PSEUDO_SENDERS))
def test_pseudo_senders_never_work(pseudo: int) -> None:
    directory = _directory(_grid(None, (pseudo, 201)), admins=(pseudo,))
    assert not grid_workers(directory, pseudo, "A")
    assert grid_workers(directory, 201, "A")
    assert directory.staff(pseudo) is None


def test_staff_roles() -> None:
    directory = _directory(
        _grid(workers=(1, 2), key="A"), _grid(workers=(2,), key="B"), admins=(9,)
    )
    assert directory.staff(3) is None
    worker = directory.staff(2)
    assert worker is not None and not worker.admin and len(worker.grids) == 2
    admin = directory.staff(9)
    assert admin is not None and admin.admin and admin.grids == ()


def test_deadlines_in_working_hours_only() -> None:
    from datetime import date, time
    from zoneinfo import ZoneInfo

    from bot.domain import WorkingWeek, working_due

    tz = ZoneInfo("Asia/Shanghai")
    week = WorkingWeek(
        frozenset({1, 2, 3, 4, 5}), time(8, 30), time(17, 30), frozenset({date(2026, 12, 25)}), tz
    )
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=tz)
    # 1 h 30 on Friday, the rest from Monday's opening.
    assert working_due(friday, 2, week) == datetime(2026, 11, 30, 9, 0, tzinfo=tz)
    # A weekend filing starts counting on Monday morning.
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=tz)
    assert working_due(saturday, 1, week) == datetime(2026, 11, 30, 9, 30, tzinfo=tz)
    # Before opening: from opening; exactly at closing: the next working day.
    early = datetime(2026, 11, 30, 7, 0, tzinfo=tz)
    assert working_due(early, 0.5, week) == datetime(2026, 11, 30, 9, 0, tzinfo=tz)
    closing = datetime(2026, 11, 30, 17, 30, tzinfo=tz)
    assert working_due(closing, 1, week) == datetime(2026, 12, 1, 9, 30, tzinfo=tz)
    # A holiday counts for nothing: Thursday 17:00 + 24 h ends on Wednesday 14:00.
    christmas_eve = datetime(2026, 12, 24, 17, 0, tzinfo=tz)
    assert working_due(christmas_eve, 24, week) == datetime(2026, 12, 30, 14, 0, tzinfo=tz)
    assert working_due(friday, None, week) is None
    nothing = WorkingWeek(frozenset({1}), time(8), time(9), frozenset(), tz)
    assert working_due(friday, 1, nothing) == datetime(2026, 11, 30, 9, 0, tzinfo=tz)
