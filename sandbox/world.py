"""The sandbox's world: the stand-in Bot API server, the real bot against it, the people one
person plays, the group chats, the sandbox's own clock and its own database."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from telegram.ext import Application

from bot.app import build_application, start_bot, stop_bot
from bot.context import Services
from bot.settings import Settings
from sandbox.api import FakeBotApi, FakeGroup, FakeUser
from sandbox.clockwork import ShiftedClock, next_moment
from storage import clock

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")

# Made-up chats and people for what the example configuration leaves out.
SANDBOX_ADMIN = 900_000_001
SANDBOX_VOLUNTEER = 800_000_001
ADMIN_CHAT = -1_009_000_000_000
ECHO_WALL = -1_004_444_444_444
WISH_WALL = -1_003_333_333_333
FIRST_RESIDENT = 7_000_001
# The sandbox's day starts in the morning, whatever the hour here: no quiet hours at first.
START_AT = time(9, 30)


def sandbox_settings(settings: Settings, database: Path) -> Settings:
    """The community of `settings` against a local server, with its own database, and an
    admin, a volunteer, an admin chat and both walls where the configuration has none."""
    data = settings.model_dump()
    data["database"] = {"path": database}
    data["admins"] = data["admins"] or [SANDBOX_ADMIN]
    data["admin_chat_id"] = data["admin_chat_id"] or ADMIN_CHAT
    data["echo_wall_chat_id"] = data["echo_wall_chat_id"] or ECHO_WALL
    data["wishes"]["wall_chat_id"] = data["wishes"]["wall_chat_id"] or WISH_WALL
    if not data["volunteers"]:
        data["volunteers"] = [
            {"id": SANDBOX_VOLUNTEER, "name": "Volunteer", "affiliation": "party_member"}
        ]
    data["telegram"] = data["telegram"] | {"token": FakeBotApi().token, "poll_timeout_seconds": 5}
    return Settings(**data)


@dataclass
class Person:
    """Someone the sandbox's user can be."""

    id: int
    name: str
    role: str  # resident | worker | admin | volunteer
    lang: str
    grid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "lang": self.lang}


@dataclass
class Chat:
    """A group chat of the community and who is in it."""

    id: int
    title: str
    members: set[int]


