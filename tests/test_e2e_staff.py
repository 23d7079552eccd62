"""Staff are not residents: a worker or admin who presses Start is greeted by role and asked
nothing, and a worker's buttons always act, whatever wizard is half-filled."""

from __future__ import annotations

from tests.conftest import ADMIN, GROUP_A, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE = 1001


async def test_worker_follows_the_readme_start_claim_resolve(
    server: FakeBotApi, bot: RunningBot
) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301", "+8613800000001")

    # README: "Each worker should open a private chat with the bot and press Start once."
    hello = await say_and_wait(server, worker, "/start", "Hello Wang A1")
    assert "grid worker of “Grid A” (buildings 1, 2)" in hello.plain
    assert "no open requests" in hello.plain
    assert "Which building" not in hello.plain and hello.buttons == []
    await server.wait_idle(0.3)
    assert len(server.messages(WORKER_A1)) == 1  # a greeting, and no question after it

    # README: "🙋 Claim on a card", then "✅ Resolved (asks for a short note and an optional
    # photo, then asks the resident to rate)".
    await file_report(server, alice, "Plumbing", "1", "Kitchen pipe burst")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    answer = await server.wait_for_answer(worker.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    details = await server.wait_for_message(WORKER_A1, "+8613800000001")
    await press_and_wait(server, worker, details, "Resolved", "What was done for R-0001")
    ask = await say_and_wait(server, worker, "Replaced the valve", "photo of the result")
    await press_and_wait(server, worker, ask, "Skip", "marked resolved")
    await server.wait_for_message(ALICE, "Replaced the valve")

    # Start again shows the claim while it is open, and nothing once it is resolved.
    again = await say_and_wait(server, worker, "/start", "Hello Wang A1")
    assert "no open requests" in again.plain


async def test_start_lists_open_claims_and_admin_role(server: FakeBotApi, bot: RunningBot) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    admin = server.user(ADMIN, "Director Zhou")
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Lights", "1", "Stair light is out")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    await server.wait_for_message(WORKER_A1, "R-0001")

    hello = await say_and_wait(server, worker, "/start", "Hello Wang A1")
    assert "The request you are working on;" in hello.plain
    assert "R-0001 · Lights · 1, resolve by" in hello.plain
    # 🔎 opens the request's history with the worker's buttons.
    history = await press_and_wait(server, worker, hello, "R-0001", "Status: being worked on")
    assert [b.text for b in history.buttons] == [
        "✅ Resolved",
        "📝 Add note",
        "↩️ Hand back",
        "❓ Ask the resident",
        "🔀 Transfer",
    ]
    await press_and_wait(server, worker, history, "Resolved", "What was done for R-0001")

    admin_hello = await say_and_wait(server, admin, "/start", "Hello Director Zhou")
    assert "You are an admin" in admin_hello.plain
    assert "Which building" not in admin_hello.plain


async def test_staff_register_as_residents_from_profile(
    server: FakeBotApi, bot: RunningBot
) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    hello = await say_and_wait(server, worker, "/start", "Hello Wang A1")
    assert "/profile" in hello.plain
    profile = await say_and_wait(server, worker, "/profile", "not registered as a resident")
    ask = await press_and_wait(server, worker, profile, "Register as a resident", "Which building")
    await press_and_wait(server, worker, ask, "2", "unit")
    await say_and_wait(server, worker, "8-808", "share your phone")
    confirm = await say_and_wait(server, worker, "Skip", "Is this right?")
    await press_and_wait(server, worker, confirm, "Confirm", "You are registered")
    shown = await say_and_wait(server, worker, "/profile", "Your registration")
    assert "8-808" in shown.plain


async def test_worker_buttons_act_whatever_is_half_filled(
    server: FakeBotApi, bot: RunningBot
) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "2", "Radiator is cold")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")

    # The worker starts registering as a resident and stops at the unit question.
    profile = await say_and_wait(server, worker, "/profile", "not registered as a resident")
    ask = await press_and_wait(server, worker, profile, "Register as a resident", "Which building")
    await press_and_wait(server, worker, ask, "1", "type your unit")

    # Add note and Resolved act at once; registration waits at its step.
    await press_and_wait(server, worker, details, "Add note", "Type the note for R-0001")
    last = last_id(server, WORKER_A1)
    worker.send("Parts are ordered")
    await server.wait_for_message(WORKER_A1, "Note saved", after=last)
    unit = "Building 1. Now type your unit"
    resumed = await server.wait_for_message(WORKER_A1, unit, after=last)
    await server.wait_for_message(ALICE, "Parts are ordered")

    await press_and_wait(server, worker, details, "Resolved", "What was done for R-0001")
    ask = await say_and_wait(server, worker, "Bled the radiator", "photo of the result")
    last = last_id(server, WORKER_A1)
    worker.press(ask, "Skip")
    await server.wait_for_message(WORKER_A1, "marked resolved", after=last)
    again = await server.wait_for_message(WORKER_A1, "Building 1. Now type your unit", after=last)
    assert again.message_id > resumed.message_id
    await server.wait_for_message(ALICE, "Bled the radiator")

    # The registration carries on from where it was.
    await say_and_wait(server, worker, "3-303", "share your phone")
    confirm = await say_and_wait(server, worker, "Skip", "Is this right?")
    assert "3-303" in confirm.plain and "Building: 1" in confirm.plain
    await press_and_wait(server, worker, confirm, "Confirm", "You are registered")


async def test_cancel_in_a_worker_wizard_gives_back_the_one_set_aside(
    server: FakeBotApi, bot: RunningBot
) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "2", "Tap drips")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    profile = await say_and_wait(server, worker, "/profile", "not registered as a resident")
    await press_and_wait(server, worker, profile, "Register as a resident", "Which building")

    await press_and_wait(server, worker, details, "Resolved", "What was done for R-0001")
    last = last_id(server, WORKER_A1)
    worker.send("/cancel")
    await server.wait_for_message(WORKER_A1, "Cancelled", after=last)
    await server.wait_for_message(WORKER_A1, "Which building do you live in?", after=last)
    # The request is still claimed and can be resolved later.
    await press_and_wait(server, worker, details, "Resolved", "What was done for R-0001")
