"""How a large ``reset`` affects other clients of the same Redis.

    python -m benchmarks.reset_stall [--n 1000000] [--chunk 1000] [--compare-multi 20000]

Loads N rows with reset, then resets them again while a separate process pings Redis every
millisecond and samples ``INFO memory``. Reports the reset's duration, the worst and the 99th
percentile ping round trip during it, and Redis memory before, at peak and after.
``--compare-multi N`` also times the classic way (delete and rewrite the dataset inside one
MULTI/EXEC) at N rows, to show the stall that approach causes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from typing import Any, Dict, Iterator, List, Optional

import redis

from IndexedRedis import IndexedRedisModel, IRField, IRFixedPointField, setDefaultRedisConnectionParams
from IndexedRedis.reset import RESET_CHUNK

from .suite import redisForRun


class Listing(IndexedRedisModel):
    """A row as a read front-end in front of SQL would keep it."""

    FIELDS = [
        IRField("category"),
        IRField("region"),
        IRField("stock", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("title"),
    ]
    INDEXED_FIELDS = ["category", "region"]
    KEY_NAME = "bench:Listing"


def rows(n: int, tag: str) -> Iterator[Listing]:
    for i in range(n):
        yield Listing(
            category=f"c{i % 200}",
            region=f"r{i % 17}",
            stock=i % 1000,
            price=(i % 5000) / 100.0,
            title=f"{tag} listing number {i}",
        )


def _pinger(url: str, stop: Any, out: Any) -> None:
    r = redis.Redis.from_url(url)
    lat: List[float] = []
    mem: List[int] = []
    lastMem = 0.0
    while not stop.is_set():
        t0 = time.perf_counter()
        r.ping()
        lat.append(time.perf_counter() - t0)
        now = time.perf_counter()
        if now - lastMem > 0.1:
            mem.append(int(r.info("memory")["used_memory"]))
            lastMem = now
        time.sleep(0.001)
    out.put((lat, mem))


def measure(url: str, label: str, fn: Any) -> Dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    q = ctx.Queue()
    p = ctx.Process(target=_pinger, args=(url, stop, q))
    p.start()
    time.sleep(0.5)
    r = redis.Redis.from_url(url)
    before = int(r.info("memory")["used_memory"])
    t0 = time.perf_counter()
    fn()
    took = time.perf_counter() - t0
    time.sleep(0.3)
    stop.set()
    lat, mem = q.get(timeout=60)
    p.join(10)
    after = int(r.info("memory")["used_memory"])
    lat_ms = sorted(x * 1000 for x in lat)
    return {
        "label": label,
        "seconds": took,
        "pings": len(lat_ms),
        "ping_max_ms": lat_ms[-1] if lat_ms else None,
        "ping_p99_ms": lat_ms[int(len(lat_ms) * 0.99) - 1] if lat_ms else None,
        "ping_median_ms": statistics.median(lat_ms) if lat_ms else None,
        "mem_before_mb": before / 2**20,
        "mem_peak_mb": max(mem + [before, after]) / 2**20,
        "mem_after_mb": after / 2**20,
    }


def multiReset(url: str, n: int) -> None:
    """The classic approach: drop and rewrite the whole dataset inside one MULTI/EXEC."""
    r = redis.Redis.from_url(url)
    pipe = r.pipeline(transaction=True)
    prefix = "_ir_|bench:Multi:"
    old = r.smembers(prefix + "keys")
    for pk in old:
        pipe.delete(prefix + "data:" + pk.decode())
    pipe.delete(prefix + "keys")
    for i in range(n):
        pk = str(i + 1)
        pipe.hset(
            prefix + "data:" + pk,
            mapping={
                "category": f"c{i % 200}",
                "region": f"r{i % 17}",
                "stock": i % 1000,
                "price": "%.2f" % ((i % 5000) / 100.0),
                "title": f"listing number {i}",
            },
        )
        pipe.sadd(prefix + "keys", pk)
        pipe.sadd(prefix + f"idx:category:c{i % 200}", pk)
        pipe.sadd(prefix + f"idx:region:r{i % 17}", pk)
    pipe.execute()


def report(res: Dict[str, Any]) -> str:
    return (
        f"{res['label']:<38} {res['seconds']:8.1f} s   ping max {res['ping_max_ms']:7.1f} ms   p99 {res['ping_p99_ms']:6.2f} ms"
        f"   ({res['pings']} pings)   memory {res['mem_before_mb']:.0f} -> peak {res['mem_peak_mb']:.0f}"
        f" -> {res['mem_after_mb']:.0f} MiB"
    )


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.reset_stall", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="rows per dataset (default 1,000,000)")
    ap.add_argument("--chunk", type=int, default=RESET_CHUNK, help="objects per build step")
    ap.add_argument("--compare-multi", type=int, default=0, metavar="N", help="also time a one-MULTI/EXEC reset of N rows")
    args = ap.parse_args(argv)

    url, server = redisForRun()
    try:
        setDefaultRedisConnectionParams({"url": url})
        import IndexedRedis.reset as reset_module

        reset_module.RESET_CHUNK = args.chunk
        print(f"Redis at {url}; {args.n:,} rows per dataset; build chunk {args.chunk}", flush=True)
        t0 = time.perf_counter()
        Listing.reset(rows(args.n, "first"))
        print(f"initial load: {time.perf_counter() - t0:.1f} s", flush=True)
        res = measure(url, f"reset of {args.n:,} rows over {args.n:,}", lambda: Listing.reset(rows(args.n, "second")))
        print(report(res), flush=True)
        assert Listing.objects.count() == args.n
        if args.compare_multi:
            m = args.compare_multi
            multiReset(url, m)
            res2 = measure(url, f"one MULTI/EXEC rewrite of {m:,} rows", lambda: multiReset(url, m))
            print(report(res2), flush=True)
        Listing.deleter.destroyModel()
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
