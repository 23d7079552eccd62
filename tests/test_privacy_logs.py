"""The token never reaches a log line; the database and lock files are the bot's user's only."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import httpx
import pytest
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.lock import InstanceLock
from bot.redact import MASK, install, redact
from storage.db import Database
from tests.conftest import community
from tests.fakebot import FakeBotApi

# Made of two parts so that no token-shaped string is committed (a made-up one, too).
REAL_LOOKING = "7012345678:" + "AAH-real_looking_token_value_0123456789ab"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_redact_hides_known_and_token_shaped_secrets() -> None:
    install("123456:TEST-TOKEN")
    assert redact("POST http://x/bot123456:TEST-TOKEN/getMe") == f"POST http://x/bot{MASK}/getMe"
    assert REAL_LOOKING not in redact(f"https://api.telegram.org/bot{REAL_LOOKING}/sendMessage")
    assert redact("R-0042 by 1001 at 12:30") == "R-0042 by 1001 at 12:30"


async def test_a_refused_token_is_not_in_the_log(
    tmp_path: Path, server: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """PTB's InvalidToken names the token: it does not show in the log."""
    caplog.set_level(logging.DEBUG)
    settings = community(
        tmp_path / "bot.sqlite3", server.base_url, telegram={"token": REAL_LOOKING}
    )
    app = build_application(settings)
    with pytest.raises(InvalidToken) as refused:
        await app.initialize()
    # initialize() failed half-way: close both request pools (getUpdates' and the others').
    for request in app.bot._request:
        await request.shutdown()
    # The framework's own text holds it; the log of the same error does not.
    logging.getLogger("bot.test").error("start failed", exc_info=refused.value)
    logging.getLogger("bot.test").error("start failed: %s", refused.value)
    assert caplog.records, "nothing was logged"
    assert "start failed" in caplog.text and "Traceback" in caplog.text
    assert REAL_LOOKING not in caplog.text
    assert all(REAL_LOOKING not in r.getMessage() for r in caplog.records)
    assert "7012345678" not in caplog.text


async def test_a_failing_request_does_not_log_its_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A Bot API that cannot be reached: the URL (with the token) is in no record."""
    caplog.set_level(logging.DEBUG)
    settings = community(
        tmp_path / "bot.sqlite3", "http://127.0.0.1:9/bot", telegram={"token": REAL_LOOKING}
    )
    app = build_application(settings)
    with pytest.raises(NetworkError) as failed:
        await app.bot.get_me()
    url_error = httpx.ConnectError(f"cannot reach http://127.0.0.1:9/bot{REAL_LOOKING}/getMe")
    log = logging.getLogger("telegram.ext.test")
    log.warning("poll failed: %s", failed.value, exc_info=failed.value)
    log.error("network: %r", url_error, exc_info=url_error)
    assert "poll failed" in caplog.text
    assert REAL_LOOKING not in caplog.text
    assert all(REAL_LOOKING not in r.getMessage() for r in caplog.records)
    await app.shutdown()


async def test_request_lines_at_debug_hide_the_token(
    tmp_path: Path, server: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """With every logger at DEBUG (PTB's request lines, aiohttp's), the calls leave no token."""
    caplog.set_level(logging.DEBUG)
    settings = community(tmp_path / "bot.sqlite3", server.base_url)
    app = build_application(settings)
    await app.bot.initialize()
    await app.bot.get_me()
    await app.bot.send_message(1001, "hello")
    await app.bot.shutdown()
    assert [m for m, _ in server.calls].count("getMe") >= 1
    assert any("sendMessage" in r.getMessage() for r in caplog.records), "PTB logs its calls"
    assert "TEST-TOKEN" not in caplog.text


async def test_database_wal_shm_and_lock_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "data"
    path = folder / "bot.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
        await conn.execute("INSERT INTO probe VALUES (1)")
    lock = InstanceLock(path)
    lock.acquire()
    try:
        for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm", "bot.sqlite3.lock"):
            assert (folder / name).exists(), name
            assert mode(folder / name) == 0o600, (name, oct(mode(folder / name)))
        assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    finally:
        lock.release()
        await db.close()


async def test_an_old_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    path.chmod(0o644)
    (tmp_path / "bot.sqlite3.lock").touch(mode=0o644)
    db = await Database.open(path)
    lock = InstanceLock(path)
    lock.acquire()
    lock.release()
    await db.close()
    assert mode(path) == 0o600 and mode(tmp_path / "bot.sqlite3.lock") == 0o600
