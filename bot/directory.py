"""The directory: grids, buildings, categories, staff and the admin chat, as plain values.

The database holds it; the config file seeds it and keeps it in step through `sync`, which
applies what the file changed since it was last applied (so a change made at runtime stands
until the file changes that same thing), logs every change and refuses to drop a building or
grid that still has open requests. The rest of the bot reads one `Directory` snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.domain import PSEUDO_SENDERS
from bot.events import Series
from bot.settings import Settings
from storage import directory as store
from storage import events as events_store
from storage import volunteers
from storage.db import Database

log = logging.getLogger(__name__)

ADMIN = "admin"
WORKER = "worker"
VOLUNTEER = "volunteer"
CONFIG = "config"  # the source of what the config file's sync wrote
ADMIN_CHAT = "admin"
ECHO_CHAT = "echo"  # the echo wall
WALL_CHAT = "wall"  # the wish wall
REPAIR = "repair"  # the kind of the config file's [[categories]]
WISH = "wish"  # the kind of its [wishes] kinds


@dataclass(frozen=True)
class Grid:
    id: str
    name: str
    group_chat_id: int | None
    workers: tuple[int, ...]
    buildings: tuple[str, ...]  # active ones, in the order they were added
    active: bool = True


@dataclass(frozen=True)
class Building:
    id: int
    name: str
    grid: str
    active: bool


@dataclass(frozen=True)
class Category:
    id: int
    kind: str
    key: str
    name_zh: str
    name_en: str
    claim_hours: float | None
    resolve_hours: float | None
    points: int = 0  # what a fulfilled request of the category earns its volunteer
    active: bool = True

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Staff:
    """What a member of staff is: an admin, a worker of some grids, or both."""

    admin: bool
    grids: tuple[Grid, ...]


@dataclass(frozen=True)
class Directory:
    grids: tuple[Grid, ...] = ()  # every grid, retired ones too (old requests name them)
    buildings: tuple[Building, ...] = ()  # every building, retired ones too
    categories: tuple[Category, ...] = ()
    admins: frozenset[int] = frozenset()
    admin_chat_id: int | None = None
    volunteers: frozenset[int] = frozenset()
    wall_chat_id: int | None = None
    echo_chat_id: int | None = None
    events: tuple[Series, ...] = ()

    def grid(self, key: str) -> Grid | None:
        return next((g for g in self.grids if g.id == key), None)

    @property
    def active_grids(self) -> list[Grid]:
        return [g for g in self.grids if g.active]

    @property
    def active_buildings(self) -> list[Building]:
        return [b for b in self.buildings if b.active]

    def building(self, building_id: int) -> Building | None:
        """The building a button names, if it is still in use."""
        found = next((b for b in self.buildings if b.id == building_id), None)
        return found if found is not None and found.active else None

    def building_named(self, name: str) -> Building | None:
        return next((b for b in self.buildings if b.name == name and b.active), None)

    def building_grid(self, name: str) -> Grid | None:
        """The grid that serves an active building now."""
        building = self.building_named(name)
        return self.grid(building.grid) if building else None

    def category(self, kind: str, key: str) -> Category | None:
        """A category by its key, retired or not (old requests name it)."""
        return next((c for c in self.categories if c.kind == kind and c.key == key), None)

    def category_by_id(self, category_id: int) -> Category | None:
        found = next((c for c in self.categories if c.id == category_id), None)
        return found if found is not None and found.active else None

    def categories_of(self, kind: str) -> list[Category]:
        return [c for c in self.categories if c.kind == kind and c.active]

    def staff(self, user_id: int) -> Staff | None:
        """The person's staff role, or None for a resident."""
        if user_id in PSEUDO_SENDERS:
            return None
        mine = tuple(g for g in self.active_grids if user_id in g.workers)
        if not mine and user_id not in self.admins:
            return None
        return Staff(user_id in self.admins, mine)

    def is_volunteer(self, user_id: int) -> bool:
        return user_id in self.volunteers and user_id not in PSEUDO_SENDERS

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admins and user_id not in PSEUDO_SENDERS

    def works_in(self, user_id: int, grid_key: str) -> bool:
        """A worker of the grid, or an admin."""
        if user_id in PSEUDO_SENDERS:
            return False
        grid = self.grid(grid_key)
        return self.is_admin(user_id) or (grid is not None and user_id in grid.workers)

    def grid_of_chat(self, chat_id: int, migrations: dict[int, int]) -> Grid | None:
        for grid in self.active_grids:
            group = grid.group_chat_id
            if group is not None and chat_id in (group, migrations.get(group)):
                return grid
        return None


