"""Memory: Redis memory per object (IndexedRedis against the raw baseline), and client memory of ``all()``.

Redis: ``used_memory`` (INFO memory) before and after saving the N rows, on an otherwise empty
dataset, per object; the raw baseline stores the same hashes and index sets with no write counter
and no index registry. Client: ``tracemalloc`` while ``Song.objects.all()`` (and the baseline's
``all()``, dicts of native values) runs: the memory the result holds once returned, and the peak
while reading it (raw reply and decoding included), per object.
"""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass
from typing import Any, Dict, List

import redis

from .baseline import Baseline
from .data import Song


@dataclass
class MemoryReport:
    n: int
    redisIR: float  # bytes per object in Redis
    redisBase: float
    clientIR: float  # bytes per object held by the result of all()
    clientIRPeak: float
    clientBase: float
    clientBasePeak: float

    def asJson(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def _usedMemory(client: redis.Redis) -> int:
    gc.collect()
    return int(client.info("memory")["used_memory"])


def _traced(fn: Any) -> List[Any]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return [result, held - before, peak - before]


def measureMemory(client: redis.Redis, base: Baseline, rows: List[Dict[str, Any]]) -> MemoryReport:
    """Both datasets are written here (each on an empty dataset) and left for the caller to wipe."""
    n = len(rows)
    Song.deleter.destroyModel()
    base.wipe()
    m0 = _usedMemory(client)
    Song.saver.save([Song(**row) for row in rows])
    m1 = _usedMemory(client)
    objs, held, peak = _traced(lambda: Song.objects.all())
    assert len(objs) == n
    del objs
    Song.deleter.destroyModel()
    m2 = _usedMemory(client)
    base.insert(rows)
    m3 = _usedMemory(client)
    baseRows, bheld, bpeak = _traced(lambda: base.all())
    assert len(baseRows) == n
    del baseRows
    return MemoryReport(n, (m1 - m0) / n, (m3 - m2) / n, held / n, peak / n, bheld / n, bpeak / n)


def memoryTable(reports: List[MemoryReport]) -> str:
    lines = [
        "Memory per object (Redis: INFO used_memory delta after saving N rows; client: tracemalloc during all())",
        "",
        f"{'N':>9} {'Redis IR':>10} {'Redis raw':>10} {'IR/raw':>7} {'all() held':>11} {'all() peak':>11}"
        f" {'raw rows held':>14} {'raw peak':>10}",
    ]
    for r in reports:
        lines.append(
            f"{r.n:>9,} {r.redisIR:>8,.0f} B {r.redisBase:>8,.0f} B {r.redisIR / r.redisBase:>6.2f}x {r.clientIR:>9,.0f} B"
            f" {r.clientIRPeak:>9,.0f} B {r.clientBase:>12,.0f} B {r.clientBasePeak:>8,.0f} B"
        )
    return "\n".join(lines)


__all__ = ["MemoryReport", "measureMemory", "memoryTable"]
