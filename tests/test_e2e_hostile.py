"""The hostile input catalogue (tests/hostile_inputs.py), sent at every free-text step and
outside wizards, by residents, workers and admins, in private and in a group; plus forged
callback data and Telegram's pseudo-senders.

Each try must get a polite answer where a person waits for one (never silence, never "Sorry,
something went wrong", never an error report in the admin chat, never an ERROR in the log),
change no data (requests, events, people, wizard steps, messages queued), and every message the
fake server accepted is within Telegram's limits (it refuses too long texts and bad HTML).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests import hostile_inputs as hostile
from tests.conftest import (
    ADMIN,
    ADMIN_CHAT,
    GROUP_A,
    WORKER_A1,
    WORKER_A2,
    WORKER_B,
    RunningBot,
    community,
)
from tests.fakebot import FakeBotApi, FakeGroup, FakeUser, SentMessage
from tests.journeys import file_report, last_id, press_and_wait, register, say_and_wait

WALL = -100333
ALICE, NEWCOMER = 1001, 1003
HU = 7001
SORRY = "Sorry, something went wrong"
# Tables a try may change without changing data: which updates were handled, albums answered.
# Commands an admin may rightly answer with their wizard (the words after them are ignored).
WIZARD_OPENERS = {"/broadcast with args", "command with HTML"}
BOOKKEEPING = {
    "processed_updates",
    "inbox",  # every update is stored there first, by design
    "answered_albums",
    "config_applied",
    "sqlite_sequence",
}


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(
        tmp_path / "bot.sqlite3",
        server.base_url,
        wishes={"wall_chat_id": WALL},
        volunteers=[{"id": HU, "name": "Hu", "affiliation": "party_member"}],
    )


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a try must not change: every table but bookkeeping, read from outside the bot."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        shot: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            if name in BOOKKEEPING:
                continue
            query = f'SELECT * FROM "{name}"'
            if name == "users":  # being seen refreshes the name and language
                query = "SELECT user_id, building, unit, phone, registered_at FROM users"
                query += " WHERE registered_at IS NOT NULL OR phone IS NOT NULL"
            elif name == "outbox":  # delivery changes a row's status, not what it says
                query = "SELECT id, chat_id, kind, request_id, text FROM outbox"
            elif name == "dialogs":  # a question asked again may refresh its time
                query = "SELECT user_id, flow, step, data, suspended FROM dialogs"
            shot[name] = sorted(con.execute(query).fetchall(), key=repr)
        return shot
    finally:
        con.close()


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@dataclass
class Catalogue:
    """Sends cases and collects every failure, so one run shows them all."""

    server: FakeBotApi
    db: Path
    caplog: pytest.LogCaptureFixture
    failures: list[str] = field(default_factory=list)
    tries: int = 0
    names: set[str] = field(default_factory=set)

    async def attempt(
        self,
        where: str,
        case: hostile.Case,
        user: FakeUser,
        chat: FakeGroup | None = None,
        *,
        reply: bool = True,
        same_data: bool = True,
        expect: str | None = None,
    ) -> list[SentMessage]:
        """Send one case; `reply`: the person must get an answer; `same_data`: nothing
        changes. Returns what the bot sent the person."""
        self.tries += 1
        self.names.add(case.name)
        label = f"{where} / {case.name}"
        server = self.server
        before = snapshot(self.db)
        last_user, last_admin = last_id(server, user.id), last_id(server, ADMIN_CHAT)
        self.caplog.clear()
        case.send(user, chat)
        if reply:
            try:
                await server.wait_for_message(user.id, expect, after=last_user, timeout=8)
            except AssertionError as exc:
                self.failures.append(f"{label}: no answer ({exc})")
        await server.wait_idle(0.05)
        sent = [m for m in server.messages(user.id) if m.message_id > last_user]
        for message in sent:
            if SORRY in message.plain:
                self.failures.append(f"{label}: {message.plain[:80]!r}")
        for message in server.messages(ADMIN_CHAT):
            if message.message_id > last_admin and "Error while handling" in message.plain:
                self.failures.append(f"{label}: admin chat got {message.plain[:120]!r}")
        errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        if errors:
            self.failures.append(f"{label}: logged {errors[0].getMessage()[:120]!r}")
        if same_data:
            diff = changed(before, snapshot(self.db))
            if diff:
                self.failures.append(f"{label}: changed {diff}")
        return sent

    async def refused_at(self, where: str, user: FakeUser, expect: str | None = None) -> None:
        """Every case a step that asks for words must refuse: asked again, nothing changes."""
        for case in hostile.AT_TEXT_STEPS:
            await self.attempt(where, case, user, expect=expect)

    def check(self) -> None:
        print(f"\nhostile inputs: {self.tries} tries of {len(self.names)} cases")
        assert not self.failures, "\n".join(self.failures)


@pytest.fixture
def catalogue(
    server: FakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> Catalogue:
    caplog.set_level(logging.WARNING)
    return Catalogue(server, Path(settings.database.path), caplog)


async def _staff_start(server: FakeBotApi) -> None:
    staff = ((WORKER_A1, "Wang A1", "a grid worker"), (WORKER_A2, "Li A2", "a grid worker"))
    for uid, name, role in (*staff, (ADMIN, "Admin", "an admin")):
        await say_and_wait(server, server.user(uid, name), "/start", f"You are {role}")


async def _claimed(server: FakeBotApi, alice: FakeUser, a1: FakeUser) -> SentMessage:
    """Alice's report R-0001, claimed by A1: A1's private details."""
    await file_report(server, alice, "Plumbing", "1", "The kitchen pipe leaks")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    a1.press(card, "认领")
    return await server.wait_for_message(WORKER_A1, "R-0001")


async def test_every_resident_step_refuses_what_shows_nothing_or_is_not_text(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue
) -> None:
    alice, newcomer = server.user(ALICE, "Alice"), server.user(NEWCOMER, "New")
    # Registration: the unit.
    ask = await say_and_wait(server, newcomer, "/start", "building")
    await press_and_wait(server, newcomer, ask, "1", "unit")
    await catalogue.refused_at("registration unit", newcomer)
    await say_and_wait(server, newcomer, "<b>3-301</b> & 'x'", "phone")
    confirm = await say_and_wait(server, newcomer, "Skip", "Is this right?")
    assert "<b>3-301</b> & 'x'" in confirm.plain  # shown as typed: escaped, not parsed
    await press_and_wait(server, newcomer, confirm, "Confirm", "registered")

    # A report's description.
    await register(server, alice, "1", "2-301")
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    await press_and_wait(server, alice, ask, "1", "Describe the problem")
    await catalogue.refused_at("report description", alice)
    await say_and_wait(server, alice, "/cancel", "Cancelled")

    # A wish's text.
    ask = await say_and_wait(server, alice, "/wish", "What kind of wish")
    await press_and_wait(server, alice, ask, "Errand", "Write your wish")
    await catalogue.refused_at("wish text", alice)
    await say_and_wait(server, alice, "/cancel", "Cancelled")
    catalogue.check()


async def test_every_staff_step_refuses_what_shows_nothing_or_is_not_text(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue
) -> None:
    alice = server.user(ALICE, "Alice")
    a1, admin = server.user(WORKER_A1, "Wang A1"), server.user(ADMIN, "Admin")
    server.user(WORKER_A2, "Li A2")
    await _staff_start(server)
    await register(server, alice, "1", "2-301")
    details = await _claimed(server, alice, a1)

    await press_and_wait(server, a1, details, "Resolved", "What was done")
    await catalogue.refused_at("resolve note", a1)
    await say_and_wait(server, a1, "/cancel", "Cancelled")

    await press_and_wait(server, a1, details, "Add note", "R-0001")
    await catalogue.refused_at("add note", a1)
    await say_and_wait(server, a1, "/cancel", "Cancelled")

    await press_and_wait(server, a1, details, "Ask the resident", "What would you like to ask")
    await catalogue.refused_at("holder's question", a1)
    last = last_id(server, ALICE)
    await say_and_wait(server, a1, "When are you <i>home</i>? & '--", "on its way")
    question = await server.wait_for_message(ALICE, "When are you <i>home</i>?", after=last)
    await press_and_wait(server, alice, question, "Answer", "Type your answer")
    await catalogue.refused_at("resident's answer", alice)
    await say_and_wait(server, alice, "After <b>six</b> 💧", "on its way to the worker")

    where = await press_and_wait(server, a1, details, "Transfer", "Where should R-0001 go?")
    await press_and_wait(server, a1, where, "Li A2", "Why?")
    await catalogue.refused_at("transfer reason", a1)
    await say_and_wait(server, a1, "/cancel", "Cancelled")

    await say_and_wait(server, a1, "/proxy", "What is the resident's name?")
    await catalogue.refused_at("proxy name", a1)
    await say_and_wait(server, a1, "<b>Grandma</b> Li", "The phone number of")
    await catalogue.refused_at("proxy phone", a1)
    ask = await say_and_wait(server, a1, "138 0000 0002", "Which building")
    await press_and_wait(server, a1, ask, "1", "The unit and room")
    await catalogue.refused_at("proxy unit", a1)
    await say_and_wait(server, a1, "/cancel", "Cancelled")

    await say_and_wait(server, admin, "/broadcast", "New announcement")
    await catalogue.refused_at("broadcast text", admin)
    await say_and_wait(server, admin, "/cancel", "Cancelled")
    catalogue.check()


async def test_every_wish_step_refuses_what_shows_nothing_or_is_not_text(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue
) -> None:
    alice, admin, hu = (
        server.user(ALICE, "Alice"),
        server.user(ADMIN, "Admin"),
        server.user(HU, "Hu"),
    )
    await say_and_wait(server, admin, "/start", "You are an admin")
    await say_and_wait(server, hu, "/start", "You are a volunteer")
    await register(server, alice, "1", "2-301")
    ask = await say_and_wait(server, alice, "/wish", "What kind of wish")
    ask = await press_and_wait(server, alice, ask, "Errand", "Write your wish")
    ask = await say_and_wait(server, alice, "Carry my shopping upstairs", "photo")
    ask = await press_and_wait(server, alice, ask, "Skip", "Please check your wish")
    await press_and_wait(server, alice, ask, "Confirm", "saved as")
    card = await server.wait_for_message(ADMIN_CHAT, "W-0001")

    last = last_id(server, ADMIN)
    admin.press(card, "修改公开内容")
    await server.wait_for_message(ADMIN, "what the wish wall shows", after=last)
    await catalogue.refused_at("wish public text", admin)
    await say_and_wait(server, admin, "/cancel", "Cancelled")

    last = last_id(server, ADMIN)
    admin.press(card, "不通过")
    await server.wait_for_message(ADMIN, "not published?", after=last)
    await catalogue.refused_at("wish reject reason", admin)
    await say_and_wait(server, admin, "/cancel", "Cancelled")

    admin.press(card, "发布")
    wall = await server.wait_for_message(WALL, "W-0001")
    hu.press(wall, "认领")
    details = await server.wait_for_message(HU, "W-0001")
    ask = await press_and_wait(server, hu, details, "Fulfilled", "How did W-0001 come true")
    await catalogue.refused_at("wish fulfilled note", hu)
    ask = await say_and_wait(server, hu, "We went <b>upstairs</b> &", "photo")
    await press_and_wait(server, hu, ask, "Skip", "marked fulfilled")
    came = await server.wait_for_message(ALICE, "came true")
    await press_and_wait(server, alice, came, "say thanks", "tell the volunteer")
    await catalogue.refused_at("thanks", alice)
    await say_and_wait(server, alice, "Thank <script>you</script> 🙏", "is closed")
    await server.wait_for_message(HU, "Thank <script>you</script>")
    catalogue.check()


async def test_text_that_looks_like_markup_or_code_is_kept_as_typed_and_shown_escaped(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue, settings: Settings
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    db = Path(settings.database.path)
    for number, case in enumerate(hostile.TAKEN_TEXTS, start=1):
        catalogue.names.add(case.name)
        catalogue.tries += 1
        ask = await say_and_wait(server, alice, "/report", "Choose a category")
        ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
        await press_and_wait(server, alice, ask, "1", "Describe the problem")
        last = last_id(server, ALICE)
        case.send(alice, None)
        ask = await server.wait_for_message(ALICE, after=last)
        if not ask.contains("photos"):
            catalogue.failures.append(f"description / {case.name}: {ask.plain[:80]!r}")
            await say_and_wait(server, alice, "/cancel", "Cancelled")
            continue
        summary = await press_and_wait(server, alice, ask, "Skip", "")
        if summary.contains("Is it the same problem?"):  # the earlier cases' reports are open
            summary = await press_and_wait(server, alice, summary, "different", "Please check")
        await press_and_wait(server, alice, summary, "Confirm", "Saved as")
        code = f"R-{number:04d}"
        card = await server.wait_for_message(GROUP_A, code)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        (stored,) = con.execute(
            "SELECT description FROM requests WHERE seq = ?", (number,)
        ).fetchone()
        con.close()
        # Stored as shown; no bidi override or control character; the card shows it escaped.
        if any(c in stored for c in "\u202e\x00\x07\x1b"):
            catalogue.failures.append(f"{case.name}: stored {stored!r}")
        if stored not in card.plain:
            catalogue.failures.append(f"{case.name}: card {card.plain!r} lacks {stored!r}")
    catalogue.check()


async def _cancel_any(server: FakeBotApi, user: FakeUser, db: Path) -> None:
    """A command may rightly open a wizard (/start of a newcomer): close it again."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    open_ = con.execute("SELECT 1 FROM dialogs WHERE user_id = ?", (user.id,)).fetchone()
    con.close()
    if open_:
        await say_and_wait(server, user, "/cancel", "")


