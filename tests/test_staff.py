"""Staff tools below Telegram: invite states and the race for a single-use link, the sync
leaving runtime bindings and roles standing, and which command menus each person gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import menus
from bot.directory import Directory, Grid, load, sync
from bot.kinds import final_everywhere
from bot.settings import Settings
from storage import clock
from storage import directory as directory_store
from storage import staff as store
from storage.db import Database
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, community_data

NEWBIE, OTHER = 5001, 5002
NEW_GROUP = -100777


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


async def _sync(db: Database, settings: Settings) -> Directory:
    async with db.transaction() as conn:
        await sync(conn, settings, final_everywhere())
        return await load(conn)


async def test_a_single_use_invite_is_used_once_and_then_grants_nothing(db: Database) -> None:
    now = clock.now()
    async with db.transaction() as conn:
        invite = await store.add_invite(
            conn, "inv-0123456789abcdef", "worker", "A", 1, ADMIN, now + timedelta(days=7)
        )
        assert invite.state(now) == "live"
        assert invite.state(now + timedelta(days=7)) == "expired"
        # Only someone who opened it may use it; of two who did, the first wins.
        assert not await store.use_invite(conn, invite.id, NEWBIE, now)
        await store.opened(conn, invite.id, NEWBIE)
        await store.opened(conn, invite.id, OTHER)
        assert await store.use_invite(conn, invite.id, NEWBIE, now)
        assert not await store.use_invite(conn, invite.id, NEWBIE, now)
        assert not await store.use_invite(conn, invite.id, OTHER, now)
        used = await store.invite_by_id(conn, invite.id)
        assert used is not None and used.state(now) == "used" and used.uses == 1
        assert await store.live_invites(conn, now) == []
        many = await store.add_invite(
            conn, "inv-fedcba9876543210", "volunteer", "", None, ADMIN, now + timedelta(days=1)
        )
        assert await store.revoke_invite(conn, many.id, ADMIN)
        assert not await store.revoke_invite(conn, many.id, ADMIN)
        revoked = await store.invite_by_code(conn, "inv-fedcba9876543210")
        assert revoked is not None and revoked.state(now) == "revoked"


async def test_bindings_and_roles_made_at_runtime_stand_until_the_file_changes_them(
    db: Database, tmp_path: Path
) -> None:
    await _sync(db, _settings(tmp_path))
    async with db.transaction() as conn:
        await store.bind_grid(conn, "A", NEW_GROUP, ADMIN)
        await directory_store.grant(conn, NEWBIE, "worker", "B", "invite", ADMIN)
        worker = next(r for r in await store.roster(conn) if r.user_id == WORKER_A1)
        assert await store.remove_role(conn, worker.ref, WORKER_A1)

    # The file changed grid A's name only: the bound group and the roles stand.
    def rename(data: dict[str, Any]) -> None:
        data["grids"][0]["name"] = "Grid A (north)"

    directory = await _sync(db, _settings(tmp_path, rename))
    grid_a = directory.grid("A")
    grid_b = directory.grid("B")
    assert grid_a is not None and grid_a.name == "Grid A (north)"
    assert grid_a.group_chat_id == NEW_GROUP and WORKER_A1 not in grid_a.workers
    assert grid_b is not None and NEWBIE in grid_b.workers

    # The file changes grid A's group itself: the file wins.
    def regroup(data: dict[str, Any]) -> None:
        rename(data)
        data["grids"][0]["group_chat_id"] = -100999

    grid_a = (await _sync(db, _settings(tmp_path, regroup))).grid("A")
    assert grid_a is not None and grid_a.group_chat_id == -100999


def test_menus_by_role_scope_and_language() -> None:
    grid = Grid("A", "Grid A", GROUP_A, (WORKER_A1,), ("1",))
    directory = Directory(grids=(grid,), admins=frozenset({ADMIN}))
    general = {(str(m.scope), m.language): m.commands for m in menus.general("zh")}
    assert [c for c, _ in general[("{'type': 'all_group_chats'}", "en")]] == ["help"]
    assert general[("{'type': 'all_private_chats'}", None)][0] == ("report", "报修")
    admin = menus.personal(directory, ADMIN, "en")
    assert [m.scope for m in admin] == [
        {"type": "chat", "chat_id": ADMIN},
        {"type": "chat_member", "chat_id": GROUP_A, "user_id": ADMIN},
    ]
    assert [c for c, _ in admin[0].commands][:4] == ["queue", "invite", "invites", "staff"]
    worker = menus.personal(directory, WORKER_A1, "en")
    assert len(worker) == 1 and worker[0].commands[0][0] == "queue"
    # A resident has no menu of their own; one whose role was just taken loses theirs.
    gone = menus.personal(directory, NEWBIE, "en", changed=True)
    assert all(m.commands == () for m in gone) and len(gone) == 2
