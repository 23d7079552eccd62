"""A backup restored with `python -m bot restore FILE` brings the bot back as it was: the
resident's requests listed, a worker able to claim; a file that is not our database, and a bot
that still runs, are refused and change nothing."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

import bot.__main__ as entry
from bot.backups import Backups
from bot.lock import InstanceLock
from bot.settings import Settings
from tests.conftest import GROUP_A, WORKER_A1, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import file_report, register, say_and_wait

ALICE, BOB = 1001, 1002


def _restore(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path, file: Path
) -> int:
    """`python -m bot --config config.toml restore FILE`, with the test's settings."""
    config = tmp_path / "config.toml"
    config.write_text("# the settings come from the test\n")
    monkeypatch.setattr(entry, "load_settings", lambda path: settings)
    return entry.main(["--config", str(config), "restore", str(file)])


async def test_a_restored_backup_serves_the_same_requests(
    server: FakeBotApi,
    bot: RunningBot,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    worker = server.user(WORKER_A1, "Wang A1")
    await register(server, alice, "1", "2-301")
    await file_report(server, alice, "Plumbing", "1", "No water since morning")
    card = await server.wait_for_message(GROUP_A, "R-0001")
    await server.wait_idle(0.5)  # the card's message id is recorded
    made = await Backups(bot.services.db, settings).take(date(2026, 12, 1))
    assert made.ok, made.error
    backup = Path(made.file)

    # More happens after the backup: another request, another resident.
    await file_report(server, alice, "Lights", "2", "The stairwell light is out")
    await register(server, bob, "3", "1-101")
    mine = await say_and_wait(server, alice, "/my", "R-0002")
    assert mine.contains("R-0001")

    # While the bot runs (holding its lock, as `python -m bot` does), restore refuses.
    database = settings.database.path
    lock = InstanceLock(database)
    lock.acquire()
    before = database.read_bytes()
    assert _restore(monkeypatch, settings, tmp_path, backup) == 3
    assert "Stop it first" in capsys.readouterr().err
    assert database.read_bytes() == before
    await bot.stop()
    lock.release()

    assert _restore(monkeypatch, settings, tmp_path, backup) == 0
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"Restored {database} from {backup}")
    assert "1 request, the newest filed" in said[0]
    kept = [p for p in database.parent.iterdir() if p.name.startswith("bot.sqlite3.before-")]
    assert kept and f"kept as {kept[0]}" in said[0]
    assert stat.S_IMODE(database.stat().st_mode) == 0o600

    await bot.start()
    mine = await say_and_wait(server, alice, "/my", "R-0001")
    assert not mine.contains("R-0002")  # filed after the backup
    answer = await server.wait_for_answer(worker.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed R-0001")
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1")
    assert len([m for m in server.messages(GROUP_A) if m.contains("R-0001")]) == 1
    # Bob registered after the backup: the bot asks him again, as a newcomer.
    await say_and_wait(server, bob, "/start", "building")


async def test_restore_refuses_a_file_that_is_not_our_database(
    server: FakeBotApi,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    running = RunningBot(settings)
    await running.start()
    await running.stop()
    database = settings.database.path
    before = database.read_bytes()
    junk = tmp_path / "notes.sqlite3"
    junk.write_text("not a database at all")
    assert _restore(monkeypatch, settings, tmp_path, junk) == 2
    assert "not an SQLite database" in capsys.readouterr().err

    import sqlite3

    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert _restore(monkeypatch, settings, tmp_path, other) == 2
    assert "not one of this bot" in capsys.readouterr().err
    assert _restore(monkeypatch, settings, tmp_path, tmp_path / "missing.sqlite3") == 2
    capsys.readouterr()
    assert database.read_bytes() == before
    assert not [p for p in database.parent.iterdir() if ".before-restore-" in p.name]
