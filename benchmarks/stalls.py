"""The worst stall of each big operation, for every other client of the same Redis.

    python -m benchmarks.stalls [--n 500000] [--batch 50000] [--json FILE]

Loads N rows with ``reset``, then runs one by one: a list save of BATCH new objects, a filtered
delete, a filtered ``update()`` and ``increment()`` of a tenth of the rows each, ``reindex()``,
``compat_convertHashedIndexes()``, ``repair()`` and a delete of every object, each while a
separate process pings Redis every millisecond. For each it gives the duration, the worst ping
round trip (what another client waited), and the longest single command Redis ran
(``SLOWLOG``, every command over 1 ms is logged). Runs on a private ``redis-server`` (or
``REDIS_URL``, which must be empty). The same script runs on older versions of IndexedRedis
(``PYTHONPATH=<checkout>``), for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import redis

from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams

from .reset_stall import measure
from .suite import redisForRun


class Ticket(IndexedRedisModel):
    FIELDS = [IRField("bucket", valueType=int), IRField("category"), IRField("stock", valueType=int), IRField("title")]
    INDEXED_FIELDS = ["bucket", "category"]
    KEY_NAME = "bench:Ticket"


def rows(n: int, start: int = 0) -> Iterator[Ticket]:
    for i in range(start, start + n):
        yield Ticket(bucket=i % 10, category=f"c{i % 200}", stock=i % 1000, title=f"ticket number {i}")


def slowest(client: redis.Redis) -> float:
    """The longest command in SLOWLOG since the last reset of it, in ms; resets it."""
    entries = client.slowlog_get(1024)
    client.slowlog_reset()
    return max((e["duration"] for e in entries), default=0) / 1000.0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.stalls", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500_000, help="rows in the model (default 500,000)")
    ap.add_argument("--batch", type=int, default=50_000, help="objects of the list save and the filtered delete")
    ap.add_argument("--json", help="write the measurements to this file")
    args = ap.parse_args(argv)
    url, server = redisForRun()
    client = redis.Redis.from_url(url)
    out: List[Dict[str, Any]] = []
    try:
        setDefaultRedisConnectionParams({"url": url})
        client.config_set("slowlog-log-slower-than", 1000)
        client.config_set("slowlog-max-len", 1024)
        print(f"Redis at {url}; {args.n:,} rows", flush=True)
        Ticket.reset(rows(args.n))
        client.slowlog_reset()
        batch = list(rows(args.batch, start=args.n))
        tenth = (args.n + args.batch) // 10
        steps: List[Any] = [
            (f"saver.save of {args.batch:,} new objects", lambda: Ticket.saver.save(batch)),
            (
                f"filter(bucket=0).delete() ({(args.n + args.batch) // 10:,} objects)",
                lambda: Ticket.objects.filter(bucket=0).delete(),
            ),
            (
                f"filter(bucket=1).update(stock=7) ({tenth:,} objects)",
                lambda: Ticket.objects.filter(bucket=1).update(stock=7),
            ),
            (
                f"filter(bucket=2).increment('stock', 1) ({tenth:,})",
                lambda: Ticket.objects.filter(bucket=2).increment("stock", 1),
            ),
            (f"reindex() of {args.n:,}", lambda: Ticket.objects.reindex()),
            (f"compat_convertHashedIndexes() of {args.n:,}", lambda: Ticket.objects.compat_convertHashedIndexes()),
            (f"repair() of {args.n:,}", lambda: Ticket.objects.repair()),
            (f"objects.delete() of all {args.n:,}", lambda: Ticket.objects.delete()),
        ]
        for label, fn in steps:
            res = measure(url, label, _timed(fn))
            res["longest_command_ms"] = slowest(client)
            out.append(res)
            print(
                f"{label:<44} {res['seconds']:7.2f} s   other client's worst ping {res['ping_max_ms']:8.1f} ms"
                f"   longest command {res['longest_command_ms']:8.1f} ms",
                flush=True,
            )
        Ticket.deleter.destroyModel()
    finally:
        if server is not None:
            server.stop()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


def _timed(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        t0 = time.perf_counter()
        result = fn()
        return result, time.perf_counter() - t0

    return run


if __name__ == "__main__":
    sys.exit(main())
