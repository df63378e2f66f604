"""Command line: ``python -m IndexedRedis demo|verify|repair``."""

from __future__ import annotations

import argparse
import sys
from typing import Any, List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m IndexedRedis", description="IndexedRedis command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="load a SQLite table of songs into Redis and query it (starts a private Redis unless REDIS_URL is set)"
    )
    demo.add_argument("--songs", type=int, default=3000, help="how many songs to generate (default 3000)")
    for name, text in (
        ("verify", "report index entries that disagree with stored data, dangling links and leftover generations"),
        ("repair", "fix what verify reports (safe on a live server)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("model", help="the model class as package.module:ClassName")
        p.add_argument("--url", help="Redis URL (default: REDIS_URL, else the model's connection params)")
        p.add_argument(
            "--deep",
            action="store_true",
            help="also SCAN the whole keyspace for keys of the model that nothing lists (costs what the database holds)",
        )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run

        return run(nSongs=args.songs)
    if args.command in ("verify", "repair"):
        model = _loadModel(parser, args.model)
        if args.url:
            model = model.connectAlt({"url": args.url})
        if args.command == "verify":
            report = model.objects.verify(deep=args.deep)
        else:
            report = model.objects.repair(deep=args.deep)
        print(report)
        return 0 if report.ok else 1
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return 2  # pragma: no cover


def _loadModel(parser: argparse.ArgumentParser, spec: str) -> Any:
    import importlib
    import os

    from .model import IndexedRedisModel

    if ":" not in spec:
        parser.error(f"give the model as package.module:ClassName, not {spec!r}")
    modName, _, clsName = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(modName)
    except ImportError as exc:
        parser.error(f"cannot import module {modName!r}: {exc}")
    model = getattr(module, clsName, None)
    if not (isinstance(model, type) and issubclass(model, IndexedRedisModel)):
        parser.error(f"{spec!r} is not an IndexedRedisModel class")
    return model  # type: ignore[return-value]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
