"""The event loop the bot runs on: uvloop where it is installed (Linux and macOS), else
asyncio's own.

uvloop is a drop-in asyncio loop written on libuv. The bot spends much of each update in the
loop's own machinery (waking on sockets, the aiosqlite thread's call_soon_threadsafe, timers),
and on uvloop that costs about 15% less CPU per update (`make bench`, CPU part).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # Windows, or a machine without its wheel: asyncio's loop does the same
    uvloop = None  # type: ignore[assignment]


def name() -> str:
    return "uvloop" if uvloop is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(main), on uvloop when it is there."""
    if uvloop is not None:
        return uvloop.run(main)
    return asyncio.run(main)
