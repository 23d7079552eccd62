"""Keeping the database small and its statistics fresh: sent messages pruned, PRAGMA optimize."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.settings import Settings
from storage import clock, outbox
from storage.db import Database

log = logging.getLogger(__name__)

# Rows deleted per transaction: short transactions, so updates never wait long for the lock.
PRUNE_BATCH = 2000


async def prune_sent(db: Database, settings: Settings) -> int:
    """Forget the messages sent more than `keep_sent_days` ago; returns how many."""
    before = clock.now() - timedelta(days=settings.outbox.keep_sent_days)
    total = 0
    while True:
        async with db.transaction() as conn:
            gone = await outbox.prune_sent(conn, before, PRUNE_BATCH)
        total += gone
        if gone < PRUNE_BATCH:
            break
    if total:
        log.info("forgot %d messages sent before %s", total, before.date())
    return total


async def housekeep(db: Database, settings: Settings) -> int:
    pruned = await prune_sent(db, settings)
    await db.optimize()
    return pruned