async def test_outside_wizards_every_case_gets_a_polite_answer_or_silence_in_a_group(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue, settings: Settings
) -> None:
    db = Path(settings.database.path)
    alice, newcomer = server.user(ALICE, "Alice"), server.user(NEWCOMER, "New")
    a1 = server.user(WORKER_A1, "Wang A1")
    group = server.group(GROUP_A, "Grid A")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "The kitchen pipe leaks")
    await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_idle(0.2)
    people = [("registered resident", alice), ("unregistered", newcomer), ("worker", a1)]
    for who, user in people:
        for case in hostile.OUTSIDE:
            command = case in hostile.COMMANDS
            await catalogue.attempt(
                f"outside wizards, {who}, private", case, user, same_data=not command
            )
            if command:
                await _cancel_any(server, user, db)
    admin = server.user(ADMIN, "Admin")
    await say_and_wait(server, admin, "/start", "You are an admin")
    for case in hostile.ADMIN_COMMANDS + hostile.COMMANDS:
        wizard = case.name in WIZARD_OPENERS
        await catalogue.attempt("admin's commands, private", case, admin, same_data=not wizard)
        if wizard:
            await _cancel_any(server, admin, db)
    for who, user in (("worker", a1), ("resident", alice)):
        for case in hostile.OUTSIDE:
            sent = await catalogue.attempt(f"group, {who}", case, user, group, reply=False)
            if sent:  # a pointer to the private chat at most
                texts = [m.plain for m in sent]
                if not all("private chat" in text for text in texts):
                    catalogue.failures.append(f"group, {who} / {case.name}: told {texts}")
    catalogue.check()


