"""The client-side read cache (CACHE / ir_cache): hits, copies, bounds, and no stale read while
other processes write, reset and destroy the model."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import redis

from IndexedRedis import (
    IndexedRedisModel,
    InvalidModelException,
    IRField,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.fields import IRForeignLinkField
from IndexedRedis.readcache import ReadCache, copyValue


class Cached(IndexedRedisModel):
    FIELDS = [IRField("slot"), IRField("value", valueType=int), IRField("tags", valueType=list)]
    INDEXED_FIELDS = ["slot"]
    KEY_NAME = "irtest:Cached"
    CACHE = True


class Uncached(IndexedRedisModel):
    """The same data as Cached, read without the cache (a second client's view)."""

    FIELDS = [IRField("slot"), IRField("value", valueType=int), IRField("tags", valueType=list)]
    INDEXED_FIELDS = ["slot"]
    KEY_NAME = "irtest:Cached"


MARKER = b"irtest:cachemarker"


def _fill(n: int = 30) -> None:
    Cached.saver.save([Cached(slot=f"s{i % 3}", value=i, tags=["a", "b"]) for i in range(n)])


# ---------------------------------------------------------------------------- basics
def test_repeated_reads_hit_and_give_equal_results(real_db):
    _fill()
    q = Cached.objects.filter(slot="s1")
    first = q.all()
    again = q.all()
    assert sorted(o.value for o in first) == sorted(o.value for o in again) == list(range(1, 30, 3))
    assert Cached.objects.count() == Cached.objects.count() == 30
    assert Cached.objects.filter(slot="s1").count() == 10
    assert Cached.objects.getPrimaryKeys() == Cached.objects.getPrimaryKeys()
    assert Cached.objects.get(1).value == Cached.objects.get(1).value == 0
    assert Cached.objects.get(999) is None and Cached.objects.get(999) is None
    stats = Cached.objects.cacheStats()
    assert stats["misses"] == 6 and stats["hits"] == 5, stats


def test_a_hit_is_one_round_trip(real_db, roundtrips):
    _fill()
    Cached.objects.all()
    Cached.objects.get(2)
    Cached.objects.filter(slot="s2").count()
    with roundtrips() as rt:
        Cached.objects.all()
        Cached.objects.get(2)
        Cached.objects.filter(slot="s2").count()
    assert rt.count == 3, rt.commands
    assert Cached.objects.cacheStats()["hits"] == 3


def test_results_are_copies(real_db):
    _fill()
    objs = Cached.objects.all()
    objs[0].tags.append("mutated")
    objs[0].value = -1
    obj = Cached.objects.get(objs[0].getPk())
    obj.tags.clear()
    again = {o.getPk(): o for o in Cached.objects.all()}
    assert again[objs[0].getPk()].tags == ["a", "b"]
    assert again[objs[0].getPk()].value != -1
    assert Cached.objects.get(objs[0].getPk()).tags == ["a", "b"]
    assert Cached.objects.cacheStats()["hits"] >= 2
    # a copy saves like any fetched object
    obj = Cached.objects.get(1)
    obj.value = 500
    obj.save()
    assert Uncached.objects.get(1).value == 500
    assert Cached.objects.get(1).value == 500


def test_writes_invalidate(real_db):
    _fill()
    assert Cached.objects.filter(slot="s0").count() == 10
    Uncached(slot="s0", value=100, tags=[]).save()
    assert Cached.objects.filter(slot="s0").count() == 11
    one = Uncached.objects.get(1)
    one.value = 42
    one.save()
    Cached.objects.get(1)
    assert Cached.objects.get(1).value == 42
    Uncached.objects.filter(slot="s1").delete()
    assert Cached.objects.filter(slot="s1").all() == []
    assert Cached.objects.count() == 21
    Uncached.reset([Uncached(slot="s9", value=7, tags=[])])
    assert [o.value for o in Cached.objects.all()] == [7]
    Uncached.deleter.destroyModel()
    assert Cached.objects.all() == [] and Cached.objects.count() == 0


def test_memory_is_bounded_lru():
    cache = ReadCache(maxObjects=10)
    cache.store(b"v", ("a",), b"1", list(range(4)), 4)
    cache.store(b"v", ("b",), b"1", list(range(4)), 4)
    assert cache.lookup(b"v", ("a",)) is not None  # a is now the most recent
    cache.store(b"v", ("c",), b"1", list(range(4)), 4)
    assert cache.lookup(b"v", ("b",)) is None
    assert cache.lookup(b"v", ("a",)) is not None and cache.lookup(b"v", ("c",)) is not None
    assert cache.stats()["objects"] == 8
    cache.store(b"v", ("huge",), b"1", list(range(11)), 11)  # bigger than the whole cache: not kept
    assert cache.lookup(b"v", ("huge",)) is None and cache.stats()["objects"] == 8
    assert cache.lookup(b"w", ("a",)) is None  # another generation: everything dropped
    assert cache.stats()["entries"] == 0


def test_size_limit_in_objects(real_db):
    class Small(IndexedRedisModel):
        FIELDS = [IRField("slot"), IRField("value", valueType=int), IRField("tags", valueType=list)]
        INDEXED_FIELDS = ["slot"]
        KEY_NAME = "irtest:Cached"
        CACHE = 15

    _fill()
    Small.objects.all()  # 30 objects: more than the cache holds
    Small.objects.all()
    Small.objects.filter(slot="s0").all()
    Small.objects.filter(slot="s0").all()
    stats = Small.objects.cacheStats()
    assert stats["hits"] == 1 and stats["misses"] == 3 and stats["objects"] == 10, stats


def test_copy_value_shares_nothing_mutable():
    value = {"a": [1, {"b": [2]}], "c": (3, [4])}
    copied = copyValue(value)
    assert copied == value
    copied["a"][1]["b"].append(5)
    copied["c"][1].append(6)
    assert value == {"a": [1, {"b": [2]}], "c": (3, [4])}


def test_connection_parameter_turns_it_on(real_db, redis_server_url):
    class ByParam(IndexedRedisModel):
        FIELDS = [IRField("slot"), IRField("value", valueType=int), IRField("tags", valueType=list)]
        INDEXED_FIELDS = ["slot"]
        KEY_NAME = "irtest:Cached"
        REDIS_CONNECTION_PARAMS = {"url": redis_server_url, "ir_cache": 1000}

    _fill()
    ByParam.objects.all()
    ByParam.objects.all()
    assert ByParam.objects.cacheStats() == {"hits": 1, "misses": 1, "entries": 1, "objects": 30, "maxObjects": 1000}
    assert Uncached.objects.cacheStats()["maxObjects"] == 0

    class OffOnModel(ByParam):
        CACHE = False  # the model's setting wins over ir_cache

    OffOnModel.objects.all()
    assert OffOnModel.objects.cacheStats()["maxObjects"] == 0


def test_models_that_cannot_be_cached_say_why(real_db):
    class Expiring(IndexedRedisModel):
        FIELDS = [IRField("a")]
        KEY_NAME = "irtest:CachedExpiring"
        EXPIRE = 10
        CACHE = True

    class Linked(IndexedRedisModel):
        FIELDS = [IRField("a"), IRForeignLinkField("other", Uncached)]
        KEY_NAME = "irtest:CachedLinked"
        CACHE = True

    class Wrong(IndexedRedisModel):
        FIELDS = [IRField("a")]
        KEY_NAME = "irtest:CachedWrong"
        CACHE = "yes"

    with pytest.raises(InvalidModelException, match="Expiring.*EXPIRE"):
        Expiring.objects.all()
    with pytest.raises(InvalidModelException, match="Linked.*link"):
        Linked.objects.all()
    with pytest.raises(InvalidModelException, match="Wrong.*CACHE must be True"):
        Wrong.objects.all()


def test_other_filters_read_without_the_cache(real_db):
    _fill()
    assert len(Cached.objects.filter(slot__in=["s0", "s1"]).all()) == 20
    assert Cached.objects.filter(slot="s0").first().value == 0
    assert Cached.objects.cacheStats()["misses"] == 0


# ---------------------------------------------------------------------------- other processes writing
def _writer(url: str, steps: int, withResets: bool) -> None:
    """Step i: change one object, add one to slot 'new', set the head object's value to i, then
    set MARKER to i (so once MARKER reads i, all of step i is written)."""
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    raw = redis.Redis.from_url(url)
    head = Uncached.objects.filter(slot="head").first()
    for i in range(1, steps + 1):
        if withResets and i % 50 == 0:
            head = Uncached(slot="head", value=i, tags=[])
            Uncached.reset([head] + [Uncached(slot="new", value=j, tags=[]) for j in range(i)])
            head = Uncached.objects.filter(slot="head").first()
        else:
            other = Uncached.objects.get(1 + i % 20)
            if other is not None and other.slot != "head":
                other.value = i
                other.save()
            Uncached(slot="new", value=i, tags=["n"]).save()
            head.value = i
            head.tags = [i]
            head.save()
        raw.set(MARKER, i)
        time.sleep(0.002)  # leave the reader time for hits
    raw.close()


@pytest.mark.parametrize("withResets", [False, True], ids=["writes", "writes+resets"])
def test_no_stale_read_while_another_process_writes(real_db, redis_server_url, withResets):
    Cached.saver.save([Cached(slot="s", value=0, tags=[]) for _ in range(20)] + [Cached(slot="head", value=0, tags=[])])
    real_db.set(MARKER, 0)
    steps = 300
    proc = multiprocessing.get_context("fork").Process(target=_writer, args=(redis_server_url, steps, withResets))
    proc.start()
    reads = 0
    try:
        while True:
            done = int(real_db.get(MARKER))  # every step up to `done` is written
            heads = [o for o in Cached.objects.all() if o.slot == "head"]
            assert len(heads) == 1 and heads[0].value >= done, (done, heads)
            head = Cached.objects.filter(slot="head").all()
            assert len(head) == 1 and head[0].value >= done and head[0].tags in ([], [head[0].value])
            byPk = Cached.objects.get(head[0].getPk())
            assert byPk.value >= done if byPk is not None else withResets  # a reset may come in between
            assert Cached.objects.filter(slot="new").count() >= done
            assert len(Cached.objects.filter(slot="new").getPrimaryKeys()) >= done
            reads += 5
            if done >= steps:
                break
            if not proc.is_alive() and int(real_db.get(MARKER)) < steps:
                pytest.fail(f"the writer stopped at step {done} (exit code {proc.exitcode})")
    finally:
        proc.join(60)
    assert proc.exitcode == 0
    stats = Cached.objects.cacheStats()
    assert stats["hits"] > 0 and stats["hits"] + stats["misses"] == reads, stats
    head = Uncached.objects.filter(slot="head").first()
    assert Cached.objects.get(head.getPk()).value == head.value == steps
