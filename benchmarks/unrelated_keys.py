"""What model-wide operations cost when the database holds many keys of other things.

    python -m benchmarks.unrelated_keys [--unrelated 1000000] [--rows 4] [--repeat 3]

Starts a private redis-server (or uses ``REDIS_URL``, whose database must be empty), fills it
with ``--unrelated`` keys that belong to no model (``DEBUG POPULATE``), then times on a small
model of ``--rows`` rows: ``reset``, ``verify``, ``repair``, ``reindex`` and ``destroyModel``
(each the best of ``--repeat`` runs; the model is rebuilt before each run of destroyModel).
The first ``verify`` of data that has no key registry yet is timed apart ("first verify"): it
builds the registry with one SCAN of the keyspace.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, Dict, List, Optional

import redis

from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams

from .suite import redisForRun


class Shelf(IndexedRedisModel):
    FIELDS = [IRField("room"), IRField("n", valueType=int), IRField("label")]
    INDEXED_FIELDS = ["room", "n"]
    KEY_NAME = "bench:Shelf"


def _rows(count: int) -> List[Shelf]:
    return [Shelf(room=f"r{i % 3}", n=i, label="x") for i in range(count)]


def _best(fn: Callable[[], object], repeat: int, before: Optional[Callable[[], object]] = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _fill(client: redis.Redis, n: int) -> None:
    """``n`` keys ``unrelated:0`` ... (DEBUG POPULATE where allowed, else pipelined MSETs)."""
    try:
        client.execute_command("DEBUG", "POPULATE", n, "unrelated")
        return
    except redis.ResponseError:
        pass
    pipe = client.pipeline(transaction=False)
    for start in range(0, n, 1000):
        pipe.mset({f"unrelated:{i}": b"v" for i in range(start, min(n, start + 1000))})
        if start % 100_000 == 0:
            pipe.execute()
    pipe.execute()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.unrelated_keys")
    parser.add_argument("--unrelated", type=int, default=1_000_000, help="keys of no model in the database")
    parser.add_argument("--rows", type=int, default=4, help="rows of the model")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    url, server = redisForRun()
    try:
        client = redis.Redis.from_url(url)
        if server is None and client.dbsize():
            print(f"REDIS_URL {url}: the database is not empty; use an empty one", file=sys.stderr)
            return 2
        setDefaultRedisConnectionParams({"url": url})
        _fill(client, args.unrelated)
        print(f"database: {client.dbsize():,} keys ({args.unrelated:,} unrelated), model of {args.rows} rows")
        out: Dict[str, float] = {}
        Shelf.saver.save(_rows(args.rows))  # generation 0, as a model that was never reset
        t = time.perf_counter()
        Shelf.objects.verify()
        out["first verify (6.x-style data)"] = time.perf_counter() - t
        out["reset"] = _best(lambda: Shelf.reset(_rows(args.rows)), args.repeat)
        out["verify"] = _best(Shelf.objects.verify, args.repeat)
        out["repair"] = _best(Shelf.objects.repair, args.repeat)
        out["reindex"] = _best(Shelf.objects.reindex, args.repeat)
        out["destroyModel"] = _best(Shelf.deleter.destroyModel, args.repeat, lambda: Shelf.reset(_rows(args.rows)))
        for name, secs in out.items():
            print(f"  {name:32s} {secs * 1000:10.1f} ms")
        if server is None:
            client.execute_command("DEL", *[f"unrelated:{i}" for i in range(min(args.unrelated, 1000))])
        return 0
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
