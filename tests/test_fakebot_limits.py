"""Self-test of the fake Bot API's Telegram-like limits: unknown methods, flood limits, delayed
answers, the updates real Telegram sends, and chats the bot cannot reach."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter, TimedOut

from tests.fakebot import ANONYMOUS_ADMIN_ID, JSON, SERVICE_ACCOUNT_ID, FakeBotApi


@pytest.fixture
async def tg(server: FakeBotApi) -> AsyncIterator[Bot]:
    """PTB's Bot against the fake, without an Application (nothing polls)."""
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        yield bot


@pytest.fixture
async def http(server: FakeBotApi) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, server: FakeBotApi, method: str, **params: Any
) -> tuple[int, JSON]:
    """One raw Bot API call: the HTTP status and the JSON body."""
    async with http.post(f"{server.base_url}{server.token}/{method}", json=params) as response:
        return response.status, await response.json()


async def send(http: aiohttp.ClientSession, server: FakeBotApi, chat_id: int) -> int:
    """A raw sendMessage; returns the HTTP status."""
    return (await call(http, server, "sendMessage", chat_id=chat_id, text="hi"))[0]


def flood_body(retry_after: int) -> JSON:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


# --- unknown and newly implemented methods ------------------------------------------------


async def test_unknown_method_is_404(
    server: FakeBotApi, http: aiohttp.ClientSession, tg: Bot
) -> None:
    status, body = await call(http, server, "sendDice", chat_id=5)
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):
        await tg.do_api_request("frobnicate", api_kwargs={"x": 1})
    assert [m for m, _ in server.calls][-2:] == ["sendDice", "frobnicate"]


async def test_delete_webhook_and_description(
    server: FakeBotApi, http: aiohttp.ClientSession, tg: Bot
) -> None:
    alice = server.user(1001, "Alice")
    alice.send("kept")
    assert await tg.delete_webhook(drop_pending_updates=False) is True
    assert [u.message.text for u in await tg.get_updates(timeout=0) if u.message] == ["kept"]
    assert await tg.delete_webhook(drop_pending_updates=True) is True
    assert await tg.get_updates(timeout=0) == ()

    assert await tg.set_my_description("Repairs", language_code="en") is True
    assert (await tg.get_my_description(language_code="en")).description == "Repairs"
    assert (await tg.get_my_description()).description == ""


# --- flood limits --------------------------------------------------------------------------


async def test_chat_burst_then_429(
    server: FakeBotApi, http: aiohttp.ClientSession, tg: Bot
) -> None:
    server.flood_limits(chat_burst=2, chat_rate=0.5)
    assert [await send(http, server, 42) for _ in range(2)] == [200, 200]
    status, body = await call(http, server, "sendMessage", chat_id=42, text="third")
    assert (status, body) == (429, flood_body(2))  # one token comes back in 2 s
    with pytest.raises(RetryAfter) as retry:
        await tg.send_photo(42, "PHOTO")
    assert retry.value.retry_after == dt.timedelta(seconds=2)
    assert server.count_sends(42) == 2 and server.flood_refusals == [
        ("sendMessage", 42),
        ("sendPhoto", 42),
    ]
    # Other chats, edits and getUpdates are not limited by chat 42's bucket.
    assert await send(http, server, 43) == 200
    first = server.messages(42)[0]
    await tg.edit_message_text("edited", chat_id=42, message_id=first.message_id)
    assert server.messages(42)[0].text == "edited"
    assert await tg.get_updates(timeout=0) == ()
    assert len(server.flood_refusals) == 2


