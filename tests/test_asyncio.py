"""The asyncio API: what the shared behavioural suite (conftest.api) does not show by itself.

The same commands as the sync API, links that never block a running loop, ``async for``
streaming, ``areset`` from an async iterable, pools per event loop, and a loop that stays
responsive while 100 reads and a reset of 100,000 rows run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, List

import pytest
import redis
import redis.asyncio

import IndexedRedis
import IndexedRedis.readplans as readplans
from IndexedRedis import BlockingCallError, IndexedRedisModel, IRField, aclose
from IndexedRedis.fields import IRForeignLinkField, IRForeignMultiLinkField
from tests.models import Song, songs


class Artist(IndexedRedisModel):
    FIELDS = [IRField("name")]
    INDEXED_FIELDS = ["name"]
    KEY_NAME = "irtest:aio:Artist"


class Album(IndexedRedisModel):
    FIELDS = [IRField("title"), IRForeignLinkField("artist", Artist), IRForeignMultiLinkField("guests", Artist)]
    INDEXED_FIELDS = ["title"]
    KEY_NAME = "irtest:aio:Album"


class Row(IndexedRedisModel):
    FIELDS = [IRField("batch"), IRField("n", valueType=int), IRField("note")]
    INDEXED_FIELDS = ["batch"]
    KEY_NAME = "irtest:aio:Row"


@pytest.fixture
async def adb(real_db):
    """real_db, closing the asyncio pools of the test's loop at the end."""
    yield real_db
    await aclose()


