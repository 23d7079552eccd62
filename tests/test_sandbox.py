"""The sandbox without a browser: the page's own calls (people, messages, presses, photos,
contact), what each chat shows, refusals shown as errors, time travel and reset."""

from __future__ import annotations

import asyncio
import html
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, FormData
from aiohttp.test_utils import TestServer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.settings import load_settings
from sandbox.web import page_app
from sandbox.world import ADMIN_CHAT, SANDBOX_ADMIN, Sandbox, sandbox_settings
from storage import clock

ROOT = Path(__file__).resolve().parent.parent
GRID_A_GROUP = -1001111111111  # from config.example.toml
WORKER = 111111111  # grid A's first worker there
# A tiny PNG: what a person picks on the page.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2256a7e0000000049454e44ae426082"
)
Item = dict[str, Any]


class Page:
    """The calls the page makes, and waiting for what it would then show."""

    def __init__(self, http: ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def state(self) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/api/state") as response:
            assert response.status == 200
            result: dict[str, Any] = await response.json()
            return result

    async def post(self, path: str, body: dict[str, Any] | FormData, status: int = 200) -> Any:
        kwargs: dict[str, Any] = {"data": body} if isinstance(body, FormData) else {"json": body}
        async with self.http.post(f"{self.base}{path}", **kwargs) as response:
            assert response.status == status, await response.text()
            return await response.json() if status == 200 else await response.text()

    async def items(self, chat: int) -> list[Item]:
        return list((await self.state())["items"].get(str(chat), []))

    async def wait(self, chat: int, find: Callable[[Item], bool], timeout: float = 15) -> Item:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in reversed(await self.items(chat)):
                if find(item):
                    return item
            await asyncio.sleep(0.1)
        raise AssertionError(f"chat {chat} never showed it: {await self.items(chat)}")

    async def bot_says(self, chat: int, part: str, after: int = 0) -> Item:
        return await self.wait(
            chat, lambda i: i["kind"] == "bot" and i["id"] > after and part in plain(i["text"])
        )

    async def last_id(self, chat: int) -> int:
        return max((i["id"] for i in await self.items(chat)), default=0)

    async def say(self, user: int, chat: int, text: str, expect: str) -> Item:
        after = await self.last_id(chat)
        await self.post("/api/send", {"user": user, "chat": chat, "text": text})
        return await self.bot_says(chat, expect, after)

    async def press(self, user: int, chat: int, item: Item, label: str, expect: str) -> Item:
        after = await self.last_id(user)
        data = next(b["data"] for row in item["inline"] for b in row if label in b["text"])
        await self.post(
            "/api/press", {"user": user, "chat": chat, "message_id": item["id"], "data": data}
        )
        return await self.bot_says(user, expect, after)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    example = load_settings(ROOT / "config.example.toml")
    world = Sandbox(sandbox_settings(example, tmp_path / "data" / "sandbox.sqlite3"))
    await world.start()
    try:
        yield world
    finally:
        await world.stop()


@pytest.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[Page]:
    server = TestServer(page_app(sandbox), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Page(http, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()


async def register(page: Page, name: str) -> int:
    """Add a resident on the page and register them in building 1栋 with the contact button."""
    me = (await page.post("/api/people", {"name": name, "lang": "en"}))["id"]
    ask = await page.say(me, me, "/start", "building")
    await page.press(me, me, ask, "1栋", "unit")
    ask = await page.say(me, me, "3-301", "phone")
    assert any(b["contact"] for row in ask["keyboard"] for b in row), ask
    after = await page.last_id(me)
    await page.post("/api/contact", {"user": me})
    confirm = await page.bot_says(me, "Is this right?", after)
    await page.press(me, me, confirm, "Confirm", "registered")
    return int(me)


async def test_the_page_is_one_file_that_fetches_nothing(page: Page) -> None:
    async with page.http.get(f"{page.base}/") as response:
        assert response.status == 200
        page_html = await response.text()
    assert "<title>社区服务机器人 · 试用 / Community bot sandbox</title>" in page_html
    # No font, script, style or image from anywhere else: it works offline.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page_html)
    assert "@import" not in page_html
    assert re.findall(r"url\(([^)]*)\)", page_html) == ['"/font"']  # its own, below
    async with page.http.get(f"{page.base}/font") as response:
        assert response.status == 200 and len(await response.read()) > 100_000


async def test_the_example_community_and_its_chats(page: Page) -> None:
    state = await page.state()
    people = {p["id"]: p for p in state["people"]}
    assert people[WORKER]["role"] == "worker"
    assert people[SANDBOX_ADMIN]["role"] == "admin"  # the example has no admin: one made up
    assert {p["role"] for p in people.values()} == {"worker", "admin", "volunteer"}
    groups = {g["id"]: g for g in state["groups"]}
    assert WORKER in groups[GRID_A_GROUP]["members"]
    assert groups[ADMIN_CHAT]["members"] == [SANDBOX_ADMIN]
    assert {g["title"] for g in groups.values()} >= {"Admin chat", "Wish wall", "Echo wall"}
    assert "2026" in state["now"] or state["now"]  # the sandbox's own clock is shown
    # A worker may not post in the admin chat; nobody acts without being picked.
    await page.post("/api/send", {"user": WORKER, "chat": ADMIN_CHAT, "text": "hi"}, 403)
    await page.post("/api/send", {"user": 42, "chat": 42, "text": "hi"}, 400)


async def test_report_with_photo_claimed_resolved_rated(page: Page) -> None:
    me = await register(page, "Wang")
    ask = await page.say(me, me, "/report", "Choose a category")
    ask = await page.press(me, me, ask, "Plumbing", "Which building")
    await page.press(me, me, ask, "1栋", "Describe the problem")
    await page.say(me, me, "Pipe <b>burst</b> in the stairwell", "photos")
    after = await page.last_id(me)
    form = FormData({"user": str(me), "chat": str(me)})
    form.add_field("photo", io.BytesIO(PNG), filename="pipe.png", content_type="image/png")
    sent = await page.post("/api/photo", form)
    added = await page.bot_says(me, "Photo 1", after)
    mine = await page.wait(me, lambda i: i["kind"] == "person" and "photo" in i)
    summary = await page.press(me, me, added, "Done", "Please check your report")
    await page.press(me, me, summary, "Confirm", "Saved as R-0001")

    # The group's card carries the photo; the page gets the same bytes back.
    card = await page.bot_says(GRID_A_GROUP, "R-0001")
    assert card["photo"] == mine["photo"] == f"/files/person/{sent['file_id']}"
    async with page.http.get(page.base + card["photo"]) as response:
        assert await response.read() == PNG and response.content_type == "image/png"
    # The resident's own text is shown as text, never as markup.
    assert "&lt;b&gt;burst" in card["text"] and card["html"]

    await page.say(WORKER, WORKER, "/start", "grid worker")
    await page.post(
        "/api/press",
        {"user": WORKER, "chat": GRID_A_GROUP, "message_id": card["id"], "data": "v1:claim:1"},
    )
    # The card is updated in place and says it was edited.
    claimed = await page.wait(
        GRID_A_GROUP, lambda i: i["id"] == card["id"] and i["edited"] and "已于" in i["text"]
    )
    assert claimed["id"] == card["id"]
    details = await page.bot_says(WORKER, "R-0001")
    await page.press(WORKER, WORKER, details, "Resolved", "What was done")
    ask = await page.say(WORKER, WORKER, "Replaced the valve", "photo of the result")
    await page.press(WORKER, WORKER, ask, "Skip", "marked resolved")
    rate = await page.bot_says(me, "Replaced the valve")
    await page.press(me, me, rate, "⭐⭐⭐⭐⭐", "closed with 5★")


async def test_what_telegram_would_refuse_is_an_error_in_that_chat(
    page: Page, sandbox: Sandbox
) -> None:
    assert sandbox.app is not None
    with pytest.raises(BadRequest):
        await sandbox.app.bot.send_message(ADMIN_CHAT, "x" * 5000)
    with pytest.raises(BadRequest):
        await sandbox.app.bot.send_message(ADMIN_CHAT, "<b>unclosed")
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="x" * 65)]])
    with pytest.raises(BadRequest):
        await sandbox.app.bot.send_message(ADMIN_CHAT, "fine", reply_markup=too_long_data)
    await sandbox.app.bot.send_message(ADMIN_CHAT, "<b>this one</b> is fine")
    items = await page.items(ADMIN_CHAT)
    errors = [i for i in items if i["kind"] == "error"]
    assert [e["method"] for e in errors] == ["sendMessage"] * 3
    assert "too long" in errors[0]["text"] and "can't parse entities" in errors[1]["text"]
    assert "BUTTON_DATA_INVALID" in errors[2]["text"]
    # Each in its place among the chat's messages: the message sent after them comes last.
    assert items[-1]["kind"] == "bot" and items[-1]["text"] == "<b>this one</b> is fine"


