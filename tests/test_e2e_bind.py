"""Binding chats with /bind (no chat id typed anywhere), noticing when the bot is removed from a
group, and the command menus each person sees, per scope and language."""

from __future__ import annotations

import json

from storage import directory as directory_store
from tests.conftest import (
    ADMIN,
    ADMIN_CHAT,
    GROUP_A,
    LONE_WORKER,
    WORKER_A1,
    WORKER_A2,
    RunningBot,
)
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, last_id, register, say_and_wait

ALICE, DAN = 1001, 1004  # residents of building 1 (grid A) and 4 (grid C, no group)
GROUP_C = -100333
WALL = -100444


async def test_admin_binds_a_group_to_a_grid_and_it_stands_across_a_restart(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    lone = server.user(LONE_WORKER, "Lone C")
    dan = server.user(DAN, "Dan")
    group_c = server.group(GROUP_C, "Grid C workers")
    await register(server, dan, "4", "1-101")

    # Refused: a worker, the anonymous group admin (ignored by the gate), bad words, a grid
    # that does not exist, and /bind in a private chat.
    lone.send("/bind grid C", chat=group_c)
    refused = await server.wait_for_message(GROUP_C, "only the service")
    server.anonymous_admin(group_c).send("/bind grid C", chat=group_c)
    await server.wait_idle()
    assert server.last_message(GROUP_C).message_id == refused.message_id
    admin.send("/bind grid Z", chat=group_c)
    await server.wait_for_message(GROUP_C, "There is no grid Z")
    admin.send("/bind", chat=group_c)
    await server.wait_for_message(GROUP_C, "Usage, in the group to bind")
    await say_and_wait(server, admin, "/bind grid C", "send /bind in the group chat")
    grid_c = bot.services.directory.current.grid("C")
    assert grid_c is not None and grid_c.group_chat_id is None

    # README: in the group, /bind grid C.
    admin.send("/bind grid C", chat=group_c)
    bound = await server.wait_for_message(GROUP_C, "This group is now the group of “Grid C”")
    assert "its workers claim them here" in bound.plain
    note = await server.wait_for_message(ADMIN_CHAT, "Grid C")
    assert "「Grid C」的网格群现在是群「Grid C workers」(-100333)" in note.plain  # group language
    await file_report(server, dan, "Plumbing", "4", "Basement flooded")
    card = await server.wait_for_message(GROUP_C, "R-0001")
    answer = await server.wait_for_answer(lone.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")

    # The wish wall, by /bind wall in its group.
    wall = server.group(WALL, "Wish wall")
    admin.send("/bind wall", chat=wall)
    await server.wait_for_message(WALL, "This group is now the wish wall")

    # A restart runs the config sync (which says grid C has no group): the binding stands.
    await bot.restart()
    directory = bot.services.directory.current
    grid_c = directory.grid("C")
    assert grid_c is not None and grid_c.group_chat_id == GROUP_C
    assert directory.wall_chat_id == WALL
    await file_report(server, dan, "Lights", "4", "Hall light out")
    await server.wait_for_message(GROUP_C, "R-0002")
    async with bot.services.db.read() as conn:
        rows = await directory_store.changes(conn)
    assert any(
        r["change"] == "grid C group set to -100333 (Grid C workers)" and r["actor_id"] == ADMIN
        for r in rows
    )

    # A new staff group, added by an admin, says how to bind it; /bind admin moves the admin
    # chat there, and the old one is told.
    staff_room = server.group(-100555, "Staff room")
    server.add_bot(staff_room, admin)
    await server.wait_for_message(-100555, "/bind grid 网格编号")  # the group language
    admin.send("/bind admin", chat=staff_room)
    await server.wait_for_message(-100555, "This group is now the admin chat")
    await server.wait_for_message(ADMIN_CHAT, "管理员群现在是群「Staff room」(-100555)")
    assert bot.services.directory.current.admin_chat_id == -100555


async def test_bot_removed_from_a_grid_group_sends_its_cards_to_the_workers(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    alice = server.user(ALICE, "Alice")
    a1 = server.user(WORKER_A1, "Wang A1")
    server.user(WORKER_A2, "Li A2")
    group_a = server.group(GROUP_A, "Grid A")
    await register(server, alice, "1", "2-301")

    # Someone removes the bot from grid A's group: the admin chat is told at once.
    server.remove_bot(group_a, a1)
    # (The admin chat reads the group language, Chinese: "the bot was removed from the chat".)
    note = await server.wait_for_message(ADMIN_CHAT, "机器人已被移出群 -100111")
    assert "「Grid A」的网格群" in note.plain and "kicked by Wang A1" in note.plain

    # A new report of grid A goes to its workers privately; they claim it there.
    before = last_id(server, GROUP_A)
    await file_report(server, alice, "Plumbing", "1", "Kitchen pipe burst")
    card = await server.wait_for_message(WORKER_A1, "R-0001")
    await server.wait_for_message(WORKER_A2, "R-0001")
    answer = await server.wait_for_answer(a1.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    assert last_id(server, GROUP_A) == before
    await server.wait_idle()
    assert len([m for m in server.messages(ADMIN_CHAT) if m.contains("移出群")]) == 1

    # Added back, someone writes there: what waited for the group arrives.
    server.add_bot(group_a, admin)
    a1.send("/help", chat=group_a)
    await server.wait_for_message(GROUP_A, "R-0001")


async def test_command_menus_per_scope_and_language(server: FakeBotApi, bot: RunningBot) -> None:
    admin = server.user(ADMIN, "Director Zhou", "en")
    await say_and_wait(server, admin, "/start", "Hello Director Zhou")
    await bot.restart()  # the admin's language is known now
    await server.wait_idle()

    def menu(scope: dict[str, object], lang: str | None = None) -> list[str]:
        key = json.dumps([scope, lang])
        found = [v for k, v in server.commands.items() if json.loads(k) == json.loads(key)]
        assert found, f"no menu {key} in {list(server.commands)}"
        return [c["command"] + ": " + c["description"] for c in found[0]]

    # Residents: private chats, in the group language (zh) and in English.
    resident_zh = menu({"type": "all_private_chats"})
    resident_en = menu({"type": "all_private_chats"}, "en")
    assert resident_en[0] == "report: Report a repair" and len(resident_zh) == len(resident_en)
    assert not any(c.startswith(("queue", "invite", "bind")) for c in resident_en)
    # Groups: help for everyone, /bind for administrators.
    assert [c.split(":")[0] for c in menu({"type": "all_group_chats"}, "en")] == ["help"]
    assert menu({"type": "all_chat_administrators"}, "en")[0] == "bind: Bind this group (admins)"
    # The admin's own chat, in their language: the tools first.
    mine = [c.split(":")[0] for c in menu({"type": "chat", "chat_id": ADMIN})]
    assert mine[:4] == ["queue", "invite", "invites", "staff"]
    assert "Invite a worker, volunteer or admin" in menu({"type": "chat", "chat_id": ADMIN})[1]
    # A worker's: the queue, no admin tools (their language unknown: the group language).
    worker = menu({"type": "chat", "chat_id": WORKER_A1})
    assert worker[0] == "queue: 待认领和我处理中的报修" and not any("invite" in c for c in worker)
    # The admin in each bound group: /bind.
    in_group = menu({"type": "chat_member", "chat_id": GROUP_A, "user_id": ADMIN})
    assert in_group[0].startswith("bind:")
