"""Command line: ``python -m IndexedRedis demo``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m IndexedRedis", description="IndexedRedis command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="load a SQLite table of songs into Redis and query it (starts a private Redis unless REDIS_URL is set)")
    demo.add_argument("--songs", type=int, default=3000, help="how many songs to generate (default 3000)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run

        return run(nSongs=args.songs)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
