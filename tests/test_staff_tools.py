"""Staff tools without Telegram: the transfer rules of the repair policy, the core's checks of
where a transfer goes, cards left behind, and residents filed for by a worker (代办)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import Actor, Draft, Requests
from bot.directory import DirectoryBook, sync_with_config
from bot.domain import Action, Status
from bot.kinds import REPAIR, WISH
from bot.moves import Destination
from bot.policy import To, Who
from handlers.proxy import phone_of
from storage import dialogs, outbox, proxies, transfers, users
from storage import requests as store
from storage.db import Database
from storage.dialogs import Dialog
from storage.proxies import OfflineResident
from tests.conftest import ADMIN, GROUP_A, GROUP_B, WORKER_A1, WORKER_A2, WORKER_B, community

RESIDENT = Actor(101, "Resident Li")


def test_transfer_moves_to_another_grid_and_waits_there() -> None:
    rule = REPAIR.rule(Action.TRANSFER)
    assert rule is not None
    assert rule.sources == {Status.OPEN, Status.CLAIMED, Status.REOPENED}
    assert rule.target is Status.OPEN
    assert rule.who is Who.ASSIGNEE  # the holder, or an admin
    assert (rule.assign, rule.resolve_clock, rule.post) == ("clear", "clear", True)
    assert rule.destination == "grid"
    told = {(n.to, n.not_to_actor) for n in rule.notices}
    assert told == {(To.RESIDENTS, False), (To.CARD_CHATS, False), (To.ASSIGNEE, True)}
    for status in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
        assert not REPAIR.allows(status, Action.TRANSFER)


def test_reassign_passes_a_claimed_request_to_another_worker() -> None:
    rule = REPAIR.rule(Action.REASSIGN)
    assert rule is not None
    assert rule.sources == {Status.CLAIMED} and rule.target is Status.CLAIMED
    assert rule.who is Who.ASSIGNEE and rule.assign == "target"
    assert rule.destination == "worker" and rule.details  # the new holder gets the contact
    assert rule.resolve_clock == "keep"
    assert {n.to for n in rule.notices} == {To.RESIDENTS, To.TARGET, To.ASSIGNEE}
    assert not REPAIR.allows(Status.OPEN, Action.REASSIGN)


def test_wishes_are_not_moved_between_grids() -> None:
    assert WISH.rule(Action.TRANSFER) is None and WISH.rule(Action.REASSIGN) is None


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("138 0000 0002", "138 0000 0002"),
        ("+86-138-0000-0002", "+86-138-0000-0002"),
        ("(0771) 555 1234", "(0771) 555 1234"),
        ("1234", None),  # too few digits
        ("call her son", None),
        ("1" * 21, None),
        ("138\u200b0000", None),
    ],
)
def test_a_typed_phone_number(typed: str, phone: str | None) -> None:
    assert phone_of(typed) == phone


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[tuple[Database, Requests]]:
    settings = community(tmp_path / "x.sqlite3")
    db = await Database.open(settings.database.path)
    try:
        await sync_with_config(db, settings)
        yield db, Requests(db, settings, await DirectoryBook.open(db), "test_bot")
    finally:
        await db.close()


async def _filed(db: Database, requests: Requests, draft: Draft, actor: Actor) -> int:
    async with db.transaction() as conn:
        await users.ensure(conn, actor.user_id, actor.name, "en")
        await users.register(conn, actor.user_id, "1", "2-301", "13800000000")
        await dialogs.save(conn, Dialog(actor.user_id, "report", "confirm", {}))
    filed = await requests.file(actor, draft)
    assert filed.ok and filed.request is not None
    return filed.request.id


async def test_the_core_checks_where_a_transfer_goes(core: tuple[Database, Requests]) -> None:
    db, requests = core
    draft = Draft("repair", category="water", building="1", description="Pipe leaks")
    rid = await _filed(db, requests, draft, RESIDENT)
    a1, a2, b1 = Actor(WORKER_A1, "Wang"), Actor(WORKER_A2, "Li"), Actor(WORKER_B, "Zhao")
    assert (await requests.apply(a1, rid, Action.CLAIM)).ok

    # Who: not a worker of another grid, nor the resident, nor a worker not holding it.
    for stranger in (b1, RESIDENT, a2):
        refused = await requests.apply(stranger, rid, Action.TRANSFER, to=Destination("B"))
        assert not refused.ok and refused.reason == "worker.not_assignee"
    # Where: somewhere that exists, not where it is; a worker of its own grid, not the holder.
    for bad in (
        None,
        Destination("Z"),
        Destination(building="99"),
        Destination(worker=b1.user_id),
    ):
        refused = await requests.apply(a1, rid, Action.TRANSFER, note="x", to=bad)
        assert not refused.ok and refused.reason == "transfer.bad_destination"
    same = await requests.apply(a1, rid, Action.TRANSFER, note="x", to=Destination("A"))
    assert not same.ok and same.reason == "transfer.same_grid"
    for bad in (Destination(worker=WORKER_B), Destination(worker=WORKER_A1), Destination()):
        refused = await requests.apply(a1, rid, Action.REASSIGN, note="x", to=bad)
        assert not refused.ok and refused.reason == "transfer.bad_destination"
    async with db.read() as conn:
        unchanged = await store.get(conn, rid)
        assert [e.action for e in await store.events(conn, rid)] == ["filed", "claim"]
    assert unchanged is not None and unchanged.assignee_id == WORKER_A1

    passed = await requests.apply(
        a1, rid, Action.REASSIGN, note="on leave", to=Destination(worker=WORKER_A2)
    )
    assert passed.ok and passed.request is not None
    assert (passed.request.status, passed.request.assignee_id) == ("claimed", WORKER_A2)
    # The building decides the grid; the claim deadline starts again; nobody holds it.
    moved = await requests.apply(
        Actor(ADMIN, "Admin"), rid, Action.TRANSFER, note="east wing", to=Destination(building="3")
    )
    assert moved.ok and moved.request is not None
    after = moved.request
    assert (after.status, after.grid_id, after.building, after.assignee_id) == (
        "open",
        "B",
        "3",
        None,
    )
    assert after.claim_due_at is not None and unchanged.claim_due_at is not None
    assert after.claim_due_at >= unchanged.claim_due_at
    async with db.read() as conn:
        events = await store.events(conn, rid)
        # Grid A's card is left behind; grid B's card is the request's card now.
        assert await outbox.card_chats(conn, rid) == [GROUP_B]
    assert [(e.action, e.note, e.detail) for e in events[2:]] == [
        ("reassign", "on leave", str(WORKER_A2)),  # never wrote to the bot: known by id
        ("transfer", "east wing", "Grid B · 3"),
    ]


async def test_a_card_left_behind_counts_again_when_posted_anew(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        async with db.transaction() as conn:
            request = await store.insert(
                conn,
                store.NewRequest(
                    "repair", "water", "Leak", "1", None, [], 101, None, "A", "open", None
                ),
            )
            await outbox.enqueue(
                conn, chat_id=GROUP_A, kind="card", text="card", buttons=[], request_id=request.id
            )
            await transfers.leave_cards(conn, request.id, [GROUP_A])
            assert await outbox.card_chats(conn, request.id) == []
            await outbox.enqueue(
                conn, chat_id=GROUP_A, kind="card", text="again", buttons=[], request_id=request.id
            )
            assert await outbox.card_chats(conn, request.id) == [GROUP_A]
    finally:
        await db.close()


async def test_a_resident_filed_for_is_one_resident_of_theirs(
    core: tuple[Database, Requests],
) -> None:
    db, requests = core
    worker = Actor(WORKER_A1, "Wang")
    granny = OfflineResident("Grandma Li", "138 0000 0002", "1", "5-502")
    first = Draft("repair", "water", "1", "Tap drips", resident=granny)
    second = Draft("repair", "light", "2", "Stair lamp out", resident=granny)
    one = await _filed(db, requests, first, worker)
    two = await _filed(db, requests, second, worker)
    own = await _filed(db, requests, Draft("repair", "water", "1", "My own leak"), RESIDENT)
    async with db.read() as conn:
        r1, r2 = await store.get(conn, one), await store.get(conn, two)
        who = [await proxies.resident_of(conn, rid) for rid in (one, two, own)]
    assert r1 is not None and r2 is not None
    assert (r1.reporter_id, r1.filed_by, r1.unit) == (WORKER_A1, WORKER_A1, "5-502")
    assert r2.unit is None  # not her building: no unit of hers
    assert who[0] is not None and who[1] is not None and who[2] is not None
    assert who[0].resident_key == who[1].resident_key != f"u{WORKER_A1}"
    assert who[0].proxied and who[0].name == "Grandma Li"
    assert (who[2].resident_key, who[2].proxied, who[2].phone) == ("u101", False, "13800000000")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.sqlite3"
