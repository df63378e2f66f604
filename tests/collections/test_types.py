"""Typed values, links, connections, TTL, queues and locks; one round trip per common operation."""

from __future__ import annotations

import queue
import time
import zlib

import pytest
import redis

from IndexedRedis import IRCompressedField, IRField, IRFixedPointField, InvalidValueError, LockNotOwnedError
from IndexedRedis.collections import (
    RedisCounter,
    RedisDeque,
    RedisDict,
    RedisFloat,
    RedisInt,
    RedisLifoQueue,
    RedisList,
    RedisLock,
    RedisQueue,
    RedisSet,
)
from IndexedRedis.fields.null import irNull

from .models import Track

# every test runs once through the sync API and once through the awaited twins
pytestmark = pytest.mark.usefixtures("api")


def test_default_is_str_in_str_out(real_db):
    lst = RedisList("l")
    lst.extend(["é", "a"])
    assert lst.copy() == ["é", "a"] and isinstance(lst[0], str)
    assert real_db.lrange(b"l", 0, -1) == ["é".encode(), b"a"]
    d = RedisDict("d", {"k": "v"})
    assert d["k"] == "v" and list(d) == ["k"]


def test_values_go_through_model_fields(real_db):
    d = RedisDict("d", valueField=IRField(valueType=int))
    d["a"] = "12"  # converted as a model assignment converts it
    assert d["a"] == 12 and real_db.hget(b"d", b"a") == b"12"
    with pytest.raises(InvalidValueError, match="RedisDict 'd'.*int"):
        d["b"] = "twelve"
    c = RedisList("c", valueField=IRCompressedField())
    c.append(b"x" * 1000)
    assert c[0] == b"x" * 1000 and zlib.decompress(real_db.lindex(b"c", 0)) == b"x" * 1000
    s = RedisSet("s", valueField=IRFixedPointField(decimalPlaces=2))
    s.update([1.234, 1.23, "2.5"])
    assert s.copy() == {1.23, 2.5} and real_db.smembers(b"s") == {b"1.23", b"2.50"}
    assert 1.231 in s
    keyed = RedisDict("k", keyField=IRField(valueType=int), valueField=IRField(valueType=list))
    keyed[3] = [1, "a"]
    assert keyed.copy() == {3: [1, "a"]}
    nulls = RedisList("n")
    nulls.append(None)
    assert nulls[0] is irNull
    with pytest.raises(InvalidValueError, match="value field"):
        RedisList("x", valueField=str)


def test_links(real_db):
    ts = [Track(title=f"t{i}") for i in range(3)]
    Track.saver.save(ts)
    lst = RedisList("links", of=Track)
    lst.extend(ts)
    lst.append(2)  # a pk works too
    assert [t.title for t in lst] == ["t0", "t1", "t2", "t1"]
    assert lst.pop().title == "t1" and ts[0] in lst and lst.index(ts[2]) == 2
    q = RedisQueue("lq", of=Track)
    q.put(ts[1])
    assert q.get().title == "t1"
    with pytest.raises(InvalidValueError, match="either"):
        RedisList("x", of=Track, valueField=IRField())


def test_auto_key_child_connect_alt_and_client(real_db):
    a = RedisList()
    b = RedisList()
    assert a.key != b.key and a.key.startswith(b"_ir_|coll:RedisList:")
    user = RedisDict("User:luke", {"name": "Luke"})
    friends = user.child("friends", RedisList)
    friends.append("han")
    assert friends.key == b"User:luke:friends" and real_db.lrange(b"User:luke:friends", 0, -1) == [b"han"]
    kw = real_db.connection_pool.connection_kwargs
    other = redis.Redis(host=kw["host"], port=kw["port"], db=1)
    other.flushdb()
    try:
        alt = user.connectAlt({"db": 1})
        assert alt.copy() == {} and alt.key == user.key
        alt["name"] = "Leia"
        assert user["name"] == "Luke" and other.hget(b"User:luke", b"name") == b"Leia"
        same = RedisDict("User:luke", client=other)
        assert same["name"] == "Leia" and user.withClient(other)["name"] == "Leia"
    finally:
        other.flushdb()
        other.close()


