"""A stand-in Bot API server that the end-to-end tests and the sandbox talk to (PTB 22)."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

JSON = dict[str, Any]
T = TypeVar("T")

# Free-text form fields; everything else PTB sends JSON-encoded ("123" here must stay a str).
_TEXT_KEYS = {"text", "caption", "parse_mode", "callback_query_id", "url", "photo", "title"}
_TEXT_KEYS |= {"description", "short_description", "name", "action", "inline_message_id"}
_TEXT_KEYS |= {"file_id", "document", "sticker", "phone_number", "first_name", "last_name"}
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
_HTML_TAGS |= {"span", "tg-spoiler", "tg-emoji", "blockquote"}
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)?[^<>]*>|<")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
_INJECTED = {
    429: "Too Many Requests: retry after 1",
    500: "Internal Server Error",
    502: "Bad Gateway",
    400: "Bad Request: injected",
    403: "Forbidden: bot was blocked by the user",
}
# Telegram's refusals, for refuse_next().
NOT_MODIFIED = _NOT_MODIFIED
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
TOO_LONG = "Bad Request: message is too long"
BLOCKED = "Forbidden: bot was blocked by the user"
# Every method that posts a new message counts against Telegram's flood limits.
# Where the files a call uploaded are kept in its parameters: field -> (file name, content).
_UPLOADS = "__uploads__"
_FLOOD_METHODS = {"sendmessage", "sendphoto", "sendmediagroup", "senddocument", "copymessage"}
_FLOOD_METHODS |= {"forwardmessage"}
ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot", the sender of anonymous admins' posts
SERVICE_ACCOUNT_ID = 777000  # "Telegram", the sender of channel posts relayed to a group


class _ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.body: JSON = {"ok": False, "error_code": code, "description": description}
        if parameters:
            self.body["parameters"] = parameters


@dataclass
class _Bucket:
    """A token bucket: `capacity` sends at once, refilled continuously at `rate` per second."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Refill up to now; the seconds until a whole token is there (0.0 if one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return max(0.0, (1.0 - self.tokens) / self.rate)


@dataclass
class _Delay:
    """A pending delay_next() order."""

    method: str
    chat_id: int | None
    seconds: float
    arrives: bool


@dataclass
class Button:
    """One inline keyboard button as the bot sent it."""

    text: str
    callback_data: str | None
    url: str | None


@dataclass
class SentMessage:
    """A message the bot sent, with edits applied (current state)."""

    chat_id: int
    message_id: int
    text: str | None
    photo: str | None
    reply_markup: dict[str, Any] | None
    edits: int
    method: str
    parse_mode: str | None
    date: int = field(default_factory=lambda: int(time.time()))
    deleted: bool = False
    document: str | None = None  # a sendDocument's file name (or file id)
    upload: bytes | None = None  # the file sent with it, as uploaded

    @property
    def plain(self) -> str:
        """The text with HTML tags stripped and entities unescaped."""
        return _plain(self.text or "")

    @property
    def buttons(self) -> list[Button]:
        """Flattened inline keyboard buttons, [] if none."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [Button(b["text"], b.get("callback_data"), b.get("url")) for r in rows for b in r]

    def button(self, text_part: str) -> Button:
        """The first inline button whose text contains text_part."""
        for b in self.buttons:
            if text_part in b.text:
                return b
        raise AssertionError(f"no button with {text_part!r} in {[b.text for b in self.buttons]}")

    @property
    def keyboard(self) -> list[str]:
        """Flattened reply-keyboard button texts, [] for other markups."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b["text"] for r in rows for b in r]

    def contains(self, part: str) -> bool:
        """Whether the raw or the tag-stripped text contains part."""
        return part in (self.text or "") or part in self.plain


@dataclass
class FakeGroup:
    """A supergroup the fake users can write in."""

    id: int
    title: str


