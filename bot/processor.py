"""Updates of one person in order, different people at the same time."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# PTB takes its own slot before our per-person lock is awaited, so a person's queued updates
# would hold slots while they wait for their turn. Its slots are made roomy (this many updates
# in flight at all) and the real limit is taken after the person's turn has come.
IN_FLIGHT_MAX = 4096


# The slot of the update being handled (in its task), for waiting() to lend.
_slot: ContextVar[asyncio.Semaphore | None] = ContextVar("update_slot", default=None)


@contextlib.asynccontextmanager
async def waiting() -> AsyncIterator[None]:
    """An update handler waiting for something that costs nothing (its reply's turn in the
    send budget) lends its slot to the next update meanwhile: a burst of presses is answered
    at once while the edits that follow wait for their turn."""
    slot = _slot.get()
    if slot is None:
        yield
        return
    slot.release()
    try:
        yield
    finally:
        await slot.acquire()


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """A wizard must see a person's messages in order (PTB's concurrent mode does not keep
    order, its sequential mode handles one update at a time for everyone).

    At most `max_concurrent_updates` are handled at once, and a person waiting for their turn
    holds none of them, so one person's burst never stalls another's /help. At most
    `max_waiting_per_person` of one person's updates wait; beyond that `on_overflow` is told
    (once per burst) and the update is not handled.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        max_waiting_per_person: int,
        on_overflow: Callable[[Update], Awaitable[None]],
    ) -> None:
        super().__init__(IN_FLIGHT_MAX)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._max_waiting = max_waiting_per_person
        self._on_overflow = on_overflow
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._warned: set[int] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._slots:
                await self._run(coroutine)
            return
        if self._users.get(key, 0) >= self._max_waiting:
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            log.warning("person %s has %s updates waiting; one dropped", key, self._max_waiting)
            if key not in self._warned and isinstance(update, Update):
                self._warned.add(key)
                await self._on_overflow(update)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await self._run(coroutine)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]
                self._warned.discard(key)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        token = _slot.set(self._slots)
        try:
            await coroutine
        finally:
            _slot.reset(token)

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
