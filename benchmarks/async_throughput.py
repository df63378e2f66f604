"""Throughput of the asyncio API: ``aget`` and ``filter().aall()`` with 1, 10 and 100 concurrent tasks.

``python -m benchmarks.async_throughput [--n 10000] [--ops 3000] [--rounds 3] [--json FILE]``

A model of N objects (``name``, ``category`` indexed with 20 objects per value, ``n`` int,
``note`` 40 bytes) is loaded with ``reset``. Three sides do the same work, at each concurrency C:

* ``IndexedRedis async``: C tasks on one event loop share the ops: ``await Item.objects.aget(pk)``
  and ``await Item.objects.filter(category=c).aall()`` (20 objects each), decoded into objects.
* ``redis.asyncio raw``: the same commands, byte for byte (the EVALSHA of keyed.lua and fetch.lua
  that the plans yield, taken from the plans once before timing), sent by redis-py's asyncio
  client from C tasks, replies left undecoded: the limit of an asyncio client on this server.
* ``IndexedRedis sync``: ``Item.objects.get(pk)`` / ``filter(...).all()`` from C threads.

Every side uses one connection per concurrent caller (a pool). The table gives operations per
second, the median over rounds; pks and categories are drawn at random, the same sequence for
every side. Starts a private ``redis-server`` unless ``REDIS_URL`` is set (its database must hold
no keys under ``_ir_|bench:aio:``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import redis
import redis.asyncio

from IndexedRedis import IndexedRedisModel, IRField, aclose, setDefaultRedisConnectionParams
from IndexedRedis import readplans
from IndexedRedis.connection import clearRedisPools
from IndexedRedis.executors.common import scriptArgs
from IndexedRedis.schema import getSchema

from .suite import log, redisForRun

PER_CATEGORY = 20
LEVELS = (1, 10, 100)


class Item(IndexedRedisModel):
    FIELDS = [IRField("name"), IRField("category"), IRField("n", valueType=int), IRField("note")]
    INDEXED_FIELDS = ["category"]
    KEY_NAME = "bench:aio:Item"


def _rows(n: int) -> Any:
    for i in range(n):
        yield Item(name=f"item {i}", category=f"c{i // PER_CATEGORY}", n=i, note="x" * 40)


def _command(factory: Callable[[Any], Any]) -> tuple:
    """The command the plan's single call sends (for the raw side)."""
    schema = getSchema(Item)
    layout = schema.layoutFor(schema.knownGeneration(schema.client()))
    call = next(factory(layout))
    return scriptArgs(call, layout, layout.genArg)


async def _asyncRun(work: Sequence[Any], concurrency: int, one: Callable[[Any], Any]) -> float:
    queue = list(reversed(work))

    async def worker() -> None:
        while queue:
            await one(queue.pop())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(work) / (time.perf_counter() - start)


def _threadRun(work: Sequence[Any], concurrency: int, one: Callable[[Any], Any]) -> float:
    queue = list(reversed(work))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            one(item)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(work) / (time.perf_counter() - start)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--ops", type=int, default=3000, help="operations per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    url, server = redisForRun()
    try:
        setDefaultRedisConnectionParams({"url": url, "max_connections": 200})
        schema = getSchema(Item)
        started = time.perf_counter()
        Item.reset(_rows(args.n))
        log(f"loaded {args.n} objects in {time.perf_counter() - started:.1f} s")
        rng = random.Random(7)
        categories = args.n // PER_CATEGORY
        first = Item.objects.getPrimaryKeys(sortByAge=True)[0]
        pks = [first + rng.randrange(args.n) for _ in range(args.ops)]
        cats = [f"c{rng.randrange(categories)}" for _ in range(args.ops // 4)]
        getCmd = {pk: _command(lambda layout, pk=pk: readplans.getOp(schema, layout, pk)) for pk in set(pks)}
        allCmd = {
            c: _command(lambda layout, c=c: readplans.allOp(schema, layout, (("category", "eq", c.encode()),))) for c in set(cats)
        }
        assert len(Item.objects.filter(category=cats[0]).all()) == PER_CATEGORY
        results: Dict[str, Dict[str, Dict[int, List[float]]]] = {}

        def add(op: str, side: str, level: int, value: float) -> None:
            results.setdefault(op, {}).setdefault(side, {}).setdefault(level, []).append(value)

        async def asyncSides(level: int) -> None:
            raw = redis.asyncio.Redis.from_url(url, max_connections=200)
            try:
                # Open every side's connections first (a warm pool, as in a running application).
                await _asyncRun(pks[: level * 2], level, lambda pk: raw.execute_command(*getCmd[pk]))
                await _asyncRun(pks[: level * 2], level, Item.objects.aget)
                add("aget", "IndexedRedis async", level, await _asyncRun(pks, level, Item.objects.aget))
                add("aget", "redis.asyncio raw", level, await _asyncRun(pks, level, lambda pk: raw.execute_command(*getCmd[pk])))
                add(
                    "filter().aall()",
                    "IndexedRedis async",
                    level,
                    await _asyncRun(cats, level, lambda c: Item.objects.filter(category=c).aall()),
                )
                add(
                    "filter().aall()",
                    "redis.asyncio raw",
                    level,
                    await _asyncRun(cats, level, lambda c: raw.execute_command(*allCmd[c])),
                )
            finally:
                await raw.aclose()
                await aclose()

        for r in range(args.rounds):
            for level in LEVELS:
                asyncio.run(asyncSides(level))
                _threadRun(pks[: level * 2], level, Item.objects.get)  # warm the sync pool
                add("aget", "IndexedRedis sync", level, _threadRun(pks, level, Item.objects.get))
                add(
                    "filter().aall()",
                    "IndexedRedis sync",
                    level,
                    _threadRun(cats, level, lambda c: Item.objects.filter(category=c).all()),
                )
            log(f"round {r + 1}/{args.rounds} done")
        table = {
            op: {side: {lv: statistics.median(v) for lv, v in byLevel.items()} for side, byLevel in sides.items()}
            for op, sides in results.items()
        }
        print(f"operations per second (median of {args.rounds} rounds; N = {args.n}, {args.ops} gets, {args.ops // 4} filters)")
        print(f"{'operation':<18}{'side':<22}" + "".join(f"{f'{lv} tasks':>12}" for lv in LEVELS))
        for op, sides in table.items():
            for side in ("redis.asyncio raw", "IndexedRedis async", "IndexedRedis sync"):
                print(f"{op:<18}{side:<22}" + "".join(f"{sides[side][lv]:>12,.0f}" for lv in LEVELS))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(table, fh, indent=1)
        Item.deleter.destroyModel()
        return 0
    finally:
        clearRedisPools()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
