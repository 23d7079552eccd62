"""The figures a service center reports upward (台账), read straight from the events and the
points ledger: nothing is counted twice or kept twice."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo

import aiosqlite

from storage.db import fetch_all, fetch_one, iso, parse_iso

# Event actions that mark a wish's steps, and the name each is counted under.
WISH_STEPS = {
    "filed": "received",
    "publish": "published",
    "claim": "claimed",
    "fulfil": "fulfilled",
}


@dataclass(frozen=True)
class WishFigures:
    # kind of wish -> step -> how many wishes took that step in the period
    by_kind: dict[str, dict[str, int]]
    # "YYYY-MM" (local time) -> step -> how many
    by_month: dict[str, dict[str, int]]
    volunteers_registered: int  # approved, at the end of the period
    volunteers_active: int  # who took at least one wish in the period
    points_earned: int  # for wishes and awarded
    points_redeemed: int


async def wish_figures(
    conn: aiosqlite.Connection, since: datetime, until: datetime, tz: tzinfo
) -> WishFigures:
    """Wishes received, published, claimed and fulfilled by kind and by month, volunteers and
    points, for events in [since, until). A wish claimed twice (given back between) counts
    once."""
    marks = ",".join("?" * len(WISH_STEPS))
    rows = await fetch_all(
        conn,
        "SELECT e.action, e.at, e.actor_id, e.request_id, r.category FROM events e "
        f"JOIN requests r ON r.id = e.request_id WHERE r.kind = 'wish' AND e.action IN ({marks}) "
        "AND e.at >= ? AND e.at < ? ORDER BY e.id",
        (*WISH_STEPS, iso(since), iso(until)),
    )
    seen: set[tuple[str, int]] = set()
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(WISH_STEPS.values(), 0))
    by_month: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(WISH_STEPS.values(), 0)
    )
    active: set[int] = set()
    for row in rows:
        step = WISH_STEPS[row["action"]]
        if (step, row["request_id"]) in seen:
            continue
        seen.add((step, row["request_id"]))
        month = parse_iso(row["at"]).astimezone(tz).strftime("%Y-%m")
        by_kind[row["category"]][step] += 1
        by_month[month][step] += 1
        if step == "claimed" and row["actor_id"] is not None:
            active.add(row["actor_id"])
    registered = (
        await fetch_one(
            conn,
            "SELECT COUNT(*) FROM volunteers WHERE status = 'approved' AND applied_at < ?",
            (iso(until),),
        )
        or [0]
    )[0]
    earned, redeemed = await fetch_one(
        conn,
        "SELECT COALESCE(SUM(CASE WHEN delta > 0 THEN delta END), 0), "
        "COALESCE(SUM(CASE WHEN reason = 'redeem' THEN -delta END), 0) "
        "FROM points WHERE at >= ? AND at < ?",
        (iso(since), iso(until)),
    ) or (0, 0)
    return WishFigures(
        dict(by_kind), dict(sorted(by_month.items())), registered, len(active), earned, redeemed
    )
