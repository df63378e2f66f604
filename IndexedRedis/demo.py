"""``python -m IndexedRedis demo``: IndexedRedis as a fast read front-end in front of SQL.

A small SQLite database of songs stands for the SQL system of record. The demo loads it into
a model with one atomic ``reset`` (what a cron job would do), then answers lookups from
Redis and prints each result with how long it took, next to the same query answered by the
SQLAlchemy ORM on SQLite: objects against objects, on the same rows, nothing cached on either
side. Without SQLAlchemy (it comes with the ``demo`` extra) it says so and builds objects from
sqlite3 rows by hand instead.

When ``REDIS_URL`` is not set it starts a private redis-server on a free loopback port and
stops it afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Iterator, List, Optional, TextIO, Tuple

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

    artist = IRField()
    title = IRField()
    album = IRField()
    year = IRField(valueType=int)
    track_number = IRField(valueType=int)
    duration_s = IRField(valueType=int)
    price = IRFixedPointField(decimalPlaces=2)
    tags: IRField[List[str]] = IRField(valueType=list)
    INDEXED_FIELDS = ["artist", "album", "year"]
    KEY_NAME = "IRDemo:Songs"


def makeSqlDatabase(path: str, nSongs: int = 3000, seed: int = 7) -> None:
    """Create the SQLite 'system of record' with ``nSongs`` songs (tags as JSON text)."""
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
        tags = sorted(set(rnd.sample(["jazz", "rock", "soul", "electronic", "live", "remaster"], 2)))
        rows.append(
            (
                artist,
                title,
                album,
                rnd.randint(1965, 2024),
                rnd.randint(1, 14),
                rnd.randint(95, 540),
                rnd.choice([0.99, 1.29, 1.49]),
                json.dumps(tags),
            )
        )
    con.executemany(
        "INSERT INTO songs (artist, title, album, year, track_number, duration_s, price, tags) VALUES (?,?,?,?,?,?,?,?)", rows
    )
    con.commit()
    con.close()


COLUMNS = ("id", "artist", "title", "album", "year", "track_number", "duration_s", "price", "tags")


class SqlSide:
    """The SQL side of the comparison: SQLAlchemy ORM objects when SQLAlchemy is installed (the
    ``demo`` extra), else objects built from sqlite3 rows by hand. Either way every query
    builds new objects (a fresh session each time: no identity map carries over)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            self.orm = False
            self.label = "sqlite3 rows as objects"
            self._con = sqlite3.connect(path)
        else:
            self.orm = True
            self.label = "SQLAlchemy ORM"
            self._setupOrm()

    def _setupOrm(self) -> None:
        from sqlalchemy import JSON, Float, Integer, String, create_engine
        from sqlalchemy.orm import DeclarativeBase, mapped_column

        class Base(DeclarativeBase):
            pass

        class Song(Base):
            __tablename__ = "songs"
            id = mapped_column(Integer, primary_key=True)
            artist = mapped_column(String)
            title = mapped_column(String)
            album = mapped_column(String)
            year = mapped_column(Integer)
            track_number = mapped_column(Integer)
            duration_s = mapped_column(Integer)
            price = mapped_column(Float)
            tags = mapped_column(JSON)

        self.Song: Any = Song
        self.engine = create_engine(f"sqlite:///{self.path}")

    def close(self) -> None:
        if self.orm:
            self.engine.dispose()
        else:
            self._con.close()

    def songs(self, where: str = "", params: tuple = ()) -> List[Any]:
        """Song objects matching ``where`` (SQL over the columns, ``?`` parameters)."""
        if self.orm:
            from sqlalchemy import text
            from sqlalchemy.orm import Session

            names = {f"p{i}": v for i, v in enumerate(params)}
            clause = where
            for i in range(len(params)):
                clause = clause.replace("?", f":p{i}", 1)
            with Session(self.engine) as session:
                stmt = self._select()
                if clause:
                    stmt = stmt.where(text(clause))
                return list(session.scalars(stmt, names).all())
        sql = f"SELECT {', '.join(COLUMNS)} FROM songs" + (f" WHERE {where}" if where else "")
        return [_RowSong(row) for row in self._con.execute(sql, params)]

    def _select(self) -> Any:
        from sqlalchemy import select

        return select(self.Song)

    def count(self, where: str, params: tuple) -> int:
        if self.orm:
            from sqlalchemy import func, select, text
            from sqlalchemy.orm import Session

            clause = where
            for i in range(len(params)):
                clause = clause.replace("?", f":p{i}", 1)
            with Session(self.engine) as session:
                found: Any = session.scalar(
                    select(func.count()).select_from(self.Song).where(text(clause)), {f"p{i}": v for i, v in enumerate(params)}
                )
                return int(found)
        return int(self._con.execute(f"SELECT COUNT(*) FROM songs WHERE {where}", params).fetchone()[0])

    def get(self, pk: int) -> Any:
        if self.orm:
            from sqlalchemy.orm import Session

            with Session(self.engine) as session:
                return session.get(self.Song, pk)
        found = self.songs("id = ?", (pk,))
        return found[0] if found else None


