"""The single-instance lock beside the database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.lock import AlreadyRunning, InstanceLock


def test_second_instance_is_refused_until_release(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    first, second = InstanceLock(database), InstanceLock(database)
    assert first.path == tmp_path / "data" / "bot.sqlite3.lock"
    first.acquire()
    try:
        assert first.path.read_text() == str(os.getpid())
        with pytest.raises(AlreadyRunning, match=str(os.getpid())):
            second.acquire()
        # The refused attempt leaves the owner's pid in place.
        assert first.path.read_text() == str(os.getpid())
    finally:
        first.release()
    second.acquire()
    try:
        with pytest.raises(AlreadyRunning):
            first.acquire()
    finally:
        second.release()
    first.acquire()
    first.release()


def test_other_databases_are_independent(tmp_path: Path) -> None:
    one, two = InstanceLock(tmp_path / "one.sqlite3"), InstanceLock(tmp_path / "two.sqlite3")
    one.acquire()
    try:
        two.acquire()
        two.release()
    finally:
        one.release()


def test_release_without_acquire_is_harmless(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path / "bot.sqlite3")
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
