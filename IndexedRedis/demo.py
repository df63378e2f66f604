"""``python -m IndexedRedis demo``: IndexedRedis as a fast read front-end in front of SQL.

A small SQLite database of songs stands for the SQL system of record. The demo loads it into
a model with one atomic ``reset`` (what a cron job would do), then answers lookups from
Redis and prints each result with how long it took, next to the same query on SQLite.

When ``REDIS_URL`` is not set it starts a private redis-server on a free loopback port and
stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from typing import Any, Callable, Iterator, Optional, TextIO, Tuple

from .connection import clearRedisPools, getDefaultRedisConnectionParams, setDefaultRedisConnectionParams
from .fields import IRField, IRFixedPointField, irNull
from .model import IndexedRedisModel

ARTISTS = [
    "Nina Simone",
    "Miles Davis",
    "Björk",
    "Radiohead",
    "Fela Kuti",
    "Kraftwerk",
    "Aretha Franklin",
    "Caetano Veloso",
    "Portishead",
    "Sun Ra",
    "Joni Mitchell",
    "The Roots",
]
WORDS = [
    "blue",
    "night",
    "train",
    "river",
    "electric",
    "golden",
    "quiet",
    "storm",
    "glass",
    "paper",
    "moon",
    "city",
    "fire",
    "garden",
    "echo",
    "signal",
]


class DemoSong(IndexedRedisModel):
    """A song, as the read front-end stores it."""

    FIELDS = [
        IRField("artist"),
        IRField("title"),
        IRField("album"),
        IRField("year", valueType=int),
        IRField("track_number", valueType=int),
        IRField("duration_s", valueType=int),
        IRFixedPointField("price", decimalPlaces=2),
        IRField("tags", valueType=list),
    ]
    INDEXED_FIELDS = ["artist", "album", "year"]
    KEY_NAME = "IRDemo:Songs"


def makeSqlDatabase(path: str, nSongs: int = 3000, seed: int = 7) -> None:
    """Create the SQLite 'system of record' with ``nSongs`` songs."""
    rnd = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("DROP TABLE IF EXISTS songs")
    con.execute(
        "CREATE TABLE songs (id INTEGER PRIMARY KEY, artist TEXT, title TEXT, album TEXT, year INTEGER,"
        " track_number INTEGER, duration_s INTEGER, price REAL, tags TEXT)"
    )
    con.execute("CREATE INDEX songs_artist ON songs(artist)")
    con.execute("CREATE INDEX songs_year ON songs(year)")
    rows = []
    for i in range(nSongs):
        artist = ARTISTS[i % len(ARTISTS)]
        album = f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS).title()}"
        title = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 3))).capitalize()
        tags = ",".join(sorted(set(rnd.sample(["jazz", "rock", "soul", "electronic", "live", "remaster"], 2))))
        rows.append(
            (
                artist,
                title,
                album,
                rnd.randint(1965, 2024),
                rnd.randint(1, 14),
                rnd.randint(95, 540),
                rnd.choice([0.99, 1.29, 1.49]),
                tags,
            )
        )
    con.executemany(
        "INSERT INTO songs (artist, title, album, year, track_number, duration_s, price, tags) VALUES (?,?,?,?,?,?,?,?)", rows
    )
    con.commit()
    con.close()


def songsFromSql(path: str) -> Iterator[DemoSong]:
    """What the cron job does: read the rows from SQL and turn them into model objects."""
    con = sqlite3.connect(path)
    try:
        for artist, title, album, year, track, duration, price, tags in con.execute(
            "SELECT artist, title, album, year, track_number, duration_s, price, tags FROM songs ORDER BY id"
        ):
            yield DemoSong(
                artist=artist,
                title=title,
                album=album,
                year=year,
                track_number=track,
                duration_s=duration,
                price=price,
                tags=tags.split(","),
            )
    finally:
        con.close()


def _timed(fn: Callable[[], Any]) -> Tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - t0) * 1000.0


@contextlib.contextmanager
def _redisForDemo(out: TextIO) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        print(f"Using the Redis at REDIS_URL={url}", file=out)
        yield url
        return
    from .server import RedisServer

    server = RedisServer()
    server.start()
    print(f"REDIS_URL is not set: started a private redis-server at {server.url}", file=out)
    try:
        yield server.url
    finally:
        server.stop()
        print("Stopped the private redis-server.", file=out)


def run(out: Optional[TextIO] = None, nSongs: int = 3000) -> int:
    """Run the demo, printing to ``out`` (stdout). Returns a process exit code."""
    out = out or sys.stdout
    previous = getDefaultRedisConnectionParams()
    with _redisForDemo(out) as url, tempfile.TemporaryDirectory() as tmp:
        setDefaultRedisConnectionParams({"url": url})
        try:
            return _demo(out, os.path.join(tmp, "songs.sqlite3"), nSongs)
        finally:
            DemoSong.deleter.destroyModel()
            setDefaultRedisConnectionParams(previous)
            clearRedisPools()


def _demo(out: TextIO, sqlPath: str, nSongs: int) -> int:
    def say(text: str = "") -> None:
        print(text, file=out)

    makeSqlDatabase(sqlPath, nSongs)
    say(f"Created a SQLite database of {nSongs} songs at {sqlPath}")

    pks, ms = _timed(lambda: DemoSong.reset(songsFromSql(sqlPath)))
    say(f"reset: loaded {len(pks)} songs into Redis, swapped in atomically ({ms:.1f} ms, reading SQL included)")
    _, ms = _timed(lambda: DemoSong.reset(songsFromSql(sqlPath)))
    say(f"reset again (what a cron job does every few minutes): {ms:.1f} ms; readers saw all old or all new rows")
    say()

    con = sqlite3.connect(sqlPath)
    failures = 0
    say("Each query below runs on Redis (results are model objects, read over a socket) and on the")
    say("SQLite file (plain tuples, read inside this process), after one untimed warm-up call each.")
    say()

    def compare(label: str, redisFn: Callable[[], Any], sql: str, params: tuple, show: Callable[[Any], str]) -> None:
        nonlocal failures
        redisFn()  # first call of a query shape: the server loads the script once; time the next one
        con.execute(sql, params).fetchall()
        result, msRedis = _timed(redisFn)
        sqlResult, msSql = _timed(lambda: con.execute(sql, params).fetchall())
        got = result if isinstance(result, int) else len(result)
        want = sqlResult[0][0] if isinstance(result, int) else len(sqlResult)
        status = "ok" if got == want else f"MISMATCH (SQLite says {want})"
        if got != want:
            failures += 1
        say(f"{label}\n    -> {show(result)}   [{msRedis:.2f} ms on Redis, {msSql:.2f} ms on SQLite; {status}]")

    compare(
        "DemoSong.objects.filter(artist='Nina Simone').all()",
        lambda: DemoSong.objects.filter(artist="Nina Simone").all(),
        "SELECT * FROM songs WHERE artist = ?",
        ("Nina Simone",),
        lambda r: f"{len(r)} songs, e.g. {r[0].title!r} ({r[0].year})" if r else "no songs",
    )
    compare(
        "DemoSong.objects.filter(artist='Björk', year__ne=2001).all()",
        lambda: DemoSong.objects.filter(artist="Björk", year__ne=2001).all(),
        "SELECT * FROM songs WHERE artist = ? AND year != ?",
        ("Björk", 2001),
        lambda r: f"{len(r)} songs",
    )
    compare(
        "DemoSong.objects.filter(year=1999).count()",
        lambda: DemoSong.objects.filter(year=1999).count(),
        "SELECT COUNT(*) FROM songs WHERE year = ?",
        (1999,),
        lambda r: f"{r} songs",
    )
    compare(
        "DemoSong.objects.filter(artist='Radiohead').all().filter(duration_s__gt=300, tags__contains='live')   (client-side)",
        lambda: DemoSong.objects.filter(artist="Radiohead").all().filter(duration_s__gt=300, tags__contains="live"),
        "SELECT * FROM songs WHERE artist = ? AND duration_s > ? AND ',' || tags || ',' LIKE '%,live,%'",
        ("Radiohead", 300),
        lambda r: f"{len(r)} long live Radiohead songs" + (f", longest {max(s.duration_s for s in r)} s" if r else ""),
    )

    first, ms = _timed(lambda: DemoSong.objects.filter(artist="Kraftwerk").first())
    say(f"DemoSong.objects.filter(artist='Kraftwerk').first()\n    -> {first!r:.110}   [{ms:.2f} ms]")
    song, ms = _timed(lambda: DemoSong.objects.get(first.getPk()))
    say(f"DemoSong.objects.get({first.getPk()})\n    -> {song.title!r} by {song.artist}, {song.price} each   [{ms:.2f} ms]")

    song.price = 0.49
    _, ms = _timed(song.save)
    say(f"song.price = 0.49; song.save()   -> only the changed field is written [{ms:.2f} ms]")
    say(f"    reloaded: {DemoSong.objects.get(song.getPk()).price}; unset fields read as {irNull!r}")
    con.close()
    say()
    say("Demo finished." if not failures else f"Demo finished with {failures} mismatches between Redis and SQLite.")
    return 0 if not failures else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