async def test_pseudo_senders_bots_and_channel_posts_change_nothing_and_get_no_error(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue
) -> None:
    alice = server.user(ALICE, "Alice")
    group = server.group(GROUP_A, "Grid A")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "The kitchen pipe leaks")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_idle(0.2)
    anonymous = server.anonymous_admin(group)
    service = server.user(777000, "Telegram", None, is_bot=False)
    channel = server.user(136817688, "Channel", None, "Channel_Bot", is_bot=True)
    other_bot = server.user(5555, "Spam", "en", "spam_bot", is_bot=True)
    senders = [("anonymous admin", anonymous), ("service 777000", service)]
    senders += [("channel 136817688", channel), ("a bot", other_bot)]
    few = [*hostile.TAKEN[:3], *hostile.COMMANDS[:4], hostile.MEDIA[0], hostile.BLANK[3]]
    for who, sender in senders:
        for case in few:
            for chat in (group, None):
                await catalogue.attempt(
                    f"{who} in {'group' if chat else 'private'}", case, sender, chat, reply=False
                )
        # A press from them is refused politely and claims nothing.
        before = snapshot(catalogue.db)
        answered = await server.wait_for_answer(sender.press(card, "认领"))
        catalogue.tries += 1
        if "own account" not in str(answered.get("text")):
            catalogue.failures.append(f"{who} press: {answered}")
        if changed(before, snapshot(catalogue.db)):
            catalogue.failures.append(f"{who} press changed data")
    catalogue.names.update(who for who, _ in senders)
    # A channel post and a message without a sender.
    last_group = last_id(server, GROUP_A)
    before = snapshot(catalogue.db)
    server.channel_post(-100555, "/report <b>x</b>")
    server.message_without_sender(group, "/start")
    await server.wait_idle(0.3)
    catalogue.tries += 2
    catalogue.names.update({"channel post", "message without a sender"})
    if changed(before, snapshot(catalogue.db)) or last_id(server, GROUP_A) != last_group:
        catalogue.failures.append("a channel post or a senderless message was acted on")
    assert not server.messages(-100555)
    catalogue.check()