class _RowSong:
    """A song built from a sqlite3 row (the comparison when SQLAlchemy is not installed)."""

    __slots__ = COLUMNS

    def __init__(self, row: Tuple[Any, ...]) -> None:
        for name, value in zip(COLUMNS, row):
            setattr(self, name, json.loads(value) if name == "tags" else value)


def songsFromSql(sql: SqlSide) -> Iterator[DemoSong]:
    """What the cron job does: read the rows from SQL and turn them into model objects (keeping the SQL ids as pks)."""
    for row in sql.songs():
        yield DemoSong(
            _id=row.id,
            artist=row.artist,
            title=row.title,
            album=row.album,
            year=row.year,
            track_number=row.track_number,
            duration_s=row.duration_s,
            price=row.price,
            tags=row.tags,
        )


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


ROUNDS = 7  # timed runs of each query; the median is shown


def _median(fn: Callable[[], Any]) -> Tuple[Any, float]:
    """``fn()``'s result and the median of ROUNDS timed runs, in ms (after one untimed warm-up run)."""
    fn()
    times = []
    result = None
    for _ in range(ROUNDS):
        result, ms = _timed(fn)
        times.append(ms)
    return result, statistics.median(times)


def _demo(out: TextIO, sqlPath: str, nSongs: int) -> int:
    def say(text: str = "") -> None:
        print(text, file=out)

    import redis.utils

    makeSqlDatabase(sqlPath, nSongs)
    say(f"Created a SQLite database of {nSongs} songs at {sqlPath}")
    sql = SqlSide(sqlPath)
    if not sql.orm:
        say("SQLAlchemy is not installed (pip install 'indexedredis[demo]' adds it): the SQL side builds plain")
        say("Python objects from sqlite3 rows by hand instead of SQLAlchemy ORM objects.")
    try:
        return _compare(say, sql, nSongs, redis.utils.HIREDIS_AVAILABLE)
    finally:
        sql.close()


