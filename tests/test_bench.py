"""`make bench` keeps working: its quick run prints every part's figures in one table.

The figures themselves are not judged here (speed targets belong to the benchmark, not to
tests); the run must finish, measure every kind of update and path, and lose nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_quick_bench_prints_every_part() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only", "cpu,replies,data"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| part | measure | figure | target | met |"
    parts = {line.split(" | ")[0].removeprefix("| ") for line in table[2:]}
    assert parts == {"CPU", "Replies", "Data"}
    text = run.stdout
    for measure in (
        "bot/floor CPU per update",
        "claims and resolves",
        "presses from",
        "reply p99",
        "a worker's /queue",
        "a claim (Requests.apply",
        "start-up",
    ):
        assert measure in text, f"{measure!r} missing from:\n{text}"
    # Every press was answered: "(answered/pressed)" with both the same.
    presses = next(line for line in table if "presses from" in line).split(" | ")[2]
    answered, pressed = presses.split("(")[1].rstrip(")").split("/")
    assert answered == pressed, presses
