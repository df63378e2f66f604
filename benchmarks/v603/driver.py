"""The IndexedRedis 6.0.3 column of ``python -m benchmarks``: the same workloads, run by 6.0.3.

Started only as ``<6.0.3 virtualenv>/bin/python benchmarks/v603/driver.py`` by ``benchmarks/v603side.py``
(alone in its directory, so nothing of the checkout shadows a module, and no path to this
checkout's IndexedRedis is added): the
IndexedRedis this process imports is the 6.0.3 package of that virtualenv (checked below), never
the one of this checkout, and it never runs beside ours in one process. It reads one JSON request
on stdin (``url``, ``n``, ``rounds``, ``seed``, ``workloads``) and writes one JSON reply on stdout:
per workload, the seconds and units of every round and the number of calls.

It builds the same rows and queries as the other sides (``rows.py``, from the same seeds) in a
model of its own key name, and deletes that model's keys before and after.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

import IndexedRedis  # 6.0.3, from this virtualenv


def _loadRows() -> Any:
    """benchmarks/rows.py, loaded by path (it imports nothing of IndexedRedis)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rows.py")
    spec = importlib.util.spec_from_file_location("irbench_rows", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["irbench_rows"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


rows = _loadRows()

if IndexedRedis.__version__ != "6.0.3":
    sys.exit(f"v603.py must run with IndexedRedis 6.0.3, got {IndexedRedis.__version__} from {IndexedRedis.__file__}")

from IndexedRedis import IndexedRedisModel, IRField  # noqa: E402
from IndexedRedis.fields import IRFixedPointField  # noqa: E402

KEY_NAME = "bench603:Song"


class Song(IndexedRedisModel):
    FIELDS = [
        IRField("artist"),
        IRField("genre"),
        IRField("year", valueType=int),
        IRField("plays", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("tags", valueType=list),
        IRField("description"),
        IRField("title"),
    ]
    INDEXED_FIELDS = ["artist", "genre", "year"]
    KEY_NAME = KEY_NAME


def nextGenre(genre: str) -> str:
    return rows.GENRES[(rows.GENRES.index(genre) + 1) % len(rows.GENRES)]


Prepared = Tuple[Callable[[], Any], int, Callable[[Any], int]]


def prepare(key: str, data: List[Dict[str, Any]], resetData: List[Dict[str, Any]], q: Any) -> Prepared:
    """``(run, calls, units)`` for one workload; what is built here is not timed."""
    objects = Song.objects
    count = len
    if key == "insert":
        objs = [Song(**row) for row in data]
        return (lambda: Song.saver.save(objs)), 1, count
    if key == "get":
        return (lambda: [objects.get(pk) for pk in q.getPks]), len(q.getPks), count
    if key == "getMultiple":
        return (lambda: [objects.getMultiple(pks) for pks in q.multiPks]), len(q.multiPks), lambda r: sum(len(x) for x in r)
    if key == "filter_eq":
        return (lambda: [objects.filter(artist=a).all() for a in q.eqArtists]), len(q.eqArtists), lambda r: sum(map(len, r))
    if key == "filter_and":
        return (
            (lambda: [objects.filter(genre=g, year=y).all() for g, y in q.andPairs]),
            len(q.andPairs),
            lambda r: sum(map(len, r)),
        )
    if key == "filter_ne":
        return (
            (lambda: [objects.filter(artist=a, genre__ne=g).all() for a, g in q.neCases]),
            len(q.neCases),
            lambda r: sum(map(len, r)),
        )
    if key == "count_eq":
        return (lambda: [objects.filter(artist=a).count() for a in q.countArtists]), len(q.countArtists), count
    if key == "count_and":
        return (lambda: [objects.filter(genre=g, year=y).count() for g, y in q.countPairs]), len(q.countPairs), count
    if key == "count_ne":
        return (lambda: [objects.filter(genre__ne=g).count() for g in q.countNeGenres]), len(q.countNeGenres), count
    if key == "all":
        return (lambda: objects.all()), 1, count
    if key in ("update", "update_indexed"):
        objs = list(objects.getMultiple(q.updatePks))
        for o in objs:
            if key == "update":
                o.plays = o.plays + 1
            else:
                o.genre = nextGenre(o.genre)
        return (lambda: Song.saver.save(objs)), 1, lambda r: len(objs)
    if key == "delete":
        return (lambda: [objects.filter(artist=a).delete() for a in q.deleteArtists]), len(q.deleteArtists), sum
    if key == "reset":
        objs = [Song(**row) for row in resetData]
        return (lambda: Song.reset(objs)), 1, lambda r: len(objs)
    raise ValueError(f"unknown workload {key!r}")


def main() -> None:
    request = json.loads(sys.stdin.read())
    IndexedRedis.setDefaultRedisConnectionParams(request["conn"])
    n, seed = request["n"], request["seed"]
    data = rows.makeRows(n, seed)
    resetData = rows.makeRows(n, seed + 1)
    q = rows.makeQueries(n, seed)
    out: Dict[str, Dict[str, Any]] = {}
    try:
        for _ in range(request["rounds"]):
            Song.deleter.destroyModel()
            for key in request["workloads"]:
                run, calls, units = prepare(key, data, resetData, q)
                gc.collect()
                gc.freeze()
                start = time.perf_counter()
                try:
                    res = run()
                finally:
                    took = time.perf_counter() - start
                    gc.unfreeze()
                m = out.setdefault(key, {"seconds": [], "units": [], "calls": calls})
                m["seconds"].append(took)
                m["units"].append(units(res))
                del res, run
    finally:
        Song.deleter.destroyModel()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
