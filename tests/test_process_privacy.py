"""The bot as a real process: a token the Bot API refuses is named nowhere in its output, and
the files it creates are its user's only."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

from tests.conftest import community_data
from tests.fakebot import FakeBotApi
from tests.test_process import ROOT, to_toml

# Made of two parts so that no token-shaped string is committed (a made-up one, too).
WRONG = "7012345678:" + "AAH-wrong_token_the_api_refuses_012345"


async def test_a_refused_token_is_not_printed(tmp_path: Path, server: FakeBotApi) -> None:
    data = community_data(tmp_path / "db" / "bot.sqlite3", server.base_url)
    del data["telegram"]["token"]
    config = tmp_path / "config.toml"
    config.write_text(to_toml(data), encoding="utf-8")
    # Every logger at DEBUG would print request URLs, if anything could.
    env = {**os.environ, "BOT__TELEGRAM__TOKEN": WRONG, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = (out + err).decode()
    assert proc.returncode == 2, text
    assert "refused the token" in text
    assert WRONG not in text and "AAH-wrong_token" not in text, text
    folder = tmp_path / "db"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("bot.sqlite3.lock",):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
