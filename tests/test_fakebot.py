"""Self-test of the fake Bot API server against a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebot import FakeBotApi

App = Application[Any, Any, Any, Any, Any, Any]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with one inline button."""
    assert update.effective_message is not None and update.effective_user is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Say hi ✋", callback_data="hi")]])
    await update.effective_message.reply_text(
        f"Hello, <b>{update.effective_user.first_name}</b>!",
        parse_mode="HTML",
        reply_markup=keyboard,
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the query and replace the message text."""
    query = update.callback_query
    assert query is not None
    await query.answer("Hi back!", show_alert=True)
    await query.edit_message_text(f"You pressed {query.data}")


async def describe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo what kind of message arrived, so every FakeUser update is proven parseable."""
    msg = update.effective_message
    assert msg is not None and update.effective_chat is not None
    if msg.photo:
        await msg.reply_photo(msg.photo[-1].file_id, caption=f"got photo: {msg.caption}")
    elif msg.contact:
        contact = msg.contact
        text = f"contact {contact.phone_number} of {contact.user_id}"
        await msg.reply_text(text, reply_markup=ReplyKeyboardRemove())
    elif msg.sticker:
        await msg.reply_text("nice sticker")
    else:
        keyboard = ReplyKeyboardMarkup([["Yes", "No"], ["Cancel"]])
        await msg.reply_text(f"{update.effective_chat.type}: {msg.text}", reply_markup=keyboard)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def app(server: FakeBotApi) -> AsyncIterator[App]:
    application = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(~filters.COMMAND, describe))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_start_press_answer_edit(server: FakeBotApi, app: App) -> None:
    alice = server.user(1001, "Alice")
    alice.send("/start payload")
    reply = await server.wait_for_message(alice.id, "Hello, Alice")
    assert reply.text == "Hello, <b>Alice</b>!"
    assert reply.plain == "Hello, Alice!"
    assert [b.callback_data for b in reply.buttons] == ["hi"]

    query_id = alice.press(reply, "Say hi")
    answer = await server.wait_for_answer(query_id)
    assert answer["text"] == "Hi back!" and answer["show_alert"] is True

    edited = await server.wait_for_edit(alice.id, reply.message_id, "You pressed hi")
    assert edited.edits == 1 and edited.buttons == []  # no reply_markup in the edit
    await server.wait_idle(0.1)
    assert server.count_sends(alice.id) == 1
    assert app.bot.username == server.bot_username


