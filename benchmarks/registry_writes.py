"""What keeping the index key registry costs the write scripts.

    python -m benchmarks.registry_writes

Starts a private redis-server, makes a 3-field model (two indexed fields) with ``reset`` (so its
generation has a registry the scripts keep), then times, best of 3: inserts of 20,000 objects in
batches of 500, updates of both indexed fields of every object in batches of 500, and 3,000
single-object saves. Run it on two versions to compare.
"""

from __future__ import annotations

import sys
import time
from typing import Dict, List, Optional

from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams
from IndexedRedis.server import RedisServer


class Crate(IndexedRedisModel):
    FIELDS = [IRField("a"), IRField("b", valueType=int), IRField("c")]
    INDEXED_FIELDS = ["a", "b"]
    KEY_NAME = "bench:Crate"


def main(argv: Optional[List[str]] = None) -> int:
    server = RedisServer()
    server.start()
    try:
        setDefaultRedisConnectionParams({"url": server.url})
        Crate.reset([Crate(a="x", b=1, c="y")])
        best: Dict[str, float] = {}
        for name in ("insert, 500 per call", "update, 500 per call", "single saves"):
            times = []
            for _ in range(3):
                objs = [Crate(a=f"a{i % 50}", b=i % 1000, c="z") for i in range(20000)]
                if name.startswith("insert"):
                    t = time.perf_counter()
                    for i in range(0, len(objs), 500):
                        Crate.saver.save(objs[i : i + 500])
                elif name.startswith("update"):
                    stored = Crate.objects.all()
                    for o in stored:
                        o.b = (o.b + 1) % 1000
                        o.a = o.a + "u"
                    t = time.perf_counter()
                    for i in range(0, len(stored), 500):
                        Crate.saver.save(stored[i : i + 500])
                else:
                    t = time.perf_counter()
                    for o in objs[:3000]:
                        o.save()
                times.append(time.perf_counter() - t)
            best[name] = min(times)
        for name, secs in best.items():
            print(f"  {name:24s} {secs:8.3f} s")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