# ---------------------------------------------------------------------------- same commands
def _recordCommands(monkeypatch) -> List[tuple]:
    """Every command either client packs (sync and redis.asyncio connections), as a tuple of bytes."""
    from redis.asyncio.connection import AbstractConnection as AsyncConnection
    from redis.connection import AbstractConnection

    seen: List[tuple] = []

    def norm(args: Any) -> tuple:
        return tuple(a if isinstance(a, bytes) else str(a).encode() for a in args)

    sendSync, sendAsync = AbstractConnection.send_command, AsyncConnection.send_command

    def sendOne(self, *args, **kwargs):
        seen.append(norm(args))
        return sendSync(self, *args, **kwargs)

    async def aSendOne(self, *args, **kwargs):
        seen.append(norm(args))
        return await sendAsync(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_command", sendOne)
    monkeypatch.setattr(AsyncConnection, "send_command", aSendOne)
    for cls in (AbstractConnection, AsyncConnection):
        packMany = cls.pack_commands

        def many(self, commands, _real=packMany):
            commands = list(commands)
            seen.extend(norm(c) for c in commands)
            return _real(self, commands)

        monkeypatch.setattr(cls, "pack_commands", many)
    return seen


async def test_both_executors_send_the_same_commands_for_the_same_operations(adb, monkeypatch):
    """One plan, two executors: every operation sends byte for byte the same commands."""
    Song.saver.save(songs())
    await Song.objects.acount()  # both clients have seen the current generation and every script
    Song.objects.count()
    for script in [*vars(IndexedRedis.scripts).values(), *IndexedRedis.scripts.PLAIN.values()]:
        if hasattr(script, "sha"):
            adb.script_load(script.script)

    def operations(api: str):
        q = Song.objects.filter(artist="Nina Simone")
        name = (lambda n: "a" + n) if api == "async" else (lambda n: n)
        return [
            (q, name("all"), ()),
            (q, name("count"), ()),
            (q, name("first"), ()),
            (Song.objects.filter(year__ne=1965), name("getPrimaryKeys"), (True,)),
            (Song.objects, name("get"), (2,)),
            (Song.objects, name("getMultiple"), ([1, 3, 99],)),
            (Song.objects, name("getOnlyFields"), (1, ["title"])),
            (Song.objects, name("exists"), (4,)),
        ]

    sent = {}
    for api in ("sync", "async"):
        seen = _recordCommands(monkeypatch)
        results = []
        for target, method, args in operations(api):
            value = getattr(target, method)(*args)
            if api == "async":
                value = await value
            results.append(repr(value))
        monkeypatch.undo()
        sent[api] = (seen, results)
    assert sent["sync"][0] == sent["async"][0] and len(sent["sync"][0]) >= 8
    assert sent["sync"][1] == sent["async"][1]

    # Writes: the same save and delete, except for the random token of an insert.
    seen = _recordCommands(monkeypatch)
    one = Song.objects.get(1)
    one.title = "Sinnerman (live)"
    one.save()
    one.delete()
    monkeypatch.undo()
    syncWrites = seen
    seen = _recordCommands(monkeypatch)
    two = await Song.objects.aget(2)
    two.title = "Sinnerman (live)"
    await two.asave()
    await two.adelete()
    monkeypatch.undo()

    def shape(cmds: List[tuple]) -> List[tuple]:
        return [tuple(a for a in c if not a.isdigit()) for c in cmds]  # pks differ (1 and 2)

    assert [c[0] for c in seen] == [c[0] for c in syncWrites]
    assert len(shape(seen)) == len(shape(syncWrites))


# ---------------------------------------------------------------------------- links
async def test_reading_an_unfetched_link_in_a_running_loop_raises_and_aget_fetches_it(adb):
    nina = Artist(name="Nina")
    bjork = Artist(name="Björk")
    album = Album(title="Pastel Blues", artist=nina, guests=[bjork, nina])
    await album.asave()
    fresh = await Album.objects.aget(album.getPk())
    with pytest.raises(BlockingCallError, match=r"await obj.aget\('artist'\)"):
        _ = fresh.artist
    artist = await fresh.aget("artist")
    assert artist.name == "Nina" and fresh.artist is artist  # fetched: plain reads need no I/O now
    guests = await fresh.aget("guests")
    assert [g.name for g in guests] == ["Björk", "Nina"]
    assert await fresh.aget("title") == "Pastel Blues"
    with pytest.raises(IndexedRedis.InvalidFieldError):
        await fresh.aget("nope")
    cascaded = await Album.objects.filter(title="Pastel Blues").aall(cascadeFetch=True)
    assert cascaded[0].artist.name == "Nina" and [g.name for g in cascaded[0].guests] == ["Björk", "Nina"]
    other = await Album.objects.afirst()
    await other.acascadeFetch()
    assert other.artist.name == "Nina"


def test_reading_a_link_outside_a_loop_still_fetches(real_db):
    album = Album(title="t", artist=Artist(name="a"))
    album.save()
    assert Album.objects.get(album.getPk()).artist.name == "a"


# ---------------------------------------------------------------------------- async for
async def test_async_for_streams_chunk_by_chunk(adb, monkeypatch, roundtrips):
    monkeypatch.setattr(readplans, "READ_CHUNK", 4)
    Row.saver.save([Row(batch="x" if i % 3 else "y", n=i) for i in range(20)])
    got = []
    with roundtrips() as rt:
        async for obj in Row.objects.filter(batch="x"):
            got.append(obj.n)
    assert sorted(got) == [i for i in range(20) if i % 3]
    assert rt.count == 4, rt.commands  # 13 rows: fetch.lua with the first 4, then rows.lua for 4, 4 and 1
    assert [o async for o in Row.objects.filter(batch="none")] == []


async def test_async_for_after_a_write_reads_the_rest_as_it_is_then(adb, monkeypatch):
    """As iterator(): the first chunk and every matching pk come from one instant; after a write
    the rest is read as it is then, each match given once, none added."""
    monkeypatch.setattr(readplans, "READ_CHUNK", 4)
    Row.saver.save([Row(batch="x", n=i) for i in range(12)])
    got = []
    async for obj in Row.objects.filter(batch="x"):
        got.append(obj.n)
        if len(got) == 1:
            await Row(batch="x", n=99).asave()
    assert sorted(got) == list(range(12))
    assert [o.n async for o in Row.objects.filter(batch="x").aiterator(5)] == sorted(got + [99], key=lambda n: (n == 99, n))
    assert len(await Row.objects.filter(batch="x").aall()) == 13


# ---------------------------------------------------------------------------- reset
async def test_areset_takes_an_async_iterable(adb):
    async def rows():
        for i in range(1234):
            if i % 500 == 0:
                await asyncio.sleep(0)  # as a driver reading rows would
            yield Row(batch="new", n=i)

    Row(batch="old", n=-1).save()
    pks = await Row.areset(rows())
    assert len(pks) == 1234
    assert sorted(o.n for o in await Row.objects.aall()) == list(range(1234))
    assert (await Row.objects.averify()).ok


def test_reset_refuses_an_async_iterable_with_a_clear_error(real_db):
    async def rows():
        yield Row(batch="new", n=1)

    gen = rows()
    with pytest.raises(IndexedRedis.InvalidValueError, match="areset"):
        Row.reset(gen)
    asyncio.run(gen.aclose())
    assert Row.objects.count() == 0


async def test_asaveToExternal_takes_an_asyncio_client(adb, redis_server_url):
    other = redis.asyncio.Redis.from_url(redis_server_url, db=1)
    try:
        await other.flushdb()
        pk = await Song(artist="x", title="y").asaveToExternal(other)
        assert await other.hget(b"_ir_|irtest:Song:data:%d" % pk, "artist") == b"x"
        await other.flushdb()
    finally:
        await other.aclose()


# ---------------------------------------------------------------------------- pools and loops
def test_several_event_loops_in_one_process(real_db):
    """A thread with its own loop and the main thread's loop use pools of their own."""
    Song.saver.save(songs())
    errors: List[BaseException] = []
    counts: List[int] = []

    async def work() -> None:
        for _ in range(20):
            counts.append(len(await Song.objects.filter(artist="Björk").aall()))
        await aclose()

    def thread() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread) for _ in range(3)]
    for t in threads:
        t.start()
    asyncio.run(work())
    for t in threads:
        t.join()
    assert not errors and counts == [2] * 80