class FakeUser:
    """A Telegram user; every action queues one update for getUpdates."""

    def __init__(
        self,
        api: FakeBotApi,
        user_id: int,
        first_name: str,
        lang: str | None,
        username: str | None,
        *,
        is_bot: bool = False,
        sender_chat: FakeGroup | None = None,
    ) -> None:
        self._api, self.id, self.first_name = api, user_id, first_name
        self.language_code, self.username = lang, username
        self.is_bot, self.sender_chat = is_bot, sender_chat

    def as_dict(self) -> JSON:
        """The Telegram User object."""
        user: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        optional = {"language_code": self.language_code, "username": self.username}
        return user | {k: v for k, v in optional.items() if v}

    def _message(self, chat: FakeGroup | None, **content: Any) -> JSON:
        chat_dict = self._api._chat(chat.id if chat else self.id)
        msg: JSON = {"message_id": next(self._api._message_ids), "date": int(time.time())}
        msg |= {"chat": chat_dict, "from": self.as_dict(), **content}
        if chat is not None and self.sender_chat is not None:
            # An anonymous admin posts on behalf of the group; `from` is a placeholder bot.
            msg["sender_chat"] = self._api._chat(self.sender_chat.id)
        self._api._push_update({"message": msg})
        return msg

    def send(self, text: str, chat: FakeGroup | None = None) -> JSON:
        """A text message; a leading /command gets its bot_command entity."""
        return self._message(chat, **_text_content(text))

    def send_photo(
        self, file_id: str | None = None, caption: str | None = None, chat: FakeGroup | None = None
    ) -> JSON:
        """A photo in two sizes; the large one carries file_id."""
        extra = {} if caption is None else {"caption": caption}
        return self._message(chat, photo=self._photo(file_id), **extra)

    def send_album(self, count: int, chat: FakeGroup | None = None) -> list[JSON]:
        """`count` photo messages queued back to back, sharing one media_group_id."""
        group_id = str(next(self._api._media_group_ids))
        return [
            self._message(chat, photo=self._photo(None), media_group_id=group_id)
            for _ in range(count)
        ]

    def edit(self, message: JSON, text: str) -> JSON:
        """An edited_message update giving a message this user sent (from send()) new text."""
        if (message.get("from") or {}).get("id") != self.id:
            raise AssertionError(f"user {self.id} did not send message {message['message_id']}")
        # A photo's text is its caption; Telegram re-sends the whole message with edit_date.
        drop = {"text", "entities", "caption", "caption_entities", "edit_date"}
        edited = {k: v for k, v in message.items() if k not in drop}
        content = _text_content(text)
        if "photo" in message:
            content = {"caption": text} | (
                {"caption_entities": content["entities"]} if "entities" in content else {}
            )
        edited |= content | {"edit_date": int(time.time())}
        self._api._push_update({"edited_message": edited})
        return edited

    def _photo(self, file_id: str | None) -> list[JSON]:
        """Two sizes of one photo; the large one carries file_id."""
        n = next(self._api._file_ids)
        large = file_id or f"AgAD-photo-{n}"
        return [
            {"file_id": f"{large}-s", "file_unique_id": f"s{n}", "width": 90, "height": 67},
            {"file_id": large, "file_unique_id": f"l{n}", "width": 1280, "height": 960},
        ]

    def send_contact(
        self, phone: str, user_id: int | None = None, chat: FakeGroup | None = None
    ) -> JSON:
        """A shared contact, by default the user's own."""
        uid = self.id if user_id is None else user_id
        contact = {"phone_number": phone, "first_name": self.first_name, "user_id": uid}
        return self._message(chat, contact=contact)

    def send_sticker(self, chat: FakeGroup | None = None) -> JSON:
        """A regular sticker."""
        n = next(self._api._file_ids)
        sticker: JSON = {"file_id": f"CAAD-{n}", "file_unique_id": f"st{n}", "type": "regular"}
        sticker |= {"width": 512, "height": 512, "is_animated": False, "is_video": False}
        return self._message(chat, sticker=sticker)

    def send_voice(self, chat: FakeGroup | None = None) -> JSON:
        """A voice message (an OGG file id)."""
        n = next(self._api._file_ids)
        voice = {"file_id": f"AwAD-voice-{n}", "file_unique_id": f"v{n}", "duration": 3}
        return self._message(chat, voice=voice)

    def send_location(self, chat: FakeGroup | None = None) -> JSON:
        """A shared location."""
        return self._message(chat, location={"latitude": 22.8170, "longitude": 108.3665})

    def send_document(self, name: str = "report.pdf", chat: FakeGroup | None = None) -> JSON:
        """A file sent as a document, without caption."""
        n = next(self._api._file_ids)
        document = {"file_id": f"BQAD-doc-{n}", "file_unique_id": f"d{n}", "file_name": name}
        return self._message(chat, document=document)

    def send_poll(self, chat: FakeGroup | None = None) -> JSON:
        """A regular poll with two options."""
        # As a current Bot API server sends it (9.6 added persistent ids and allows_revoting,
        # 10.0 members_only; PTB refuses a poll without them).
        options = [
            {"text": text, "voter_count": 0, "persistent_id": f"o{i}"}
            for i, text in enumerate(("Yes", "No"))
        ]
        poll: JSON = {"id": str(next(self._api._file_ids)), "question": "Fix it?"}
        poll |= {"options": options, "total_voter_count": 0, "is_closed": False}
        poll |= {"is_anonymous": True, "type": "regular", "allows_multiple_answers": False}
        poll |= {"allows_revoting": False, "members_only": False}
        return self._message(chat, poll=poll)

    def send_dice(self, chat: FakeGroup | None = None) -> JSON:
        """A 🎲 with its value."""
        return self._message(chat, dice={"emoji": "🎲", "value": 4})

    def forward(self, text: str, sender: FakeUser, chat: FakeGroup | None = None) -> JSON:
        """A text message forwarded from `sender`'s chat (Bot API 7: forward_origin)."""
        origin = {"type": "user", "sender_user": sender.as_dict(), "date": int(time.time())}
        return self._message(chat, forward_origin=origin, **_text_content(text))

    def press(self, message: SentMessage, button_text: str) -> str:
        """Press the inline button whose text contains button_text; returns the query id."""
        button = message.button(button_text)
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} has no callback_data")
        return self.press_data(message, button.callback_data)

    def press_data(self, message: SentMessage, data: str) -> str:
        """A callback query with arbitrary data, as if from a forged button."""
        current = self._api._find(message.chat_id, message.message_id) or message
        query_id = str(next(self._api._query_ids))
        self._api._open_queries.add(query_id)
        query = {"id": query_id, "from": self.as_dict(), "data": data}
        query |= {
            "message": self._api._message_dict(current),
            "chat_instance": f"ci{current.chat_id}",
        }
        self._api._push_update({"callback_query": query})
        return query_id


