"""Transfer end to end: the holder passes a request to another worker of the grid, then moves
it to the grid of the building it really is in, each with a reason; both sides and the
resident are told, the old card says where it went, the timeline shows why; refusals change
nothing."""

from __future__ import annotations

from tests.conftest import ADMIN, GROUP_A, GROUP_B, WORKER_A1, WORKER_A2, WORKER_B, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE = 1001
INVISIBLE = "\u200b\u2060 \u200b"


async def test_pass_to_a_worker_then_move_to_another_grid(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    b1 = server.user(WORKER_B, "Zhao B")
    await register(server, alice, "1", "2-301", "+8613800000001")
    for worker in (a1, a2, b1):
        await say_and_wait(server, worker, "/start", "You are a grid worker")
    await file_report(server, alice, "Plumbing", "1", "Water in the basement corridor")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "2-301")
    assert "🔀 Transfer" in [b.text for b in details.buttons]

    # A worker of grid B, and the resident, cannot move grid A's request: nothing changes.
    own = server.last_message(WORKER_B)
    refused = await server.wait_for_answer(b1.press_data(own, "v1:tr:1"))
    assert refused["text"] == "Only the worker who claimed R-0001 can do this."
    reply = await say_and_wait(server, b1, "/transfer R-0001", "Only the worker who claimed")
    assert "R-0001" in reply.plain
    mine = server.last_message(ALICE)
    refused = await server.wait_for_answer(alice.press_data(mine, "v1:tr:1"))
    assert refused["text"] == "Only the worker who claimed R-0001 can do this."
    # Pressed on someone else's message, the holder's button is no longer valid.
    refused = await server.wait_for_answer(b1.press_data(details, "v1:tr:1"))
    assert refused["text"] == "This button is no longer valid."

    # The holder passes it to another worker of the grid, with a reason.
    where = await press_and_wait(server, a1, details, "Transfer", "Where should R-0001 go?")
    labels = [b.text for b in where.buttons]
    assert "👷 Li A2" in labels and "🗺 Grid B" in labels and "🏢 3" in labels
    assert "👷 Wang A1" not in labels and "🏢 1" not in labels and "🗺 Grid A" not in labels
    # A forged choice (a wrong step nonce) is no longer valid.
    forged = await server.wait_for_answer(a1.press_data(where, "v1:trw:202:1"))
    assert forged["text"] == "This button is no longer valid."
    await press_and_wait(server, a1, where, "Li A2", "To Li A2. Why?")
    # Invisible text is no reason: asked again, nothing changes.
    await say_and_wait(server, a1, INVISIBLE, "Please type the reason")
    # The card's edit after the claim is a bulk send: it may still be on its way.
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1")
    assert "Wang A1" in server.last_message(GROUP_A).plain
    await say_and_wait(server, a1, "I am on leave tomorrow", "R-0001 is moved to Li A2")

    passed = await server.wait_for_message(WORKER_A2, "passed R-0001 to you")
    assert "I am on leave tomorrow" in passed.plain
    details2 = await server.wait_for_message(WORKER_A2, "+8613800000001")
    await server.wait_for_message(ALICE, "is now handled by Li A2")
    await server.wait_for_edit(GROUP_A, card.message_id, "Li A2 已于")
    # The one who passed it holds it no more.
    stale = await server.wait_for_answer(a1.press_data(details, "v1:tr:1"))
    assert stale["text"] == "Only the worker who claimed R-0001 can do this."

    # Li A2 finds it is really building 3's (grid B): the grid follows the building.
    where = await press_and_wait(server, a2, details2, "Transfer", "Where should R-0001 go?")
    await press_and_wait(server, a2, where, "🏢 3", "To Grid B · 3. Why?")
    await say_and_wait(server, a2, "The corridor belongs to building 3", "moved to Grid B · 3")

    # The old card says where it went, without buttons; the new grid gets a card and why.
    # (group chats read community.group_language: zh)
    moved = await server.wait_for_edit(GROUP_A, card.message_id, "已转交到 Grid B · 3")
    assert "The corridor belongs to building 3" in moved.plain and moved.buttons == []
    new_card = await server.wait_for_message(GROUP_B, "R-0001")
    assert new_card.buttons[0].callback_data == "v1:claim:1" and "楼栋:3" in new_card.plain
    assert "2-301" not in new_card.plain and "8613800000001" not in new_card.plain
    told = await server.wait_for_message(GROUP_B, "由 Li A2 转交到本网格")
    assert "The corridor belongs to building 3" in told.plain
    await server.wait_for_message(ALICE, "was passed to Grid B · 3")

    # The old card no longer claims it, nor does a worker of grid A on the new one.
    stale = await server.wait_for_answer(a1.press_data(card, "v1:claim:1"))
    assert stale["text"] == "This button is no longer valid."
    refused = await server.wait_for_answer(a1.press(new_card, "认领"))
    assert refused["text"] == "Only workers of grid “Grid B” can claim this request."
    claimed = await server.wait_for_answer(b1.press(new_card, "认领"))
    assert str(claimed["text"]).startswith("You claimed R-0001")
    await server.wait_for_message(WORKER_B, "2-301")
    # The old card was not edited back into a card.
    assert "已转交到 Grid B" in server.messages(GROUP_A)[0].plain

    # The timeline shows both moves with their reasons.
    await server.wait_for_message(ALICE, "was claimed by Zhao B")
    mine = await say_and_wait(server, alice, "/my", "Your request:")
    timeline = await press_and_wait(server, alice, mine, "R-0001", "Status: being worked on")
    assert "passed to Li A2 by Wang A1: I am on leave tomorrow" in timeline.plain
    assert "moved to Grid B · 3 by Li A2: The corridor belongs to building 3" in timeline.plain


