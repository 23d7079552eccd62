"""Shared fixtures: a test community, the fake Bot API server and the real bot against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

# RetryAfter.retry_after as a timedelta: PTB warns on every RetryAfter otherwise.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram.ext import Application

from bot.app import build_application, start_bot, stop_bot
from bot.context import Services
from bot.settings import Settings
from tests.fakebot import FakeBotApi

GROUP_A = -100111
GROUP_B = -100222
ADMIN_CHAT = -100900
ADMIN = 900
WORKER_A1, WORKER_A2, WORKER_B = 201, 202, 301
LONE_WORKER = 401  # grid C has no group


def community(db_path: Path, base_url: str = "http://127.0.0.1:1/bot", **over: Any) -> Settings:
    return Settings(**community_data(db_path, base_url, **over))


def community_data(
    db_path: Path, base_url: str = "http://127.0.0.1:1/bot", **over: Any
) -> dict[str, Any]:
    """Grid A (buildings 1, 2; two workers), grid B (building 3; one worker), grid C (building
    4; a worker but no group) and grid D (building 5; nobody)."""
    data: dict[str, Any] = {
        "community": {"name": "Nanning St.", "duplicate_window_days": 7},
        "database": {"path": str(db_path)},
        "telegram": {
            "token": "123456:TEST-TOKEN",
            "api_base_url": base_url,
            "api_file_url": base_url.replace("/bot", "/file/bot"),
            "poll_timeout_seconds": 1,
        },
        "outbox": {
            "poll_seconds": 0.2,
            "per_chat_interval_seconds": 0.05,
            "backoff_base_seconds": 0.2,
        },
        # Tests tick the schedule themselves, with a clock they move; no quiet hours unless a
        # test sets them.
        "schedule": {"tick_seconds": 3600, "quiet_start": "00:00", "quiet_end": "00:00"},
        # Beside the test's database, never in the working directory.
        "backup": {"dir": str(db_path.parent / "backups")},
        # The abuse limits are off unless a test sets them: journeys file and press far more
        # than a resident would (tests/test_e2e_limits.py tests the limits).
        "limits": {"requests_per_hour": 0, "requests_per_day": 0, "presses_per_minute": 0},
        "admins": [ADMIN],
        "admin_chat_id": ADMIN_CHAT,
        "grids": [
            {
                "id": "A",
                "name": "Grid A",
                "buildings": ["1", "2"],
                "group_chat_id": GROUP_A,
                "workers": [WORKER_A1, WORKER_A2],
            },
            {
                "id": "B",
                "name": "Grid B",
                "buildings": ["3"],
                "group_chat_id": GROUP_B,
                "workers": [WORKER_B],
            },
            {"id": "C", "name": "Grid C", "buildings": ["4"], "workers": [LONE_WORKER]},
            {"id": "D", "name": "Grid D", "buildings": ["5"]},
        ],
        "categories": [
            {
                "id": "water",
                "name_zh": "水管",
                "name_en": "Plumbing",
                "claim_hours": 2,
                "resolve_hours": 24,
            },
            {
                "id": "light",
                "name_zh": "照明",
                "name_en": "Lights",
                "claim_hours": 4,
                "resolve_hours": 48,
            },
        ],
    }
    for key, value in over.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


App = Application[Any, Any, Any, Any, Any, Any]


class RunningBot:
    """The real Application, started the way `python -m bot` starts it, and stoppable mid-way."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: App | None = None

    async def start(self) -> App:
        app = build_application(self.settings)
        await start_bot(app)
        self.app = app
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await stop_bot(app)

    @property
    def services(self) -> Services:
        """The running bot's services (to queue messages directly, as a use case would)."""
        assert self.app is not None, "the bot is not running"
        services = self.app.bot_data["services"]
        assert isinstance(services, Services)
        return services

    async def restart(self) -> App:
        await self.stop()
        return await self.start()


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, server: FakeBotApi) -> Settings:
    return community(tmp_path / "bot.sqlite3", server.base_url)


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
