"""EXPIRE: objects with a deadline, invisible to every read from the moment it passes, removed
with their index entries by the writes and reads that meet them and by purgeExpired()."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from IndexedRedis import (
    IndexedRedisModel,
    InvalidModelException,
    InvalidValueError,
    IRField,
    UniqueConstraintError,
    clearRedisPools,
    setDefaultRedisConnectionParams,
)
from IndexedRedis.fields import IRBase64Field, IRCompressedField
from IndexedRedis.server import RedisServer


class Session(IndexedRedisModel):
    FIELDS = [IRField("user"), IRField("token"), IRField("hits", valueType=int, defaultValue=0), IRField("note")]
    INDEXED_FIELDS = ["user"]
    SORTED_FIELDS = ["hits", "note"]
    UNIQUE_FIELDS = ["token"]
    EXPIRE = 60
    KEY_NAME = "irtest:Session"


class Cache(IndexedRedisModel):
    """Fields indexed by md5 (the script derives their index keys from the stored values)."""

    FIELDS = [IRBase64Field("blob"), IRCompressedField("packed"), IRField("kind")]
    INDEXED_FIELDS = ["blob", "packed", "kind"]
    EXPIRE = 0  # deadlines per object only
    KEY_NAME = "irtest:Cache"


class Plain(IndexedRedisModel):
    FIELDS = [IRField("a")]
    KEY_NAME = "irtest:PlainNoExpire"


def _modelKeys(db, name: bytes):
    keys = db.keys(b"_ir_|" + name + b":*")
    return sorted(k for k in keys if not k.endswith((b":next", b":ver", b":idxkeys")) and b":op:" not in k)


def test_default_ttl_and_per_object_deadlines(ir_db):
    s = Session(user="u", token="t1")
    s.save()
    assert 59 < s.ttl() <= 60
    s.expire(5)
    assert 4 < s.ttl() <= 5
    s.persist()
    assert s.ttl() is None
    s.hits = 3
    s.save()  # an update keeps the deadline (none here)
    assert s.ttl() is None
    s.save(ttl=7)  # nothing changed: the deadline alone is written
    assert 6 < s.ttl() <= 7
    n = Session(user="v", token="t2")
    n.save(ttl=2)
    assert 1 < n.ttl() <= 2
    Session.saver.save([Session(user="w", token="t3"), Session(user="w", token="t4")], ttl=3)
    assert all(2 < o.ttl() <= 3 for o in Session.objects.filter(user="w").all())


def test_an_expired_object_is_gone_for_every_read(ir_db):
    keep = Session(user="u", token="keep", hits=5, note="m")
    gone = Session(user="u", token="gone", hits=7, note="n")
    Session.saver.save([keep, gone])
    gone.expire(0.05)
    time.sleep(0.08)
    q = Session.objects
    assert q.get(gone._id) is None and not q.exists(gone._id)
    assert [o._id for o in q.getMultiple([keep._id, gone._id])] == [keep._id]
    assert q.getMultipleOnlyFields([gone._id], ["user"]) == []
    assert q.count() == 1 and q.filter(user="u").count() == 1 and q.filter(user__ne="x").count() == 1
    assert q.getPrimaryKeys() == [keep._id] and q.filter(user="u").getPrimaryKeys() == [keep._id]
    assert [o._id for o in q.filter(user="u").all()] == [keep._id]
    assert q.filter(hits__gte=0).count() == 1 and q.filter(hits__gt=6).count() == 0
    assert [o._id for o in q.filter(hits__gte=0).order_by("-hits").all()] == [keep._id]
    assert q.filter(note__startswith="n").count() == 0
    assert q.first()._id == keep._id and q.last()._id == keep._id and q.random()._id == keep._id
    assert q.get(token="gone") is None
    assert gone.ttl() == 0.0
    Session(user="z", token="gone").save()  # the unique value is free
    assert q.get(token="gone").user == "z"


def test_reads_leave_out_what_they_do_not_purge(real_db):
    """More objects past their deadline than a read purges: the others are left out all the same."""
    Session.saver.save([Session(user="u", token=f"t{i}", hits=i) for i in range(200)], ttl=0.05)
    Session.saver.save([Session(user="u", token=f"k{i}", hits=i) for i in range(10)])
    time.sleep(0.08)
    counts = [Session.objects.filter(user="u").count() for _ in range(3)]
    assert counts == [10, 10, 10]
    assert Session.objects.filter(hits__lt=5).count() == 5
    assert len(Session.objects.filter(hits__gte=0).order_by("hits")[0:20].all()) == 10
    assert Session.objects.count() == 10
    assert real_db.zcard(b"_ir_|irtest:Session:exp") > 50  # many of them still wait for a purge
    assert Session.objects.purgeExpired() > 40
    assert real_db.zcard(b"_ir_|irtest:Session:exp") == 10
    assert Session.objects.verify().ok


def test_purge_removes_every_key_of_expired_objects(real_db):
    base = _modelKeys(real_db, b"irtest:Cache")
    objs = [Cache(blob=b"\x00\xff%d" % i, packed=b"x" * 50 + b"%d" % (i % 3), kind=f"k{i % 4}") for i in range(40)]
    Cache.saver.save(objs)
    for o in objs:
        o.expire(0.05)
    time.sleep(0.08)
    assert Cache.objects.filter(kind="k1").all() == []
    Cache.objects.purgeExpired()
    assert _modelKeys(real_db, b"irtest:Cache") == base
    assert Cache.objects.verify().ok


def test_purge_limit_and_models_without_expiry(ir_db):
    Session.saver.save([Session(user="u", token=f"t{i}") for i in range(30)], ttl=0.02)
    time.sleep(0.05)
    # reads purge a few of them as they go; purgeExpired removes the rest, at most `limit` per call
    n = Session.objects.purgeExpired(limit=5)
    assert n <= 5
    assert Session.objects.purgeExpired() + n <= 30
    assert Session.objects.purgeExpired() == 0
    assert Plain.objects.purgeExpired() == 0
    with pytest.raises(InvalidValueError):
        Session.objects.purgeExpired(limit=-1)


def test_writes_meeting_an_expired_object(ir_db):
    s = Session(user="u", token="t")
    s.save()
    s.expire(0.03)
    time.sleep(0.05)
    s.hits = 1
    with pytest.raises(Exception, match="expired"):
        s.save()
    with pytest.raises(Exception, match="expired"):
        s.increment("hits")
    assert s.delete() == 0


def test_expiry_needs_expire_on_the_model(ir_db):
    p = Plain(a="x")
    p.save()
    for call in (lambda: p.expire(1), p.persist, p.ttl, lambda: Plain(a="y").save(ttl=3)):
        with pytest.raises(InvalidModelException, match="EXPIRE"):
            call()
    s = Session(user="u", token="t")
    with pytest.raises(InvalidValueError, match="saved object"):
        s.expire(3)
    for bad in (0, -1, "3", True, float("nan")):
        with pytest.raises(InvalidValueError):
            s.save(ttl=bad)
    assert Session.objects.count() == 0


def test_bad_expire_definitions():
    for value in (-1, "60", True, float("inf")):
        model = type(
            "BadExpire", (IndexedRedisModel,), {"FIELDS": [IRField("a")], "KEY_NAME": "irtest:BadExpire", "EXPIRE": value}
        )
        with pytest.raises(InvalidModelException, match="EXPIRE"):
            model()


def test_fields_named_like_the_new_methods_still_work(ir_db):
    class Legacy(IndexedRedisModel):
        FIELDS = [IRField("ttl"), IRField("expire")]
        KEY_NAME = "irtest:LegacyTtl"

    obj = Legacy(ttl="300", expire="never")
    obj.save()
    got = Legacy.objects.get(obj._id)
    assert got.ttl == "300" and got.expire == "never"


def test_reset_gives_the_default_and_refuses_duplicates(ir_db):
    Session.reset([Session(user="a", token="1"), Session(user="b", token="2")])
    assert all(59 < o.ttl() <= 60 for o in Session.objects.all())
    with pytest.raises(UniqueConstraintError):
        Session.reset([Session(user="a", token="1"), Session(user="c", token="1")])
    assert sorted(o.user for o in Session.objects.all()) == ["a", "b"]


def test_reads_of_expiring_models_are_one_round_trip(real_db, roundtrips):
    s = Session(user="u", token="t")
    s.save()
    for call in (
        lambda: Session.objects.get(s._id),
        lambda: Session.objects.getMultiple([s._id, 99]),
        lambda: Session.objects.filter(user="u").all(),
        lambda: Session.objects.filter(user="u").count(),
        lambda: Session.objects.count(),
        lambda: Session.objects.filter(hits__gte=0).order_by("hits").all(),
        lambda: Session.objects.get(token="t"),
        lambda: Session.objects.exists(s._id),
    ):
        with roundtrips() as rt:
            call()
        assert rt.count == 1
    with roundtrips() as rt:
        Session(user="v", token="t2").save()
    assert rt.count == 1


def test_deadlines_survive_a_restart():
    server = RedisServer(appendonly=True, extraArgs=("--appendfsync", "always")).start()
    try:
        clearRedisPools()
        setDefaultRedisConnectionParams({"url": server.url})
        short, long_ = Session(user="u", token="s"), Session(user="u", token="l")
        short.save(ttl=0.5)
        long_.save()
        server.restart()
        clearRedisPools()
        assert 50 < long_.ttl() <= 60
        time.sleep(0.6)
        assert [o.token for o in Session.objects.filter(user="u").all()] == ["l"]
    finally:
        clearRedisPools()
        server.stop()


def _expiringWriter(url: str, name: str, seconds: float, out) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        Session.saver.save([Session(user="r", token=f"{name}{i}-{j}") for j in range(20)], ttl=0.05 + (i % 5) * 0.02)
        i += 1
    out.put(i)


def test_no_read_returns_an_object_past_its_deadline(real_db, redis_server_url):
    """Writers keep saving objects that live 50-130 ms; a reader checks every object it gets
    against its deadline and the server clock read before the read started."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    writers = [ctx.Process(target=_expiringWriter, args=(redis_server_url, f"w{n}-", 3.0, out)) for n in range(2)]
    for w in writers:
        w.start()
    reads = seen = 0
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        sec, usec = real_db.time()
        before = sec * 1000 + usec // 1000
        objs = Session.objects.filter(user="r").all() if reads % 2 else Session.objects.getMultiple(list(range(1, 400)))
        reads += 1
        if objs:
            deadlines = real_db.zmscore(b"_ir_|irtest:Session:exp", [o._id for o in objs])
            for d in deadlines:
                if d is not None:
                    seen += 1
                    assert int(d) > before, "an object was returned after its deadline"
    for w in writers:
        w.join(30)
    assert [out.get(timeout=5) for _ in writers]
    assert reads > 10 and seen > 50
    Session.objects.purgeExpired()
    time.sleep(0.2)
    Session.objects.purgeExpired()
    assert Session.objects.count() == 0
    assert Session.objects.verify().ok