class FakeBotApi:
    """An aiohttp server speaking enough of the Bot API for PTB's Application."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        bot_username: str = "community_test_bot",
    ) -> None:
        self.token, self.bot_id, self.bot_username = token, bot_id, bot_username
        self.base_url = self.base_file_url = ""
        self.calls: list[tuple[str, JSON]] = []
        self.answers: dict[str, JSON] = {}
        self.commands: dict[str, list[JSON]] = {}  # json [scope, language_code] -> commands
        self.webhook: JSON | None = None  # the parameters of the last setWebhook
        self.flood_refusals: list[tuple[str, int]] = []  # (method, chat_id) of every flood 429
        # Every refused send or edit to a chat, as (method, chat_id, description, position: a
        # message id taken for it, to place it among the chat's messages): the sandbox page
        # shows them in that chat.
        self.refusals: list[tuple[str, int, str, int]] = []
        self.version = 0  # counts changes, for whoever waits for the next one
        self._messages: dict[int, list[SentMessage]] = {}
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._updates: list[JSON] = []
        self._history: list[JSON] = []
        self._update_ids, self._message_ids = itertools.count(1), itertools.count(1)
        self._file_ids, self._query_ids = itertools.count(1), itertools.count(1001)
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        self._delivered = 0  # highest update_id handed out by getUpdates
        self._open_queries: set[str] = set()
        self._failures: list[tuple[str, int | None, list[int]]] = []
        self._forbidden: set[int] = set()
        self._unknown_chats: set[int] = set()
        self._channels: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._descriptions: dict[str, str] = {}  # language_code ("" for all) -> description
        self._flood: dict[str, tuple[int, float]] | None = None  # bucket kind -> burst, rate
        self._buckets: dict[tuple[str, int], _Bucket] = {}  # (kind, chat id or 0) -> bucket
        self._delays: list[_Delay] = []
        self._round_trip = 0.0  # seconds every call but a long poll takes to be answered
        self._random_429: tuple[float, random.Random, int] | None = None  # share, draws, wait
        self.random_refusals = 0  # sends answered 429 by random_429()
        self._drops: list[tuple[str, int | None, bool]] = []  # method, chat, takes effect
        self._refusals: list[tuple[str, int | None, int, str]] = []  # method, chat, code, text
        self._blocked: set[int] = set()
        self._cut_until = 0.0  # monotonic time a network cut ends
        self.dropped = 0  # connections closed without an answer (drops and cuts)
        self._in_flight = 0  # delayed calls not yet answered
        self._changed = asyncio.Event()
        self._last_activity = time.monotonic()
        self._closing = False
        self._runner: web.AppRunner | None = None
        bot_info = {"can_join_groups": True, "can_read_all_group_messages": False}
        full_chat_info = {"accent_color_id": 0, "max_reaction_count": 11}  # required by PTB
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getme": lambda p: self._bot_user() | bot_info | {"supports_inline_queries": False},
            # PTB's start_polling deletes any webhook before it polls.
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": lambda p: (
                {"url": "", "has_custom_certificate": False}
                | {"pending_update_count": len(self._updates)}
            ),
            "setmycommands": lambda p: self._set_commands(p, p.get("commands") or []),
            "deletemycommands": lambda p: self._set_commands(p, []),
            "getmycommands": lambda p: self.commands.get(_scope_key(p), []),
            "setmydescription": self._set_description,
            "getmydescription": lambda p: {
                "description": self._descriptions.get(p.get("language_code") or "", "")
            },
            "getchat": lambda p: self._chat(_as_int(p.get("chat_id")) or 0) | full_chat_info,
            "sendmessage": self._send,
            "sendphoto": self._send,
            "senddocument": self._send,
            "editmessagetext": lambda p: self._edit(p, "text"),
            "editmessagecaption": lambda p: self._edit(p, "caption"),
            "editmessagereplymarkup": lambda p: self._edit(p, None),
            "answercallbackquery": self._answer,
            "deletemessage": self._delete,
        }

    async def start(self, port: int = 0) -> None:
        """Start listening on 127.0.0.1 (port 0: a free one)."""
        # Telegram takes uploads of up to 50 MB from a bot (aiohttp's default is 1 MB).
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # Cancel handlers whose client went away: PTB abandons its long poll on stop.
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        self._pulse()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "en",
        username: str | None = None,
        *,
        is_bot: bool = False,
    ) -> FakeUser:
        """A user who can talk to the bot (private chat id == user id)."""
        user = FakeUser(self, user_id, first_name, language_code, username, is_bot=is_bot)
        self._users[user_id] = user
        return user

    def anonymous_admin(self, group: FakeGroup) -> FakeUser:
        """The placeholder sender of the group's anonymous admins; its posts carry sender_chat."""
        admin = self.user(ANONYMOUS_ADMIN_ID, "Group", None, "GroupAnonymousBot", is_bot=True)
        admin.sender_chat = group
        return admin

    def channel_post(self, chat_id: int, text: str) -> JSON:
        """A channel_post update in channel chat_id (< 0): no `from`, the channel as sender."""
        assert chat_id < 0, "channel chat ids are negative"
        self._channels.add(chat_id)
        chat = self._chat(chat_id)
        post: JSON = {"message_id": next(self._message_ids), "date": int(time.time())}
        post |= {"chat": chat, "sender_chat": chat, **_text_content(text)}
        self._push_update({"channel_post": post})
        return post

    def message_without_sender(self, chat: FakeGroup, text: str) -> JSON:
        """A message update in the group that has no `from` field at all."""
        msg: JSON = {"message_id": next(self._message_ids), "date": int(time.time())}
        msg |= {"chat": self._chat(chat.id), **_text_content(text)}
        self._push_update({"message": msg})
        return msg

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A person deleted the bot's message; later edits of it are "not found"."""
        msg = self._find(chat_id, message_id)
        if msg is None:
            raise AssertionError(f"the bot has no message {chat_id}/{message_id} to delete")
        msg.deleted = True
        self._pulse()

    def group(self, chat_id: int, title: str) -> FakeGroup:
        """A supergroup; chat_id must be negative."""
        assert chat_id < 0, "group chat ids are negative"
        self._groups[chat_id] = FakeGroup(chat_id, title)
        return self._groups[chat_id]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to chat_id, in send order (deleted ones included)."""
        return list(self._messages.get(chat_id, []))

    def place_message(self, chat_id: int, text: str) -> SentMessage:
        """A message of the bot's already in the chat (sent before the test began)."""
        msg = SentMessage(
            chat_id, next(self._message_ids), text, None, None, 0, "sendMessage", None
        )
        self._messages.setdefault(chat_id, []).append(msg)
        return msg

    def last_message(self, chat_id: int) -> SentMessage:
        """The latest message the bot sent to chat_id."""
        if not self._messages.get(chat_id):
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return self._messages[chat_id][-1]

    def count_sends(self, chat_id: int) -> int:
        """Successful sendMessage/sendPhoto/sendDocument calls to chat_id."""
        return len(self._messages.get(chat_id, []))

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        *,
        after: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """The first message with message_id > after (containing `contains`), waiting for it."""

        def newer() -> list[SentMessage]:
            return [m for m in self._messages.get(chat_id, []) if m.message_id > after]

        return await self._wait_or_fail(
            lambda: next((m for m in newer() if contains is None or m.contains(contains)), None),
            timeout,
            lambda: f"chat {chat_id} got no {contains!r}, only {[m.text for m in newer()]}",
        )

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        contains: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until that message's current text contains `contains`."""

        def find() -> SentMessage | None:
            msg = self._find(chat_id, message_id)
            return msg if msg is not None and msg.contains(contains) else None

        def describe() -> str:
            msg = self._find(chat_id, message_id)
            return f"{chat_id}/{message_id} lacks {contains!r}: {msg.text if msg else None!r}"

        return await self._wait_or_fail(find, timeout, describe)

    async def wait_for_answer(self, callback_query_id: str, *, timeout: float = 10.0) -> JSON:  # noqa: ASYNC109
        """The answerCallbackQuery params for that query, waiting for them."""
        return await self._wait_or_fail(
            lambda: self.answers.get(callback_query_id),
            timeout,
            lambda: f"callback query {callback_query_id} was not answered",
        )

    async def wait_idle(self, seconds: float = 0.3, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until all updates were fetched and no call was in flight or came for `seconds`."""
        deadline = time.monotonic() + timeout
        while (now := time.monotonic()) < deadline:
            if self._in_flight:  # its end touches, so the quiet time starts again from there
                await self._wait(lambda: None if self._in_flight else True, deadline - now)
                continue
            pending = bool(self._updates) and self._updates[-1]["update_id"] > self._delivered
            quiet = now - self._last_activity
            if not pending and quiet >= seconds:
                return
            await self._wait(lambda: None, min(deadline - now, max(seconds - quiet, 0.01)))
        raise AssertionError(f"the bot was still busy after {timeout}s")

    def fail_next(self, method: str, chat_id: int | None, responses: list[int]) -> None:
        """Make the next len(responses) calls of method (to chat_id) fail with these codes."""
        self._failures.append((method.lower(), chat_id, list(responses)))

    def flood_limits(
        self,
        *,
        chat_burst: int = 3,
        chat_rate: float = 1.0,
        group_burst: int = 20,
        group_rate: float = 20 / 60,
        overall_burst: int = 30,
        overall_rate: float = 30.0,
    ) -> None:
        """Refuse sends beyond these token buckets with 429; the defaults are Telegram's."""
        limits = {
            "chat": (chat_burst, chat_rate),
            "group": (group_burst, group_rate),
            "overall": (overall_burst, overall_rate),
        }
        for kind, (burst, rate) in limits.items():
            if burst < 1 or rate <= 0:
                raise ValueError(f"{kind} limit needs burst >= 1 and rate > 0")
        self._flood, self._buckets = limits, {}

    def round_trip(self, seconds: float) -> None:
        """Answer every call but getUpdates after `seconds`, as a distant server would (the
        call takes effect when it is answered). 0 turns it off."""
        if seconds < 0:
            raise ValueError("a round trip cannot be negative")
        self._round_trip = seconds

    def random_429(self, fraction: float, seed: int = 0, retry_after: int = 1) -> None:
        """Answer this share of sends 429 with `retry_after`, drawn from a generator seeded
        with `seed` (the same calls, the same refusals). 0 turns it off."""
        if not 0 <= fraction <= 1 or retry_after < 1:
            raise ValueError("random_429 needs 0 <= fraction <= 1 and retry_after >= 1")
        self._random_429 = (fraction, random.Random(seed), retry_after) if fraction else None

    def no_flood_limits(self) -> None:
        """Turn flood_limits() off again (the default)."""
        self._flood, self._buckets = None, {}

    def delay_next(
        self, method: str, chat_id: int | None, seconds: float, *, arrives: bool
    ) -> None:
        """Answer the next method call (to chat_id) after `seconds`; arrives=False: no effect."""
        # arrives=True: answered late, the effect is there. False: lost on the way; a client
        # that still waits gets a 500.
        self._delays.append(_Delay(method.lower(), chat_id, seconds, arrives))

    def drop_next(self, method: str, chat_id: int | None, *, effect: bool = False) -> None:
        """Close the connection of the next method call (to chat_id) without an answer;
        effect=True: the call was carried out first (the answer is what is lost)."""
        self._drops.append((method.lower(), chat_id, effect))

    def cut_network(self, seconds: float) -> None:
        """For `seconds`, every call (getUpdates too) has its connection closed at once,
        unanswered and without effect: the bot cannot reach Telegram."""
        self._cut_until = time.monotonic() + seconds

    @property
    def network_cut(self) -> bool:
        return time.monotonic() < self._cut_until

    def refuse_next(
        self, method: str, chat_id: int | None, description: str, code: int = 400
    ) -> None:
        """Refuse the next method call (to chat_id) with this Telegram error, e.g. TOO_LONG,
        EDIT_NOT_FOUND or NOT_MODIFIED; the call has no effect."""
        self._refusals.append((method.lower(), chat_id, code, description))

    def block(self, chat_id: int) -> None:
        """The person blocked the bot: 403 "bot was blocked by the user" to every send and
        edit; allow() undoes it."""
        self._blocked.add(chat_id)

    def forbid(self, chat_id: int) -> None:
        """Answer 403 to every send/edit to chat_id: not started (private) or kicked (group)."""
        self._forbidden.add(chat_id)

    def unknown_chat(self, chat_id: int) -> None:
        """Answer 400 "chat not found" to every call naming chat_id."""
        self._unknown_chats.add(chat_id)

    def allow(self, chat_id: int) -> None:
        """Undo forbid() and block()."""
        self._forbidden.discard(chat_id)
        self._blocked.discard(chat_id)

    def remove_bot(self, group: FakeGroup, by: FakeUser, *, kicked: bool = True) -> JSON:
        """`by` removes the bot from the group: a my_chat_member update, and from now on sends
        there are refused with 403, as Telegram does."""
        self.forbid(group.id)
        status: JSON = {"status": "kicked", "until_date": 0} if kicked else {"status": "left"}
        return self._membership(group, by, {"status": "member"}, status)

    def add_bot(self, group: FakeGroup, by: FakeUser) -> JSON:
        """`by` adds the bot to the group (again): a my_chat_member update; sends work."""
        self.allow(group.id)
        return self._membership(group, by, {"status": "left"}, {"status": "member"})

    def _membership(self, group: FakeGroup, by: FakeUser, old: JSON, new: JSON) -> JSON:
        bot = self._bot_user()
        member: JSON = {"chat": self._chat(group.id), "from": by.as_dict()}
        member |= {"date": int(time.time())}
        member |= {"old_chat_member": {"user": bot} | old, "new_chat_member": {"user": bot} | new}
        self._push_update({"my_chat_member": member})
        return member

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Answer sends to old_chat_id with a migrate_to_chat_id error."""
        self._migrated[old_chat_id] = new_chat_id

    # --- internals -------------------------------------------------------------------------

    def _pulse(self) -> None:
        """Wake every waiter so it re-checks its condition (callable from sync code)."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, find: Callable[[], T | None], within: float) -> T | None:
        """Re-evaluate find() on every change until it returns a value or time runs out."""
        deadline = time.monotonic() + within
        while (result := find()) is None and not self._closing:
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                return find()
        return result

    async def _wait_or_fail(
        self, find: Callable[[], T | None], within: float, describe: Callable[[], str]
    ) -> T:
        """Like _wait, but a timeout is a test failure explained by describe()."""
        if (result := await self._wait(find, within)) is None:
            raise AssertionError(f"{describe()} (waited {within}s)")
        return result

    def _push_update(self, content: JSON) -> None:
        update = {"update_id": next(self._update_ids), **content}
        self._updates.append(update)
        self._history.append(update)
        self._touch()

    def push_raw(self, content: JSON) -> int:
        """Queue an update whose content is given as is (e.g. a poll in an older server's
        shape that PTB cannot read); returns its update_id."""
        self._push_update(content)
        return int(self._history[-1]["update_id"])

    def take_queued(self) -> list[JSON]:
        """Remove and return the updates not yet fetched (as if acknowledged already)."""
        taken, self._updates = self._updates, []
        return taken

    def getupdates_calls(self) -> int:
        return sum(method == "getUpdates" for method, _ in self.calls)

    def history(self) -> list[JSON]:
        """Every update the people sent, in order (redeliveries not repeated)."""
        return list(self._history)

    async def wait_change(self, version: int, within: float) -> int:
        """Wait until something changed after `version` (or `within` seconds): the version."""
        await self._wait(lambda: True if self.version > version else None, within)
        return self.version

    def last_update(self) -> JSON:
        """The update most recently queued by a FakeUser."""
        return self._history[-1]

    def redeliver(self, update_id: int) -> None:
        """Queue an already confirmed update again, as Telegram does for a bot that stopped
        before confirming it."""
        update = next(u for u in self._history if u["update_id"] == update_id)
        self._updates = sorted([*self._updates, dict(update)], key=lambda u: u["update_id"])
        self._touch()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._pulse()

    def _find(self, chat_id: int | None, message_id: int | None) -> SentMessage | None:
        msgs = self._messages.get(chat_id or 0, [])
        return next((m for m in msgs if m.message_id == message_id and not m.deleted), None)

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Test Bot",
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._channels:
            return {"id": chat_id, "type": "channel", "title": "Channel"}
        if chat_id < 0:
            title = self._groups[chat_id].title if chat_id in self._groups else "Group"
            return {"id": chat_id, "type": "supergroup", "title": title}
        user = self._users.get(chat_id)
        chat = {
            "id": chat_id,
            "type": "private",
            "first_name": user.first_name if user else "User",
        }
        return chat | ({"username": user.username} if user and user.username else {})

    def _message_dict(self, msg: SentMessage) -> JSON:
        data: JSON = {"message_id": msg.message_id, "date": msg.date, "from": self._bot_user()}
        data["chat"] = self._chat(msg.chat_id)
        if msg.method == "sendPhoto":
            size = {"file_id": msg.photo, "file_unique_id": f"u{msg.message_id}"}
            data["photo"] = [size | {"width": 1280, "height": 960}]
            data |= {"caption": msg.text} if msg.text is not None else {}
        elif msg.method == "sendDocument":
            data["document"] = {
                "file_id": f"doc{msg.message_id}",
                "file_unique_id": f"u{msg.message_id}",
                "file_name": msg.document or "file",
            }
            data |= {"caption": msg.text} if msg.text is not None else {}
        else:
            data["text"] = msg.text or ""
        if msg.edits:
            data["edit_date"] = int(time.time())
        # Message.reply_markup is always an inline keyboard; reply keyboards are not echoed.
        if _inline(msg.reply_markup):
            data["reply_markup"] = msg.reply_markup
        return data

    async def _handle(self, request: web.Request) -> web.Response:
        method, params = request.match_info["method"], await _read_params(request)
        self.calls.append((method, params))
        if method.lower() != "getupdates":
            self._touch()
        if self.network_cut:
            return await self._hang_up(request)
        drop = self._take_drop(method.lower(), _as_int(params.get("chat_id")))
        if drop is not None:
            if drop:  # carried out; only the answer is lost
                await self._respond(request, method, params)
            return await self._hang_up(request)
        delay = self._take_delay(method.lower(), _as_int(params.get("chat_id")))
        if self._round_trip and method.lower() != "getupdates":
            self._in_flight += 1
            try:
                await self._sleep(self._round_trip)
            finally:
                self._in_flight -= 1
        if delay is None:
            return await self._respond(request, method, params)
        # A client that gives up cancels this handler (handler_cancellation) in either sleep.
        self._in_flight += 1
        try:
            if not delay.arrives:  # lost on the way: nothing happens, the client may time out
                await self._sleep(delay.seconds)
                error = _ApiError(500, "Internal Server Error")
                return web.json_response(error.body, status=500)
            response = await self._respond(request, method, params)
            await self._sleep(delay.seconds)  # answered late: the effect is already there
            return response
        finally:
            self._in_flight -= 1
            self._touch()

    async def _respond(self, request: web.Request, method: str, params: JSON) -> web.Response:
        """Carry out one call and build its answer."""
        name, chat_id = method.lower(), _as_int(params.get("chat_id"))
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            if name != "getupdates" and name not in self._methods:
                raise _ApiError(404, "Not Found")
            self._check_chat(name, chat_id)
            if name == "getupdates":
                result: Any = await self._get_updates(params)
            else:
                if name in _FLOOD_METHODS:
                    self._maybe_random_429()
                buckets = self._flood_buckets(method, chat_id) if name in _FLOOD_METHODS else []
                result = self._methods[name](params)
                for bucket in buckets:  # only a send that went through takes its tokens
                    bucket.tokens -= 1
        except _ApiError as exc:
            if chat_id is not None and name.startswith(("send", "edit")):
                position = next(self._message_ids)
                self.refusals.append((method, chat_id, exc.body["description"], position))
                self._pulse()
            return web.json_response(exc.body, status=exc.body["error_code"])
        return web.json_response({"ok": True, "result": result})

    async def _hang_up(self, request: web.Request) -> web.Response:
        """Close the connection without an answer."""
        self.dropped += 1
        if request.transport is not None:
            request.transport.abort()
        self._touch()
        return web.Response(status=500)  # never reaches the client

    def _take_drop(self, method: str, chat_id: int | None) -> bool | None:
        for i, (name, chat, effect) in enumerate(self._drops):
            if name == method and chat in (None, chat_id):
                del self._drops[i]
                return effect
        return None

    def _take_delay(self, method: str, chat_id: int | None) -> _Delay | None:
        """Remove and return the first delay_next() order matching this call."""
        for i, delay in enumerate(self._delays):
            if delay.method == method and delay.chat_id in (None, chat_id):
                return self._delays.pop(i)
        return None

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but end early when the server stops so shutdown need not wait."""
        await self._wait(lambda: None, seconds)

    def _flood_buckets(self, method: str, chat_id: int | None) -> list[_Bucket]:
        """The send's buckets, all holding a token; else the 429 Telegram gives a flooder."""
        if self._flood is None:
            return []
        kinds = [("overall", 0)]
        if chat_id is not None:
            kinds += [("chat", chat_id)] + ([("group", chat_id)] if chat_id < 0 else [])
        now, buckets = time.monotonic(), []
        for kind, key in kinds:
            if (kind, key) not in self._buckets:
                burst, rate = self._flood[kind]
                self._buckets[kind, key] = _Bucket(burst, rate, float(burst), now)
            buckets.append(self._buckets[kind, key])
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.flood_refusals.append((method, 0 if chat_id is None else chat_id))
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        return buckets

    def _maybe_random_429(self) -> None:
        if self._random_429 is None:
            return
        fraction, draws, retry_after = self._random_429
        if draws.random() < fraction:
            self.random_refusals += 1
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _check_chat(self, method: str, chat_id: int | None) -> None:
        """Raise injected failures, then unknown and forbidden chats and migrated groups."""
        for i, (name, chat, codes) in enumerate(self._failures):
            if name == method and chat in (None, chat_id):
                code = codes.pop(0)
                if not codes:
                    del self._failures[i]
                retry = {"retry_after": 1} if code == 429 else None
                raise _ApiError(code, _INJECTED.get(code, f"Error {code}"), retry)
        for i, (name, chat, code, text) in enumerate(self._refusals):
            if name == method and chat in (None, chat_id):
                del self._refusals[i]
                raise _ApiError(code, text)
        if chat_id in self._unknown_chats:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id is None or not method.startswith(("send", "edit", "copy", "forward")):
            return
        if chat_id in self._blocked:
            raise _ApiError(403, BLOCKED)
        if chat_id in self._forbidden and chat_id < 0:
            raise _ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        if chat_id in self._forbidden:
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat_id in self._migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = _as_int(params.get("offset")) or 0
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:  # a given offset confirms, and so drops, all older updates
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        await self._wait(lambda: self._updates or None, float(params.get("timeout") or 0))
        batch = self._updates[: _as_int(params.get("limit")) or 100]
        if batch:
            self._delivered = max(self._delivered, batch[-1]["update_id"])
            self._touch()
        return batch

    def _send(self, params: JSON) -> JSON:
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None:
            raise _ApiError(400, "Bad Request: chat not found")
        markup = _checked_markup(params.get("reply_markup"))
        method = "sendMessage"
        if "photo" in params:
            method = "sendPhoto"
        elif "document" in params:
            method = "sendDocument"
        text = params.get("text" if method == "sendMessage" else "caption")
        if method == "sendMessage" and not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        _check_text(text, params.get("parse_mode"), 4096 if method == "sendMessage" else 1024)
        uploads: dict[str, tuple[str, bytes]] = params.get(_UPLOADS) or {}
        field = "photo" if method == "sendPhoto" else "document"
        upload = uploads.get(field)
        if upload is not None and not upload[1]:
            raise _ApiError(400, "Bad Request: file must be non-empty")
        msg = SentMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids),
            text=text,
            photo=params.get("photo"),
            reply_markup=markup,
            edits=0,
            method=method,
            parse_mode=params.get("parse_mode"),
            document=(upload[0] if upload else params.get("document"))
            if method == "sendDocument"
            else None,
            upload=upload[1] if upload else None,
        )
        self._messages.setdefault(chat_id, []).append(msg)
        self._pulse()
        return self._message_dict(msg)

    def _edit(self, params: JSON, field: str | None) -> JSON:
        msg = self._find(_as_int(params.get("chat_id")), _as_int(params.get("message_id")))
        if msg is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        markup = _checked_markup(params.get("reply_markup"))
        text, parse_mode = msg.text, msg.parse_mode
        if field is not None:
            if (field == "caption") != (msg.method in ("sendPhoto", "sendDocument")):
                raise _ApiError(400, f"Bad Request: there is no {field} in the message to edit")
            text, parse_mode = params.get(field), params.get("parse_mode")
            _check_text(text, parse_mode, 1024 if field == "caption" else 4096)
        if text == msg.text and markup == _inline(msg.reply_markup):
            raise _ApiError(400, _NOT_MODIFIED)
        msg.text, msg.parse_mode, msg.edits = text, parse_mode, msg.edits + 1
        # Like Telegram, an edit without reply_markup drops the inline keyboard.
        if markup is not None or _inline(msg.reply_markup):
            msg.reply_markup = markup
        self._pulse()
        return self._message_dict(msg)

    def _answer(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:  # unknown, or answered twice
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired "
                "or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        self.answers[query_id] = {k: v for k, v in params.items() if k != "callback_query_id"}
        self._pulse()
        return True

    def _delete(self, params: JSON) -> bool:
        msg = self._find(_as_int(params.get("chat_id")), _as_int(params.get("message_id")))
        if msg is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self._pulse()
        return True

    def _set_commands(self, params: JSON, commands: list[JSON]) -> bool:
        self.commands[_scope_key(params)] = commands
        return True

    def _set_description(self, params: JSON) -> bool:
        self._descriptions[params.get("language_code") or ""] = params.get("description") or ""
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._updates = []
        self.webhook = None
        return True

    def _set_webhook(self, params: JSON) -> bool:
        """Remember the webhook (url, secret_token, ...); the test posts to it itself."""
        if params.get("drop_pending_updates"):
            self._updates = []
        self.webhook = dict(params)
        return True


async def _read_params(request: web.Request) -> JSON:
    """Merge query, JSON, urlencoded and multipart parameters into one dict."""
    params: JSON = {k: _decode(k, v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.read()
        return params | (json.loads(body) if body else {})
    uploads: dict[str, tuple[str, bytes]] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[key] = f"uploaded:{value.filename}"
            uploads[key] = (value.filename, value.file.read())
            params[_UPLOADS] = uploads
        else:
            params[key] = _decode(key, str(value))
    return params


def _decode(key: str, value: str) -> Any:
    """Undo PTB's JSON encoding of non-string fields (numbers, bools, markups)."""
    if key in _TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text_content(text: str) -> JSON:
    """A message's text, with the bot_command entity Telegram adds for a leading /command."""
    if not text.startswith("/"):
        return {"text": text}
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    return {"text": text, "entities": [entity]}


def _scope_key(params: JSON) -> str:
    return json.dumps([params.get("scope") or {"type": "default"}, params.get("language_code")])


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _inline(markup: JSON | None) -> JSON | None:
    return markup if markup and markup.get("inline_keyboard") else None


def _checked_markup(markup: Any) -> JSON | None:
    """Normalise an empty inline keyboard to None; reject bad callback data like Telegram."""
    if not isinstance(markup, dict):
        return None
    for button in (b for row in markup.get("inline_keyboard", []) for b in row):
        if "callback_data" in button and not 1 <= len(button["callback_data"].encode()) <= 64:
            raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return _inline(markup) if "inline_keyboard" in markup else markup


def _check_text(text: str | None, parse_mode: str | None, limit: int) -> None:
    """Reject too long texts and HTML that Telegram could not parse."""
    if text is None:
        return
    is_html = (parse_mode or "").upper() == "HTML"
    shown = _plain(text) if is_html else text
    # Telegram counts UTF-16 code units: an emoji outside the basic plane counts twice.
    if len(shown.encode("utf-16-le")) // 2 > limit:
        what = "message caption" if limit == 1024 else "message"
        raise _ApiError(400, f"Bad Request: {what} is too long")
    if not is_html:
        return
    stack: list[str] = []
    for match in _HTML_TOKEN.finditer(text):
        closing, tag = match.group(1), (match.group(2) or "").lower()
        where = f"at byte offset {len(text[: match.start()].encode())}"
        if not closing and tag in _HTML_TAGS and match.group(0) != "<":
            stack.append(tag)
        elif closing and stack and stack[-1] == tag:
            stack.pop()
        else:
            error = "Unmatched end tag" if closing else f'Unsupported start tag "{tag}"'
            raise _ApiError(400, f"Bad Request: can't parse entities: {error} {where}")
    if stack:
        raise _ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{stack[-1]}"',
        )
