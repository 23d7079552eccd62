"""The directory in the database, kept in step with the config file; a worker's /queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.settings import Settings
from storage import directory as directory_store
from tests.conftest import (
    ADMIN,
    ADMIN_CHAT,
    GROUP_A,
    WORKER_A1,
    WORKER_A2,
    WORKER_B,
    RunningBot,
    community,
    community_data,
)
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE, BOB = 1001, 1002


def _with(server: FakeBotApi, db: Path, change: Any) -> Settings:
    """The test community's config with `change` applied to its data."""
    data = community_data(db, server.base_url)
    change(data)
    return Settings(**data)


def _labels(message: Any) -> list[str]:
    return [b.text for b in message.buttons]


async def test_a_building_added_in_config_is_offered_and_old_buttons_pick_what_they_showed(
    server: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    running = RunningBot(community(db, server.base_url))
    await running.start()
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    try:
        await register(server, alice, "1", "2-301")
        await register(server, bob, "2", "2-202")
        ask = await say_and_wait(server, alice, "/report", "Choose a category")
        buildings = await press_and_wait(server, alice, ask, "Lights", "Which building")
        assert "0" not in _labels(buildings)
        categories = await say_and_wait(server, bob, "/report", "Choose a category")
    finally:
        await running.stop()

    def grow(data: dict[str, Any]) -> None:
        # New entries first: every position in the old lists moves by one.
        data["grids"][0]["buildings"] = ["0", "1", "2"]
        data["categories"].insert(
            0,
            {
                "id": "lift",
                "name_zh": "电梯",
                "name_en": "Lift",
                "claim_hours": 1,
                "resolve_hours": 12,
            },
        )

    running = RunningBot(_with(server, db, grow))
    await running.start()
    try:
        # The building question asked before the restart still picks the building it showed.
        await press_and_wait(server, alice, buildings, "3", "Describe the problem")
        ask = await say_and_wait(server, alice, "Stairway lamp on floor 2", "photos")
        ask = await press_and_wait(server, alice, ask, "Skip", "Please check your report")
        assert "Lights" in ask.plain and "3" in ask.plain
        await press_and_wait(server, alice, ask, "Confirm", "Saved as")
        card = await server.wait_for_message(-100222, "R-0001")  # building 3 is grid B's
        assert "照明" in card.plain
        # A category question asked before the restart picks the category it showed.
        ask = await press_and_wait(server, bob, categories, "Plumbing", "Which building")
        await press_and_wait(server, bob, ask, "mine", "Describe the problem")
        ask = await say_and_wait(server, bob, "Radiator valve drips", "photos")
        ask = await press_and_wait(server, bob, ask, "Skip", "Please check your report")
        assert "Plumbing" in ask.plain and "2" in ask.plain
        await say_and_wait(server, bob, "/cancel", "Nothing was saved")
        # A new report offers the new category and the new building.
        ask = await say_and_wait(server, alice, "/report", "Choose a category")
        assert "Lift" in _labels(ask)
        ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
        assert "0" in _labels(ask)
        await press_and_wait(server, alice, ask, "0", "Describe the problem")
        ask = await say_and_wait(server, alice, "Tap drips all night", "photos")
        ask = await press_and_wait(server, alice, ask, "Skip", "Please check your report")
        assert "Plumbing" in ask.plain
        await press_and_wait(server, alice, ask, "Confirm", "Saved as")
        await server.wait_for_message(GROUP_A, "R-0002")
        async with running.services.db.read() as conn:
            log = [row["change"] for row in await directory_store.changes(conn)]
        assert "building 0 added to grid A" in log and "category lift (Lift) added" in log
    finally:
        await running.stop()


async def test_removing_a_building_with_open_requests_is_refused_until_they_are_closed(
    server: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    running = RunningBot(community(db, server.base_url))
    await running.start()
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    try:
        await register(server, alice, "2", "3-303")
        await register(server, bob, "1", "1-101")
        await file_report(server, alice, "Plumbing", "2", "Pipe under the sink leaks")
        ask = await say_and_wait(server, bob, "/report", "Choose a category")
        bob_buildings = await press_and_wait(server, bob, ask, "Lights", "Which building")
    finally:
        await running.stop()

    def shrink(data: dict[str, Any]) -> None:
        data["grids"][0]["buildings"] = ["1"]  # building 2 has R-0001 open
        data["grids"] = [g for g in data["grids"] if g["id"] != "D"]  # grid D (5): nothing open

    running = RunningBot(_with(server, db, shrink))
    await running.start()
    try:
        refusal = await server.wait_for_message(ADMIN_CHAT, "楼栋「2」")
        assert "R-0001" in refusal.plain and "暂时保留" in refusal.plain
        # Building 5 went with its grid: its old button says so, and the question comes again
        # with the buildings in use: 2 is still there, 5 is not.
        last = server.messages(BOB)[-1].message_id
        stale = await server.wait_for_answer(bob.press(bob_buildings, "5"))
        assert stale["text"] == "This button is no longer valid."
        ask = await server.wait_for_message(BOB, "Which building", after=last)
        assert "2" in _labels(ask) and "5" not in _labels(ask)
        await press_and_wait(server, bob, ask, "2", "Describe the problem")
        await say_and_wait(server, bob, "/cancel", "Nothing was saved")
        # Alice cancels her report: nothing holds building 2 any more.
        mine = await say_and_wait(server, alice, "/my", "R-0001")
        sure = await press_and_wait(server, alice, mine, "Cancel R-0001", "Cancel")
        await press_and_wait(server, alice, sure, "Yes", "is cancelled")
    finally:
        await running.stop()

    running = RunningBot(_with(server, db, shrink))
    await running.start()
    try:
        ask = await say_and_wait(server, bob, "/report", "Choose a category")
        ask = await press_and_wait(server, bob, ask, "Lights", "Which building")
        assert "2" not in _labels(ask) and "3" in _labels(ask)
        async with running.services.db.read() as conn:
            log = [row["change"] for row in await directory_store.changes(conn)]
        assert "building 2 removed" in log and "grid D removed" in log
        assert any(c.startswith("refused: building 2 ") for c in log)
    finally:
        await running.stop()


async def test_a_worker_lists_the_grid_queue_and_claims_from_it(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    b = server.user(WORKER_B, "Sun B")
    await register(server, alice, "1", "2-301", phone="13800000001")
    await register(server, bob, "3", "1-101")
    await file_report(server, alice, "Plumbing", "1", "Kitchen pipe leaks")
    await file_report(server, alice, "Lights", "2", "Corridor light flickers")
    await file_report(server, bob, "Lights", "3", "Lamp at the gate is out")
    await say_and_wait(server, a1, "/start", "You are a grid worker")

    # Staff find /queue first in their own command menu; residents' menu has none.
    staff_menu = server.commands[json.dumps([{"chat_id": WORKER_A1, "type": "chat"}, None])]
    assert staff_menu[0]["command"] == "queue"
    assert "queue" not in [
        c["command"] for c in server.commands[json.dumps([{"type": "default"}, None])]
    ]
    queue = await say_and_wait(server, a1, "/queue", "waiting to be claimed")
    text = queue.plain
    assert "2 requests waiting" in text
    assert text.index("R-0001") < text.index("R-0002") and "R-0003" not in text  # grid B's
    assert "0 requests you are working on" in text
    assert _labels(queue)[:2] == ["🙋 Claim R-0001", "🙋 Claim R-0002"]

    answer = await server.wait_for_answer(a1.press(queue, "Claim R-0002"))
    assert str(answer["text"]).startswith("You claimed R-0002")
    details = await server.wait_for_message(WORKER_A1, "Corridor light flickers")
    assert "13800000001" in details.plain and details.button("Resolved")
    await server.wait_for_edit(GROUP_A, _card(server, "R-0002").message_id, "Wang A1 已于")
    mine = await server.wait_for_edit(WORKER_A1, queue.message_id, "1 request you are working")
    assert "1 request waiting" in mine.plain and _labels(mine)[0] == "🙋 Claim R-0001"
    await server.wait_for_message(ALICE, "R-0002</b> was claimed by Wang A1")

    # The other worker sees only what is left; a worker of another grid cannot claim it, even
    # with the button's data; a second press on a claimed one says who has it.
    other = await say_and_wait(server, a2, "/queue", "waiting to be claimed")
    assert "R-0002" not in other.plain.split("working on")[0] and "R-0001" in other.plain
    late = await server.wait_for_answer(a2.press_data(other, "v1:qclaim:2"))
    assert late["text"] == "Already claimed by Wang A1."
    own = await say_and_wait(server, b, "/queue", "waiting to be claimed")
    assert "R-0003" in own.plain and "R-0001" not in own.plain
    refused = await server.wait_for_answer(b.press_data(own, "v1:qclaim:1"))
    assert refused["text"] == "Only workers of grid “Grid A” can claim this request."

    # An admin's queue holds every grid; a resident has none; a group gets pointed away.
    admin = server.user(ADMIN, "Admin")
    every = await say_and_wait(server, admin, "/queue", "waiting to be claimed")
    assert "R-0001" in every.plain and "R-0003" in every.plain
    await say_and_wait(server, alice, "/queue", "The queue is for grid workers and admins")
    a1.send("/queue", chat=server.group(GROUP_A, "Grid A"))
    await server.wait_for_message(GROUP_A, "private chat")


def _card(server: FakeBotApi, number: str) -> Any:
    return next(m for m in server.messages(GROUP_A) if number in m.plain)


async def test_a_long_queue_is_paged(server: FakeBotApi, tmp_path: Path) -> None:
    # No duplicate check: nine reports of the same kind in one building.
    bot = RunningBot(
        community(
            tmp_path / "bot.sqlite3", server.base_url, community={"duplicate_window_days": 0}
        )
    )
    await bot.start()
    try:
        await _long_queue(server)
    finally:
        await bot.stop()


async def _long_queue(server: FakeBotApi) -> None:
    alice, a1 = server.user(ALICE, "Alice"), server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    for n in range(9):
        await file_report(server, alice, "Lights", "1", f"Lamp number {n} is dark")
    first = await say_and_wait(server, a1, "/queue", "9 requests waiting")
    claims = [b.text for b in first.buttons if "Claim" in b.text]
    assert claims == [f"🙋 Claim R-{n:04d}" for n in range(1, 9)] and "Page 1/2" in first.plain
    await server.wait_for_answer(a1.press(first, "Next"))
    second = await server.wait_for_edit(WORKER_A1, first.message_id, "Page 2/2")
    assert [b.text for b in second.buttons if "Claim" in b.text] == ["🙋 Claim R-0009"]
    answer = await server.wait_for_answer(a1.press(second, "Claim R-0009"))
    assert str(answer["text"]).startswith("You claimed R-0009")
    await server.wait_for_edit(WORKER_A1, first.message_id, "8 requests waiting")
