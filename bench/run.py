"""`make bench`: every part of the benchmark, one table at the end.

    python -m bench.run [--quick] [--only cpu,replies,sending,data]

Everything talks to the fake Bot API server on 127.0.0.1. Nothing here passes or fails: it
prints what it measured beside the target each figure is held to. --quick runs each part at a
small size (a smoke run, not figures to publish).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.table import Figure, markdown
from bot import eventloop

# part name -> module; each module has `async def measure(quick: bool) -> list[Figure]`.
PARTS = {
    "cpu": "bench.cpu",
    "replies": "bench.replies",
    "sending": "bench.sending",
    "data": "bench.scale",
}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    figures: list[Figure] = []
    for name in chosen:
        module = importlib.import_module(PARTS[name])
        started = time.monotonic()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        part: list[Figure] = await module.measure(args.quick)
        print(f"== {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        for figure in part:
            print(f"   {figure.name}: {figure.value}  {figure.target}", file=sys.stderr)
        figures += part
    print(markdown(figures))
    return 0


if __name__ == "__main__":
    # On the loop `python -m bot` runs on: the replies and sending parts run the bot here.
    sys.exit(eventloop.run(main()))