async def test_aclose_closes_the_loops_pools_and_the_next_call_opens_new_ones(adb):
    from IndexedRedis import connection

    Song.saver.save(songs())
    assert await Song.objects.acount() == 6
    loop = asyncio.get_running_loop()
    assert connection._asyncPools.get(loop)
    await aclose()
    assert not connection._asyncPools.get(loop)
    assert await Song.objects.acount() == 6


# ---------------------------------------------------------------------------- the loop stays responsive
async def test_the_loop_is_never_blocked_by_100_reads_and_a_reset_of_100000_rows(adb):
    """A ticker task wakes every 5 ms while 100 concurrent aall() (of 200 objects each) and an
    areset of 100,000 rows run. Between two of its wake-ups the loop's thread may only have
    worked a short while: that work is measured in CPU time of the thread (``time.thread_time``),
    so that other processes keeping the machine's cores busy do not count as blocking the loop;
    the wall-clock lag is printed beside it. (The reads' replies arrive together, so their
    decoding, about 1 ms each, runs in one turn of the loop: that turn is the longest.)"""
    Row.saver.save([Row(batch="old", n=i, note="x" * 20) for i in range(200)])
    busy: List[float] = []
    lags: List[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            cpu, wall = time.thread_time(), time.perf_counter()
            await asyncio.sleep(0.005)
            busy.append(time.thread_time() - cpu)
            lags.append(time.perf_counter() - wall - 0.005)

    def rows():
        for i in range(100_000):
            yield Row(batch="new", n=i, note="y" * 20)

    async def reads() -> List[int]:
        return [len(r) for r in await asyncio.gather(*(Row.objects.filter(batch="old").aall() for _ in range(100)))]

    tick = asyncio.ensure_future(ticker())
    began = time.perf_counter()
    try:
        pks, sizes = await asyncio.gather(Row.areset(rows()), reads())
    finally:
        elapsed = time.perf_counter() - began
        done.set()
        await tick
    assert len(pks) == 100_000 and all(n in (0, 200) for n in sizes)
    assert await Row.objects.acount() == 100_000
    busy.sort()
    lags.sort()
    print(
        f"{len(busy)} ticks: loop thread busy between ticks median {busy[len(busy) // 2] * 1000:.1f} ms, "
        f"max {busy[-1] * 1000:.1f} ms; wall lag median {lags[len(lags) // 2] * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms; "
        f"{elapsed:.1f} s"
    )
    assert len(busy) > 50  # the ticker ran all along
    assert busy[len(busy) // 2] < 0.02
    assert busy[-1] < 0.25, f"the loop's thread worked {busy[-1] * 1000:.0f} ms without letting the ticker run"
    assert elapsed < 60


# Public methods that do no I/O (they build queries, compare or convert in memory, filter a result
# list on the client, or make another handle): the only ones allowed to have no awaited twin.
NO_IO = {
    "IRQueryBuilder": {"filter", "filterInline", "order_by", "cacheStats", "clearCache"},
    "IndexedRedisModel": {
        "asDict",
        "toDict",
        "copy",
        "copyModel",
        "connectAlt",
        "getPk",
        "getUpdatedFields",
        "hasSameValues",
        "hasUnsavedChanges",
        "pprint",
        "validateModel",
    },
    "IRQueryableList": {"all", "count", "customFilter", "filter", "filterAnd", "filterOr", "getModel", "sort_by"},
    # client() gives the blocking client, aclient() the redis.asyncio one (no I/O either way)
    "RedisCollection": {"child", "client", "connectAlt", "sameKey", "withClient"},
}


def _publicMethods(cls):
    import inspect

    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, (classmethod, staticmethod)):
            attr = attr.__func__
        if inspect.isfunction(attr):
            yield name


def test_every_public_sync_method_has_an_awaited_twin():
    """Every public method of the public classes has its ``a`` twin, unless it is in NO_IO (so a
    method added later without a twin fails here until it gets one or is listed as doing no I/O)."""
    import inspect
    import IndexedRedis.collections as colls
    from IndexedRedis.collections.base import RedisCollection
    from IndexedRedis.persistence import IRDeleter, IRSaver
    from IndexedRedis.query import IRQueryBuilder
    from IndexedRedis.results import IRQueryableList

    collectionTypes = [
        t for t in (getattr(colls, n) for n in colls.__all__) if isinstance(t, type) and issubclass(t, RedisCollection)
    ]
    assert len(collectionTypes) >= 10
    missing = []
    for cls in (IRQueryBuilder, IndexedRedisModel, IRSaver, IRDeleter, IRQueryableList, *collectionTypes):
        allowed = NO_IO.get(cls.__name__, NO_IO["RedisCollection"] if issubclass(cls, RedisCollection) else set())
        names = set(_publicMethods(cls))
        for name in sorted(names):
            isTwin = name.startswith("a") and (name[1:] in names or hasattr(cls, f"__{name[1:]}__"))
            if isTwin or name in allowed or name == "aget":
                continue
            twin = getattr(cls, "a" + name, None)
            if name == "iterator":  # aiterator() returns an async iterator at once (checks its argument first)
                assert twin is not None and "AsyncIterator" in str(inspect.signature(twin).return_annotation)
                continue
            if not (asyncio.iscoroutinefunction(twin) or inspect.isasyncgenfunction(twin)):
                missing.append(f"{cls.__name__}.{name}")
    assert missing == [], missing
    # the twins the asyncio docs list are there
    for name in "aall aallByAge aallOnlyFields acount aexists afirst alast arandom aget agetMultiple agetOnlyFields".split():
        assert asyncio.iscoroutinefunction(getattr(IRQueryBuilder, name))
    for name in "asave adelete areload acascadeFetch amigrate areset".split():
        assert asyncio.iscoroutinefunction(getattr(IndexedRedisModel, name))