async def test_time_travel_to_the_claim_deadline(page: Page, sandbox: Sandbox) -> None:
    me = await register(page, "Li")
    ask = await page.say(me, me, "/report", "Choose a category")
    ask = await page.press(me, me, ask, "Lift", "Which building")
    await page.press(me, me, ask, "1栋", "Describe the problem")
    ask = await page.say(me, me, "The lift is stuck", "photos")
    summary = await page.press(me, me, ask, "Skip", "Please check your report")
    await page.press(me, me, summary, "Confirm", "Saved as R-0001")
    card = await page.bot_says(GRID_A_GROUP, "R-0001")
    before = clock.now()
    state = await page.state()
    assert "claim deadline of R-0001" in state["next"]  # a lift is to be claimed in 1 hour

    moved = await page.post("/api/next", {})
    assert moved["moved"] and "claim deadline of R-0001" in moved["to"]
    assert timedelta_hours(clock.now() - before) == pytest.approx(1, abs=0.01)
    # The deadline passed: the grid's group hears of it again.
    await page.bot_says(GRID_A_GROUP, "R-0001", after=card["id"])
    state = await page.state()
    assert "claim escalation of R-0001" in state["next"]


def plain(text: str) -> str:
    """What a person reads: the text without its tags."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def timedelta_hours(delta: Any) -> float:
    return float(delta.total_seconds()) / 3600


async def test_reset_starts_the_community_fresh(page: Page, sandbox: Sandbox) -> None:
    me = await register(page, "Zhao")
    await page.post("/api/next", {})
    assert sandbox.db_path.exists()
    assert await page.post("/api/reset", {}) == {"reset": True}
    state = await page.state()
    assert all(p["role"] != "resident" for p in state["people"])
    assert state["items"] == {}
    assert "09:30" in state["now"]  # the morning again
    # The same person is a stranger to the fresh database.
    again = (await page.post("/api/people", {"name": "Zhao", "lang": "en"}))["id"]
    assert again == me
    await page.say(me, me, "/start", "building")


async def test_time_travel_to_the_haircut_on_the_16th(page: Page) -> None:
    me = await register(page, "Sun")
    after = await page.last_id(me)
    for _ in range(40):  # daily digests and weekly walls come first
        moved = await page.post("/api/next", {})
        if "Free haircut: reminder the evening before" in moved["to"]:
            break
    else:
        raise AssertionError("time travel never reached the haircut")
    assert "12-15 19:00" in moved["to"]  # the evening before the 16th
    await page.bot_says(me, "Free haircut", after)
    state = await page.state()
    assert "Free haircut: reminder before it starts" in state["next"]
    assert "12-16 08:" in state["next"]  # an hour before 09:00


async def test_time_travel_stops_where_quiet_hours_end(page: Page, sandbox: Sandbox) -> None:
    me = await register(page, "Qian")
    ask = await page.say(me, me, "/report", "Choose a category")
    ask = await page.press(me, me, ask, "Plumbing", "Which building")
    await page.press(me, me, ask, "1栋", "Describe the problem")
    ask = await page.say(me, me, "Dripping tap in the hall", "photos")
    summary = await page.press(me, me, ask, "Skip", "Please check your report")
    await page.press(me, me, summary, "Confirm", "Saved as R-0001")
    card = await page.bot_says(GRID_A_GROUP, "R-0001")
    tz = sandbox.settings.community.tz
    late = clock.now().astimezone(tz).replace(hour=23, minute=0)
    sandbox.clock.set(late)  # a worker claims it late at night
    await page.post(
        "/api/press",
        {"user": WORKER, "chat": GRID_A_GROUP, "message_id": card["id"], "data": "v1:claim:1"},
    )
    await page.wait(GRID_A_GROUP, lambda i: i["id"] == card["id"] and "已于" in i["text"])
    await asyncio.sleep(1.5)  # the resident's notice waits for the morning
    assert not [i for i in await page.items(me) if "was claimed by" in plain(i["text"])]
    assert "quiet hours end" in (await page.state())["next"]
    moved = await page.post("/api/next", {})
    assert "07:00 — quiet hours end" in moved["to"]
    await page.bot_says(me, "was claimed by")


async def test_the_bots_files_open_from_the_page(page: Page) -> None:
    """The admin's /export (a document) and /stats chart (a photo the bot uploaded)."""
    await page.say(SANDBOX_ADMIN, SANDBOX_ADMIN, "/start", "admin")
    after = await page.last_id(SANDBOX_ADMIN)
    await page.post("/api/send", {"user": SANDBOX_ADMIN, "chat": SANDBOX_ADMIN, "text": "/export"})
    sent = await page.wait(SANDBOX_ADMIN, lambda i: i["id"] > after and "document" in i)
    assert sent["document"]["name"].endswith(".xlsx")
    async with page.http.get(page.base + sent["document"]["url"]) as response:
        assert response.status == 200 and (await response.read()).startswith(b"PK")
        assert sent["document"]["name"] in response.headers["Content-Disposition"]
    after = await page.last_id(SANDBOX_ADMIN)
    await page.post("/api/send", {"user": SANDBOX_ADMIN, "chat": SANDBOX_ADMIN, "text": "/stats"})
    chart = await page.wait(SANDBOX_ADMIN, lambda i: i["id"] > after and "photo" in i, 30)
    async with page.http.get(page.base + chart["photo"]) as response:
        assert response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")


async def test_the_command_menu_is_the_one_telegram_would_show(page: Page) -> None:
    me = (await page.post("/api/people", {"name": "Zhou", "lang": "en"}))["id"]

    async def menu(user: int, chat: int) -> list[str]:
        query = f"{page.base}/api/commands?user={user}&chat={chat}"
        async with page.http.get(query) as response:
            assert response.status == 200
            return [c["command"] for c in await response.json()]

    resident = await menu(me, me)
    assert "report" in resident and "queue" not in resident
    assert "queue" in await menu(WORKER, WORKER)  # a worker's own menu
    async with page.http.get(f"{page.base}/api/commands?user={me}&chat={ADMIN_CHAT}") as r:
        assert r.status == 403  # not a chat of theirs
