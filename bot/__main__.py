"""`python -m bot [--config config.toml]`: check the configuration, take the lock, run."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.lock import AlreadyRunning, InstanceLock
from bot.settings import Settings, load_settings

NO_TOKEN = (
    "No bot token: set BOT__TELEGRAM__TOKEN in the environment or token under [telegram] in "
    "{config}. Get a token from @BotFather in Telegram (/newbot)."
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
    args = parser.parse_args(argv)
    config: Path = args.config
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
    if not settings.telegram.token.get_secret_value().strip():
        print(NO_TOKEN.format(config=config), file=sys.stderr)
        return 2
    lock = InstanceLock(settings.database.path)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"Not starting: {exc}.", file=sys.stderr)
        return 3
    _configure_logging()
    # RetryAfter.retry_after as a timedelta (PTB's future default; no deprecation warnings).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application

    url = settings.telegram.api_base_url
    try:
        application = build_application(settings)
        # Never drop pending updates: they are residents' reports.
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            timeout=settings.telegram.poll_timeout_seconds,
            # A Bot API server that is briefly away at start is waited for, a little.
            bootstrap_retries=3,
        )
    except InvalidToken:
        print(
            f"The Bot API at {url} refused the token: check it with @BotFather.", file=sys.stderr
        )
        return 2
    except NetworkError as exc:
        print(f"Cannot reach the Bot API at {url}: {exc}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
