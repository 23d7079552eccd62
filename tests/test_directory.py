"""The directory sync: the config file seeds the database and is kept in step with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.directory import Directory, load, sync
from bot.kinds import final_everywhere
from bot.settings import Settings
from storage import directory as store
from storage.db import Database
from storage.requests import NewRequest, insert
from tests.conftest import ADMIN, ADMIN_CHAT, GROUP_A, WORKER_A1, WORKER_A2, community_data


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "d.sqlite3")
    try:
        yield database
    finally:
        await database.close()


def _settings(tmp_path: Path, change: Any = None) -> Settings:
    data = community_data(tmp_path / "d.sqlite3")
    if change is not None:
        change(data)
    return Settings(**data)


async def _sync(db: Database, settings: Settings) -> tuple[list[str], list[str], Directory]:
    async with db.transaction() as conn:
        report = await sync(conn, settings, final_everywhere())
        directory = await load(conn)
    return report.changes, [f"{r.what} {r.name}" for r in report.refused], directory


async def test_the_first_start_copies_the_config_file(db: Database, tmp_path: Path) -> None:
    changes, refused, directory = await _sync(db, _settings(tmp_path))
    assert refused == []
    assert "grid A (Grid A) added" in changes and "building 1 added to grid A" in changes
    assert f"worker {WORKER_A1} added to grid A" in changes and f"admin {ADMIN} added" in changes
    assert [g.id for g in directory.active_grids] == ["A", "B", "C", "D"]
    grid_a = directory.grid("A")
    assert grid_a is not None and grid_a.group_chat_id == GROUP_A
    assert grid_a.workers == (WORKER_A1, WORKER_A2) and grid_a.buildings == ("1", "2")
    assert [b.name for b in directory.active_buildings] == ["1", "2", "3", "4", "5"]
    assert [c.key for c in directory.categories_of("repair")] == ["water", "light"]
    assert directory.admins == {ADMIN} and directory.admin_chat_id == ADMIN_CHAT
    # Nothing changed: nothing is applied again.
    again, _, same = await _sync(db, _settings(tmp_path))
    assert again == [] and same == directory
    async with db.read() as conn:
        log = await store.changes(conn)
    assert len(log) == len(changes) and all(r["source"] == "config" and r["at"] for r in log)


async def test_ids_stay_with_their_building_and_category(db: Database, tmp_path: Path) -> None:
    _, _, before = await _sync(db, _settings(tmp_path))

    def reorder(data: dict[str, Any]) -> None:
        data["grids"][0]["buildings"] = ["0", "2", "1"]
        data["categories"].reverse()
        data["categories"][0]["claim_hours"] = 8

    changes, _, after = await _sync(db, _settings(tmp_path, reorder))
    assert changes == ["building 0 added to grid A", "category light (Lights) changed"]
    for name in ("1", "2", "3"):
        old, new = before.building_named(name), after.building_named(name)
        assert old is not None and new is not None and old.id == new.id
    water = before.category("repair", "water")
    light = after.category("repair", "light")
    assert water is not None and after.category_by_id(water.id) == water
    assert light is not None and light.claim_hours == 8


async def test_a_building_moves_to_another_grid(db: Database, tmp_path: Path) -> None:
    await _sync(db, _settings(tmp_path))

    def move(data: dict[str, Any]) -> None:
        data["grids"][0]["buildings"] = ["1"]
        data["grids"][1]["buildings"] = ["3", "2"]

    changes, _, directory = await _sync(db, _settings(tmp_path, move))
    assert changes == ["building 2 moved from grid A to grid B"]
    grid = directory.building_grid("2")
    assert grid is not None and grid.id == "B"


async def test_removals_with_open_requests_are_refused_until_closed(
    db: Database, tmp_path: Path
) -> None:
    await _sync(db, _settings(tmp_path))
    async with db.transaction() as conn:
        request = await insert(
            conn,
            NewRequest("repair", "water", "Leak", "2", None, (), 1001, None, "A", "open", None),
        )

    def drop(data: dict[str, Any]) -> None:
        data["grids"][0]["buildings"] = ["1"]
        data["grids"] = [g for g in data["grids"] if g["id"] not in ("D",)]
        data["categories"] = data["categories"][:1]

    changes, refused, directory = await _sync(db, _settings(tmp_path, drop))
    assert refused == ["building 2"]
    assert "grid D removed" in changes and "building 5 removed" in changes
    assert "category light removed" in changes
    assert directory.building_named("2") is not None and directory.building_named("5") is None
    assert directory.categories_of("repair")[0].key == "water"
    assert directory.category("repair", "light") is not None  # old requests still name it
    # Tried again at every sync while the request is open; applied once it is closed.
    _, refused, _ = await _sync(db, _settings(tmp_path, drop))
    assert refused == ["building 2"]
    async with db.transaction() as conn:
        await conn.execute("UPDATE requests SET status = 'closed' WHERE id = ?", (request.id,))
    changes, refused, directory = await _sync(db, _settings(tmp_path, drop))
    assert refused == [] and changes == ["building 2 removed"]
    assert directory.building_named("2") is None


async def test_the_sync_removes_only_roles_the_file_granted(db: Database, tmp_path: Path) -> None:
    await _sync(db, _settings(tmp_path))
    async with db.transaction() as conn:
        # Granted at runtime (an invite, later): not the file's to take.
        await store.grant(conn, 555, "worker", "A", "invite", ADMIN)

    def fewer(data: dict[str, Any]) -> None:
        data["grids"][0]["workers"] = [WORKER_A2]
        data["admins"] = []

    changes, _, directory = await _sync(db, _settings(tmp_path, fewer))
    assert f"worker {WORKER_A1} removed from grid A" in changes
    assert f"admin {ADMIN} removed" in changes
    grid = directory.grid("A")
    assert grid is not None and set(grid.workers) == {WORKER_A2, 555}
    assert directory.staff(WORKER_A1) is None and not directory.admins


async def test_a_runtime_change_stands_until_the_file_changes_it(
    db: Database, tmp_path: Path
) -> None:
    await _sync(db, _settings(tmp_path))
    async with db.transaction() as conn:
        await store.put_grid(conn, "A", "Grid A", -100777, ADMIN)  # bound by command, later
    _, _, directory = await _sync(db, _settings(tmp_path))
    grid = directory.grid("A")
    assert grid is not None and grid.group_chat_id == -100777

    def rebind(data: dict[str, Any]) -> None:
        data["grids"][0]["group_chat_id"] = -100888

    _, _, directory = await _sync(db, _settings(tmp_path, rebind))
    grid = directory.grid("A")
    assert grid is not None and grid.group_chat_id == -100888


def test_python_m_bot_sync_applies_the_file_and_prints_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    config = tmp_path / "config.toml"
    db_path = (tmp_path / "c.sqlite3").as_posix()
    config.write_text(
        f'[database]\npath = "{db_path}"\n\n'
        '[[grids]]\nid = "A"\nname = "Grid A"\nbuildings = ["1", "2"]\nworkers = [201]\n\n'
        '[[categories]]\nid = "water"\nname_zh = "水管"\nname_en = "Plumbing"\n'
        "claim_hours = 2\nresolve_hours = 24\n",
        "utf-8",
    )
    assert main(["--config", str(config), "sync"]) == 0  # no token needed to sync
    out = capsys.readouterr().out
    assert "applied: building 2 added to grid A" in out and "applied: worker 201" in out
    assert main(["--config", str(config), "sync"]) == 0
    assert "already matches the config file" in capsys.readouterr().out
