"""Building posters end to end: staff get the PNG or the PDF the README describes, others are
refused, and a resident who scans a poster registers in its building."""

from __future__ import annotations

import io
import re
from pathlib import Path

import zxingcpp
from PIL import Image

from tests.conftest import ADMIN, WORKER_A1, RunningBot, community
from tests.fakebot import FakeBotApi, SentMessage
from tests.journeys import last_id, press_and_wait, register, say_and_wait

ALICE, BOB = 1001, 1002
LINK = "https://t.me/community_test_bot?start="


def building_id(bot: RunningBot, name: str) -> int:
    building = bot.services.directory.current.building_named(name)
    assert building is not None
    return building.id


def page_count(pdf: bytes) -> int:
    return int(re.findall(rb"/Count (\d+)", pdf)[-1])


async def document(server: FakeBotApi, chat_id: int, caption: str) -> SentMessage:
    sent = await server.wait_for_message(chat_id, caption, timeout=30)
    assert sent.method == "sendDocument" and sent.upload is not None
    return sent


async def test_an_admin_gets_a_building_poster_whose_qr_code_opens_registration_there(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    admin.send("/poster 1")
    sent = await document(server, ADMIN, "The poster of 1 (Grid A)")
    assert sent.document is not None and sent.document.endswith(".png")
    assert sent.upload is not None
    image = Image.open(io.BytesIO(sent.upload))
    assert image.format == "PNG" and image.size == (2480, 3508)
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [f"{LINK}b{building_id(bot, '1')}"]


async def test_posters_gives_one_pdf_with_a_page_per_building(
    server: FakeBotApi, bot: RunningBot
) -> None:
    admin = server.user(ADMIN, "Director Zhou")
    admin.send("/posters")
    sent = await document(server, ADMIN, "The posters of 5 buildings")
    assert sent.document == "posters.pdf" and sent.upload is not None
    assert sent.upload.startswith(b"%PDF") and page_count(sent.upload) == 5
    assert "1, 2, 3, 4, 5" in sent.plain

    # A grid worker's PDF holds their grid's buildings only, and other grids are not theirs.
    worker = server.user(WORKER_A1, "Wang A1")
    worker.send("/posters")
    mine = await document(server, WORKER_A1, "The posters of 2 buildings, one A4 page each: 1, 2")
    assert mine.upload is not None and page_count(mine.upload) == 2
    refused = await say_and_wait(server, worker, "/poster 3", "not in your grid")
    assert [b.text for b in refused.buttons] == ["1", "2", "📄 All in one PDF"]
    await server.wait_idle(0.3)
    assert [m.method for m in server.messages(WORKER_A1)].count("sendDocument") == 1


async def test_a_resident_is_refused_and_an_unknown_building_is_named(
    server: FakeBotApi, bot: RunningBot
) -> None:
    alice = server.user(ALICE, "Alice")
    await register(server, alice, "1", "2-301")
    await say_and_wait(server, alice, "/poster 1", "printed by the service center's staff")
    await say_and_wait(server, alice, "/posters", "printed by the service center's staff")

    admin = server.user(ADMIN, "Director Zhou")
    unknown = await say_and_wait(server, admin, "/poster 99栋", "There is no building")
    assert "“99栋”" in unknown.plain
    assert [b.text for b in unknown.buttons] == ["1", "2", "3", "4", "5", "📄 All in one PDF"]
    await server.wait_idle(0.3)
    for chat in (ALICE, ADMIN):
        assert all(m.method != "sendDocument" for m in server.messages(chat))

    # A poster button pressed by a resident (forged, or forwarded) prints nothing.
    forged = await server.wait_for_message(ALICE, "printed by the service center's staff")
    refused = await server.wait_for_answer(
        alice.press_data(forged, f"v1:po:{building_id(bot, '1')}")
    )
    assert "printed by the service center's staff" in str(refused["text"])
    await server.wait_idle(0.3)
    assert all(m.method != "sendDocument" for m in server.messages(ALICE))


async def test_poster_alone_offers_the_buildings_as_buttons(
    server: FakeBotApi, bot: RunningBot
) -> None:
    worker = server.user(WORKER_A1, "Wang A1")
    menu = await say_and_wait(server, worker, "/poster", "Which building's poster?")
    assert "/poster 1" in menu.plain
    assert [b.text for b in menu.buttons] == ["1", "2", "📄 All in one PDF"]
    worker.press(menu, "2")
    sent = await document(server, WORKER_A1, "The poster of 2 (Grid A)")
    assert sent.upload is not None
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(sent.upload)))
    assert [c.text for c in codes] == [f"{LINK}b{building_id(bot, '2')}"]
    worker.press(menu, "All in one PDF")
    pdf = await document(server, WORKER_A1, "The posters of 2 buildings")
    assert pdf.upload is not None and page_count(pdf.upload) == 2

    # Building 3 is grid B's: a forged button for it is no longer valid and prints nothing.
    answer = await server.wait_for_answer(
        worker.press_data(menu, f"v1:po:{building_id(bot, '3')}")
    )
    assert "no longer valid" in str(answer["text"])
    await server.wait_idle(0.3)
    assert [m.method for m in server.messages(WORKER_A1)].count("sendDocument") == 2


