"""Filing for a resident without Telegram (代办), end to end: the worker types the resident in,
files through the usual wizard, gets the resident's news marked "for <name>" and enters the
rating; the claimer gets the resident's name and phone; the group never sees them."""

from __future__ import annotations

from storage import proxies
from storage import requests as store
from tests.conftest import ADMIN_CHAT, GROUP_A, WORKER_A1, WORKER_A2, RunningBot
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import last_id, press_and_wait, register, say_and_wait

BOB = 1002
INVISIBLE = "\u200b \u2060\u200b"


async def test_a_worker_files_a_repair_for_a_resident_and_rates_it_for_her(
    server: FakeBotApi, bot: RunningBot
) -> None:
    bob = server.user(BOB, "Bob")
    a1 = server.user(WORKER_A1, "Wang A1")
    a2 = server.user(WORKER_A2, "Li A2")
    await register(server, bob, "3", "1-101")
    for worker in (a1, a2):
        await say_and_wait(server, worker, "/start", "You are a grid worker")

    # A resident cannot file for someone else.
    refused = await say_and_wait(server, bob, "/proxy", "Only grid workers and admins")
    assert "/report" in refused.plain

    # Name, phone, building, unit: invisible or wrong answers are asked again.
    await say_and_wait(server, a1, "/proxy", "What is the resident's name?")
    await say_and_wait(server, a1, INVISIBLE, "Please type the resident's name")
    await say_and_wait(server, a1, "x" * 41, "Please type the resident's name")
    await say_and_wait(server, a1, "Grandma Li", "The phone number of Grandma Li")
    await say_and_wait(server, a1, "call her son", "Please type a phone number")
    ask = await say_and_wait(server, a1, "138 0000 0002", "Which building does Grandma Li")
    await press_and_wait(server, a1, ask, "1", "The unit and room of Grandma Li")
    await say_and_wait(server, a1, INVISIBLE, "Please type the unit and room")
    kind = await say_and_wait(server, a1, "5-502", "What do you file for them?")
    assert "138 0000 0002" in kind.plain and "5-502" in kind.plain

    # Then the usual report wizard, which knows whom it files for.
    ask = await press_and_wait(server, a1, kind, "A repair", "Choose a category")
    ask = await press_and_wait(server, a1, ask, "Plumbing", "Which building")
    assert "(mine)" not in " ".join(b.text for b in ask.buttons)
    await press_and_wait(server, a1, ask, "1", "Describe the problem")
    ask = await say_and_wait(server, a1, "Kitchen tap drips all night", "photos")
    summary = await press_and_wait(server, a1, ask, "Skip", "Please check your report")
    assert summary.plain.startswith("👤 For Grandma Li")
    saved = await press_and_wait(server, a1, summary, "Confirm", "Saved as")
    assert saved.plain.startswith("👤 For Grandma Li") and "R-0001" in saved.plain

    # The group card never shows her phone, unit or name.
    card = await server.wait_for_message(GROUP_A, "R-0001")
    for private in ("138 0000 0002", "5-502", "Grandma Li"):
        assert private not in card.plain

    # The claimer gets her name and phone as typed, and who filed it.
    a2.press(card, "认领")
    details = await server.wait_for_message(WORKER_A2, "R-0001")
    for seen in ("Grandma Li", "138 0000 0002", "5-502", "Filed for the resident by Wang A1"):
        assert seen in details.plain, seen
    # What would go to the resident goes to the worker who filed it, marked for her.
    claimed = await server.wait_for_message(WORKER_A1, "was claimed by Li A2")
    assert claimed.plain.startswith("👤 For Grandma Li")

    # Resolved: the rating is asked of the filing worker, who enters hers.
    await press_and_wait(server, a2, details, "Resolved", "What was done")
    ask = await say_and_wait(server, a2, "New washer fitted", "photo of the result")
    await press_and_wait(server, a2, ask, "Skip", "marked resolved")
    rate = await server.wait_for_message(WORKER_A1, "New washer fitted")
    assert rate.plain.startswith("👤 For Grandma Li") and "Please rate it" in rate.plain
    await press_and_wait(server, a1, rate, "⭐⭐⭐⭐", "closed with 4★")
    await server.wait_for_message(WORKER_A2, "rated <b>R-0001</b> 4★")
    await server.wait_for_edit(GROUP_A, card.message_id, "4★")

    # The timeline says who filed it for whom.
    mine = await say_and_wait(server, a1, "/my", "R-0001")
    timeline = await press_and_wait(server, a1, mine, "R-0001", "Status: closed")
    assert "filed by Wang A1 for Grandma Li" in timeline.plain

    # In the data it is a resident's request: hers, filed by the worker.
    async with bot.services.db.read() as conn:
        request = await store.get(conn, 1)
        resident = await proxies.resident_of(conn, 1)
    assert request is not None and request.filed_by == WORKER_A1 and request.unit == "5-502"
    assert resident is not None and resident.proxied
    assert (resident.name, resident.phone, resident.building, resident.unit) == (
        "Grandma Li",
        "138 0000 0002",
        "1",
        "5-502",
    )
    assert resident.resident_key.startswith("o")


