"""Staff tools, as the README tells an admin: /invite links that make someone a worker (or
volunteer, admin) once they accept, /invites with Revoke, /staff with Remove; and the refusals
(a non-admin, a used, expired, withdrawn or forged link, a grid that does not exist)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from storage import clock
from storage import directory as directory_store
from storage.clock import ManualClock
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi, SentMessage
from tests.journeys import file_report, press_and_wait, register, say_and_wait

ALICE = 1001  # a resident
NEWBIE, OTHER = 5001, 5002  # people to invite
LINK = re.compile(r"https://t\.me/community_test_bot\?start=(inv-[A-Za-z0-9_-]{16})")


@pytest.fixture
def moved() -> Iterator[ManualClock]:
    manual = ManualClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    previous = clock.use(manual)
    try:
        yield manual
    finally:
        clock.use(previous)


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi, moved: ManualClock) -> Settings:
    return community(tmp_path / "bot.sqlite3", server.base_url)


def code_of(message: SentMessage) -> str:
    found = LINK.search(message.plain)
    assert found, message.plain
    return found.group(1)


async def make_invite(server: FakeBotApi, text: str) -> str:
    admin = server.user(ADMIN, "Director Zhou")
    made = await say_and_wait(server, admin, text, "Forward this link")
    return code_of(made)


async def test_admin_invites_a_worker_who_accepts_and_claims_in_grid_a(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    newbie = server.user(NEWBIE, "Zhao New")
    alice = server.user(ALICE, "Alice")

    # README: "/invite worker A … answers with a link to forward".
    made = await say_and_wait(server, admin, "/invite worker A", "Forward this link")
    assert "a grid worker of “Grid A”, for one person, valid until Dec 8" in made.plain
    code = code_of(made)
    assert len(code) <= 64

    offer = await say_and_wait(server, newbie, f"/start {code}", "invites you")
    assert "Director Zhou invites you to join Nanning St. as a grid worker of “Grid A”" in (
        offer.plain
    )
    assert [b.text for b in offer.buttons] == ["✅ Accept", "No, thanks"]
    welcome = await press_and_wait(server, newbie, offer, "Accept", "Hello Zhao New")
    assert "grid worker of “Grid A” (buildings 1, 2)" in welcome.plain
    assert "You are now a grid worker" in server.messages(NEWBIE)[-2].plain
    told = await server.wait_for_message(ADMIN, "accepted invite")
    assert "Zhao New accepted invite #1 and is now a grid worker of “Grid A”" in told.plain
    # Their own menu now starts with the worker's queue.
    menu = await _menu(server, {"type": "chat", "chat_id": NEWBIE})
    assert menu[0] == "queue" and "invite" not in menu

    # The new worker claims a card in grid A's group.
    await register(server, alice, "1", "2-301", "+8613800000001")
    await file_report(server, alice, "Plumbing", "1", "Kitchen pipe burst")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    answer = await server.wait_for_answer(newbie.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_message(NEWBIE, "+8613800000001")

    # The grant is logged with who and when, and stands across a restart and its config sync.
    async with bot.services.db.read() as conn:
        log = [row["change"] for row in await directory_store.changes(conn)]
    assert f"worker {NEWBIE} (Zhao New) added to grid A by invite 1 of {ADMIN}" in log
    await bot.restart()
    again = await say_and_wait(server, newbie, "/start", "Hello Zhao New")
    assert "grid worker of “Grid A”" in again.plain


async def test_a_link_grants_nothing_when_used_expired_withdrawn_or_forged(
    server: FakeBotApi, bot: RunningBot, moved: ManualClock
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    newbie = server.user(NEWBIE, "Zhao New")
    other = server.user(OTHER, "Qian Other")
    worker = server.user(WORKER_A1, "Wang A1")

    # Not an admin: refused, no link.
    refused = await say_and_wait(server, worker, "/invite worker A", "only the service")
    assert "t.me" not in refused.plain
    # A grid that does not exist: named, with the grids there are.
    unknown = await say_and_wait(server, admin, "/invite worker Z", "There is no grid Z")
    assert "A (Grid A), B (Grid B), C (Grid C), D (Grid D)" in unknown.plain
    await say_and_wait(server, admin, "/invite plumber", "Usage: /invite")

    # Used: the first to accept has it; the second hears it was used.
    code = await make_invite(server, "/invite worker B")
    offer = await say_and_wait(server, newbie, f"/start {code}", "invites you")
    offer2 = await say_and_wait(server, other, f"/start {code}", "invites you")
    accept = offer.button("Accept").callback_data
    assert accept is not None
    await press_and_wait(server, newbie, offer, "Accept", "Hello Zhao New")
    answer = await server.wait_for_answer(other.press(offer2, "Accept"))
    assert "already been used" in str(answer["text"])
    used = await say_and_wait(server, other, f"/start {code}", "already been used")
    assert used.buttons == []
    # A second press of Accept by the one who has it changes nothing.
    answer = await server.wait_for_answer(newbie.press_data(offer, accept))
    assert "no longer valid" in str(answer["text"])

    # Forged: a code nobody made, or not a code at all; a forged Accept press.
    await say_and_wait(server, other, "/start inv-AAAAAAAAAAAAAAAA", "is not valid")
    await say_and_wait(server, other, "/start inv-x", "is not valid")
    fresh = await make_invite(server, "/invite admin")
    answer = await server.wait_for_answer(other.press_data(offer2, "v1:iok:2"))
    assert "no longer valid" in str(answer["text"])

    # Withdrawn with /invites' Revoke button.
    listed = await say_and_wait(server, admin, "/invites", "Invite links that still work: 1")
    assert "#2 · an admin · 0 of 1 used" in listed.plain
    answer = await server.wait_for_answer(admin.press(listed, "Revoke #2"))
    assert "Invite #2 is revoked" in str(answer["text"])
    await server.wait_for_edit(ADMIN, listed.message_id, "No invite link works")
    await say_and_wait(server, other, f"/start {fresh}", "was withdrawn")

    # Expired: invite_days (7) later.
    late = await make_invite(server, "/invite volunteer")
    offer3 = await say_and_wait(server, other, f"/start {late}", "as a volunteer")
    moved.advance(days=7, minutes=1)
    answer = await server.wait_for_answer(other.press(offer3, "Accept"))
    assert "expired" in str(answer["text"])
    await say_and_wait(server, other, f"/start {late}", "has expired")

    # Nobody but the first newcomer got a role.
    directory = bot.services.directory.current
    assert directory.staff(OTHER) is None and not directory.is_volunteer(OTHER)
    assert not directory.is_admin(OTHER)
    grid_b = directory.grid("B")
    assert grid_b is not None and NEWBIE in grid_b.workers


async def test_a_multi_use_link_serves_several_people_until_revoked(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    code = await make_invite(server, "/invite volunteer multi")
    for user_id, name in ((NEWBIE, "Zhao New"), (OTHER, "Qian Other")):
        person = server.user(user_id, name)
        offer = await say_and_wait(server, person, f"/start {code}", "as a volunteer")
        await press_and_wait(server, person, offer, "Accept", "You are a volunteer")
    listed = await say_and_wait(server, admin, "/invites", "still work")
    assert "#1 · a volunteer · used 2 times" in listed.plain
    assert bot.services.directory.current.is_volunteer(OTHER)

    # A volunteer removed with /staff is one no longer, and may apply again.
    roster = await say_and_wait(server, admin, "/staff", "Volunteers")
    sure = await press_and_wait(server, admin, roster, "Qian Other", "Remove Qian Other as")
    await server.wait_for_answer(admin.press(sure, "Yes, remove"))
    await server.wait_for_message(OTHER, "you are no longer a volunteer")
    assert not bot.services.directory.current.is_volunteer(OTHER)
    await say_and_wait(
        server, server.user(OTHER, "Qian Other"), "/volunteer", "Which of these are you?"
    )


async def test_staff_lists_roles_and_removes_one_after_confirming(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    worker = server.user(WORKER_A1, "Wang A1")
    alice = server.user(ALICE, "Alice")
    await say_and_wait(server, worker, "/start", "Hello Wang A1")

    # A non-admin is refused, and so is a forged Remove press.
    refused = await say_and_wait(server, worker, "/staff", "only the service")
    roster = await say_and_wait(server, admin, "/staff", "Staff and volunteers")
    text = roster.plain
    assert text.index("Admins") < text.index("Workers of “Grid A”") < text.index("Grid B")
    assert "Wang A1 (id 201)" in text
    remove = roster.button("Wang A1 · Workers of “Grid A”")
    assert remove.callback_data is not None
    answer = await server.wait_for_answer(worker.press_data(refused, remove.callback_data))
    assert "only the service center's admins" in str(answer["text"])

    # ✖️ asks first; Keep changes nothing; Yes, remove takes the role, and the worker is told.
    sure = await press_and_wait(server, admin, roster, "Wang A1", "Remove Wang A1 as")
    assert "a grid worker of “Grid A”" in sure.plain
    await server.wait_for_answer(admin.press(sure, "Keep"))
    assert bot.services.directory.current.works_in(WORKER_A1, "A")
    sure = await press_and_wait(server, admin, roster, "Wang A1", "Remove Wang A1 as")
    yes = sure.button("Yes, remove").callback_data
    assert yes is not None
    answer = await server.wait_for_answer(admin.press_data(sure, yes))
    assert "Wang A1 is no longer a grid worker of “Grid A”" in str(answer["text"])
    await server.wait_for_message(WORKER_A1, "you are no longer a grid worker")
    answer = await server.wait_for_answer(admin.press_data(sure, yes))
    assert "already been removed" in str(answer["text"])
    answer = await server.wait_for_answer(admin.press(roster, "Wang A1"))
    assert "already been removed" in str(answer["text"])
    # Their menu is the resident's again (their own one is deleted).
    assert await _menu(server, {"type": "chat", "chat_id": WORKER_A1}) == []

    # They can no longer claim, also after a restart (the config file still lists them, but
    # did not change: the removal stands).
    await bot.restart()
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Lights", "1", "Stair light is out")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    answer = await server.wait_for_answer(worker.press(card, "认领"))
    assert not str(answer["text"]).startswith("You claimed")
    async with bot.services.db.read() as conn:
        rows = await directory_store.changes(conn)
    assert any(
        r["change"] == "worker 201 removed from grid A" and r["actor_id"] == ADMIN for r in rows
    )


async def test_the_last_admin_cannot_be_removed(server: FakeBotApi, bot: RunningBot) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    roster = await say_and_wait(server, admin, "/staff", "Staff and volunteers")
    sure = await press_and_wait(server, admin, roster, "Director Zhou", "Remove Director Zhou")
    answer = await server.wait_for_answer(admin.press(sure, "Yes, remove"))
    assert "last admin" in str(answer["text"])
    assert bot.services.directory.current.is_admin(ADMIN)


async def _menu(
    server: FakeBotApi, scope: dict[str, object], lang: str | None = None
) -> list[str]:
    await server.wait_idle()
    for key, commands in server.commands.items():
        if json.loads(key) == [scope, lang]:
            return [c["command"] for c in commands]
    raise AssertionError(f"no menu for {scope} {lang}: {list(server.commands)}")