def _compare(say: Callable[..., None], sql: SqlSide, nSongs: int, hiredis: bool) -> int:
    pks, ms = _timed(lambda: DemoSong.reset(songsFromSql(sql)))
    say(f"reset: loaded {len(pks)} songs into Redis, swapped in atomically ({ms:.1f} ms, reading SQL included)")
    _, ms = _timed(lambda: DemoSong.reset(songsFromSql(sql)))
    say(f"reset again (what a cron job does every few minutes): {ms:.1f} ms; readers saw all old or all new rows")
    say()
    say(f"Each query runs on Redis (IndexedRedis objects, over a loopback socket, {'hiredis' if hiredis else 'pure-Python'}")
    say(f"reply parser) and on the SQLite file ({sql.label}, in this process: no socket). Both sides build")
    say(f"new objects every time (nothing is cached). Times are the median of {ROUNDS} runs after a warm-up.")
    say()
    failures = 0
    ratios = []

    def compare(label: str, redisFn: Callable[[], Any], sqlFn: Callable[[], Any], show: Callable[[Any], str]) -> None:
        nonlocal failures
        result, msRedis = _median(redisFn)
        sqlResult, msSql = _median(sqlFn)
        same = _sameSongs(result, sqlResult)
        status = "ok" if same else "MISMATCH with SQL"
        if not same:
            failures += 1
        ratios.append(msRedis / msSql if msSql else 0.0)
        say(f"{label}\n    -> {show(result)}   [{msRedis:.2f} ms IndexedRedis, {msSql:.2f} ms {sql.label}; {status}]")

    compare(
        "DemoSong.objects.filter(artist='Nina Simone').all()",
        lambda: DemoSong.objects.filter(artist="Nina Simone").all(),
        lambda: sql.songs("artist = ?", ("Nina Simone",)),
        lambda r: f"{len(r)} songs, e.g. {r[0].title!r} ({r[0].year})" if r else "no songs",
    )
    compare(
        "DemoSong.objects.filter(artist='Björk', year__ne=2001).all()",
        lambda: DemoSong.objects.filter(artist="Björk", year__ne=2001).all(),
        lambda: sql.songs("artist = ? AND year != ?", ("Björk", 2001)),
        lambda r: f"{len(r)} songs",
    )
    compare(
        "DemoSong.objects.filter(year=1999).count()",
        lambda: DemoSong.objects.filter(year=1999).count(),
        lambda: sql.count("year = ?", (1999,)),
        lambda r: f"{r} songs",
    )
    compare(
        "DemoSong.objects.filter(artist='Radiohead').all().filter(duration_s__gt=300, tags__contains='live')   (client-side)",
        lambda: DemoSong.objects.filter(artist="Radiohead").all().filter(duration_s__gt=300, tags__contains="live"),
        lambda: sql.songs("artist = ? AND duration_s > ? AND tags LIKE ?", ("Radiohead", 300, '%"live"%')),
        lambda r: f"{len(r)} long live Radiohead songs" + (f", longest {max(s.duration_s for s in r)} s" if r else ""),
    )
    pk = pks[len(pks) // 2]
    compare(
        f"DemoSong.objects.get({pk})",
        lambda: DemoSong.objects.get(pk),
        lambda: sql.get(pk),
        lambda r: f"{r.title!r} by {r.artist}, {r.price} each" if r is not None else "no song",
    )
    say()
    faster = sum(1 for r in ratios if r < 1)
    say(f"IndexedRedis was faster on {faster} of {len(ratios)} queries; its time divided by the SQL side's")
    say(f"ranged from {min(ratios):.2f} to {max(ratios):.2f}. SQLite reads a local file inside this process; Redis")
    say("answers over a socket and serves many processes and machines at once, the job of a read front-end.")
    say()
    song = DemoSong.objects.get(pk)
    if song is None:  # pragma: no cover - the object was just loaded
        return 1
    song.price = 0.49
    _, ms = _timed(song.save)
    say(f"song.price = 0.49; song.save()   -> only the changed field is written [{ms:.2f} ms]")
    reloaded = DemoSong.objects.get(pk)
    say(f"    reloaded: {reloaded.price if reloaded is not None else None}; unset fields read as {irNull!r}")
    say()
    say("Demo finished." if not failures else f"Demo finished with {failures} mismatches between Redis and SQL.")
    return 0 if not failures else 1


def _sameSongs(ours: Any, theirs: Any) -> bool:
    """Whether both sides found the same thing: equal counts, or the same songs with equal values."""
    if isinstance(ours, int) or ours is None or theirs is None:
        return ours == theirs or (ours is None and theirs is None)
    if isinstance(ours, IndexedRedisModel):
        ours, theirs = [ours], [theirs]
    key = lambda song: tuple(getattr(song, name) if name != "id" else _pkOf(song) for name in COLUMNS)  # noqa: E731
    return sorted(map(key, ours)) == sorted(map(key, theirs))


def _pkOf(song: Any) -> Optional[int]:
    return song.getPk() if isinstance(song, IndexedRedisModel) else song.id


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