def test_md5_of_the_scripts_matches_hashlib(real_db):
    """Removing an object past its deadline derives its md5 index keys in Lua (ext.lua)."""
    import hashlib
    import os
    import random

    from IndexedRedis import scripts

    here = os.path.dirname(scripts.__file__)
    parts = []
    for name in ("lib.lua", "ext.lua"):
        with open(os.path.join(here, name), "rb") as fh:
            parts.append(fh.read())
    source = b"\n".join(parts)
    source += b"\nlocal out = {}\nfor i = 1, #ARGV do out[i] = md5hex(ARGV[i]) end\nreturn out\n"
    rnd = random.Random(5)
    values = [bytes(rnd.randrange(256) for _ in range(n)) for n in list(range(0, 140)) + [1000, 4097]]
    got = real_db.eval(source, 0, *values)
    assert got == [hashlib.md5(v).hexdigest().encode() for v in values]


def test_chunked_reads_start_over_when_an_object_of_a_later_chunk_expires(real_db, monkeypatch):
    from IndexedRedis import readplans

    monkeypatch.setattr(readplans, "READ_CHUNK", 5)
    Session.saver.save([Session(user="c", token=f"c{i}") for i in range(20)])
    late = Session.objects.filter(user="c").all()[-1]
    late.expire(0.05)
    calls = []
    original = readplans.rowsCall

    def slowRows(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.08)  # the object expires between the first chunk and the next
        return original(*args, **kwargs)

    monkeypatch.setattr(readplans, "rowsCall", slowRows)
    got = Session.objects.filter(user="c").all()
    assert late._id not in [o._id for o in got] and len(got) == 19


