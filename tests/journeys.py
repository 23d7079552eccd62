"""Steps a person takes, driven through the fake Bot API server."""

from __future__ import annotations

from tests.fakebot import FakeBotApi, FakeUser, SentMessage


async def register(
    server: FakeBotApi, user: FakeUser, building: str, unit: str, phone: str | None = None
) -> None:
    """/start → building → unit → phone or skip → confirm."""
    last = _last_id(server, user.id)
    user.send("/start")
    ask = await server.wait_for_message(user.id, "building", after=last)
    await press_and_wait(server, user, ask, building, "unit")
    last = _last_id(server, user.id)
    user.send(unit)
    await server.wait_for_message(user.id, "phone", after=last)
    last = _last_id(server, user.id)
    if phone is None:
        user.send("Skip")
    else:
        user.send_contact(phone)
    confirm = await server.wait_for_message(user.id, "Is this right?", after=last)
    await press_and_wait(server, user, confirm, "Confirm", "registered")


async def press_and_wait(
    server: FakeBotApi, user: FakeUser, message: SentMessage, button: str, expect: str
) -> SentMessage:
    """Press a button and wait for the bot's next message to this user containing `expect`."""
    last = _last_id(server, user.id)
    user.press(message, button)
    return await server.wait_for_message(user.id, expect, after=last)


async def say_and_wait(server: FakeBotApi, user: FakeUser, text: str, expect: str) -> SentMessage:
    last = _last_id(server, user.id)
    user.send(text)
    return await server.wait_for_message(user.id, expect, after=last)


async def file_report(
    server: FakeBotApi,
    user: FakeUser,
    category: str,
    building: str,
    description: str,
    photos: list[str] | None = None,
) -> SentMessage:
    """/report → category → building → description → photos → confirm; returns 'Saved as'."""
    ask = await say_and_wait(server, user, "/report", "Choose a category")
    ask = await press_and_wait(server, user, ask, category, "Which building")
    await press_and_wait(server, user, ask, building, "Describe the problem")
    ask = await say_and_wait(server, user, description, "photos")
    for photo in photos or []:
        last = _last_id(server, user.id)
        user.send_photo(photo)
        ask = await server.wait_for_message(user.id, after=last)
    if not ask.contains("Please check your report"):
        ask = await press_and_wait(
            server, user, ask, "Done" if photos else "Skip", "Please check your report"
        )
    return await press_and_wait(server, user, ask, "Confirm", "Saved as")


def last_id(server: FakeBotApi, chat_id: int) -> int:
    messages = server.messages(chat_id)
    return messages[-1].message_id if messages else 0


_last_id = last_id
