"""Typed access to our services from handlers, instead of casts of bot_data everywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.abuse import Limits
from bot.broadcasting import Broadcasts
from bot.core import Requests
from bot.directory import Directory, DirectoryBook
from bot.gatherings import Gatherings
from bot.people import People
from bot.schedule import Reminders
from bot.settings import Settings
from bot.staff import StaffDesk
from bot.volunteering import Volunteering
from storage.db import Database
from storage.users import User


@dataclass
class Services:
    settings: Settings
    db: Database
    directory: DirectoryBook
    people: People
    requests: Requests
    volunteering: Volunteering
    reminders: Reminders
    gatherings: Gatherings
    staff: StaffDesk
    # Wake the outbox delivery now, after a commit that queued messages.
    kick: Callable[[], None]
    broadcasts: Broadcasts
    # Per-person limits on new requests and presses (bot/abuse.py).
    limits: Limits


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB builds one context per update; `person` is filled by the tracking handler."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.person: User | None = None

    @property
    def services(self) -> Services:
        services = self.bot_data.get("services")
        if not isinstance(services, Services):
            raise RuntimeError("services are set up in post_init")
        return services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def directory(self) -> Directory:
        """Grids, buildings, categories and staff as they are now."""
        return self.services.directory.current
