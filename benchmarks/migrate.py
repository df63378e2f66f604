"""``Model.migrate()`` with writers running: its duration, the time the model is locked, and what
the writers see.

    python -m benchmarks.migrate [--n 100000] [--writers 2]

Loads N objects with reset, starts W writer processes (each updating its own objects and creating
new ones as fast as it can, with the old definition until its first write is refused, then with
the new one), runs a migration that makes a text field an int, indexes it and hashes another
field's index, then checks that the data equals what the writers acknowledged and that
``verify()`` finds nothing. Reports the migration's duration and rounds, how long the model was
locked, the writers' rate and their slowest write during the migration.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
from typing import Any, Dict, List, Tuple

from IndexedRedis import (
    DefinitionMismatchError,
    IndexedRedisModel,
    IRField,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)

from .suite import redisForRun


class Before(IndexedRedisModel):
    FIELDS = [IRField("owner"), IRField("stock"), IRField("title")]
    INDEXED_FIELDS = ["owner"]
    KEY_NAME = "bench:Migrate"


class After(IndexedRedisModel):
    FIELDS = [IRField("owner"), IRField("stock", valueType=int), IRField("title", hashIndex=True)]
    INDEXED_FIELDS = ["owner", "stock", "title"]
    KEY_NAME = "bench:Migrate"


def _writer(url: str, owner: str, seed: int, go: Any, stop: Any, out: Any) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    rnd = random.Random(seed)
    model: Any = Before
    mine: Dict[int, Tuple[int, str]] = {}
    worst = 0.0
    writes = 0
    go.wait()
    t0 = time.perf_counter()
    while not stop.is_set():
        stock, title = rnd.randrange(1000), f"t{rnd.randrange(50)}"
        while True:
            try:
                s = time.perf_counter()
                if not mine or rnd.random() < 0.3:
                    obj = model(owner=owner, stock=str(stock) if model is Before else stock, title=title)
                    obj.save()
                else:
                    obj = model.objects.get(rnd.choice(list(mine)))
                    obj.stock = str(stock) if model is Before else stock
                    obj.title = title
                    obj.save()
                worst = max(worst, time.perf_counter() - s)
                mine[obj.getPk()] = (stock, title)
                break
            except DefinitionMismatchError:
                model = After
        writes += 1
    out.put((owner, mine, writes, time.perf_counter() - t0, worst))


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    ap = argparse.ArgumentParser(prog="python -m benchmarks.migrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="objects before the migration (default 100,000)")
    ap.add_argument("--writers", type=int, default=2, help="writer processes (default 2)")
    args = ap.parse_args(argv)
    url, server = redisForRun()
    try:
        setDefaultRedisConnectionParams({"url": url})
        Before.deleter.destroyModel()
        t0 = time.perf_counter()
        Before.reset(Before(owner=f"w{i % args.writers}", stock=str(i % 1000), title=f"t{i % 50}") for i in range(args.n))
        print(f"Redis at {url}; {args.n:,} objects loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        ctx = multiprocessing.get_context("fork")
        go, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(url, f"w{i}", i, go, stop, out)) for i in range(args.writers)]
        for p in procs:
            p.start()
        go.set()
        time.sleep(0.5)
        t0 = time.perf_counter()
        report = After.migrate()
        took = time.perf_counter() - t0
        time.sleep(0.5)
        stop.set()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        expected: Dict[int, Tuple[int, str]] = {}
        for _, mine, _, _, _ in results:
            expected.update(mine)
        stored = {o.getPk(): (o.stock, o.title) for o in After.objects.all()}
        bad = [(pk, v, stored.get(pk)) for pk, v in expected.items() if stored.get(pk) != v]
        lost = len(bad)
        if bad:
            print("first differences (pk, acknowledged, stored):", sorted(bad)[:8], flush=True)
        ok = After.objects.verify().ok
        writes = sum(r[2] for r in results)
        rate = sum(r[2] / r[3] for r in results)
        print(
            f"migrate: {took:.2f} s for {report.objects:,} objects ({', '.join(report.changes)}); "
            f"{report.rounds} catch-up rounds, {report.caughtUp:,} objects copied again; "
            f"model locked {report.lockedSeconds * 1000:.1f} ms",
            flush=True,
        )
        print(
            f"writers: {writes:,} writes at {rate:,.0f}/s in all, slowest write {max(r[4] for r in results) * 1000:.1f} ms; "
            f"acknowledged writes missing or different afterwards: {lost}; verify(): {'clean' if ok else 'PROBLEMS'}",
            flush=True,
        )
        After.deleter.destroyModel()
        return 0 if ok and not lost else 1
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