async def load(conn: aiosqlite.Connection) -> Directory:
    roles = await store.roles(conn)
    buildings = tuple(
        Building(r["id"], r["name"], r["grid_key"], bool(r["active"]))
        for r in await store.buildings(conn)
    )
    grids = tuple(
        Grid(
            id=r["key"],
            name=r["name"],
            group_chat_id=r["group_chat_id"],
            workers=tuple(
                x["user_id"] for x in roles if x["role"] == WORKER and x["grid_key"] == r["key"]
            ),
            buildings=tuple(b.name for b in buildings if b.grid == r["key"] and b.active),
            active=bool(r["active"]),
        )
        for r in await store.grids(conn)
    )
    categories = tuple(
        Category(
            id=r["id"],
            kind=r["kind"],
            key=r["key"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            claim_hours=r["claim_hours"],
            resolve_hours=r["resolve_hours"],
            points=r["points"],
            active=bool(r["active"]),
        )
        for r in await store.categories(conn)
    )
    chats = await store.chats(conn)
    return Directory(
        grids=grids,
        buildings=buildings,
        categories=categories,
        admins=frozenset(x["user_id"] for x in roles if x["role"] == ADMIN),
        admin_chat_id=chats.get(ADMIN_CHAT),
        volunteers=frozenset(x["user_id"] for x in roles if x["role"] == VOLUNTEER),
        wall_chat_id=chats.get(WALL_CHAT),
        echo_chat_id=chats.get(ECHO_CHAT),
        events=tuple(
            Series(
                id=r["id"],
                key=r["key"],
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                place=r["place"],
                description=r["description"],
                rule=r["rule"],
                at_time=r["at_time"],
                audience=r["audience"],
                capacity=r["capacity"],
            )
            for r in await events_store.series(conn)
        ),
    )


class DirectoryBook:
    """The current directory, read once and again after each change."""

    def __init__(self, db: Database, current: Directory) -> None:
        self._db = db
        self.current = current

    @classmethod
    async def open(cls, db: Database) -> DirectoryBook:
        async with db.read() as conn:
            return cls(db, await load(conn))

    async def reload(self) -> Directory:
        async with self._db.read() as conn:
            self.current = await load(conn)
        return self.current


# --- keeping the directory in step with the config file --------------------------------


@dataclass(frozen=True)
class Refusal:
    """A removal the sync would not make: what, and the open requests (kind, seq) keeping it."""

    what: str  # "building" | "grid"
    name: str
    open_requests: tuple[tuple[str, int], ...]


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def config_snapshot(settings: Settings) -> dict[str, Any]:
    """The directory the config file describes, in the shape the sync compares."""
    return {
        "grids": {
            g.id: {"name": g.name, "group_chat_id": g.group_chat_id} for g in settings.grids
        },
        "buildings": {b: g.id for g in settings.grids for b in g.buildings},
        "workers": sorted(f"{w}@{g.id}" for g in settings.grids for w in g.workers),
        "admins": sorted(settings.admins),
        "categories": {
            c.id: {
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "claim_hours": c.claim_hours,
                "resolve_hours": c.resolve_hours,
            }
            for c in settings.categories
        },
        "admin_chat_id": settings.admin_chat_id,
        "wish_kinds": {
            k.id: {"name_zh": k.name_zh, "name_en": k.name_en, "points": k.points}
            for k in settings.wishes.kinds
        },
        "volunteers": {
            str(v.id): {"name": v.name, "affiliation": v.affiliation} for v in settings.volunteers
        },
        "wall_chat_id": settings.wishes.wall_chat_id,
        "echo_chat_id": settings.echo_wall_chat_id,
        "events": {e.id: e.model_dump(exclude={"id"}) for e in settings.events},
    }


EMPTY: dict[str, Any] = {
    "grids": {},
    "buildings": {},
    "workers": [],
    "admins": [],
    "categories": {},
    "admin_chat_id": None,
    "wish_kinds": {},
    "volunteers": {},
    "wall_chat_id": None,
    "echo_chat_id": None,
    "events": {},
}


async def sync(conn: aiosqlite.Connection, settings: Settings, final: Iterable[str]) -> SyncReport:
    """Apply what the config file changed since it was last applied; call in a transaction.

    Adding and changing is applied. A building or grid removed from the file is retired, unless
    it has open requests (a status not in `final`): then it stays, the refusal is reported, and
    the next sync tries again. Every change is logged and written to directory_log.
    """
    final = tuple(final)
    report = SyncReport()
    # A snapshot from an older release lacks what was added since: it counts as empty.
    before = {**EMPTY, **(await store.applied_config(conn) or {})}
    wanted = config_snapshot(settings)
    kept: dict[str, Any] = {key: _copy(value) for key, value in wanted.items()}

    async def change(text: str) -> None:
        report.changes.append(text)
        log.info("directory: %s", text)
        await store.log_change(conn, text, None, CONFIG)

    for key, grid in wanted["grids"].items():
        old = before["grids"].get(key)
        if old != grid:
            group = grid["group_chat_id"]
            if old is not None and old["group_chat_id"] == group:
                # Only the name changed: a group bound at runtime (/bind) stands.
                group = await store.grid_group(conn, key)
            await store.put_grid(conn, key, grid["name"], group, None)
            await change(f"grid {key} ({grid['name']}) {'changed' if old else 'added'}")
    for name, grid_key in wanted["buildings"].items():
        old = before["buildings"].get(name)
        if old != grid_key:
            await store.put_building(conn, name, grid_key, None)
            await change(
                f"building {name} moved from grid {old} to grid {grid_key}"
                if old
                else f"building {name} added to grid {grid_key}"
            )
    for name in before["buildings"].keys() - wanted["buildings"].keys():
        still = await store.open_requests(conn, "building", name, final)
        if still:
            kept["buildings"][name] = before["buildings"][name]
            report.refused.append(
                Refusal("building", name, tuple((r["kind"], r["seq"]) for r in still))
            )
            continue
        await store.retire_building(conn, name, None)
        await change(f"building {name} removed")
    for key in before["grids"].keys() - wanted["grids"].keys():
        still = await store.open_requests(conn, "grid_id", key, final)
        if still or key in kept["buildings"].values():
            kept["grids"][key] = before["grids"][key]
            report.refused.append(
                Refusal("grid", key, tuple((r["kind"], r["seq"]) for r in still))
            )
            continue
        await store.retire_grid(conn, key, None)
        await change(f"grid {key} removed")
    await _sync_roles(conn, before["workers"], wanted["workers"], WORKER, change)
    await _sync_roles(
        conn,
        [f"{a}@" for a in before["admins"]],
        [f"{a}@" for a in wanted["admins"]],
        ADMIN,
        change,
    )
    await _sync_categories(conn, before["categories"], wanted["categories"], REPAIR, change)
    if before["admin_chat_id"] != wanted["admin_chat_id"]:
        await store.put_chat(conn, ADMIN_CHAT, wanted["admin_chat_id"], None)
        await change(f"admin chat set to {wanted['admin_chat_id']}")
    await _sync_categories(conn, before["wish_kinds"], wanted["wish_kinds"], WISH, change)
    for user, fields in wanted["volunteers"].items():
        if before["volunteers"].get(user) != fields:
            await volunteers.put(conn, int(user), fields["name"], fields["affiliation"], None)
    await _sync_roles(
        conn,
        [f"{v}@" for v in before["volunteers"]],
        [f"{v}@" for v in wanted["volunteers"]],
        VOLUNTEER,
        change,
    )
    if before["wall_chat_id"] != wanted["wall_chat_id"]:
        await store.put_chat(conn, WALL_CHAT, wanted["wall_chat_id"], None)
        await change(f"wish wall set to {wanted['wall_chat_id']}")
    for key, fields in wanted["events"].items():
        old = before["events"].get(key)
        if old != fields:
            await events_store.put(conn, key, fields, None)
            await change(f"event {key} ({fields['name_en']}) {'changed' if old else 'added'}")
    for key in before["events"].keys() - wanted["events"].keys():
        await events_store.retire(conn, key, None)
        await change(f"event {key} removed")
    if before["echo_chat_id"] != wanted["echo_chat_id"]:
        await store.put_chat(conn, ECHO_CHAT, wanted["echo_chat_id"], None)
        await change(f"echo wall set to {wanted['echo_chat_id']}")
    for refusal in report.refused:
        log.warning("directory: %s", describe_refusal(refusal))
        await store.log_change(conn, f"refused: {describe_refusal(refusal)}", None, CONFIG)
    await store.save_applied_config(conn, kept)
    return report


async def _sync_categories(
    conn: aiosqlite.Connection,
    before: dict[str, Any],
    wanted: dict[str, Any],
    kind: str,
    change: Any,
) -> None:
    """Categories of a kind: added or changed as the file says; one it dropped is retired (its
    old requests still name it)."""
    label = "category" if kind == REPAIR else f"{kind} kind"
    for key, fields in wanted.items():
        old = before.get(key)
        if old != fields:
            await store.put_category(conn, kind, key, fields, None)
            await change(f"{label} {key} ({fields['name_en']}) {'changed' if old else 'added'}")
    for key in before.keys() - wanted.keys():
        await store.retire_category(conn, kind, key, None)
        await change(f"{label} {key} removed")


async def _sync_roles(
    conn: aiosqlite.Connection, before: list[str], wanted: list[str], role: str, change: Any
) -> None:
    """Roles written as "<user>@<grid>": grant the new ones, revoke those the file dropped (only
    if the file granted them: a role given at runtime is not the file's to take)."""
    for entry in sorted(set(wanted) - set(before)):
        user, grid = entry.split("@")
        if await store.grant(conn, int(user), role, grid, CONFIG, None):
            await change(f"{role} {user} added" + (f" to grid {grid}" if grid else ""))
    for entry in sorted(set(before) - set(wanted)):
        user, grid = entry.split("@")
        if await store.revoke(conn, int(user), role, grid, CONFIG):
            await change(f"{role} {user} removed" + (f" from grid {grid}" if grid else ""))


async def sync_with_config(db: Database, settings: Settings) -> SyncReport:
    """Run the sync in one transaction; the admin chat is told of each refused removal."""
    from bot.i18n import t
    from bot.kinds import final_everywhere, number
    from bot.messages import Outgoing, enqueue

    async with db.transaction() as conn:
        report = await sync(conn, settings, final_everywhere())
        admin_chat = (await store.chats(conn)).get(ADMIN_CHAT)
        lang = settings.community.group_language
        for refusal in report.refused:
            if admin_chat is None:
                break
            numbers = ", ".join(number(k, s) for k, s in refusal.open_requests[:10]) or "—"
            key = f"directory.refused_{refusal.what}"
            await enqueue(
                conn, Outgoing(admin_chat, t(lang, key, name=refusal.name, numbers=numbers))
            )
    return report


def describe_refusal(refusal: Refusal) -> str:
    from bot.kinds import number  # the policies know how a request's number reads

    numbers = ", ".join(number(kind, seq) for kind, seq in refusal.open_requests[:10])
    if refusal.what == "grid" and not refusal.open_requests:
        return (
            f"grid {refusal.name} was removed from the config file but still has buildings "
            "that cannot be removed; it stays"
        )
    return (
        f"{refusal.what} {refusal.name} was removed from the config file but has open "
        f"requests ({numbers}); it stays until they are closed"
    )


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return list(value)
    return value