async def test_retry_after_then_server_error_then_success(
    server: FakeBotApi, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (PTBDeprecationWarning) on every RetryAfter it builds.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    server.fail_next("sendMessage", 42, [429, 500])
    with pytest.raises(RetryAfter) as retry:
        await app.bot.send_message(42, "one")
    assert retry.value.retry_after == dt.timedelta(seconds=1)
    with pytest.raises(NetworkError, match="Internal Server Error") as error:
        await app.bot.send_message(42, "two")
    assert type(error.value) is NetworkError
    sent = await app.bot.send_message(42, "three")
    assert sent.text == "three"
    assert [m.text for m in server.messages(42)] == ["three"]
    assert server.count_sends(42) == 1
    assert [m for m, p in server.calls if m == "sendMessage"] == ["sendMessage"] * 3


async def test_forbid_and_allow(server: FakeBotApi, app: App) -> None:
    server.forbid(7)
    with pytest.raises(Forbidden, match=r"(?i)can.t initiate conversation"):
        await app.bot.send_message(7, "hello?")
    server.allow(7)
    await app.bot.send_message(7, "hello!")
    assert server.last_message(7).text == "hello!"


async def test_edit_not_modified(server: FakeBotApi, app: App) -> None:
    sent = await app.bot.send_message(5, "same")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await app.bot.edit_message_text("same", chat_id=5, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await app.bot.edit_message_text("new", chat_id=5, message_id=999)
    assert server.last_message(5).edits == 0


async def test_migrate(server: FakeBotApi, app: App) -> None:
    group = server.group(-100, "Old group")
    server.migrate(group.id, -1001234)
    with pytest.raises(ChatMigrated) as migrated:
        await app.bot.send_message(group.id, "hi all")
    assert migrated.value.new_chat_id == -1001234
    await app.bot.send_message(-1001234, "hi again")
    assert server.count_sends(-1001234) == 1 and server.messages(group.id) == []


async def test_bad_html_is_rejected(server: FakeBotApi, app: App) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await app.bot.send_message(5, "1 < 2 <b>bold", parse_mode="HTML")
    assert server.count_sends(5) == 0


async def test_user_updates_parse_in_ptb(server: FakeBotApi, app: App) -> None:
    bob = server.user(2002, "Bob", username="bob")
    bob.send_photo("PHOTO-1", caption="broken pipe")
    photo = await server.wait_for_message(bob.id, "got photo: broken pipe")
    assert (photo.method, photo.photo) == ("sendPhoto", "PHOTO-1")
    await app.bot.edit_message_caption(bob.id, photo.message_id, caption="fixed")
    assert server.last_message(bob.id).text == "fixed"

    bob.send_contact("+15550100")
    contact = await server.wait_for_message(bob.id, "contact", after=photo.message_id)
    assert contact.text == "contact +15550100 of 2002"
    assert contact.reply_markup == {"remove_keyboard": True} and contact.keyboard == []

    bob.send_sticker()
    await server.wait_for_message(bob.id, "nice sticker")

    group = server.group(-1005, "Residents")
    bob.send("hello all", chat=group)
    reply = await server.wait_for_message(group.id, "supergroup: hello all")
    assert reply.keyboard == ["Yes", "No", "Cancel"] and reply.buttons == []
    await server.wait_idle(0.05)
    assert server.count_sends(bob.id) == 3
    assert (await app.bot.get_chat(bob.id)).username == "bob"
    await app.bot.set_my_commands([("start", "Start")], language_code="uk")
    assert [c.command for c in await app.bot.get_my_commands(language_code="uk")] == ["start"]


async def test_callback_edge_cases(server: FakeBotApi, app: App) -> None:
    carol = server.user(3003, "Carol")
    carol.send("/start")
    reply = await server.wait_for_message(carol.id)
    with pytest.raises(AssertionError, match="Say hi"):
        carol.press(reply, "missing")
    forged = carol.press_data(reply, "forged")
    assert (await server.wait_for_answer(forged))["text"] == "Hi back!"
    await server.wait_for_edit(carol.id, reply.message_id, "You pressed forged")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await app.bot.answer_callback_query(forged)
    with pytest.raises(AssertionError, match=r"You pressed forged"):
        await server.wait_for_message(carol.id, "never sent", timeout=0.1)


async def test_raw_http(server: FakeBotApi) -> None:
    alice = server.user(1001, "Alice")
    async with aiohttp.ClientSession() as http:
        wrong = await http.post(f"{server.base_url}0:WRONG/getMe")
        assert wrong.status == 401 and (await wrong.json())["description"] == "Unauthorized"
        url = f"{server.base_url}{server.token}"
        me = await (await http.post(f"{url}/getMe", json={})).json()
        assert me["result"]["username"] == server.bot_username

        poll = asyncio.create_task(http.post(f"{url}/getUpdates", data={"timeout": "5"}))
        await asyncio.sleep(0.05)
        alice.send("/start x")
        updates = (await (await poll).json())["result"]
        assert updates[0]["update_id"] == 1
        assert updates[0]["message"]["entities"][0]["length"] == len("/start")
        alice.send("two")
        confirm = await http.post(f"{url}/getUpdates", json={"offset": 2, "timeout": 0})
        assert [u["update_id"] for u in (await confirm.json())["result"]] == [2]

        markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
        form = {"chat_id": "1001", "text": "123", "reply_markup": markup}
        sent = await (await http.post(f"{url}/sendMessage", data=form)).json()
        assert sent["result"]["text"] == "123" and sent["result"]["chat"]["first_name"] == "Alice"
        assert server.last_message(1001).button("A").callback_data == "a"
        unknown = await http.post(f"{url}/setMyDescription", data={"description": "x"})
        assert (await unknown.json())["result"] is True
    assert [m for m, _ in server.calls][-2:] == ["sendMessage", "setMyDescription"]
