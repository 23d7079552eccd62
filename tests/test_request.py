"""The bot's Bot API transport (bot/request.py) against a small local HTTP server: what it
sends, what it answers, and how it fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.request import AiohttpRequest

Seen = list[dict[str, Any]]


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, Seen]]:
    """A server on 127.0.0.1 that records each request; /slow never answers in time."""
    seen: Seen = []

    async def answer(request: web.Request) -> web.Response:
        if request.path.endswith("/slow"):
            await asyncio.sleep(2)
        entry: dict[str, Any] = {"path": request.path, "agent": request.headers["User-Agent"]}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                mime = part.headers.get("Content-Type")
                entry[part.name or ""] = (part.filename, await part.read(), mime)
        else:
            entry.update(await request.post())
        seen.append(entry)
        return web.json_response({"ok": True, "result": True})

    app = web.Application(client_max_size=8 * 2**20)
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/botTOKEN", seen
    await runner.cleanup()


def data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_fields_go_as_ptb_encodes_them(site: tuple[str, Seen]) -> None:
    url, seen = site
    request = AiohttpRequest(pool_size=2)
    await request.initialize()
    try:
        status, body = await request.do_request(
            f"{url}/sendMessage", "POST", data(chat_id=7, text="你好 & =", reply_markup={"a": 1})
        )
    finally:
        await request.shutdown()
    assert status == 200 and json.loads(body) == {"ok": True, "result": True}
    assert seen[0]["chat_id"] == "7" and seen[0]["text"] == "你好 & ="
    assert json.loads(seen[0]["reply_markup"]) == {"a": 1}
    assert "python-telegram-bot" in seen[0]["agent"]


async def test_an_upload_arrives_whole_with_its_name_and_type(site: tuple[str, Seen]) -> None:
    url, seen = site
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 8192  # 2 MB, past aiohttp's "large body" size
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request(
            f"{url}/sendDocument",
            "POST",
            data(chat_id=7, document=InputFile(pdf, filename="海报.pdf"), caption="楼栋"),
        )
    finally:
        await request.shutdown()
    assert status == 200
    filename, content, mime = seen[0]["document"]
    assert content == pdf and filename == "海报.pdf" and mime == "application/pdf"
    assert seen[0]["caption"][1] == "楼栋".encode()


async def test_no_answer_in_time_is_timed_out(site: tuple[str, Seen]) -> None:
    url, _ = site
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST", data(chat_id=7))
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        await request.shutdown()


async def test_nobody_listening_is_a_network_error() -> None:
    request = AiohttpRequest(connect_timeout=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp") as failed:
            await request.do_request("http://127.0.0.1:9/botTOKEN/getMe", "POST", data())
        assert not isinstance(failed.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_call_before_initialize_works_and_leaves_nothing_open(
    site: tuple[str, Seen],
) -> None:
    url, seen = site
    request = AiohttpRequest()
    status, _ = await request.do_request(f"{url}/getMe", "POST", data())
    assert status == 200 and seen[0]["path"] == "/botTOKEN/getMe"
    assert request._session is None
