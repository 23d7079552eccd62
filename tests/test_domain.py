"""Domain rules: the status machine, request numbers, deadlines, routing and authorisation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import (
    ACTIVE,
    PSEUDO_SENDERS,
    Action,
    Route,
    Status,
    TransitionRefused,
    claim_deadline,
    may_work,
    request_number,
    resolve_deadline,
    route,
    sources,
    transition,
)
from bot.settings import Category, Grid

S, A = Status, Action

# Written out independently of bot.domain.TRANSITIONS: the specification of allowed moves.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.OPEN, A.CLAIM): S.CLAIMED,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.OPEN, A.MERGE): S.DUPLICATE,
    (S.REOPENED, A.CLAIM): S.CLAIMED,
    (S.REOPENED, A.CANCEL): S.CANCELLED,
    (S.CLAIMED, A.HAND_BACK): S.OPEN,
    (S.CLAIMED, A.RESOLVE): S.RESOLVED,
    (S.CLAIMED, A.CANCEL): S.CANCELLED,
    (S.RESOLVED, A.RATE): S.CLOSED,
    (S.RESOLVED, A.NOT_FIXED): S.REOPENED,
}

ALL_PAIRS = list(itertools.product(Status, Action))


def test_the_enums_are_the_ones_the_table_was_written_for() -> None:
    assert {s.value for s in Status} == {
        "open",
        "claimed",
        "resolved",
        "reopened",
        "closed",
        "cancelled",
        "duplicate",
    }
    assert {a.value for a in Action} == {
        "claim",
        "hand_back",
        "resolve",
        "rate",
        "not_fixed",
        "cancel",
        "merge",
    }
    assert len(ALL_PAIRS) == 49


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_transition(status: Status, action: Action) -> None:
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            transition(status, action)
        assert refused.value.status is status
        assert refused.value.action is action
        assert str(action) in str(refused.value) and str(status) in str(refused.value)
    else:
        assert transition(status, action) is expected


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED, S.DUPLICATE])
def test_final_statuses_allow_nothing(status: Status) -> None:
    for action in Action:
        with pytest.raises(TransitionRefused):
            transition(status, action)


def test_sources() -> None:
    assert set(sources(A.CLAIM)) == {S.OPEN, S.REOPENED}
    assert set(sources(A.HAND_BACK)) == {S.CLAIMED}
    assert set(sources(A.RESOLVE)) == {S.CLAIMED}
    assert set(sources(A.RATE)) == {S.RESOLVED}
    assert set(sources(A.NOT_FIXED)) == {S.RESOLVED}
    assert set(sources(A.CANCEL)) == {S.OPEN, S.CLAIMED, S.REOPENED}
    assert set(sources(A.MERGE)) == {S.OPEN}
    for action in Action:
        assert len(sources(action)) == len(set(sources(action)))


def test_active_statuses() -> None:
    assert set(ACTIVE) == {S.OPEN, S.CLAIMED, S.REOPENED}


@pytest.mark.parametrize(
    ("kind", "seq", "number"),
    [
        ("repair", 1, "R-0001"),
        ("wish", 17, "W-0017"),
        ("repair", 9999, "R-9999"),
        ("repair", 12345, "R-12345"),
        ("wish", 100000, "W-100000"),
    ],
)
def test_request_number(kind: str, seq: int, number: str) -> None:
    assert request_number(kind, seq) == number


def _category(claim_hours: float, resolve_hours: float) -> Category:
    return Category(
        id="water",
        name_zh="水管",
        name_en="Plumbing",
        claim_hours=claim_hours,
        resolve_hours=resolve_hours,
    )


def test_deadlines() -> None:
    category = _category(2.5, 48)
    filed = datetime(2024, 11, 23, 22, 30, tzinfo=UTC)
    assert claim_deadline(filed, category) == datetime(2024, 11, 24, 1, 0, tzinfo=UTC)
    assert resolve_deadline(filed, category) == datetime(2024, 11, 25, 22, 30, tzinfo=UTC)
    assert claim_deadline(filed, _category(0.25, 1)) - filed == timedelta(minutes=15)
    assert resolve_deadline(filed, _category(1, 0.5)) - filed == timedelta(minutes=30)


GROUP, NEW_GROUP, ADMIN_CHAT, NEW_ADMIN_CHAT = -100111, -100999111, -100900, -100999900


def _grid(group: int | None = None, workers: list[int] | None = None) -> Grid:
    return Grid(id="A", name="Grid A", buildings=["1"], group_chat_id=group, workers=workers or [])


def test_route_to_group() -> None:
    assert route(_grid(GROUP, [201, 202]), ADMIN_CHAT, {}) == Route((GROUP,), "group")
    assert route(_grid(GROUP), None, {}) == Route((GROUP,), "group")


def test_route_to_workers_privately_when_there_is_no_group() -> None:
    assert route(_grid(None, [201, 202]), ADMIN_CHAT, {}) == Route((201, 202), "workers")
    assert route(_grid(None, [401]), None, {}) == Route((401,), "workers")


def test_route_to_admin_chat_when_the_grid_reaches_nobody() -> None:
    assert route(_grid(), ADMIN_CHAT, {}) == Route((ADMIN_CHAT,), "admin")


def test_route_applies_chat_migrations() -> None:
    migrations = {GROUP: NEW_GROUP, ADMIN_CHAT: NEW_ADMIN_CHAT}
    assert route(_grid(GROUP, [201]), ADMIN_CHAT, migrations) == Route((NEW_GROUP,), "group")
    assert route(_grid(), ADMIN_CHAT, migrations) == Route((NEW_ADMIN_CHAT,), "admin")
    # A migration of some other chat changes nothing.
    assert route(_grid(GROUP), None, {-5: -6}) == Route((GROUP,), "group")


def test_route_nobody_and_no_admin_chat() -> None:
    with pytest.raises(LookupError, match="A"):
        route(_grid(), None, {})


def test_may_work() -> None:
    grid_a = Grid(id="A", name="A", buildings=["1"], group_chat_id=GROUP, workers=[201, 202])
    grid_b = Grid(id="B", name="B", buildings=["3"], group_chat_id=-100222, workers=[301])
    admins = [900]
    assert may_work(201, grid_a, admins)
    assert may_work(202, grid_a, admins)
    assert not may_work(301, grid_a, admins)
    assert may_work(301, grid_b, admins)
    assert not may_work(201, grid_b, admins)
    assert may_work(900, grid_a, admins)
    assert may_work(900, grid_b, admins)
    assert not may_work(900, grid_a, [])
    assert not may_work(101, grid_a, admins)


@pytest.mark.parametrize("pseudo", [1087968824, 136817688, 777000])
def test_pseudo_senders_never_work(pseudo: int) -> None:
    assert pseudo in PSEUDO_SENDERS
    grid = Grid(id="A", name="A", buildings=["1"], workers=[pseudo, 201])
    assert not may_work(pseudo, grid, [pseudo])
    assert may_work(201, grid, [pseudo])


def test_routes_fall_back_from_group_to_workers_to_admin() -> None:
    from bot.domain import routes_of

    full = routes_of(_grid(group=-100, workers=[1, 2]), -900, {-100: -200})
    assert [(r.chats, r.via) for r in full] == [
        ((-200,), "group"),
        ((1, 2), "workers"),
        ((-900,), "admin"),
    ]
    assert [r.via for r in routes_of(_grid(), -900, {})] == ["admin"]
    assert routes_of(_grid(), None, {}) == []


def test_staff_roles() -> None:
    from bot.domain import staff_role

    grids = [_grid(workers=[1, 2]), _grid(workers=[2])]
    assert staff_role(3, grids, []) is None
    worker = staff_role(2, grids, [])
    assert worker is not None and not worker.admin and len(worker.grids) == 2
    admin = staff_role(9, grids, [9])
    assert admin is not None and admin.admin and admin.grids == ()
    assert staff_role(1087968824, grids, [1087968824]) is None  # a pseudo-sender is nobody
