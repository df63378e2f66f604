"""Where IndexedRedis spends its time: cProfile of the IndexedRedis side of chosen workloads.

    python -m benchmarks.hotspots [--n 20000] [--workloads insert get filter_eq] [--out /tmp/ir.prof] [--top 15]

Starts a private Redis (or uses ``REDIS_URL``, as ``python -m benchmarks`` does), runs each
workload's IndexedRedis side once unprofiled (scripts loaded, connections open), then once under
cProfile; only the timed part (``Task.run``) is profiled, never the preparation. Prints, per
workload, the share of time in IndexedRedis, redis-py and elsewhere, and the top functions of
IndexedRedis by cumulative and by own time. All profiles together are written to ``--out``
(``python -m pstats /tmp/ir.prof`` to explore), each one also to ``--out`` + ``.WORKLOAD``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from typing import Any, Dict, List, Optional, Tuple

import redis

from IndexedRedis import setDefaultRedisConnectionParams
from IndexedRedis.connection import clearRedisPools

from .baseline import Baseline
from .data import makeQueries, makeRows
from .suite import SEED, redisForRun, refuseForeignKeys, wipe
from .workloads import WORKLOAD_KEYS, Ctx, Workload, workloadsNamed

DEFAULT_WORKLOADS = ["insert", "get", "filter_eq"]
_SEP = os.sep

FuncKey = Tuple[str, int, str]


def _where(filename: str) -> str:
    if f"{_SEP}IndexedRedis{_SEP}" in filename:
        return "IndexedRedis"
    if f"{_SEP}redis{_SEP}" in filename:
        return "redis-py"
    if f"{_SEP}hiredis{_SEP}" in filename or filename == "~":
        return "builtins/C (incl. hiredis, socket)"
    return "other Python"


def _short(key: FuncKey) -> str:
    filename, line, func = key
    if filename == "~":
        return func
    marker = f"{_SEP}IndexedRedis{_SEP}"
    if marker in filename:
        filename = "IndexedRedis/" + filename.split(marker, 1)[1]
    else:
        filename = os.path.basename(filename)
    return f"{func} ({filename}:{line})"


def summarize(stats: pstats.Stats, top: int) -> str:
    """Share of own time per area, then the top IndexedRedis functions by cumulative and own time."""
    raw: Dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1e-12
    areas: Dict[str, float] = {}
    for key, (_cc, _nc, tt, _ct, _callers) in raw.items():
        area = _where(key[0])
        areas[area] = areas.get(area, 0.0) + tt
    lines = [f"  profiled time {total:.3f} s; own time by area: " + ", ".join(f"{a} {t / total:.0%}" for a, t in areas.items())]
    ours = [(k, v) for k, v in raw.items() if _where(k[0]) == "IndexedRedis"]
    for title, idx in (("cumulative", 3), ("own (tottime)", 2)):
        lines.append(f"  top {top} IndexedRedis functions by {title} time:")
        lines.append(f"    {'ncalls':>9} {'tottime':>9} {'cumtime':>9}  function")
        for key, (_cc, nc, tt, ct, _callers) in sorted(ours, key=lambda kv: kv[1][idx], reverse=True)[:top]:
            lines.append(f"    {nc:>9} {tt:>9.3f} {ct:>9.3f}  {_short(key)}")
    lines.append(f"  top {top} functions overall by own time:")
    for key, (_cc, nc, tt, _ct, _callers) in sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        lines.append(f"    {nc:>9} {tt:>9.3f} {tt / total:>8.0%}  {_short(key)}")
    return "\n".join(lines)


def profileWorkloads(ctx: Ctx, workloads: List[Workload], out: str, top: int, client: redis.Redis, owned: bool) -> None:
    """Profile the IndexedRedis side of ``workloads`` (insert first: the others read its data)."""
    combined: Optional[pstats.Stats] = None
    for w in workloads:
        if w.key in ("insert", "reset"):
            w.ir(ctx).run()  # warm-up on the same data, then start again from an empty dataset
            if w.key == "insert":
                wipe(client, ctx.base, owned)
        else:
            w.ir(ctx).run()
        task = w.ir(ctx)
        prof = cProfile.Profile()
        prof.enable()
        res = task.run()
        prof.disable()
        path = f"{out}.{w.key}"
        prof.dump_stats(path)
        stats = pstats.Stats(prof)
        amount = f"{task.calls:,} calls" if w.unit == "calls" else f"{task.units(res):,} {w.unit} in {task.calls:,} calls"
        print(f"\n{w.key}: {w.irDoc}; {amount} (profile in {path})")
        print(summarize(stats, top), flush=True)
        if combined is None:
            combined = pstats.Stats(path)
        else:
            combined.add(path)
    if combined is not None:
        combined.dump_stats(out)
        print(f"\nall profiles together: {out}  (python -m pstats {out})")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.hotspots", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="dataset size (default 20000)")
    ap.add_argument(
        "--workloads",
        nargs="+",
        default=DEFAULT_WORKLOADS,
        help=f"default: {' '.join(DEFAULT_WORKLOADS)}; any of {WORKLOAD_KEYS}",
    )
    ap.add_argument("--out", default="/tmp/ir.prof", help="where to write the profile (default /tmp/ir.prof)")
    ap.add_argument("--top", type=int, default=15, help="functions listed per table (default 15)")
    args = ap.parse_args(argv)
    try:
        workloads = workloadsNamed(args.workloads)
    except ValueError as exc:
        ap.error(str(exc))

    url, server = redisForRun()
    owned = server is not None
    client = redis.Redis.from_url(url)
    base = Baseline(client)
    mayClean = owned
    try:
        if not owned:
            busy = refuseForeignKeys(client, base)
            if busy:
                print(f"REDIS_URL {url} already has keys matching {busy!r}; refusing to delete them.", file=sys.stderr)
                return 2
            mayClean = True
        setDefaultRedisConnectionParams({"url": url})
        wipe(client, base, owned)
        ctx = Ctx(args.n, makeRows(args.n, SEED), makeRows(args.n, SEED + 1), makeQueries(args.n, SEED), base)
        print(f"N = {args.n:,}; Redis at {url}")
        profileWorkloads(ctx, workloads, args.out, args.top, client, owned)
    finally:
        if mayClean:
            wipe(client, base, owned)
        client.close()
        clearRedisPools()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "profileWorkloads", "summarize"]
