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
    assert Cached.objects.count() == Cached.objects.count() == 30  # the size of one set: sent uncached
    assert Cached.objects.filter(slot="s1").count() == 10
    both = Cached.objects.filter(slot="s1", slot__ne="s0")
    assert both.count() == both.count() == 10
    assert Cached.objects.getPrimaryKeys() == Cached.objects.getPrimaryKeys()
    assert Cached.objects.get(1).value == Cached.objects.get(1).value == 0
    assert Cached.objects.get(999) is None and Cached.objects.get(999) is None
    stats = Cached.objects.cacheStats()
    assert stats["misses"] == 5 and stats["hits"] == 5, stats


def test_a_hit_is_one_round_trip(real_db, roundtrips):
    _fill()
    Cached.objects.all()
    Cached.objects.get(2)
    Cached.objects.filter(slot="s2", slot__ne="s0").count()
    with roundtrips() as rt:
        Cached.objects.all()
        Cached.objects.get(2)
        Cached.objects.filter(slot="s2", slot__ne="s0").count()
        Cached.objects.filter(slot="s2").count()  # one set's size: uncached, one round trip too
    assert rt.count == 4, rt.commands
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


def test_a_bad_cache_setting_says_what_it_takes(real_db):
    class Wrong(IndexedRedisModel):
        FIELDS = [IRField("a")]
        KEY_NAME = "irtest:CachedWrong"
        CACHE = "yes"

    with pytest.raises(InvalidModelException, match="Wrong.*CACHE must be True"):
        Wrong.objects.all()


class CachedLease(IndexedRedisModel):
    FIELDS = [IRField("slot")]
    INDEXED_FIELDS = ["slot"]
    KEY_NAME = "irtest:CachedLease"
    EXPIRE = 0
    CACHE = True


def test_expiring_objects_leave_cached_results_when_their_deadline_passes(real_db):
    short = CachedLease(slot="a")
    short.save(ttl=0.4)
    CachedLease(slot="a").save()
    for _ in range(2):  # the second round is answered from the cache
        assert CachedLease.objects.get(short._id).slot == "a"
        assert len(CachedLease.objects.filter(slot="a").all()) == 2 and CachedLease.objects.filter(slot="a").count() == 2
    assert CachedLease.objects.cacheStats()["hits"] == 3
    time.sleep(0.5)  # nothing writes: only the deadline passes
    assert CachedLease.objects.get(short._id) is None
    assert len(CachedLease.objects.filter(slot="a").all()) == 1 and CachedLease.objects.filter(slot="a").count() == 1
    assert CachedLease.objects.getPrimaryKeys() == [short._id + 1]


class CachedArtist(IndexedRedisModel):
    FIELDS = [IRField("name")]
    KEY_NAME = "irtest:CachedArtist"


class CachedAlbum(IndexedRedisModel):
    FIELDS = [IRField("title"), IRForeignLinkField("artist", CachedArtist)]
    INDEXED_FIELDS = ["title"]
    KEY_NAME = "irtest:CachedAlbum"
    CACHE = True


def test_links_of_cached_objects_are_read_fresh_from_their_model(real_db):
    artist = CachedArtist(name="Nina")
    artist.save()
    album = CachedAlbum(title="Pastel Blues", artist=artist)
    album.save()
    assert CachedAlbum.objects.all()[0].artist.name == "Nina"
    artist.name = "Nina Simone"
    artist.save()  # a write to the linked model: the album's counter does not move
    again = CachedAlbum.objects.all()
    assert CachedAlbum.objects.cacheStats()["hits"] == 1
    assert again[0].artist.name == "Nina Simone"  # the link is read from CachedArtist, not the cache
    assert CachedAlbum.objects.all(cascadeFetch=True)[0].artist.name == "Nina Simone"
    assert CachedAlbum.objects.get(album._id, cascadeFetch=True).artist.name == "Nina Simone"
    assert CachedAlbum.objects.get(album._id).artist.name == "Nina Simone"
    assert CachedAlbum.objects.cacheStats()["hits"] == 3


class CachedRanked(IndexedRedisModel):
    FIELDS = [IRField("slot"), IRField("value", valueType=int)]
    INDEXED_FIELDS = ["slot"]
    SORTED_FIELDS = ["value"]
    KEY_NAME = "irtest:CachedRanked"
    CACHE = True


def test_ranges_in_order_and_slices_are_cached_and_stay_exact(real_db):
    CachedRanked.saver.save([CachedRanked(slot=f"s{i % 3}", value=i) for i in range(30)])
    reads = {
        "page": lambda: [o.value for o in CachedRanked.objects.filter(value__gte=10).order_by("-value")[2:5].all()],
        "in": lambda: sorted(o.value for o in CachedRanked.objects.filter(slot__in=["s0", "s1"], value__lt=6).all()),
        "count": lambda: CachedRanked.objects.filter(value__range=(5, 9)).count(),
        "pks": lambda: CachedRanked.objects.filter(slot="s2").order_by("value")[:3].getPrimaryKeys(),
    }
    first = {name: read() for name, read in reads.items()}
    assert first == {"page": [27, 26, 25], "in": [0, 1, 3, 4], "count": 5, "pks": [3, 6, 9]}
    assert {name: read() for name, read in reads.items()} == first
    assert CachedRanked.objects.cacheStats()["hits"] == 4 and CachedRanked.objects.cacheStats()["misses"] == 4
    top = CachedRanked.objects.order_by("-value").first()
    top.value = 7  # moves out of the page and into the range
    top.save()
    assert reads["page"]() == [26, 25, 24] and reads["count"]() == 6
    assert reads["in"]() == [0, 1, 3, 4] and reads["pks"]() == [3, 6, 30]  # pk 30 now holds 7
    assert CachedRanked.objects.cacheStats()["hits"] == 4  # every read after the write went to Redis
    assert CachedRanked.objects.filter(slot="s0").first().value == 0  # first/last are not cached


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
            # through query.lua (IN, a slice), cached the same way
            assert Cached.objects.filter(slot__in=["new", "none"]).count() >= done
            inHead = Cached.objects.filter(slot__in=["head"])[0:5].all()
            assert len(inHead) == 1 and inHead[0].value >= done
            reads += 6  # filter(slot="new").count() is the size of one set: not cached
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


def test_get_multiple_is_cached_and_exact(real_db):
    _fill(6)
    first = [o.value for o in Cached.objects.getMultiple([3, 1, 99, 2])]
    assert first == [2, 0, 1] and [o.value for o in Cached.objects.getMultiple([3, 1, 99, 2])] == first
    assert Cached.objects.cacheStats()["hits"] == 1
    got = Cached.objects.getMultiple([3, 1, 99, 2])
    got[0].value = 100  # a caller changing what it got does not change the cache
    assert [o.value for o in Cached.objects.getMultiple([3, 1, 99, 2])] == first
    one = Cached.objects.get(1)
    one.value = 50
    one.save()
    assert [o.value for o in Cached.objects.getMultiple([3, 1, 99, 2])] == [2, 50, 1]
    assert Cached.objects.getMultiple([]) == []


def test_get_multiple_of_expiring_objects_leaves_them_out_after_their_deadline(real_db):
    short, long = CachedLease(slot="a"), CachedLease(slot="b")
    short.save(ttl=0.4)
    long.save()
    pks = [short._id, long._id]
    for _ in range(2):
        assert [o.slot for o in CachedLease.objects.getMultiple(pks)] == ["a", "b"]
    assert CachedLease.objects.cacheStats()["hits"] == 1
    time.sleep(0.5)
    assert [o.slot for o in CachedLease.objects.getMultiple(pks)] == ["b"]