def _streamWriter(url: str, total: int, seconds: float, out) -> None:
    clearRedisPools()
    setDefaultRedisConnectionParams({"url": url})
    batch = 100
    start = time.monotonic()
    for i in range(0, total, batch):
        Stream.saver.save([Stream(kind=f"k{j % 7}", n=i + j) for j in range(batch)])
        pause = start + seconds * (i + batch) / total - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    out.put(time.monotonic() - start)


class Stream(IndexedRedisModel):
    FIELDS = [IRField("kind"), IRField("n", valueType=int)]
    INDEXED_FIELDS = ["kind"]
    SORTED_FIELDS = ["n"]
    EXPIRE = 1
    KEY_NAME = "irtest:Stream"


@pytest.mark.sync_only("a minute-long stream written by another process: once is enough")
def test_a_stream_of_expiring_objects_keeps_memory_bounded(real_db, redis_server_url):
    """100,000 objects with a 1 s TTL written over a minute while count() runs: memory comes back
    to its baseline soon after the stream stops, and verify() finds nothing."""
    Stream(kind="warm", n=-1).save(ttl=0.01)
    time.sleep(0.05)
    Stream.objects.purgeExpired()
    baseKeys = real_db.dbsize()
    baseMemory = real_db.info("memory")["used_memory"]
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    writer = ctx.Process(target=_streamWriter, args=(redis_server_url, 100_000, 60.0, out))
    writer.start()
    peakKeys = peakMemory = 0
    counts = 0
    while writer.is_alive():
        n = Stream.objects.filter(kind="k3").count()
        assert 0 <= n <= 100_000 / 7 + 1
        counts += 1
        peakKeys = max(peakKeys, real_db.dbsize())
        peakMemory = max(peakMemory, real_db.info("memory")["used_memory"])
        time.sleep(0.01)
    writer.join(30)
    seconds = out.get(timeout=5)
    stopped = time.monotonic()
    # about 1,700 objects live at a time: the keys never pile up
    assert peakKeys < baseKeys + 20_000

    def keys() -> int:
        # the replies inserts keep for a retry (_ir_|KEY:op:TOKEN) expire by themselves after 30 s
        return sum(1 for k in real_db.scan_iter(count=1000) if b":op:" not in k)

    while time.monotonic() - stopped < 10 and keys() > baseKeys:
        Stream.objects.count()  # reads that meet objects past their deadline remove a few each
        time.sleep(0.005)
    back = time.monotonic() - stopped
    assert keys() <= baseKeys, f"{keys() - baseKeys} keys left {back:.1f} s after the stream"
    memory = real_db.info("memory")["used_memory"]
    # 100,000 objects left in Redis would take about 20 MB; what stays is allocator slack and the
    # replies kept for retries (30 s)
    assert memory < baseMemory + 1024 * 1024, (baseMemory, memory, peakMemory)
    assert Stream.objects.count() == 0
    report = Stream.objects.verify()
    assert report.ok, report
    print(
        f"stream: 100,000 objects in {seconds:.1f} s, {counts} counts, peak {peakKeys - baseKeys} keys and "
        f"{peakMemory - baseMemory:+d} bytes, baseline again {back:.2f} s after it stopped, memory then "
        f"{memory - baseMemory:+d} bytes"
    )


def test_a_link_to_an_expired_object_is_refused_like_one_to_a_deleted_object(ir_db):
    from IndexedRedis.fields import IRForeignLinkField

    class Visit(IndexedRedisModel):
        FIELDS = [IRField("page"), IRForeignLinkField("session", Session)]
        KEY_NAME = "irtest:Visit"

    s = Session(user="u", token="v")
    s.save()
    Visit(page="/", session=s).save()
    s.expire(0.03)
    time.sleep(0.05)
    with pytest.raises(InvalidValueError, match="does not exist"):
        Visit(page="/b", session=s).save(cascadeSave=False)


# Every test of this module runs against the sync API and against the asyncio one (conftest.api).
pytestmark = pytest.mark.usefixtures("api")
