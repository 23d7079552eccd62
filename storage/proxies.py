"""Residents without Telegram, as a worker typed them when filing for them (代办)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.db import fetch_one, now_iso


@dataclass(frozen=True)
class OfflineResident:
    name: str
    phone: str | None
    building: str
    unit: str
    id: int = 0


def _resident(row: aiosqlite.Row) -> OfflineResident:
    return OfflineResident(row["name"], row["phone"], row["building"], row["unit"], row["id"])


async def find_or_add(
    conn: aiosqlite.Connection, resident: OfflineResident, added_by: int
) -> OfflineResident:
    """The row of this resident (the same name, phone, building and unit are the same person):
    their requests count as one resident's."""
    row = await fetch_one(
        conn,
        "SELECT * FROM offline_residents WHERE name = ? AND phone IS ? AND building = ? "
        "AND unit = ? ORDER BY id LIMIT 1",
        (resident.name, resident.phone, resident.building, resident.unit),
    )
    if row is not None:
        return _resident(row)
    cur = await conn.execute(
        "INSERT INTO offline_residents (name, phone, building, unit, added_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (resident.name, resident.phone, resident.building, resident.unit, added_by, now_iso()),
    )
    assert cur.lastrowid is not None
    found = await get(conn, cur.lastrowid)
    assert found is not None
    return found


async def get(conn: aiosqlite.Connection, resident_id: int) -> OfflineResident | None:
    row = await fetch_one(conn, "SELECT * FROM offline_residents WHERE id = ?", (resident_id,))
    return _resident(row) if row else None


@dataclass(frozen=True)
class RequestResident:
    """Who a request is for, whoever filed it (the view request_residents)."""

    request_id: int
    resident_key: str  # 'u<telegram id>' or 'o<offline resident id>'
    name: str | None
    phone: str | None
    building: str | None
    unit: str | None
    filed_by: int | None
    proxied: bool


async def resident_of(conn: aiosqlite.Connection, request_id: int) -> RequestResident | None:
    row = await fetch_one(
        conn, "SELECT * FROM request_residents WHERE request_id = ?", (request_id,)
    )
    if row is None:
        return None
    return RequestResident(
        row["request_id"],
        row["resident_key"],
        row["name"],
        row["phone"],
        row["building"],
        row["unit"],
        row["filed_by"],
        bool(row["proxied"]),
    )
