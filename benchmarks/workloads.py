"""The workloads: for each, what IndexedRedis runs, what the baseline runs, and (for lookups) what SQL runs.

A side's function prepares a ``Task`` outside the timing (building objects, fetching the
objects an update changes) and returns it; the runner times only ``Task.run()``. ``units`` says
how many objects (or calls) the result stands for; ``norm`` turns a result into plain rows,
counts or pks so the sides' results can be compared (in the first round, never timed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from .baseline import Baseline
from .baseline_lua import LuaBaseline
from .data import GENRES, CachedSong, Queries, Row, Song, byPk, rowOfObject
from .sql import SqlSide, rowOfSql

IR = "IndexedRedis"
BASE = "baseline"
LUA = "Lua 1-RT"
CACHED = "IR cached"
V6 = "6.0.3"


@dataclass
class Task:
    """One timed batch: ``run()`` is timed; it makes ``calls`` API calls."""

    run: Callable[[], Any]
    calls: int
    units: Callable[[Any], int]
    norm: Callable[[Any], Any]


@dataclass
class Ctx:
    """What the workloads of one dataset size share."""

    n: int
    rows: List[Row]
    resetRows: List[Row]
    q: Queries
    base: Baseline
    sintercard: bool = True
    notes: Dict[str, float] = field(default_factory=dict)
    lua: Optional[LuaBaseline] = None


SideFn = Callable[[Ctx], Task]
SqlFn = Callable[[SqlSide, Ctx], Task]


@dataclass
class Workload:
    """One row of the tables."""

    key: str
    label: str
    unit: str  # "objects" or "calls": what the throughput counts
    irDoc: str
    baseDoc: str
    ir: SideFn
    baseline: SideFn
    sql: Optional[SqlFn] = None
    mutates: bool = False  # after the first round's run, both datasets are compared in full
    lua: Optional[SideFn] = None  # the 1-round-trip Lua baseline (multi-object reads)
    cached: Optional[SideFn] = None  # IndexedRedis with CACHE = True, the cache warm (reads)


# ---------------------------------------------------------------------------- helpers
def _count(res: Any) -> int:
    return len(res)


def _sumLens(res: Any) -> int:
    return sum(len(x) for x in res)


def _same(res: Any) -> Any:
    return res


def _irRows(res: Sequence[Any]) -> List[Row]:
    return [rowOfObject(o) for o in res]


def _irRowLists(res: Sequence[Sequence[Any]]) -> List[List[Row]]:
    return [byPk(_irRows(x)) for x in res]


def _baseRowLists(res: Sequence[Sequence[Row]]) -> List[List[Row]]:
    return [byPk(x) for x in res]


def _sqlRowLists(res: Sequence[Sequence[Any]]) -> List[List[Row]]:
    return [byPk([rowOfSql(o) for o in x]) for x in res]


def nextGenre(genre: str) -> str:
    """The genre an indexed update moves an object to."""
    return GENRES[(GENRES.index(genre) + 1) % len(GENRES)]


# ---------------------------------------------------------------------------- insert
def irInsert(ctx: Ctx) -> Task:
    t0 = time.perf_counter()
    objs = [Song(**row) for row in ctx.rows]
    ctx.notes["construct_seconds"] = time.perf_counter() - t0
    return Task(lambda: Song.saver.save(objs), 1, _count, list)


def baseInsert(ctx: Ctx) -> Task:
    return Task(lambda: ctx.base.insert(ctx.rows), 1, _count, list)


# ---------------------------------------------------------------------------- by pk
def irGet(ctx: Ctx) -> Task:
    pks = ctx.q.getPks
    get = Song.objects.get
    return Task(lambda: [get(pk) for pk in pks], len(pks), _count, _irRows)


def baseGet(ctx: Ctx) -> Task:
    pks = ctx.q.getPks
    return Task(lambda: [ctx.base.get(pk) for pk in pks], len(pks), _count, _same)


def sqlGet(side: SqlSide, ctx: Ctx) -> Task:
    pks = ctx.q.getPks
    return Task(lambda: side.get(pks), len(pks), _count, lambda res: [rowOfSql(o) for o in res])


def irGetMultiple(ctx: Ctx) -> Task:
    lists = ctx.q.multiPks
    return Task(lambda: [Song.objects.getMultiple(pks) for pks in lists], len(lists), _sumLens, lambda r: [_irRows(x) for x in r])


def baseGetMultiple(ctx: Ctx) -> Task:
    lists = ctx.q.multiPks
    return Task(lambda: [ctx.base.getMultiple(pks) for pks in lists], len(lists), _sumLens, _same)


# ---------------------------------------------------------------------------- filters
def irFilterEq(ctx: Ctx) -> Task:
    artists = ctx.q.eqArtists
    return Task(lambda: [Song.objects.filter(artist=a).all() for a in artists], len(artists), _sumLens, _irRowLists)


def baseFilterEq(ctx: Ctx) -> Task:
    artists = ctx.q.eqArtists
    return Task(lambda: [ctx.base.filterEq("artist", a) for a in artists], len(artists), _sumLens, _baseRowLists)


def sqlFilterEq(side: SqlSide, ctx: Ctx) -> Task:
    artists = ctx.q.eqArtists
    return Task(lambda: side.filterEq(artists), len(artists), _sumLens, _sqlRowLists)


def irFilterAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.andPairs
    return Task(lambda: [Song.objects.filter(genre=g, year=y).all() for g, y in pairs], len(pairs), _sumLens, _irRowLists)


def baseFilterAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.andPairs
    return Task(lambda: [ctx.base.filterAnd([("genre", g), ("year", y)]) for g, y in pairs], len(pairs), _sumLens, _baseRowLists)


def sqlFilterAnd(side: SqlSide, ctx: Ctx) -> Task:
    pairs = ctx.q.andPairs
    return Task(lambda: side.filterAnd(pairs), len(pairs), _sumLens, _sqlRowLists)


def irFilterNe(ctx: Ctx) -> Task:
    cases = ctx.q.neCases
    return Task(lambda: [Song.objects.filter(artist=a, genre__ne=g).all() for a, g in cases], len(cases), _sumLens, _irRowLists)


def baseFilterNe(ctx: Ctx) -> Task:
    cases = ctx.q.neCases
    return Task(lambda: [ctx.base.filterEqNe(("artist", a), ("genre", g)) for a, g in cases], len(cases), _sumLens, _baseRowLists)


def sqlFilterNe(side: SqlSide, ctx: Ctx) -> Task:
    cases = ctx.q.neCases
    return Task(lambda: side.filterEqNe(cases), len(cases), _sumLens, _sqlRowLists)


# ---------------------------------------------------------------------------- counts
def irCountEq(ctx: Ctx) -> Task:
    artists = ctx.q.countArtists
    return Task(lambda: [Song.objects.filter(artist=a).count() for a in artists], len(artists), _count, _same)


def baseCountEq(ctx: Ctx) -> Task:
    artists = ctx.q.countArtists
    return Task(lambda: [ctx.base.countEq("artist", a) for a in artists], len(artists), _count, _same)


def sqlCountEq(side: SqlSide, ctx: Ctx) -> Task:
    artists = ctx.q.countArtists
    return Task(lambda: side.countEq(artists), len(artists), _count, _same)


def irCountAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.countPairs
    return Task(lambda: [Song.objects.filter(genre=g, year=y).count() for g, y in pairs], len(pairs), _count, _same)


def baseCountAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.countPairs
    sc = ctx.sintercard
    return Task(lambda: [ctx.base.countAnd([("genre", g), ("year", y)], sc) for g, y in pairs], len(pairs), _count, _same)


def sqlCountAnd(side: SqlSide, ctx: Ctx) -> Task:
    pairs = ctx.q.countPairs
    return Task(lambda: side.countAnd(pairs), len(pairs), _count, _same)


def irCountNe(ctx: Ctx) -> Task:
    genres = ctx.q.countNeGenres
    return Task(lambda: [Song.objects.filter(genre__ne=g).count() for g in genres], len(genres), _count, _same)


def baseCountNe(ctx: Ctx) -> Task:
    genres = ctx.q.countNeGenres
    return Task(lambda: [ctx.base.countNe("genre", g) for g in genres], len(genres), _count, _same)


# ---------------------------------------------------------------------------- all
def irAll(ctx: Ctx) -> Task:
    return Task(lambda: Song.objects.all(), 1, _count, lambda res: byPk(_irRows(res)))


def baseAll(ctx: Ctx) -> Task:
    return Task(lambda: ctx.base.all(), 1, _count, byPk)


# ---------------------------------------------------------------------------- updates
def irUpdate(ctx: Ctx) -> Task:
    objs = list(Song.objects.getMultiple(ctx.q.updatePks))
    for o in objs:
        o.plays = o.plays + 1
    return Task(lambda: Song.saver.save(objs), 1, lambda res: len(objs), sorted)


def baseUpdate(ctx: Ctx) -> Task:
    rows = ctx.base.getMultiple(ctx.q.updatePks)
    for r in rows:
        r["plays"] += 1
    return Task(lambda: ctx.base.updateField(rows, "plays"), 1, lambda res: len(rows), sorted)


def irUpdateIndexed(ctx: Ctx) -> Task:
    objs = list(Song.objects.getMultiple(ctx.q.updatePks))
    for o in objs:
        o.genre = nextGenre(o.genre)
    return Task(lambda: Song.saver.save(objs), 1, lambda res: len(objs), sorted)


def baseUpdateIndexed(ctx: Ctx) -> Task:
    rows = ctx.base.getMultiple(ctx.q.updatePks)
    old = [r["genre"] for r in rows]
    for r in rows:
        r["genre"] = nextGenre(r["genre"])
    return Task(lambda: ctx.base.updateIndexed(rows, "genre", old), 1, lambda res: len(rows), sorted)


# ---------------------------------------------------------------------------- delete, reset
def irDelete(ctx: Ctx) -> Task:
    artists = ctx.q.deleteArtists
    return Task(lambda: [Song.objects.filter(artist=a).delete() for a in artists], len(artists), sum, _same)


def baseDelete(ctx: Ctx) -> Task:
    artists = ctx.q.deleteArtists
    return Task(lambda: [ctx.base.deleteEq("artist", a) for a in artists], len(artists), sum, _same)


def irReset(ctx: Ctx) -> Task:
    objs = [Song(**row) for row in ctx.resetRows]
    return Task(lambda: Song.reset(objs), 1, _count, len)


def baseReset(ctx: Ctx) -> Task:
    return Task(lambda: ctx.base.reset(ctx.resetRows), 1, lambda res: int(res), int)


# ---------------------------------------------------------------------------- the Lua 1-round-trip baseline
def luaGetMultiple(ctx: Ctx) -> Task:
    lua, lists = ctx.lua, ctx.q.multiPks
    assert lua is not None
    return Task(lambda: [lua.getMultiple(pks) for pks in lists], len(lists), _sumLens, _same)


def luaFilterEq(ctx: Ctx) -> Task:
    lua, artists = ctx.lua, ctx.q.eqArtists
    assert lua is not None
    return Task(lambda: [lua.filterEq("artist", a) for a in artists], len(artists), _sumLens, _baseRowLists)


def luaFilterAnd(ctx: Ctx) -> Task:
    lua, pairs = ctx.lua, ctx.q.andPairs
    assert lua is not None
    return Task(lambda: [lua.filterAnd([("genre", g), ("year", y)]) for g, y in pairs], len(pairs), _sumLens, _baseRowLists)


def luaFilterNe(ctx: Ctx) -> Task:
    lua, cases = ctx.lua, ctx.q.neCases
    assert lua is not None
    return Task(lambda: [lua.filterEqNe(("artist", a), ("genre", g)) for a, g in cases], len(cases), _sumLens, _baseRowLists)


def luaAll(ctx: Ctx) -> Task:
    lua = ctx.lua
    assert lua is not None
    return Task(lambda: lua.all(), 1, _count, byPk)


# ---------------------------------------------------------------------------- IndexedRedis with the cache (warm)
def _warm(task: Task) -> Task:
    """Run the task once untimed, so the timed run reads an unchanged dataset from a filled cache."""
    task.run()
    return task


def cachedGet(ctx: Ctx) -> Task:
    pks, get = ctx.q.getPks, CachedSong.objects.get
    return _warm(Task(lambda: [get(pk) for pk in pks], len(pks), _count, _irRows))


def cachedGetMultiple(ctx: Ctx) -> Task:
    lists = ctx.q.multiPks
    return _warm(
        Task(
            lambda: [CachedSong.objects.getMultiple(pks) for pks in lists],
            len(lists),
            _sumLens,
            lambda r: [_irRows(x) for x in r],
        )
    )


def cachedFilterEq(ctx: Ctx) -> Task:
    artists = ctx.q.eqArtists
    return _warm(Task(lambda: [CachedSong.objects.filter(artist=a).all() for a in artists], len(artists), _sumLens, _irRowLists))


def cachedFilterAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.andPairs
    return _warm(
        Task(lambda: [CachedSong.objects.filter(genre=g, year=y).all() for g, y in pairs], len(pairs), _sumLens, _irRowLists)
    )


def cachedFilterNe(ctx: Ctx) -> Task:
    cases = ctx.q.neCases
    return _warm(
        Task(
            lambda: [CachedSong.objects.filter(artist=a, genre__ne=g).all() for a, g in cases], len(cases), _sumLens, _irRowLists
        )
    )


def cachedCountEq(ctx: Ctx) -> Task:
    artists = ctx.q.countArtists
    return _warm(Task(lambda: [CachedSong.objects.filter(artist=a).count() for a in artists], len(artists), _count, _same))


def cachedCountAnd(ctx: Ctx) -> Task:
    pairs = ctx.q.countPairs
    return _warm(Task(lambda: [CachedSong.objects.filter(genre=g, year=y).count() for g, y in pairs], len(pairs), _count, _same))


def cachedCountNe(ctx: Ctx) -> Task:
    genres = ctx.q.countNeGenres
    return _warm(Task(lambda: [CachedSong.objects.filter(genre__ne=g).count() for g in genres], len(genres), _count, _same))


def cachedAll(ctx: Ctx) -> Task:
    return _warm(Task(lambda: CachedSong.objects.all(), 1, _count, lambda res: byPk(_irRows(res))))


# ---------------------------------------------------------------------------- the list
WORKLOADS: List[Workload] = [
    Workload(
        "insert",
        "bulk insert: saver.save(list of N)",
        "objects",
        "Song.saver.save([N new Song objects]) (objects built beforehand, untimed)",
        "INCRBY next N; one pipeline (no MULTI) of HSET + SADD keys + 3 SADD idx per row",
        irInsert,
        baseInsert,
        mutates=True,
    ),
    Workload(
        "get",
        "get(pk) x{calls}",
        "calls",
        "Song.objects.get(pk) for 2,000 distinct pks (N if N < 2,000)",
        "HGETALL data:pk per pk, decoded to a dict",
        irGet,
        baseGet,
        sqlGet,
        cached=cachedGet,
    ),
    Workload(
        "getMultiple",
        "getMultiple(1000 pks) x5",
        "objects",
        "Song.objects.getMultiple(1,000 pks), 5 lists",
        "one pipeline (no MULTI) of 1,000 HGETALL per list, decoded",
        irGetMultiple,
        baseGetMultiple,
        lua=luaGetMultiple,
        cached=cachedGetMultiple,
    ),
    Workload(
        "filter_eq",
        "filter(artist=a).all() ~1% x10",
        "objects",
        "Song.objects.filter(artist=a).all() for 10 artists (~1% of N each)",
        "SMEMBERS idx:artist:a; pipeline of HGETALL, decoded",
        irFilterEq,
        baseFilterEq,
        sqlFilterEq,
        lua=luaFilterEq,
        cached=cachedFilterEq,
    ),
    Workload(
        "filter_and",
        "filter(genre=g, year=y).all() x20",
        "objects",
        "Song.objects.filter(genre=g, year=y).all() for 20 pairs (~0.1% of N each)",
        "SINTER idx:genre:g idx:year:y; pipeline of HGETALL, decoded",
        irFilterAnd,
        baseFilterAnd,
        sqlFilterAnd,
        lua=luaFilterAnd,
        cached=cachedFilterAnd,
    ),
    Workload(
        "filter_ne",
        "filter(artist=a, genre__ne=g).all() x10",
        "objects",
        "Song.objects.filter(artist=a, genre__ne=g).all() for 10 pairs (~0.95% of N each)",
        "SDIFF idx:artist:a idx:genre:g; pipeline of HGETALL, decoded",
        irFilterNe,
        baseFilterNe,
        sqlFilterNe,
        lua=luaFilterNe,
        cached=cachedFilterNe,
    ),
    Workload(
        "count_eq",
        "filter(artist=a).count() x200",
        "calls",
        "Song.objects.filter(artist=a).count() 200 times",
        "SCARD idx:artist:a",
        irCountEq,
        baseCountEq,
        sqlCountEq,
        cached=cachedCountEq,
    ),
    Workload(
        "count_and",
        "filter(genre=g, year=y).count() x200",
        "calls",
        "Song.objects.filter(genre=g, year=y).count() 200 times",
        "SINTERCARD 2 idx:genre:g idx:year:y (len(SINTER) before Redis 7)",
        irCountAnd,
        baseCountAnd,
        sqlCountAnd,
        cached=cachedCountAnd,
    ),
    Workload(
        "count_ne",
        "filter(genre__ne=g).count() ~95% x50",
        "calls",
        "Song.objects.filter(genre__ne=g).count() 50 times (~95% of N match)",
        "pipeline of SCARD keys, SCARD idx:genre:g; subtracted",
        irCountNe,
        baseCountNe,
        cached=cachedCountNe,
    ),
    Workload(
        "all",
        "all()",
        "objects",
        "Song.objects.all()",
        "SMEMBERS keys; pipeline of N HGETALL, decoded",
        irAll,
        baseAll,
        lua=luaAll,
        cached=cachedAll,
    ),
    Workload(
        "update",
        "update plays on 2000, save(list)",
        "objects",
        "2,000 fetched objects (untimed getMultiple), obj.plays += 1, Song.saver.save(list)",
        "pipeline of HSET data:pk plays value per row",
        irUpdate,
        baseUpdate,
        mutates=True,
    ),
    Workload(
        "update_indexed",
        "update genre (indexed) on 2000",
        "objects",
        "as update, but obj.genre changes (an indexed field)",
        "pipeline of HSET + SREM old idx + SADD new idx per row",
        irUpdateIndexed,
        baseUpdateIndexed,
        mutates=True,
    ),
    Workload(
        "delete",
        "filter(artist=a).delete() ~1% x5",
        "objects",
        "Song.objects.filter(artist=a).delete() for 5 artists",
        "SMEMBERS idx; pipeline of HMGET other indexed fields; pipeline of DEL + SREM keys + 3 SREM idx per pk",
        irDelete,
        baseDelete,
        mutates=True,
    ),
    Workload(
        "reset",
        "reset(N objects) over N",
        "objects",
        "Song.reset([N new Song objects]) replacing the dataset (objects built beforehand, untimed)",
        "per 1,000 rows: INCRBY next + pipeline of HSET + 4 SADD into a new generation prefix; SET pointer; "
        "SCAN MATCH old-prefix* + UNLINK per batch",
        irReset,
        baseReset,
        mutates=True,
    ),
]

WORKLOAD_KEYS = [w.key for w in WORKLOADS]


def workloadsNamed(keys: Optional[Sequence[str]]) -> List[Workload]:
    """The workloads in run order, limited to ``keys`` when given (insert always runs first: the others need data)."""
    if not keys:
        return list(WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOAD_KEYS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {WORKLOAD_KEYS}")
    return [w for w in WORKLOADS if w.key in keys or w.key == "insert"]


__all__ = [
    "BASE",
    "CACHED",
    "IR",
    "LUA",
    "V6",
    "Ctx",
    "Task",
    "WORKLOADS",
    "WORKLOAD_KEYS",
    "Workload",
    "nextGenre",
    "workloadsNamed",
]