async def file_for(
    server: FakeBotApi, worker: FakeUser, name: str, phone: str, building: str, unit: str
) -> SentMessage:
    """/proxy → name → phone → building → unit → a repair (Plumbing, in the resident's
    building) → description → Skip → Confirm; returns 'Saved as'."""
    await say_and_wait(server, worker, "/proxy", "What is the resident's name?")
    await say_and_wait(server, worker, name, "The phone number")
    ask = await say_and_wait(server, worker, phone, "Which building")
    await press_and_wait(server, worker, ask, building, "The unit and room")
    kind = await say_and_wait(server, worker, unit, "What do you file for them?")
    ask = await press_and_wait(server, worker, kind, "A repair", "Choose a category")
    ask = await press_and_wait(server, worker, ask, "Plumbing", "Which building")
    await press_and_wait(server, worker, ask, building, "Describe the problem")
    ask = await say_and_wait(server, worker, "The drain is blocked", "photos")
    summary = await press_and_wait(server, worker, ask, "Skip", "Please check your report")
    return await press_and_wait(server, worker, summary, "Confirm", "Saved as")


async def test_a_worker_files_a_wish_for_a_resident_without_a_phone(
    server: FakeBotApi, bot: RunningBot
) -> None:
    a1 = server.user(WORKER_A1, "Wang A1")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await say_and_wait(server, a1, "/proxy", "What is the resident's name?")
    ask = await say_and_wait(server, a1, "Uncle Zhang", "The phone number of Uncle Zhang")
    ask = await press_and_wait(server, a1, ask, "Skip", "Which building does Uncle Zhang")
    await press_and_wait(server, a1, ask, "2", "The unit and room")
    kind = await say_and_wait(server, a1, "3-303", "What do you file for them?")
    ask = await press_and_wait(server, a1, kind, "A wish", "What kind of wish")
    await press_and_wait(server, a1, ask, "Companionship", "Write your wish")
    ask = await say_and_wait(server, a1, "Someone to walk with me to the clinic", "photo")
    summary = await press_and_wait(server, a1, ask, "Skip", "Please check your wish")
    assert summary.plain.startswith("👤 For Uncle Zhang")
    saved = await press_and_wait(server, a1, summary, "Confirm", "W-0001")
    assert saved.plain.startswith("👤 For Uncle Zhang")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")
    assert "Uncle Zhang" not in card.plain and "3-303" not in card.plain
    async with bot.services.db.read() as conn:
        wish = await store.get(conn, 1)
        resident = await proxies.resident_of(conn, 1)
    assert wish is not None and wish.building == "2" and wish.filed_by == WORKER_A1
    assert resident is not None and resident.name == "Uncle Zhang" and resident.phone is None


async def test_cancel_and_a_stale_button_leave_nothing_filed(
    server: FakeBotApi, bot: RunningBot
) -> None:
    a1 = server.user(WORKER_A1, "Wang A1")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    first = await say_and_wait(server, a1, "/proxy", "What is the resident's name?")
    ask = await say_and_wait(server, a1, "Grandma Li", "The phone number")
    # A button of an earlier step (and a forged one) is no longer valid.
    stale = await server.wait_for_answer(a1.press(first, "Cancel"))
    assert stale["text"] == "This button is no longer valid."
    forged = await server.wait_for_answer(a1.press_data(ask, "v1:pxr:0:1"))
    assert forged["text"] == "This button is no longer valid."
    last = last_id(server, WORKER_A1)
    a1.send("/cancel")
    await server.wait_for_message(WORKER_A1, "Cancelled", after=last)
    await say_and_wait(server, a1, "/my", "You have no requests yet")
    assert not server.messages(GROUP_A)