class Sandbox:
    """Start, stop and reset the whole thing; what the page shows and does goes through here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db_path = Path(settings.database.path)
        self._people_file = self.db_path.with_suffix(".people.json")
        self.api = FakeBotApi()
        self.app: App | None = None
        self.clock = ShiftedClock()
        self.people: dict[int, Person] = {}
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, Chat] = {}
        self.photos: dict[str, bytes] = {}  # file id of a photo a person sent -> its bytes
        self._photo_ids = itertools.count(1)
        self._previous_clock: clock.Clock | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self._turn = asyncio.Lock()

    async def start(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        saved = self._load_clock()
        if saved is None:
            tz = self.settings.community.tz
            today = datetime.now(tz).date()
            self.clock.set(datetime.combine(today, START_AT, tzinfo=tz))
        else:
            self.clock.set(saved)
        self._previous_clock = clock.use(self.clock)
        # Versions go on across a reset, so a page waiting for a change sees the fresh start.
        after = self.api.version
        self.api = FakeBotApi()
        self.api.version = after + 1
        await self.api.start()
        self._cast()
        self._load_residents()
        self.app = await _start_bot(self.settings, self.api.base_url)

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await _stop_bot(app)
        self._save()
        await self.api.stop()
        if self._previous_clock is not None:
            clock.use(self._previous_clock)
            self._previous_clock = None

    async def reset(self) -> None:
        """Stop the bot, forget the sandbox's database and people, start fresh. Carried
        through even if the page that asked goes away meanwhile."""
        await self._finish(self._reset())

    async def close(self) -> None:
        """Let a reset or time travel under way finish, then stop."""
        await asyncio.gather(*self._pending, return_exceptions=True)
        await self.stop()

    async def _finish(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` to its end, even if the caller is cancelled (a closed page); one
        reset or time travel at a time."""

        async def in_turn() -> T:
            async with self._turn:
                return await work

        task = asyncio.ensure_future(in_turn())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return await asyncio.shield(task)

    async def _reset(self) -> None:
        await self.stop()
        for path in self.db_path.parent.glob(self.db_path.name + "*"):
            if path.suffix != ".lock":  # the running sandbox's own (bot/lock.py)
                path.unlink()
        self._people_file.unlink(missing_ok=True)
        self.people, self.users, self.chats, self.photos = {}, {}, {}, {}
        await self.start()

    @property
    def services(self) -> Services:
        assert self.app is not None, "the sandbox is not running"
        services = self.app.bot_data["services"]
        assert isinstance(services, Services)
        return services

    # --- people and chats -------------------------------------------------------------------

    def _cast(self) -> None:
        """The staff of the configuration, and the community's group chats."""
        s = self.settings
        for n, admin in enumerate(s.admins, 1):
            self._add(Person(admin, f"Admin {n}", "admin", "en"))
        for grid in s.grids:
            for n, worker in enumerate(grid.workers, 1):
                if worker not in self.people:
                    name = f"Grid worker {grid.id}{n}"
                    self._add(Person(worker, name, "worker", "en", grid.id))
        for volunteer in s.volunteers:
            if volunteer.id not in self.people:
                self._add(Person(volunteer.id, volunteer.name, "volunteer", "en"))
        admins = set(s.admins)
        for grid in s.grids:
            if grid.group_chat_id is not None:
                title = f"{grid.name} ({grid.id}) group"
                self._group(grid.group_chat_id, title, admins | set(grid.workers))
        if s.admin_chat_id is not None:
            self._group(s.admin_chat_id, "Admin chat", admins)
        if s.wishes.wall_chat_id is not None:
            volunteers = {v.id for v in s.volunteers}
            self._group(s.wishes.wall_chat_id, "Wish wall", admins | volunteers)
        if s.echo_wall_chat_id is not None:
            self._group(s.echo_wall_chat_id, "Echo wall", set())  # everyone reads it

    def _group(self, chat_id: int, title: str, members: set[int]) -> None:
        self.api.group(chat_id, title)
        self.chats[chat_id] = Chat(chat_id, title, members)

    def _add(self, person: Person) -> Person:
        self.people[person.id] = person
        self.users[person.id] = self.api.user(person.id, person.name, person.lang)
        return person

    def add_resident(self, name: str, lang: str) -> Person:
        """A new resident (a made-up user id); they register with the bot themselves."""
        taken = [p.id for p in self.people.values() if p.role == "resident"]
        person = Person(max(taken, default=FIRST_RESIDENT - 1) + 1, name, "resident", lang)
        self._add(person)
        self._save()
        self.api._pulse()
        return person

    def sees(self, person_id: int, chat_id: int) -> bool:
        """Whether that person is in that chat (their own private chat, or a group of theirs)."""
        if chat_id == person_id:
            return True
        chat = self.chats.get(chat_id)
        return chat is not None and (not chat.members or person_id in chat.members)

    def group_of(self, chat_id: int) -> FakeGroup | None:
        """The group to post in, or None for the private chat."""
        return FakeGroup(chat_id, self.chats[chat_id].title) if chat_id in self.chats else None

    def store_photo(self, content: bytes) -> str:
        """Keep a photo a person picked; the file id the bot will get for it."""
        file_id = f"AgAD-sandbox-{next(self._photo_ids)}"
        self.photos[file_id] = content
        return file_id

    def photo(self, file_id: str) -> bytes | None:
        """The bytes behind a file id the bot got (any of its sizes) or sent back."""
        return self.photos.get(file_id.removesuffix("-s"))

    # --- time -------------------------------------------------------------------------------

    async def next_moment(self) -> tuple[datetime, str] | None:
        """The next moment something is scheduled, and what it is."""
        return await next_moment(self.services, self.clock.now())

    async def travel(self) -> tuple[datetime, str] | None:
        """Move the clock to the next scheduled moment and let the scheduler act on it."""
        return await self._finish(self._travel())

    async def _travel(self) -> tuple[datetime, str] | None:
        found = await self.next_moment()
        if found is None:
            return None
        moment, _ = found
        self.clock.set(moment + timedelta(seconds=1))
        services = self.services
        await services.reminders.tick()
        services.kick()
        self._save()
        self.api._pulse()  # the page shows the new time
        return found

    # --- kept between runs (not chats: those live in the server) ----------------------------

    def _save(self) -> None:
        residents = [p.as_dict() for p in self.people.values() if p.role == "resident"]
        state = {"clock": self.clock.now().isoformat(), "residents": residents}
        self._people_file.write_text(json.dumps(state, ensure_ascii=False))

    def _read(self) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self._people_file.read_text())
            if isinstance(data, dict):
                return data
        return {}

    def _load_clock(self) -> datetime | None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return datetime.fromisoformat(self._read()["clock"])
        return None

    def _load_residents(self) -> None:
        for item in self._read().get("residents", []):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self._add(Person(int(item["id"]), str(item["name"]), "resident", item["lang"]))


async def _start_bot(settings: Settings, base_url: str) -> App:
    """The real bot, started as `python -m bot` starts it, against the local server."""
    tg = settings.telegram.model_copy(
        update={"api_base_url": base_url, "api_file_url": base_url.replace("/bot", "/file/bot")}
    )
    app = build_application(settings.model_copy(update={"telegram": tg}))
    try:
        await start_bot(app)
    except BaseException:
        # Half started: close the database (its thread would keep the process alive).
        await stop_bot(app)
        raise
    return app


async def _stop_bot(app: App) -> None:
    await stop_bot(app)