def test_ttl_is_set_by_every_write(real_db):
    lst = RedisList("t", ttl=30)
    lst.append("a")
    assert 29 < lst.timeToLive() <= 30
    real_db.persist(b"t")
    lst.insert(0, "b")  # a script write sets it too
    assert lst.timeToLive() is not None
    d = RedisDict("td", ttl=5)
    d["a"] = "1"
    assert 0 < real_db.pttl(b"td") <= 5000
    n = RedisInt("tn", ttl=5)
    n += 1
    assert 0 < real_db.pttl(b"tn") <= 5000
    assert RedisList("none").timeToLive() is None
    with pytest.raises(InvalidValueError, match="ttl"):
        RedisList("x", ttl=0)


def test_queue_blocking_bounded_and_lifo(real_db):
    q = RedisQueue("q", maxsize=2)
    q.put("a")
    q.put_nowait("b")
    assert q.full() and q.qsize() == 2
    with pytest.raises(queue.Full):
        q.put_nowait("c")
    start = time.monotonic()
    with pytest.raises(queue.Full):
        q.put("c", timeout=0.1)
    assert time.monotonic() - start >= 0.09
    assert q.get() == "a" and q.get_nowait() == "b" and q.empty()
    start = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
    assert time.monotonic() - start >= 0.15
    with pytest.raises(queue.Empty):
        q.get_nowait()
    with pytest.raises(ValueError):
        q.get(timeout=-1)
    q.task_done()
    q.task_done()
    with pytest.raises(ValueError, match="too many"):
        q.task_done()
    assert q.join(timeout=1)
    lifo = RedisLifoQueue("lifo")
    for x in "abc":
        lifo.put(x)
    assert [lifo.get(), lifo.get(), lifo.get()] == ["c", "b", "a"]


def test_lock_owner_lease_and_fencing(real_db):
    a, b = RedisLock("L", leaseTime=0.3), RedisLock("L", leaseTime=5)
    assert a.acquire() and a.locked() and a.owned()
    first = a.fencingToken
    assert not b.acquire(blocking=False)
    assert not b.acquire(timeout=0.05)
    with pytest.raises(LockNotOwnedError):
        b.release()  # never acquired: cannot release a's lock
    assert a.locked()
    a.extend(0.2)
    assert b.acquire(timeout=2)  # a's lease ran out
    assert b.fencingToken > first
    with pytest.raises(LockNotOwnedError, match="lease ran out"):
        a.release()
    assert b.owned() and not a.owned()
    b.release()
    assert not b.locked()
    with pytest.raises(RuntimeError):
        b.release()
    with b:
        assert b.locked()
    assert not b.locked()
    with pytest.raises(ValueError):
        b.acquire(blocking=False, timeout=1)


def test_wrong_redis_type_is_a_clear_error(real_db):
    real_db.set(b"str", b"x")
    with pytest.raises(InvalidValueError, match="another kind of Redis value"):
        RedisList("str").append("a")
    with pytest.raises(InvalidValueError, match="another kind"):
        len(RedisSet("str"))


def test_one_round_trip_per_operation(real_db, roundtrips):
    lst, d, s, c = RedisList("l", ["a", "b", "c"]), RedisDict("d", {"a": "1"}), RedisSet("s", ["x"]), RedisCounter("c", "ab")
    dq, n, f = RedisDeque("dq", ["1"]), RedisInt("n"), RedisFloat("f")
    other = RedisSet("o", ["y"])
    ops = [
        lambda: lst.append("d"),
        lambda: lst[1],
        lambda: lst[0:2],
        lambda: lst.insert(1, "z"),
        lambda: lst.pop(2),
        lambda: lst.reverse(),
        lambda: lst.index("a"),
        lambda: d.__setitem__("b", "2"),
        lambda: d.pop("b"),
        lambda: d.copy(),
        lambda: s | other,
        lambda: s.__ior__(other),
        lambda: s.__ixor__(other),
        lambda: c.most_common(1),
        lambda: c.update("abc"),
        lambda: dq.rotate(1),
        lambda: n.__iadd__(1),
        lambda: f.__iadd__(1.5),
    ]
    for op in ops:
        op()  # scripts loaded
    for op in ops:
        with roundtrips() as rt:
            op()
        assert rt.count == 1, rt.commands


def test_plans_are_reachable_for_other_executors(real_db):
    lst = RedisList("l")
    op = RedisList.append.plan(lst, "a")
    call = next(op)
    assert call.command == ("RPUSH", b"l", b"a")
    assert lst.copy() == []  # building the plan sent nothing