async def test_bucket_refills_and_refusals_take_no_token(
    server: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    server.flood_limits(chat_burst=1, chat_rate=4.0)
    assert await send(http, server, 7) == 200
    # retry_after is a whole number of seconds, at least 1, though 0.25 s would do.
    assert [await call(http, server, "sendMessage", chat_id=7, text="x") for _ in range(3)] == [
        (429, flood_body(1))
    ] * 3
    await asyncio.sleep(0.3)  # had the refusals taken tokens, this would need 1 s
    assert await send(http, server, 7) == 200
    assert server.count_sends(7) == 2 and len(server.flood_refusals) == 3


async def test_group_has_its_own_limit(server: FakeBotApi, http: aiohttp.ClientSession) -> None:
    server.flood_limits(chat_burst=10, group_burst=2, group_rate=0.1)
    assert [await send(http, server, -100) for _ in range(2)] == [200, 200]
    assert await call(http, server, "sendMessage", chat_id=-100, text="x") == (
        429,
        flood_body(10),
    )
    assert [await send(http, server, 5) for _ in range(3)] == [200] * 3  # private: chat limit
    assert [await send(http, server, -200) for _ in range(2)] == [200, 200]  # another group
    assert server.flood_refusals == [("sendMessage", -100)]


async def test_overall_limit_across_chats(server: FakeBotApi, http: aiohttp.ClientSession) -> None:
    server.flood_limits(overall_burst=3, overall_rate=1.0)
    assert [await send(http, server, chat) for chat in (1, 2, -3)] == [200] * 3
    status, body = await call(http, server, "sendPhoto", chat_id=4, photo="P")
    assert (status, body) == (429, flood_body(1))
    assert server.flood_refusals == [("sendPhoto", 4)] and server.messages(4) == []


async def test_telegram_defaults_off_switch_and_injected_failures(
    server: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    server.flood_limits()
    assert [await send(http, server, 9) for _ in range(4)] == [200, 200, 200, 429]
    assert server.flood_refusals == [("sendMessage", 9)]
    server.no_flood_limits()
    assert [await send(http, server, 9) for _ in range(10)] == [200] * 10

    server.flood_limits(chat_burst=1, chat_rate=0.1)
    server.fail_next("sendMessage", 8, [429, 500])
    status, body = await call(http, server, "sendMessage", chat_id=8, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    assert (await call(http, server, "sendMessage", chat_id=8, text="x"))[0] == 500
    assert await send(http, server, 8) == 200  # the injected failures took no token
    assert await send(http, server, 8) == 429
    assert server.flood_refusals == [("sendMessage", 9), ("sendMessage", 8)]
    with pytest.raises(ValueError, match="burst"):
        server.flood_limits(chat_burst=0)


# --- delayed answers -----------------------------------------------------------------------


async def test_answered_late_takes_effect_first(
    server: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    server.delay_next("sendMessage", None, 0.5, arrives=True)
    started = time.monotonic()
    late = asyncio.create_task(call(http, server, "sendMessage", chat_id=3, text="late"))
    await server.wait_for_message(3, "late", timeout=0.4)
    assert not late.done()
    await server.wait_idle(0.05)  # the delayed call in flight keeps the fake busy
    assert late.done() and time.monotonic() - started >= 0.5
    status, body = late.result()
    assert status == 200 and body["result"]["text"] == "late"
    assert await send(http, server, 3) == 200  # only the next call was delayed
    assert server.count_sends(3) == 2


async def test_answered_late_client_gives_up_effect_stays(server: FakeBotApi, tg: Bot) -> None:
    sent = await tg.send_message(4, "before")
    server.delay_next("editMessageText", 4, 5.0, arrives=True)
    with pytest.raises(TimedOut):
        await tg.edit_message_text("after", 4, sent.message_id, read_timeout=0.2)
    # The client went away, so the handler was cancelled: idle long before the 5 s are up.
    await server.wait_idle(0.05, timeout=2.0)
    assert server.last_message(4).text == "after" and server.last_message(4).edits == 1
    assert [m for m, _ in server.calls][-1] == "editMessageText"


async def test_lost_on_the_way_patient_client_gets_500(
    server: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    server.delay_next("sendMessage", 6, 0.2, arrives=False)
    started = time.monotonic()
    status, body = await call(http, server, "sendMessage", chat_id=6, text="lost")
    assert time.monotonic() - started >= 0.2
    assert (status, body["description"]) == (500, "Internal Server Error")
    assert server.messages(6) == [] and ("sendMessage", {"chat_id": 6, "text": "lost"}) in (
        server.calls
    )


async def test_lost_on_the_way_client_gives_up_nothing_happens(
    server: FakeBotApi, tg: Bot
) -> None:
    server.delay_next("sendMessage", 6, 5.0, arrives=False)
    with pytest.raises(TimedOut):
        await tg.send_message(6, "lost", read_timeout=0.2)
    await server.wait_idle(0.05, timeout=2.0)  # cancelled, not still sleeping
    await asyncio.sleep(0.1)
    assert server.messages(6) == []
    assert [p["text"] for m, p in server.calls if m == "sendMessage"] == ["lost"]
    assert (await tg.send_message(6, "again")).text == "again"
    assert [m.text for m in server.messages(6)] == ["again"]


# --- updates real Telegram sends -----------------------------------------------------------


async def test_album_shares_one_media_group_id(server: FakeBotApi, tg: Bot) -> None:
    alice = server.user(1001, "Alice")
    group = server.group(-1005, "Residents")
    album = alice.send_album(3)
    other = alice.send_album(2, chat=group)
    updates = await tg.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message is not None]
    assert len(messages) == 5 and all(m.photo for m in messages)
    ids = {m.media_group_id for m in messages[:3]}
    assert ids == {album[0]["media_group_id"]} and isinstance(album[0]["media_group_id"], str)
    assert {m.media_group_id for m in messages[3:]} == {other[0]["media_group_id"]} != ids
    assert messages[3].chat.id == group.id
    assert [m.message_id for m in messages] == sorted({m.message_id for m in messages})


async def test_edited_message(server: FakeBotApi, tg: Bot) -> None:
    alice, bob = server.user(1001, "Alice"), server.user(1002, "Bob")
    sent = alice.send("hello")
    alice.edit(sent, "/start again")
    update = Update.de_json(server.last_update(), tg)
    edited = update.edited_message
    assert edited is not None and update.message is None
    assert (edited.message_id, edited.text) == (sent["message_id"], "/start again")
    assert edited.edit_date is not None and update.effective_user is not None
    assert update.effective_user.id == alice.id
    assert edited.entities[0].type == "bot_command" and edited.entities[0].length == 6

    photo = alice.send_photo(caption="old")
    alice.edit(photo, "new caption")
    edited = Update.de_json(server.last_update(), tg).edited_message
    assert edited is not None and edited.photo and edited.caption == "new caption"
    assert edited.text is None
    with pytest.raises(AssertionError, match="did not send"):
        bob.edit(sent, "not mine")


async def test_channel_post_and_message_without_sender(server: FakeBotApi, tg: Bot) -> None:
    server.channel_post(-1009, "/report now")
    update = Update.de_json(server.last_update(), tg)
    post = update.channel_post
    assert post is not None and update.effective_user is None
    assert post.chat.type == "channel" and post.chat.id == -1009
    assert post.sender_chat is not None and post.sender_chat.id == -1009
    assert post.entities[0].type == "bot_command" and update.effective_message is post
    assert (await tg.send_message(-1009, "to channel")).chat.type == "channel"

    group = server.group(-1005, "Residents")
    server.message_without_sender(group, "who?")
    update = Update.de_json(server.last_update(), tg)
    assert update.message is not None and update.message.from_user is None
    assert update.effective_user is None and update.message.chat.type == "supergroup"
    assert "from" not in server.last_update()["message"]


async def test_pseudo_senders(server: FakeBotApi, tg: Bot) -> None:
    group = server.group(-1005, "Residents")
    server.anonymous_admin(group).send("/start", chat=group)
    message = Update.de_json(server.last_update(), tg).message
    assert message is not None and message.from_user is not None
    assert (message.from_user.id, message.from_user.username) == (
        ANONYMOUS_ADMIN_ID,
        "GroupAnonymousBot",
    )
    assert message.from_user.is_bot and message.sender_chat is not None
    assert message.sender_chat.id == group.id

    server.user(SERVICE_ACCOUNT_ID, "Telegram", None).send("relayed", chat=group)
    message = Update.de_json(server.last_update(), tg).message
    assert message is not None and message.from_user is not None
    assert (message.from_user.id, message.from_user.first_name) == (SERVICE_ACCOUNT_ID, "Telegram")
    assert not message.from_user.is_bot and message.sender_chat is None
    helper = server.user(555, "Helper", is_bot=True)
    assert helper.as_dict()["is_bot"] is True


# --- chats the bot cannot reach ------------------------------------------------------------


async def test_message_deleted_by_a_person(server: FakeBotApi, tg: Bot) -> None:
    sent = await tg.send_message(11, "card")
    server.delete_message(11, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg.edit_message_text("card v2", chat_id=11, message_id=sent.message_id)
    assert server.messages(11)[0].deleted and server.messages(11)[0].text == "card"
    with pytest.raises(AssertionError, match="no message"):
        server.delete_message(11, 999)


async def test_unknown_chat_and_kicked_from_group(server: FakeBotApi, tg: Bot) -> None:
    sent = await tg.send_message(12, "hi")
    server.unknown_chat(12)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await tg.send_message(12, "again")
    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.edit_message_text("x", chat_id=12, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Chat not found"):
        await tg.get_chat(12)

    server.forbid(-1007)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await tg.send_message(-1007, "hi all")
    server.forbid(13)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await tg.send_message(13, "hi")
    server.allow(-1007)
    assert (await tg.send_message(-1007, "back")).text == "back"
