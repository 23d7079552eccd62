"""One bot per database: a second copy would send every message twice."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from storage.private import open_private


class AlreadyRunning(Exception):
    pass


class InstanceLock:
    """An OS file lock beside the database; the kernel drops it when the process dies."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        # The lock file holds only a pid, but it sits with the database: the bot's user only.
        handle = os.fdopen(open_private(self.path), "r+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            handle.close()
            raise AlreadyRunning(
                f"another copy of the bot (pid {owner}) is using {self.path.with_suffix('')}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