async def test_forged_callback_data_is_answered_politely_and_changes_nothing(
    server: FakeBotApi, bot: RunningBot, catalogue: Catalogue
) -> None:
    alice, newcomer = server.user(ALICE, "Alice"), server.user(NEWCOMER, "New")
    a1, a2 = server.user(WORKER_A1, "Wang A1"), server.user(WORKER_A2, "Li A2")
    b = server.user(WORKER_B, "Zhao B")
    for worker in (a1, a2, b):
        await say_and_wait(server, worker, "/start", "You are a grid worker")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "The kitchen pipe leaks")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    mine = await say_and_wait(server, alice, "/my", "R-0001")

    async def press(where: str, who: FakeUser, message: SentMessage, data: str) -> None:
        catalogue.tries += 1
        catalogue.names.add(f"data {data!r}")
        before = snapshot(catalogue.db)
        last_admin = last_id(server, ADMIN_CHAT)
        answered = await server.wait_for_answer(who.press_data(message, data))
        await server.wait_idle(0.1)
        label = f"{where} / {data!r}"
        if not answered.get("text") or SORRY in str(answered.get("text")):
            catalogue.failures.append(f"{label}: answered {answered}")
        if changed(before, snapshot(catalogue.db)):
            catalogue.failures.append(
                f"{label}: changed {changed(before, snapshot(catalogue.db))}"
            )
        if any(
            "Error while handling" in m.plain
            for m in server.messages(ADMIN_CHAT)
            if m.message_id > last_admin
        ):
            catalogue.failures.append(f"{label}: error report")

    for data in hostile.FORGED_DATA:
        await press("group card, worker", a1, card, data)
        await press("my requests, resident", alice, mine, data)
    # Valid buttons pressed by someone else: a resident and another grid's worker claim.
    claim = card.button("认领").callback_data
    assert claim is not None
    await press("claim by the resident", alice, card, claim)
    await press("claim by grid B's worker", b, card, claim)
    await press("claim from a private chat", a1, mine, claim)
    a1.press(card, "认领")
    details = await server.wait_for_message(WORKER_A1, "R-0001")
    for button in details.buttons:
        if button.callback_data:
            await press(f"A1's {button.text} by A2", a2, details, button.callback_data)
    # Someone else's request ids on the resident's own message.
    await press("other's timeline", newcomer, mine, mine.buttons[0].callback_data or "")
    # Stale after a restart: a registration step's button, pressed again after it moved on.
    ask = await say_and_wait(server, newcomer, "/start", "building")
    building = ask.button("1").callback_data or ""
    await press_and_wait(server, newcomer, ask, "1", "unit")
    await bot.restart()
    await press("registration button after a restart", newcomer, ask, building)
    await say_and_wait(server, newcomer, "3-301", "phone")
    catalogue.check()


def test_the_catalogue_holds_at_least_sixty_cases() -> None:
    total = hostile.total()
    print(f"\nhostile input catalogue: {total} distinct cases")
    assert total >= 60
