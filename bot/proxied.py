"""Requests filed for a resident without Telegram (代办): the filing worker gets the resident's
news, each marked with whom it is for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiosqlite

from bot.i18n import t
from storage import proxies
from storage.proxies import OfflineResident
from storage.requests import Request


def resident_of(data: Mapping[str, Any]) -> OfflineResident | None:
    """The resident a worker files for, as the /proxy wizard left them in the wizard's data."""
    found = data.get("proxy")
    return OfflineResident(**found) if found else None


def for_resident(lang: str, data: Mapping[str, Any]) -> str:
    """The line a wizard's summary starts with when a worker files for a resident."""
    found = data.get("proxy")
    return t(lang, "proxy.for", name=found["name"]) + "\n" if found else ""


async def for_whom(conn: aiosqlite.Connection, request: Request, person: int, lang: str) -> str:
    """The line that starts a resident's news when `person` receives it for them: "👤 For
    <name>"; empty for the resident's own news."""
    if request.resident_id is None or person != request.reporter_id:
        return ""
    resident = await proxies.get(conn, request.resident_id)
    return t(lang, "proxy.for", name=resident.name) + "\n" if resident else ""
