"""Micro-wishes in the domain and storage: the state machine, the core's path for a wish, and
the points ledger."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import Actor, Draft, Requests
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action, Status
from bot.kinds import WISH, number
from bot.policy import Who
from storage import dialogs, outbox, users, volunteers
from storage.db import Database
from storage.dialogs import Dialog
from tests.conftest import ADMIN, ADMIN_CHAT, community

S, A = Status, Action
WALL = -100333
RESIDENT, HELPER, OTHER_HELPER, STRANGER = 1001, 7001, 7002, 1002

# Written out independently of the policy: the specification of a wish's allowed moves.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.PUBLISH): S.PUBLISHED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.PUBLISHED, A.REJECT): S.REJECTED,
    (S.PUBLISHED, A.CANCEL): S.CANCELLED,
    (S.PUBLISHED, A.CLAIM): S.CLAIMED,
    (S.CLAIMED, A.GIVE_BACK): S.PUBLISHED,
    (S.CLAIMED, A.FULFIL): S.FULFILLED,
    (S.FULFILLED, A.CONFIRM): S.CLOSED,
    (S.FULFILLED, A.CLOSE): S.CLOSED,
    # An admin's public text changes no status.
    (S.SUBMITTED, A.EDIT_TEXT): S.SUBMITTED,
    (S.PUBLISHED, A.EDIT_TEXT): S.PUBLISHED,
}


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(Status, Action)), ids=lambda v: str(v)
)
def test_wish_transitions(status: Status, action: Action) -> None:
    expected = EXPECTED.get((status, action))
    assert WISH.allows(status, action) is (expected is not None)
    if expected is not None:
        assert WISH.transition(status, action) is expected


def test_who_moves_a_wish() -> None:
    who = {rule.action: rule.who for rule in WISH.rules}
    assert who[A.PUBLISH] is who[A.REJECT] is who[A.CLOSE] is Who.ADMIN
    assert who[A.CLAIM] is Who.WORKER  # the policy's workers: volunteers
    assert who[A.GIVE_BACK] is who[A.FULFIL] is Who.ASSIGNEE
    assert who[A.CONFIRM] is Who.REPORTER
    credited = {rule.action for rule in WISH.rules if rule.credit}
    assert credited == {A.CONFIRM, A.CLOSE}
    assert WISH.first is S.SUBMITTED and number("wish", 17) == "W-0017"


@pytest.fixture
async def wishes(tmp_path: Path) -> AsyncIterator[tuple[Database, Requests]]:
    settings = community(
        tmp_path / "w.sqlite3",
        wishes={"wall_chat_id": WALL},
        volunteers=[
            {"id": HELPER, "name": "Helper Hu", "affiliation": "party_member"},
            {"id": OTHER_HELPER, "name": "Helper Ma", "affiliation": "student"},
        ],
    )
    db = await Database.open(settings.database.path)
    await sync_with_config(db, settings)
    async with db.transaction() as conn:
        await users.ensure(conn, RESIDENT, "Granny Li", "en")
        await users.register(conn, RESIDENT, "1", "2-301", "13800000001")
    try:
        yield db, Requests(db, settings, await DirectoryBook.open(db), "test_bot")
    finally:
        await db.close()


async def _file(db: Database, requests: Requests, text: str = "A walk to the clinic") -> int:
    async with db.transaction() as conn:
        await dialogs.save(conn, Dialog(RESIDENT, "wish", "confirm", {}))
    filed = await requests.file(Actor(RESIDENT, "Granny Li"), Draft("wish", "company", "1", text))
    assert filed.ok and filed.request is not None
    return filed.request.id


async def _rows(db: Database, request_id: int) -> list[tuple[int, str]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT chat_id, kind FROM outbox WHERE request_id = ? ORDER BY id", (request_id,)
        ) as cur,
    ):
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def test_a_wish_from_filing_to_points(wishes: tuple[Database, Requests]) -> None:
    db, requests = wishes
    wish = await _file(db, requests)
    got = await requests.get(wish)
    assert got is not None and got.status == "submitted" and number("wish", got.seq) == "W-0001"
    # Curated first: its card goes to the admin chat only.
    async with db.read() as conn:
        assert await outbox.card_chats(conn, wish) == [ADMIN_CHAT]

    resident, admin = Actor(RESIDENT, "Granny Li"), Actor(ADMIN, "Admin")
    helper, other = Actor(HELPER, "Helper Hu"), Actor(OTHER_HELPER, "Helper Ma")
    refused = await requests.apply(resident, wish, A.PUBLISH)
    assert refused.reason == "wish.admins_only"
    early = await requests.apply(helper, wish, A.CLAIM)
    assert early.reason == "wish.not_on_the_wall"
    assert (await requests.apply(admin, wish, A.PUBLISH)).ok
    async with db.read() as conn:
        assert set(await outbox.card_chats(conn, wish)) == {ADMIN_CHAT, WALL}

    # Only volunteers claim; of two at once, one wins.
    stranger = await requests.apply(Actor(STRANGER, "Passer-by"), wish, A.CLAIM)
    assert stranger.reason == "wish.volunteers_only"
    first, second = await asyncio.gather(
        requests.apply(helper, wish, A.CLAIM), requests.apply(other, wish, A.CLAIM)
    )
    assert sorted([first.ok, second.ok]) == [False, True]
    loser = first if not first.ok else second
    assert loser.reason == "claim.already"
    winner = helper if first.ok else other
    loser_actor = other if first.ok else helper
    assert (await requests.apply(loser_actor, wish, A.FULFIL)).reason == "wish.not_yours"
    # Given back, it is on the wall again; claimed again, fulfilled, confirmed.
    assert (await requests.apply(winner, wish, A.GIVE_BACK)).ok
    back = await requests.get(wish)
    assert back is not None and back.status == "published" and back.assignee_id is None
    assert (await requests.apply(winner, wish, A.CLAIM)).ok
    assert (await requests.apply(resident, wish, A.CONFIRM)).reason == "wish.not_fulfilled"
    done = await requests.apply(winner, wish, A.FULFIL, note="We walked there and back")
    assert done.ok
    assert (await requests.apply(winner, wish, A.CONFIRM)).reason == "wish.not_your_wish"
    assert (await requests.apply(resident, wish, A.CONFIRM)).ok
    # Once only: a second confirmation (or an admin closing it) changes nothing.
    assert (await requests.apply(resident, wish, A.CONFIRM)).reason == "wish.not_fulfilled"
    assert not (await requests.apply(admin, wish, A.CLOSE)).ok
    async with db.read() as conn:
        assert await volunteers.balance(conn, winner.user_id) == 10  # companionship: 10
        assert await volunteers.balance(conn, loser_actor.user_id) == 0
        book = await volunteers.passbook(conn, winner.user_id)
    assert [(e.delta, e.reason, e.request_id) for e in book] == [(10, "wish", wish)]
    # The volunteer got the resident's contact; the resident heard of each step.
    assert (winner.user_id, "send") in await _rows(db, wish)
    details = [t for t in await _texts(db, winner.user_id) if "W-0001" in t]
    assert "13800000001" in details[0] and "2-301" in details[0]
    told = await _texts(db, RESIDENT)
    assert ["saved as" in told[0], "on the wish wall" in told[1]] == [True, True]
    assert "came true: We walked there and back" in told[-1]
    confirmed = await _texts(db, winner.user_id)
    assert "服务积分已记入您的存折" in confirmed[-1]  # never wrote to the bot: group language


async def _texts(db: Database, chat_id: int) -> list[str]:
    async with (
        db.read() as conn,
        conn.execute("SELECT text FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)) as cur,
    ):
        return [r[0] for r in await cur.fetchall()]


async def test_a_rejected_wish_tells_the_resident_why(wishes: tuple[Database, Requests]) -> None:
    db, requests = wishes
    wish = await _file(db, requests, "Please bring me a new television")
    rejected = await requests.apply(
        Actor(ADMIN, "Admin"), wish, A.REJECT, note="Too costly for a micro-wish"
    )
    assert rejected.ok and rejected.request is not None
    assert rejected.request.status == "rejected"
    assert "was not published: Too costly for a micro-wish" in (await _texts(db, RESIDENT))[-1]


async def test_the_ledger_adds_up(wishes: tuple[Database, Requests]) -> None:
    db, _ = wishes
    async with db.transaction() as conn:
        assert await volunteers.credit_wish(conn, HELPER, 10, await _bare_request(conn))
        await volunteers.record(conn, HELPER, 5, "award", "Sunday clean-up", ADMIN)
        await volunteers.record(conn, HELPER, -12, "redeem", "Rice and oil", ADMIN)
    async with db.read() as conn:
        assert await volunteers.balance(conn, HELPER) == 3
        assert await volunteers.balance(conn, OTHER_HELPER) == 0
        book = await volunteers.passbook(conn, HELPER)
    assert [(e.delta, e.reason, e.note) for e in book] == [
        (-12, "redeem", "Rice and oil"),
        (5, "award", "Sunday clean-up"),
        (10, "wish", None),
    ]


async def test_a_wish_is_credited_once_whatever_repeats(
    wishes: tuple[Database, Requests],
) -> None:
    db, _ = wishes
    async with db.transaction() as conn:
        request_id = await _bare_request(conn)
        assert await volunteers.credit_wish(conn, HELPER, 10, request_id)
        assert not await volunteers.credit_wish(conn, HELPER, 10, request_id)
        assert not await volunteers.credit_wish(conn, OTHER_HELPER, 10, request_id)
    async with db.read() as conn:
        assert await volunteers.balance(conn, HELPER) == 10
        assert await volunteers.balance(conn, OTHER_HELPER) == 0


async def _bare_request(conn: object) -> int:
    from storage.requests import NewRequest, insert

    request = await insert(
        conn,  # type: ignore[arg-type]
        NewRequest("wish", "company", "x", "1", None, (), RESIDENT, None, "A", "closed", None),
    )
    return request.id


async def test_the_ledger_figures_come_from_the_data(wishes: tuple[Database, Requests]) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from storage.figures import wish_figures

    db, requests = wishes
    admin, helper = Actor(ADMIN, "Admin"), Actor(HELPER, "Helper Hu")
    resident = Actor(RESIDENT, "Granny Li")
    done, rejected, waiting = [await _file(db, requests, f"Wish number {n}") for n in range(3)]
    for wish in (done, waiting):
        assert (await requests.apply(admin, wish, A.PUBLISH)).ok
    assert (await requests.apply(admin, rejected, A.REJECT, note="Not a wish")).ok
    assert (await requests.apply(helper, done, A.CLAIM)).ok
    assert (await requests.apply(helper, done, A.GIVE_BACK)).ok
    assert (await requests.apply(helper, done, A.CLAIM)).ok  # claimed twice: counted once
    assert (await requests.apply(helper, done, A.FULFIL, note="Done")).ok
    assert (await requests.apply(resident, done, A.CONFIRM)).ok
    async with db.transaction() as conn:
        await volunteers.record(conn, HELPER, 4, "award", "Clean-up", ADMIN)
        await volunteers.record(conn, HELPER, -6, "redeem", "Soap", ADMIN)
    year = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    async with db.read() as conn:
        figures = await wish_figures(conn, *year, ZoneInfo("Asia/Shanghai"))
        nothing = await wish_figures(
            conn, datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC), UTC
        )
    steps = {"received": 3, "published": 2, "claimed": 1, "fulfilled": 1}
    assert figures.by_kind == {"company": steps}
    assert list(figures.by_month.values()) == [steps]
    assert (figures.volunteers_registered, figures.volunteers_active) == (2, 1)
    assert (figures.points_earned, figures.points_redeemed) == (14, 6)
    assert nothing.by_kind == {} and nothing.points_earned == 0
