"""The bot as a real process: kill -9 mid-report and resume, one copy per database, the
sandbox in one line when no token is configured, a clear refusal of a wrong configuration."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GROUP_A, community_data
from tests.fakebot import FakeBotApi
from tests.journeys import last_id, press_and_wait, register, say_and_wait

ROOT = Path(__file__).resolve().parent.parent


def to_toml(data: dict[str, Any]) -> str:
    """Just enough TOML for the test configuration (tables, arrays of tables, scalars)."""
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict | list) or _plain(v)}
    for key, value in scalars.items():
        lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
        elif isinstance(value, list) and not _plain(value):
            for item in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> bool:
    return not isinstance(value, dict) and not (
        isinstance(value, list) and value and isinstance(value[0], dict)
    )


class BotProcess:
    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.config = config
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> asyncio.subprocess.Process:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return self.proc

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.communicate()
        self.proc = None


@pytest.fixture
async def proc(tmp_path: Path, server: FakeBotApi) -> AsyncIterator[BotProcess]:
    data = community_data(tmp_path / "db" / "bot.sqlite3", server.base_url)
    del data["telegram"]["token"]  # comes from the environment, as in production
    config = tmp_path / "config.toml"
    config.write_text(to_toml(data), encoding="utf-8")
    env = {**os.environ, "BOT__TELEGRAM__TOKEN": server.token, "PYTHONUNBUFFERED": "1"}
    running = BotProcess(config, env)
    try:
        yield running
    finally:
        await running.kill()


async def _polling(server: FakeBotApi) -> None:
    """Wait until the bot process asks for updates."""
    for _ in range(200):
        if any(method == "getUpdates" for method, _ in server.calls):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bot never started polling")


async def test_kill_9_mid_report_resumes_and_second_copy_refuses(
    server: FakeBotApi, proc: BotProcess
) -> None:
    await proc.start()
    await _polling(server)
    alice = server.user(1001, "Alice")
    await register(server, alice, "1", "2-301")
    ask = await say_and_wait(server, alice, "/report", "Choose a category")
    ask = await press_and_wait(server, alice, ask, "Plumbing", "Which building")
    await press_and_wait(server, alice, ask, "1", "Describe the problem")
    await say_and_wait(server, alice, "Water heater leaking", "photos")

    # A second copy on the same database refuses to start.
    second = await BotProcess(proc.config, proc.env).start()
    _, err = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 3
    assert b"another copy of the bot" in err

    await proc.kill()  # kill -9 in the middle of the report
    server.calls.clear()
    await proc.start()
    await _polling(server)

    # The half-filled report resumes at the photo step.
    last = last_id(server, alice.id)
    alice.send_photo("heater.jpg")
    added = await server.wait_for_message(alice.id, "Photo 1/3", after=last)
    summary = await press_and_wait(server, alice, added, "Done", "Please check your report")
    assert "Water heater leaking" in summary.plain and "Photos: 1" in summary.plain
    await press_and_wait(server, alice, summary, "Confirm", "Saved as")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    assert card.photo == "heater.jpg"


async def test_no_token_starts_the_sandbox_in_one_line(tmp_path: Path) -> None:
    data = community_data(tmp_path / "bot.sqlite3")
    del data["telegram"]["token"]
    config = tmp_path / "config.toml"
    config.write_text(to_toml(data), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT__")}
    port = _free_port()
    child = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "--config", str(config), "--port", str(port)),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = (await asyncio.wait_for(child.stdout.readline(), 30)).decode()
        assert "No bot token" in line and "BOT__TELEGRAM__TOKEN" in line, line
        assert f"open http://127.0.0.1:{port}/" in line
        # Its own database, beside the configured one; the configured one is not touched.
        assert str(tmp_path / "sandbox.sqlite3") in line
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert b"200 OK" in answer.split(b"\r\n")[0] and b"Community bot sandbox" in answer
        assert not (tmp_path / "bot.sqlite3").exists()
    finally:
        child.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in out + err


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_wrong_config_names_the_field(tmp_path: Path) -> None:
    data = community_data(tmp_path / "bot.sqlite3")
    data["community"]["timezone"] = "Mars/Olympus"
    config = tmp_path / "config.toml"
    config.write_text(to_toml(data), encoding="utf-8")
    child = await BotProcess(config, dict(os.environ)).start()
    _, err = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode == 2
    assert "community.timezone" in err.decode() and "Mars/Olympus" in err.decode()
    assert b"Traceback" not in err