async def test_an_admin_moves_an_unclaimed_request_by_its_number(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    admin = server.user(ADMIN, "Admin Chen")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Lights", "1", "Lamp by the gate is dark")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await say_and_wait(server, admin, "/transfer R-9999", "Usage: /transfer")
    where = await say_and_wait(server, admin, "/transfer r-1", "Where should R-0001 go?")
    # Unclaimed: nobody to pass it to, only other grids and their buildings.
    assert not any(b.text.startswith("👷") for b in where.buttons)
    await press_and_wait(server, admin, where, "Grid B", "To Grid B. Why?")
    await say_and_wait(server, admin, "Gate lamps are grid B's", "R-0001 is moved to Grid B")
    await server.wait_for_edit(GROUP_A, card.message_id, "已转交到 Grid B")
    new_card = await server.wait_for_message(GROUP_B, "R-0001")
    assert "楼栋:1" in new_card.plain  # moved by grid: the building stays
    await server.wait_for_message(GROUP_B, "由 Admin Chen 转交到本网格")
    # The grid it is in now is not offered; an older step's choice is stale.
    where = await say_and_wait(server, admin, "/transfer R-0001", "Where should R-0001 go?")
    assert "🗺 Grid B" not in [b.text for b in where.buttons]
    nonce = str(where.button("Cancel").callback_data).rsplit(":", 1)[1]
    await press_and_wait(server, admin, where, "Cancel", "Not moved; nothing was changed.")
    where = await say_and_wait(server, admin, "/transfer R-0001", "Where should R-0001 go?")
    stale = await server.wait_for_answer(admin.press_data(where, f"v1:trg:3:{nonce}"))
    assert stale["text"] == "This button is no longer valid."
    # With this step's own nonce, a choice of the grid it is in is taken to the reason, and
    # then refused by the core: nothing changes, the wizard ends.
    nonce = str(where.button("Cancel").callback_data).rsplit(":", 1)[1]
    last = last_id(server, ADMIN)
    admin.press_data(where, f"v1:trg:3:{nonce}")
    await server.wait_for_message(ADMIN, "To Grid B. Why?", after=last)
    await say_and_wait(server, admin, "Still grid B's", "R-0001 is already with Grid B")
    await say_and_wait(server, admin, "Still grid B's", "I didn't understand")
    assert len([m for m in server.messages(GROUP_B) if "R-0001" in m.plain]) == 2
    assert "待认领" in new_card.plain and server.messages(GROUP_B)[0].buttons
