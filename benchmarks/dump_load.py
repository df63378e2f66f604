"""Dump and load of a model through the command line's code (IndexedRedis.dumpfile).

    python -m benchmarks.dump_load [--n 100000] [--rounds 3]

Starts a private redis-server and fills a model of six fields (text, an int that is indexed and
sorted, a unique title, a datetime, a bytes field, a compressed field) with ``--n`` objects by
``reset``. Each round, best of ``--rounds``: ``dumpModel`` to an in-memory file, then ``loadModel``
with ``mode='reset'`` (the dataset replaced by the dump, in one switch), then a plain ``reset`` of
the same objects built in Python, for comparison. Prints seconds and objects per second, with the
process CPU time, which is its own cost when the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime
import io
import time
from typing import Callable, List, Tuple

from IndexedRedis import IndexedRedisModel, IRField, setDefaultRedisConnectionParams
from IndexedRedis.dumpfile import dumpModel, loadModel
from IndexedRedis.fields import IRBytesField, IRCompressedField
from IndexedRedis.server import RedisServer


class Song(IndexedRedisModel):
    FIELDS = [
        IRField("title"),
        IRField("artist"),
        IRField("year", valueType=int),
        IRField("added", valueType=datetime.datetime),
        IRBytesField("cover"),
        IRCompressedField("lyrics"),
    ]
    INDEXED_FIELDS = ["artist", "year"]
    SORTED_FIELDS = ["year"]
    UNIQUE_FIELDS = ["title"]
    KEY_NAME = "bench:DumpSong"


def songs(n: int) -> List[Song]:
    start = datetime.datetime(2024, 1, 1)
    return [
        Song(
            title=f"Song {i}",
            artist=f"Artist {i % 50}",
            year=1960 + i % 60,
            added=start + datetime.timedelta(minutes=i),
            cover=bytes([i % 256, 0, 255]),
            lyrics=f"la la {i} " * 5,
        )
        for i in range(n)
    ]


def timed(func: Callable[[], object]) -> Tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = RedisServer()
    server.start()
    try:
        setDefaultRedisConnectionParams({"url": server.url})
        Song.reset(songs(args.n))
        best = {"dump": (1e9, 0.0), "load": (1e9, 0.0), "reset": (1e9, 0.0)}
        size = 0
        for _ in range(args.rounds):
            buf = io.StringIO()
            best["dump"] = min(best["dump"], timed(lambda buf=buf: dumpModel(Song, buf)))
            size = len(buf.getvalue().encode("utf-8"))
            buf.seek(0)
            best["load"] = min(best["load"], timed(lambda buf=buf: loadModel(Song, buf)))
            objs = songs(args.n)
            best["reset"] = min(best["reset"], timed(lambda objs=objs: Song.reset(objs)))
        assert Song.objects.count() == args.n
        print(f"{args.n:,} objects, dump of {size / 1e6:.1f} MB; best of {args.rounds}")
        for name, (wall, cpu) in best.items():
            label = {"dump": "dumpModel", "load": "loadModel (reset)", "reset": "reset of built objects"}[name]
            print(f"  {label:24} {wall:6.2f} s  {args.n / wall:8,.0f} objects/s  (CPU {cpu:.2f} s)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
