"""Client memory of ``reset`` from a generator, at several sizes.

    python -m benchmarks.reset_memory [--n 100000 1000000]

Resets a 5-field model from a generator of N rows (as from a SQL cursor) and reports the peak
of Python's allocations during the reset (``tracemalloc``) and the process's peak RSS. Bounded
memory means the peak does not grow with N. Runs on a private ``redis-server`` (or ``REDIS_URL``).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from typing import List, Optional

from IndexedRedis import setDefaultRedisConnectionParams

from .reset_stall import Listing, rows
from .suite import redisForRun


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.reset_memory", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args(argv)
    url, server = redisForRun()
    try:
        setDefaultRedisConnectionParams({"url": url})
        Listing.reset(rows(1000, "warm"))
        for n in args.n:
            gc.collect()
            tracemalloc.start()
            t0 = time.perf_counter()
            pks = Listing.reset(rows(n, "m"))
            took = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"reset of {n:>9,} rows from a generator: {took:6.1f} s   peak of Python allocations "
                f"{peak / 2**20:6.2f} MiB   process peak RSS so far {rss:6.0f} MiB   ({len(pks):,} pks returned)",
                flush=True,
            )
        Listing.deleter.destroyModel()
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
