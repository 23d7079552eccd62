"""`python -m bot [--config config.toml] [run | sync | restore FILE | sandbox]`: check the
configuration, take the lock, and run the bot, or only bring the directory in the database
in step with the config file, or put a backup in place of the database (the bot stopped), or
run the sandbox (the bot against a local Bot API server and a web page; also what `run` does
when no token is configured)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot import eventloop
from bot.lock import AlreadyRunning, InstanceLock
from bot.redact import redact
from bot.settings import Settings, load_settings

# Said before the sandbox's address when `run` found no token.
NO_TOKEN = (
    "No bot token (for Telegram: BOT__TELEGRAM__TOKEN in the environment or token under "
    "[telegram] in {config}, from @BotFather). "
)


def _configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs every request URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _explain(error: ValidationError, config: Path) -> str:
    lines = [f"The configuration ({config} and BOT__ environment variables) is not valid:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("config.toml"))
    parser.add_argument(
        "command",
        nargs="?",
        choices=["run", "sync", "restore", "sandbox"],
        default="run",
        help="run the bot (the default), or only apply the config file's grids, buildings, "
        "categories and staff to the database and print what changed, or restore FILE (a "
        "backup) in place of the database, or run the sandbox: the bot without Telegram, "
        "played in a browser",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="the sandbox page's port on 127.0.0.1"
    )
    parser.add_argument("file", nargs="?", type=Path, help="restore: the backup to put in place")
    args = parser.parse_args(argv)
    if (args.command == "restore") != (args.file is not None):
        parser.error("restore takes one FILE (a backup), and only restore takes one")
    config: Path = args.config
    if args.command == "sandbox" and not config.exists():
        config = Path("config.example.toml")  # the example community
    if not config.exists():
        print(
            f"No configuration file at {config}: copy config.example.toml to {config} and "
            "edit it (or pass --config PATH).",
            file=sys.stderr,
        )
        return 2
    try:
        settings: Settings = load_settings(config)
    except ValidationError as exc:
        print(_explain(exc, config), file=sys.stderr)
        return 2
    if args.command == "run" and not settings.telegram.token.get_secret_value().strip():
        # Nothing to talk to Telegram with: try it locally.
        return _sandbox(settings, args.port, NO_TOKEN.format(config=config))
    if args.command == "sandbox":
        return _sandbox(settings, args.port, "")
    lock = InstanceLock(settings.database.path)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        doing = "restoring" if args.command == "restore" else "starting"
        print(f"Not {doing}: {exc}. Stop it first.", file=sys.stderr)
        return 3
    if args.command == "restore":
        try:
            return _restore(settings, args.file)
        finally:
            lock.release()
    if args.command == "sync":
        try:
            return eventloop.run(_sync(settings))
        finally:
            lock.release()
    _configure_logging()
    # RetryAfter.retry_after as a timedelta (PTB's future default; no deprecation warnings).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application

    url = settings.telegram.api_base_url
    try:
        eventloop.run(_serve(build_application(settings)))
    except InvalidToken:
        print(
            f"The Bot API at {url} refused the token: check it with @BotFather.", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"Cannot reach the Bot API at {url}: {redact(str(exc))}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    return 0


def _restore(settings: Settings, backup: Path) -> int:
    """Check the backup, keep the current database aside, put the backup in place; one line."""
    from storage import clock, snapshot

    database = settings.database.path
    try:
        checked = snapshot.check(backup)
        if database.exists() and database.resolve() == backup.resolve():
            raise snapshot.NotOurs(f"{backup} is the database itself")
    except snapshot.NotOurs as exc:
        print(f"Not restored: {exc}. The database is unchanged.", file=sys.stderr)
        return 2
    kept = snapshot.install(backup, database, clock.now())
    aside = f"the previous one is kept as {kept}" if kept else "there was no database before"
    print(
        f"Restored {database} from {backup} (schema {checked.version}, {checked.requests} "
        f"request{'' if checked.requests == 1 else 's'}, the newest filed "
        f"{checked.newest or 'never'}); {aside}."
    )
    return 0


async def _serve(application: Any) -> None:
    """Run until SIGINT or SIGTERM. Updates come in through the inbox (bot/intake.py); pending
    updates are never dropped: they are residents' reports."""
    from telegram.error import BadRequest, NetworkError

    from bot.app import start_bot, stop_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # A Bot API server that is briefly away at start is waited for, a little.
    for attempt in range(4):
        try:
            await start_bot(application)
            break
        except NetworkError as exc:
            if attempt == 3 or isinstance(exc, BadRequest):
                await _quiet_stop(application)
                raise
            logging.getLogger(__name__).warning("Bot API not reachable (%s); retrying", exc)
            await _quiet_stop(application)
            await asyncio.sleep(2**attempt)
    try:
        await stop.wait()
    finally:
        await stop_bot(application)


async def _quiet_stop(application: Any) -> None:
    from bot.app import stop_bot

    try:
        await stop_bot(application)
    except Exception:
        logging.getLogger(__name__).debug("stop after a failed start", exc_info=True)


def _sandbox(settings: Settings, port: int, why: str) -> int:
    """The sandbox, with its own database and lock (a real bot beside it is not disturbed)."""
    from sandbox.main import database_of, serve

    lock = InstanceLock(database_of(settings))
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"Not starting the sandbox: {exc}.", file=sys.stderr)
        return 3
    _configure_logging()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        eventloop.run(serve(settings, port=port, why=why))
    except OSError as exc:
        print(f"Cannot start the sandbox on 127.0.0.1:{port}: {exc}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    return 0


async def _sync(settings: Settings) -> int:
    """Apply the config file to the directory and print each change and refusal."""
    from bot.directory import describe_refusal, sync_with_config
    from storage.db import Database

    db = await Database.open(settings.database.path)
    try:
        report = await sync_with_config(db, settings)
    finally:
        await db.close()
    for change in report.changes:
        print(f"applied: {change}")
    for refusal in report.refused:
        print(f"refused: {describe_refusal(refusal)}")
    if not report.changes and not report.refused:
        print("The directory already matches the config file.")
    return 1 if report.refused else 0


if __name__ == "__main__":
    sys.exit(main())
