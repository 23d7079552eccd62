"""Run the sandbox: the page on 127.0.0.1, the bot and its Bot API server behind it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from bot.settings import Settings
from sandbox.web import page_app
from sandbox.world import Sandbox, sandbox_settings

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080


def database_of(settings: Settings) -> Path:
    """The sandbox's own database: beside the configured one, never the configured one."""
    return Path(settings.database.path).parent / "sandbox.sqlite3"


async def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = DEFAULT_PORT, why: str = ""
) -> None:
    """Start everything, say where to look (after `why`), and run until interrupted."""
    sandbox = Sandbox(sandbox_settings(settings, database_of(settings)))
    await sandbox.start()
    runner = web.AppRunner(page_app(sandbox), shutdown_timeout=1.0, handler_cancellation=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(
            f"{why}Sandbox: open http://{host}:{port}/ to play every role in a browser "
            f"(nothing leaves this machine; its own database: {sandbox.db_path}).",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
        await sandbox.close()
