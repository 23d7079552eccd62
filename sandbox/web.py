"""The sandbox's web page and the few calls it makes: what each chat shows, and a person's
message, button press, photo or contact; time travel and reset."""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from aiohttp import web

from bot.fonts import cjk_font_path
from sandbox.api import JSON, SentMessage
from sandbox.clockwork import describe
from sandbox.world import Sandbox

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 20.0
ANSWER_WAIT_SECONDS = 5.0
MAX_PHOTO_BYTES = 10 * 1024 * 1024

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)


def page_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(client_max_size=MAX_PHOTO_BYTES + 64 * 1024)
    app[SANDBOX] = sandbox
    app.router.add_get("/", _page)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/commands", _commands)
    app.router.add_post("/api/people", _add_person)
    app.router.add_post("/api/send", _send)
    app.router.add_post("/api/press", _press)
    app.router.add_post("/api/photo", _photo)
    app.router.add_post("/api/contact", _contact)
    app.router.add_post("/api/next", _next)
    app.router.add_post("/api/reset", _reset)
    app.router.add_get("/font", _font)
    app.router.add_get("/files/person/{file_id}", _person_file)
    app.router.add_get("/files/bot/{chat_id}/{message_id}", _bot_file)
    return app


async def _page(request: web.Request) -> web.Response:
    html = resources.files("sandbox").joinpath("page.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def _state(request: web.Request) -> web.Response:
    """Everything the page shows, once something changed after `since` (or 20 s passed)."""
    sandbox = request.app[SANDBOX]
    since = _int(request.query.get("since"), -1)
    if since >= sandbox.api.version:
        await sandbox.api.wait_change(since, LONG_POLL_SECONDS)
    return web.json_response(await state(sandbox))


async def state(sandbox: Sandbox) -> JSON:
    """The people, the chats and what is in them, the clock and what comes next."""
    api = sandbox.api
    version = api.version
    items: dict[int, list[JSON]] = {}
    for chat_id, messages in api._messages.items():
        items[chat_id] = [_bot_message(m) for m in messages if not m.deleted]
    for update in api.history():
        message = update.get("message")
        if message and "from" in message:
            items.setdefault(message["chat"]["id"], []).append(_person_message(sandbox, message))
    for method, chat_id, description, position in api.refusals:
        error = {"kind": "error", "id": position, "method": method, "text": description}
        items.setdefault(chat_id, []).append(error)
    for chat_items in items.values():
        chat_items.sort(key=lambda item: item["id"])
    tz = sandbox.settings.community.tz
    coming = await sandbox.next_moment() if sandbox.app is not None else None
    chats = [
        {"id": c.id, "title": c.title, "members": sorted(c.members)}
        for c in sandbox.chats.values()
    ]
    return {
        "version": version,
        "now": f"{sandbox.clock.now().astimezone(tz):%a %Y-%m-%d %H:%M}",
        "next": describe(coming, sandbox.services) if coming else None,
        "community": sandbox.settings.community.name,
        "people": [p.as_dict() for p in sandbox.people.values()],
        "groups": chats,
        "items": {str(k): v for k, v in items.items()},
    }


def _bot_message(m: SentMessage) -> JSON:
    markup = m.reply_markup or {}
    item: JSON = {
        "kind": "bot",
        "id": m.message_id,
        "text": m.text or "",
        "html": (m.parse_mode or "").upper() == "HTML",
        "edited": m.edits > 0,
        "inline": [
            [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
            for row in markup.get("inline_keyboard") or []
        ],
    }
    if "keyboard" in markup:
        item["keyboard"] = [
            [
                {"text": b, "contact": False}
                if isinstance(b, str)
                else {"text": b["text"], "contact": bool(b.get("request_contact"))}
                for b in row
            ]
            for row in markup["keyboard"]
        ]
    if markup.get("remove_keyboard"):
        item["keyboard"] = []
    if m.method == "sendPhoto":
        item["photo"] = _file_url(m)
    if m.method == "sendDocument":
        item["document"] = {"name": m.document or "file", "url": _file_url(m)}
    return item


def _file_url(m: SentMessage) -> str:
    if m.upload is not None:
        return f"/files/bot/{m.chat_id}/{m.message_id}"
    return f"/files/person/{m.photo or m.document or ''}"


def _person_message(sandbox: Sandbox, message: JSON) -> JSON:
    sender = message["from"]
    person = sandbox.people.get(sender["id"])
    item: JSON = {
        "kind": "person",
        "id": message["message_id"],
        "from": sender["id"],
        "name": person.name if person else sender.get("first_name", "?"),
        "text": message.get("text") or message.get("caption") or "",
    }
    if "photo" in message:
        item["photo"] = f"/files/person/{message['photo'][-1]['file_id']}"
    if "contact" in message:
        item["text"] = f"📞 {message['contact']['phone_number']}"
    return item


async def _commands(request: web.Request) -> web.Response:
    """The bot's command menu for that person in that chat, as Telegram picks it."""
    sandbox, user, chat_id = _who(request, dict(request.query))
    person = sandbox.people[user]
    found = command_menu(sandbox.api.commands, user, chat_id, person.lang, person.role == "admin")
    return web.json_response(found)


def command_menu(
    menus: dict[str, list[JSON]], user: int, chat_id: int, lang: str, chat_admin: bool
) -> list[JSON]:
    """The first scope set for this chat and person, narrowest first, each in the person's
    language before any language (Telegram's order; an empty list counts as not set)."""
    scopes = [(json.loads(key), commands) for key, commands in menus.items()]
    if chat_id > 0:
        order: list[tuple[str, JSON]] = [("chat", {"chat_id": chat_id}), ("all_private_chats", {})]
    else:
        order = [("chat_member", {"chat_id": chat_id, "user_id": user})]
        order += [("chat_administrators", {"chat_id": chat_id})] if chat_admin else []
        order += [("chat", {"chat_id": chat_id})]
        order += [("all_chat_administrators", {})] if chat_admin else []
        order += [("all_group_chats", {})]
    for kind, ids in [*order, ("default", {})]:
        for code in (lang, None):
            for (scope, language), commands in scopes:
                same = scope.get("type") == kind and language == code
                if same and commands and all(scope.get(k) == v for k, v in ids.items()):
                    return commands
    return []


async def _add_person(request: web.Request) -> web.Response:
    body = await _json(request)
    name = str(body.get("name") or "").strip()[:40] or "Resident"
    lang = "zh" if body.get("lang") == "zh" else "en"
    person = request.app[SANDBOX].add_resident(name, lang)
    return web.json_response(person.as_dict())


async def _send(request: web.Request) -> web.Response:
    body = await _json(request)
    sandbox, user, chat_id = _who(request, body)
    text = str(body.get("text") or "")
    if not text.strip():
        raise web.HTTPBadRequest(text="empty message")
    message = sandbox.users[user].send(text, sandbox.group_of(chat_id))
    return web.json_response({"message_id": message["message_id"]})


async def _press(request: web.Request) -> web.Response:
    """Press an inline button of a bot message; answers with the bot's pop-up text, if any."""
    body = await _json(request)
    sandbox, user, chat_id = _who(request, body)
    message_id, data = _int(body.get("message_id"), 0), str(body.get("data") or "")
    message = sandbox.api._find(chat_id, message_id)
    if message is None or not data:
        raise web.HTTPBadRequest(text="no such message or button")
    query_id = sandbox.users[user].press_data(message, data)
    try:
        answer = await sandbox.api.wait_for_answer(query_id, timeout=ANSWER_WAIT_SECONDS)
    except AssertionError:
        answer = {}
    return web.json_response(
        {"text": answer.get("text") or "", "alert": bool(answer.get("show_alert"))}
    )


async def _photo(request: web.Request) -> web.Response:
    """A photo a person picked on the page: the bot gets a file id, the page its bytes."""
    form = await request.post()
    sandbox, user, chat_id = _who(request, dict(form))
    upload = form.get("photo")
    if not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(text="no photo")
    content = upload.file.read()
    if not content:
        raise web.HTTPBadRequest(text="empty photo")
    file_id = sandbox.store_photo(content)
    caption = str(form.get("caption") or "") or None
    message = sandbox.users[user].send_photo(file_id, caption, sandbox.group_of(chat_id))
    return web.json_response({"message_id": message["message_id"], "file_id": file_id})


async def _contact(request: web.Request) -> web.Response:
    """The person shares their own contact (the reply keyboard's contact button)."""
    body = await _json(request)
    sandbox, user, _ = _who(request, body | {"chat": body.get("user")})
    phone = f"+86 138{user % 100_000_000:08d}"
    message = sandbox.users[user].send_contact(phone)
    return web.json_response({"message_id": message["message_id"]})


async def _next(request: web.Request) -> web.Response:
    """Time travel: the clock to the next scheduled moment, and the scheduler ticks."""
    sandbox = request.app[SANDBOX]
    found = await sandbox.travel()
    return web.json_response({"moved": found is not None, "to": describe(found, sandbox.services)})


async def _reset(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    await sandbox.reset()
    log.info("sandbox reset: a fresh community")
    return web.json_response({"reset": True})


async def _font(request: web.Request) -> web.StreamResponse:
    """A font with Chinese glyphs from this machine (or the one installed with the bot), so
    the page shows Chinese where the browser's system has no such font."""
    path = cjk_font_path(request.app[SANDBOX].settings.posters.font_path)
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "max-age=86400"})


async def _person_file(request: web.Request) -> web.Response:
    content = request.app[SANDBOX].photo(request.match_info["file_id"])
    if content is None:
        raise web.HTTPNotFound()
    return web.Response(body=content, content_type=_image_type(content))


async def _bot_file(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    chat_id, message_id = (
        _int(request.match_info["chat_id"], 0),
        _int(request.match_info["message_id"], 0),
    )
    message = sandbox.api._find(chat_id, message_id)
    if message is None or message.upload is None:
        raise web.HTTPNotFound()
    if message.method == "sendPhoto":
        return web.Response(body=message.upload, content_type=_image_type(message.upload))
    name = (message.document or "file").replace('"', "")
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return web.Response(
        body=message.upload, content_type="application/octet-stream", headers=headers
    )


def _image_type(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith(b"GIF8"):
        return "image/gif"
    if content[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def _who(request: web.Request, body: dict[str, Any]) -> tuple[Sandbox, int, int]:
    """The sandbox, the person acting and the chat they act in (checked: theirs)."""
    sandbox = request.app[SANDBOX]
    user, chat_id = _int(body.get("user"), 0), _int(body.get("chat"), 0)
    if user not in sandbox.users:
        raise web.HTTPBadRequest(text="pick a person first")
    if not sandbox.sees(user, chat_id):
        raise web.HTTPForbidden(text="that person is not in that chat")
    return sandbox, user, chat_id


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="send JSON") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