async def test_many_buildings_are_paged(server: FakeBotApi, tmp_path: Path) -> None:
    names = [f"{n}栋" for n in range(1, 31)]
    grids = [{"id": "A", "name": "Grid A", "buildings": names, "workers": [WORKER_A1]}]
    running = RunningBot(community(tmp_path / "many.sqlite3", server.base_url, grids=grids))
    await running.start()
    try:
        admin = server.user(ADMIN, "Director Zhou")
        menu = await say_and_wait(server, admin, "/poster", "Page 1/2")
        assert [b.text for b in menu.buttons][:24] == names[:24]
        assert [b.text for b in menu.buttons][24:] == ["Next ▶️", "📄 All in one PDF"]
        admin.press(menu, "Next")
        turned = await server.wait_for_edit(ADMIN, menu.message_id, "Page 2/2")
        assert [b.text for b in turned.buttons] == [*names[24:], "◀️ Previous", "📄 All in one PDF"]
    finally:
        await running.stop()


async def test_a_resident_who_scans_a_poster_is_asked_the_unit_and_registers_there(
    server: FakeBotApi, bot: RunningBot
) -> None:
    bob = server.user(BOB, "Bob")
    ask = await say_and_wait(server, bob, f"/start b{building_id(bot, '2')}", "unit")
    assert "Welcome to the Nanning St. service bot" in ask.plain
    assert "Building 2. Now type your unit" in ask.plain and ask.buttons == []
    await say_and_wait(server, bob, "3-201", "phone")
    confirm = await say_and_wait(server, bob, "Skip", "Is this right?")
    await press_and_wait(server, bob, confirm, "Confirm", "registered")
    person = await bot.services.people.get(BOB)
    assert person is not None and (person.building, person.unit) == ("2", "3-201")

    # Scanned again: they are told where they are; another building's poster offers Change.
    same = await say_and_wait(server, bob, f"/start b{building_id(bot, '2')}", "already")
    assert "registered in 2, unit 3-201" in same.plain
    other = await say_and_wait(server, bob, f"/start b{building_id(bot, '3')}", "moved to 3")
    await press_and_wait(server, bob, other, "Change", "Which building")


async def test_a_poster_of_a_retired_building_asks_the_building_with_an_apology(
    server: FakeBotApi, bot: RunningBot
) -> None:
    bob = server.user(BOB, "Bob")
    ask = await say_and_wait(server, bob, "/start b999", "no longer on our list")
    assert "Which building" in ask.plain
    assert [b.text for b in ask.buttons] == ["1", "2", "3", "4", "5"]
    await press_and_wait(server, bob, ask, "4", "Building 4. Now type your unit")


async def test_a_poster_answers_an_open_building_question_and_staff_are_greeted(
    server: FakeBotApi, bot: RunningBot
) -> None:
    bob = server.user(BOB, "Bob")
    await say_and_wait(server, bob, "/start", "Which building")
    await say_and_wait(server, bob, f"/start b{building_id(bot, '5')}", "Building 5. Now type")

    worker = server.user(WORKER_A1, "Wang A1")
    before = last_id(server, WORKER_A1)
    hello = await say_and_wait(server, worker, f"/start b{building_id(bot, '1')}", "Hello Wang")
    assert "grid worker of “Grid A”" in hello.plain
    await server.wait_idle(0.3)
    assert [m.message_id for m in server.messages(WORKER_A1) if m.message_id > before] == [
        hello.message_id
    ]
