"""A button acts only in the place and step it was shown for; edits are not commands; an album
is one answer."""

from __future__ import annotations

from tests.conftest import GROUP_A, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

ALICE = 1001
STALE = "This button is no longer valid."


async def _to_description(server: FakeBotApi, alice: FakeUser) -> None:
    """/report → Plumbing → building 1: the wizard asks for the description."""
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    await press_and_wait(server, alice, ask, "1", "Describe the problem")


async def _to_summary(server: FakeBotApi, alice: FakeUser, description: str) -> SentMessage:
    await _to_description(server, alice)
    ask = await say_and_wait(server, alice, description, "photos")
    return await press_and_wait(server, alice, ask, "Skip", "Please check your report")


async def test_leftover_registration_buttons_do_not_act_on_a_report(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    ask = await say_and_wait(server, alice, "/start", "Which building")
    ask = await press_and_wait(server, alice, ask, "1", "unit")
    assert ask.buttons == []
    assert server.messages(ALICE)[0].buttons == []  # the building buttons are gone
    await say_and_wait(server, alice, "2-301", "share your phone")
    confirm = await say_and_wait(server, alice, "Skip", "Is this right?")
    confirm_data = confirm.button("Confirm").callback_data
    redo_data = confirm.button("Start over").callback_data
    assert confirm_data is not None and redo_data is not None
    await press_and_wait(server, alice, confirm, "Confirm", "You are registered")
    assert confirm.buttons == []  # registration takes its buttons off too

    summary = await _to_summary(server, alice, "Water heater leaks")
    for data in (confirm_data, redo_data):
        answer = await server.wait_for_answer(alice.press_data(confirm, data))
        assert answer["text"] == STALE, data
    await server.wait_idle(0.3)
    assert not server.messages(GROUP_A)
    # The report is still waiting at its summary, and its own Confirm files it.
    saved = await press_and_wait(server, alice, summary, "Confirm", "Saved as")
    assert "R-0001" in saved.plain


async def test_forged_wizard_data_on_a_group_card_changes_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Lights", "1", "Hall light is out")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    summary = await _to_summary(server, alice, "Second pipe leaks")
    her_abort = summary.button("Cancel").callback_data
    assert her_abort is not None

    # A resident presses forged "abort" data on the group card, old-style and with her real
    # step nonce: her wizard stays, the card keeps its Claim button.
    for data in ("v1:abort:0", her_abort):
        answer = await server.wait_for_answer(alice.press_data(card, data))
        assert answer["text"] == STALE
    assert [b.text for b in card.buttons] == ["🙋 认领"]
    assert card.edits == 0

    # A worker at his resolve-photo step presses forged "skip" data on the card: not resolved.
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    photo_step = await say_and_wait(server, worker, "Changed the bulb", "photo of the result")
    his_skip = photo_step.button("Skip").callback_data
    assert his_skip is not None
    for data in ("v1:skip:0", his_skip):
        answer = await server.wait_for_answer(worker.press_data(card, data))
        assert answer["text"] == STALE
    await server.wait_idle(0.3)
    assert not [m for m in server.messages(ALICE) if m.contains("Changed the bulb")]
    assert "认领" in (card.text or "") or "已于" in (card.text or "")
    assert "等待居民评价" not in (card.text or "")

    # Both carry on where they were.
    await press_and_wait(server, worker, photo_step, "Skip", "marked resolved")
    await press_and_wait(server, alice, summary, "Confirm", "Saved as")


async def test_a_button_of_an_earlier_step_is_stale(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    category_data = ask.button("Plumbing").callback_data
    assert category_data is not None
    building = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    # The same category button again (a double tap) is stale, and the step is unchanged.
    answer = await server.wait_for_answer(alice.press_data(ask, category_data))
    assert answer["text"] == STALE
    await press_and_wait(server, alice, building, "1", "Describe the problem")


async def test_editing_an_old_message_into_a_command_does_nothing(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    old = alice.send("hello")
    await server.wait_for_message(ALICE, "Send /report")
    summary = await _to_summary(server, alice, "Basement is flooded")
    before = last_id(server, ALICE)
    alice.edit(old, "/cancel")
    alice.edit(old, "/report")
    await server.wait_idle(0.3)
    assert last_id(server, ALICE) == before  # no answer at all
    await press_and_wait(server, alice, summary, "Confirm", "Saved as")


async def test_an_album_is_one_answer(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await _to_description(server, alice)
    await say_and_wait(server, alice, "Ceiling leaks in the hall", "photos")

    # Ten photos sent together: one summary with the first three, nothing else.
    last = last_id(server, ALICE)
    alice.send_album(10)
    summary = await server.wait_for_message(ALICE, "Please check your report", after=last)
    await server.wait_idle(0.5)
    newer = [m for m in server.messages(ALICE) if m.message_id > last]
    assert [m.message_id for m in newer if m.contains("Please check")] == [summary.message_id]
    assert "Photos: 3" in summary.plain
    # One acknowledgement, edited as the photos came, then the summary.
    assert len(newer) == 2 and newer[0].contains("Photo 2/3")
    await press_and_wait(server, alice, summary, "Confirm", "Saved as")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert card.photo is not None


async def test_a_short_album_is_acknowledged_once(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await _to_description(server, alice)
    await say_and_wait(server, alice, "Wall is damp", "photos")
    last = last_id(server, ALICE)
    alice.send_album(2)
    ack = await server.wait_for_message(ALICE, "Photo", after=last)
    await server.wait_for_edit(ALICE, ack.message_id, "Photo 2/3")
    await server.wait_idle(0.3)
    assert len([m for m in server.messages(ALICE) if m.message_id > last]) == 1
    summary = await press_and_wait(server, alice, ack, "Done", "Please check your report")
    assert "Photos: 2" in summary.plain


async def test_an_album_at_a_step_that_wants_text_is_answered_once(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await _to_description(server, alice)
    last = last_id(server, ALICE)
    alice.send_album(4)
    await server.wait_for_message(ALICE, "Photos come next", after=last)
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(ALICE) if m.message_id > last]) == 1


async def test_an_album_resolves_once(server: FakeBotApi, bot: RunningBot) -> None:
    alice = server.user(ALICE, "Alice")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "Pipe knocks at night")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    worker.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    await press_and_wait(server, worker, details, "Resolved", "What was done")
    await say_and_wait(server, worker, "Fixed the clamp", "photo of the result")
    last = last_id(server, WORKER_A1)
    worker.send_album(5)
    await server.wait_for_message(WORKER_A1, "marked resolved", after=last)
    await server.wait_idle(0.5)
    assert len([m for m in server.messages(WORKER_A1) if m.message_id > last]) == 1
    rate = await server.wait_for_message(ALICE, "Fixed the clamp")
    assert rate.photo is not None
